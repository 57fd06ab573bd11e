import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DataDirLockedError, LOCK_FILE, lockDataDir } from './data-dir-lock.js';

async function tempDir(t: { after(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'microlib-lock-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const lockOf = (pid: number, hostname = os.hostname()) => JSON.stringify({ pid, hostname, since: '2026-01-01T00:00:00.000Z' });

describe('lockDataDir', () => {
  it('makes the folder, records this process, and removes the lock on release', async (t) => {
    const dataDir = path.join(await tempDir(t), 'data');
    const lock = await lockDataDir(dataDir);
    const holder = JSON.parse(await readFile(path.join(dataDir, LOCK_FILE), 'utf8'));
    assert.equal(holder.pid, process.pid);
    assert.equal(holder.hostname, os.hostname());
    await lock.release();
    assert.deepEqual(await readdir(dataDir), []);
    await lock.release(); // twice is harmless
  });

  it('refuses a folder a live process holds, naming the folder and the pid', async (t) => {
    const dataDir = await tempDir(t);
    await writeFile(path.join(dataDir, LOCK_FILE), lockOf(4242));
    await assert.rejects(
      lockDataDir(dataDir, { isAlive: (pid) => pid === 4242 }),
      (error: unknown) => error instanceof DataDirLockedError && error.message.startsWith(`DATA_DIR ${dataDir} is in use by process 4242 (`),
    );
    assert.equal(await readFile(path.join(dataDir, LOCK_FILE), 'utf8'), lockOf(4242), 'the holder keeps its lock');
  });

  it('refuses a second lock in the same process', async (t) => {
    const dataDir = await tempDir(t);
    const lock = await lockDataDir(dataDir);
    t.after(() => lock.release());
    await assert.rejects(lockDataDir(dataDir), /is in use by process \d+ \(this process\)/);
  });

  it('refuses a lock held from another host, whose process it cannot check', async (t) => {
    const dataDir = await tempDir(t);
    await writeFile(path.join(dataDir, LOCK_FILE), lockOf(4242, 'elsewhere.example'));
    await assert.rejects(lockDataDir(dataDir, { isAlive: () => false }), /in use by process 4242 \(on host elsewhere\.example/);
  });

  it('takes over the lock of a process that is gone, with a warning', async (t) => {
    const dataDir = await tempDir(t);
    await writeFile(path.join(dataDir, LOCK_FILE), lockOf(4242));
    const warnings: string[] = [];
    const lock = await lockDataDir(dataDir, { isAlive: () => false, warn: (message) => warnings.push(message) });
    t.after(() => lock.release());
    assert.equal(JSON.parse(await readFile(lock.path, 'utf8')).pid, process.pid);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /locked by process 4242, which is gone/);
    assert.deepEqual(await readdir(dataDir), [LOCK_FILE], 'no file left aside');
  });

  it('takes over an unreadable lock file', async (t) => {
    const dataDir = await tempDir(t);
    await writeFile(path.join(dataDir, LOCK_FILE), '');
    const lock = await lockDataDir(dataDir);
    t.after(() => lock.release());
    assert.equal(JSON.parse(await readFile(lock.path, 'utf8')).pid, process.pid);
  });

  it('does not remove a lock another process took over after this one', async (t) => {
    const dataDir = await tempDir(t);
    const lock = await lockDataDir(dataDir);
    await writeFile(lock.path, lockOf(4242));
    await lock.release();
    assert.equal(await readFile(lock.path, 'utf8'), lockOf(4242));
  });
});
