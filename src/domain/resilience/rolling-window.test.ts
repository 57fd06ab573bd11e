import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RollingWindow } from './rolling-window.js';

describe('RollingWindow', () => {
  it('sums the outcomes of the current and previous buckets', () => {
    const w = new RollingWindow(1000, 4); // buckets of 250 ms
    w.record(0, true);
    w.record(100, false);
    w.record(300, true);
    w.record(999, false);
    assert.deepEqual(w.counts(999), { successes: 2, failures: 2 });
  });

  it('drops a bucket once it leaves the window, and reuses its slot', () => {
    const w = new RollingWindow(1000, 4);
    w.record(0, true); // bucket 0
    w.record(260, true); // bucket 1
    assert.deepEqual(w.counts(999), { successes: 0, failures: 2 });
    assert.deepEqual(w.counts(1000), { successes: 0, failures: 1 }, 'bucket 0 expired');
    w.record(1010, false); // bucket 4 takes the slot of bucket 0
    assert.deepEqual(w.counts(1010), { successes: 1, failures: 1 });
    assert.deepEqual(w.counts(5000), { successes: 0, failures: 0 });
  });

  it('forgets everything on reset', () => {
    const w = new RollingWindow(1000, 10);
    w.record(5, true);
    w.reset();
    assert.deepEqual(w.counts(5), { successes: 0, failures: 0 });
  });
});
