// Key rotation of sensitive fields through the datasource interface: records written under the
// old password stay readable (and findable by lookup) while the re-encryption task writes them
// again under the new key, a client's concurrent write is never lost, the task resumes where it
// stopped, and once it finished the new password alone reads everything. Memory, file and MongoDB.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadFieldKeys, type KeyRotation } from '../src/adapters/crypto/encryption-keys.js';
import { readRotationState } from '../src/adapters/crypto/rotation-state.js';
import { createMemoryDatasource } from '../src/adapters/persistence/memory/memory-datasource.js';
import { createFileDatasource } from '../src/adapters/persistence/file/file-datasource.js';
import { createMongoDatasource } from '../src/adapters/persistence/mongodb/mongodb-datasource.js';
import { closeAllMongoClients } from '../src/adapters/persistence/mongodb/mongodb-client-pool.js';
import type { Logger } from '../src/adapters/logging/logger.js';
import type { CatalogView } from '../src/catalog/live-catalog.js';
import type { Datasource, ListQuery } from '../src/domain/datasource.js';
import type { FieldCipher } from '../src/domain/field-protection.js';
import { Model } from '../src/domain/model.js';
import { ModelService } from '../src/domain/model-service.js';
import type { ModelSpecification, StoredRecord } from '../src/domain/model-spec.js';
import { reencryptLookupMatches, reencryptRecord, LOOKUP_REENCRYPT_LIMIT } from '../src/domain/reencryption.js';
import { ReencryptionTask } from '../src/host/features/persistence/reencryption-task.js';
import { mongoUrlForTests } from './support/mongo-server.js';
import { until } from './support/until.js';

const OLD = 'the old long password';
const NEW = 'the new long password';
const clock = { now: () => new Date().toISOString(), newId: () => randomUUID() };

const spec: ModelSpecification = {
  modelName: 'customer',
  endpoint: 'customers',
  factory: () => (input: Record<string, unknown>) => ({ ...input }),
  fields: {
    name: { type: 'string' },
    card: { type: 'string', sensitive: true },
    email: { type: 'string', sensitive: true, lookup: true },
  },
} as ModelSpecification;

function serviceOf(datasource: Datasource, cipher: FieldCipher): ModelService {
  return new ModelService(new Model(spec, { remote: 'kit', version: '1' }, {}, { cipher }), datasource, clock);
}

/** A catalog serving one model, as the task reads it. */
function catalogOf(service: ModelService): CatalogView {
  return { current: { models: () => [{ model: service.model, service, servedBy: 'kit@1' }].values() } } as unknown as CatalogView;
}

interface Logged {
  level: string;
  details: Record<string, unknown>;
  message: string;
}

function recordingLogger(lines: Logged[]): Logger {
  const at = (level: string) => (details: Record<string, unknown>, message: string) => void lines.push({ level, details, message });
  const logger = { info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return logger as unknown as Logger;
}

async function runTask(service: ModelService, rotation: KeyRotation, perSecond = 10_000, lines: Logged[] = []): Promise<Logged[]> {
  const task = new ReencryptionTask({ rotation, catalog: catalogOf(service), perSecond, logger: recordingLogger(lines), unloadedRemotes: () => [] });
  task.start();
  try {
    await until(() => rotation.state.finishedAt !== undefined, 're-encryption finished', 30_000);
    assert.equal(task.remaining(), 0);
  } finally {
    await task.stop();
  }
  return lines;
}

const keyIdOf = (envelope: unknown) => String(envelope).split(':')[2];

interface Kind {
  name: string;
  /** A fresh datasource (not opened) and, for those keeping files, where. */
  make(dataDir: string): Datasource;
  skip?: string | false;
}

const mongo = await mongoUrlForTests().catch(() => undefined);
after(async () => {
  await closeAllMongoClients();
  await mongo?.stop();
});

const kinds: Kind[] = [
  { name: 'memory', make: () => createMemoryDatasource({ collection: 'customer', dataDir: '' }) },
  { name: 'file', make: (dataDir) => createFileDatasource({ collection: 'customer', dataDir }) },
  {
    name: 'mongodb',
    make: () => createMongoDatasource({ collection: 'customer', dataDir: '', url: mongo!.url, database: `mlbrot_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}` }),
    skip: mongo === undefined && 'no MongoDB test server could start',
  },
];

async function withDataDir(run: (dataDir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'microlib-rotate-'));
  try {
    await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const quiet = () => undefined;

for (const kind of kinds) {
  describe(`key rotation over the ${kind.name} datasource`, { skip: kind.skip }, () => {
    it('reads and finds old records while re-encrypting, keeps revisions, and the new password alone reads everything after', async () => {
      await withDataDir(async (dataDir) => {
        const datasource = kind.make(dataDir);
        await datasource.open();
        try {
          const before = serviceOf(datasource, (await loadFieldKeys({ password: OLD, dataDir, warn: quiet })).cipher);
          const written: StoredRecord[] = [];
          for (let i = 0; i < 25; i++) written.push(await before.create({ name: `c${i}`, card: `4111-${i}`, email: `c${i}@example.com` }));
          written.push(await before.create({ name: 'no secrets' }));
          written.push(await before.create({ name: 'no card', email: 'nocard@example.com' }));

          const { cipher, rotation } = await loadFieldKeys({ password: NEW, previousPassword: OLD, dataDir, warn: quiet });
          assert.ok(rotation);
          const rotating = serviceOf(datasource, cipher);
          // Readable under new + previous before anything is re-encrypted.
          for (const [i, record] of written.slice(0, 25).entries()) assert.equal(rotating.model.reveal(await rotating.get(record.id)).card, `4111-${i}`);
          const revealed = rotating.model.reveal(await rotating.get(written[3]!.id));
          assert.equal(revealed.card, '4111-3');
          assert.equal(revealed.email, 'c3@example.com');
          // A lookup under the new key finds a record still under the old one (it is re-encrypted first).
          const found = await rotating.list({ filter: { email: 'c7@example.com' }, sort: [], limit: 10, offset: 0, count: true });
          assert.deepEqual(found.records.map((r) => r.id), [written[7]!.id]);
          assert.equal(found.total, 1);
          assert.equal(keyIdOf(found.records[0]!.card), cipher.keyId);

          const lines = await runTask(rotating, rotation);
          assert.ok(lines.some((line) => /ENCRYPTION_PWD_PREVIOUS may be removed/.test(line.message)));
          const progress = rotation.state.models.get('customer');
          assert.equal(progress?.done, true);
          // 26 records had a value under the old key; the one found by lookup was done already.
          assert.equal(progress?.reencrypted, 25);
          assert.equal(progress?.unreadable, 0);

          const after = serviceOf(datasource, (await loadFieldKeys({ password: NEW, dataDir, warn: quiet })).cipher);
          for (const record of written) {
            const stored = await after.get(record.id);
            assert.equal(stored.revision, record.revision, 'the revision is kept: clients\' If-Match stays valid');
            assert.equal(stored.updatedAt, record.updatedAt);
            for (const field of ['card', 'email']) if (typeof stored[field] === 'string') assert.equal(keyIdOf(stored[field]), cipher.keyId, `${record.id}.${field}`);
            const clear = after.model.reveal(stored);
            assert.equal(clear.name, record.name);
          }
          assert.equal(after.model.reveal(await after.get(written[24]!.id)).card, '4111-24');
          assert.equal(after.model.reveal(await after.get(written[26]!.id)).card, undefined);
          assert.equal(after.model.reveal(await after.get(written[26]!.id)).email, 'nocard@example.com');
          const lookup = await after.list({ filter: { email: 'c20@example.com' }, sort: [], limit: 10, offset: 0, count: false });
          assert.deepEqual(lookup.records.map((r) => r.id), [written[20]!.id]);
        } finally {
          await datasource.close();
        }
      });
    });

    it('never loses a client write made while a record is being re-encrypted', async () => {
      await withDataDir(async (dataDir) => {
        const datasource = kind.make(dataDir);
        await datasource.open();
        try {
          const before = serviceOf(datasource, (await loadFieldKeys({ password: OLD, dataDir, warn: quiet })).cipher);
          const ids: string[] = [];
          for (let i = 0; i < 6; i++) ids.push((await before.create({ name: `c${i}`, card: `card-${i}`, email: `c${i}@example.com` })).id);
          const { cipher, rotation } = await loadFieldKeys({ password: NEW, previousPassword: OLD, dataDir, warn: quiet });

          // Between the task's read of a record and its write, a client patches it.
          let client: ModelService | undefined;
          const patched = new Set<string>();
          const racing: Datasource = Object.create(datasource) as Datasource;
          racing.replace = async (record, expectedRevision) => {
            if (!patched.has(record.id) && ids.indexOf(record.id) % 2 === 0) {
              patched.add(record.id);
              await client!.update(record.id, { name: `patched ${record.id}`, card: `new card ${record.id}` });
            }
            return datasource.replace(record, expectedRevision);
          };
          const rotating = serviceOf(racing, cipher);
          client = serviceOf(datasource, cipher);
          assert.equal(await reencryptRecord(racing, rotating.model.protection!, ids[0]!), 'changed');
          await runTask(rotating, rotation!);
          assert.equal(patched.size, 3);

          const after = serviceOf(datasource, (await loadFieldKeys({ password: NEW, dataDir, warn: quiet })).cipher);
          for (const [index, id] of ids.entries()) {
            const clear = after.model.reveal(await after.get(id));
            if (index % 2 === 0) {
              assert.equal(clear.name, `patched ${id}`);
              assert.equal(clear.card, `new card ${id}`);
              assert.equal((await after.get(id)).revision, 2);
            } else {
              assert.equal(clear.card, `card-${index}`);
            }
            assert.equal(clear.email, `c${index}@example.com`);
          }
        } finally {
          await datasource.close();
        }
      });
    });
  });
}

describe('the re-encryption task', () => {
  it('resumes after a restart where it stopped, without writing done records again', async () => {
    await withDataDir(async (dataDir) => {
      const datasource = createFileDatasource({ collection: 'customer', dataDir });
      await datasource.open();
      try {
        const before = serviceOf(datasource, (await loadFieldKeys({ password: OLD, dataDir, warn: quiet })).cipher);
        for (let i = 0; i < 12; i++) await before.create({ name: `c${i}`, card: `card-${i}` });
        const first = await loadFieldKeys({ password: NEW, previousPassword: OLD, dataDir, warn: quiet });
        // 4 records a second: pages of 4, a second apart.
        const task = new ReencryptionTask({ rotation: first.rotation!, catalog: catalogOf(serviceOf(datasource, first.cipher)), perSecond: 4, logger: recordingLogger([]), unloadedRemotes: () => [] });
        task.start();
        await until(async () => ((await readRotationState(dataDir))?.models.get('customer')?.processed ?? 0) >= 4, 'a first page recorded');
        await task.stop();
        const stopped = (await readRotationState(dataDir))!.models.get('customer')!;
        assert.equal(stopped.done, false);
        assert.ok(stopped.cursor, 'the place is recorded');
        assert.ok(stopped.processed < 12);

        // "Restart": the keys and the recorded progress are loaded again.
        const second = await loadFieldKeys({ password: NEW, previousPassword: OLD, dataDir, warn: quiet });
        assert.deepEqual(second.rotation!.state.models.get('customer'), stopped);
        const lines = await runTask(serviceOf(datasource, second.cipher), second.rotation!);
        const done = second.rotation!.state.models.get('customer')!;
        assert.equal(done.processed, 12, 'every record looked at once');
        assert.equal(done.reencrypted, 12);
        assert.ok(lines.some((line) => line.message === 'field re-encryption of a model done'));
      } finally {
        await datasource.close();
      }
    });
  });

  it('does not finish while a remote has not loaded', async () => {
    await withDataDir(async (dataDir) => {
      const datasource = createMemoryDatasource({ collection: 'customer', dataDir: '' });
      await datasource.open();
      await loadFieldKeys({ password: OLD, dataDir, warn: quiet });
      const { cipher, rotation } = await loadFieldKeys({ password: NEW, previousPassword: OLD, dataDir, warn: quiet });
      let unloaded = ['billing'];
      const lines: Logged[] = [];
      const task = new ReencryptionTask({ rotation: rotation!, catalog: catalogOf(serviceOf(datasource, cipher)), perSecond: 100, logger: recordingLogger(lines), unloadedRemotes: () => unloaded });
      task.start();
      try {
        await until(() => lines.some((line) => /waits for remotes that have not loaded/.test(line.message)), 'the wait is logged');
        assert.equal(rotation!.state.finishedAt, undefined);
        assert.deepEqual(lines.find((line) => line.level === 'warn')?.details, { remotes: ['billing'] });
        unloaded = [];
        await until(() => rotation!.state.finishedAt !== undefined, 'finished once the remote loaded', 15_000);
      } finally {
        await task.stop();
      }
      // The verifier names the new key: the new password alone opens the folder.
      await loadFieldKeys({ password: NEW, dataDir, warn: quiet });
    });
  });
});

describe('lookups while keys rotate', () => {
  it('re-encrypt what the previous key finds, up to a limit, then answer 503', async () => {
    await withDataDir(async (dataDir) => {
      const datasource = createMemoryDatasource({ collection: 'customer', dataDir: '' });
      await datasource.open();
      const before = serviceOf(datasource, (await loadFieldKeys({ password: OLD, dataDir, warn: quiet })).cipher);
      for (let i = 0; i < 3; i++) await before.create({ name: `same ${i}`, email: 'same@example.com' });
      const { cipher } = await loadFieldKeys({ password: NEW, previousPassword: OLD, dataDir, warn: quiet });
      const rotating = serviceOf(datasource, cipher);
      const query: ListQuery = { filter: { email: 'same@example.com' }, sort: [], limit: 2, offset: 0, count: true };
      const page = await rotating.list(query);
      assert.equal(page.total, 3);
      assert.equal(page.records.length, 2);
      // Without a lookup filter, or once keys do not rotate, nothing extra runs.
      assert.equal(rotating.model.protection!.previousKeyQuery({ ...query, filter: { name: 'x' } }), undefined);
      assert.equal(before.model.protection!.previousKeyQuery(query), undefined);

      // Beyond the limit of one query, the client is asked to retry.
      const many: Datasource = Object.create(datasource) as Datasource;
      many.list = async () => ({ records: [], nextCursor: 'more' });
      await assert.rejects(reencryptLookupMatches(many, rotating.model.protection!, query), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'MLB_ERR_UNAVAILABLE');
        assert.match(error.message, new RegExp(`more than ${LOOKUP_REENCRYPT_LIMIT} records match this filter under the previous encryption key`));
        return true;
      });
    });
  });
});
