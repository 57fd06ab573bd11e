/**
 * The behaviour every datasource must show, whatever keeps its records: the one
 * conformance suite of the `Datasource` contract (src/domain/datasource.ts).
 * The host's own datasources (memory, file, mongodb, and the cluster's IPC
 * datasource) run it, and so can a datasource written outside this repository.
 * Only what the interface promises is checked, through nothing but the interface.
 *
 * A remote author runs it from a test file of their own, with microlib installed
 * (`npm install --save-dev microlib`), under Node's test runner (`node --test`):
 *
 *     // test/my-datasource.test.ts
 *     import { datasourceConformance } from 'microlib/testing';
 *     import { createMyDatasource } from '../src/my-datasource.js';
 *
 *     datasourceConformance('my', async () => ({
 *       // A new, not yet opened datasource on an empty collection; the suite opens and closes it.
 *       ds: createMyDatasource({ collection: 'conformance', dataDir: '' }),
 *       // Removes whatever it left behind (files, a database...), so the next case starts empty.
 *       cleanup: async () => undefined,
 *     }));
 *
 * The suite registers its cases with `node:test` (`describe`/`it`), so call it at
 * the top level of a test file. Where the contract names an error, the suite
 * expects a `MicrolibError` with that code, of the microlib installation the
 * suite itself runs from (it checks with `instanceof`). `makeRecord`, `listQuery`,
 * `samplePeople` and `rejectsWithCode` are exported for a datasource's own extra
 * cases.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Datasource } from '../domain/datasource.js';
import { MicrolibError } from '../domain/errors.js';
import type { StoredRecord } from '../domain/model-spec.js';
import { ids, listQuery, makeRecord, rejectsWithCode, seed } from './datasource-fixtures.js';
import { conditionConformance } from './datasource-condition-conformance.js';
import { batchConformance } from './datasource-batch-conformance.js';
import { listConformance } from './datasource-list-conformance.js';

/** Makes a fresh, empty, not yet opened datasource and a function that removes whatever it left behind. */
export type DatasourceMaker = () => Promise<{ ds: Datasource; cleanup(): Promise<void> }>;

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
          if (ds.getNow) assert.throws(() => ds.getNow!('a'));
          if (ds.createNow) assert.throws(() => ds.createNow!(makeRecord('c')));
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

      it('answers a read-only read with the same record, also after a replace', () =>
        withDatasource(async (ds) => {
          const record = makeRecord('ro', { name: 'Ada', list: [1, { deep: true }] });
          await ds.create(record);
          assert.deepEqual(await ds.get('ro', { readOnly: true }), record);
          assert.equal(await ds.get('missing', { readOnly: true }), undefined);
          const next = { ...record, name: 'Grace', revision: 2 };
          await ds.replace(next, 1);
          assert.deepEqual(await ds.get('ro', { readOnly: true }), next);
          assert.deepEqual(await ds.get('ro'), next);
        }));

      it('answers getNow, when it has one, as get does, without a promise', () =>
        withDatasource(async (ds) => {
          if (!ds.getNow) return;
          const record = makeRecord('now', { name: 'Ada', list: [1, { deep: true }] });
          await ds.create(record);
          for (const options of [undefined, { readOnly: true }, { latest: true }]) {
            const found = ds.getNow('now', options);
            assert.ok(!(found instanceof Promise), 'getNow answers at once');
            assert.deepEqual(found, await ds.get('now', options));
            assert.equal(ds.getNow('missing', options), undefined);
          }
          const next = { ...record, name: 'Grace', revision: 2 };
          await ds.replace(next, 1);
          assert.deepEqual(ds.getNow('now'), next);
          // Without readOnly the caller gets its own copy, as from get.
          ds.getNow('now')!['name'] = 'changed';
          assert.equal(ds.getNow('now')!['name'], 'Grace');
        }));

      it('stores with createNow, when it has one, as create does, without a promise', () =>
        withDatasource(async (ds) => {
          if (!ds.createNow) return;
          const record = makeRecord('now', { name: 'Ada', list: [1, { deep: true }] });
          const stored = ds.createNow(record);
          assert.ok(!(stored instanceof Promise), 'createNow answers at once');
          assert.deepEqual(stored, record);
          assert.deepEqual(await ds.get('now'), record);
          // The datasource keeps its own copy.
          record['name'] = 'changed';
          stored['name'] = 'changed too';
          assert.equal((await ds.get('now'))!['name'], 'Ada');
          assert.throws(
            () => ds.createNow!(makeRecord('now')),
            (error: unknown) => error instanceof MicrolibError && error.code === 'MLB_ERR_CONFLICT',
          );
          await ds.create(makeRecord('later'));
          assert.deepEqual(ids((await ds.list(listQuery())).records), ['now', 'later']);
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

    describe('list', () => listConformance(withDatasource));
    describe('list conditions', () => conditionConformance(withDatasource));
    describe('batches (createMany)', () => batchConformance(withDatasource));
  });
}
