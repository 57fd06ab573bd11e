/**
 * What the host serves: for each remote in remoteEntries.js, its state
 * (remote-state.ts), its reload queue (reload-queue.ts: one reload at a time,
 * requests arriving meanwhile coalesce into a single follow-up reload of the
 * newest target) and the shared reload pipeline (reload-pipeline.ts: load →
 * activate → swap → drain → dispose). Rollback picks its version in rollback.ts;
 * canaries (a second version beside the stable one) are canary.ts's.
 *
 * The types those files define are re-exported here, so callers import the
 * deployment from one place.
 */
import { EventEmitter } from 'node:events';
import type { RemoteEntry } from '../config/remote-entries.js';
import { ReloadPipeline, type ReloadPipelineDeps } from './reload-pipeline.js';
import { ReloadQueue } from './reload-queue.js';
import { initialRemoteState, type ReloadRequest, type ReloadResult, type RemoteState } from './remote-state.js';
import { rollbackVersion } from './rollback.js';
import { createSource, type SourceSettings } from './sources/source-registry.js';
import { Canaries } from './canary.js';
import {
  CanaryConflictError,
  type CanaryActivation,
  type CanaryChange,
  type CanaryChangeEvent,
  type CanaryOrder,
  type CanaryReport,
  type CanaryStore,
  type RolloutExpectation,
  type RolloutVerdict,
} from './canary-contract.js';
import type { CanaryLaunch } from './reload-pipeline.js';
import type { CanarySplit, SavedCanary } from './canary-state.js';

export type { PreviousVersion, ReloadReason, ReloadRequest, ReloadResult, RemoteState, RemoteStatus } from './remote-state.js';
export type { Activation, ActivateOptions, DeploymentLogger } from './reload-pipeline.js';
export { NoPreviousVersionError, UnknownVersionError } from './rollback.js';
export {
  CanaryConflictError,
  CanaryInputError,
  type CanaryActivation,
  type CanaryChange,
  type CanaryChangeEvent,
  type CanaryOrder,
  type CanaryReport,
  type CanaryStore,
  type RolloutExpectation,
  type RolloutVerdict,
} from './canary-contract.js';
export type { CanarySplit, CanaryState, SavedCanary, StickyKey } from './canary-state.js';
export type { CanaryRecord, LastCanaryOutcome } from './canary-record.js';

export interface DeploymentDeps extends ReloadPipelineDeps {
  /** Settings the remotes' sources are created with. */
  sources: SourceSettings;
  /** Serving canaries beside stable versions (activation.ts). */
  canaries: CanaryActivation;
  /** Where canaries are saved for a restart (absent in cluster workers: the primary keeps them). */
  canaryStore?: CanaryStore;
}

/** One remote: what it serves and the queue its reloads wait in. */
interface Remote {
  state: RemoteState;
  queue: ReloadQueue;
}

/**
 * Emits `reloaded` and `reload-failed` with a ReloadResult, `retired` with
 * `{ remote, version, loaded }` once a replaced version is disposed, and `canary`
 * with a CanaryChangeEvent for every change of a canary (made here or followed).
 */
export class Deployment extends EventEmitter {
  private readonly byName = new Map<string, Remote>();
  private readonly pipeline: ReloadPipeline;
  private readonly canaries: Canaries;

  constructor(entries: readonly RemoteEntry[], deps: DeploymentDeps) {
    super();
    this.pipeline = new ReloadPipeline(deps, {
      finished: (result) => {
        if (result.outcome === 'failed') this.emit('reload-failed', result);
        else if (result.outcome === 'reloaded') this.emit('reloaded', result);
      },
      retired: (remote, previous) => this.emit('retired', { remote, version: previous.version, loaded: previous }),
    });
    for (const entry of entries) {
      const state = initialRemoteState(entry, createSource(entry.source, deps.sources));
      const queue = new ReloadQueue((request) => this.pipeline.reload(state, request, this.launchOf(state, request)));
      this.byName.set(entry.name, { state, queue });
    }
    this.canaries = new Canaries(
      {
        activation: deps.canaries,
        cache: deps.cache,
        sources: deps.sources,
        logger: deps.logger,
        ...(deps.canaryStore ? { store: deps.canaryStore } : {}),
        changed: (event: CanaryChangeEvent) => this.emit('canary', event),
      },
      this.pipeline,
      (name) => this.byName.get(name),
    );
  }

  remotes(): readonly RemoteState[] {
    return [...this.byName.values()].map((remote) => remote.state);
  }

  remote(name: string): RemoteState | undefined {
    return this.byName.get(name)?.state;
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
    for (const { state, queue } of this.byName.values()) {
      const started = performance.now();
      const wanted = Object.hasOwn(versions, state.entry.name) ? versions[state.entry.name] : undefined;
      const loading = this.pipeline.load(state, wanted ? { version: wanted.version, fallbackToCache: true } : { fallbackToCache: true });
      const run = previous.then(async () => {
        const result = await this.pipeline.activate(state, { reason: 'startup' }, await loading, started, null);
        if (wanted?.pinned && result.outcome === 'reloaded') state.pinned = wanted.version;
        return result;
      });
      queue.follow(run);
      previous = run;
    }
    await previous;
  }

  /** Reloads one remote; concurrent calls for the same remote coalesce. */
  reload(name: string, request: ReloadRequest): Promise<ReloadResult> {
    const remote = this.byName.get(name);
    if (!remote) return Promise.reject(new Error(`no remote named "${name}"`));
    return remote.queue.request(request);
  }

  /**
   * Returns to a previous version still in the cache, and pins it: the newest one, or
   * the kept version `to` names (in full, or a prefix only one kept version starts with).
   */
  async rollback(name: string, to?: string): Promise<ReloadResult> {
    const remote = this.byName.get(name);
    if (!remote) throw new Error(`no remote named "${name}"`);
    const canary = remote.state.canary;
    if (canary) throw new CanaryConflictError(`remote "${name}" runs a canary of ${canary.loaded.version}: abort it (the stable version then serves alone) before rolling back`);
    return this.reload(name, { reason: 'rollback', version: rollbackVersion(remote.state, to) });
  }

  /**
   * Starts a canary of the remote: the version the order names, loaded and served
   * beside the stable one to a share of the traffic. Rejects with a CanaryConflictError,
   * CanaryInputError or UnknownVersionError (nothing changed); a build that fails to
   * load or activate resolves with outcome `failed` (nothing changed either).
   */
  startCanary(name: string, order: CanaryOrder): Promise<CanaryReport> {
    return this.canaries.start(name, order);
  }

  /**
   * Changes the running canary's split (weight, stickiness, mode); `auto` true hands it to
   * the remote's rollout, false stops the rollout's stepping, absent leaves that as it is.
   */
  updateCanary(name: string, split: CanarySplit, auto?: boolean): Promise<CanaryReport> {
    return this.canaries.update(name, split, auto);
  }

  /** The rollout's analysis found the step healthy: the next step, or promotion after the last; null when the rollout moved meanwhile. */
  advanceRollout(name: string, expected: RolloutExpectation, verdict: RolloutVerdict): Promise<CanaryReport | null> {
    return this.canaries.advance(name, expected, verdict);
  }

  /** The rollout's analysis found the canary failing: it is aborted, with the reason; null when the rollout moved meanwhile. */
  rollBackRollout(name: string, expected: RolloutExpectation, verdict: RolloutVerdict): Promise<CanaryReport | null> {
    return this.canaries.rollBack(name, expected, verdict);
  }

  /** The canary becomes the stable version; the old one drains and is disposed. */
  promoteCanary(name: string): Promise<CanaryReport> {
    return this.canaries.promote(name);
  }

  /** The canary stops serving and is disposed; the stable version serves alone. */
  abortCanary(name: string): Promise<CanaryReport> {
    return this.canaries.abort(name);
  }

  /** Applies a canary change another process made (cluster mode). */
  applyCanary(name: string, change: CanaryChange): Promise<CanaryReport> {
    return this.canaries.apply(name, change);
  }

  /** Starts saved canaries again after the remotes loaded (a restart, a new cluster worker). */
  resumeCanaries(saved: Readonly<Record<string, SavedCanary>>): Promise<void> {
    return this.canaries.resume(saved);
  }

  /**
   * A remote with a `rollout` serving a version: pushes, polls and manual reloads start
   * the new version as a canary (pushes and polls skip the version its rollout rolled back).
   */
  private launchOf(state: RemoteState, request: ReloadRequest): CanaryLaunch | undefined {
    if (!state.entry.rollout || !state.current) return undefined;
    if (request.reason !== 'webhook' && request.reason !== 'poll' && request.reason !== 'manual') return undefined;
    return {
      skipVersion: request.reason === 'manual' ? undefined : state.rolledBackCanary,
      start: (loaded, options) => this.canaries.startRollout(state, request, loaded, options),
    };
  }

  /** Whether a reload of the remote is running or waiting. */
  busy(name: string): boolean {
    return this.byName.get(name)?.queue.busy ?? false;
  }

  /** Waits for retiring versions, then disposes every active one. */
  async dispose(): Promise<void> {
    await this.pipeline.drain();
    for (const { state } of this.byName.values()) {
      state.canary?.loaded.dispose();
      state.current?.dispose();
    }
  }
}
