/**
 * The condition cases of the datasource conformance suite: each operator of a
 * list query's `where` and `anyOf` on numbers, strings, booleans, date-times and
 * ids, over records whose field holds the wrong type, an array, null, or
 * nothing, so every datasource gives the same answers to the same query.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Datasource, FieldCondition, ListQuery, SortKey } from '../domain/datasource.js';
import { ids, listQuery, makeRecord, rejectsWithCode, seed, type WithDatasource } from './datasource-fixtures.js';
import { walkPages } from './datasource-list-conformance.js';

/**
 * Nine records, in creation order c1…c9. `n` is mostly numbers, `s` strings, `b`
 * booleans and `d` date-times, each with a wrong type, an array, null or a gap.
 */
function mixedRecords() {
  return [
    makeRecord('c1', { n: 5, s: 'apple', b: true, d: '2024-05-01T10:00:00Z', tags: ['x'] }),
    // 11:30 at +02:00 is 09:30Z: after c1 as text, before it as an instant.
    makeRecord('c2', { n: 12.5, s: 'banana', b: false, d: '2024-05-01T11:30:00+02:00' }),
    makeRecord('c3', { n: '7', s: 'Apricot', d: '2024-05-01T10:00:00.500Z' }),
    makeRecord('c4', { n: null, s: null, b: null, d: null }),
    makeRecord('c5', { d: 'soon' }),
    makeRecord('c6', { n: [1, 20], s: ['apple'], b: 'true', d: 1714557600000 }),
    makeRecord('c7', { n: 20, s: 'ap', b: true, d: '2024-05-02' }),
    // 12:00 at -01:30 is 13:30Z.
    makeRecord('c8', { n: -3, s: 'a.b*(c)', d: '2024-05-01 12:00:00-0130' }),
    makeRecord('c9'),
  ];
}

/** Registers the condition cases, each on a datasource `withDatasource` opens. */
export function conditionConformance(withDatasource: WithDatasource): void {
  /** Seeds the mixed records, then runs `body` with a helper listing the ids a query matches. */
  const withMixed = (body: (matching: (query: Partial<ListQuery>) => Promise<string[]>, ds: Datasource) => Promise<void>) =>
    withDatasource(async (ds) => {
      await seed(ds, mixedRecords());
      await body(async (query) => ids((await ds.list(listQuery(query))).records), ds);
    });
  const where = (...conditions: FieldCondition[]): Partial<ListQuery> => ({ where: conditions });

  it('compares numbers only with numbers, never arrays, null or missing fields', () =>
    withMixed(async (matching) => {
      assert.deepEqual(await matching(where({ field: 'n', op: 'gt', value: 5 })), ['c2', 'c7'], 'gt');
      assert.deepEqual(await matching(where({ field: 'n', op: 'gte', value: 5 })), ['c1', 'c2', 'c7'], 'gte');
      assert.deepEqual(await matching(where({ field: 'n', op: 'lt', value: 5 })), ['c8'], 'lt');
      assert.deepEqual(await matching(where({ field: 'n', op: 'lte', value: 12.5 })), ['c1', 'c2', 'c8'], 'lte');
      assert.deepEqual(await matching(where({ field: 'n', op: 'gte', value: 1 }, { field: 'n', op: 'lt', value: 20 })), ['c1', 'c2'], 'two ranges on one field');
      assert.deepEqual(await matching(where({ field: 'n', op: 'eq', value: 20 })), ['c7'], 'eq');
      assert.deepEqual(await matching(where({ field: 'n', op: 'ne', value: 20 })), ['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c8', 'c9'], 'ne');
      assert.deepEqual(await matching(where({ field: 'n', op: 'in', value: [5, 20] })), ['c1', 'c7'], 'in');
      assert.deepEqual(await matching(where({ field: 'n', op: 'nin', value: [5, 20] })), ['c2', 'c3', 'c4', 'c5', 'c6', 'c8', 'c9'], 'nin');
      assert.deepEqual(await matching(where({ field: 'n', op: 'in', value: ['7'] })), ['c3'], 'in, no type coercion');
      assert.deepEqual(await matching(where({ field: 'n', op: 'gt', value: '6' })), ['c3'], 'a string range compares strings only');
    }));

  it('treats null and missing fields alike in eq, ne, in and nin, and apart in exists', () =>
    withMixed(async (matching) => {
      assert.deepEqual(await matching(where({ field: 'n', op: 'eq', value: null })), ['c4', 'c5', 'c9'], 'eq null');
      assert.deepEqual(await matching(where({ field: 'n', op: 'ne', value: null })), ['c1', 'c2', 'c3', 'c6', 'c7', 'c8'], 'ne null');
      assert.deepEqual(await matching(where({ field: 'n', op: 'in', value: [null, 5] })), ['c1', 'c4', 'c5', 'c9'], 'in with null');
      assert.deepEqual(await matching(where({ field: 'n', op: 'nin', value: [null] })), ['c1', 'c2', 'c3', 'c6', 'c7', 'c8'], 'nin null');
      assert.deepEqual(await matching(where({ field: 'n', op: 'exists', value: true })), ['c1', 'c2', 'c3', 'c4', 'c6', 'c7', 'c8'], 'exists: null is present');
      assert.deepEqual(await matching(where({ field: 'n', op: 'exists', value: false })), ['c5', 'c9'], 'exists false');
      assert.deepEqual(await matching(where({ field: 'tags', op: 'exists', value: true })), ['c1'], 'exists on an array field');
      assert.deepEqual(await matching(where({ field: 'n', op: 'lte', value: 0 }, { field: 'n', op: 'exists', value: true })), ['c8'], 'a range never matches null');
    }));

  it('compares strings by code unit, case-sensitively, and matches prefixes literally', () =>
    withMixed(async (matching) => {
      assert.deepEqual(await matching(where({ field: 's', op: 'gt', value: 'apple' })), ['c2'], 'gt');
      assert.deepEqual(await matching(where({ field: 's', op: 'lt', value: 'b' })), ['c1', 'c3', 'c7', 'c8'], 'lt (upper case first)');
      assert.deepEqual(await matching(where({ field: 's', op: 'gte', value: 'ap' }, { field: 's', op: 'lte', value: 'apple' })), ['c1', 'c7'], 'gte and lte');
      assert.deepEqual(await matching(where({ field: 's', op: 'eq', value: 'apple' })), ['c1'], 'eq, not the array holding it');
      assert.deepEqual(await matching(where({ field: 's', op: 'in', value: ['apple', 'a.b*(c)'] })), ['c1', 'c8'], 'in');
      assert.deepEqual(await matching(where({ field: 's', op: 'nin', value: ['apple'] })), ['c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9'], 'nin keeps the array');
      assert.deepEqual(await matching(where({ field: 's', op: 'prefix', value: 'ap' })), ['c1', 'c7'], 'prefix: case-sensitive, not arrays');
      assert.deepEqual(await matching(where({ field: 's', op: 'prefix', value: 'apple' })), ['c1'], 'prefix equal to the value');
      assert.deepEqual(await matching(where({ field: 's', op: 'prefix', value: 'a.' })), ['c8'], 'a dot in a prefix is a dot');
      assert.deepEqual(await matching(where({ field: 's', op: 'prefix', value: 'a.b*(' })), ['c8'], 'regular-expression characters are literal');
      assert.deepEqual(await matching(where({ field: 's', op: 'prefix', value: '.*' })), [], 'no pattern');
      assert.deepEqual(await matching(where({ field: 'n', op: 'prefix', value: '7' })), ['c3'], 'prefix only matches strings');
    }));

  it('matches booleans exactly, never the string "true"', () =>
    withMixed(async (matching) => {
      assert.deepEqual(await matching(where({ field: 'b', op: 'eq', value: true })), ['c1', 'c7'], 'eq');
      assert.deepEqual(await matching(where({ field: 'b', op: 'ne', value: true })), ['c2', 'c3', 'c4', 'c5', 'c6', 'c8', 'c9'], 'ne');
      assert.deepEqual(await matching(where({ field: 'b', op: 'in', value: [false, null] })), ['c2', 'c3', 'c4', 'c5', 'c8', 'c9'], 'in');
      assert.deepEqual(await matching(where({ field: 'b', op: 'nin', value: [true, false] })), ['c3', 'c4', 'c5', 'c6', 'c8', 'c9'], 'nin');
    }));

  it('compares date-times as instants whatever their offset, and other values never', () =>
    withMixed(async (matching) => {
      const at = (value: string, op: 'gt' | 'gte' | 'lt' | 'lte') => where({ field: 'd', op, value, instant: true });
      assert.deepEqual(await matching(at('2024-05-01T10:00:00.000Z', 'gt')), ['c3', 'c7', 'c8'], 'gt');
      assert.deepEqual(await matching(at('2024-05-01T10:00:00.000Z', 'gte')), ['c1', 'c3', 'c7', 'c8'], 'gte');
      assert.deepEqual(await matching(at('2024-05-01T10:00:00.500Z', 'lt')), ['c1', 'c2'], 'lt');
      assert.deepEqual(await matching(at('2024-05-01T10:00:00.000Z', 'lte')), ['c1', 'c2'], 'lte');
      assert.deepEqual(await matching(at('2024-05-02T00:00:00.000Z', 'gte')), ['c7'], 'a date alone is midnight UTC');
      assert.deepEqual(await matching(at('2024-05-01T13:30:00.000Z', 'gte')), ['c7', 'c8'], 'an offset without a colon');
      assert.deepEqual(await matching(at('2024-05-01T09:30:00+00:00', 'lte')), ['c2'], 'the value may carry an offset too');
      assert.deepEqual(await matching(where({ field: 'd', op: 'gt', value: '2024-05-01T11' })), ['c2', 'c5', 'c7'], 'without instant, a string range compares text');
      assert.deepEqual(await matching(where({ field: 'd', op: 'eq', value: '2024-05-01T10:00:00Z' })), ['c1'], 'eq compares text');
    }));

  it('filters on ids with every operator', () =>
    withMixed(async (matching) => {
      assert.deepEqual(await matching(where({ field: 'id', op: 'in', value: ['c9', 'c2', 'nope'] })), ['c2', 'c9'], 'in');
      assert.deepEqual(await matching(where({ field: 'id', op: 'gt', value: 'c7' })), ['c8', 'c9'], 'gt');
      assert.deepEqual(await matching(where({ field: 'id', op: 'prefix', value: 'c1' })), ['c1'], 'prefix');
      assert.deepEqual(await matching(where({ field: 'id', op: 'nin', value: ['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7'] })), ['c8', 'c9'], 'nin');
      assert.deepEqual(await matching(where({ field: 'id', op: 'ne', value: 'c1' }, { field: 'id', op: 'lte', value: 'c3' })), ['c2', 'c3'], 'ne and lte');
      assert.deepEqual(await matching(where({ field: 'revision', op: 'gte', value: 1 })), ids(mixedRecords()), 'revision');
    }));

  it('takes an "or" of branches, together with the filter and the other conditions', () =>
    withMixed(async (matching) => {
      assert.deepEqual(await matching({ anyOf: [[{ field: 's', op: 'eq', value: 'banana' }], [{ field: 'n', op: 'gt', value: 15 }]] }), ['c2', 'c7'], 'two branches');
      const branches: FieldCondition[][] = [
        [{ field: 's', op: 'eq', value: 'banana' }],
        [
          { field: 'n', op: 'gte', value: 5 },
          { field: 'b', op: 'eq', value: true },
        ],
      ];
      assert.deepEqual(await matching({ anyOf: branches }), ['c1', 'c2', 'c7'], 'a branch of two conditions');
      assert.deepEqual(await matching({ anyOf: branches, filter: { b: true } }), ['c1', 'c7'], 'with an equality filter');
      assert.deepEqual(await matching({ anyOf: branches, where: [{ field: 'n', op: 'lt', value: 10 }] }), ['c1'], 'with a condition');
      assert.deepEqual(await matching({ anyOf: [] }), [], 'no branch matches nothing');
      assert.deepEqual(await matching({ anyOf: [[]] }), ids(mixedRecords()), 'an empty branch matches everything');
      assert.deepEqual(await matching({ filter: { b: true }, where: [{ field: 'n', op: 'lt', value: 10 }] }), ['c1'], 'filter and where');
    }));

  it('counts, sorts and pages (offset and cursor) the records the conditions match', () =>
    withMixed(async (_matching, ds) => {
      const numbers = { where: [{ field: 'n', op: 'gte', value: -100 }] as FieldCondition[] };
      const sort: SortKey[] = [{ field: 'n', direction: -1 }];
      const sorted = await ds.list(listQuery({ ...numbers, sort, limit: 2, count: true }));
      assert.deepEqual(ids(sorted.records), ['c7', 'c2']);
      assert.equal(sorted.total, 4, 'numbers only: not the string "7" nor the array');
      const offset = await ds.list(listQuery({ ...numbers, sort, limit: 2, offset: 2, count: true }));
      assert.deepEqual(ids(offset.records), ['c1', 'c8']);
      assert.equal(offset.total, 4);
      assert.deepEqual(await walkPages(ds, listQuery({ ...numbers, sort, limit: 2 })), ['c7', 'c2', 'c1', 'c8']);
      assert.deepEqual(await walkPages(ds, listQuery({ ...numbers, limit: 3 })), ['c1', 'c2', 'c7', 'c8']);
      const anyOf: FieldCondition[][] = [[{ field: 'b', op: 'eq', value: false }], [{ field: 's', op: 'prefix', value: 'a' }]];
      assert.deepEqual(await walkPages(ds, listQuery({ anyOf, sort: [{ field: 's', direction: 1 }], limit: 1 })), ['c8', 'c7', 'c1', 'c2']);
      assert.equal((await ds.list(listQuery({ anyOf, limit: 1, count: true }))).total, 4);
    }));

  it('rejects malformed conditions with MLB_ERR_BAD_QUERY', () =>
    withMixed(async (_matching, ds) => {
      const bad = (condition: unknown) => rejectsWithCode(ds.list(listQuery({ where: [condition as FieldCondition] })), 'MLB_ERR_BAD_QUERY');
      await bad({ field: 'n', op: 'regex', value: '.*' });
      await bad({ field: 'n', op: 'where', value: 'sleep(1000)' });
      await bad({ field: 'n', op: 'eq', value: { $gt: 1 } });
      await bad({ field: 'n', op: 'in', value: [{ $gt: 1 }] });
      await bad({ field: 'n', op: 'in', value: 'a' });
      await bad({ field: 'n', op: 'gt', value: true });
      await bad({ field: 'n', op: 'gt', value: null });
      await bad({ field: 'd', op: 'gt', value: 'yesterday', instant: true });
      await bad({ field: 'n', op: 'exists', value: 'yes' });
      await bad({ field: 'n', op: 'prefix', value: 1 });
      await rejectsWithCode(ds.list(listQuery({ anyOf: 'x' as unknown as FieldCondition[][] })), 'MLB_ERR_BAD_QUERY');
    }));
}
