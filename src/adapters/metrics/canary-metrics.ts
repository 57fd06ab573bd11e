/**
 * Requests by version while a canary runs: `microlib_canary_requests_total`
 * (`remote`, `role`, `version`, `outcome`) and the latency histogram
 * `microlib_canary_request_duration_seconds`. Both are read at scrape time from
 * the per-version tallies the model router already keeps for a split endpoint
 * (`VersionTally`), so a request pays nothing more for them; they exist while
 * the canary runs (a promotion or abort ends its series, as the tallies end).
 */
import type { Registry } from 'prom-client';
import { bucketBoundMs, type TallySnapshot } from '../../domain/resilience/version-tally.js';
import { exportedMetric, type ExportedValue } from './request-tally.js';

/** What a running canary shows /metrics (the catalog's `CanaryEntry` fits as is). */
export interface CanaryTraffic {
  readonly remote: string;
  readonly stableVersion: string;
  readonly canaryVersion: string;
  readonly tallies: { readonly stable: { snapshot(): TallySnapshot }; readonly canary: { snapshot(): TallySnapshot } };
}

/**
 * Upper bounds (seconds) of the exported buckets: each doubling from 0.1 ms to
 * about 13 s. Every one is also a bound of the tally's own finer buckets, so the
 * cumulative counts are exact.
 */
const BOUNDS_SECONDS = Array.from({ length: 18 }, (_, k) => 0.0001 * 2 ** k);
/** Tally bucket bounds are computed, not written down: equal within this (relative) margin. */
const SAME_BOUND = 1e-9;

/** `sha256-<64 hex>` → `sha256-<12>`, a commit → its first 12: readable label values, still unique in practice. */
export function versionLabel(version: string): string {
  if (/^[0-9a-f]{40}$/i.test(version)) return version.slice(0, 12);
  const hashed = /^(sha256-)([0-9a-f]{12})[0-9a-f]+$/i.exec(version);
  return hashed ? `${hashed[1]}${hashed[2]}` : version;
}

interface Side {
  labels: { remote: string; role: 'stable' | 'canary'; version: string };
  tally: TallySnapshot;
}

function sides(canaries: () => Iterable<CanaryTraffic>): Side[] {
  const result: Side[] = [];
  for (const canary of canaries()) {
    result.push({ labels: { remote: canary.remote, role: 'stable', version: versionLabel(canary.stableVersion) }, tally: canary.tallies.stable.snapshot() });
    result.push({ labels: { remote: canary.remote, role: 'canary', version: versionLabel(canary.canaryVersion) }, tally: canary.tallies.canary.snapshot() });
  }
  return result;
}

function counts(canaries: () => Iterable<CanaryTraffic>): ExportedValue[] {
  const values: ExportedValue[] = [];
  for (const { labels, tally } of sides(canaries)) {
    const ok = tally.requests - tally.serverErrors - tally.modelFailures - tally.clientErrors;
    const outcomes: Array<[string, number]> = [
      ['ok', ok],
      ['client_error', tally.clientErrors],
      ['model_failure', tally.modelFailures],
      ['server_error', tally.serverErrors],
    ];
    for (const [outcome, value] of outcomes) values.push({ labels: { ...labels, outcome }, value });
  }
  return values;
}

function latencies(canaries: () => Iterable<CanaryTraffic>): ExportedValue[] {
  const name = 'microlib_canary_request_duration_seconds';
  const values: ExportedValue[] = [];
  for (const { labels, tally } of sides(canaries)) {
    let bucket = 0;
    let cumulative = 0;
    for (const bound of BOUNDS_SECONDS) {
      const boundMs = bound * 1000 * (1 + SAME_BOUND);
      while (bucket < tally.latency.length && bucketBoundMs(bucket) <= boundMs) cumulative += tally.latency[bucket++]!;
      values.push({ labels: { le: Number(bound.toPrecision(6)) }, sharedLabels: labels, value: cumulative, metricName: `${name}_bucket` });
    }
    values.push({ labels: { le: '+Inf' }, sharedLabels: labels, value: tally.requests, metricName: `${name}_bucket` });
    values.push({ labels: {}, sharedLabels: labels, value: tally.latencySumMs / 1000, metricName: `${name}_sum` });
    values.push({ labels: {}, sharedLabels: labels, value: tally.requests, metricName: `${name}_count` });
  }
  return values;
}

/** Registers both metrics; `canaries` gives the canaries running now (read at each scrape). */
export function registerCanaryMetrics(registry: Registry, canaries: () => Iterable<CanaryTraffic>): void {
  // Nothing to reset: the values are the tallies' own, which only a canary's end clears.
  const keep = () => undefined;
  registry.registerMetric(
    exportedMetric('microlib_canary_requests_total', 'Requests of endpoints split by a canary, by version (role stable or canary) and outcome', 'counter', () => counts(canaries), keep),
  );
  registry.registerMetric(
    exportedMetric('microlib_canary_request_duration_seconds', 'Time to answer a request of an endpoint split by a canary, by version', 'histogram', () => latencies(canaries), keep),
  );
}
