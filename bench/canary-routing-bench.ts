/**
 * Routing cost of a canary: the host's CPU µs per `GET /customers/:id` while the
 * example remote runs a canary of a second build at weight 50 (both versions serve
 * the model, each request drawn to one), against the same host serving one version.
 * One host (memory datasource, default isolation) pinned to the server core; wrk on
 * the client core. Each round measures without and with the canary back to back (the
 * canary is started, measured, then aborted), in alternating order, so slow drift of
 * the machine favours neither;
 * the figure is the median of the rounds' differences. CPU time is the host process's
 * (all its threads) from /proc, over the wrk run only.
 */
import { spawnSync } from 'node:child_process';
import type { IncomingMessage } from 'node:http';
import { appendFile, cp } from 'node:fs/promises';
import path from 'node:path';
import { exampleRemoteDist, makeWorkDir, removeDir, startHost, type HostProcess } from '../test/support/host-process.js';
import { onCleanup } from './cleanup.js';
import type { BenchConfig } from './config.js';
import { processCpuSeconds } from './cpu-usage.js';
import { COLLECTION_PATH, customerBody } from './customers-api.js';
import { errorCount, runWrk, type WrkResult } from './wrk.js';
import type { WrkScripts } from './wrk-scripts.js';
import type { CanaryEntry, EndpointSplit, ServedModel } from '../src/catalog/catalog.js';
import { chooseSide } from '../src/adapters/http/version-choice.js';
import { VersionTally } from '../src/domain/resilience/version-tally.js';
import { writeIdsFile } from './wrk-scripts.js';
import { freePort } from '../test/support/free-port.js';

/** Bounded: records seeded before the reads. */
const RECORDS = 1_000;
const WEIGHT = 50;
/** The issue's target: a canary adds at most this many CPU µs per request. */
export const CANARY_ROUTING_TARGET_US = 2;
const ADMIN = 'bench-admin-token-0123456789';
/** Requests probed after each start: both versions must answer. */
const PROBES = 200;

type RunResult = WrkResult & { cpuUsPerRequest: number };

export interface CanaryRoutingFigures {
  records: number;
  connections: number;
  weight: number;
  roundSeconds: number;
  /** Per round: without the canary, then with it. */
  rounds: Array<{ off: RunResult; on: RunResult }>;
  /** Share of probe requests the canary answered (of PROBES, first round). */
  canaryShare: number;
  /** The routing work alone, in this process: choosing the version and counting the outcome, ns per request. */
  decisionNs: number;
  errors: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function measureCanaryRouting(config: BenchConfig, scripts: WrkScripts, dir: string, log: (line: string) => void): Promise<CanaryRoutingFigures> {
  const workDir = await makeWorkDir();
  let host: HostProcess | undefined;
  const stop = async () => {
    await host?.stop();
    host = undefined;
  };
  onCleanup(stop);
  try {
    // A copy of the example remote: a second build is the same files plus a comment (a new content hash).
    const remoteDir = path.join(workDir, 'order-service');
    await cp(exampleRemoteDist, remoteDir, { recursive: true });
    const port = await freePort();
    host = await startHost({ workDir, remotes: [{ name: 'orderService', kind: 'local', path: remoteDir }], env: { PORT: String(port), DATASOURCE_ADAPTER: 'memory', ADMIN_TOKEN: ADMIN } });
    const pid = host.child.pid!;
    const pinned = spawnSync('taskset', ['-apc', String(config.serverCpu), String(pid)], { stdio: 'ignore' });
    if (pinned.status !== 0) throw new Error(`taskset could not pin node process ${pid}`);
    const base = `http://127.0.0.1:${port}`;
    const ids: string[] = [];
    for (let i = 0; i < RECORDS; i++) {
      const res = await fetch(`${base}${COLLECTION_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(customerBody(i)) });
      if (res.status !== 201) throw new Error(`seeding answered ${res.status}`);
      ids.push(((await res.json()) as { id: string }).id);
    }
    const idsFile = await writeIdsFile(dir, 'canary-routing', ids);
    await appendFile(path.join(remoteDir, 'remoteEntry.js'), '\n// canary build for bench/canary-routing-bench.ts\n');

    const admin = async (action: 'canary' | 'abort', body?: unknown) => {
      const res = await fetch(`${base}/microlib/api/remotes/orderService/${action}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const answer = (await res.json()) as Record<string, unknown>;
      if (res.status !== 200) throw new Error(`${action} answered ${res.status}: ${JSON.stringify(answer)}`);
      return answer;
    };
    /** Share of PROBES requests the canary answered; each must succeed. */
    const probe = async (canary: string | undefined): Promise<number> => {
      let onCanary = 0;
      for (let i = 0; i < PROBES; i++) {
        const res = await fetch(`${base}${COLLECTION_PATH}/${ids[i % ids.length]}`);
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`probe answered ${res.status}`);
        if (canary !== undefined && (res.headers.get('x-microlib-version') ?? '').endsWith(`@${canary}`)) onCanary++;
      }
      return onCanary / PROBES;
    };
    const wrk = async (seconds: number): Promise<RunResult> => {
      const before = processCpuSeconds(pid);
      const result = await runWrk({ url: `${base}${COLLECTION_PATH}`, script: scripts.getById, scriptArgs: [idsFile], seconds, connections: config.connections, cpu: config.clientCpu });
      const after = processCpuSeconds(pid);
      if (before === undefined || after === undefined || result.requests === 0) throw new Error('no CPU time from /proc: this bench needs Linux');
      return { ...result, cpuUsPerRequest: ((after - before) * 1e6) / result.requests };
    };

    const roundSeconds = Math.max(1, Math.round(config.seconds / config.rounds));
    log(`  ${RECORDS} customers; GET by id without a canary, then with one at ${WEIGHT} %, ${config.rounds} rounds of ${roundSeconds} s`);
    await wrk(config.warmupSeconds);
    let canaryVersion: string | undefined;
    let canaryShare = 0;
    const rounds: CanaryRoutingFigures['rounds'] = [];
    const withCanary = async (): Promise<RunResult> => {
      // The first start loads the new build from the folder; later ones the kept version.
      const started = (await admin('canary', { weight: WEIGHT, ...(canaryVersion ? { version: canaryVersion } : {}) })) as { canary?: { canary?: string | null } };
      canaryVersion = started.canary?.canary ?? undefined;
      if (!canaryVersion) throw new Error(`no canary started: ${JSON.stringify(started)}`);
      const share = await probe(canaryVersion);
      if (rounds.length === 0) canaryShare = share;
      if (share === 0 || share === 1) throw new Error(`the canary answered ${share * 100} % of ${PROBES} probes: both versions must serve`);
      await wrk(Math.min(2, config.warmupSeconds));
      const on = await wrk(roundSeconds);
      await admin('abort');
      // Let the canary's workers drain and go before the next run measures.
      await pause(1_000);
      await probe(undefined);
      return on;
    };
    for (let round = 0; round < config.rounds; round++) {
      // Every other round measures the canary first, so a machine getting busier or quieter favours neither.
      let off: RunResult;
      let on: RunResult;
      if (round % 2 === 0) {
        off = await wrk(roundSeconds);
        on = await withCanary();
      } else {
        on = await withCanary();
        await wrk(Math.min(2, config.warmupSeconds));
        off = await wrk(roundSeconds);
      }
      rounds.push({ off, on });
      log(`  round ${round + 1}: ${off.cpuUsPerRequest.toFixed(1)} CPU µs/req without, ${on.cpuUsPerRequest.toFixed(1)} with the canary (${(on.cpuUsPerRequest - off.cpuUsPerRequest).toFixed(2)} µs)`);
    }
    const errors = rounds.reduce((sum, r) => sum + errorCount(r.off) + errorCount(r.on), 0);
    return { records: RECORDS, connections: config.connections, weight: WEIGHT, roundSeconds, rounds, canaryShare, errors, decisionNs: routingDecisionNs() };
  } finally {
    await stop();
    await removeDir(workDir);
  }
}

/**
 * What a canary adds to a request in the router, measured in this process without HTTP:
 * the version drawn by weight (no sticky key) and the outcome counted in its tally, as
 * model-router.ts does for a split endpoint; the median of 5 runs of 1,000,000.
 */
export function routingDecisionNs(): number {
  const side = (version: string) => ({ version, served: {} as ServedModel, tally: new VersionTally() });
  const canary = { remote: 'orderService', stableVersion: 'stable', canaryVersion: 'canary', policy: { weight: WEIGHT, sticky: undefined }, seed: 1 } as unknown as CanaryEntry;
  const split: EndpointSplit = { canary, stableSide: side('stable'), canarySide: side('canary') };
  const req = { headers: { host: '127.0.0.1', accept: '*/*' } } as unknown as IncomingMessage;
  const runs: number[] = [];
  for (let run = 0; run < 6; run++) {
    const count = 1_000_000;
    const started = process.hrtime.bigint();
    for (let i = 0; i < count; i++) {
      const at = performance.now();
      const chosen = chooseSide(split, req, undefined);
      chosen.tally.record(200, performance.now() - at, false);
    }
    // The first run warms the JIT up and is not counted.
    if (run > 0) runs.push(Number(process.hrtime.bigint() - started) / count);
  }
  return median(runs);
}

/** The median of the rounds' differences (with − without), CPU µs per request. */
export function canaryRoutingCostUs(f: CanaryRoutingFigures): number {
  return median(f.rounds.map((r) => r.on.cpuUsPerRequest - r.off.cpuUsPerRequest));
}

export function canaryRoutingTargetsPassed(f: CanaryRoutingFigures): boolean {
  return f.errors === 0 && f.rounds.length > 0 && canaryRoutingCostUs(f) <= CANARY_ROUTING_TARGET_US;
}

export function renderCanaryRoutingSection(f: CanaryRoutingFigures): string {
  const cost = canaryRoutingCostUs(f);
  const off = median(f.rounds.map((r) => r.off.cpuUsPerRequest));
  const on = median(f.rounds.map((r) => r.on.cpuUsPerRequest));
  const rate = (runs: WrkResult[]) => Math.round(median(runs.map((r) => r.requestsPerSecond))).toLocaleString('en-US');
  return [
    '## Canary routing cost',
    '',
    `One host (example remote, memory datasource, default isolation) with ${f.records} customers, pinned to the server core; wrk -t1 -c${f.connections} \`GET /customers/:id\` on the client core. ` +
      `Each of ${f.rounds.length} rounds measures ${f.roundSeconds} s serving one version, and ${f.roundSeconds} s with a canary of a second build at ${f.weight} % (started before and aborted after its run; both versions serve the model, ${Math.round(f.canaryShare * 100)} % of probe requests were answered by the canary), every other round in the opposite order. ` +
      'CPU is the host process\'s user + system time over each wrk run, per request; the cost is the median of the rounds\' differences.',
    '',
    '| case | req/s (median) | host CPU µs/request (median) |',
    '|---|---:|---:|',
    `| one version | ${rate(f.rounds.map((r) => r.off))} | ${off.toFixed(1)} |`,
    `| canary at ${f.weight} % | ${rate(f.rounds.map((r) => r.on))} | ${on.toFixed(1)} |`,
    '',
    `| target | measured | |`,
    '|---|---:|---|',
    `| a running canary adds ≤ ${CANARY_ROUTING_TARGET_US} CPU µs per GET /:id | ${cost.toFixed(2)} µs | ${cost <= CANARY_ROUTING_TARGET_US ? 'PASS' : 'FAIL'} |`,
    '',
    `The routing work alone, timed in the bench process without HTTP (drawing the version by weight and counting the outcome in its tally, as the router does for a split endpoint): ${f.decisionNs.toFixed(0)} ns per request. ` +
      'On a shared machine the host figures move by a few µs from round to round; this one does not, and bounds what a canary can add.',
    '',
    `Rounds (without → with, µs): ${f.rounds.map((r) => `${r.off.cpuUsPerRequest.toFixed(1)} → ${r.on.cpuUsPerRequest.toFixed(1)}`).join('; ')}. Errors (non-2xx, socket errors, timeouts) in all runs: ${f.errors}.`,
    '',
  ].join('\n');
}
