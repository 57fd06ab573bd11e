import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { latencyQuantileMs, summariseTally, tallySince, tallySum, VersionTally } from './version-tally.js';

describe('VersionTally', () => {
  it('counts requests, server errors, model failures and client errors apart', () => {
    const tally = new VersionTally();
    tally.record(200, 1, false);
    tally.record(500, 1, false);
    tally.record(503, 1, true);
    tally.record(400, 1, true);
    tally.record(404, 1, false);
    const summary = summariseTally(tally.snapshot());
    assert.deepEqual(
      { requests: summary.requests, errors: summary.errors, serverErrors: summary.serverErrors, modelFailures: summary.modelFailures, clientErrors: summary.clientErrors, errorRate: summary.errorRate },
      { requests: 5, errors: 3, serverErrors: 2, modelFailures: 1, clientErrors: 1, errorRate: 0.6 },
    );
  });

  it('reads p50 and p99 from its histogram within one bucket (~19 %)', () => {
    const tally = new VersionTally();
    for (let i = 0; i < 990; i++) tally.record(200, 2, false);
    for (let i = 0; i < 10; i++) tally.record(200, 100, false);
    const { p50Ms, p99Ms } = summariseTally(tally.snapshot());
    assert.ok(p50Ms! >= 2 && p50Ms! < 2.4, `p50 ${p50Ms}`);
    assert.ok(p99Ms! >= 2 && p99Ms! < 2.4, `p99 ${p99Ms}: 99 % took 2 ms`);
    assert.ok(latencyQuantileMs(tally.snapshot(), 0.999)! >= 100, 'the slowest tenth of a percent took 100 ms');
    assert.equal(summariseTally(new VersionTally().snapshot()).p99Ms, null);
    tally.record(200, 10 ** 9, false);
    assert.ok(latencyQuantileMs(tally.snapshot(), 1)! > 600_000, 'a very slow request lands in the last bucket');
  });

  it('gives a window by subtracting an earlier snapshot, and sums processes', () => {
    const tally = new VersionTally();
    tally.record(500, 1, false);
    const earlier = tally.snapshot();
    tally.record(200, 1, false);
    tally.record(200, 1, false);
    const window = tallySince(tally.snapshot(), earlier);
    assert.equal(window.requests, 2);
    assert.equal(window.serverErrors, 0);
    assert.equal(window.latency.reduce((a, b) => a + b, 0), 2);
    const both = tallySum([earlier, window]);
    assert.deepEqual(both, tally.snapshot());
  });
});
