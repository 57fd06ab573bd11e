/**
 * The isolation keys of a `remoteEntries.js` entry: where the remote's code
 * runs and the budgets it gets there. Absent keys take the host's defaults
 * (REMOTE_ISOLATION, REMOTE_WORKERS, REMOTE_CALL_TIMEOUT_MS, REMOTE_MEMORY_MB,
 * REMOTE_MAX_QUEUE).
 */
import path from 'node:path';
import { RemoteEntriesError, type EntryFields } from './entry-fields.js';

/** What an entry may say about its isolation. */
export interface IsolationFields {
  /**
   * `thread` (the default): the remote's code runs in worker threads of its own;
   * `process`: in child processes under Node's permission model (files: only its
   * snapshot and `allowRead`); `none`: in the host itself, for trusted remotes.
   */
  isolation?: 'thread' | 'process' | 'none';
  /** Workers of each version (default REMOTE_WORKERS, 1): more let CPU-heavy model code use more cores. */
  workers?: number;
  /** A worker whose code runs this long without yielding is stopped and restarted; its calls answer 503. */
  callTimeoutMs?: number;
  /** Heap limit of each worker, in MB; past it the worker dies and restarts, the host does not. */
  memoryMb?: number;
  /** Calls running or waiting at once for this remote; past it a call answers 503 naming the remote. */
  maxQueue?: number;
  /** Environment variables the workers get (`NAME` or `PREFIX_*`); no other, never the host's secrets. */
  env?: string[];
  /** With `process`: more folders or files the workers may read (relative to remoteEntries.js). */
  allowRead?: string[];
  /** With `process`: folders or files the workers may write (relative to remoteEntries.js); none by default. */
  allowWrite?: string[];
}

const LEVELS = ['thread', 'process', 'none'] as const;
const ENV_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*\*?$/;

function whole(raw: EntryFields, key: string, where: string, min: number, max: number): number | undefined {
  const value = raw[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RemoteEntriesError(where, `"${key}" must be a whole number from ${min} to ${max}`);
  }
  return value;
}

function strings(raw: EntryFields, key: string, where: string, check: (item: string) => boolean, what: string): string[] | undefined {
  const value = raw[key];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || !check(item))) throw new RemoteEntriesError(where, `"${key}" must be an array of ${what}`);
  return [...(value as string[])];
}

export function readIsolationFields(raw: EntryFields, where: string, baseDir: string): IsolationFields {
  const isolation = raw.isolation;
  if (isolation !== undefined && !(LEVELS as readonly unknown[]).includes(isolation)) {
    throw new RemoteEntriesError(where, `"isolation" must be one of ${LEVELS.join(', ')}`);
  }
  const fields: IsolationFields = {};
  if (isolation !== undefined) fields.isolation = isolation as IsolationFields['isolation'];
  const workers = whole(raw, 'workers', where, 1, 64);
  const callTimeoutMs = whole(raw, 'callTimeoutMs', where, 10, 3_600_000);
  const memoryMb = whole(raw, 'memoryMb', where, 16, 65_536);
  const maxQueue = whole(raw, 'maxQueue', where, 1, 1_000_000);
  const env = strings(raw, 'env', where, (item) => ENV_PATTERN.test(item), 'variable names (NAME or PREFIX_*)');
  const allowRead = strings(raw, 'allowRead', where, (item) => item.length > 0, 'paths');
  const allowWrite = strings(raw, 'allowWrite', where, (item) => item.length > 0, 'paths');
  if (workers !== undefined) fields.workers = workers;
  if (callTimeoutMs !== undefined) fields.callTimeoutMs = callTimeoutMs;
  if (memoryMb !== undefined) fields.memoryMb = memoryMb;
  if (maxQueue !== undefined) fields.maxQueue = maxQueue;
  if (env !== undefined) fields.env = env;
  if (allowRead !== undefined) fields.allowRead = allowRead.map((item) => path.resolve(baseDir, item));
  if (allowWrite !== undefined) fields.allowWrite = allowWrite.map((item) => path.resolve(baseDir, item));
  return fields;
}
