/**
 * Flow figures: the example's seven-step order workflow on the real host (file
 * datasource, simulated services answering at once), one flow at a time for
 * latency, then many at once for throughput. Each step is one adapter call,
 * one durable write of the record and one event.
 */
import { exampleRemoteDist, makeWorkDir, removeDir, startHost, type HostProcess } from '../test/support/host-process.js';

export interface FlowFigures {
  sequential: { flows: number; p50: number; p95: number; max: number };
  concurrent: { flows: number; concurrency: number; seconds: number; perSecond: number; failed: number };
}

const STEPS = 7;
/** Every loop is bounded in count and in time. */
const SEQUENTIAL_FLOWS = 50;
const CONCURRENT_FLOWS = 400;
const CONCURRENCY = 32;
const FLOW_TIMEOUT_MS = 30_000;

async function json(url: string, init?: { method: string; body?: unknown }): Promise<{ status: number; body: Record<string, any> }> {
  const res = await fetch(url, init ? { method: init.method, headers: { 'content-type': 'application/json' }, body: init.body === undefined ? undefined : JSON.stringify(init.body) } : undefined);
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

async function placeOrder(api: string, customerId: string): Promise<string> {
  const order = await json(`${api}/orders`, { method: 'POST', body: { customerId, items: [{ sku: 'A1', quantity: 1, price: 3 }] } });
  if (order.status !== 201) throw new Error(`create order answered ${order.status}`);
  return order.body.id as string;
}

/** Submits an order and polls until its flow ends; resolves with the elapsed ms and the final status. */
async function runFlow(api: string, id: string): Promise<{ ms: number; status: string }> {
  const t0 = performance.now();
  const submitted = await json(`${api}/orders/${id}/commands/submit`, { method: 'POST' });
  if (submitted.status !== 200) return { ms: performance.now() - t0, status: `submit ${submitted.status}` };
  while (performance.now() - t0 < FLOW_TIMEOUT_MS) {
    const { body } = await json(`${api}/orders/${id}`);
    const status = body.flow?.status as string | undefined;
    if (status !== 'running' && status !== 'compensating') return { ms: performance.now() - t0, status: String(status) };
    await new Promise((r) => setTimeout(r, 2));
  }
  return { ms: performance.now() - t0, status: 'timed out' };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

export async function measureFlows(log: (line: string) => void): Promise<FlowFigures> {
  const workDir = await makeWorkDir();
  let host: HostProcess | undefined;
  try {
    host = await startHost({ workDir, remotes: [{ name: 'orderService', kind: 'local', path: exampleRemoteDist }], env: { LOG_LEVEL: 'info' } });
    const api = `${host.url}/microlib/api/models`;
    const customer = await json(`${api}/customers`, { method: 'POST', body: { firstName: 'B', lastName: 'Ench', email: 'bench@example.com' } });
    const customerId = customer.body.id as string;

    const samples: number[] = [];
    for (let i = 0; i < SEQUENTIAL_FLOWS; i++) {
      const outcome = await runFlow(api, await placeOrder(api, customerId));
      if (outcome.status !== 'completed') throw new Error(`flow ended ${outcome.status}`);
      samples.push(outcome.ms);
    }
    samples.sort((a, b) => a - b);
    log(`  ${SEQUENTIAL_FLOWS} flows one at a time: p50 ${percentile(samples, 50).toFixed(1)} ms`);

    const ids: string[] = [];
    for (let i = 0; i < CONCURRENT_FLOWS; i++) ids.push(await placeOrder(api, customerId));
    let next = 0;
    let failed = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < ids.length) {
          const outcome = await runFlow(api, ids[next++]!);
          if (outcome.status !== 'completed') failed++;
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    log(`  ${CONCURRENT_FLOWS} flows, ${CONCURRENCY} at once: ${(CONCURRENT_FLOWS / seconds).toFixed(0)} flows/s, ${failed} failed`);
    return {
      sequential: { flows: samples.length, p50: percentile(samples, 50), p95: percentile(samples, 95), max: samples.at(-1) ?? NaN },
      concurrent: { flows: CONCURRENT_FLOWS, concurrency: CONCURRENCY, seconds, perSecond: CONCURRENT_FLOWS / seconds, failed },
    };
  } finally {
    await host?.stop();
    await removeDir(workDir);
  }
}

const ms = (n: number) => `${n.toFixed(1)} ms`;

export function flowTargetsPassed(f: FlowFigures): boolean {
  return f.sequential.p50 < 100 && f.concurrent.failed === 0;
}

export function renderFlowSection(f: FlowFigures): string {
  return [
    '## Flows',
    '',
    `The example's order workflow (${STEPS} ports: authorize payment → check inventory → pick → ship → track → verify delivery → complete payment) on the host with the file datasource, the simulated services answering at once. Each step is an adapter call, a durable write of the record (group commit, fdatasync) and an event; the client submits the order and polls it every 2 ms, so figures include that polling.`,
    '',
    '| run | flows | figure |',
    '|---|---:|---|',
    `| one at a time | ${f.sequential.flows} | submit → completed p50 ${ms(f.sequential.p50)}, p95 ${ms(f.sequential.p95)}, max ${ms(f.sequential.max)} (${ms(f.sequential.p50 / STEPS)} per step at p50) |`,
    `| ${f.concurrent.concurrency} at once | ${f.concurrent.flows} | ${f.concurrent.perSecond.toFixed(0)} flows/s (${(f.concurrent.perSecond * STEPS).toFixed(0)} steps/s), ${f.concurrent.failed} not completed |`,
    '',
    '| target | measured | result |',
    '|---|---|---|',
    `| seven-step flow, submit → completed, p50 < 100 ms | ${ms(f.sequential.p50)} | **${f.sequential.p50 < 100 ? 'PASS' : 'FAIL'}** |`,
    `| flows not completed under concurrency = 0 | ${f.concurrent.failed} | **${f.concurrent.failed === 0 ? 'PASS' : 'FAIL'}** |`,
    '',
  ].join('\n');
}
