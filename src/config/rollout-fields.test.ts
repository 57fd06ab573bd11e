import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { normaliseRemoteEntries } from './remote-entries.js';
import { DEFAULT_ROLLOUT } from '../domain/resilience/rollout-analysis.js';

const entry = (rollout: unknown) => [{ name: 'kit', kind: 'local', path: './kit', rollout }];
const read = (rollout: unknown) => normaliseRemoteEntries(entry(rollout), '/base')[0]!.rollout;

describe('remoteEntries rollout', () => {
  it('reads a rollout with defaults for what it leaves out, true for all defaults, and none when absent', () => {
    assert.deepEqual(read({ steps: [10, 100], stepSeconds: 5, maxErrorRate: 0.05, minRequests: 20, onRestart: 'rollback' }), {
      ...DEFAULT_ROLLOUT,
      steps: [10, 100],
      stepSeconds: 5,
      maxErrorRate: 0.05,
      minRequests: 20,
      onRestart: 'rollback',
    });
    assert.deepEqual(read(true), DEFAULT_ROLLOUT);
    assert.equal(read(undefined), undefined);
    assert.equal(normaliseRemoteEntries([{ name: 'kit', kind: 'local', path: './kit' }], '/base')[0]!.rollout, undefined);
  });

  it('refuses a bad rollout naming the field and what it must be', () => {
    const refusals: Array<[unknown, RegExp]> = [
      ['fast', /entry 0 \(kit\): "rollout" must be an object/],
      [{ steps: [] }, /"rollout.steps" must be a non-empty array of whole percentages from 1 to 100/],
      [{ steps: [5, 50, 25] }, /"rollout.steps\[2\]" \(25\) must be larger than the step before it \(50\)/],
      [{ steps: [5, 5] }, /"rollout.steps\[1\]" \(5\) must be larger/],
      [{ steps: [0, 100] }, /"rollout.steps\[0\]" must be a whole percentage from 1 to 100, got 0/],
      [{ steps: [50, 150] }, /"rollout.steps\[1\]" must be a whole percentage from 1 to 100, got 150/],
      [{ steps: [2.5] }, /"rollout.steps\[0\]" must be a whole percentage/],
      [{ stepSeconds: 0 }, /"rollout.stepSeconds" must be a whole number of seconds from 1 to 86400, got 0/],
      [{ stepSeconds: '60' }, /"rollout.stepSeconds" must be a whole number of seconds/],
      [{ maxErrorRate: 1.5 }, /"rollout.maxErrorRate" must be a rate from 0 to 1/],
      [{ maxP99Ratio: 0.5 }, /"rollout.maxP99Ratio" must be a factor from 1 to 1000/],
      [{ minRequests: -1 }, /"rollout.minRequests" must be a whole number of requests, 0 or more/],
      [{ minP99Ms: Number.NaN }, /"rollout.minP99Ms" must be a number of milliseconds/],
      [{ onRestart: 'restart' }, /"rollout.onRestart" must be "resume" or "rollback", got "restart"/],
      [{ step: [5, 100] }, /"rollout.step" is not a rollout setting \(known: steps, stepSeconds/],
    ];
    for (const [rollout, message] of refusals) assert.throws(() => read(rollout), message, JSON.stringify(rollout));
  });
});
