/**
 * What the host serves: for each remote in remoteEntries.js, the version that is
 * active, its status and its last error. Loading a remote and activating it are
 * two steps; activation (building models and routes) is supplied by the
 * composition root, and a version that fails either step is never served.
 */
import type { RemoteEntry } from '../config/remote-entries.js';
import type { FederationRuntime } from './federation-runtime.js';
import { loadRemote, RemoteLoadError, type LoadedRemote } from './remote-loader.js';
import type { SnapshotCache } from './snapshot-cache.js';
import { createSource, type SourceSettings } from './sources/create-source.js';
import type { RemoteSource } from './sources/source.js';

export type RemoteStatus = 'loading' | 'ready' | 'failed';

export interface RemoteState {
  readonly entry: RemoteEntry;
  readonly source: RemoteSource;
  status: RemoteStatus;
  current: LoadedRemote | undefined;
  lastError: { message: string; at: string; version?: string } | undefined;
}

export interface DeploymentLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface DeploymentDeps {
  runtime: FederationRuntime;
  cache: SnapshotCache;
  sources: SourceSettings;
  loadTimeoutMs: number;
  logger: DeploymentLogger;
  /** Builds and publishes what a loaded version serves; throws to refuse the version. */
  activate(remote: string, loaded: LoadedRemote): Promise<void>;
  /** Cached versions kept per remote besides the active one. */
  keepVersions?: number;
}

export class Deployment {
  private readonly states = new Map<string, RemoteState>();

  constructor(
    entries: readonly RemoteEntry[],
    private readonly deps: DeploymentDeps,
  ) {
    for (const entry of entries) {
      this.states.set(entry.name, { entry, source: createSource(entry.source, deps.sources), status: 'loading', current: undefined, lastError: undefined });
    }
  }

  remotes(): readonly RemoteState[] {
    return [...this.states.values()];
  }

  /**
   * Loads every remote in parallel, then activates them in the order of
   * remoteEntries.js, so when two remotes claim one endpoint the earlier entry
   * wins, whichever downloads faster. A remote that fails is reported and the
   * others still serve.
   */
  async loadAll(): Promise<void> {
    const loads = [...this.states.keys()].map((name) => ({ name, loading: this.fetchVersion(name) }));
    for (const { name, loading } of loads) await this.activateVersion(name, await loading);
  }

  private async fetchVersion(name: string): Promise<LoadedRemote | Error> {
    const state = this.states.get(name)!;
    const { logger } = this.deps;
    logger.info({ remote: name, source: state.source.describe() }, 'loading remote');
    try {
      return await loadRemote(state.entry, state.source, {
        runtime: this.deps.runtime,
        cache: this.deps.cache,
        timeoutMs: this.deps.loadTimeoutMs,
        onFallback: (remote, version, reason) =>
          logger.warn({ remote, version, reason }, 'source unreachable: serving the last good cached version'),
      });
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  }

  private async activateVersion(name: string, loaded: LoadedRemote | Error): Promise<void> {
    const state = this.states.get(name)!;
    const { logger } = this.deps;
    try {
      if (loaded instanceof Error) throw loaded;
      await this.deps.activate(name, loaded);
      state.current = loaded;
      state.status = 'ready';
      state.lastError = undefined;
      await this.deps.cache.markGood(name, loaded.version);
      await this.deps.cache.prune(name, this.deps.keepVersions ?? 5, [loaded.version]).catch(() => undefined);
      logger.info({ remote: name, version: loaded.version, loadMs: loaded.loadMs, cacheFallback: loaded.fromCacheFallback }, 'remote loaded');
    } catch (error) {
      const version = loaded instanceof Error ? undefined : loaded.version;
      if (!(loaded instanceof Error)) loaded.dispose();
      const message = error instanceof RemoteLoadError ? error.message : `remote "${name}"${version ? ` at ${version.slice(0, 12)}` : ''}: ${(error as Error)?.message ?? String(error)}`;
      state.status = state.current ? 'ready' : 'failed';
      state.lastError = { message, at: new Date().toISOString(), ...(version ? { version } : {}) };
      logger.error({ remote: name, err: message }, 'remote failed to load');
    }
  }

  dispose(): void {
    for (const state of this.states.values()) state.current?.dispose();
  }
}
