/**
 * The behaviour every datasource must show, whatever keeps its records.
 * Register it from a datasource's own test file:
 *
 *     datasourceConformance('memory', async () => ({ ds: createMemoryDatasource(...), cleanup: async () => {} }));
 *
 * Only what the `Datasource` interface promises is checked here, so a MongoDB
 * (or any remote's) datasource can run the same suite.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Datasource, ListQuery, SortKey } from '../src/domain/datasource.js';
import { MicrolibError, type ErrorCode } from '../src/domain/errors.js';
import type { Json, StoredRecord } from '../src/domain/model-spec.js';

/** Makes a fresh, empty, not yet opened datasource and a function that removes whatever it left behind. */
export type DatasourceMaker = () => Promise<{ ds: Datasource; cleanup(): Promise<void> }>;

/** Builds a record with the host-managed fields filled in. */
export function makeRecord(id: string, fields: Record<string, Json> = {}, revision = 1): StoredRecord {
  const time = new Date(Date.UTC(2025, 0, 1, 0, 0, 0, revision)).toISOString();
  return { id, createdAt: time, updatedAt: time, revision, ...fields };
}

/** Five records with ties, nulls, missing fields and a nested object: the list cases' data, fresh each call. */
export function samplePeople(): StoredRecord[] {
  return [
    makeRecord('p3', { name: 'Cleo', age: 30, city: 'Oslo', vip: true }),
    makeRecord('p1', { name: 'Abe', age: 41, city: 'Rome', vip: false }),
    makeRecord('p5', { name: 'Eve', age: 30, city: 'Oslo', vip: false, nick: null }),
    makeRecord('p2', { name: 'Bob', age: 25, city: 'Rome', vip: true, nick: 'bobby' }),
    makeRecord('p4', { name: 'Dan', age: 30, vip: false, address: { street: 'Main', no: 1 } }),
  ];
}

/** A list query with defaults for everything not given. */
export function listQuery(query: Partial<ListQuery> = {}): ListQuery {
  return { filter: {}, sort: [], limit: 100, offset: 0, count: false, ...query };
}

/** Asserts that `promise` rejects with a MicrolibError of `code` (and `field`, when given). */
export async function rejectsWithCode(promise: Promise<unknown>, code: ErrorCode, field?: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof MicrolibError, `expected a MicrolibError, got ${String(error)}`);
    assert.equal(error.code, code);
    if (field !== undefined) assert.equal(error.field, field);
    return true;
  });
}

const ids = (records: readonly StoredRecord[]) => records.map((record) => record.id);

/** Reads every page of a query through cursors (bounded, in case a cursor never ends). */
async function walkPages(ds: Datasource, query: ListQuery): Promise<string[]> {
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

/**
 * Registers the conformance suite for one datasource.
 * @param name shown in the test names
 * @param make returns a fresh, empty datasource that the suite opens and closes itself
 */
export function datasourceConformance(name: string, make: DatasourceMaker): void {
  /** Runs `body` against a freshly opened datasource, always closing and cleaning up. */
  async function withDatasource(body: (ds: Datasource) => Promise<void>): Promise<void> {
    const { ds, cleanup } = await make();
    try {
      await ds.open();
      await body(ds);
    } finally {
      await ds.close();
      await cleanup();
    }
  }

  /** Creates records one after the other, so creation order is their order here. */
  async function seed(ds: Datasource, records: readonly StoredRecord[]): Promise<void> {
    for (const record of records) await ds.create(record);
  }

  describe(`${name} datasource conformance`, () => {
    describe('lifecycle', () => {
      it('names its kind', async () => {
        const { ds, cleanup } = await make();
        try {
          assert.equal(typeof ds.kind, 'string');
          assert.ok(ds.kind.length > 0);
        } finally {
          await ds.close();
          await cleanup();
        }
      });

      it('rejects calls after close', async () => {
        const { ds, cleanup } = await make();
        try {
          await ds.open();
          await ds.create(makeRecord('a'));
          await ds.close();
          await assert.rejects(ds.get('a'));
          await assert.rejects(ds.create(makeRecord('b')));
          await assert.rejects(ds.replace(makeRecord('a', {}, 2)));
          await assert.rejects(ds.delete('a'));
          await assert.rejects(ds.list(listQuery()));
        } finally {
          await cleanup();
        }
      });
    });

    describe('create and get', () => {
      it('stores a record and returns it', () =>
        withDatasource(async (ds) => {
          const record = makeRecord('r1', { name: 'Ada', age: 36, active: true, note: null });
          assert.deepEqual(await ds.create(record), record);
          assert.deepEqual(await ds.get('r1'), record);
        }));

      it('answers undefined for an unknown id', () =>
        withDatasource(async (ds) => {
          assert.equal(await ds.get('missing'), undefined);
        }));

      it('keeps nested JSON and unicode intact', () =>
        withDatasource(async (ds) => {
          const record = makeRecord('nested', {
            text: 'naïve "quoted" \\ back\nslash\u2028 😀 中文',
            list: [1, 2.5, -3, 'x', null, true, { deep: [[]] }],
            object: { a: { b: { c: 'd' } }, empty: {} },
            zero: 0,
            big: 1e21,
          });
          await ds.create(record);
          assert.deepEqual(await ds.get('nested'), record);
        }));

      it('rejects a second record with the same id with MLB_ERR_CONFLICT', () =>
        withDatasource(async (ds) => {
          await ds.create(makeRecord('dup', { v: 1 }));
          await rejectsWithCode(ds.create(makeRecord('dup', { v: 2 })), 'MLB_ERR_CONFLICT');
          assert.equal((await ds.get('dup'))?.['v'], 1);
        }));

      it('lets exactly one of many concurrent creates of one id succeed', () =>
        withDatasource(async (ds) => {
          const attempts = Array.from({ length: 20 }, (_, i) => ds.create(makeRecord('race', { attempt: i })));
          const results = await Promise.allSettled(attempts);
          const won = results.filter((result) => result.status === 'fulfilled');
          assert.equal(won.length, 1);
          for (const result of results) {
            if (result.status === 'rejected') {
              assert.ok(result.reason instanceof MicrolibError);
              assert.equal(result.reason.code, 'MLB_ERR_CONFLICT');
            }
          }
          const winner = (won[0] as PromiseFulfilledResult<StoredRecord>).value;
          assert.deepEqual(await ds.get('race'), winner);
          assert.equal((await ds.list(listQuery({ count: true }))).total, 1);
        }));

      it('keeps its own copies of records', () =>
        withDatasource(async (ds) => {
          const input = makeRecord('copy', { tags: ['a'], meta: { n: 1 } });
          const created = await ds.create(input);
          input['tags'] = ['changed'];
          (created['meta'] as { n: number }).n = 99;
          const fetched = (await ds.get('copy')) as StoredRecord;
          assert.deepEqual(fetched['tags'], ['a']);
          assert.deepEqual(fetched['meta'], { n: 1 });
          (fetched['tags'] as string[]).push('mutated');
          fetched['extra'] = true;
          const listed = (await ds.list(listQuery())).records[0] as StoredRecord;
          (listed['meta'] as { n: number }).n = 7;
          assert.deepEqual(await ds.get('copy'), makeRecord('copy', { tags: ['a'], meta: { n: 1 } }));
        }));
    });

    describe('replace', () => {
      it('stores the new version', () =>
        withDatasource(async (ds) => {
          await ds.create(makeRecord('r', { v: 1, gone: 'yes' }));
          const next = makeRecord('r', { v: 2 }, 2);
          assert.deepEqual(await ds.replace(next), next);
          assert.deepEqual(await ds.get('r'), next);
        }));

      it('accepts a matching expectedRevision', () =>
        withDatasource(async (ds) => {
          await ds.create(makeRecord('r', { v: 1 }));
          await ds.replace(makeRecord('r', { v: 2 }, 2), 1);
          await ds.replace(makeRecord('r', { v: 3 }, 3), 2);
          assert.equal((await ds.get('r'))?.revision, 3);
        }));

      it('rejects a stale expectedRevision with MLB_ERR_CONFLICT and keeps the record', () =>
        withDatasource(async (ds) => {
          await ds.create(makeRecord('r', { v: 1 }));
          await ds.replace(makeRecord('r', { v: 2 }, 2), 1);
          await rejectsWithCode(ds.replace(makeRecord('r', { v: 3 }, 2), 1), 'MLB_ERR_CONFLICT');
          assert.deepEqual(await ds.get('r'), makeRecord('r', { v: 2 }, 2));
        }));

      it('lets one of two concurrent replaces at the same revision win', () =>
        withDatasource(async (ds) => {
          await ds.create(makeRecord('r', { v: 1 }));
          const results = await Promise.allSettled([
            ds.replace(makeRecord('r', { v: 'a' }, 2), 1),
            ds.replace(makeRecord('r', { v: 'b' }, 2), 1),
          ]);
          assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1);
          assert.equal((await ds.get('r'))?.revision, 2);
        }));

      it('rejects an unknown id with MLB_ERR_NOT_FOUND', () =>
        withDatasource(async (ds) => {
          await rejectsWithCode(ds.replace(makeRecord('nope', {}, 2)), 'MLB_ERR_NOT_FOUND');
          await rejectsWithCode(ds.replace(makeRecord('nope', {}, 2), 1), 'MLB_ERR_NOT_FOUND');
          assert.equal(await ds.get('nope'), undefined);
        }));

      it('keeps its own copy of the replacement', () =>
        withDatasource(async (ds) => {
          await ds.create(makeRecord('r'));
          const next = makeRecord('r', { list: [1] }, 2);
          const returned = await ds.replace(next);
          (next['list'] as number[]).push(2);
          (returned['list'] as number[]).push(3);
          assert.deepEqual((await ds.get('r'))?.['list'], [1]);
        }));

      it('keeps the record in its place in creation order', () =>
        withDatasource(async (ds) => {
          await seed(ds, [makeRecord('b'), makeRecord('a'), makeRecord('c')]);
          await ds.replace(makeRecord('b', { changed: true }, 2));
          assert.deepEqual(ids((await ds.list(listQuery())).records), ['b', 'a', 'c']);
        }));
    });

    describe('delete', () => {
      it('removes a record and returns it', () =>
        withDatasource(async (ds) => {
          const record = makeRecord('d', { v: 1 });
          await ds.create(record);
          assert.deepEqual(await ds.delete('d'), record);
          assert.equal(await ds.get('d'), undefined);
          assert.deepEqual((await ds.list(listQuery())).records, []);
        }));

      it('answers undefined for an unknown id', () =>
        withDatasource(async (ds) => {
          assert.equal(await ds.delete('missing'), undefined);
          assert.equal(await ds.delete('missing', 3), undefined);
        }));

      it('honours expectedRevision', () =>
        withDatasource(async (ds) => {
          await ds.create(makeRecord('d', {}, 1));
          await rejectsWithCode(ds.delete('d', 2), 'MLB_ERR_CONFLICT');
          assert.ok(await ds.get('d'));
          assert.equal((await ds.delete('d', 1))?.id, 'd');
          assert.equal(await ds.get('d'), undefined);
        }));

      it('frees the id for a new record, which goes last in creation order', () =>
        withDatasource(async (ds) => {
          await seed(ds, [makeRecord('x', { v: 1 }), makeRecord('y')]);
          await ds.delete('x');
          await ds.create(makeRecord('x', { v: 2 }));
          assert.equal((await ds.get('x'))?.['v'], 2);
          assert.deepEqual(ids((await ds.list(listQuery())).records), ['y', 'x']);
        }));
    });

    describe('list', () => {
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
    });
  });
}
