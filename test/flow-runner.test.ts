// Flows of ports on a real ModelService over the memory datasource: chaining,
// compensation order, timeouts and breakers, resume after a restart, rebinding.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Model } from '../src/domain/model.js';
import { ModelService } from '../src/domain/model-service.js';
import { FlowRunner } from '../src/domain/flows/flow-runner.js';
import type { FlowWorld } from '../src/domain/flows/flow-environment.js';
import { BreakerRegistry } from '../src/domain/ports/breaker-registry.js';
import { createMemoryDatasource } from '../src/adapters/persistence/memory/memory-datasource.js';
import type { Datasource } from '../src/domain/datasource.js';
import type { DomainEvent } from '../src/domain/events/index.js';
import type { Adapter, ModelSpecification, PortCall, PortSpec, StoredRecord } from '../src/domain/model-spec.js';
import { MicrolibError } from '../src/domain/errors.js';
import { until } from './support/until.js';

const clock = { now: () => new Date().toISOString(), newId: () => randomUUID() };
/**
 * How long events that must start no flow are given to start one anyway: a window on purpose,
 * since the test proves something does NOT happen and a flow that never starts leaves nothing to wait on.
 */
const NOTHING_STARTS_WINDOW_MS = 20;

interface Harness {
  service: ModelService;
  runner: FlowRunner;
  breakers: BreakerRegistry;
  datasource: Datasource;
  published: DomainEvent[];
  errors: unknown[];
  adapters: Map<string, Adapter>;
  create(body?: Record<string, unknown>): Promise<StoredRecord>;
  settled(id: string): Promise<StoredRecord>;
}

async function harness(
  ports: Record<string, PortSpec>,
  adapters: Record<string, Adapter>,
  more: Partial<ModelSpecification> = {},
  existing?: Datasource,
  runnerOf: { runnerId?: string; adoptUnowned?: boolean } = {},
): Promise<Harness> {
  const datasource = existing ?? createMemoryDatasource({ collection: 'order', dataDir: '' });
  if (!existing) await datasource.open();
  const adapterMap = new Map(Object.entries(adapters));
  const published: DomainEvent[] = [];
  const errors: unknown[] = [];
  let service: ModelService | undefined;
  const world: FlowWorld = {
    acquire: () => ({
      env: {
        service: (name) => (name === 'order' ? service : undefined),
        bindings: { adapter: (name) => adapterMap.get(name), service: (name) => ({ found: name === 'svc', value: name === 'svc' ? { tag: 'svc' } : undefined }) },
      },
      release() {},
    }),
  };
  const breakers = new BreakerRegistry();
  const runner = new FlowRunner({ world, breakers, publish: (event) => published.push(event), onError: (error) => errors.push(error), ...runnerOf });
  const spec: ModelSpecification = { modelName: 'order', endpoint: 'orders', factory: () => (input) => ({ ...input }), ports, ...more };
  const model = new Model(spec, { remote: 'r', version: 'v1' }, {}, { ports: { defaults: { timeoutMs: 2_000 } } });
  service = new ModelService(model, datasource, clock, undefined, runner);
  const svc = service;
  return {
    service: svc,
    runner,
    breakers,
    datasource,
    published,
    errors,
    adapters: adapterMap,
    create: (body = { total: 10 }) => svc.create({ ...body }),
    settled: (id) =>
      until(async () => {
        const record = await svc.get(id);
        return record.flow && record.flow.status !== 'running' && record.flow.status !== 'compensating' && record;
      }, `the flow on ${id} to settle`, 5_000),
  };
}

/** An adapter that records its calls in `log` and answers `{ step, n }`. */
function recording(log: string[], name: string, behaviour?: (call: PortCall) => unknown): Adapter {
  return async (call) => {
    log.push(`${name}:${call.idempotencyKey.split(':').slice(1).join(':')}`);
    if (behaviour) return behaviour(call);
    return { step: name, n: log.length };
  };
}

const chain = (undo = true): Record<string, PortSpec> => ({
  pay: { adapter: 'pay', producesEvent: 'paid', ...(undo ? { undo: 'refund' } : {}), callback: ({ result }) => ({ paymentId: (result as { n: number }).n }) },
  reserve: { adapter: 'reserve', consumesEvent: 'paid', producesEvent: 'reserved', ...(undo ? { undo: 'release' } : {}) },
  ship: { adapter: 'ship', consumesEvent: 'reserved', producesEvent: 'shipped', callback: () => ({ status: 'shipped' }) },
  refund: { adapter: 'refund' },
  release: { adapter: 'release' },
});

describe('flows of ports', () => {
  it('runs chained ports in order, feeding each the previous result, and stores callbacks\' changes', async () => {
    const log: string[] = [];
    const inputs: unknown[] = [];
    const h = await harness(chain(), {
      pay: recording(log, 'pay', (call) => (inputs.push(call.input), { amount: (call.model.total as number) * 2 })),
      reserve: recording(log, 'reserve', (call) => (inputs.push(call.input), { reservation: 'r1' })),
      ship: recording(log, 'ship', (call) => (inputs.push(call.input), { tracking: 't1' })),
      refund: recording(log, 'refund'),
      release: recording(log, 'release'),
    });
    const order = await h.create();
    const afterFirst = await h.service.startPort(order.id, 'pay', { card: 'visa' });
    assert.equal(afterFirst.flow?.steps[0]?.status, 'done', 'startPort resolves once its own step is done');
    assert.equal(afterFirst.paymentId, undefined, 'the callback reads `n`, which this adapter does not return');
    const done = await h.settled(order.id);
    assert.equal(done.flow?.status, 'completed');
    assert.deepEqual(log, ['pay:0', 'reserve:1', 'ship:2']);
    assert.deepEqual(inputs, [{ card: 'visa' }, { amount: 20 }, { reservation: 'r1' }]);
    assert.deepEqual(done.flow?.steps.map((s) => [s.port, s.status, s.attempts]), [['pay', 'done', 1], ['reserve', 'done', 1], ['ship', 'done', 1]]);
    assert.deepEqual(done.flow?.steps[2]?.result, { tracking: 't1' });
    assert.equal(done.status, 'shipped');
    assert.deepEqual(h.published.map((e) => [e.eventName, (e.data as { id: string }).id]), [['paid', order.id], ['reserved', order.id], ['shipped', order.id]]);
  });

  it('on a failed step undoes the completed steps last first, each with its own result, and records it', async () => {
    const log: string[] = [];
    const undoInputs: unknown[] = [];
    const h = await harness(chain(), {
      pay: recording(log, 'pay', () => ({ payment: 'p1' })),
      reserve: recording(log, 'reserve', () => ({ reservation: 'r1' })),
      ship: recording(log, 'ship', () => {
        throw new Error('carrier down');
      }),
      refund: recording(log, 'refund', (call) => (undoInputs.push(call.input), { refunded: true })),
      release: recording(log, 'release', (call) => (undoInputs.push(call.input), { released: true })),
    });
    const order = await h.create();
    await h.service.startPort(order.id, 'pay', undefined);
    const record = await h.settled(order.id);
    assert.deepEqual(log, ['pay:0', 'reserve:1', 'ship:2', 'release:1:undo', 'refund:0:undo']);
    assert.deepEqual(undoInputs, [{ reservation: 'r1' }, { payment: 'p1' }]);
    assert.equal(record.flow?.status, 'compensated');
    assert.equal(record.flow?.error?.port, 'ship');
    assert.match(record.flow?.error?.message ?? '', /carrier down/);
    assert.equal(record.flow?.error?.code, 'MLB_ERR_PORT_FAILED');
    assert.deepEqual(record.flow?.steps.map((s) => [s.port, s.status, s.undo]), [['pay', 'done', 'done'], ['reserve', 'done', 'done'], ['ship', 'failed', undefined]]);
  });

  it('goes on compensating after an undo fails, and records that compensation is incomplete', async () => {
    const log: string[] = [];
    const h = await harness(chain(), {
      pay: recording(log, 'pay'),
      reserve: recording(log, 'reserve'),
      ship: async () => {
        throw new Error('no');
      },
      refund: recording(log, 'refund'),
      release: async () => {
        throw new Error('warehouse unreachable');
      },
    });
    const order = await h.create();
    await h.service.startPort(order.id, 'pay', undefined);
    const record = await h.settled(order.id);
    assert.equal(record.flow?.status, 'failed');
    assert.equal(record.flow?.steps[1]?.undo, 'failed');
    assert.match(record.flow?.steps[1]?.undoError?.message ?? '', /warehouse unreachable/);
    assert.equal(record.flow?.steps[0]?.undo, 'done', 'the earlier step was still undone');
    assert.deepEqual(log, ['pay:0', 'reserve:1', 'refund:0:undo']);
  });

  it('marks a completed step without undo as skipped, and an undo function can invoke ports and change the record', async () => {
    const log: string[] = [];
    const h = await harness(
      {
        pay: { adapter: 'pay', producesEvent: 'paid', undo: async ({ invoke, result }) => ({ note: `undone ${JSON.stringify(await invoke('refund', result))}` }) },
        reserve: { adapter: 'reserve', consumesEvent: 'paid', producesEvent: 'reserved' },
        ship: { adapter: 'ship', consumesEvent: 'reserved' },
        refund: { adapter: 'refund' },
      },
      { pay: recording(log, 'pay', () => 'p1'), reserve: recording(log, 'reserve'), ship: async () => Promise.reject(new Error('x')), refund: recording(log, 'refund', (call) => ({ refundOf: call.input })) },
    );
    const order = await h.create();
    await h.service.startPort(order.id, 'pay', undefined);
    const record = await h.settled(order.id);
    assert.equal(record.flow?.status, 'compensated');
    assert.deepEqual(record.flow?.steps.map((s) => s.undo), ['done', 'skipped', undefined]);
    assert.equal(record.note, 'undone {"refundOf":"p1"}');
    assert.deepEqual(log, ['pay:0', 'reserve:1', 'refund:0:undo:1']);
  });

  it('refuses a second flow while one is active, and a port the model does not have', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const h = await harness({ slow: { adapter: 'slow' } }, { slow: async () => (calls++, await gate, 'ok') });
    const order = await h.create();
    const first = h.service.startPort(order.id, 'slow', undefined);
    await until(() => calls === 1, 'the first flow to call its adapter');
    await assert.rejects(h.service.startPort(order.id, 'slow', undefined), (error: MicrolibError) => error.code === 'MLB_ERR_CONFLICT' && /already running/.test(error.message));
    await assert.rejects(h.service.startPort(order.id, 'nope', undefined), (error: MicrolibError) => error.code === 'MLB_ERR_NOT_FOUND');
    release();
    assert.equal((await first).flow?.status, 'completed');
    // Once finished, a new flow may start.
    assert.equal((await h.service.startPort(order.id, 'slow', undefined)).flow?.steps.length, 1);
  });

  it('times out an attempt by aborting its signal, retries, and reports the timeout as the step error', async () => {
    const signals: AbortSignal[] = [];
    const h = await harness({ hang: { adapter: 'hang', timeout: 30, retries: { retries: 2, baseDelayMs: 1 } } }, {
      hang: (call) => {
        signals.push(call.signal);
        return new Promise((_, reject) => call.signal.addEventListener('abort', () => reject(call.signal.reason)));
      },
    });
    const order = await h.create();
    await assert.rejects(h.service.startPort(order.id, 'hang', undefined), (error: MicrolibError) => error.code === 'MLB_ERR_TIMEOUT' && /after 3 attempts/.test(error.message));
    assert.equal(signals.length, 3);
    assert.ok(signals.every((s) => s.aborted), 'every attempt was cancelled');
    const record = await h.settled(order.id);
    assert.equal(record.flow?.steps[0]?.attempts, 3);
    assert.equal(record.flow?.steps[0]?.error?.code, 'MLB_ERR_TIMEOUT');
  });

  it('opens the circuit after the minimum volume of failures, fails fast while open, and closes after a good trial', async () => {
    let calls = 0;
    let healthy = false;
    const h = await harness({ flaky: { adapter: 'flaky', circuitBreaker: { minimumVolume: 3, failureRateThreshold: 0.5, windowMs: 10_000, openMs: 100 } } }, {
      flaky: async () => {
        calls++;
        if (!healthy) throw new Error('down');
        return 'up';
      },
    });
    const order = await h.create();
    for (let i = 0; i < 3; i++) {
      await assert.rejects(h.service.startPort(order.id, 'flaky', undefined), (error: MicrolibError) => error.code === 'MLB_ERR_PORT_FAILED');
      await h.settled(order.id);
    }
    assert.equal(calls, 3);
    await assert.rejects(h.service.startPort(order.id, 'flaky', undefined), (error: MicrolibError) => error.code === 'MLB_ERR_UNAVAILABLE' && /circuit is open/.test(error.message));
    assert.equal(calls, 3, 'an open circuit does not call the adapter');
    await h.settled(order.id);
    healthy = true;
    await until(() => h.breakers.snapshot('order', 'flaky')?.state === 'half-open', 'the circuit to half-open after openMs', 5_000);
    assert.equal((await h.service.startPort(order.id, 'flaky', undefined)).flow?.status, 'completed');
    assert.equal(calls, 4);
  });

  it('resumes an unfinished flow from its running step after a restart, without repeating completed steps', async () => {
    const log: string[] = [];
    let block = true;
    const adapters = (tag: string) => ({
      pay: recording(log, `${tag}pay`),
      reserve: recording(log, `${tag}reserve`, (call) =>
        block ? new Promise((_, reject) => call.signal.addEventListener('abort', () => reject(call.signal.reason))) : { reservation: 'r' },
      ),
      ship: recording(log, `${tag}ship`),
      refund: recording(log, `${tag}refund`),
      release: recording(log, `${tag}release`),
    });
    const first = await harness(chain(), adapters('a.'));
    const order = await first.create();
    await first.service.startPort(order.id, 'pay', undefined);
    await until(() => log.includes('a.reserve:1'), 'reserve to be in progress', 5_000);
    // The host stops while `reserve` is in progress: the flow stays as stored.
    await first.runner.stop(1_000);
    const stored = await first.service.get(order.id);
    assert.equal(stored.flow?.status, 'running');
    assert.deepEqual(stored.flow?.steps.map((s) => [s.port, s.status]), [['pay', 'done'], ['reserve', 'running']]);
    assert.deepEqual(first.errors, []);

    block = false;
    const second = await harness(chain(), adapters('b.'), {}, first.datasource);
    assert.equal(await second.runner.resume(second.service), 1);
    const done = await second.settled(order.id);
    assert.equal(done.flow?.status, 'completed');
    assert.deepEqual(log, ['a.pay:0', 'a.reserve:1', 'b.reserve:1', 'b.ship:2'], 'pay ran once; reserve ran again with the same key');
  });

  it('records the runner of a flow and resumes it only in that runner (a cluster worker slot or its replacement)', async () => {
    let block = true;
    let reserving = false;
    const adapters = {
      pay: async () => 'paid',
      reserve: (call: { signal: AbortSignal }) => {
        reserving = true;
        return block ? new Promise((_, reject) => call.signal.addEventListener('abort', () => reject(call.signal.reason))) : { reservation: 'r' };
      },
      ship: async () => 'shipped',
      refund: async () => 'refunded',
      release: async () => 'released',
    } as Record<string, Adapter>;
    const slot2 = await harness(chain(), adapters, {}, undefined, { runnerId: 'host-a/2', adoptUnowned: false });
    const order = await slot2.create();
    await slot2.service.startPort(order.id, 'pay', undefined);
    await until(() => reserving, 'reserve to be in progress', 5_000);
    await slot2.runner.stop(1_000);
    assert.equal((await slot2.service.get(order.id)).flow?.runner, 'host-a/2');
    block = false;
    const slot1 = await harness(chain(), adapters, {}, slot2.datasource, { runnerId: 'host-a/1', adoptUnowned: true });
    assert.equal(await slot1.runner.resume(slot1.service), 0, 'another slot leaves the flow alone');
    const replacement = await harness(chain(), adapters, {}, slot2.datasource, { runnerId: 'host-a/2', adoptUnowned: false });
    assert.equal(await replacement.runner.resume(replacement.service), 1, "the slot's replacement takes it over");
    assert.equal((await replacement.settled(order.id)).flow?.status, 'completed');
  });

  it('binds adapters when called, so a replaced adapter serves the next call', async () => {
    const h = await harness({ quote: { adapter: 'quote', callback: ({ result }) => ({ quote: result }) } }, { quote: async () => 'v1' });
    const order = await h.create();
    assert.equal((await h.service.startPort(order.id, 'quote', undefined)).quote, 'v1');
    h.adapters.set('quote', async () => 'v2');
    assert.equal((await h.service.startPort(order.id, 'quote', undefined)).quote, 'v2');
    h.adapters.delete('quote');
    await assert.rejects(h.service.startPort(order.id, 'quote', undefined), (error: MicrolibError) => error.code === 'MLB_ERR_UNAVAILABLE' && /adapter "quote" of port order.quote is not loaded/.test(error.message));
  });

  it('gives commands the record with port and relation methods, enforces command ACLs when the caller has permissions, and starts flows from port-naming commands', async () => {
    const log: string[] = [];
    const h = await harness(
      { pay: { adapter: 'pay', callback: () => ({ paid: true }) } },
      { pay: recording(log, 'pay') },
      {
        commands: {
          checkout: { command: async (order) => void (await order.pay({ via: 'command' })), acl: ['orders:pay'] },
          submit: { command: 'pay' },
        },
      },
    );
    const order = await h.create();
    await assert.rejects(h.service.command(order.id, 'checkout', undefined, undefined, { permissions: ['orders:read'] }), (error: MicrolibError) => error.code === 'MLB_ERR_FORBIDDEN' && /orders:pay/.test(error.message));
    assert.deepEqual(log, [], 'a refused command runs nothing');
    const paid = await h.service.command(order.id, 'checkout', undefined, undefined, { permissions: ['orders:pay'] });
    assert.equal(paid.paid, true, 'the command answers with the record its port changed');
    const other = await h.create();
    const submitted = await h.service.command(other.id, 'submit', { via: 'submit' });
    assert.equal(submitted.flow?.steps[0]?.port, 'pay');
    assert.deepEqual(submitted.flow?.steps[0]?.input, { via: 'submit' });
    assert.deepEqual(log, ['pay:0', 'pay:0']);
  });

  it('starts a flow from an event about a record of the model, ignoring events flows produce', async () => {
    const log: string[] = [];
    const h = await harness({ pay: { adapter: 'pay', consumesEvent: 'orderSubmitted', producesEvent: 'paid' } }, { pay: recording(log, 'pay') });
    const order = await h.create();
    const triggers = h.runner.triggers(h.service);
    assert.deepEqual(triggers.map((t) => t.eventName), ['orderSubmitted']);
    const handle = triggers[0]!.handler;
    handle({ id: 'e1', eventName: 'orderSubmitted', modelName: 'customer', time: '', data: { id: order.id } } as unknown as DomainEvent);
    handle({ id: 'e2', eventName: 'orderSubmitted', modelName: 'order', time: '', data: { id: order.id, flowId: 'x' } } as unknown as DomainEvent);
    await new Promise((r) => setTimeout(r, NOTHING_STARTS_WINDOW_MS));
    assert.deepEqual(log, [], 'another model\'s event and a flow\'s own event start nothing');
    handle({ id: 'e3', eventName: 'orderSubmitted', modelName: 'order', time: '', data: { id: order.id } } as unknown as DomainEvent);
    assert.equal((await h.settled(order.id)).flow?.status, 'completed');
    assert.deepEqual(log, ['pay:0']);
  });
});
