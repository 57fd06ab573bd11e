import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { datasourceConformance, listQuery, makeRecord, rejectsWithCode } from '../../../testing/index.js';
import { createMemoryDatasource } from './memory-datasource.js';
import type { StoredRecord } from '../../../domain/model-spec.js';

datasourceConformance('memory', async () => ({
  ds: createMemoryDatasource({ collection: 'conformance', dataDir: '' }),
  cleanup: async () => undefined,
}));

/** Indexes on the fields the conformance cases query and sort by: the answers must not change. */
const CONFORMANCE_INDEXES = [
  { fields: { age: 1 } },
  { fields: { name: -1 } },
  { fields: { city: 'hashed' } },
  { fields: { vip: 1, age: -1 } },
  { fields: { n: 1 } },
  { fields: { s: 'hashed' } },
  { fields: { s: 1, n: -1 } },
  { fields: { b: 1 } },
  { fields: { d: -1 } },
  { fields: { id: 1 } },
  { fields: { rank: -1 } },
  { fields: { v: 1 } },
  { fields: { nick: 'hashed' } },
];

datasourceConformance('memory with indexes', async () => ({
  ds: createMemoryDatasource({ collection: 'conformance', dataDir: '', indexes: CONFORMANCE_INDEXES }),
  cleanup: async () => undefined,
}));

describe('memory datasource', () => {
  it('has kind "memory" and refuses use before open', async () => {
    const ds = createMemoryDatasource({ collection: 'x', dataDir: '' });
    assert.equal(ds.kind, 'memory');
    await rejectsWithCode(ds.get('a'), 'MLB_ERR_UNAVAILABLE');
    await ds.open();
    await ds.close();
    await ds.close();
  });

  it('refuses a bad index declaration when created, naming the option', () => {
    assert.throws(() => createMemoryDatasource({ collection: 'x', dataDir: '', indexes: [{ fields: { total: 'up' } }] }), {
      code: 'MLB_ERR_VALIDATION',
      field: 'indexes',
    });
  });

  it('answers a range page from its index, not by reading every record', async () => {
    const ds = createMemoryDatasource({ collection: 'x', dataDir: '', indexes: [{ fields: { total: -1 } }] });
    await ds.open();
    try {
      for (let i = 0; i < 2_000; i++) await ds.create(makeRecord(`r${i}`, { total: i }));
      const before = ds.examinedRecords();
      const page = await ds.list(listQuery({ where: [{ field: 'total', op: 'lt', value: 1_000 }], sort: [{ field: 'total', direction: -1 }], limit: 5 }));
      assert.deepEqual(page.records.map((record) => record['total']), [999, 998, 997, 996, 995]);
      assert.ok(ds.examinedRecords() - before <= 6, `examined ${ds.examinedRecords() - before}`);
    } finally {
      await ds.close();
    }
  });

  it('answers a write with the record as stored, whatever the input held beyond plain JSON', async () => {
    const ds = createMemoryDatasource({ collection: 'x', dataDir: '' });
    await ds.open();
    try {
      class Point {
        constructor(readonly x: number) {}
      }
      const when = new Date(Date.UTC(2026, 0, 2));
      const unusual = { at: when, gone: undefined, fn: () => 1, nan: Number.NaN, list: [undefined, 1], point: new Point(3) };
      const odd = makeRecord('odd', unusual as unknown as Record<string, never>);
      const expected = JSON.parse(JSON.stringify(odd)) as StoredRecord;
      assert.deepEqual(await ds.create(odd), expected);
      assert.deepEqual(await ds.get('odd'), expected);
      // Frozen, or already carrying a JSON text (a record read before): answered with a copy all the same.
      const frozen = Object.freeze(makeRecord('frozen', { n: 1 }));
      assert.deepEqual(await ds.create(frozen), makeRecord('frozen', { n: 1 }));
      const read = (await ds.get('frozen'))!;
      read['revision'] = 2;
      read['n'] = 2;
      const wanted = JSON.parse(JSON.stringify(read)) as StoredRecord;
      assert.deepEqual(await ds.replace(read, 1), wanted);
      assert.deepEqual(await ds.get('frozen'), wanted);
      // The answer to a plain input is not the stored record.
      const plain = makeRecord('plain', { tags: ['a'] });
      const created = await ds.create(plain);
      (created['tags'] as string[]).push('b');
      assert.deepEqual((await ds.get('plain'))?.['tags'], ['a']);
    } finally {
      await ds.close();
    }
  });
});
