// The block list under the sorted indexes against a plain sorted array: random adds and
// deletes across many blocks (splits, emptied blocks), ranks and walks both ways.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SortedList } from './sorted-list.js';

function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const walk = (next: () => number | undefined) => {
  const items: number[] = [];
  for (let item = next(); item !== undefined; item = next()) items.push(item);
  return items;
};

describe('sorted list', () => {
  it('agrees with a sorted array through random adds, deletes, ranks and walks', () => {
    const random = seededRandom(11);
    const list = new SortedList<number>((a, b) => a - b);
    const expected: number[] = [];
    const checkAt = (step: number) => {
      assert.equal(list.size, expected.length, `size at step ${step}`);
      const threshold = Math.floor(random() * 10_000);
      const rank = expected.findIndex((item) => item >= threshold);
      assert.equal(list.rankWhere((item) => item >= threshold), rank < 0 ? expected.length : rank, `rank at step ${step}`);
      const from = Math.floor(random() * (expected.length + 1));
      const to = from + Math.floor(random() * (expected.length - from + 1));
      assert.deepEqual(walk(list.cursor(from, to).next), expected.slice(from, to), `walk ${from}..${to} at step ${step}`);
      assert.deepEqual(walk(list.reverseCursor(from, to).next), expected.slice(from, to).reverse(), `reverse walk at step ${step}`);
    };
    for (let step = 0; step < 12_000; step++) {
      // Mostly adds at first, then mostly deletes, so blocks split and empty again.
      const adding = random() < (step < 8_000 ? 0.8 : 0.1);
      if (adding || expected.length === 0) {
        const item = Math.floor(random() * 1e6) * 2;
        if (expected.includes(item)) continue;
        list.add(item);
        const at = expected.findIndex((x) => x > item);
        expected.splice(at < 0 ? expected.length : at, 0, item);
      } else {
        const item = expected[Math.floor(random() * expected.length)] as number;
        assert.equal(list.delete(item + 1), false, 'an absent item is not deleted');
        assert.equal(list.delete(item), true);
        expected.splice(expected.indexOf(item), 1);
      }
      if (step % 500 === 0) checkAt(step);
    }
    checkAt(-1);
    assert.deepEqual([...list], expected);
  });

  it('is built from sorted items in blocks and walks them', () => {
    const list = new SortedList<number>((a, b) => a - b);
    const items = Array.from({ length: 3_000 }, (_, i) => i * 3);
    list.build(items);
    assert.equal(list.size, 3_000);
    assert.equal(list.rankWhere((item) => item >= 1_500), 500);
    assert.deepEqual(walk(list.cursor(510, 1_030).next), items.slice(510, 1_030));
    list.add(1);
    assert.equal(list.rankWhere((item) => item >= 3), 2);
  });
});
