/**
 * What the host serves: for each remote in remoteEntries.js, the active version,
 * its status, last error and previous versions, and the reload pipeline that
 * replaces a version: load the new one into its own container → activate it
 * (models, routes; supplied by the composition root) → swap → let requests that
 * started on the old version finish → dispose the old one. A version that fails
 * any step is never served; the old one keeps serving.
 *
 * Reloads of one remote run one at a time; requests arriving meanwhile coalesce
 * into a single follow-up reload of the newest target.
 */
import { EventEmitter } from 'node:events';
import type { RemoteEntry } from '../config/remote-entries.js';
import type { FederationRuntime } from './federation-runtime.js';
import { progressLine } from './progress-line.js';
import { loadRemote, RemoteLoadError, type LoadedRemote, type LoadTarget } from './remote-loader.js';
import type { SnapshotCache } from './snapshot-cache.js';
import { createSource, type SourceSettings } from './sources/source-registry.js';
import type { Source } from './sources/source.js';

export type RemoteStatus = 'loading' | 'ready' | 'failed';
export type ReloadReason = 'startup' | 'webhook' | 'manual' | 'poll' | 'rollback';

export interface ReloadRequest {
  reason: ReloadReason;
  /** Load this version (a pushed commit, a version to roll back to) instead of resolving the ref. */
  version?: string;
  /** For a pushed commit: the commit the push replaced on the branch, hence older than `version`. */
  replaces?: string;
}

export interface ReloadResult {
  remote: string;
  reason: ReloadReason;
  outcome: 'reloaded' | 'unchanged' | 'failed';
  /** Version active before, or null. */
  from: string | null;
  /** Version active after (the old one when the reload failed), or null. */
  to: string | null;
  /** The version that was tried, when known. */
  attempted: string | null;
  ms: number;
  error?: string;
}

export interface PreviousVersion {
  version: string;
  loadedAt: string;
  retiredAt: string;
}

export interface RemoteState {
  readonly entry: RemoteEntry;
  readonly source: Source;
  status: RemoteStatus;
  current: LoadedRemote | undefined;
  lastError: { message: string; at: string; version?: string } | undefined;
  /** Versions served before the current one, newest first. */
  history: PreviousVersion[];
  /** Set by a rollback: polling leaves the remote alone until an explicit reload or a new push. */
  pinned: string | undefined;
  lastReload: ReloadResult | undefined;
  /** Commits that deployed pushes replaced on the branch (bounded): a late delivery of one is stale. */
  replaced: Set<string>;
}

/** What activating a version gives back: resolves once no request uses the routes it replaced. */
export interface Activation {
  drained: Promise<void>;
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
  activate(remote: string, loaded: LoadedRemote): Promise<Activation>;
  /** Previous versions kept per remote. */
  keepVersions: number;
  /** How long a replaced version may keep answering requests that started on it. */
  drainTimeoutMs: number;
}

interface Slot {
  request: ReloadRequest;
  promise: Promise<ReloadResult>;
}

interface Queue {
  running: Promise<unknown> | undefined;
  queued: Slot | undefined;
  /** Reloads started or waiting and not yet finished. */
  pending: number;
}

/**
 * Emits `reloaded` and `reload-failed` with a ReloadResult, and `retired` with
 * `{ remote, version, loaded }` once a replaced version is disposed.
 */
export class Deployment extends EventEmitter {
  private readonly states = new Map<string, RemoteState>();
  private readonly queues = new Map<string, Queue>();
  private readonly retiring = new Set<Promise<void>>();

  constructor(
    entries: readonly RemoteEntry[],
    private readonly deps: DeploymentDeps,
  ) {
    super();
    for (const entry of entries) {
      this.states.set(entry.name, {
        entry,
        source: createSource(entry.source, deps.sources),
        status: 'loading',
        current: undefined,
        lastError: undefined,
        history: [],
        pinned: undefined,
        replaced: new Set(),
        lastReload: undefined,
      });
      this.queues.set(entry.name, { running: undefined, queued: undefined, pending: 0 });
    }
  }

  remotes(): readonly RemoteState[] {
    return [...this.states.values()];
  }

  remote(name: string): RemoteState | undefined {
    return this.states.get(name);
  }

  /**
   * Loads every remote in parallel, then activates them in the order of
   * remoteEntries.js, so when two remotes claim one endpoint the earlier entry
   * wins, whichever downloads faster. A remote that fails is reported and the
   * others still serve.
   *
   * `versions` names a version to load per remote instead of resolving its ref
   * (a cluster worker starting after a deploy loads what the others run);
   * `pinned` keeps it as a rollback would.
   */
  async loadAll(versions: Readonly<Record<string, { version: string; pinned: boolean }>> = {}): Promise<void> {
    let previous: Promise<unknown> = Promise.resolve();
    for (const state of this.states.values()) {
      const started = performance.now();
      const wanted = Object.hasOwn(versions, state.entry.name) ? versions[state.entry.name] : undefined;
      const loading = this.load(state, wanted ? { version: wanted.version, fallbackToCache: true } : { fallbackToCache: true });
      const run = previous.then(async () => {
        const result = await this.activateVersion(state, { reason: 'startup' }, await loading, started, null);
        if (wanted?.pinned && result.outcome === 'reloaded') state.pinned = wanted.version;
        return result;
      });
      this.queues.get(state.entry.name)!.running = run;
      previous = run;
    }
    await previous;
  }

  /** Reloads one remote; concurrent calls for the same remote coalesce. */
  reload(name: string, request: ReloadRequest): Promise<ReloadResult> {
    const state = this.states.get(name);
    if (!state) return Promise.reject(new Error(`no remote named "${name}"`));
    const queue = this.queues.get(name)!;
    if (queue.queued) {
      // A newer request replaces the waiting one, except that a bare poll never
      // displaces a request for a specific version (a pushed commit).
      // Deliveries can arrive out of order: a push whose commit the waiting push replaced is older, and loses.
      const waiting = queue.queued.request;
      const older = request.version !== undefined && request.version === waiting.replaces;
      if (!older && (request.version !== undefined || waiting.version === undefined)) queue.queued.request = request;
      return queue.queued.promise;
    }
    const before = queue.running ?? Promise.resolve();
    queue.pending++;
    const slot = { request } as Slot;
    slot.promise = before
      .catch(() => undefined)
      .then(() => {
        queue.queued = undefined;
        const run = this.runReload(state, slot.request);
        queue.running = run;
        return run;
      })
      .finally(() => queue.pending--);
    queue.queued = slot;
    return slot.promise;
  }

  /**
   * Returns to a previous version still in the cache, and pins it: the newest one, or
   * the kept version `to` names (in full, or a prefix only one kept version starts with).
   */
  async rollback(name: string, to?: string): Promise<ReloadResult> {
    const state = this.states.get(name);
    if (!state) throw new Error(`no remote named "${name}"`);
    const kept = state.history.filter((h) => h.version !== state.current?.version);
    if (kept.length === 0) throw new NoPreviousVersionError(`remote "${name}" has no previous version to roll back to`);
    if (to === undefined) return this.reload(name, { reason: 'rollback', version: kept[0]!.version });
    const exact = kept.find((h) => h.version === to);
    const matches = exact ? [exact] : kept.filter((h) => h.version.startsWith(to));
    if (matches.length === 1) return this.reload(name, { reason: 'rollback', version: matches[0]!.version });
    if (matches.length > 1) throw new NoPreviousVersionError(`"${to}" matches ${matches.length} kept versions of remote "${name}"; give more of it`);
    if (state.current?.version.startsWith(to)) throw new NoPreviousVersionError(`remote "${name}" already serves ${state.current.version}`);
    throw new UnknownVersionError(`remote "${name}" keeps no version "${to}" (kept: ${kept.map((h) => h.version).join(', ')})`);
  }

  /** Whether a reload of the remote is running or waiting. */
  busy(name: string): boolean {
    return (this.queues.get(name)?.pending ?? 0) > 0;
  }

  private load(state: RemoteState, target: LoadTarget) {
    const { logger } = this.deps;
    logger.info({ remote: state.entry.name, source: state.source.describe(), ...(target.version ? { version: target.version } : {}) }, 'loading remote');
    return loadRemote(state.entry, state.source, {
      runtime: this.deps.runtime,
      cache: this.deps.cache,
      timeoutMs: this.deps.loadTimeoutMs,
      onFallback: (remote, version, reason) => logger.warn({ remote, version, reason }, 'source unreachable: serving the last good cached version'),
      onProgress: (progress) => logger.info(progress, progressLine(progress)),
    }, target).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
  }

  private async runReload(state: RemoteState, request: ReloadRequest): Promise<ReloadResult> {
    const started = performance.now();
    const from = state.current?.version ?? null;
    if (request.version !== undefined && request.version === from) {
      return this.finish(state, request, { outcome: 'unchanged', from, attempted: from, started });
    }
    // A late delivery of a push that a deployed push already replaced would roll the branch back.
    // (A push that replaces the running version is a successor, even to an older commit: a force-push revert.)
    if (request.reason === 'webhook' && request.version !== undefined && state.replaced.has(request.version) && request.replaces !== from) {
      return this.finish(state, request, { outcome: 'unchanged', from, attempted: request.version, started });
    }
    // A push or a rollback names its version; a poll or a manual reload asks the source.
    const target: LoadTarget = request.version !== undefined ? { version: request.version } : from ? { unlessVersion: from } : {};
    return this.activateVersion(state, request, await this.load(state, target), started, from);
  }

  private async activateVersion(
    state: RemoteState,
    request: ReloadRequest,
    loaded: Awaited<ReturnType<Deployment['load']>>,
    started: number,
    from: string | null,
  ): Promise<ReloadResult> {
    const name = state.entry.name;
    if (!(loaded instanceof Error) && 'unchanged' in loaded) {
      return this.finish(state, request, { outcome: 'unchanged', from, attempted: loaded.unchanged, started });
    }
    const attempted = loaded instanceof Error ? ((loaded as RemoteLoadError).version ?? null) : loaded.version;
    let activation: Activation;
    try {
      if (loaded instanceof Error) throw loaded;
      activation = await this.deps.activate(name, loaded);
    } catch (error) {
      if (!(loaded instanceof Error)) loaded.dispose();
      const message =
        error instanceof RemoteLoadError
          ? error.message
          : `remote "${name}"${attempted ? ` at ${attempted.slice(0, 12)}` : ''}: ${(error as Error)?.message ?? String(error)}`;
      state.status = state.current ? 'ready' : 'failed';
      state.lastError = { message, at: new Date().toISOString(), ...(attempted ? { version: attempted } : {}) };
      return this.finish(state, request, { outcome: 'failed', from, attempted, started, error: message });
    }
    const previous = state.current;
    state.current = loaded;
    state.status = 'ready';
    state.lastError = undefined;
    state.pinned = request.reason === 'rollback' ? loaded.version : undefined;
    if (request.replaces !== undefined) {
      state.replaced.delete(loaded.version);
      state.replaced.add(request.replaces);
      if (state.replaced.size > 1_000) state.replaced.delete(state.replaced.values().next().value as string);
    }
    if (previous) {
      if (request.reason === 'rollback') {
        // The version rolled back to leaves the history; the one rolled back from is not offered again.
        state.history = state.history.filter((h) => h.version !== loaded.version);
      } else {
        state.history.unshift({ version: previous.version, loadedAt: previous.loadedAt.toISOString(), retiredAt: new Date().toISOString() });
        state.history = state.history.filter((h, i, all) => h.version !== loaded.version && all.findIndex((o) => o.version === h.version) === i);
      }
      state.history = state.history.slice(0, this.deps.keepVersions);
      this.retire(name, previous, activation.drained);
    }
    await this.deps.cache.markGood(name, loaded.version).catch(() => undefined);
    await this.deps.cache.prune(name, this.deps.keepVersions + 1, [loaded.version, ...state.history.map((h) => h.version)]).catch(() => undefined);
    return this.finish(state, request, { outcome: 'reloaded', from, attempted: loaded.version, started });
  }

  /** Disposes a replaced version once its in-flight requests are done (or the drain timeout passes). */
  private retire(name: string, previous: LoadedRemote, drained: Promise<void>): void {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.deps.drainTimeoutMs);
      timer.unref();
    });
    const done: Promise<void> = Promise.race([drained, timeout]).then(() => {
      clearTimeout(timer);
      previous.dispose();
      this.retiring.delete(done);
      this.emit('retired', { remote: name, version: previous.version, loaded: previous });
    });
    this.retiring.add(done);
  }

  private finish(
    state: RemoteState,
    request: ReloadRequest,
    details: { outcome: ReloadResult['outcome']; from: string | null; attempted: string | null; started: number; error?: string },
  ): ReloadResult {
    const { logger } = this.deps;
    const result: ReloadResult = {
      remote: state.entry.name,
      reason: request.reason,
      outcome: details.outcome,
      from: details.from,
      to: state.current?.version ?? null,
      attempted: details.attempted,
      ms: Math.round(performance.now() - details.started),
      ...(details.error ? { error: details.error } : {}),
    };
    state.lastReload = result;
    if (details.outcome === 'failed') {
      logger.error({ remote: result.remote, reason: result.reason, attempted: result.attempted, err: result.error }, 'remote failed to load');
      this.emit('reload-failed', result);
    } else {
      logger.info({ remote: result.remote, reason: result.reason, outcome: result.outcome, from: result.from, to: result.to, ms: result.ms }, details.outcome === 'reloaded' ? 'remote loaded' : 'remote unchanged');
      if (details.outcome === 'reloaded') this.emit('reloaded', result);
    }
    return result;
  }

  /** Waits for retiring versions, then disposes every active one. */
  async dispose(): Promise<void> {
    await Promise.all(this.retiring);
    for (const state of this.states.values()) state.current?.dispose();
  }
}

/**
 * A rollback found nothing to return to (no kept version, an ambiguous prefix, or
 * the version already served). `code` lets callers recognise it without importing this class.
 */
export class NoPreviousVersionError extends Error {
  readonly code = 'NO_PREVIOUS_VERSION';
}

/** A rollback named a version the remote does not keep; `code` as above. */
export class UnknownVersionError extends Error {
  readonly code = 'UNKNOWN_VERSION';
}
