// The example order service's workflow end to end, over HTTP against host child processes:
// authorize payment → check inventory → pick → ship → track → verify delivery → complete payment,
// with the simulated services' faults set through the environment.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { exampleRemoteDist, makeWorkDir, removeDir, request, startHost, type HostProcess } from './support/host-process.js';
import { until } from './support/until.js';

const FLOW = ['authorizePayment', 'checkInventory', 'pickOrder', 'shipOrder', 'trackShipment', 'verifyDelivery', 'completePayment'];
// The example's simulated services read their faults and call log from ORDER_SERVICE_* variables: a worker gets only those its entry lists.
const remotes = [{ name: 'orderService', kind: 'local', path: exampleRemoteDist, env: ['ORDER_SERVICE_*'] }];

interface CallLine {
  service: string;
  operation: string;
  orderId: string;
  idempotencyKey: string;
  phase: 'start' | 'end';
  outcome?: string;
}

async function callLog(file: string): Promise<CallLine[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as CallLine);
}

const workDirs: string[] = [];
const hosts: HostProcess[] = [];
after(async () => {
  for (const host of hosts) await host.stop().catch(() => undefined);
  for (const dir of workDirs) await removeDir(dir);
});

async function orderHost(env: Record<string, string>, ports?: Record<string, unknown>, workDir?: string) {
  const dir = workDir ?? (await makeWorkDir());
  if (!workDir) workDirs.push(dir);
  const logFile = path.join(dir, 'calls.jsonl');
  // In a process of its own (REMOTE_ISOLATION=process) the remote may write only where its entry allows.
  const host = await startHost({ workDir: dir, remotes: remotes.map((entry) => ({ ...entry, allowWrite: [logFile] })), ports, env: { ORDER_SERVICE_CALL_LOG: logFile, ...env } });
  hosts.push(host);
  const api = `${host.url}/microlib/api/models`;
  return {
    host,
    dir,
    api,
    logFile,
    async placeOrder(): Promise<string> {
      const customer = await request(`${api}/customers`, { method: 'POST', body: { firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com' } });
      assert.equal(customer.status, 201, JSON.stringify(customer.body));
      const order = await request(`${api}/orders`, { method: 'POST', body: { customerId: customer.body.id, items: [{ sku: 'A1', quantity: 2, price: 5 }] } });
      assert.equal(order.status, 201, JSON.stringify(order.body));
      return order.body.id as string;
    },
    settled: (id: string, timeoutMs = 15_000) =>
      until(async () => {
        const { body } = await request(`${api}/orders/${id}`);
        return body.flow && body.flow.status !== 'running' && body.flow.status !== 'compensating' && body;
      }, `the flow of order ${id} to settle`, timeoutMs),
  };
}

const stepsOf = (order: { flow: { steps: Array<{ port: string; status: string; undo?: string }> } }) => order.flow.steps.map((s) => [s.port, s.status, s.undo ?? null]);

describe('order workflow (example remote)', () => {
  it('runs the whole workflow from one HTTP command, each service operation once', async () => {
    const h = await orderHost({});
    const id = await h.placeOrder();
    const submitted = await request(`${h.api}/orders/${id}/commands/submit`, { method: 'POST' });
    assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
    assert.equal(submitted.body.flow.steps[0].port, 'authorizePayment');
    assert.match(submitted.body.paymentId, /^pay_/);
    const order = await h.settled(id);
    assert.equal(order.flow.status, 'completed', JSON.stringify(order.flow));
    assert.deepEqual(order.flow.steps.map((s: { port: string }) => s.port), FLOW);
    assert.equal(order.status, 'completed');
    assert.match(order.trackingId, /^trk_/);
    assert.match(order.captureId, /^cap_/);
    const ends = (await callLog(h.logFile)).filter((l) => l.phase === 'end' && l.orderId === id);
    assert.deepEqual(
      ends.map((l) => `${l.service}.${l.operation}:${l.outcome}`),
      ['payment.authorize:ok', 'inventory.check:ok', 'inventory.pick:ok', 'shipping.ship:ok', 'shipping.track:ok', 'shipping.verify:ok', 'payment.capture:ok'],
    );
    // A second submit of a finished order is refused by the model, not charged again.
    const again = await request(`${h.api}/orders/${id}/commands/submit`, { method: 'POST' });
    assert.ok(again.status >= 400, JSON.stringify(again.body));
  });

  it('compensates in reverse order when shipping fails: the items go back, then the payment is refunded', async () => {
    const h = await orderHost({ ORDER_SERVICE_FAULTS: JSON.stringify({ 'shipping.ship': { fail: 'always' } }) });
    const id = await h.placeOrder();
    await request(`${h.api}/orders/${id}/commands/submit`, { method: 'POST' });
    const order = await h.settled(id);
    assert.equal(order.flow.status, 'compensated', JSON.stringify(order.flow));
    assert.deepEqual(stepsOf(order), [
      ['authorizePayment', 'done', 'done'],
      ['checkInventory', 'done', 'skipped'],
      ['pickOrder', 'done', 'done'],
      ['shipOrder', 'failed', null],
    ]);
    assert.equal(order.flow.error.port, 'shipOrder');
    assert.equal(order.status, 'cancelled');
    assert.match(order.cancelReason, /shipOrder failed/);
    assert.match(order.refundId, /^ref_/);
    const ends = (await callLog(h.logFile)).filter((l) => l.phase === 'end' && l.orderId === id).map((l) => `${l.service}.${l.operation}:${l.outcome}`);
    assert.deepEqual(ends, ['payment.authorize:ok', 'inventory.check:ok', 'inventory.pick:ok', 'shipping.ship:failed', 'inventory.release:ok', 'payment.refund:ok']);
  });

  it('times out a hanging service, opens the breaker after the configured volume, then half-opens and closes', async () => {
    const h = await orderHost(
      { ORDER_SERVICE_FAULTS: JSON.stringify({ 'inventory.check': { hang: 3 } }) },
      { 'order.checkInventory': { timeout: 250, circuitBreaker: { minimumVolume: 3, failureRateThreshold: 0.5, windowMs: 60_000, openMs: 1_500 } } },
    );
    const breaker = async () => {
      const { body } = await request(`${h.host.url}/microlib/api/ports`);
      return body.ports.find((p: { model: string; port: string }) => p.model === 'order' && p.port === 'checkInventory').circuitBreaker;
    };
    assert.equal((await breaker()).state, 'closed');
    for (let i = 0; i < 3; i++) {
      const id = await h.placeOrder();
      await request(`${h.api}/orders/${id}/commands/submit`, { method: 'POST' });
      const order = await h.settled(id);
      assert.equal(order.flow.status, 'compensated');
      assert.equal(order.flow.error.code, 'MLB_ERR_TIMEOUT', JSON.stringify(order.flow.error));
      assert.equal(order.flow.steps[0].undo, 'done', 'the payment was refunded');
    }
    const open = await breaker();
    assert.equal(open.state, 'open');
    assert.equal(open.failures, 3);
    const aborted = (await callLog(h.logFile)).filter((l) => l.operation === 'check' && l.phase === 'end');
    assert.deepEqual(aborted.map((l) => l.outcome), ['aborted', 'aborted', 'aborted'], 'the timeout cancelled each call');

    const refused = await h.placeOrder();
    await request(`${h.api}/orders/${refused}/commands/submit`, { method: 'POST' });
    const failedFast = await h.settled(refused);
    assert.equal(failedFast.flow.error.code, 'MLB_ERR_UNAVAILABLE');
    assert.match(failedFast.flow.error.message, /circuit is open/);
    assert.equal((await callLog(h.logFile)).filter((l) => l.operation === 'check' && l.phase === 'start').length, 3, 'an open circuit does not call the service');

    await until(async () => (await breaker()).state === 'half-open', 'the breaker to half-open once openMs has passed', 5_000);
    const healed = await h.placeOrder();
    await request(`${h.api}/orders/${healed}/commands/submit`, { method: 'POST' });
    assert.equal((await h.settled(healed)).flow.status, 'completed');
    assert.equal((await breaker()).state, 'closed');
  });

  it('resumes an interrupted flow after the host is killed, without repeating a completed step', async () => {
    const slowShipping = { ORDER_SERVICE_FAULTS: JSON.stringify({ 'shipping.ship': { latencyMs: 60_000 } }) };
    const first = await orderHost(slowShipping);
    const id = await first.placeOrder();
    await request(`${first.api}/orders/${id}/commands/submit`, { method: 'POST' });
    await until(async () => (await callLog(first.logFile)).some((l) => l.operation === 'ship' && l.phase === 'start'), 'shipping to start', 10_000);
    await first.host.kill();

    const second = await orderHost({}, undefined, first.dir);
    const order = await second.settled(id);
    assert.equal(order.flow.status, 'completed', JSON.stringify(order.flow));
    assert.deepEqual(order.flow.steps.map((s: { port: string }) => s.port), FLOW, 'each step appears once');
    assert.ok(second.host.logs.some((l) => l.msg === 'resuming unfinished flows' && l.flows === 1));
    const lines = (await callLog(first.logFile)).filter((l) => l.orderId === id);
    const starts = (operation: string) => lines.filter((l) => l.operation === operation && l.phase === 'start');
    for (const operation of ['authorize', 'check', 'pick', 'track', 'verify', 'capture']) assert.equal(starts(operation).length, 1, `${operation} ran once`);
    const ships = starts('ship');
    assert.equal(ships.length, 2, 'the interrupted step ran again');
    assert.equal(ships[0]!.idempotencyKey, ships[1]!.idempotencyKey, 'with the same idempotency key');
    assert.equal(lines.filter((l) => l.operation === 'ship' && l.outcome === 'ok').length, 1);
  });
});
