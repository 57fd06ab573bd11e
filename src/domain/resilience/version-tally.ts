/**
 * What one version of a remote answered while a canary runs: requests, failures
 * and latency, aggregated as they happen (a few increments per request, never a
 * log of requests). Failures are split by who caused them: the server (5xx), the
 * model's own code (a hook threw; answered 4xx, yet the version's fault when it
 * happens more on one version than the other), and clients (every other 4xx).
 * Latency goes into a small histogram of log-spaced buckets (each about 19 %
 * wider than the last), from which p50 and p99 are read.
 *
 * Counts only grow: an analysis comparing a window of two versions takes a
 * snapshot at the start of the window and subtracts it (`tallySince`).
 */

/** The lowest bucket's upper bound, in milliseconds. */
const FIRST_BOUND_MS = 0.05;
/** Buckets per doubling of latency. */
const PER_DOUBLING = 4;
/** 0.05 ms · 2^(95/4) ≈ 11 minutes: every longer request lands in the last bucket. */
const BUCKETS = 96;

/** A copy of a tally at one moment; plain data, safe to send and to keep. */
export interface TallySnapshot {
  readonly requests: number;
  /** Answers with a 5xx status. */
  readonly serverErrors: number;
  /** Requests the model's own code failed (a factory, validate or hook threw). */
  readonly modelFailures: number;
  /** Other 4xx answers (bad input, not found, refused): the client's doing. */
  readonly clientErrors: number;
  /** Requests per latency bucket (`bucketBoundMs(i)` is bucket i's upper bound). */
  readonly latency: readonly number[];
  /** The requests' latencies added up, in milliseconds (a histogram's `_sum`). */
  readonly latencySumMs: number;
}

/** What a snapshot (or a window of two) says in numbers a person compares. */
export interface TallySummary {
  requests: number;
  /** serverErrors + modelFailures: what counts against a version. */
  errors: number;
  /** errors / requests (0 without requests). */
  errorRate: number;
  serverErrors: number;
  modelFailures: number;
  clientErrors: number;
  /** Upper bound of the bucket holding the median and the 99th percentile; null without requests. */
  p50Ms: number | null;
  p99Ms: number | null;
}

/** Upper bound (ms) of latency bucket `i`. */
export function bucketBoundMs(i: number): number {
  return FIRST_BOUND_MS * 2 ** (i / PER_DOUBLING);
}

export class VersionTally {
  private requests = 0;
  private serverErrors = 0;
  private modelFailures = 0;
  private clientErrors = 0;
  private latencySumMs = 0;
  private readonly latency = new Float64Array(BUCKETS);

  /** One answered request: its status, how long it took, and whether the model's own code failed it. */
  record(status: number, ms: number, modelFailure: boolean): void {
    this.requests++;
    if (status >= 500) this.serverErrors++;
    else if (modelFailure) this.modelFailures++;
    else if (status >= 400) this.clientErrors++;
    this.latencySumMs += ms;
    const i = ms <= FIRST_BOUND_MS ? 0 : Math.ceil(PER_DOUBLING * Math.log2(ms / FIRST_BOUND_MS));
    this.latency[i < BUCKETS ? i : BUCKETS - 1]!++;
  }

  snapshot(): TallySnapshot {
    return {
      requests: this.requests,
      serverErrors: this.serverErrors,
      modelFailures: this.modelFailures,
      clientErrors: this.clientErrors,
      latency: Array.from(this.latency),
      latencySumMs: this.latencySumMs,
    };
  }
}

/** What happened between `earlier` and `now` (two snapshots of one tally). */
export function tallySince(now: TallySnapshot, earlier: TallySnapshot): TallySnapshot {
  return {
    requests: now.requests - earlier.requests,
    serverErrors: now.serverErrors - earlier.serverErrors,
    modelFailures: now.modelFailures - earlier.modelFailures,
    clientErrors: now.clientErrors - earlier.clientErrors,
    latency: now.latency.map((count, i) => count - (earlier.latency[i] ?? 0)),
    latencySumMs: now.latencySumMs - earlier.latencySumMs,
  };
}

/** The sum of snapshots (the same version's tallies in several processes). */
export function tallySum(snapshots: readonly TallySnapshot[]): TallySnapshot {
  const latency = new Array<number>(BUCKETS).fill(0);
  let requests = 0;
  let serverErrors = 0;
  let modelFailures = 0;
  let clientErrors = 0;
  let latencySumMs = 0;
  for (const s of snapshots) {
    requests += s.requests;
    serverErrors += s.serverErrors;
    modelFailures += s.modelFailures;
    clientErrors += s.clientErrors;
    latencySumMs += s.latencySumMs;
    s.latency.forEach((count, i) => (latency[i] = (latency[i] ?? 0) + count));
  }
  return { requests, serverErrors, modelFailures, clientErrors, latency, latencySumMs };
}

/** The latency below which `q` (0–1) of the requests finished: the upper bound of the bucket that reaches it. */
export function latencyQuantileMs(snapshot: TallySnapshot, q: number): number | null {
  const total = snapshot.latency.reduce((sum, count) => sum + count, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < snapshot.latency.length; i++) {
    seen += snapshot.latency[i]!;
    if (seen >= rank) return Math.round(bucketBoundMs(i) * 1000) / 1000;
  }
  return Math.round(bucketBoundMs(snapshot.latency.length - 1) * 1000) / 1000;
}

export function summariseTally(snapshot: TallySnapshot): TallySummary {
  const errors = snapshot.serverErrors + snapshot.modelFailures;
  return {
    requests: snapshot.requests,
    errors,
    errorRate: snapshot.requests === 0 ? 0 : errors / snapshot.requests,
    serverErrors: snapshot.serverErrors,
    modelFailures: snapshot.modelFailures,
    clientErrors: snapshot.clientErrors,
    p50Ms: latencyQuantileMs(snapshot, 0.5),
    p99Ms: latencyQuantileMs(snapshot, 0.99),
  };
}
