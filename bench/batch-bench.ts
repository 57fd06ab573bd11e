/**
 * Batch writes on the file datasource: the same 1,000 customers created by one
 * `POST /customers` with an array against 1,000 single POSTs, one at a time and
 * 16 at once, on the real host (example remote, file datasource, the factory in
 * a worker thread as by default). Every created record is durable when answered
 * (fdatasync), so single POSTs one at a time pay one flush each, 16 at once share
 * flushes through the group commit, and a batch shares one for all.
 */
import { createAgent, requestJson } from './http-json.js';
import { exampleRemoteDist, makeWorkDir, removeDir, startHost, type HostProcess } from '../test/support/host-process.js';

export interface BatchRun {
  /** Median wall time of the rounds, in ms, and records per second from it. */
  ms: number;
  perSecond: number;
}

export interface BatchFigures {
  records: number;
  rounds: number;
  concurrency: number;
  sequential: BatchRun;
  concurrent: BatchRun;
  batch: BatchRun;
  /** Bytes of the batch request's body. */
  batchBytes: number;
}

export interface BatchBenchOptions {
  /** Records per run (a batch of this many; BATCH_MAX_ITEMS is set to allow it). */
  records?: number;
  rounds?: number;
}

/** The issue's target: a batch of 1,000 creates at least this many times the throughput of 1,000 single POSTs. */
export const BATCH_TARGET = 5;
const CONCURRENCY = 16;

const customer = (i: number) => ({ firstName: 'A', lastName: `B${i}`, email: `a${i}@b.co` });

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export async function measureBatches(log: (line: string) => void, options: BatchBenchOptions = {}): Promise<BatchFigures> {
  const records = options.records ?? 1_000;
  const rounds = options.rounds ?? 3;
  const workDir = await makeWorkDir();
  let host: HostProcess | undefined;
  const agent = createAgent(CONCURRENCY);
  try {
    host = await startHost({
      workDir,
      remotes: [{ name: 'orderService', kind: 'local', path: exampleRemoteDist }],
      env: { DATASOURCE_ADAPTER: 'file', BATCH_MAX_ITEMS: String(Math.max(records, 1_000)), LOG_LEVEL: 'info' },
    });
    const url = `${host.url}/microlib/api/models/customers`;
    const post = async (body: unknown, want: number) => {
      const res = await requestJson(url, { method: 'POST', body, agent, timeoutMs: 60_000 });
      if (res.status !== want) throw new Error(`POST answered ${res.status}, not ${want}: ${JSON.stringify(res.body).slice(0, 200)}`);
      return res;
    };
    // Warm-up: the worker thread, the JIT and the connections.
    for (let i = 0; i < 50; i++) await post(customer(i), 201);
    await post(Array.from({ length: 50 }, (_, i) => customer(i)), 201);

    const times = { sequential: [] as number[], concurrent: [] as number[], batch: [] as number[] };
    const items = Array.from({ length: records }, (_, i) => customer(i));
    for (let round = 0; round < rounds; round++) {
      let t0 = performance.now();
      for (let i = 0; i < records; i++) await post(items[i], 201);
      times.sequential.push(performance.now() - t0);

      t0 = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < records) await post(items[next++], 201);
        }),
      );
      times.concurrent.push(performance.now() - t0);

      t0 = performance.now();
      const answer = await post(items, 201);
      times.batch.push(performance.now() - t0);
      if (answer.body.succeeded !== records) throw new Error(`the batch stored ${answer.body.succeeded} of ${records}`);
      log(`  round ${round + 1}: ${records} POSTs one at a time ${times.sequential[round]!.toFixed(0)} ms, ${CONCURRENCY} at once ${times.concurrent[round]!.toFixed(0)} ms, one batch ${times.batch[round]!.toFixed(0)} ms`);
    }
    const run = (ms: number[]): BatchRun => ({ ms: median(ms), perSecond: (records / median(ms)) * 1000 });
    return {
      records,
      rounds,
      concurrency: CONCURRENCY,
      sequential: run(times.sequential),
      concurrent: run(times.concurrent),
      batch: run(times.batch),
      batchBytes: Buffer.byteLength(JSON.stringify(items)),
    };
  } finally {
    agent.destroy();
    await host?.stop();
    await removeDir(workDir);
  }
}

/** The batch's throughput over that of single POSTs one at a time (the issue's comparison). */
export const batchSpeedup = (figures: BatchFigures) => figures.batch.perSecond / figures.sequential.perSecond;

export function batchTargetsPassed(figures: BatchFigures): boolean {
  return batchSpeedup(figures) >= BATCH_TARGET;
}

const rate = (run: BatchRun) => `${Math.round(run.perSecond).toLocaleString('en-US')} records/s (${run.ms.toFixed(0)} ms)`;

export function renderBatchSection(figures: BatchFigures): string {
  const { records, concurrency } = figures;
  const speedup = batchSpeedup(figures);
  return `## Batches

bench/batch-bench.ts: ${records.toLocaleString('en-US')} customers created on the host (example remote, \`DATASOURCE_ADAPTER=file\`, factory in a worker thread), ${figures.rounds === 1 ? 'one round' : `median of ${figures.rounds} rounds`}, a keep-alive node:http client on the same machine. Each acknowledged record is durable (fdatasync'ed) before its answer.

| how | throughput | × one at a time |
|---|---:|---:|
| ${records.toLocaleString('en-US')} single POSTs, one at a time | ${rate(figures.sequential)} | 1.00× |
| ${records.toLocaleString('en-US')} single POSTs, ${concurrency} at once | ${rate(figures.concurrent)} | ${(figures.concurrent.perSecond / figures.sequential.perSecond).toFixed(2)}× |
| one POST with an array of ${records.toLocaleString('en-US')} (${Math.round(figures.batchBytes / 1024)} KiB) | ${rate(figures.batch)} | ${speedup.toFixed(2)}× |

| target | measured | result |
|---|---|---|
| batch create of 1,000 records on file ≥ ${BATCH_TARGET}× the throughput of 1,000 single POSTs | ${speedup.toFixed(1)}× (${(figures.batch.perSecond / figures.concurrent.perSecond).toFixed(1)}× the ${concurrency}-at-once POSTs) | **${batchTargetsPassed(figures) ? 'PASS' : 'FAIL'}** |
`;
}
