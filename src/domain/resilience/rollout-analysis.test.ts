import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_ROLLOUT, judgeStep, type RolloutPlan } from './rollout-analysis.js';
import { summariseTally, VersionTally } from './version-tally.js';

const plan: RolloutPlan = { ...DEFAULT_ROLLOUT, stepSeconds: 10, minRequests: 100, maxErrorRate: 0.01, maxP99Ratio: 1.5, minP99Ms: 5 };

/** A summary of `requests` answers taking `ms`, `errors` of them 500s. */
function tally(requests: number, errors: number, ms: number) {
  const t = new VersionTally();
  for (let i = 0; i < requests; i++) t.record(i < errors ? 500 : 200, ms, false);
  return summariseTally(t.snapshot());
}

describe('judgeStep', () => {
  it('waits for minRequests before judging anything, however bad the canary looks', () => {
    const judgement = judgeStep(plan, { stable: tally(1000, 0, 1), canary: tally(99, 99, 1), elapsedMs: 60_000, stableP99Ms: null });
    assert.equal(judgement.verdict, 'wait');
    assert.match(judgement.reason, /99 of the 100 canary requests/);
  });

  it('rolls back as soon as the error rate exceeds the stable one by maxErrorRate, before the step time is up', () => {
    const judgement = judgeStep(plan, { stable: tally(2000, 0, 1), canary: tally(100, 100, 1), elapsedMs: 300, stableP99Ms: null });
    assert.equal(judgement.verdict, 'rollback');
    assert.match(judgement.reason, /error rate 100 % \(100 of 100 requests: 100 server errors, 0 model failures\) against 0 % on the stable version exceeds maxErrorRate 1 %/);
  });

  it('does not blame the canary for errors the stable version has as much', () => {
    const judgement = judgeStep(plan, { stable: tally(1000, 100, 1), canary: tally(100, 10, 1), elapsedMs: 300, stableP99Ms: null });
    assert.equal(judgement.verdict, 'wait');
  });

  it('advances after stepSeconds when healthy, and judges the p99 ratio then, with latencies under minP99Ms counted as minP99Ms', () => {
    assert.equal(judgeStep(plan, { stable: tally(1000, 0, 1), canary: tally(100, 0, 1), elapsedMs: 9_999, stableP99Ms: null }).verdict, 'wait');
    assert.equal(judgeStep(plan, { stable: tally(1000, 0, 1), canary: tally(100, 0, 1), elapsedMs: 10_000, stableP99Ms: null }).verdict, 'advance');
    // 0.5 ms against 2 ms is 4× slower, yet both count as 5 ms.
    assert.equal(judgeStep(plan, { stable: tally(1000, 0, 0.5), canary: tally(100, 0, 2), elapsedMs: 10_000, stableP99Ms: null }).verdict, 'advance');
    const slow = judgeStep(plan, { stable: tally(1000, 0, 10), canary: tally(100, 0, 40), elapsedMs: 10_000, stableP99Ms: null });
    assert.equal(slow.verdict, 'rollback');
    assert.match(slow.reason, /exceeds maxP99Ratio 1.5/);
  });

  it('compares latency with the last stable p99 it had when the stable version gets too few requests (the canary at 100 %)', () => {
    const window = { stable: tally(0, 0, 1), canary: tally(500, 0, 40), elapsedMs: 10_000 };
    assert.equal(judgeStep(plan, { ...window, stableP99Ms: null }).verdict, 'advance', 'nothing to compare with');
    assert.equal(judgeStep(plan, { ...window, stableP99Ms: 10 }).verdict, 'rollback');
  });
});
