// A log that lost acknowledged records (emptied, truncated, or replaced by an older copy) is refused
// at open, naming FILE_ACCEPT_DATA_LOSS, instead of starting silently with what is left; told to
// accept it, the datasource opens and remembers the new state. Deletes made after the last
// checkpoint, before a crash, are not mistaken for a loss.
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MicrolibError } from '../../../domain/errors.js';
import { listQuery, makeRecord } from '../../../testing/index.js';
import { createFileDatasource, type FileDatasource } from './file-datasource.js';

function captureWarnings(): { warnings: string[]; logger: { warn(details: object, message: string): void } } {
  const warnings: string[] = [];
  return { warnings, logger: { warn: (details, message) => warnings.push(`${message} ${JSON.stringify(details)}`) } };
}

async function inTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'microlib-data-loss-'));
  try {
    await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const open = async (dir: string, options: Record<string, unknown> = {}): Promise<FileDatasource> => {
  const ds = createFileDatasource({ collection: 'items', dataDir: dir, logger: captureWarnings().logger, ...options });
  await ds.open();
  return ds;
};
const count = async (ds: FileDatasource) => (await ds.list(listQuery({ count: true }))).total;

/** The open error's message, failing the test if the open succeeds or fails otherwise. */
async function refusal(dir: string, logger = captureWarnings().logger): Promise<string> {
  const ds = createFileDatasource({ collection: 'items', dataDir: dir, logger });
  try {
    await ds.open();
  } catch (error) {
    assert.ok(error instanceof MicrolibError && error.code === 'MLB_ERR_UNAVAILABLE', String(error));
    return error.message;
  }
  await ds.close();
  return assert.fail('the log opened');
}

/** The sidecar's lastSeq, once it shows `atLeast` (checkpoints are written off the write path). */
async function checkpointed(dir: string, atLeast: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const meta = JSON.parse(await readFile(join(dir, 'items.log.meta'), 'utf8').catch(() => '{}')) as { lastSeq?: number };
    if ((meta.lastSeq ?? 0) >= atLeast) return;
    if (Date.now() > deadline) assert.fail(`the sidecar never reached sequence ${atLeast}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** What a crash would leave: the files as they are while the datasource is open. */
async function copyAsCrashed(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const name of ['items.log', 'items.log.meta']) await copyFile(join(from, name), join(to, name));
}

describe('file datasource: a log with fewer records than acknowledged', () => {
  it('refuses a log emptied to 0 bytes, naming FILE_ACCEPT_DATA_LOSS, and leaves it as found', () =>
    inTempDir(async (dir) => {
      const ds = await open(dir);
      for (const id of ['a', 'b', 'c']) await ds.create(makeRecord(id));
      await ds.close();
      await truncate(join(dir, 'items.log'), 0);
      const { warnings, logger } = captureWarnings();
      const message = await refusal(dir, logger);
      assert.match(message, /items\.log holds 0 records, fewer than acknowledged: records were created up to sequence 3, the log shows only up to 0/);
      assert.match(message, /FILE_ACCEPT_DATA_LOSS=1/);
      assert.equal(warnings.length, 1, 'the refusal is logged too');
      assert.equal((await stat(join(dir, 'items.log'))).size, 0, 'a refused log is not touched');
    }));

  it('opens with FILE_ACCEPT_DATA_LOSS (acceptDataLoss), warning, and then remembers the new state', () =>
    inTempDir(async (dir) => {
      const ds = await open(dir);
      for (const id of ['a', 'b']) await ds.create(makeRecord(id));
      await ds.close();
      await writeFile(join(dir, 'items.log'), '');
      const { warnings, logger } = captureWarnings();
      const accepted = await open(dir, { acceptDataLoss: true, logger });
      assert.equal(await count(accepted), 0);
      assert.match(warnings.join('\n'), /DATA LOSS ACCEPTED \(FILE_ACCEPT_DATA_LOSS\)/);
      await accepted.create(makeRecord('z'));
      await accepted.close();
      const next = await open(dir);
      assert.equal(await count(next), 1, 'the next start needs no flag');
      await next.close();
    }));

  it('refuses a log cut short at a line boundary after a clean close (a lost update)', () =>
    inTempDir(async (dir) => {
      const ds = await open(dir);
      await ds.create(makeRecord('a', { v: 1 }));
      await ds.replace(makeRecord('a', { v: 2 }, 2), 1);
      await ds.close();
      const log = await readFile(join(dir, 'items.log'), 'utf8');
      const lines = log.trimEnd().split('\n');
      await writeFile(join(dir, 'items.log'), `${lines.slice(0, -1).join('\n')}\n`);
      assert.match(await refusal(dir), /the log was closed at \d+ bytes and is now \d+/);
    }));

  it('refuses, after a crash, a log that lost records the last periodic checkpoint saw', () =>
    inTempDir(async (dir) => {
      const ds = await open(dir, { checkpointIntervalMs: 10 });
      for (const id of ['a', 'b', 'c']) await ds.create(makeRecord(id));
      await checkpointed(dir, 3);
      const crashed = join(dir, 'crashed');
      await copyAsCrashed(dir, crashed);
      await ds.close();
      const log = (await readFile(join(crashed, 'items.log'), 'utf8')).split('\n');
      await writeFile(join(crashed, 'items.log'), `${log.slice(0, 2).join('\n')}\n`);
      assert.match(await refusal(crashed), /records were created up to sequence 3, the log shows only up to 1/);
    }));

  it('after a crash, does not take deletes since the last checkpoint, or a compaction that dropped the newest record, for a loss; an emptied log it does', () =>
    inTempDir(async (dir) => {
      const ds = await open(dir, { checkpointIntervalMs: 0 });
      for (const id of ['a', 'b', 'c', 'd']) await ds.create(makeRecord(id));
      await ds.delete('d');
      // The compaction writes the checkpoint (sequence 4) and a log in which no record holds sequence 4 any more.
      await ds.compact();
      await checkpointed(dir, 4);
      await ds.delete('c');
      await ds.delete('b');
      const deleted = join(dir, 'deleted');
      const emptied = join(dir, 'emptied');
      await copyAsCrashed(dir, deleted);
      await copyAsCrashed(dir, emptied);
      await ds.close();
      const reopened = await open(deleted);
      assert.deepEqual((await reopened.list(listQuery())).records.map((r) => r.id), ['a']);
      await reopened.close();
      await truncate(join(emptied, 'items.log'), 0);
      assert.match(await refusal(emptied), /records were created up to sequence 4, the log shows only up to 0/);
    }));
});
