/**
 * The reload pipeline for one version of a remote: load it into its own container
 * → activate it (models, routes; supplied by the composition root) → swap → let
 * requests that started on the old version finish → dispose the old one. A
 * version that fails any step is never served; the old one keeps serving.
 */
import type { ContainerRuntime } from './container-runtime.js';
import { progressLine } from './progress-line.js';
import { judgePush } from './push-order.js';
import { loadRemote, prefetchVersion, RemoteLoadError, type LoadedRemote, type LoadTarget, type Unchanged } from './remote-loader.js';
import { recordActivated, recordFailure, recordResult, type ReloadOutcome, type ReloadRequest, type ReloadResult, type RemoteState } from './remote-state.js';
import type { SnapshotCache } from './snapshot-cache.js';
import type { Source } from './sources/source.js';

/** What activating a version gives back: resolves once no request uses the routes it replaced. */
export interface Activation {
  drained: Promise<void>;
}

export interface DeploymentLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

/** How a version is activated. */
export interface ActivateOptions {
  /** The version may stop serving models the running one serves (the entry's `allowRemove`, a reload's, or a rollback). */
  allowRemove?: boolean;
}

/** What the pipeline needs from the composition root. */
export interface ReloadPipelineDeps {
  runtime: ContainerRuntime;
  cache: SnapshotCache;
  loadTimeoutMs: number;
  logger: DeploymentLogger;
  /** Builds and publishes what a loaded version serves; throws to refuse the version. */
  activate(remote: string, loaded: LoadedRemote, options: ActivateOptions): Promise<Activation>;
  /** Previous versions kept per remote. */
  keepVersions: number;
  /** How long a replaced version may keep answering requests that started on it. */
  drainTimeoutMs: number;
}

/**
 * A remote with a `rollout`: a reload starts the new version as a canary instead of
 * switching to it (canary.ts). Supplied by the deployment for pushes, polls and manual reloads.
 */
export interface CanaryLaunch {
  /** A version pushes and polls leave alone: its rollout rolled it back. */
  skipVersion: string | undefined;
  /** Serves `loaded` as a canary beside the current version; throws, changing nothing, when it cannot. */
  start(loaded: LoadedRemote, options: ActivateOptions): Promise<{ version: string; weight: number }>;
}

/** Where the pipeline reports to (the deployment turns these into its events). */
export interface ReloadPipelineEvents {
  /** A reload ended; its result is already recorded on the remote and logged. */
  finished(result: ReloadResult): void;
  /** A replaced version was disposed. */
  retired(remote: string, previous: LoadedRemote): void;
}

/** A load's outcome: a new version, the one already active, or why it failed. */
export type LoadOutcome = LoadedRemote | Unchanged | Error;

export class ReloadPipeline {
  /** Replaced versions waiting for their requests to drain before disposal. */
  private readonly retiring = new Set<Promise<void>>();
  /** Per remote: recording the last good version and pruning the cache after a swap (see adopt). */
  private readonly housekeeping = new Map<string, Promise<void>>();

  constructor(
    private readonly deps: ReloadPipelineDeps,
    private readonly events: ReloadPipelineEvents,
  ) {}

  /** Loads a version of the remote; never rejects (a failure comes back as the Error). */
  async load(state: RemoteState, target: LoadTarget, source: Source = state.source): Promise<LoadOutcome> {
    const { logger } = this.deps;
    await this.housekept(state.entry.name);
    logger.info({ remote: state.entry.name, source: source.describe(), ...(target.version ? { version: target.version } : {}) }, 'loading remote');
    return loadRemote(state.entry, source, {
      runtime: this.deps.runtime,
      cache: this.deps.cache,
      timeoutMs: this.deps.loadTimeoutMs,
      onFallback: (remote, version, reason) => logger.warn({ remote, version, reason }, 'source unreachable: serving the last good cached version'),
      onProgress: (progress) => logger.info(progress, progressLine(progress)),
    }, target).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
  }

  /**
   * Runs one reload the request asks for, skipping it when it would change nothing or go
   * backwards; with `launch`, a new version starts as a canary instead of replacing the current one.
   */
  async reload(state: RemoteState, request: ReloadRequest, launch?: CanaryLaunch): Promise<ReloadResult> {
    const started = performance.now();
    const from = state.current?.version ?? null;
    // A canary is promoted or aborted first (canary.ts): a deploy meanwhile would replace the version it is compared with.
    if (state.canary) {
      const why = `remote "${state.entry.name}" runs a canary of ${state.canary.loaded.version} beside ${from}: promote or abort it first`;
      this.deps.logger.warn({ remote: state.entry.name, reason: request.reason, version: request.version, canary: state.canary.loaded.version }, 'reload refused: a canary runs');
      return this.finish(state, request, { outcome: 'unchanged', from, attempted: request.version ?? null, started, ignored: why });
    }
    if (request.version !== undefined && request.version === from) {
      return this.finish(state, request, { outcome: 'unchanged', from, attempted: from, started });
    }
    const skip = launch?.skipVersion;
    const skipped = `version ${skip} of remote "${state.entry.name}" was rolled back by its rollout: push a newer version, or reload or start a canary of it by hand`;
    if (skip !== undefined && request.version === skip) return this.finish(state, request, { outcome: 'unchanged', from, attempted: skip, started, ignored: skipped });
    // A late, replayed or stale push would move the remote back. Judged here, in the queue, against the
    // version running now (an earlier reload may just have changed it).
    if (request.push && request.version !== undefined) {
      // The pushed build may reuse files of cached versions: the last prune must be over.
      await this.housekept(state.entry.name);
      const push = { version: request.version, forced: request.push.forced, ...(request.replaces !== undefined ? { replaces: request.replaces } : {}) };
      // The pushed build downloads while the source is asked about it; a push that is ignored stops its download.
      const download = new AbortController();
      const timeout = AbortSignal.timeout(this.deps.loadTimeoutMs);
      const prefetched = prefetchVersion(state.entry, state.source, this.deps.cache, request.version, AbortSignal.any([download.signal, timeout]));
      const why = await judgePush(state.source, push, from, state.rolledBackFrom, timeout);
      if (why !== undefined) {
        download.abort();
        await prefetched;
        return this.ignore(state, request, from, started, why);
      }
      await prefetched;
    }
    // A push or a rollback names its version; a poll or a manual reload asks the source.
    const target: LoadTarget = request.version !== undefined ? { version: request.version } : from ? { unlessVersion: from, ...(skip !== undefined ? { skipVersion: skip } : {}) } : {};
    const loaded = await this.load(state, target);
    if (skip !== undefined && !(loaded instanceof Error) && 'unchanged' in loaded && loaded.unchanged === skip) {
      return this.finish(state, request, { outcome: 'unchanged', from, attempted: skip, started, ignored: skipped });
    }
    return this.activate(state, request, loaded, started, from, launch);
  }

  /**
   * Activates what `load` gave and swaps it in, or records why it cannot serve.
   * `started` is when the reload began (`performance.now()`); `from` the version active then.
   */
  async activate(state: RemoteState, request: ReloadRequest, loaded: LoadOutcome, started: number, from: string | null, launch?: CanaryLaunch): Promise<ReloadResult> {
    const name = state.entry.name;
    if (!(loaded instanceof Error) && 'unchanged' in loaded) {
      return this.finish(state, request, { outcome: 'unchanged', from, attempted: loaded.unchanged, started });
    }
    const attempted = loaded instanceof Error ? ((loaded as RemoteLoadError).version ?? null) : loaded.version;
    let activation: Activation | undefined;
    let canary: { version: string; weight: number } | undefined;
    try {
      if (loaded instanceof Error) throw loaded;
      // A rollback returns to a version that served before: what it lacks was added since, and the operator chose it.
      const allowRemove = state.entry.allowRemove === true || request.allowRemove === true || request.reason === 'rollback';
      if (launch) canary = await launch.start(loaded, { allowRemove });
      else activation = await this.deps.activate(name, loaded, { allowRemove });
    } catch (error) {
      if (!(loaded instanceof Error)) loaded.dispose();
      const message =
        error instanceof RemoteLoadError
          ? error.message
          : `remote "${name}"${attempted ? ` at ${attempted.slice(0, 12)}` : ''}: ${(error as Error)?.message ?? String(error)}`;
      recordFailure(state, message, attempted);
      return this.finish(state, request, { outcome: 'failed', from, attempted, started, error: message });
    }
    // The current version keeps serving beside the canary; the rollout promotes or rolls it back.
    if (canary) return this.finish(state, request, { outcome: 'unchanged', from, attempted: canary.version, started, canary });
    return this.adopt(state, request, loaded, activation!, started, from);
  }

  /**
   * `loaded` serves now (activated, or a canary promoted): records it, retires the
   * version it replaced once `activation` drains, and reports the reload.
   */
  async adopt(state: RemoteState, request: ReloadRequest, loaded: LoadedRemote, activation: Activation, started: number, from: string | null): Promise<ReloadResult> {
    const name = state.entry.name;
    const previous = recordActivated(state, loaded, request, this.deps.keepVersions);
    if (previous) this.retire(name, previous, activation.drained);
    // The new version serves from here: the reload is answered without waiting for the disk. The
    // remote's next load waits for this instead (a prune must not remove a file it would reuse).
    const pinned = [loaded.version, ...state.history.map((h) => h.version)];
    const cache = this.deps.cache;
    this.housekeeping.set(name, this.housekept(name).then(async () => {
      await cache.markGood(name, loaded.version).catch(() => undefined);
      await cache.prune(name, this.deps.keepVersions + 1, pinned).catch(() => undefined);
    }));
    return this.finish(state, request, { outcome: 'reloaded', from, attempted: loaded.version, started });
  }

  /** Resolves once every replaced version waiting to drain has been disposed, and the cache is written. */
  async drain(): Promise<void> {
    await Promise.all([...this.retiring, ...this.housekeeping.values()]);
  }

  /** Resolves once the remote's last good version is recorded and its cache pruned. */
  private async housekept(remote: string): Promise<void> {
    await this.housekeeping.get(remote);
  }

  /** Disposes a replaced version once its in-flight requests are done (or the drain timeout passes). */
  retire(name: string, previous: LoadedRemote, drained: Promise<void>): void {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.deps.drainTimeoutMs);
      timer.unref();
    });
    const done: Promise<void> = Promise.race([drained, timeout]).then(() => {
      clearTimeout(timer);
      previous.dispose();
      this.retiring.delete(done);
      this.events.retired(name, previous);
    });
    this.retiring.add(done);
  }

  /** A push that is not deployed: nothing changes, and the log says why. */
  private ignore(state: RemoteState, request: ReloadRequest, from: string | null, started: number, why: string): ReloadResult {
    this.deps.logger.warn({ remote: state.entry.name, version: request.version, running: from, forced: request.push?.forced ?? false, why }, 'push ignored');
    return this.finish(state, request, { outcome: 'unchanged', from, attempted: request.version ?? null, started, ignored: why });
  }

  private finish(state: RemoteState, request: ReloadRequest, details: ReloadOutcome): ReloadResult {
    const { logger } = this.deps;
    const result = recordResult(state, request, details);
    if (details.outcome === 'failed') {
      logger.error({ remote: result.remote, reason: result.reason, attempted: result.attempted, err: result.error }, 'remote failed to load');
    } else {
      const message = details.outcome === 'reloaded' ? 'remote loaded' : details.canary ? 'new version started as a canary' : 'remote unchanged';
      logger.info({ remote: result.remote, reason: result.reason, outcome: result.outcome, from: result.from, to: result.to, ms: result.ms, ...(details.canary ? { canary: details.canary.version, weight: details.canary.weight } : {}) }, message);
    }
    this.events.finished(result);
    return result;
  }
}
