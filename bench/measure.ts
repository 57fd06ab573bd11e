/**
 * Measures one case on every server. The VM this runs on drifts by tens of
 * percent from one run to the next, so the servers take turns: after one
 * discarded warm-up each, the measured time is split into rounds run
 * server after server (order rotating), and each figure is the median round.
 */
import type { BenchConfig } from './config.js';
import { busyFraction, coreTimes, processCpuSeconds } from './cpu-usage.js';
import { COLLECTION_PATH } from './customers-api.js';
import type { ServerProcess } from './server-process.js';
import { errorCount, runWrk, type WrkResult } from './wrk.js';
import type { WrkScripts } from './wrk-scripts.js';

export type CaseKind = 'get' | 'list' | 'post';

export const CASE_LABELS: Record<CaseKind, string> = {
  get: 'GET /customers/:id',
  list: 'GET /customers?limit=20',
  post: 'POST /customers',
};

export const PAGE_SIZE = 20;

/** A server ready to measure: seeded, checked, with the file of its ids. */
export interface PreparedServer {
  key: string;
  label: string;
  process: ServerProcess;
  idsFile: string;
  /**
   * Its own helper process runs on the bench cores (the MongoDB test server):
   * the "other load" it shows is its own, so its rounds are never rerun, which
   * would only spend the reruns the other servers may need.
   */
  loadsOtherCores?: boolean;
}

export interface CaseFigures {
  /** Median round. */
  requestsPerSecond: number;
  minRequestsPerSecond: number;
  maxRequestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Over all rounds. */
  requests: number;
  seconds: number;
  non2xx: number;
  socketErrors: number;
  timeouts: number;
  /** Server CPU time per request: unlike req/s, hardly changed when other processes share the core. */
  cpuMicrosPerRequest: number | undefined;
  /** Mean share of one core used by the server process, and busy share of the client core. */
  serverCpu: number | undefined;
  clientCore: number | undefined;
  /**
   * Mean share of the server's core used by anything but the server, and of
   * the client core by anything but wrk: other processes on this machine.
   */
  otherLoad: number | undefined;
}

export interface MeasureContext {
  config: BenchConfig;
  scripts: WrkScripts;
  /** Reruns of disturbed rounds left for the whole run (keeps the run's length bounded). */
  reruns: { left: number };
  log(line: string): void;
}

/** A round in which other processes took more than this share of the server's core is run again once. */
export const DISTURBED_LOAD = 0.15;

export const percent = (value: number | undefined) => (value === undefined ? '?' : `${Math.round(value * 100)}%`);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The wrk URL, Lua script and script arguments of a case on one server. */
export function wrkRun(kind: CaseKind, server: PreparedServer, scripts: WrkScripts) {
  const base = `${server.process.url}${COLLECTION_PATH}`;
  switch (kind) {
    case 'get':
      return { url: base, script: scripts.getById, scriptArgs: [server.idsFile] };
    case 'list':
      return { url: `${base}?limit=${PAGE_SIZE}`, script: scripts.plain };
    case 'post':
      return { url: base, script: scripts.post };
  }
}

export interface Round {
  result: WrkResult;
  /** CPU seconds the server used during the round, and as a share of the round's wall time. */
  serverCpuSeconds: number | undefined;
  serverCpu: number | undefined;
  clientCore: number | undefined;
  otherLoad: number | undefined;
}

/** One measured wrk run, with the CPU use of the server, of wrk and of everything else. */
export async function measuredRound(kind: CaseKind, server: PreparedServer, seconds: number, ctx: MeasureContext): Promise<Round> {
  const { config } = ctx;
  const cpuBefore = processCpuSeconds(server.process.pid);
  const clientBefore = coreTimes(config.clientCpu);
  const serverCoreBefore = coreTimes(config.serverCpu);
  const started = performance.now();
  const result = await runWrk({ ...wrkRun(kind, server, ctx.scripts), seconds, connections: config.connections, cpu: config.clientCpu });
  const elapsed = (performance.now() - started) / 1000;
  const cpuAfter = processCpuSeconds(server.process.pid);
  const serverCpuSeconds = cpuBefore !== undefined && cpuAfter !== undefined ? cpuAfter - cpuBefore : undefined;
  const serverCpu = serverCpuSeconds === undefined ? undefined : serverCpuSeconds / elapsed;
  const serverCore = busyFraction(serverCoreBefore, coreTimes(config.serverCpu));
  const clientCore = busyFraction(clientBefore, coreTimes(config.clientCpu));
  // On a quiet machine each core is busy with its own process alone (loopback softirqs included).
  const serverOther = serverCore !== undefined && serverCpu !== undefined ? serverCore - serverCpu : undefined;
  const clientOther = clientCore !== undefined && result.cpuSeconds !== undefined ? clientCore - result.cpuSeconds / elapsed : undefined;
  const known = [serverOther, clientOther].filter((v): v is number => v !== undefined);
  const otherLoad = known.length ? Math.max(0, ...known) : undefined;
  return { result, serverCpuSeconds, serverCpu, clientCore, otherLoad };
}

type ErrorCounts = Pick<WrkResult, 'non2xx' | 'socketErrors' | 'timeouts'>;

/** Errors of runs whose speed is not kept (warm-ups, disturbed rounds) still count. */
function withErrorsOf(kept: Round, dropped: ErrorCounts): Round {
  const r = kept.result;
  return { ...kept, result: { ...r, non2xx: r.non2xx + dropped.non2xx, socketErrors: r.socketErrors + dropped.socketErrors, timeouts: r.timeouts + dropped.timeouts } };
}

function summarise(rounds: Round[]): CaseFigures {
  const results = rounds.map((r) => r.result);
  const rates = results.map((r) => r.requestsPerSecond);
  const sum = (pick: (r: WrkResult) => number) => results.reduce((total, r) => total + pick(r), 0);
  const mean = (values: Array<number | undefined>) => (values.some((v) => v === undefined) ? undefined : (values as number[]).reduce((a, b) => a + b, 0) / values.length);
  return {
    requestsPerSecond: median(rates),
    minRequestsPerSecond: Math.min(...rates),
    maxRequestsPerSecond: Math.max(...rates),
    p50Ms: median(results.map((r) => r.p50Ms)),
    p99Ms: median(results.map((r) => r.p99Ms)),
    requests: sum((r) => r.requests),
    seconds: sum((r) => r.seconds),
    non2xx: sum((r) => r.non2xx),
    socketErrors: sum((r) => r.socketErrors),
    timeouts: sum((r) => r.timeouts),
    cpuMicrosPerRequest: rounds.some((r) => r.serverCpuSeconds === undefined)
      ? undefined
      : (1e6 * rounds.reduce((total, r) => total + r.serverCpuSeconds!, 0)) / Math.max(1, sum((r) => r.requests)),
    serverCpu: mean(rounds.map((r) => r.serverCpu)),
    clientCore: mean(rounds.map((r) => r.clientCore)),
    otherLoad: mean(rounds.map((r) => r.otherLoad)),
  };
}

/** Warm-up on each server, then `config.rounds` interleaved measured rounds. */
export async function measureCase(kind: CaseKind, servers: readonly PreparedServer[], ctx: MeasureContext): Promise<Map<string, CaseFigures>> {
  const { config } = ctx;
  ctx.log(`${CASE_LABELS[kind]}`);
  const rounds = new Map<string, Round[]>(servers.map((s) => [s.key, []]));
  const warmupErrors = new Map<string, ErrorCounts>();
  for (const server of servers) {
    warmupErrors.set(server.key, await runWrk({ ...wrkRun(kind, server, ctx.scripts), seconds: config.warmupSeconds, connections: config.connections, cpu: config.clientCpu }));
  }
  const roundSeconds = Math.max(1, Math.round(config.seconds / config.rounds));
  for (let round = 0; round < config.rounds; round++) {
    // Rotating the order keeps any drift within a round from favouring one server.
    for (let i = 0; i < servers.length; i++) {
      const server = servers[(round + i) % servers.length]!;
      let measured = await measuredRound(kind, server, roundSeconds, ctx);
      if ((measured.otherLoad ?? 0) > DISTURBED_LOAD && ctx.reruns.left > 0 && !server.loadsOtherCores) {
        // The machine is shared: another process ate into this round, so it says little about the server.
        ctx.reruns.left--;
        ctx.log(`  (${server.label}: round ${round + 1} disturbed, other processes took ${percent(measured.otherLoad)} of a bench core; running it again)`);
        measured = withErrorsOf(await measuredRound(kind, server, roundSeconds, ctx), measured.result);
      }
      if (round === 0) measured = withErrorsOf(measured, warmupErrors.get(server.key)!);
      rounds.get(server.key)!.push(measured);
    }
  }
  const figures = new Map<string, CaseFigures>();
  for (const server of servers) {
    const f = summarise(rounds.get(server.key)!);
    figures.set(server.key, f);
    const errors = errorCount(f);
    ctx.log(
      `  ${server.label.padEnd(44)} ${Math.round(f.requestsPerSecond).toString().padStart(7)} req/s (${Math.round(f.minRequestsPerSecond)}–${Math.round(f.maxRequestsPerSecond)})` +
        `  p99 ${f.p99Ms.toFixed(2)} ms  ${f.cpuMicrosPerRequest?.toFixed(1) ?? '?'} CPU µs/req  server CPU ${percent(f.serverCpu)}, other load ${percent(f.otherLoad)}, wrk core ${percent(f.clientCore)}` +
        (errors ? `  ERRORS: ${f.non2xx} non-2xx, ${f.socketErrors} socket, ${f.timeouts} timeouts` : ''),
    );
  }
  return figures;
}
