import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Json } from '../../../domain/model-spec.js';
import { compareJson, jsonEquals } from './json-order.js';

describe('JSON ordering and equality', () => {
  it('orders types like MongoDB: null < numbers < strings < objects < arrays < booleans', () => {
    const ordered: (Json | undefined)[] = [undefined, null, -5, 0, 1.5, '', 'Z', 'a', { a: 1 }, { b: 0 }, [], [1], false, true];
    for (let i = 0; i < ordered.length; i++) {
      for (let j = 0; j < ordered.length; j++) {
        const expected = i === j || (i < 2 && j < 2) ? 0 : Math.sign(i - j);
        assert.equal(Math.sign(compareJson(ordered[i], ordered[j])), expected, `${JSON.stringify(ordered[i])} vs ${JSON.stringify(ordered[j])}`);
      }
    }
  });

  it('compares strings by UTF-16 code unit, not by locale or code point', () => {
    assert.ok(compareJson('B', 'a') < 0);
    assert.ok(compareJson('a', 'é') < 0);
    // U+1F600 is stored as the surrogates D83D DE00, below U+FF5E.
    assert.ok(compareJson('😀', '～') < 0);
  });

  it('compares nested objects and arrays element by element', () => {
    assert.ok(compareJson({ a: 1, b: 2 }, { a: 1, b: 3 }) < 0);
    assert.ok(compareJson({ a: 1 }, { a: 1, b: 0 }) < 0);
    assert.ok(compareJson([1, 'x'], [1, 'y']) < 0);
    assert.ok(compareJson([2], [1, 9]) > 0);
    assert.equal(compareJson({ a: [1, { b: null }] }, { a: [1, { b: null }] }), 0);
  });

  it('treats objects with the same fields in another order as equal in filters', () => {
    assert.ok(jsonEquals({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 }));
    assert.ok(!jsonEquals({ a: 1 }, { a: 1, b: null }));
    assert.ok(!jsonEquals([1, 2], [2, 1]));
    assert.ok(!jsonEquals({ 0: 'x' }, ['x']));
  });
});
