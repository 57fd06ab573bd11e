/**
 * The list cases of the datasource conformance suite: equality filters, the
 * sort order across JSON types, offset paging, counting and cursors.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Datasource, ListQuery, SortKey } from '../domain/datasource.js';
import { ids, listQuery, makeRecord, rejectsWithCode, samplePeople, seed, type WithDatasource } from './datasource-fixtures.js';

/** Reads every page of a query through cursors (bounded, in case a cursor never ends). */
export async function walkPages(ds: Datasource, query: ListQuery): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const result = await ds.list({ ...query, ...(cursor === undefined ? {} : { cursor }) });
    seen.push(...ids(result.records));
    if (result.nextCursor === undefined) return seen;
    assert.equal(result.records.length, query.limit, 'a page followed by another is full');
    cursor = result.nextCursor;
  }
  throw new Error('cursor pagination did not end');
}

/** Registers the list cases, each on a datasource `withDatasource` opens. */
export function listConformance(withDatasource: WithDatasource): void {
  const people = samplePeople();

  it('answers an empty page for an empty collection', () =>
    withDatasource(async (ds) => {
      const page = await ds.list(listQuery({ count: true }));
      assert.deepEqual(page.records, []);
      assert.equal(page.total, 0);
      assert.equal(page.nextCursor, undefined);
    }));

  it('returns records in creation order when no sort is given', () =>
    withDatasource(async (ds) => {
      await seed(ds, people);
      assert.deepEqual((await ds.list(listQuery())).records, people);
    }));

  it('filters by equality on every given field', () =>
    withDatasource(async (ds) => {
      await seed(ds, people);
      assert.deepEqual(ids((await ds.list(listQuery({ filter: { city: 'Oslo' } }))).records), ['p3', 'p5']);
      assert.deepEqual(ids((await ds.list(listQuery({ filter: { age: 30, vip: false } }))).records), ['p5', 'p4']);
      assert.deepEqual(ids((await ds.list(listQuery({ filter: { vip: true } }))).records), ['p3', 'p2']);
      assert.deepEqual(ids((await ds.list(listQuery({ filter: { id: 'p2' } }))).records), ['p2']);
      assert.deepEqual((await ds.list(listQuery({ filter: { city: 'Paris' } }))).records, []);
      assert.deepEqual((await ds.list(listQuery({ filter: { age: '30' } }))).records, [], 'no type coercion');
    }));

  it('matches null to a null or missing field', () =>
    withDatasource(async (ds) => {
      await seed(ds, people);
      assert.deepEqual(ids((await ds.list(listQuery({ filter: { nick: null } }))).records), ['p3', 'p1', 'p5', 'p4']);
      assert.deepEqual(ids((await ds.list(listQuery({ filter: { city: null } }))).records), ['p4']);
    }));

  it('filters on an object value by deep equality', () =>
    withDatasource(async (ds) => {
      await seed(ds, people);
      const page = await ds.list(listQuery({ filter: { address: { street: 'Main', no: 1 } } }));
      assert.deepEqual(ids(page.records), ['p4']);
      assert.deepEqual((await ds.list(listQuery({ filter: { address: { street: 'Main', no: 2 } } }))).records, []);
    }));

  it('sorts ascending and descending with ties broken by id ascending', () =>
    withDatasource(async (ds) => {
      await seed(ds, people);
      const byAge = (direction: 1 | -1) => ds.list(listQuery({ sort: [{ field: 'age', direction }] }));
      assert.deepEqual(ids((await byAge(1)).records), ['p2', 'p3', 'p4', 'p5', 'p1']);
      assert.deepEqual(ids((await byAge(-1)).records), ['p1', 'p3', 'p4', 'p5', 'p2']);
    }));

  it('sorts by several keys, most significant first', () =>
    withDatasource(async (ds) => {
      await seed(ds, people);
      const sort: SortKey[] = [
        { field: 'age', direction: -1 },
        { field: 'name', direction: -1 },
      ];
      assert.deepEqual(ids((await ds.list(listQuery({ sort }))).records), ['p1', 'p5', 'p4', 'p3', 'p2']);
      const byVipThenAge: SortKey[] = [
        { field: 'vip', direction: 1 },
        { field: 'age', direction: 1 },
      ];
      assert.deepEqual(ids((await ds.list(listQuery({ sort: byVipThenAge }))).records), ['p4', 'p5', 'p1', 'p2', 'p3']);
    }));

  it('orders missing and null first, then numbers, strings, booleans', () =>
    withDatasource(async (ds) => {
      await seed(ds, [
        makeRecord('t1', { v: 'b' }),
        makeRecord('t2', { v: true }),
        makeRecord('t3', { v: 10 }),
        makeRecord('t4'),
        makeRecord('t5', { v: -2.5 }),
        makeRecord('t6', { v: 'B' }),
        makeRecord('t7', { v: false }),
        makeRecord('t8', { v: null }),
        makeRecord('t9', { v: 'a' }),
        makeRecord('t0', { v: 2 }),
      ]);
      const ascending = await ds.list(listQuery({ sort: [{ field: 'v', direction: 1 }] }));
      assert.deepEqual(ids(ascending.records), ['t4', 't8', 't5', 't0', 't3', 't6', 't9', 't1', 't7', 't2']);
      const descending = await ds.list(listQuery({ sort: [{ field: 'v', direction: -1 }] }));
      assert.deepEqual(ids(descending.records), ['t2', 't7', 't1', 't9', 't6', 't3', 't0', 't5', 't4', 't8']);
    }));

  it('pages with limit and offset, counting only when asked', () =>
    withDatasource(async (ds) => {
      await seed(ds, people);
      const sort: SortKey[] = [{ field: 'name', direction: 1 }];
      const first = await ds.list(listQuery({ sort, limit: 2, count: true }));
      assert.deepEqual(ids(first.records), ['p1', 'p2']);
      assert.equal(first.total, 5);
      assert.equal(typeof first.nextCursor, 'string');
      const middle = await ds.list(listQuery({ sort, limit: 2, offset: 2 }));
      assert.deepEqual(ids(middle.records), ['p3', 'p4']);
      assert.equal(middle.total, undefined);
      assert.equal(typeof middle.nextCursor, 'string');
      const last = await ds.list(listQuery({ sort, limit: 2, offset: 4, count: true }));
      assert.deepEqual(ids(last.records), ['p5']);
      assert.equal(last.total, 5);
      assert.equal(last.nextCursor, undefined);
      const exact = await ds.list(listQuery({ sort, limit: 5 }));
      assert.equal(exact.records.length, 5);
      assert.equal(exact.nextCursor, undefined, 'no cursor when nothing follows');
      const beyond = await ds.list(listQuery({ sort, limit: 2, offset: 10, count: true }));
      assert.deepEqual(beyond.records, []);
      assert.equal(beyond.total, 5);
      assert.equal(beyond.nextCursor, undefined);
      const filtered = await ds.list(listQuery({ filter: { age: 30 }, limit: 1, count: true }));
      assert.deepEqual(ids(filtered.records), ['p3']);
      assert.equal(filtered.total, 3);
    }));

  it('walks every record exactly once through cursors', () =>
    withDatasource(async (ds) => {
      const many = Array.from({ length: 23 }, (_, i) =>
        makeRecord(`m${String((i * 7) % 23).padStart(2, '0')}`, { group: i % 3, rank: i % 4 }),
      );
      await seed(ds, many);
      const creationOrder = ids(many);
      assert.deepEqual(await walkPages(ds, listQuery({ limit: 5 })), creationOrder);
      assert.deepEqual(await walkPages(ds, listQuery({ limit: 23 })), creationOrder);
      const sort: SortKey[] = [{ field: 'rank', direction: -1 }];
      const sorted = ids((await ds.list(listQuery({ sort, limit: 100 }))).records);
      for (const limit of [1, 4, 22]) assert.deepEqual(await walkPages(ds, listQuery({ sort, limit })), sorted);
      const filter = { group: 1 };
      const filtered = ids((await ds.list(listQuery({ filter, sort, limit: 100 }))).records);
      assert.equal(filtered.length, 8);
      assert.deepEqual(await walkPages(ds, listQuery({ filter, sort, limit: 3 })), filtered);
    }));

  it('resumes after the cursor record even when records were added or removed', () =>
    withDatasource(async (ds) => {
      await seed(ds, [10, 20, 30, 40, 50, 60].map((n) => makeRecord(`n${n}`, { n })));
      const sort: SortKey[] = [{ field: 'n', direction: 1 }];
      const first = await ds.list(listQuery({ sort, limit: 3 }));
      assert.deepEqual(ids(first.records), ['n10', 'n20', 'n30']);
      await ds.delete('n30');
      await ds.delete('n40');
      await ds.create(makeRecord('n15', { n: 15 }));
      await ds.create(makeRecord('n35', { n: 35 }));
      await ds.create(makeRecord('n30b', { n: 30 }));
      const second = await ds.list(listQuery({ sort, limit: 3, cursor: first.nextCursor as string }));
      assert.deepEqual(ids(second.records), ['n30b', 'n35', 'n50']);
      const third = await ds.list(listQuery({ sort, limit: 3, cursor: second.nextCursor as string }));
      assert.deepEqual(ids(third.records), ['n60']);
      assert.equal(third.nextCursor, undefined);

      const byCreation = await ds.list(listQuery({ limit: 2 }));
      assert.deepEqual(ids(byCreation.records), ['n10', 'n20']);
      await ds.delete('n20');
      await ds.create(makeRecord('late', { n: 0 }));
      const rest = await ds.list(listQuery({ limit: 10, cursor: byCreation.nextCursor as string }));
      assert.deepEqual(ids(rest.records), ['n50', 'n60', 'n15', 'n35', 'n30b', 'late']);
    }));

  it('ignores offset when a cursor is given and still counts all matches', () =>
    withDatasource(async (ds) => {
      await seed(ds, people);
      const first = await ds.list(listQuery({ limit: 2 }));
      const next = await ds.list(listQuery({ limit: 2, offset: 3, cursor: first.nextCursor as string, count: true }));
      assert.deepEqual(ids(next.records), ['p5', 'p2']);
      assert.equal(next.total, 5);
    }));

  it('rejects a malformed cursor with MLB_ERR_BAD_QUERY on field cursor', () =>
    withDatasource(async (ds) => {
      await seed(ds, people);
      const garbage = [
        'not a cursor!',
        '',
        Buffer.from('{"broken json', 'utf8').toString('base64url'),
        Buffer.from('[1,2,3]', 'utf8').toString('base64url'),
        Buffer.from('"just a string"', 'utf8').toString('base64url'),
      ];
      for (const cursor of garbage) {
        await rejectsWithCode(ds.list(listQuery({ cursor })), 'MLB_ERR_BAD_QUERY', 'cursor');
        await rejectsWithCode(ds.list(listQuery({ cursor, sort: [{ field: 'age', direction: 1 }] })), 'MLB_ERR_BAD_QUERY', 'cursor');
      }
    }));

  it('returns copies that do not change stored records', () =>
    withDatasource(async (ds) => {
      await seed(ds, people);
      const page = await ds.list(listQuery());
      for (const record of page.records) record['name'] = 'changed';
      assert.deepEqual((await ds.list(listQuery())).records, people);
    }));

  it('gives, if it gives recordsJson, the JSON text of each record of the page, also after changes', () =>
    withDatasource(async (ds) => {
      await seed(ds, people);
      const first = await ds.list(listQuery());
      for (const record of first.records) record['name'] = 'changed in a copy';
      const stored = await ds.get('p2');
      await ds.replace({ ...stored!, city: 'Lima', revision: stored!.revision + 1 }, stored!.revision);
      const page = await ds.list(listQuery({ sort: [{ field: 'age', direction: -1 }] }));
      if (page.recordsJson === undefined) return;
      assert.equal(page.recordsJson.length, page.records.length);
      page.recordsJson.forEach((text, index) => assert.equal(text, JSON.stringify(page.records[index]), `text of record ${index}`));
      assert.ok(page.recordsJson.some((text) => text.includes('"Lima"')), 'the replaced record is sent as it is now');
    }));
}
