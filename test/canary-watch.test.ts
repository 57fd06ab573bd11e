// Watching a canary and flows staying on their version (issue 17). /metrics labels the requests of
// a split remote by version. A flow runs every step and every undo on the version that started it:
// one started on the canary compensates on the canary, one started on the stable version on it; a
// flow in progress when the canary is aborted finishes on the canary, which is disposed only after
// it; past DRAIN_TIMEOUT_MS the flow stops `failed`, naming the disposed version, nothing undone
// elsewhere; after a restart mid-canary a canary's flow resumes on the canary.
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { containerOf, localModelsRemote, writeRemoteEntry } from './support/fixture-remotes.js';
import { startInProcessHost, type InProcessHost } from './support/in-process-host.js';
import { until } from './support/until.js';

interface Step {
  port: string;
  status: string;
  result?: { by?: string };
  error?: { message: string; code?: string };
  undo?: string;
  undoError?: { message: string };
}
interface Order {
  id: string;
  reservedBy?: string;
  chargedBy?: string;
  releasedBy?: string;
  flow?: { status: string; version?: string; steps: Step[]; error?: { port: string; message: string } };
}

/** The gate a version's `charge` adapter waits at when `hold` is set (REMOTE_ISOLATION none: one globalThis). */
interface Gate {
  hold: boolean;
  entered?: string;
  fail?: () => void;
}
const gate = () => (globalThis as Record<string, unknown>).__flowGate as Gate;

/**
 * Version `tag` of a remote with one model, `order`: `reserve` (inbound, undone by `release`)
 * then `charge`, which fails ("declined by <tag>"), so every flow compensates. Each adapter
 * answers `{ by: tag }` and each callback writes the tag into the record: the record tells
 * which version ran each step and each undo.
 */
function build(tag: string, datasource = 'memory'): string {
  const models = `[{ modelName: 'order', endpoint: 'orders', datasource: '${datasource}', factory: () => (x) => ({ ...x }),
    ports: {
      reserve: { type: 'inbound', adapter: 'reserve', producesEvent: 'reserved', undo: 'release', callback: () => ({ reservedBy: '${tag}' }) },
      charge: { adapter: 'charge', consumesEvent: 'reserved', producesEvent: 'charged', callback: () => ({ chargedBy: '${tag}' }) },
      release: { adapter: 'release', callback: () => ({ releasedBy: '${tag}' }) },
    } }]`;
  const adapters = `({
    reserve: () => ({ by: '${tag}' }),
    release: () => ({ by: '${tag}' }),
    charge: (call) => {
      const gate = globalThis.__flowGate;
      if (!gate || !gate.hold) throw new Error('declined by ${tag}');
      gate.entered = '${tag}';
      return new Promise((_, reject) => {
        gate.fail = () => reject(new Error('declined by ${tag}'));
        call.signal.addEventListener('abort', () => reject(call.signal.reason));
      });
    },
  })`;
  return containerOf({ './models': models, './adapters': adapters });
}

describe('watching a canary and flows on their version', () => {
  let running: InProcessHost | undefined;
  let root = '';
  afterEach(async () => {
    await running?.stop();
    running = undefined;
    await rm(root, { recursive: true, force: true });
    delete (globalThis as Record<string, unknown>).__flowGate;
  });

  /** A host serving `kit` at v1, with a canary of v2 at `weight`; `env` adds settings, `dirs` keeps data and cache for a restart. */
  const start = async (options: { env?: Record<string, string>; datasource?: string; weight?: number } = {}) => {
    root = await mkdtemp(path.join(os.tmpdir(), 'microlib-canarywatch-'));
    (globalThis as Record<string, unknown>).__flowGate = { hold: false } satisfies Gate;
    const remote = await localModelsRemote(root, '[]');
    await writeRemoteEntry(remote.path, build('v1', options.datasource));
    const env = { MICROLIB_DEV_MODE: 'true', REMOTE_ISOLATION: 'none', DATA_DIR: path.join(root, 'data'), REMOTE_CACHE_DIR: path.join(root, 'cache'), ...options.env };
    running = await startInProcessHost({ remotes: [remote], env });
    const v1 = (await remotes()).version as string;
    await writeRemoteEntry(remote.path, build('v2', options.datasource));
    const started = await running.inject({ method: 'POST', url: '/microlib/api/remotes/kit/canary', body: { weight: options.weight ?? 50 } });
    assert.equal(started.status, 200, started.body);
    const v2 = started.json<{ canary: { canary: string } }>().canary.canary;
    return { v1, v2, remote, env };
  };
  const host = () => running!;
  const remotes = async () => (await host().inject('/microlib/api/remotes')).json<{ remotes: Array<{ version: string; canary: unknown }> }>().remotes[0]!;
  const pin = (version: string) => ({ 'x-microlib-version': version.slice(0, 24) });
  const order = async (id: string) => (await host().inject(`/microlib/api/models/orders/${id}`)).json<Order>();
  /** Creates an order and starts its flow at `reserve` on `version`; resolves once that first step is done. */
  const startFlow = async (version: string): Promise<string> => {
    const created = await host().inject({ method: 'POST', url: '/microlib/api/models/orders', headers: pin(version), body: {} });
    assert.equal(created.status, 201, created.body);
    const id = created.json<Order>().id;
    const reserved = await host().inject({ method: 'POST', url: `/microlib/api/models/orders/${id}/ports/reserve`, headers: pin(version), body: {} });
    assert.equal(reserved.status, 200, reserved.body);
    assert.equal(reserved.headers['x-microlib-version'], `kit@${version}`);
    return id;
  };
  const settled = (id: string) => until(async () => {
    const record = await order(id);
    return record.flow && !['running', 'compensating'].includes(record.flow.status) && record;
  }, `the flow on order ${id} to end`, 10_000);
  /** Which version ran each step and each undo, as the record tells it. */
  const ranBy = (record: Order) => ({
    reserve: record.flow?.steps[0]?.result?.by,
    reservedBy: record.reservedBy,
    charge: record.flow?.steps[1]?.error?.message,
    releasedBy: record.releasedBy,
  });

  it('labels the requests of a split remote by version in /metrics, from the tallies the listing shows', async () => {
    const { v1, v2 } = await start();
    for (let i = 0; i < 3; i++) assert.equal((await host().inject({ url: '/microlib/api/models/orders', headers: pin(v1) })).status, 200);
    for (let i = 0; i < 2; i++) assert.equal((await host().inject({ url: '/microlib/api/models/orders', headers: pin(v2) })).status, 200);
    assert.equal((await host().inject({ url: '/microlib/api/models/orders/missing', headers: pin(v2) })).status, 404);
    const text = (await host().inject('/metrics')).body;
    const short = (v: string) => `sha256-${v.slice(7, 19)}`;
    assert.match(text, new RegExp(`microlib_canary_requests_total\\{remote="kit",role="stable",version="${short(v1)}",outcome="ok"\\} 3\\n`));
    assert.match(text, new RegExp(`microlib_canary_requests_total\\{remote="kit",role="canary",version="${short(v2)}",outcome="ok"\\} 2\\n`));
    assert.match(text, new RegExp(`microlib_canary_requests_total\\{remote="kit",role="canary",version="${short(v2)}",outcome="client_error"\\} 1\\n`));
    assert.match(text, new RegExp(`microlib_canary_request_duration_seconds_count\\{remote="kit",role="canary",version="${short(v2)}"\\} 3\\n`));
    assert.match(text, new RegExp(`microlib_canary_request_duration_seconds_bucket\\{le="\\+Inf",remote="kit",role="stable",version="${short(v1)}"\\} 3\\n`));

    assert.equal((await host().inject({ method: 'POST', url: '/microlib/api/remotes/kit/promote' })).status, 200);
    assert.doesNotMatch((await host().inject('/metrics')).body, /microlib_canary_requests_total\{/, 'no canary, no series');
  });

  it('runs a flow started on the canary, its compensation included, on the canary, and one started on the stable version on it', async () => {
    const { v1, v2 } = await start();
    const onCanary = await startFlow(v2);
    const onStable = await startFlow(v1);
    const canaryFlow = await settled(onCanary);
    const stableFlow = await settled(onStable);
    assert.equal(canaryFlow.flow?.status, 'compensated', JSON.stringify(canaryFlow.flow));
    assert.equal(canaryFlow.flow?.version, v2);
    assert.deepEqual(ranBy(canaryFlow), { reserve: 'v2', reservedBy: 'v2', charge: 'port order.charge failed: declined by v2', releasedBy: 'v2' });
    assert.equal(stableFlow.flow?.status, 'compensated', JSON.stringify(stableFlow.flow));
    assert.equal(stableFlow.flow?.version, v1);
    assert.deepEqual(ranBy(stableFlow), { reserve: 'v1', reservedBy: 'v1', charge: 'port order.charge failed: declined by v1', releasedBy: 'v1' });
  });

  it('lets a flow in progress when the canary is aborted finish on the canary, and disposes the canary only after it', async () => {
    const { v2 } = await start();
    const retired: string[] = [];
    host().host.deployment.on('retired', ({ version }: { version: string }) => retired.push(version));
    gate().hold = true;
    const id = await startFlow(v2);
    await until(() => gate().entered === 'v2', 'the canary to be charging');

    const aborted = await host().inject({ method: 'POST', url: '/microlib/api/remotes/kit/abort' });
    assert.equal(aborted.status, 200, aborted.body);
    assert.equal((await remotes()).canary, null, 'the canary serves no request any more');
    // A request end to end after the abort: the canary would be disposed by now were nothing holding it.
    assert.equal((await host().inject('/microlib/api/models/orders')).status, 200);
    assert.equal(retired.length, 0, 'the canary stays loaded while its flow runs');

    gate().fail!();
    const record = await settled(id);
    assert.equal(record.flow?.status, 'compensated', JSON.stringify(record.flow));
    assert.deepEqual(ranBy(record), { reserve: 'v2', reservedBy: 'v2', charge: 'port order.charge failed: declined by v2', releasedBy: 'v2' }, 'the undo ran on the canary, not on the stable version');
    await until(() => retired.includes(v2), 'the canary to be disposed once its flow ended');
  });

  it('stops a flow whose version was disposed at DRAIN_TIMEOUT_MS as failed, naming the version, with nothing undone elsewhere', async () => {
    const { v2 } = await start({ env: { DRAIN_TIMEOUT_MS: '150' } });
    const retired: string[] = [];
    host().host.deployment.on('retired', ({ version }: { version: string }) => retired.push(version));
    gate().hold = true;
    const id = await startFlow(v2);
    await until(() => gate().entered === 'v2', 'the canary to be charging');
    assert.equal((await host().inject({ method: 'POST', url: '/microlib/api/remotes/kit/abort' })).status, 200);
    await until(() => retired.includes(v2), 'the canary to be disposed at the drain timeout');

    gate().fail!();
    const record = await settled(id);
    assert.equal(record.flow?.status, 'failed', JSON.stringify(record.flow));
    assert.equal(record.releasedBy, undefined, 'no version undid the reservation');
    const reserve = record.flow!.steps[0]!;
    assert.equal(reserve.undo, 'failed');
    assert.match(reserve.undoError!.message, new RegExp(`version ${v2} of remote "kit", which started this flow, was disposed before the flow finished`));
    assert.equal(record.flow?.error?.message, 'port order.charge failed: declined by v2', 'the failure that started compensation is kept');
    await until(() => host().logs.some((l) => l.msg === 'flow step failed' && String((l.err as { message?: string })?.message).includes('was disposed')), 'the log line of the stopped flow');
  });

  it('resumes a canary flow interrupted by a restart on the canary, once the canary is back', async () => {
    const { v2, remote, env } = await start({ datasource: 'file' });
    gate().hold = true;
    const id = await startFlow(v2);
    await until(() => gate().entered === 'v2', 'the canary to be charging');
    // The host stops mid-step: the step stays running and runs again after the restart.
    await running!.stop();
    running = undefined;
    gate().hold = false;

    running = await startInProcessHost({ remotes: [remote], env });
    assert.equal((await remotes()).canary !== null, true, 'the canary is resumed');
    const record = await settled(id);
    assert.equal(record.flow?.status, 'compensated', JSON.stringify(record.flow));
    assert.deepEqual(ranBy(record), { reserve: 'v2', reservedBy: 'v2', charge: 'port order.charge failed: declined by v2', releasedBy: 'v2' });
    assert.equal(host().logs.some((l) => String(l.msg).startsWith('flow moved')), false);
  });
});
