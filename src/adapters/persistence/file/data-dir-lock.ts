/**
 * One process per data folder: two hosts appending to the same logs would
 * interleave and corrupt them. The lock is a file in the folder naming its
 * holder (pid, hostname); it is created atomically (written aside, then
 * hard-linked into place, which fails if it exists), so a reader never sees a
 * half-written lock. A lock whose holder is gone (the host was killed with
 * SIGKILL) is taken over; a live holder's lock refuses the start.
 */
import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** Name of the lock file inside the data folder. */
export const LOCK_FILE = '.microlib.lock';

/** What the lock file records of its holder. */
export interface LockHolder {
  pid: number;
  hostname: string;
  /** ISO time the lock was taken. */
  since: string;
}

/** The data folder is locked by another live process: the host must not start. */
export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
  ) {
    const where = holder.hostname === os.hostname() ? (holder.pid === process.pid ? 'this process' : `since ${holder.since}`) : `on host ${holder.hostname}, since ${holder.since}`;
    super(
      `DATA_DIR ${dataDir} is in use by process ${holder.pid} (${where}); stop that host first or give this one another DATA_DIR` +
        ` (if no host uses the folder, remove ${path.join(dataDir, LOCK_FILE)})`,
    );
    this.name = 'DataDirLockedError';
  }
}

/** A lock held by this process; `release` removes it (once). */
export interface DataDirLock {
  readonly path: string;
  release(): Promise<void>;
}

export interface LockOptions {
  /** Told when a dead holder's lock is taken over. */
  warn?: (message: string) => void;
  /** Whether a pid runs on this host; replaceable for tests. */
  isAlive?: (pid: number) => boolean;
}

/**
 * Takes the lock on `dataDir` (made if absent). Throws {@link DataDirLockedError}
 * when a live process holds it, or a process on another host (whose liveness
 * cannot be checked from here).
 */
export async function lockDataDir(dataDir: string, options: LockOptions = {}): Promise<DataDirLock> {
  const isAlive = options.isAlive ?? processIsAlive;
  const lockPath = path.join(dataDir, LOCK_FILE);
  await mkdir(dataDir, { recursive: true });
  const mine: LockHolder = { pid: process.pid, hostname: os.hostname(), since: new Date().toISOString() };
  const content = JSON.stringify(mine);
  // A few rounds: another starter may take over the same stale lock between our read and our move.
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await tryCreate(lockPath, content)) return heldLock(lockPath, content);
    const text = await readFile(lockPath, 'utf8').catch(missingAsNull);
    if (text === null) continue; // released meanwhile
    const holder = parseHolder(text);
    if (holder && (holder.hostname !== mine.hostname || isAlive(holder.pid))) throw new DataDirLockedError(dataDir, holder);
    if (await removeStale(lockPath, text)) {
      options.warn?.(
        holder
          ? `DATA_DIR ${dataDir} was locked by process ${holder.pid}, which is gone (killed or crashed): taking the lock over`
          : `DATA_DIR ${dataDir} had an unreadable lock file: taking the lock over`,
      );
    }
  }
  throw new Error(`could not take the lock ${lockPath}: other processes keep taking it`);
}

/** Creates the lock with its full content, or answers false if one exists. */
async function tryCreate(lockPath: string, content: string): Promise<boolean> {
  const aside = `${lockPath}.${process.pid}.tmp`;
  await writeFile(aside, content);
  try {
    await link(aside, lockPath);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(aside).catch(() => undefined);
  }
}

/**
 * Moves the stale lock aside (atomic: of two processes, one moves it) and checks
 * that what was moved is the stale lock read before; if another starter had
 * already replaced it with its own, that lock is put back.
 */
async function removeStale(lockPath: string, staleText: string): Promise<boolean> {
  const aside = `${lockPath}.${process.pid}.stale`;
  try {
    await rename(lockPath, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  const moved = await readFile(aside, 'utf8');
  if (moved !== staleText) await link(aside, lockPath).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
  return moved === staleText;
}

function heldLock(lockPath: string, content: string): DataDirLock {
  let released = false;
  return {
    path: lockPath,
    async release() {
      if (released) return;
      released = true;
      // Only our own lock: never one another process took over meanwhile.
      const text = await readFile(lockPath, 'utf8').catch(missingAsNull);
      if (text === content) await unlink(lockPath).catch(() => undefined);
    },
  };
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockHolder>;
    if (Number.isInteger(value.pid) && (value.pid as number) > 0 && typeof value.hostname === 'string') {
      return { pid: value.pid as number, hostname: value.hostname, since: String(value.since ?? 'an unknown time') };
    }
  } catch {
    // unreadable: treated as stale below
  }
  return undefined;
}

/** Signal 0 checks existence only; EPERM means the pid exists under another user. */
function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function missingAsNull(error: unknown): null {
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
  throw error;
}
