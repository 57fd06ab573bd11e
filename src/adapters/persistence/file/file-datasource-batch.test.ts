// The file datasource stores a batch (createMany) in one group commit: one
// fdatasync for all of its records, each of which is then durable.
import assert from 'node:assert/strict';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import type { FileHandle } from 'node:fs/promises';
import { listQuery, makeRecord } from '../../../testing/index.js';
import { createFileDatasource } from './file-datasource.js';

/** Counts fdatasync calls on every file handle while `body` runs. */
async function countingDatasyncs<T>(dir: string, body: () => Promise<T>): Promise<{ result: T; datasyncs: number }> {
  const probe = await open(join(dir, 'probe'), 'a');
  const prototype = Object.getPrototypeOf(probe) as FileHandle;
  await probe.close();
  const original = prototype.datasync;
  let datasyncs = 0;
  prototype.datasync = function (this: FileHandle) {
    datasyncs++;
    return original.call(this);
  };
  try {
    return { result: await body(), datasyncs };
  } finally {
    prototype.datasync = original;
  }
}

it('stores a batch of 500 records with one fdatasync, all of them there after reopening', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'microlib-file-batch-'));
  // No periodic sidecar writes while counting.
  const options = { collection: 'items', dataDir: dir, checkpointIntervalMs: 3_600_000 };
  try {
    const ds = createFileDatasource(options);
    await ds.open();
    const records = Array.from({ length: 500 }, (_, i) => makeRecord(`r${i}`, { n: i, text: 'x'.repeat(200) }));
    const { result, datasyncs } = await countingDatasyncs(dir, () => ds.createMany!(records));
    assert.equal(datasyncs, 1, 'one group commit for the batch');
    assert.ok(result.every((outcome) => outcome.status === 'fulfilled'));
    await ds.close();

    const reopened = createFileDatasource(options);
    await reopened.open();
    try {
      const page = await reopened.list(listQuery({ limit: 1000, count: true }));
      assert.equal(page.total, 500);
      assert.deepEqual(page.records, records);
    } finally {
      await reopened.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
