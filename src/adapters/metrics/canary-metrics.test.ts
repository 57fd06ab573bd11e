import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Histogram, Registry } from 'prom-client';
import { VersionTally } from '../../domain/resilience/version-tally.js';
import { registerCanaryMetrics, versionLabel, type CanaryTraffic } from './canary-metrics.js';

const STABLE = `sha256-${'a'.repeat(64)}`;
const CANARY = 'b'.repeat(40);

/** `name{labels} value` lines of one metric family, labels in their written order. */
function lines(text: string, family: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(family));
}

test('labels requests by remote, role, short version and outcome, and writes the histogram prom-client writes for the same latencies', async () => {
  const stable = new VersionTally();
  const canary = new VersionTally();
  const running: CanaryTraffic[] = [];
  const registry = new Registry();
  registerCanaryMetrics(registry, () => running);
  assert.equal(lines(await registry.metrics(), 'microlib_canary_requests_total{').length, 0, 'no canary: no series');

  running.push({ remote: 'kit', stableVersion: STABLE, canaryVersion: CANARY, tallies: { stable, canary } });
  // Latencies (ms) on bounds, between them, below the first and past the last.
  const canaryRequests: Array<[number, number, boolean]> = [
    [200, 0.01, false],
    [200, 0.1, false],
    [201, 0.3, false],
    [404, 3.2, false],
    [400, 12, true],
    [500, 250, false],
    [503, 20_000, false],
  ];
  const theirs = new Registry();
  const bounds = Array.from({ length: 18 }, (_, k) => Number((0.0001 * 2 ** k).toPrecision(6)));
  const histogram = new Histogram({ name: 'microlib_canary_request_duration_seconds', help: 'x', labelNames: ['remote', 'role', 'version'], buckets: bounds, registers: [theirs] });
  for (const [status, ms, modelFailure] of canaryRequests) {
    canary.record(status, ms, modelFailure);
    histogram.observe({ remote: 'kit', role: 'canary', version: CANARY.slice(0, 12) }, ms / 1000);
  }
  stable.record(200, 1, false);

  const text = await registry.metrics();
  assert.deepEqual(lines(text, 'microlib_canary_requests_total{').sort(), [
    `microlib_canary_requests_total{remote="kit",role="canary",version="${CANARY.slice(0, 12)}",outcome="client_error"} 1`,
    `microlib_canary_requests_total{remote="kit",role="canary",version="${CANARY.slice(0, 12)}",outcome="model_failure"} 1`,
    `microlib_canary_requests_total{remote="kit",role="canary",version="${CANARY.slice(0, 12)}",outcome="ok"} 3`,
    `microlib_canary_requests_total{remote="kit",role="canary",version="${CANARY.slice(0, 12)}",outcome="server_error"} 2`,
    `microlib_canary_requests_total{remote="kit",role="stable",version="sha256-aaaaaaaaaaaa",outcome="client_error"} 0`,
    `microlib_canary_requests_total{remote="kit",role="stable",version="sha256-aaaaaaaaaaaa",outcome="model_failure"} 0`,
    `microlib_canary_requests_total{remote="kit",role="stable",version="sha256-aaaaaaaaaaaa",outcome="ok"} 1`,
    `microlib_canary_requests_total{remote="kit",role="stable",version="sha256-aaaaaaaaaaaa",outcome="server_error"} 0`,
  ]);
  const canaryBuckets = (t: string) => lines(t, 'microlib_canary_request_duration_seconds_').filter((l) => l.includes('role="canary"') && !l.includes('_sum'));
  assert.deepEqual(canaryBuckets(text), canaryBuckets(await theirs.metrics()));
  const sum = Number(/microlib_canary_request_duration_seconds_sum\{[^}]*role="canary"[^}]*\} (\S+)/.exec(text)?.[1]);
  assert.ok(Math.abs(sum - canaryRequests.reduce((s, [, ms]) => s + ms / 1000, 0)) < 1e-9, `sum ${sum}`);
  assert.match(text, /# TYPE microlib_canary_request_duration_seconds histogram/);
  assert.match(text, /# TYPE microlib_canary_requests_total counter/);

  running.length = 0;
  assert.equal(lines(await registry.metrics(), 'microlib_canary_requests_total{').length, 0, 'the series end with the canary');
});

test('shortens content hashes and commits for labels, and keeps other versions as they are', () => {
  assert.equal(versionLabel(STABLE), 'sha256-aaaaaaaaaaaa');
  assert.equal(versionLabel(CANARY), 'bbbbbbbbbbbb');
  assert.equal(versionLabel('1.4.2'), '1.4.2');
});
