/**
 * Starting a remote's worker, as a thread or as a child process, behind one
 * small interface the host talks to.
 *
 * - `thread`: a worker thread with its own globals, module cache, heap limit
 *   and environment (only the variables the entry lists).
 * - `process`: a child process under Node's permission model: it may read only
 *   the remote's snapshot and the host's own code, start no process, thread or
 *   add-on; its heap limit is `--max-old-space-size`.
 */
import { fork } from 'node:child_process';
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { MODULES_ROOT, PACKAGE_ROOT } from './host-package.js';
import type { FromWorker, ToWorker, WorkerInit } from './wire.js';
import type { Batch } from './outbox.js';

export type IsolationKind = 'thread' | 'process';

export interface WorkerChannel {
  post(message: ToWorker | Batch<ToWorker>): void;
  /** Ends the worker; resolves once it is gone. */
  terminate(): Promise<void>;
}

export interface ChannelEvents {
  message(message: FromWorker | Batch<FromWorker>): void;
  /** The worker is gone: `error` when it died of one (uncaught, out of memory), else its exit code. */
  exit(error: Error | undefined, code: number | null): void;
}

export interface ChannelOptions {
  kind: IsolationKind;
  init: WorkerInit;
  env: Record<string, string>;
  /** Heap limit of the worker (old generation), in MB. */
  memoryMb: number;
  /** Extra folders a `process` worker may read (its snapshot is always readable). */
  readPaths?: readonly string[];
  /** Folders or files a `process` worker may write (none unless listed). */
  writePaths?: readonly string[];
}

/** Beside this module, compiled or bundled (scripts/build-function.mjs names it so). */
const WORKER_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'remote-worker.js');
/**
 * What a child process must read to run the worker script: the host's code
 * (dist/), its packages and package.json (the module type). Not the project
 * folder as a whole: DATA_DIR and the snapshot cache may sit in it.
 */
const HOST_CODE = [path.join(PACKAGE_ROOT, 'dist'), MODULES_ROOT, path.join(PACKAGE_ROOT, 'package.json')].map((p) => realpathOr(p));

function realpathOr(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

/** `--permission` from Node 22, `--experimental-permission` before. */
const PERMISSION_FLAG = process.allowedNodeEnvironmentFlags.has('--permission') ? '--permission' : '--experimental-permission';

export function openChannel(options: ChannelOptions, events: ChannelEvents): WorkerChannel {
  return options.kind === 'thread' ? threadChannel(options, events) : processChannel(options, events);
}

/**
 * Started threads waiting for a version to load, one per kind of worker (its
 * environment and heap limit). Starting a thread and importing the federation
 * runtime into it is most of a load's time (~100–250 ms here); a hot deploy or a
 * restart takes a spare instead, and a new spare starts once the load is done.
 */
const spares = new Map<string, Worker>();

const spareKey = (options: Pick<ChannelOptions, 'env' | 'memoryMb'>) => JSON.stringify([options.memoryMb, Object.entries(options.env).sort()]);

function startThread(options: Pick<ChannelOptions, 'env' | 'memoryMb'>, init?: WorkerInit): Worker {
  return new Worker(WORKER_SCRIPT, {
    // Without init the thread imports what it needs and waits for an `init` message.
    workerData: init ?? null,
    env: options.env,
    resourceLimits: { maxOldGenerationSizeMb: options.memoryMb },
  });
}

/** Starts a spare thread of this kind, if none waits yet (after a load, so it does not slow that load; or ahead of a function's first load). */
export function prepareSpare(options: Pick<ChannelOptions, 'kind' | 'env' | 'memoryMb'>): void {
  if (options.kind !== 'thread') return;
  const key = spareKey(options);
  if (spares.has(key)) return;
  const spare = startThread(options);
  // A spare never keeps the host running, and one that dies is simply dropped.
  spare.unref();
  spare.on('error', () => undefined);
  spare.once('exit', () => {
    if (spares.get(key) === spare) spares.delete(key);
  });
  spares.set(key, spare);
}

function takeSpare(options: ChannelOptions): Worker | undefined {
  const key = spareKey(options);
  const spare = spares.get(key);
  if (!spare) return undefined;
  spares.delete(key);
  spare.removeAllListeners();
  spare.ref();
  spare.postMessage({ t: 'init', init: options.init } satisfies ToWorker);
  return spare;
}

function threadChannel(options: ChannelOptions, events: ChannelEvents): WorkerChannel {
  const worker = takeSpare(options) ?? startThread(options, options.init);
  let failure: Error | undefined;
  worker.on('message', (message: FromWorker | Batch<FromWorker>) => events.message(message));
  worker.on('error', (error) => {
    failure = error;
  });
  worker.on('exit', (code) => events.exit(failure, code));
  return {
    post: (message) => worker.postMessage(message),
    terminate: async () => {
      await worker.terminate();
    },
  };
}

function processChannel(options: ChannelOptions, events: ChannelEvents): WorkerChannel {
  const readable = [options.init.dir, ...HOST_CODE, ...(options.readPaths ?? [])];
  const child = fork(WORKER_SCRIPT, [], {
    execArgv: [
      PERMISSION_FLAG,
      ...readable.map((dir) => `--allow-fs-read=${dir}`),
      ...(options.writePaths ?? []).map((dir) => `--allow-fs-write=${dir}`),
      `--max-old-space-size=${options.memoryMb}`,
    ],
    env: options.env,
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let stderrTail: Error | undefined;
  child.on('message', (message) => events.message(message as FromWorker | Batch<FromWorker>));
  child.on('error', (error) => {
    stderrTail = error;
  });
  child.on('exit', (code, signal) => events.exit(stderrTail ?? (signal ? new Error(`killed by ${signal}`) : undefined), code));
  child.send({ t: 'init', init: options.init } satisfies ToWorker);
  return {
    post: (message) => {
      if (child.connected) child.send(message);
    },
    terminate: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}
