import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StoredRecord } from '../../../domain/model-spec.js';
import { listQuery, makeRecord } from '../../../testing/index.js';
import { compareJson } from '../shared/json-order.js';
import { encodeCursor } from '../shared/list-cursor.js';
import { InMemoryCollection } from './in-memory-collection.js';
import { SmallestK } from './smallest-k.js';

/** A collection filled with `records` in order. */
function collectionOf(records: readonly StoredRecord[]): InMemoryCollection {
  const collection = new InMemoryCollection();
  for (const record of records) collection.insert(structuredClone(record), collection.allocateSeq());
  return collection;
}

/** Deterministic pseudo-random numbers, so a failing case can be replayed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('in-memory collection queries', () => {
  it('sorts objects and arrays after strings and before booleans', () => {
    const collection = collectionOf([
      makeRecord('a', { v: true }),
      makeRecord('b', { v: [0] }),
      makeRecord('c', { v: { k: 1 } }),
      makeRecord('d', { v: 'text' }),
      makeRecord('e', { v: 3 }),
    ]);
    const page = collection.list(listQuery({ sort: [{ field: 'v', direction: 1 }] }));
    assert.deepEqual(
      page.records.map((record) => record.id),
      ['e', 'd', 'c', 'b', 'a'],
    );
  });

  it('does not read fields from the object prototype', () => {
    const collection = collectionOf([makeRecord('a'), makeRecord('b', { constructor: 'x' })]);
    assert.deepEqual(
      collection.list(listQuery({ filter: { constructor: null } })).records.map((record) => record.id),
      ['a'],
    );
  });

  it('keeps a "__proto__" field as data', () => {
    const record = JSON.parse('{"id":"p","createdAt":"","updatedAt":"","revision":1,"__proto__":{"polluted":true}}') as StoredRecord;
    const collection = collectionOf([record]);
    const copy = collection.get('p') as StoredRecord;
    assert.equal(Object.getPrototypeOf(copy), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(copy, '__proto__')?.value, { polluted: true });
  });

  it('refuses a cursor made for another sort', () => {
    const collection = collectionOf([makeRecord('a', { n: 1 }), makeRecord('b', { n: 2 })]);
    const cursor = encodeCursor([{ field: 'n', direction: 1 }], [1], 'a');
    assert.throws(
      () => collection.list(listQuery({ cursor, sort: [{ field: 'n', direction: -1 }] })),
      (error: unknown) => (error as { code?: string; field?: string }).code === 'MLB_ERR_BAD_QUERY' && (error as { field?: string }).field === 'cursor',
    );
    assert.deepEqual(
      collection.list(listQuery({ cursor, sort: [{ field: 'n', direction: 1 }] })).records.map((record) => record.id),
      ['b'],
    );
  });

  it('rejects a limit below 1 and a negative offset', () => {
    const collection = collectionOf([]);
    assert.throws(() => collection.list(listQuery({ limit: 0 })), { code: 'MLB_ERR_BAD_QUERY', field: 'limit' });
    assert.throws(() => collection.list(listQuery({ limit: 1.5 })), { code: 'MLB_ERR_BAD_QUERY', field: 'limit' });
    assert.throws(() => collection.list(listQuery({ offset: -1 })), { code: 'MLB_ERR_BAD_QUERY', field: 'offset' });
  });

  it('pages sorted queries exactly like a full sort would (randomised, seeded)', () => {
    const random = seededRandom(42);
    const records = Array.from({ length: 300 }, (_, i) =>
      makeRecord(`r${Math.floor(random() * 1e6)}-${i}`, { a: Math.floor(random() * 5), b: random() < 0.2 ? null : Math.floor(random() * 50) }),
    );
    const collection = collectionOf(records);
    const sort = [
      { field: 'a', direction: -1 as const },
      { field: 'b', direction: 1 as const },
    ];
    const expected = [...records]
      .sort((x, y) => compareJson(y['a'], x['a']) || compareJson(x['b'], y['b']) || (x.id < y.id ? -1 : 1))
      .map((record) => record.id);
    for (const [offset, limit] of [
      [0, 1],
      [0, 17],
      [13, 40],
      [290, 20],
      [0, 300],
    ] as const) {
      const page = collection.list(listQuery({ sort, offset, limit }));
      assert.deepEqual(
        page.records.map((record) => record.id),
        expected.slice(offset, offset + limit),
        `offset ${offset} limit ${limit}`,
      );
      assert.equal(page.nextCursor !== undefined, offset + limit < expected.length);
    }
  });
});

describe('in-memory collection pages', () => {
  const collection = collectionOf([makeRecord('a', { n: 1 }), makeRecord('b', { n: 2 }), makeRecord('c', { n: 3 })]);

  it('carries its records through a spread, JSON and a structured clone, as copies', () => {
    const page = collection.list(listQuery({ limit: 2 }));
    for (const copy of [{ ...page }, JSON.parse(JSON.stringify(page)) as typeof page, structuredClone(page)]) {
      assert.deepEqual(
        copy.records.map((record) => record.id),
        ['a', 'b'],
      );
      assert.equal(copy.nextCursor, page.nextCursor);
    }
    page.records[0]!['n'] = 99;
    assert.equal(collection.get('a')?.['n'], 1, 'changing a listed record leaves the stored one alone');
    assert.equal(page.records[0]!['n'], 99, 'the page keeps the copies it handed out');
    page.records = [];
    assert.deepEqual(page.records, []);
  });

  it('gives the same cursor for a page ending on the same record, and it resumes after it', () => {
    const first = collection.list(listQuery({ limit: 1 }));
    const again = collection.list(listQuery({ limit: 1 }));
    assert.ok(first.nextCursor);
    assert.equal(again.nextCursor, first.nextCursor);
    const next = collection.list(listQuery({ limit: 1, cursor: first.nextCursor }));
    assert.deepEqual(
      next.records.map((record) => record.id),
      ['b'],
    );
  });
});

// The collection's bounded selection (smallest-k.ts), which keeps sorted pages cheap.
describe('bounded selection', () => {
  it('keeps the k smallest items in order', () => {
    const random = seededRandom(7);
    const items = Array.from({ length: 500 }, () => Math.floor(random() * 100));
    for (const k of [0, 1, 2, 10, 499, 500, 800]) {
      const selection = new SmallestK<number>(k, (a, b) => a - b);
      for (const item of items) selection.offer(item);
      assert.deepEqual(selection.sorted(), [...items].sort((a, b) => a - b).slice(0, k));
    }
  });
});
