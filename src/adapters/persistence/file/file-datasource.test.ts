import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MicrolibError } from '../../../domain/errors.js';
import type { StoredRecord } from '../../../domain/model-spec.js';
import { datasourceConformance, listQuery, makeRecord, rejectsWithCode } from '../../../testing/index.js';
import { crc32 } from './crc32.js';
import { createFileDatasource, type FileDatasource } from './file-datasource.js';

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'microlib-file-ds-'));
}

/** A logger that keeps the warnings it receives. */
function captureWarnings(): { warnings: string[]; logger: { warn(details: object, message: string): void } } {
  const warnings: string[] = [];
  return { warnings, logger: { warn: (details, message) => warnings.push(`${message} ${JSON.stringify(details)}`) } };
}

function fileDatasource(dataDir: string, options: Record<string, unknown> = {}): FileDatasource {
  return createFileDatasource({ collection: 'items', dataDir, logger: captureWarnings().logger, ...options });
}

/** Opens the `items` collection in `dataDir`, runs `body`, and closes it. */
async function withOpen<T>(dataDir: string, body: (ds: FileDatasource) => Promise<T>, options: Record<string, unknown> = {}): Promise<T> {
  const ds = fileDatasource(dataDir, options);
  await ds.open();
  try {
    return await body(ds);
  } finally {
    await ds.close();
  }
}

/** Runs `body` with a fresh temporary folder that is removed afterwards. */
async function inTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await tempDir();
  try {
    await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const ids = (records: readonly StoredRecord[]) => records.map((record) => record.id);

datasourceConformance('file', async () => {
  const dir = await tempDir();
  return {
    ds: createFileDatasource({ collection: 'conformance', dataDir: dir, logger: captureWarnings().logger }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

datasourceConformance('file with indexes', async () => {
  const dir = await tempDir();
  const indexes = [{ fields: { age: 1 } }, { fields: { city: 'hashed' } }, { fields: { vip: 1, age: -1 } }, { fields: { n: 1 } }, { fields: { s: 1, n: -1 } }, { fields: { d: -1 } }, { fields: { rank: -1 } }];
  return {
    ds: createFileDatasource({ collection: 'conformance', dataDir: dir, logger: captureWarnings().logger, indexes }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

describe('file datasource', () => {
  it('builds its indexes from the log at open and keeps them through compaction', () =>
    inTempDir(async (dir) => {
      const options = { indexes: [{ fields: { total: 1 } }, { fields: { tag: 'hashed' } }] };
      await withOpen(
        dir,
        async (ds) => {
          for (let i = 0; i < 1_000; i++) await ds.create(makeRecord(`r${i}`, { total: i, tag: `t${i % 10}` }));
          // Moves in the log: a replace to a new total, a delete.
          await ds.replace(makeRecord('r10', { total: 5_000, tag: 'moved' }, 2), 1);
          await ds.delete('r999');
        },
        options,
      );
      const top = listQuery({ where: [{ field: 'total', op: 'gte', value: 990 }], sort: [{ field: 'total', direction: 1 }], limit: 20 });
      const expectTop = async (ds: FileDatasource) => {
        const before = ds.examinedRecords();
        const page = await ds.list(top);
        assert.deepEqual(ids(page.records), ['r990', 'r991', 'r992', 'r993', 'r994', 'r995', 'r996', 'r997', 'r998', 'r10']);
        assert.ok(ds.examinedRecords() - before <= 10, `examined ${ds.examinedRecords() - before}`);
        const moved = await ds.list(listQuery({ filter: { tag: 'moved' }, count: true }));
        assert.deepEqual([ids(moved.records), moved.total], [['r10'], 1]);
      };
      await withOpen(
        dir,
        async (ds) => {
          await expectTop(ds);
          await ds.compact();
          await expectTop(ds);
          await ds.create(makeRecord('late', { total: 995.5 }));
          assert.equal(ids((await ds.list(top)).records)[6], 'late');
        },
        options,
      );
    }));

  it('refuses a bad index declaration when created, naming the option', () => {
    assert.throws(() => fileDatasource('/nowhere', { indexes: [{ fields: { total: 1 }, unique: true }] }), { code: 'MLB_ERR_VALIDATION', field: 'indexes' });
  });

  it('finds all data again after reopening, in creation order, with cursors still valid', () =>
    inTempDir(async (dir) => {
      const cursor = await withOpen(dir, async (ds) => {
        assert.equal(ds.kind, 'file');
        for (const id of ['k', 'c', 'x', 'a', 'm']) await ds.create(makeRecord(id, { label: id.toUpperCase() }));
        await ds.replace(makeRecord('c', { label: 'changed' }, 2), 1);
        await ds.delete('x');
        const page = await ds.list(listQuery({ limit: 2 }));
        assert.deepEqual(ids(page.records), ['k', 'c']);
        return page.nextCursor as string;
      });
      await withOpen(dir, async (ds) => {
        assert.deepEqual(ids((await ds.list(listQuery())).records), ['k', 'c', 'a', 'm']);
        assert.deepEqual(await ds.get('c'), makeRecord('c', { label: 'changed' }, 2));
        assert.equal(await ds.get('x'), undefined);
        assert.deepEqual(ids((await ds.list(listQuery({ cursor }))).records), ['a', 'm']);
        await ds.create(makeRecord('z'));
        assert.deepEqual(ids((await ds.list(listQuery())).records), ['k', 'c', 'a', 'm', 'z']);
      });
    }));

  it('creates a missing data folder and keeps one log per collection, each with its sidecar', () =>
    inTempDir(async (dir) => {
      const nested = join(dir, 'deep', 'er');
      const orders = createFileDatasource({ collection: 'orders', dataDir: nested });
      const customers = createFileDatasource({ collection: 'customers', dataDir: nested });
      await orders.open();
      await customers.open();
      await orders.create(makeRecord('o1'));
      await customers.create(makeRecord('c1'));
      await orders.close();
      await customers.close();
      assert.deepEqual((await readdir(nested)).sort(), ['customers.log', 'customers.log.meta', 'orders.log', 'orders.log.meta']);
    }));

  it('shows a write only once it is durable', () =>
    inTempDir(async (dir) => {
      await withOpen(dir, async (ds) => {
        const writing = ds.create(makeRecord('w'));
        assert.equal(await ds.get('w'), undefined);
        await writing;
        assert.ok(await ds.get('w'));
      });
    }));

  it('flushes writes still queued when closed', () =>
    inTempDir(async (dir) => {
      const ds = fileDatasource(dir);
      await ds.open();
      const writes = Array.from({ length: 100 }, (_, i) => ds.create(makeRecord(`q${i}`)));
      await ds.close();
      assert.equal((await Promise.all(writes)).length, 100);
      await rejectsWithCode(ds.create(makeRecord('late')), 'MLB_ERR_UNAVAILABLE');
      await withOpen(dir, async (reopened) => {
        assert.equal((await reopened.list(listQuery({ limit: 1, count: true }))).total, 100);
      });
    }));

  it('ignores a torn or garbage tail and keeps the records before it, moving the garbage aside once', () =>
    inTempDir(async (dir) => {
      await withOpen(dir, async (ds) => {
        for (const id of ['a', 'b', 'c']) await ds.create(makeRecord(id, { v: id }));
      });
      await appendFile(join(dir, 'items.log'), 'complete garbage line\n0badc0de {"s":99,"r":{"id":"torn","rev');
      const { warnings, logger } = captureWarnings();
      await withOpen(
        dir,
        async (ds) => {
          assert.deepEqual(ids((await ds.list(listQuery())).records), ['a', 'b', 'c']);
          assert.equal(await ds.get('torn'), undefined);
          await ds.create(makeRecord('d'));
        },
        { logger },
      );
      assert.equal(warnings.length, 2, warnings.join('\n'));
      const again = captureWarnings();
      await withOpen(
        dir,
        async (ds) => {
          assert.deepEqual(ids((await ds.list(listQuery())).records), ['a', 'b', 'c', 'd']);
        },
        { logger: again.logger },
      );
      assert.deepEqual(again.warnings, [], 'the garbage line was moved aside: nothing is left to report');
      assert.equal(await readFile(join(dir, 'items.log.corrupt'), 'utf8'), 'complete garbage line\n');
      assert.doesNotMatch(await readFile(join(dir, 'items.log'), 'utf8'), /garbage/);
    }));

  it('skips a damaged line in the middle and keeps the records after it', () =>
    inTempDir(async (dir) => {
      await withOpen(dir, async (ds) => {
        for (let i = 1; i <= 5; i++) await ds.create(makeRecord(`r${i}`, { text: `record number ${i}` }));
      });
      const logPath = join(dir, 'items.log');
      const log = await readFile(logPath, 'utf8');
      assert.ok(log.includes('record number 3'));
      await writeFile(logPath, log.replace('record number 3', 'record numbeR 3'));
      const { warnings, logger } = captureWarnings();
      await withOpen(
        dir,
        async (ds) => {
          assert.deepEqual(ids((await ds.list(listQuery())).records), ['r1', 'r2', 'r4', 'r5']);
          await ds.replace(makeRecord('r5', { text: 'updated' }, 2), 1);
        },
        { logger },
      );
      assert.equal(warnings.length, 1);
      assert.match(warnings[0] as string, /damaged/);
      await withOpen(dir, async (ds) => {
        assert.equal((await ds.get('r5'))?.['text'], 'updated');
      });
    }));

  it('compacts the log when it outgrows the live data, without losing anything', () =>
    inTempDir(async (dir) => {
      const options = { compactMinBytes: 4096, compactRatio: 2 };
      const logPath = join(dir, 'items.log');
      let largest = 0;
      await withOpen(
        dir,
        async (ds) => {
          for (let i = 0; i < 10; i++) await ds.create(makeRecord(`c${i}`, { body: 'y'.repeat(100) }));
          for (let round = 2; round <= 100; round++) {
            await Promise.all(Array.from({ length: 10 }, (_, i) => ds.replace(makeRecord(`c${i}`, { body: 'z'.repeat(100), round }, round), round - 1)));
            largest = Math.max(largest, (await stat(logPath)).size);
          }
          await ds.delete('c3');
        },
        options,
      );
      // Without compaction the log would hold ~1000 lines of ~230 bytes.
      assert.ok(largest < 12_000, `log reached ${largest} bytes`);
      await withOpen(dir, async (ds) => {
        const page = await ds.list(listQuery({ count: true }));
        assert.equal(page.total, 9);
        assert.deepEqual(ids(page.records), ['c0', 'c1', 'c2', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9']);
        for (const record of page.records) assert.equal(record.revision, 100);
      });
    }));

  it('compacts on demand to exactly the live records, keeping creation order', () =>
    inTempDir(async (dir) => {
      const logPath = join(dir, 'items.log');
      await withOpen(dir, async (ds) => {
        for (const id of ['e', 'b', 'd', 'a', 'c']) await ds.create(makeRecord(id));
        await ds.delete('d');
        await ds.replace(makeRecord('e', { v: 2 }, 2));
        const before = await ds.list(listQuery({ limit: 2 }));
        await ds.compact();
        const lines = (await readFile(logPath, 'utf8')).trimEnd().split('\n');
        assert.equal(lines.length, 1 + 4, 'a header and one line per live record');
        assert.deepEqual(ids((await ds.list(listQuery({ cursor: before.nextCursor as string }))).records), ['a', 'c']);
        await ds.create(makeRecord('f'));
      });
      await withOpen(dir, async (ds) => {
        assert.deepEqual(ids((await ds.list(listQuery())).records), ['e', 'b', 'a', 'c', 'f']);
        assert.equal((await ds.get('e'))?.['v'], 2);
      });
    }));

  it('ignores the snapshot of a compaction that crashed before its rename', () =>
    inTempDir(async (dir) => {
      await withOpen(dir, async (ds) => {
        await ds.create(makeRecord('kept'));
      });
      await writeFile(join(dir, 'items.log.compact-tmp'), 'half a snapshot');
      await withOpen(dir, async (ds) => {
        assert.deepEqual(ids((await ds.list(listQuery())).records), ['kept']);
      });
      assert.deepEqual((await readdir(dir)).sort(), ['items.log', 'items.log.meta']);
    }));

  it('lets exactly one of many concurrent creates of one id reach the log', () =>
    inTempDir(async (dir) => {
      await withOpen(dir, async (ds) => {
        const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => ds.create(makeRecord('same', { by: i }))));
        assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1);
        await ds.delete('same');
        const again = await Promise.allSettled([ds.create(makeRecord('same', { by: 'x' })), ds.create(makeRecord('same', { by: 'y' }))]);
        assert.deepEqual(
          again.map((result) => result.status),
          ['fulfilled', 'rejected'],
        );
      });
      await withOpen(dir, async (ds) => {
        const page = await ds.list(listQuery({ count: true }));
        assert.equal(page.total, 1);
        assert.equal(page.records[0]?.['by'], 'x');
      });
    }));

  it('refuses unsafe collection names', () => {
    for (const collection of ['../escape', 'a/b', 'a\\b', '..', '.hidden', '', 'x'.repeat(200)]) {
      assert.throws(
        () => createFileDatasource({ collection, dataDir: tmpdir() }),
        (error: unknown) => error instanceof MicrolibError && error.field === 'collection',
        collection,
      );
    }
  });

  it('refuses to open one log twice in a process', () =>
    inTempDir(async (dir) => {
      const first = fileDatasource(dir);
      await first.open();
      const second = fileDatasource(dir);
      await rejectsWithCode(second.open(), 'MLB_ERR_UNAVAILABLE');
      await first.close();
      await second.open();
      await second.close();
    }));

  it('refuses a log written in an unknown format version', () =>
    inTempDir(async (dir) => {
      const payload = '{"log":"microlib","v":99}';
      await writeFile(join(dir, 'items.log'), `${crc32(payload).toString(16).padStart(8, '0')} ${payload}\n`);
      await rejectsWithCode(fileDatasource(dir).open(), 'MLB_ERR_UNAVAILABLE');
    }));
});
