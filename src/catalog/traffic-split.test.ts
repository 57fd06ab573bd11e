import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bucketOf, describeSticky, splitSeed } from './traffic-split.js';

describe('traffic split', () => {
  it('hashes a key with the remote name to the same bucket every time, in 0–99', () => {
    const seed = splitSeed('orders');
    for (let i = 0; i < 1_000; i++) {
      const bucket = bucketOf(seed, `user-${i}`);
      assert.ok(Number.isInteger(bucket) && bucket >= 0 && bucket < 100);
      assert.equal(bucketOf(splitSeed('orders'), `user-${i}`), bucket);
    }
    // Pinned values: every node and process must agree, so the function may never change silently.
    assert.deepEqual(['alice', 'bob', 'user-1'].map((key) => bucketOf(seed, key)), [62, 5, 57]);
  });

  it('spreads similar keys evenly: each tenth of the buckets holds 10 % ± 2 of 10,000 keys', () => {
    const seed = splitSeed('orders');
    const tenths = new Array<number>(10).fill(0);
    for (let i = 0; i < 10_000; i++) tenths[Math.floor(bucketOf(seed, `user-${i}`) / 10)]!++;
    for (const count of tenths) assert.ok(count > 800 && count < 1_200, `tenths: ${tenths.join(', ')}`);
  });

  it('splits keys differently for different remotes', () => {
    const a = splitSeed('orders');
    const b = splitSeed('billing');
    let same = 0;
    for (let i = 0; i < 1_000; i++) if (bucketOf(a, `k${i}`) === bucketOf(b, `k${i}`)) same++;
    assert.ok(same < 50, `${same} of 1,000 keys share a bucket`);
  });

  it('describes stickiness for logs', () => {
    assert.equal(describeSticky(undefined), 'none');
    assert.equal(describeSticky({ header: 'x-user' }), 'header x-user');
    assert.equal(describeSticky({ cookie: 'sid' }), 'cookie sid');
    assert.equal(describeSticky({ subject: true }), 'subject');
  });
});
