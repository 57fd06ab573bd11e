/**
 * Bench settings from environment variables, so a quick run (BENCH_SECONDS=2
 * BENCH_WARMUP_SECONDS=1) uses the same code as the full one.
 */
import os from 'node:os';

export interface BenchConfig {
  /** Measured wrk duration of each case and server, in seconds (split into `rounds`). */
  seconds: number;
  /** Interleaved measured rounds per case; each figure is the median round. */
  rounds: number;
  /** Discarded wrk run before each measured one, in seconds (JIT warm-up, connection setup). */
  warmupSeconds: number;
  connections: number;
  /** Records seeded through the API into each server before measuring. */
  records: number;
  /** Core the servers are pinned to, and the core of the load generator. */
  serverCpu: number;
  clientCpu: number;
  /** Disturbed rounds that may be rerun in one run. */
  maxReruns: number;
  /** Seconds the colleague's datasource-level write bench may run (0 skips it). */
  datasourceSeconds: number;
}

function positive(name: string, fallback: number, { integer = false, allowZero = false } = {}): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  const valid = Number.isFinite(value) && (allowZero ? value >= 0 : value > 0) && (!integer || Number.isInteger(value));
  if (!valid) throw new Error(`${name} must be a ${integer ? 'whole' : ''} number${allowZero ? ' ≥ 0' : ' > 0'}, got "${raw}"`);
  return value;
}

export function readBenchConfig(): BenchConfig {
  const cpus = os.availableParallelism();
  const serverCpu = positive('BENCH_SERVER_CPU', 0, { integer: true, allowZero: true });
  // With one core there is no second one to keep the load generator off the server's.
  const clientCpu = positive('BENCH_CLIENT_CPU', Math.min(1, cpus - 1), { integer: true, allowZero: true });
  return {
    seconds: positive('BENCH_SECONDS', 10, { integer: true }),
    rounds: positive('BENCH_ROUNDS', 5, { integer: true }),
    warmupSeconds: positive('BENCH_WARMUP_SECONDS', 3),
    connections: positive('BENCH_CONNECTIONS', 50, { integer: true }),
    records: positive('BENCH_RECORDS', 10_000, { integer: true }),
    serverCpu,
    clientCpu,
    maxReruns: positive('BENCH_MAX_RERUNS', 5, { integer: true, allowZero: true }),
    datasourceSeconds: positive('BENCH_DATASOURCE_SECONDS', 3, { allowZero: true }),
  };
}
