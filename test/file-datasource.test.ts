import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFile, mkdtemp, readdir, readFile, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as zlib from 'node:zlib';
import { crc32, crc32Fallback } from '../src/adapters/persistence/file/crc32.js';
import { createFileDatasource, type FileDatasource } from '../src/adapters/persistence/file/file-datasource.js';
import { GroupCommitWriter } from '../src/adapters/persistence/file/group-commit-writer.js';
import { MicrolibError } from '../src/domain/errors.js';
import type { StoredRecord } from '../src/domain/model-spec.js';
import { datasourceConformance, listQuery, makeRecord, rejectsWithCode } from './datasource-conformance.js';

const CHILD_SCRIPT = fileURLToPath(new URL('./support/file-writer-child.js', import.meta.url));

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

describe('file datasource', () => {
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

  it('creates a missing data folder and keeps one log per collection', () =>
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
      assert.deepEqual((await readdir(nested)).sort(), ['customers.log', 'orders.log']);
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

  it('keeps every acknowledged write when the process is killed with SIGKILL mid-burst', { timeout: 60_000 }, () =>
    inTempDir(async (dir) => {
      const child = spawn(process.execPath, [CHILD_SCRIPT, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let acks = 0;
      const ended = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)));
      const watchdog = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.stdout.setEncoding('utf8');
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => (stderr += chunk));
      child.stdout.on('data', (chunk: string) => {
        stdout += chunk;
        for (const char of chunk) if (char === '\n') acks++;
        if (acks >= 500) child.kill('SIGKILL');
      });
      const signal = await ended;
      clearTimeout(watchdog);
      assert.equal(signal, 'SIGKILL', `the child should have been killed mid-burst; stderr: ${stderr}`);
      assert.ok(acks >= 500, `only ${acks} acknowledgements before the kill; stderr: ${stderr}`);

      // Only complete lines are acknowledgements; the last one read may be cut.
      const lastAck = new Map<string, string>();
      for (const line of stdout.split('\n').slice(0, -1)) {
        const [operation, id] = line.split(' ');
        lastAck.set(id as string, operation as string);
      }
      const { warnings, logger } = captureWarnings();
      const ds = createFileDatasource({ collection: 'burst', dataDir: dir, logger });
      await ds.open();
      try {
        for (const [id, operation] of lastAck) {
          const n = Number(id.slice(1));
          const stored = await ds.get(id);
          if (operation === 'D') assert.equal(stored, undefined, `${id} was deleted`);
          else if (n % 5 === 0) assert.ok(stored === undefined || stored.revision === 1, `${id} created, maybe deleted`);
          else if (operation === 'R') assert.equal(stored?.revision, 2, `${id} was replaced`);
          else if (n % 3 === 0) assert.ok(stored?.revision === 1 || stored?.revision === 2, `${id} was created, maybe replaced`);
          else assert.equal(stored?.revision, 1, `${id} was created`);
        }
        await ds.create(makeRecord('after-crash'));
      } finally {
        await ds.close();
      }
      await withOpen(
        dir,
        async (reopened) => {
          assert.ok(await reopened.get('after-crash'));
        },
        { collection: 'burst' },
      );
      assert.ok(warnings.every((warning) => warning.includes('unfinished')), warnings.join('\n'));
    }));

  it('ignores a torn or garbage tail and keeps the records before it', () =>
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
      assert.equal(again.warnings.length, 1, 'only the garbage line is left to report');
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
      assert.deepEqual(await readdir(dir), ['items.log']);
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

  it('computes the same CRC-32 with its fallback as zlib', () => {
    const samples = ['', 'a', 'hello world', '{"s":1,"r":{"id":"é😀"}}', 'x'.repeat(1000)];
    for (const sample of samples) {
      assert.equal(crc32Fallback(sample), crc32(sample));
      assert.equal(crc32Fallback(Buffer.from(sample)), crc32(Buffer.from(sample)));
    }
    if (typeof (zlib as { crc32?: unknown }).crc32 === 'function') assert.equal(crc32('123456789'), 0xcbf43926);
  });
});

/** A stand-in file handle that records calls and fails on request (to reach the writer's failure paths). */
class FakeLogFile {
  readonly calls: string[] = [];
  written = '';
  failWrites = 0;
  failTruncate = false;

  async write(data: Uint8Array, offset: number, length: number): Promise<{ bytesWritten: number }> {
    this.calls.push('write');
    await new Promise((resolve) => setImmediate(resolve));
    if (this.failWrites > 0) {
      this.failWrites--;
      this.written += 'PARTIAL';
      throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    }
    this.written += Buffer.from(data.subarray(offset, offset + length)).toString('utf8');
    return { bytesWritten: length };
  }

  async datasync(): Promise<void> {
    this.calls.push('datasync');
  }

  async truncate(size: number): Promise<void> {
    this.calls.push(`truncate ${size}`);
    if (this.failTruncate) throw new Error('truncate failed');
    this.written = this.written.slice(0, size);
  }

  asHandle(): FileHandle {
    return this as unknown as FileHandle;
  }
}

describe('group commit writer', () => {
  it('appends writes queued together with one write and one fdatasync, applying them in order', async () => {
    const file = new FakeLogFile();
    const writer = new GroupCommitWriter(file.asHandle(), 0, async () => undefined);
    const applied: number[] = [];
    const first = Array.from({ length: 100 }, (_, i) => writer.append(`${i}\n`, () => (applied.push(i), i), () => undefined));
    // Queued while the first batch is being written: they form the second batch.
    await new Promise((resolve) => setImmediate(resolve));
    const second = Array.from({ length: 50 }, (_, i) => writer.append(`${100 + i}\n`, () => (applied.push(100 + i), 100 + i), () => undefined));
    assert.deepEqual(await Promise.all([...first, ...second]), Array.from({ length: 150 }, (_, i) => i));
    assert.deepEqual(file.calls, ['write', 'datasync', 'write', 'datasync']);
    assert.deepEqual(applied, Array.from({ length: 150 }, (_, i) => i));
    assert.equal(file.written, applied.map((i) => `${i}\n`).join(''));
    assert.equal(writer.bytes, Buffer.byteLength(file.written));
  });

  it('fails every queued write after a failed flush, cuts the partial batch off and keeps working', async () => {
    const file = new FakeLogFile();
    const writer = new GroupCommitWriter(file.asHandle(), 0, async () => undefined);
    await writer.append('kept\n', () => undefined, () => undefined);
    file.failWrites = 1;
    let abandoned = 0;
    const applied: string[] = [];
    const doomed = ['a', 'b', 'c'].map((line) =>
      writer.append(`${line}\n`, () => applied.push(line), () => abandoned++),
    );
    for (const write of doomed) await rejectsWithCode(write, 'MLB_ERR_UNAVAILABLE');
    assert.equal(abandoned, 3);
    assert.equal(applied.length, 0);
    assert.ok(file.calls.includes('truncate 5'));
    await writer.append('after\n', () => applied.push('after'), () => undefined);
    assert.equal(file.written, 'kept\nafter\n');
    assert.deepEqual(applied, ['after']);
  });

  it('refuses further writes when a failed flush cannot be cut off', async () => {
    const file = new FakeLogFile();
    const writer = new GroupCommitWriter(file.asHandle(), 0, async () => undefined);
    file.failWrites = 1;
    file.failTruncate = true;
    await rejectsWithCode(writer.append('x\n', () => undefined, () => undefined), 'MLB_ERR_UNAVAILABLE');
    let abandoned = false;
    await rejectsWithCode(writer.append('y\n', () => undefined, () => (abandoned = true)), 'MLB_ERR_UNAVAILABLE');
    assert.ok(abandoned);
    assert.equal(file.calls.filter((call) => call === 'write').length, 1);
  });
});
