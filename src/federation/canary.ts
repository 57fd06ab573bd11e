/**
 * Canaries: a second version of a remote served beside its stable one, to a
 * share of the traffic. Starting one loads the version through the reload
 * pipeline's loader and checks (a build that fails to load or activate is
 * refused and nothing changes); changing its split, promoting it (the old
 * version drains and is disposed as on a hot deploy) and aborting it (the
 * canary drains and is disposed) are tasks of the remote's reload queue, so
 * they never overlap a reload. While a canary runs, reloads of its remote are
 * refused (reload-pipeline.ts). Every change is saved (`CanaryStore`, a file
 * in DATA_DIR) so a restart resumes it.
 */
import type { RemoteEntry } from '../config/remote-entries.js';
import { savedCanary, type CanarySplit, type CanaryState, type SavedCanary } from './canary-state.js';
import type { Activation, ActivateOptions, ReloadPipeline, DeploymentLogger } from './reload-pipeline.js';
import type { ReloadQueue } from './reload-queue.js';
import { RemoteLoadError, type LoadedRemote, type LoadTarget } from './remote-loader.js';
import type { RemoteState } from './remote-state.js';
import { UnknownVersionError } from './rollback.js';
import type { SnapshotCache } from './snapshot-cache.js';
import { createSource, type SourceSettings } from './sources/source-registry.js';
import type { Source } from './sources/source.js';

/** A canary cannot do that now (one runs already, none runs, it is the serving version…); answered 409. */
export class CanaryConflictError extends Error {
  readonly code = 'CANARY_CONFLICT';
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** The order names something no canary can be made of (a ref of a source without refs, an ambiguous prefix); answered 400. */
export class CanaryInputError extends Error {
  readonly code = 'CANARY_INPUT';
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

/** Serving a canary: supplied by the composition root (activation.ts); the catalog is its business. */
export interface CanaryActivation {
  /**
   * Builds the canary's models beside the stable version's and swaps them in, or
   * throws (a clash, a factory that throws, a dropped model) and changes nothing.
   */
  start(remote: string, loaded: LoadedRemote, stableVersion: string, split: CanarySplit, options?: ActivateOptions): Promise<{ tallies: CanaryState['tallies'] }>;
  /** Routes by a new split from the next request on. */
  split(remote: string, split: CanarySplit): void;
  /** The canary serves alone; `drained` resolves once no request uses the stable version. */
  promote(remote: string): Activation;
  /** The stable version serves alone; `drained` resolves once no request uses the canary. */
  end(remote: string): Activation;
}

/** Where canaries are kept across restarts (the host: a file in DATA_DIR; a cluster worker: none, the primary keeps them). */
export interface CanaryStore {
  /** Records the remote's canary, or that it has none. */
  save(remote: string, canary: SavedCanary | null): Promise<void>;
}

/** What to start a canary of. */
export interface CanaryOrder {
  /** A version the remote keeps (in full or a prefix), or a commit a GitHub source can fetch. */
  version?: string;
  /** A branch, tag or commit of a GitHub source, resolved now. */
  ref?: string;
  split: CanarySplit;
  /** The canary may drop models the stable version serves (they stay served by it until promotion). */
  allowRemove?: boolean;
}

/** A change another process applies to follow this one (cluster mode): always an exact version. */
export type CanaryChange =
  | { action: 'start'; version: string; stable: string; split: CanarySplit; allowRemove: boolean; startedAt: string }
  | { action: 'split'; split: CanarySplit }
  | { action: 'promote' }
  | { action: 'abort' };

export interface CanaryReport {
  remote: string;
  outcome: 'started' | 'updated' | 'promoted' | 'aborted' | 'failed';
  /** The stable version after the change (the canary's, once promoted). */
  stable: string | null;
  /** The canary running after the change, if any. */
  canary: string | null;
  /** The version a failed start tried, when known. */
  attempted?: string | null;
  split?: CanarySplit;
  startedAt?: string;
  ms: number;
  error?: string;
  /** What other processes apply to follow; absent when nothing changed. */
  change?: CanaryChange;
}

export interface CanaryDeps {
  activation: CanaryActivation;
  cache: SnapshotCache;
  sources: SourceSettings;
  logger: DeploymentLogger;
  store?: CanaryStore;
}

interface Remote {
  state: RemoteState;
  queue: ReloadQueue;
}

export class Canaries {
  constructor(
    private readonly deps: CanaryDeps,
    private readonly pipeline: ReloadPipeline,
    private readonly remote: (name: string) => Remote | undefined,
  ) {}

  /** Starts a canary of the version the order names (after any reload running), or reports why it failed to load. */
  start(name: string, order: CanaryOrder): Promise<CanaryReport> {
    return this.task(name, async (state, started) => {
      refuseRunning(state);
      const stable = serving(state);
      const { target, source, field } = await this.target(state, order);
      if (target.version === stable) throw new CanaryConflictError(`remote "${name}" already serves ${stable}: a canary needs another version`, field);
      return this.launch(state, started, { target, source, field, split: order.split, allowRemove: order.allowRemove === true, startedAt: new Date().toISOString() });
    });
  }

  /** Splits the traffic anew (weight, stickiness, mode); same versions, same tallies. */
  update(name: string, split: CanarySplit): Promise<CanaryReport> {
    return this.task(name, async (state, started) => {
      const canary = running(state);
      this.deps.activation.split(name, split);
      canary.split = split;
      this.deps.logger.info({ remote: name, canary: canary.loaded.version, weight: split.weight, mode: split.mode }, 'canary split changed');
      await this.save(name, canary);
      return { ...report(state, 'updated', started), change: { action: 'split', split } };
    });
  }

  /** The canary becomes the stable version; the old one drains and is disposed. */
  promote(name: string): Promise<CanaryReport> {
    return this.task(name, async (state, started) => {
      const canary = running(state);
      const activation = this.deps.activation.promote(name);
      state.canary = undefined;
      const result = await this.pipeline.adopt(state, { reason: 'promote' }, canary.loaded, activation, started, canary.stableVersion);
      this.deps.logger.info({ remote: name, from: canary.stableVersion, to: canary.loaded.version, afterMs: Date.now() - Date.parse(canary.startedAt) }, 'canary promoted');
      await this.save(name, null);
      return { ...report(state, 'promoted', started), ms: result.ms, change: { action: 'promote' } };
    });
  }

  /** The canary stops serving; the stable version serves alone, the canary drains and is disposed. */
  abort(name: string): Promise<CanaryReport> {
    return this.task(name, async (state, started) => {
      const canary = running(state);
      const activation = this.deps.activation.end(name);
      state.canary = undefined;
      this.pipeline.retire(name, canary.loaded, activation.drained);
      this.deps.logger.warn({ remote: name, canary: canary.loaded.version, stable: canary.stableVersion }, 'canary aborted');
      await this.save(name, null);
      return { ...report(state, 'aborted', started), change: { action: 'abort' } };
    });
  }

  /** Applies a change another process made (cluster mode): the same version, split and start time. */
  apply(name: string, change: CanaryChange): Promise<CanaryReport> {
    switch (change.action) {
      case 'split':
        return this.update(name, change.split);
      case 'promote':
        return this.promote(name);
      case 'abort':
        return this.abort(name);
      case 'start':
        return this.task(name, async (state, started) => {
          refuseRunning(state);
          serving(state);
          return this.launch(state, started, { target: { version: change.version }, source: state.source, field: 'version', split: change.split, allowRemove: change.allowRemove, startedAt: change.startedAt });
        });
    }
  }

  /**
   * Starts the saved canaries again (after a restart, or in a cluster worker that
   * starts while they run): the same version, split and start time. One whose
   * version became the stable one is over; one that cannot start is dropped, logged.
   */
  async resume(saved: Readonly<Record<string, SavedCanary>>): Promise<void> {
    for (const [name, canary] of Object.entries(saved)) {
      const remote = this.remote(name);
      const drop = async (why: string, details: object = {}) => {
        this.deps.logger.error({ remote: name, canary: canary.canary, ...details }, `canary not resumed: ${why}`);
        await this.save(name, null);
      };
      if (!remote) {
        await drop('remoteEntries.js no longer lists the remote');
        continue;
      }
      if (remote.state.current?.version === canary.canary) {
        await drop('its version is the stable one now');
        continue;
      }
      const change: CanaryChange = { action: 'start', version: canary.canary, stable: canary.stable, split: { weight: canary.weight, sticky: canary.sticky ?? undefined, mode: canary.mode }, allowRemove: canary.allowRemove, startedAt: canary.startedAt };
      const result = await this.apply(name, change).catch((error: unknown) => ({ outcome: 'failed' as const, error: (error as Error).message }));
      if (result.outcome === 'failed') await drop(result.error ?? 'it failed to start', { err: result.error });
      else this.deps.logger.info({ remote: name, canary: canary.canary, stable: remote.state.current?.version, weight: canary.weight }, 'canary resumed');
    }
  }

  /** Runs `work` as a task of the remote's queue: after any reload, never beside one. */
  private task(name: string, work: (state: RemoteState, started: number) => Promise<CanaryReport>): Promise<CanaryReport> {
    const remote = this.remote(name);
    if (!remote) return Promise.reject(new Error(`no remote named "${name}"`));
    return remote.queue.exclusive(() => work(remote.state, performance.now()));
  }

  /** Loads and activates the canary beside the stable version, or reports why it cannot serve. */
  private async launch(
    state: RemoteState,
    started: number,
    how: { target: LoadTarget; source: Source; field: string; split: CanarySplit; allowRemove: boolean; startedAt: string },
  ): Promise<CanaryReport> {
    const name = state.entry.name;
    const stable = serving(state);
    const loaded = await this.pipeline.load(state, how.target, how.source);
    if (!(loaded instanceof Error) && 'unchanged' in loaded) {
      throw new CanaryConflictError(`${how.field === 'ref' ? 'that ref' : 'the source'} names the version remote "${name}" already serves (${loaded.unchanged}): a canary needs another version`, how.field);
    }
    const attempted = loaded instanceof Error ? ((loaded as RemoteLoadError).version ?? how.target.version ?? null) : loaded.version;
    let tallies: CanaryState['tallies'];
    try {
      if (loaded instanceof Error) throw loaded;
      const allowRemove = how.allowRemove || state.entry.allowRemove === true;
      ({ tallies } = await this.deps.activation.start(name, loaded, stable, how.split, { allowRemove }));
    } catch (error) {
      if (!(loaded instanceof Error)) loaded.dispose();
      const message = error instanceof RemoteLoadError ? error.message : `remote "${name}"${attempted ? ` at ${attempted.slice(0, 12)}` : ''}: ${(error as Error)?.message ?? String(error)}`;
      this.deps.logger.error({ remote: name, attempted, err: message }, 'canary refused: its version failed to load');
      return { remote: name, outcome: 'failed', stable, canary: null, attempted, ms: Math.round(performance.now() - started), error: message };
    }
    const canary: CanaryState = { loaded, stableVersion: stable, split: how.split, startedAt: how.startedAt, allowRemove: how.allowRemove, tallies };
    state.canary = canary;
    await this.save(name, canary);
    const change: CanaryChange = { action: 'start', version: loaded.version, stable, split: how.split, allowRemove: how.allowRemove, startedAt: how.startedAt };
    return { ...report(state, 'started', started), change };
  }

  /** What the order asks to load, from which source; `field` names the order's field for errors. */
  private async target(state: RemoteState, order: CanaryOrder): Promise<{ target: LoadTarget; source: Source; field: string }> {
    const stable = serving(state);
    if (order.version !== undefined) return { target: { version: await this.keptVersion(state, order.version) }, source: state.source, field: 'version' };
    if (order.ref !== undefined) return { target: { unlessVersion: stable }, source: this.sourceAt(state.entry, order.ref), field: 'ref' };
    return { target: { unlessVersion: stable }, source: state.source, field: 'version' };
  }

  /**
   * The version `wanted` names: a version the remote served before or the cache
   * holds (in full, or a prefix only one of them starts with), or, for a source
   * that fetches given versions (GitHub), any full commit.
   */
  private async keptVersion(state: RemoteState, wanted: string): Promise<string> {
    const name = state.entry.name;
    const known = new Set([...state.history.map((h) => h.version), ...(await this.deps.cache.versions(name))]);
    if (known.has(wanted)) return wanted;
    const stable = serving(state);
    const matches = [...known].filter((v) => v !== stable && v.startsWith(wanted));
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) throw new CanaryInputError(`"${wanted}" matches ${matches.length} versions of remote "${name}"; give more of it`, 'version');
    if (stable.startsWith(wanted)) throw new CanaryConflictError(`remote "${name}" already serves ${stable}: a canary needs another version`, 'version');
    if (state.source.at && /^[0-9a-f]{40}$/i.test(wanted)) return wanted;
    const kept = [...known].filter((v) => v !== stable);
    throw new UnknownVersionError(`remote "${name}" keeps no version "${wanted}" (kept: ${kept.length > 0 ? kept.join(', ') : 'none'})`);
  }

  /** The remote's GitHub source at another ref. */
  private sourceAt(entry: RemoteEntry, ref: string): Source {
    if (entry.source.kind !== 'github') throw new CanaryInputError(`ref applies to GitHub sources; remote "${entry.name}" is a ${entry.source.kind} source: give a version, or neither for its current build`, 'ref');
    const { semver: _semver, ...source } = entry.source;
    return createSource({ ...source, ref }, this.deps.sources);
  }

  private async save(name: string, canary: CanaryState | null): Promise<void> {
    if (!this.deps.store) return;
    try {
      await this.deps.store.save(name, canary && savedCanary(canary));
    } catch (error) {
      this.deps.logger.error({ remote: name, err: error }, 'could not save the canary state: a restart will not see this change');
    }
  }
}

function refuseRunning(state: RemoteState): void {
  const canary = state.canary;
  if (canary) {
    throw new CanaryConflictError(
      `remote "${state.entry.name}" already runs a canary of ${canary.loaded.version} at ${canary.split.weight} %: change its weight (PATCH …/canary), or promote or abort it first`,
    );
  }
}

/** The stable version a canary runs beside. */
function serving(state: RemoteState): string {
  if (!state.current) throw new CanaryConflictError(`remote "${state.entry.name}" serves no version: a canary runs beside a stable version`);
  return state.current.version;
}

function running(state: RemoteState): CanaryState {
  if (!state.canary) throw new CanaryConflictError(`remote "${state.entry.name}" runs no canary`);
  return state.canary;
}

function report(state: RemoteState, outcome: CanaryReport['outcome'], started: number): CanaryReport {
  const canary = state.canary;
  return {
    remote: state.entry.name,
    outcome,
    stable: state.current?.version ?? null,
    canary: canary?.loaded.version ?? null,
    ...(canary ? { split: canary.split, startedAt: canary.startedAt } : {}),
    ms: Math.round(performance.now() - started),
  };
}
