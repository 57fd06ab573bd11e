import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RecentIds } from './recent-ids.js';

describe('RecentIds', () => {
  it('tells duplicates, and forgets the oldest beyond its capacity', () => {
    const ids = new RecentIds(2);
    assert.equal(ids.add('a'), true);
    assert.equal(ids.add('a'), false);
    ids.add('b');
    ids.add('c');
    assert.equal(ids.has('a'), false);
    assert.equal(ids.has('b'), true);
    assert.equal(ids.has('c'), true);
  });
});
