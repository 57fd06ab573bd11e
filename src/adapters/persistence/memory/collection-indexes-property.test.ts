// Indexed and unindexed collections fed the same writes give the same pages for
// many random queries (seeded, so a failure replays): ties, mixed types, null and
// missing fields, date-times with and without offsets, cursors, counts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FieldCondition, ListQuery, Page, ScalarJson, SortKey } from '../../../domain/datasource.js';
import type { Json, StoredRecord } from '../../../domain/model-spec.js';
import { listQuery, makeRecord } from '../../../testing/index.js';
import { InMemoryCollection } from './in-memory-collection.js';
import { readIndexDeclarations } from './index-declarations.js';

/** Deterministic pseudo-random numbers, so a failing case can be replayed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const FIELDS = ['a', 'b', 'c', 'd'] as const;
const STRINGS = ['', 'a', 'ab', 'abc', 'b', 'B', 'ba', 'z\uffff', 'zz'];
const DATES = [
  '2024-05-01T10:00:00.000Z',
  '2024-05-01T09:30:00.000Z',
  '2024-05-02T00:00:00.000Z',
  '2023-12-31T23:59:59.999Z',
  '2024-05-01T10:00:00.000Z',
];
/** Read as instants they fall among the others, as text they do not. */
const ODD_DATES = ['2024-05-01T11:30:00+02:00', '2024-05-01 12:00:00-0130', '2024-05-02'];

const INDEXES = readIndexDeclarations([
  { fields: { a: 1 } },
  { fields: { b: 1, a: -1 } },
  { fields: { c: 'hashed' } },
  { fields: { d: -1 } },
  { fields: { c: 1, d: 1 } },
  { fields: { a: 'hashed' } },
]);

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

/** A value of any kind a record may hold, or undefined for "missing". */
function anyValue(random: () => number, oddDates: boolean): Json | undefined {
  const roll = random();
  if (roll < 0.3) return Math.floor(random() * 6) - 1;
  if (roll < 0.35) return Math.floor(random() * 6) + 0.5;
  if (roll < 0.55) return pick(random, STRINGS);
  if (roll < 0.65) return pick(random, oddDates ? [...DATES, ...ODD_DATES] : DATES);
  if (roll < 0.72) return null;
  if (roll < 0.82) return undefined;
  if (roll < 0.88) return random() < 0.5;
  if (roll < 0.94) return [Math.floor(random() * 3)];
  return { k: Math.floor(random() * 2) };
}

function anyScalar(random: () => number): ScalarJson {
  const roll = random();
  if (roll < 0.4) return Math.floor(random() * 6) - 1;
  if (roll < 0.7) return pick(random, STRINGS);
  if (roll < 0.8) return pick(random, DATES);
  if (roll < 0.9) return null;
  return random() < 0.5;
}

function randomRecord(random: () => number, id: string, oddDates: boolean): StoredRecord {
  const fields: Record<string, Json> = {};
  for (const field of FIELDS) {
    const value = anyValue(random, oddDates);
    if (value !== undefined) fields[field] = value;
  }
  return makeRecord(id, fields, 1 + Math.floor(random() * 3));
}

function randomCondition(random: () => number): FieldCondition {
  const field = pick(random, [...FIELDS, 'id']);
  const op = pick(random, ['eq', 'eq', 'in', 'in', 'gt', 'gte', 'lt', 'lte', 'prefix', 'ne', 'nin', 'exists'] as const);
  switch (op) {
    case 'eq':
    case 'ne':
      return { field, op, value: anyScalar(random) };
    case 'in':
    case 'nin':
      return { field, op, value: Array.from({ length: Math.floor(random() * 4) }, () => anyScalar(random)) };
    case 'exists':
      return { field, op, value: random() < 0.5 };
    case 'prefix':
      return { field, op, value: pick(random, ['', 'a', 'ab', 'b', 'z\uffff', '2024-05-01']) };
    default: {
      if (random() < 0.3) return { field, op, value: pick(random, [...DATES, ...ODD_DATES]), instant: true };
      return { field, op, value: random() < 0.6 ? Math.floor(random() * 6) - 1 : pick(random, STRINGS) };
    }
  }
}

function randomQuery(random: () => number): ListQuery {
  const query = listQuery({ limit: 1 + Math.floor(random() * 7), offset: random() < 0.3 ? Math.floor(random() * 5) : 0, count: random() < 0.4 });
  const filter: Record<string, Json> = {};
  if (random() < 0.25) filter[pick(random, FIELDS)] = random() < 0.9 ? anyScalar(random) : { k: 1 };
  query.filter = filter;
  const conditions = Math.floor(random() * 3);
  if (conditions > 0) query.where = Array.from({ length: conditions }, () => randomCondition(random));
  if (random() < 0.15) query.anyOf = Array.from({ length: Math.floor(random() * 3) }, () => [randomCondition(random)]);
  const sortKeys = random() < 0.35 ? 0 : 1 + Math.floor(random() * 2);
  const sort: SortKey[] = [];
  for (let i = 0; i < sortKeys; i++) {
    const field = pick(random, [...FIELDS, 'id', 'revision']);
    if (!sort.some((key) => key.field === field)) sort.push({ field, direction: random() < 0.5 ? 1 : -1 });
  }
  query.sort = sort;
  return query;
}

/** Every page of a query, following cursors (bounded). */
function allPages(collection: InMemoryCollection, query: ListQuery): Page[] {
  const pages = [collection.list(query)];
  for (let i = 0; i < 60; i++) {
    const cursor = pages[pages.length - 1]?.nextCursor;
    if (cursor === undefined) break;
    pages.push(collection.list({ ...query, cursor }));
  }
  return pages;
}

/** The collection rebuilt as a log replay does: indexes deferred, records restored out of order, then finished. */
function replayed(source: InMemoryCollection, random: () => number): InMemoryCollection {
  const copy = new InMemoryCollection(INDEXES);
  copy.deferIndexes();
  const entries = [...source.inCreationOrder()].map((entry) => ({ record: structuredClone(entry.record), seq: entry.seq }));
  for (let i = entries.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [entries[i], entries[j]] = [entries[j]!, entries[i]!];
  }
  for (const { record, seq } of entries) copy.restore(record, seq);
  copy.finishRestore();
  // The same next sequence number as the source (whose last records may have been deleted).
  copy.advanceSeq(source.allocateSeq() - 1);
  return copy;
}

function runScenario(seed: number, oddDates: boolean): { indexedExamined: number; plainExamined: number } {
  const random = seededRandom(seed);
  let indexed = new InMemoryCollection(INDEXES);
  const plain = new InMemoryCollection();
  const ids: string[] = [];
  const write = (apply: (collection: InMemoryCollection) => void) => {
    apply(indexed);
    apply(plain);
  };
  for (let i = 0; i < 120; i++) {
    const id = `r${Math.floor(random() * 1000)}-${i}`;
    const record = randomRecord(random, id, oddDates);
    write((collection) => collection.insert(structuredClone(record), collection.allocateSeq()));
    ids.push(id);
  }
  for (let round = 0; round < 40; round++) {
    if (round === 20) indexed = replayed(indexed, random);
    // A few writes between queries: updates move records in the indexes, deletes take them out.
    for (let w = 0; w < 5; w++) {
      const roll = random();
      if (roll < 0.5 && ids.length > 0) {
        const id = pick(random, ids);
        const record = randomRecord(random, id, oddDates);
        write((collection) => collection.replace(structuredClone(record)));
      } else if (roll < 0.75 && ids.length > 0) {
        const at = Math.floor(random() * ids.length);
        const [id] = ids.splice(at, 1);
        write((collection) => collection.remove(id as string));
      } else {
        const id = `n${round}-${w}`;
        const record = randomRecord(random, id, oddDates);
        write((collection) => collection.insert(structuredClone(record), collection.allocateSeq()));
        ids.push(id);
      }
    }
    for (let q = 0; q < 12; q++) {
      const query = randomQuery(random);
      const expected = allPages(plain, query);
      const actual = allPages(indexed, query);
      assert.deepEqual(actual, expected, `seed ${seed}, round ${round}, query ${JSON.stringify(query)}`);
    }
  }
  return { indexedExamined: indexed.examined, plainExamined: plain.examined };
}

describe('indexed list queries', () => {
  it('give exactly the pages of an unindexed collection (randomised, seeded)', () => {
    let indexedExamined = 0;
    let plainExamined = 0;
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const figures = runScenario(seed, seed % 2 === 0);
      indexedExamined += figures.indexedExamined;
      plainExamined += figures.plainExamined;
    }
    assert.ok(indexedExamined < plainExamined * 0.8, `the indexes spared records (${indexedExamined} examined against ${plainExamined})`);
  });
});
