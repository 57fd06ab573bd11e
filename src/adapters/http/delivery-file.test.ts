import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DeliveryFile } from './delivery-file.js';

async function withFolder(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'microlib-deliveries-'));
  try {
    await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const lines = async (file: string) => (await readFile(file, 'utf8')).split('\n').filter(Boolean).length;

describe('DeliveryFile', () => {
  it('remembers ids across instances (a restart), in a folder it makes', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'data', 'deliveries.jsonl');
      const first = new DeliveryFile(file);
      assert.equal(await first.firstTime('a'), true);
      assert.equal(await first.firstTime('a'), false);
      assert.equal(await first.firstTime('b'), true);
      const again = new DeliveryFile(file);
      assert.equal(await again.firstTime('a'), false);
      assert.equal(await again.firstTime('b'), false);
      assert.equal(await again.firstTime('c'), true);
    });
  });

  it('forgets ids past their age and beyond its capacity, and keeps its file bounded', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'deliveries.jsonl');
      let now = 1_000_000;
      const log = new DeliveryFile(file, { capacity: 3, maxAgeMs: 1000, now: () => now });
      for (const id of ['a', 'b', 'c', 'd']) assert.equal(await log.firstTime(id), true);
      assert.equal(await log.firstTime('a'), true, 'the oldest id left when a fourth came');
      assert.equal(await log.firstTime('d'), false);
      for (let i = 0; i < 20; i++) await log.firstTime(`x${i}`);
      assert.ok((await lines(file)) <= 6, 'rewritten once it holds twice the capacity');
      now += 1001;
      assert.equal(await log.firstTime('x19'), true, 'an id older than the age limit is forgotten');
      const reopened = new DeliveryFile(file, { capacity: 3, maxAgeMs: 1000, now: () => now });
      assert.equal(await reopened.firstTime('x19'), false);
      assert.equal(await reopened.firstTime('x18'), true, 'expired ids are not read back');
    });
  });

  it('skips a torn last line and damaged lines, and rewrites the file without them', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'deliveries.jsonl');
      const log = new DeliveryFile(file);
      await log.firstTime('kept');
      await appendFile(file, 'not json\n{"id":"torn","at":');
      const reopened = new DeliveryFile(file);
      assert.equal(await reopened.firstTime('kept'), false);
      assert.equal(await reopened.firstTime('torn'), true);
      assert.deepEqual((await readFile(file, 'utf8')).split('\n').filter(Boolean).map((line) => JSON.parse(line).id), ['kept', 'torn']);
    });
  });

  it('keeps long ids as their hash', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'deliveries.jsonl');
      const log = new DeliveryFile(file);
      const long = 'x'.repeat(5000);
      assert.equal(await log.firstTime(long), true);
      assert.equal(await new DeliveryFile(file).firstTime(long), false);
      assert.ok((await readFile(file, 'utf8')).length < 200);
    });
  });
});
