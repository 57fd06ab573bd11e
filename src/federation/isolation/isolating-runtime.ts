/**
 * The host's container runtime: each remote's code runs at the isolation its
 * entry asks for (or the host's default): in the host (`none`), or in workers
 * of its own (`thread`, `process`) with the entry's budgets and only the
 * environment variables it lists.
 */
import type { RemoteEntry } from '../../config/remote-entries.js';
import type { ContainerLoad, ContainerRuntime, LoadedContainer } from '../container-runtime.js';
import type { FederationRuntime } from '../federation-runtime.js';
import { IsolatedVersion, type IsolationBudget } from './isolated-version.js';
import { prepareSpare } from './worker-channel.js';

export type IsolationLevel = 'thread' | 'process' | 'none';

/** Host-wide defaults; an entry may set each for its remote. */
export interface IsolationDefaults extends Omit<IsolationBudget, 'loadTimeoutMs'> {
  isolation: IsolationLevel;
}

/** A worker crashed (logged, counted and shown by the host). */
export interface WorkerCrash {
  remote: string;
  version: string;
  reason: string;
  stack?: string;
  restarts: number;
  /** The version crashed too often: it is marked failed and retried slowly. */
  looping: boolean;
}

export interface IsolatingRuntimeOptions {
  defaults: IsolationDefaults;
  loadTimeoutMs: number;
  onCrash(crash: WorkerCrash): void;
  /** The variables workers may be given (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

/** The entry's isolation, with the host default filled in. */
export function isolationOf(entry: RemoteEntry, defaults: IsolationDefaults): IsolationLevel {
  return entry.isolation ?? defaults.isolation;
}

/** The variables an entry lists (`NAME`, or a `PREFIX_*` pattern), from `env`. */
export function workerEnv(patterns: readonly string[], env: NodeJS.ProcessEnv): Record<string, string> {
  const chosen: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (patterns.some((pattern) => (pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern))) chosen[name] = value;
  }
  return chosen;
}

/**
 * Starts a spare thread for each entry that runs in one, ahead of its load: the
 * thread's own start (~100 ms) then overlaps the rest of the host's start, which
 * a function's cold start waits for.
 */
export function prestartThreads(entries: readonly RemoteEntry[], defaults: IsolationDefaults, env: NodeJS.ProcessEnv = process.env): void {
  for (const entry of entries) {
    if (isolationOf(entry, defaults) !== 'thread') continue;
    prepareSpare({ kind: 'thread', env: workerEnv(entry.env ?? [], env), memoryMb: entry.memoryMb ?? defaults.memoryMb });
  }
}

export class IsolatingRuntime implements ContainerRuntime {
  /** The Module Federation runtime of remotes that run in the host: imported only when one does (workers load their own). */
  private inHost: Promise<FederationRuntime> | undefined;

  constructor(private readonly options: IsolatingRuntimeOptions) {}

  async load({ containerName, dir, entry, version, signal }: ContainerLoad): Promise<LoadedContainer> {
    const { defaults } = this.options;
    const isolation = isolationOf(entry, defaults);
    if (isolation === 'none') {
      this.inHost ??= import('../federation-runtime.js').then(({ FederationRuntime }) => new FederationRuntime());
      return (await this.inHost).load(containerName, dir, entry.exposes, entry.optionalExposes, entry.name);
    }
    const budget: IsolationBudget = {
      workers: entry.workers ?? defaults.workers,
      callTimeoutMs: entry.callTimeoutMs ?? defaults.callTimeoutMs,
      memoryMb: entry.memoryMb ?? defaults.memoryMb,
      maxQueue: entry.maxQueue ?? defaults.maxQueue,
      loadTimeoutMs: this.options.loadTimeoutMs,
    };
    const label = `"${entry.name}" at ${version.slice(0, 12)}`;
    const isolated = new IsolatedVersion(
      label,
      {
        kind: isolation,
        init: { dir, containerName, remoteName: entry.name, exposes: entry.exposes, optional: entry.optionalExposes, isolation },
        env: workerEnv(entry.env ?? [], this.options.env ?? process.env),
        readPaths: entry.allowRead ?? [],
        writePaths: entry.allowWrite ?? [],
      },
      budget,
      { crashed: (info) => this.options.onCrash({ remote: entry.name, version, ...info }) },
    );
    const modules = await isolated.start(signal);
    return { containerName, modules, isolation: isolated, dispose: () => void isolated.retire() };
  }
}
