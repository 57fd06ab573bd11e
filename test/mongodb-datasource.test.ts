import assert from 'node:assert/strict';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { MongoClient } from 'mongodb';
import { closeAllMongoClients, mongoClientStats } from '../src/adapters/persistence/mongodb/mongodb-client-pool.js';
import { createMongoDatasource } from '../src/adapters/persistence/mongodb/mongodb-datasource.js';
import type { Datasource, DatasourceOptions, SortKey } from '../src/domain/datasource.js';
import { MicrolibError } from '../src/domain/errors.js';
import type { Json, StoredRecord } from '../src/domain/model-spec.js';
import { datasourceConformance, listQuery, makeRecord, rejectsWithCode, samplePeople } from '../src/testing/index.js';
import { mongoUrlForTests, restartableMongo } from './support/mongo-server.js';
import { until } from './support/until.js';

const server = await mongoUrlForTests();
// For looking behind the datasource's back and dropping test databases.
const inspector = new MongoClient(server.url, { serverSelectionTimeoutMS: 5000 });
after(async () => {
  // A datasource a failing test never closed would keep its client, and this process, alive.
  await closeAllMongoClients();
  await inspector.close();
  await server.stop();
});

const REAL_ONLY = 'needs a real MongoDB (set MONGODB_URL and MICROLIB_REAL_MONGODB=1)';

let databases = 0;
/** A database no other test uses, so tests never see each other's records. */
function freshDatabase(): string {
  databases++;
  return `mlbtest_${process.pid}_${Date.now().toString(36)}_${databases}`;
}

async function dropDatabase(name: string): Promise<void> {
  await inspector.db(name).dropDatabase();
}

function mongoDatasource(database: string, options: Partial<DatasourceOptions> = {}): Datasource {
  return createMongoDatasource({ collection: 'items', dataDir: '', url: server.url, database, ...options });
}

/** Opens a datasource on a fresh database, runs `body`, closes it and drops the database. */
async function withMongo(body: (ds: Datasource, database: string) => Promise<void>, options: Partial<DatasourceOptions> = {}): Promise<void> {
  const database = freshDatabase();
  const ds = mongoDatasource(database, options);
  try {
    await ds.open();
    await body(ds, database);
  } finally {
    await ds.close();
    await dropDatabase(database);
  }
}

const ids = (records: readonly StoredRecord[]) => records.map((record) => record.id);

/** Every page of a query, through cursors (bounded). */
async function walk(ds: Datasource, sort: SortKey[], limit: number, filter: Record<string, never> = {}): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 200; page++) {
    const result = await ds.list(listQuery({ sort, limit, filter, ...(cursor === undefined ? {} : { cursor }) }));
    seen.push(...ids(result.records));
    if (result.nextCursor === undefined) return seen;
    cursor = result.nextCursor;
  }
  throw new Error('cursor paging did not end');
}

/** A port nothing listens on (bound, read, released). */
async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Runs `operation`, expecting MLB_ERR_UNAVAILABLE; returns the error and how long it took. */
async function unavailable(operation: Promise<unknown>): Promise<{ error: MicrolibError; ms: number }> {
  const started = Date.now();
  try {
    await operation;
  } catch (error) {
    assert.ok(error instanceof MicrolibError, `expected a MicrolibError, got ${String(error)}`);
    assert.equal(error.code, 'MLB_ERR_UNAVAILABLE', error.message);
    return { error, ms: Date.now() - started };
  }
  assert.fail('the operation should have failed while MongoDB was down');
}

/** Retries `probe` until it resolves (within `limitMs`); if it never does, fails with its last error. */
async function eventually<T>(probe: () => Promise<T>, limitMs = 15_000): Promise<T> {
  let last: unknown;
  const answer = await until(async () => {
    try {
      return { value: await probe() };
    } catch (error) {
      last = error;
      return undefined;
    }
  }, 'the operation to succeed again', limitMs).catch((timeout: unknown) => {
    throw last ?? timeout;
  });
  return answer.value;
}

datasourceConformance('mongodb', async () => {
  const database = freshDatabase();
  return { ds: mongoDatasource(database, { collection: 'conformance' }), cleanup: () => dropDatabase(database) };
});

describe('mongodb datasource', () => {
  const people = samplePeople();
  const seed = async (ds: Datasource, records: readonly StoredRecord[]) => {
    for (const record of records) await ds.create(record);
  };

  it('has kind "mongodb", refuses use before open and may be closed twice', async () => {
    const database = freshDatabase();
    const ds = mongoDatasource(database);
    assert.equal(ds.kind, 'mongodb');
    await rejectsWithCode(ds.get('a'), 'MLB_ERR_UNAVAILABLE');
    await ds.open();
    await ds.close();
    await ds.close();
    await dropDatabase(database);
  });

  it('stores the id as a string _id and never hands out _id or its bookkeeping', () =>
    withMongo(async (ds, database) => {
      await ds.create(makeRecord('a', { n: 1, nested: { deep: [1, { x: 'y' }] } }));
      const raw = await inspector.db(database).collection<{ _id: string; [field: string]: unknown }>('items').findOne({ _id: 'a' });
      assert.equal(raw?._id, 'a');
      assert.equal(raw?.['id'], undefined, 'the id is not stored twice');
      assert.deepEqual(raw?.['nested'], { deep: [1, { x: 'y' }] });
      for (const record of [await ds.get('a'), (await ds.list(listQuery())).records[0]]) {
        assert.ok(record);
        assert.deepEqual(Object.keys(record).filter((key) => key.startsWith('_')), []);
        assert.equal(record.id, 'a');
      }
    }));

  it('refuses records with fields it reserves', () =>
    withMongo(async (ds) => {
      await rejectsWithCode(ds.create(makeRecord('a', { _id: 'b' })), 'MLB_ERR_VALIDATION', '_id');
      await rejectsWithCode(ds.create(makeRecord('a', { _mlbSeq: 1 })), 'MLB_ERR_VALIDATION', '_mlbSeq');
      await ds.create(makeRecord('a'));
      await rejectsWithCode(ds.replace(makeRecord('a', { $set: { x: 1 } }, 2)), 'MLB_ERR_VALIDATION', '$set');
      assert.equal((await ds.get('a'))?.revision, 1);
    }));

  // BSON cannot hold such a name: the client's data is at fault, so a 400 that says so, not a 500.
  it('refuses a field name holding a NUL character as a validation error', () =>
    withMongo(async (ds) => {
      await rejectsWithCode(ds.create(makeRecord('a', { 'x\u0000y': 1 })), 'MLB_ERR_VALIDATION');
      await ds.create(makeRecord('a'));
      await rejectsWithCode(ds.replace(makeRecord('a', { nested: { 'x\u0000y': 1 } }, 2)), 'MLB_ERR_VALIDATION');
    }));

  // Values reach the query behind $eq, so an operator-shaped object is just a value
  // no record holds: an empty page, not an error (the HTTP layer only passes such
  // objects from code, query strings are coerced to scalars first).
  it('compares operator-shaped filter values as data', () =>
    withMongo(async (ds) => {
      await seed(ds, people);
      const operators: Json[] = [{ $where: 'sleep(2000) || true' }, { $gt: '' }, { $ne: null }, { $exists: true }, { $regex: '.*' }, { $in: ['Abe', 'Bob'] }];
      for (const value of operators) {
        const page = await ds.list(listQuery({ filter: { name: value }, count: true }));
        assert.deepEqual(page.records, [], JSON.stringify(value));
        assert.equal(page.total, 0);
      }
      assert.equal((await ds.list(listQuery({ filter: { name: 'Abe' } }))).records.length, 1);
    }));

  it('rejects field names that are not plain names with MLB_ERR_BAD_QUERY naming the field', () =>
    withMongo(async (ds) => {
      await seed(ds, people);
      const proto = JSON.parse('{"__proto__": 1}') as Record<string, number>;
      const filters: Record<string, Json>[] = [{ $where: 'true' }, { 'address.street': 'Main' }, proto, { _id: 'p1' }, { _mlbSeq: 1 }, { '': 1 }];
      for (const filter of filters) {
        const field = Object.keys(filter)[0] as string;
        await rejectsWithCode(ds.list(listQuery({ filter })), 'MLB_ERR_BAD_QUERY', field);
      }
      for (const field of ['$natural', 'a.b', '__proto__']) {
        await rejectsWithCode(ds.list(listQuery({ sort: [{ field, direction: 1 }] })), 'MLB_ERR_BAD_QUERY', field);
      }
    }));

  it('matches an array filter only to the whole array, as the memory datasource does', () =>
    withMongo(async (ds) => {
      await seed(ds, [makeRecord('t1', { tags: ['a', 'b'] }), makeRecord('t2', { tags: 'a' }), makeRecord('t3', { tags: ['b', 'a'] })]);
      assert.deepEqual(ids((await ds.list(listQuery({ filter: { tags: 'a' } }))).records), ['t2']);
      assert.deepEqual(ids((await ds.list(listQuery({ filter: { tags: ['a', 'b'] } }))).records), ['t1']);
      assert.deepEqual((await ds.list(listQuery({ filter: { tags: ['a'] } }))).records, []);
      assert.deepEqual(ids((await ds.list(listQuery({ filter: { tags: null } }))).records), []);
    }));

  // The test server evaluates $expr with mingo, whose $eq looks into arrays the way a
  // query does; MongoDB's aggregation $eq compares whole values.
  it('does not match an array filter to an array holding it', { skip: server.real ? false : `the test server's $expr $eq matches array elements; ${REAL_ONLY}` }, () =>
    withMongo(async (ds) => {
      await seed(ds, [makeRecord('t1', { tags: ['a', 'b'] }), makeRecord('t3', { tags: [['a', 'b']] })]);
      assert.deepEqual(ids((await ds.list(listQuery({ filter: { tags: ['a', 'b'] } }))).records), ['t1']);
    }));

  it('pages through values of mixed types in both directions without losing or repeating any', () =>
    withMongo(async (ds) => {
      const values = ['b', true, 10, undefined, -2.5, 'B', false, null, 'a', 2, { k: 1 }, { k: 0 }, 10, null, 'b'];
      await seed(
        ds,
        values.map((v, i) => makeRecord(`t${String(i).padStart(2, '0')}`, v === undefined ? { g: i % 2 } : { v, g: i % 2 })),
      );
      for (const sort of [
        [{ field: 'v', direction: 1 }],
        [{ field: 'v', direction: -1 }],
        [
          { field: 'g', direction: -1 },
          { field: 'v', direction: 1 },
        ],
        [
          { field: 'v', direction: -1 },
          { field: 'id', direction: -1 },
        ],
      ] as SortKey[][]) {
        const whole = ids((await ds.list(listQuery({ sort }))).records);
        assert.equal(whole.length, values.length);
        for (const limit of [1, 2, 4]) assert.deepEqual(await walk(ds, sort, limit), whole, `${JSON.stringify(sort)} limit ${limit}`);
      }
      assert.deepEqual(ids((await ds.list(listQuery({ sort: [{ field: 'v', direction: 1 }], limit: 4 }))).records), ['t03', 't07', 't13', 't04']);
    }));

  it('keeps records and creation order for the next datasource on the same collection', async () => {
    const database = freshDatabase();
    try {
      const first = mongoDatasource(database);
      await first.open();
      await seed(first, [makeRecord('b'), makeRecord('a')]);
      await first.close();
      const second = mongoDatasource(database);
      await second.open();
      await second.create(makeRecord('c'));
      assert.deepEqual(ids((await second.list(listQuery())).records), ['b', 'a', 'c']);
      await second.close();
    } finally {
      await dropDatabase(database);
    }
  });

  it('creates the indexes its options name', () =>
    withMongo(
      async (_ds, database) => {
        const indexes = await inspector.db(database).collection('items').listIndexes().toArray();
        const byName = new Map(indexes.map((index) => [index['name'] as string, index]));
        assert.deepEqual(byName.get('email_unique')?.['key'], { email: 1 });
        assert.equal(byName.get('email_unique')?.['unique'], true);
        assert.deepEqual(byName.get('city_1_age_-1')?.['key'], { city: 1, age: -1 });
        assert.deepEqual(byName.get('microlib_creation_order')?.['key'], { _mlbSeq: 1, _id: 1 });
      },
      { indexes: [{ fields: { email: 1 }, unique: true, name: 'email_unique' }, { fields: { city: 1, age: -1 } }] },
    ));

  it('rejects a second record with the same value of a unique index with MLB_ERR_CONFLICT', { skip: server.real ? false : `the test server does not enforce unique indexes; ${REAL_ONLY}` }, () =>
    withMongo(
      async (ds) => {
        await ds.create(makeRecord('u1', { email: 'a@example.org' }));
        await rejectsWithCode(ds.create(makeRecord('u2', { email: 'a@example.org' })), 'MLB_ERR_CONFLICT', 'email');
        await ds.create(makeRecord('u3', { email: 'b@example.org' }));
        await rejectsWithCode(ds.replace(makeRecord('u3', { email: 'a@example.org' }, 2)), 'MLB_ERR_CONFLICT', 'email');
        assert.equal(await ds.get('u2'), undefined);
        assert.equal((await ds.get('u3'))?.['email'], 'b@example.org');
      },
      { indexes: [{ fields: { email: 1 }, unique: true }] },
    ));

  it('fails to open within a bounded time when no server answers, without showing the password', async () => {
    const port = await freePort();
    const before = mongoClientStats();
    const ds = createMongoDatasource({ collection: 'items', dataDir: '', url: `mongodb://app:s3cr%40t@127.0.0.1:${port}/x`, serverSelectionTimeoutMS: 500 });
    const { error, ms } = await unavailable(ds.open());
    assert.ok(ms < 5000, `took ${ms} ms`);
    assert.match(error.message, new RegExp(`^MongoDB at 127\\.0\\.0\\.1:${port} is unreachable: `));
    assert.ok(!error.message.includes('s3cr'), error.message);
    assert.deepEqual(mongoClientStats(), before, 'the failed open released its client');
    await rejectsWithCode(ds.get('a'), 'MLB_ERR_UNAVAILABLE');
    await ds.close();
  });

  it('shares one client per URL and closes it with the last datasource', async () => {
    const database = freshDatabase();
    const before = mongoClientStats();
    const orders = mongoDatasource(database, { collection: 'orders' });
    const customers = mongoDatasource(database, { collection: 'customers' });
    try {
      await orders.open();
      await customers.open();
      assert.deepEqual(mongoClientStats(), { clients: before.clients + 1, references: before.references + 2 });
      await orders.create(makeRecord('o1'));
      await customers.create(makeRecord('c1'));
      await orders.close();
      assert.deepEqual(mongoClientStats(), { clients: before.clients + 1, references: before.references + 1 });
      assert.ok(await customers.get('c1'), 'the other datasource still works');
    } finally {
      await orders.close();
      await customers.close();
      await dropDatabase(database);
    }
    assert.deepEqual(mongoClientStats(), before);
  });

  describe('when MongoDB goes away', () => {
    it('fails fast while it is down and recovers by itself when it is back on the same port', { timeout: 60_000 }, async (t) => {
      const mongo = await restartableMongo(server);
      const database = freshDatabase();
      const ds = createMongoDatasource({ collection: 'items', dataDir: '', url: mongo.url, database, serverSelectionTimeoutMS: 1000 });
      try {
        await ds.open();
        const acknowledged = Array.from({ length: 20 }, (_, i) => makeRecord(`a${i}`, { i }));
        await seed(ds, acknowledged);

        await mongo.stop();
        // One at a time, so each failure is timed on its own and none is left unawaited.
        const attempts: [string, () => Promise<unknown>][] = [
          ['get', () => ds.get('a1')],
          ['create', () => ds.create(makeRecord('during'))],
          ['list', () => ds.list(listQuery({ count: true }))],
          ['replace', () => ds.replace(makeRecord('a2', { i: -1 }, 2), 1)],
          ['delete', () => ds.delete('a3')],
        ];
        for (const [name, attempt] of attempts) {
          const { error, ms } = await unavailable(attempt());
          assert.ok(ms <= 5000, `${name} took ${ms} ms to fail`);
          t.diagnostic(`${name} failed after ${ms} ms`);
          assert.match(error.message, new RegExp(`MongoDB at 127\\.0\\.0\\.1:${mongo.port} is unreachable`), `${name}: ${error.message}`);
        }

        await mongo.start();
        const restarted = Date.now();
        // The driver notices the server's return on the next operation (its monitor rechecks within ~0.5 s).
        assert.ok(await eventually(() => ds.get('a1')), 'a1 is readable again');
        const recoveredMs = Date.now() - restarted;
        t.diagnostic(`readable again ${recoveredMs} ms after the server came back`);
        assert.ok(recoveredMs < 5000, `recovery took ${recoveredMs} ms`);
        await ds.create(makeRecord('after'));
        const page = await ds.list(listQuery({ count: true, limit: 100 }));
        assert.equal(page.total, acknowledged.length + 1);
        for (const record of acknowledged) assert.deepEqual(await ds.get(record.id), record, `${record.id} survived`);
        assert.equal(await ds.get('during'), undefined, 'the refused create was not applied');
      } finally {
        await ds.close();
        await mongo.close();
        await dropDatabase(database);
      }
    });

    it('keeps every write acknowledged before the connection is cut mid-burst', { timeout: 60_000 }, async (t) => {
      const mongo = await restartableMongo(server);
      const database = freshDatabase();
      const ds = createMongoDatasource({ collection: 'items', dataDir: '', url: mongo.url, database, serverSelectionTimeoutMS: 1000 });
      const acked = new Set<string>();
      const failed: string[] = [];
      let next = 0;
      let cut = false;
      const deadline = Date.now() + 20_000;
      try {
        await ds.open();
        // Four writers in parallel, each bounded in count and time; the cut comes after 200 acknowledgements.
        const writer = async () => {
          for (let n = 0; n < 1000 && Date.now() < deadline; n++) {
            if (failed.length >= 8) return;
            const id = `w${next++}`;
            try {
              await ds.create(makeRecord(id, { n }));
              acked.add(id);
              if (acked.size >= 200 && !cut) {
                cut = true;
                await mongo.stop();
              }
            } catch (error) {
              assert.ok(error instanceof MicrolibError && error.code === 'MLB_ERR_UNAVAILABLE', String(error));
              failed.push(id);
            }
          }
        };
        await Promise.all([writer(), writer(), writer(), writer()]);
        assert.ok(cut, `the burst ended before the cut (${acked.size} acknowledged)`);
        assert.ok(failed.length > 0, 'writes failed while cut off');
        await mongo.start();
        const page = await eventually(() => ds.list(listQuery({ limit: 10_000, count: true })));
        const stored = new Set(ids(page.records));
        for (const id of acked) assert.ok(stored.has(id), `${id} was acknowledged but is missing`);
        // A write cut off in flight may or may not have been applied; nothing else may appear.
        for (const id of stored) assert.ok(acked.has(id) || failed.includes(id), `${id} appeared from nowhere`);
        t.diagnostic(`${acked.size} acknowledged, ${failed.length} failed, ${stored.size} stored`);
      } finally {
        await ds.close();
        await mongo.close();
        await dropDatabase(database);
      }
    });
  });
});
