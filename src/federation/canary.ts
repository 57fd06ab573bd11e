/**
 * Canaries: a second version of a remote served beside its stable one, to a
 * share of the traffic. Starting one loads the version through the reload
 * pipeline's loader and checks (a build that fails to load or activate is
 * refused and nothing changes); changing its split, promoting it (the old
 * version drains and is disposed as on a hot deploy) and aborting it (the
 * canary drains and is disposed) are tasks of the remote's reload queue, so
 * they never overlap a reload. While a canary runs, reloads of its remote are
 * refused (reload-pipeline.ts). Every change is saved (`CanaryStore`, a file
 * in DATA_DIR) so a restart resumes it, and reported (`changed`) for the reload
 * history and the broker.
 *
 * A remote with a `rollout` starts its new versions here too (`startRollout`, from
 * a reload), and its rollout driver (rollout-driver.ts) steps them up, promotes or
 * rolls them back (`advance`, `conclude`).
 */
import type { RemoteEntry } from '../config/remote-entries.js';
import { savedCanary, savedRollout, type CanarySplit, type CanaryState, type RolloutProgress, type SavedCanary, type SavedRollout } from './canary-state.js';
import type { CanaryRecord } from './canary-record.js';
import { canaryRecord, clampStep, progressAt, stepAtLeast } from './rollout-progress.js';
import type { Activation, ActivateOptions, ReloadPipeline, DeploymentLogger } from './reload-pipeline.js';
import type { ReloadQueue } from './reload-queue.js';
import { RemoteLoadError, type LoadedRemote, type LoadTarget } from './remote-loader.js';
import type { ReloadRequest, RemoteState } from './remote-state.js';
import type { RolloutPlan } from '../domain/resilience/rollout-analysis.js';
import type { TallySummary } from '../domain/resilience/version-tally.js';
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
  /** Stepped up by the remote's rollout from its first step (`split.weight` is then not read). */
  auto?: boolean;
}

/**
 * A change another process applies to follow this one (cluster mode): always an exact
 * version. `rollout` carries an automatic rollout's step (null: none any more); `by`
 * says the rollout, not an operator, promoted or rolled back, and `reason` why.
 */
export type CanaryChange =
  | { action: 'start'; version: string; stable: string; split: CanarySplit; allowRemove: boolean; startedAt: string; rollout?: SavedRollout }
  | { action: 'split'; split: CanarySplit; rollout?: SavedRollout | null }
  | { action: 'promote'; by?: 'rollout' }
  | { action: 'abort'; by?: 'rollout'; reason?: string };

/** A change of a canary, as the deployment reports it. */
export interface CanaryChangeEvent {
  record: CanaryRecord;
  /** Made in this process, not applied to follow another one: its broker event is published here. */
  local: boolean;
  /** Made by a rollout (a reload that started one, or the rollout driver): the host spreads it to other processes. */
  automatic: boolean;
  /** What other processes apply to follow. */
  change?: CanaryChange;
}

/** What an automatic change expects to find: the rollout it judged is still at that step. */
export interface RolloutExpectation {
  version: string;
  step: number;
}

/** What the analysis judged, for the record. */
export interface RolloutVerdict {
  reason: string;
  analysis: { stable: TallySummary; canary: TallySummary };
}

/** Who changes a canary: an operator (the routes), the rollout, another process (followed here), or a restart. */
type Origin = 'operator' | 'rollout' | 'follower' | 'restart';

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
  /** The automatic rollout's step (1-based), when one steps the canary. */
  rollout?: { step: number; of: number };
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
  /** Every change, made here or followed: the reload history, the broker and (cluster mode) the other processes. */
  changed?(event: CanaryChangeEvent): void;
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
      const plan = order.auto === true ? planOf(state) : undefined;
      if (plan && order.split.mode === 'ab') throw new CanaryInputError('an automatic rollout steps a canary up and promotes it: mode "ab" holds a split; leave auto or mode out', 'mode');
      const split: CanarySplit = plan ? { weight: plan.steps[0]!, sticky: order.split.sticky, mode: 'canary' } : order.split;
      const { target, source, field } = await this.target(state, order);
      if (target.version === stable) throw new CanaryConflictError(`remote "${name}" already serves ${stable}: a canary needs another version`, field);
      const how = { target, source, field, split, allowRemove: order.allowRemove === true, startedAt: new Date().toISOString(), origin: 'operator' as const, trigger: 'operator' as const };
      return this.launch(state, started, plan ? { ...how, rollout: { step: 0 } } : how);
    });
  }

  /**
   * Splits the traffic anew (weight, stickiness, mode); same versions, same tallies.
   * `auto`: true hands the canary to the remote's rollout (from the first step at or
   * above the weight), false stops the stepping (the weight holds); absent keeps it.
   */
  update(name: string, split: CanarySplit, auto?: boolean): Promise<CanaryReport> {
    return this.task(name, async (state, started) => {
      running(state);
      if (auto !== true) return this.resplit(state, started, split, auto === false ? 'stop' : 'keep', { origin: 'operator', automatic: false });
      const plan = planOf(state);
      if (split.mode === 'ab') throw new CanaryInputError('an automatic rollout steps a canary up and promotes it: mode "ab" holds a split', 'mode');
      const step = stepAtLeast(plan, split.weight);
      return this.resplit(state, started, { ...split, weight: plan.steps[step]! }, { step }, { origin: 'operator', automatic: false });
    });
  }

  /** The canary becomes the stable version; the old one drains and is disposed. */
  promote(name: string): Promise<CanaryReport> {
    return this.task(name, (state, started) => this.promoteIn(state, started, { origin: 'operator', automatic: false }));
  }

  /** The canary stops serving; the stable version serves alone, the canary drains and is disposed. */
  abort(name: string): Promise<CanaryReport> {
    return this.task(name, (state, started) => this.abortIn(state, started, { origin: 'operator', automatic: false }));
  }

  /**
   * A reload of a remote with a `rollout` loaded a new version: it starts as a canary at
   * the first step instead of replacing the stable version. Runs inside the reload (the
   * remote's queue); throws, changing nothing, when the version cannot serve.
   */
  async startRollout(state: RemoteState, request: ReloadRequest, loaded: LoadedRemote, options: ActivateOptions): Promise<{ version: string; weight: number }> {
    const started = performance.now();
    const plan = planOf(state);
    const stable = serving(state);
    const split: CanarySplit = { weight: plan.steps[0]!, sticky: undefined, mode: 'canary' };
    const startedAt = new Date().toISOString();
    const canary = await this.serve(state, loaded, { stable, split, allowRemove: request.allowRemove === true, startedAt, rollout: { step: 0 } }, options);
    await this.save(state, canary);
    const change: CanaryChange = { action: 'start', version: loaded.version, stable, split, allowRemove: canary.allowRemove, startedAt, rollout: this.savedRolloutOf(state, canary.rollout!) };
    this.deps.logger.info({ remote: state.entry.name, stable, canary: loaded.version, weight: split.weight, steps: plan.steps, trigger: request.reason }, 'rollout started');
    const trigger = request.reason === 'webhook' || request.reason === 'poll' ? request.reason : 'manual';
    this.emit(state, canary, 'started', { origin: 'rollout', automatic: true, trigger, from: stable, weight: split.weight, started }, change);
    return { version: loaded.version, weight: split.weight };
  }

  /**
   * The rollout's analysis found the step healthy: the next step, or after the last one,
   * promotion. Nothing happens (null) when the rollout is no longer where it was judged.
   */
  advance(name: string, expected: RolloutExpectation, verdict: RolloutVerdict): Promise<CanaryReport | null> {
    return this.task(name, async (state, started) => {
      const canary = expectedRollout(state, expected);
      if (!canary) return null;
      const plan = planOf(state);
      const how = { origin: 'rollout' as const, automatic: true, verdict };
      if (expected.step + 1 >= plan.steps.length) return this.promoteIn(state, started, how);
      const step = expected.step + 1;
      return this.resplit(state, started, { ...canary.split, weight: plan.steps[step]! }, { step }, how);
    });
  }

  /** The rollout's analysis found the canary failing: it stops serving, and the reason is recorded. */
  rollBack(name: string, expected: RolloutExpectation, verdict: RolloutVerdict): Promise<CanaryReport | null> {
    return this.task(name, async (state, started) => {
      if (!expectedRollout(state, expected)) return null;
      return this.abortIn(state, started, { origin: 'rollout', automatic: true, verdict });
    });
  }

  /** Applies a change another process made (cluster mode): the same version, split and start time. */
  apply(name: string, change: CanaryChange, origin: 'follower' | 'restart' = 'follower'): Promise<CanaryReport> {
    switch (change.action) {
      case 'split':
        return this.task(name, async (state, started) => {
          const before = running(state).rollout;
          const rollout = change.rollout === undefined ? 'keep' : change.rollout === null ? 'stop' : { step: change.rollout.step, stepStartedAt: change.rollout.stepStartedAt };
          const stepped = typeof rollout === 'object' && before !== undefined && before.step !== rollout.step;
          return this.resplit(state, started, change.split, rollout, { origin, automatic: stepped });
        });
      case 'promote':
        return this.task(name, (state, started) => this.promoteIn(state, started, { origin, automatic: change.by === 'rollout' }));
      case 'abort':
        return this.task(name, (state, started) =>
          this.abortIn(state, started, { origin, automatic: change.by === 'rollout', ...(change.reason !== undefined ? { verdict: { reason: change.reason } } : {}) }),
        );
      case 'start':
        return this.task(name, async (state, started) => {
          refuseRunning(state);
          serving(state);
          const rollout = change.rollout && state.entry.rollout ? { step: clampStep(state.entry.rollout, change.rollout.step), stepStartedAt: change.rollout.stepStartedAt } : undefined;
          const how = { target: { version: change.version }, source: state.source, field: 'version', split: change.split, allowRemove: change.allowRemove, startedAt: change.startedAt, origin, trigger: rollout ? ('rollout' as const) : ('operator' as const), automatic: rollout !== undefined };
          return this.launch(state, started, rollout ? { ...how, rollout } : how);
        });
    }
  }

  /**
   * Starts the saved canaries again (after a restart, or in a cluster worker that
   * starts while they run): the same version, split and start time, and a rollout at
   * the step it reached (its window opens anew), unless the remote's rollout says
   * `onRestart: 'rollback'`. One whose version became the stable one is over; one
   * that cannot start is dropped, logged.
   */
  async resume(saved: Readonly<Record<string, SavedCanary>>): Promise<void> {
    for (const [name, canary] of Object.entries(saved)) {
      const remote = this.remote(name);
      const drop = async (why: string, details: object = {}) => {
        this.deps.logger.error({ remote: name, canary: canary.canary, ...details }, `canary not resumed: ${why}`);
        if (remote) await this.save(remote.state, null);
        else await this.deps.store?.save(name, null).catch(() => undefined);
      };
      if (!remote) {
        await drop('remoteEntries.js no longer lists the remote');
        continue;
      }
      if (remote.state.current?.version === canary.canary) {
        await drop('its version is the stable one now');
        continue;
      }
      const plan = remote.state.entry.rollout;
      let rollout = canary.rollout;
      if (rollout && !plan) {
        this.deps.logger.warn({ remote: name, canary: canary.canary, weight: canary.weight }, 'the remote no longer has a rollout: its canary resumes holding its weight');
        rollout = undefined;
      }
      // Only the process that keeps the canaries decides (a cluster's primary did already): a worker replacing another resumes.
      if (rollout && plan?.onRestart === 'rollback' && this.deps.store) {
        await this.restartRollback(remote.state, canary, rollout.step);
        continue;
      }
      const split = { weight: canary.weight, sticky: canary.sticky ?? undefined, mode: canary.mode };
      const change: CanaryChange = { action: 'start', version: canary.canary, stable: canary.stable, split, allowRemove: canary.allowRemove, startedAt: canary.startedAt, ...(rollout ? { rollout } : {}) };
      const result = await this.apply(name, change, 'restart').catch((error: unknown) => ({ outcome: 'failed' as const, error: (error as Error).message }));
      if (result.outcome === 'failed') await drop(result.error ?? 'it failed to start', { err: result.error });
      else this.deps.logger.info({ remote: name, canary: canary.canary, stable: remote.state.current?.version, weight: remote.state.canary?.split.weight ?? canary.weight, ...(rollout ? { step: (remote.state.canary?.rollout?.step ?? 0) + 1 } : {}) }, 'canary resumed');
    }
  }

  /** A rollout the host restarted in the middle of, whose remote says `onRestart: 'rollback'`: the stable version serves alone. */
  private async restartRollback(state: RemoteState, canary: SavedCanary, step: number): Promise<void> {
    const reason = `the host restarted during the rollout (at step ${step + 1}, ${canary.weight} %) and the remote's rollout says onRestart: 'rollback'`;
    this.deps.logger.warn({ remote: state.entry.name, canary: canary.canary, stable: canary.stable, reason }, 'rollout rolled back');
    await this.save(state, null);
    state.rolledBackCanary = canary.canary;
    const record = canaryRecord(state, { version: canary.canary, step }, 'rolledBack', { automatic: true, trigger: 'restart', from: canary.stable, weight: 0, started: performance.now(), error: reason });
    state.lastRollout = { ...record, at: new Date().toISOString() };
    this.deps.changed?.({ record, local: true, automatic: false });
  }

  /** Runs `work` as a task of the remote's queue: after any reload, never beside one. */
  private task<T>(name: string, work: (state: RemoteState, started: number) => Promise<T>): Promise<T> {
    const remote = this.remote(name);
    if (!remote) return Promise.reject(new Error(`no remote named "${name}"`));
    return remote.queue.exclusive(() => work(remote.state, performance.now()));
  }

  /** Loads and activates the canary beside the stable version, or reports why it cannot serve. */
  private async launch(
    state: RemoteState,
    started: number,
    how: {
      target: LoadTarget;
      source: Source;
      field: string;
      split: CanarySplit;
      allowRemove: boolean;
      startedAt: string;
      rollout?: { step: number; stepStartedAt?: string };
      origin: Origin;
      trigger: CanaryRecord['trigger'];
      /** A follower recording a start its rollout made. */
      automatic?: boolean;
    },
  ): Promise<CanaryReport> {
    const name = state.entry.name;
    const stable = serving(state);
    const loaded = await this.pipeline.load(state, how.target, how.source);
    if (!(loaded instanceof Error) && 'unchanged' in loaded) {
      throw new CanaryConflictError(`${how.field === 'ref' ? 'that ref' : 'the source'} names the version remote "${name}" already serves (${loaded.unchanged}): a canary needs another version`, how.field);
    }
    const attempted = loaded instanceof Error ? ((loaded as RemoteLoadError).version ?? how.target.version ?? null) : loaded.version;
    let canary: CanaryState;
    try {
      if (loaded instanceof Error) throw loaded;
      const allowRemove = how.allowRemove || state.entry.allowRemove === true;
      canary = await this.serve(state, loaded, { stable, split: how.split, allowRemove: how.allowRemove, startedAt: how.startedAt, ...(how.rollout ? { rollout: how.rollout } : {}) }, { allowRemove });
    } catch (error) {
      if (!(loaded instanceof Error)) loaded.dispose();
      const message = error instanceof RemoteLoadError ? error.message : `remote "${name}"${attempted ? ` at ${attempted.slice(0, 12)}` : ''}: ${(error as Error)?.message ?? String(error)}`;
      this.deps.logger.error({ remote: name, attempted, err: message }, 'canary refused: its version failed to load');
      return { remote: name, outcome: 'failed', stable, canary: null, attempted, ms: Math.round(performance.now() - started), error: message };
    }
    await this.save(state, canary);
    const rollout = canary.rollout ? { rollout: this.savedRolloutOf(state, canary.rollout) } : {};
    const change: CanaryChange = { action: 'start', version: loaded.version, stable, split: how.split, allowRemove: how.allowRemove, startedAt: how.startedAt, ...rollout };
    if (how.origin !== 'restart') this.emit(state, canary, 'started', { origin: how.origin, automatic: how.automatic === true, trigger: how.trigger, from: stable, weight: canary.split.weight, started }, change);
    return { ...report(state, 'started', started), change };
  }

  /** Activates `loaded` beside the stable version and records it as the remote's canary; throws and changes nothing when it cannot serve. */
  private async serve(
    state: RemoteState,
    loaded: LoadedRemote,
    how: { stable: string; split: CanarySplit; allowRemove: boolean; startedAt: string; rollout?: { step: number; stepStartedAt?: string } },
    options: ActivateOptions,
  ): Promise<CanaryState> {
    const { tallies } = await this.deps.activation.start(state.entry.name, loaded, how.stable, how.split, options);
    const canary: CanaryState = { loaded, stableVersion: how.stable, split: how.split, startedAt: how.startedAt, allowRemove: how.allowRemove, tallies };
    if (how.rollout) canary.rollout = progressAt(how.rollout.step, tallies, how.rollout.stepStartedAt ?? how.startedAt);
    state.canary = canary;
    if (state.rolledBackCanary !== loaded.version) state.rolledBackCanary = undefined;
    return canary;
  }

  /** A new split (and rollout step) for the running canary. */
  private async resplit(
    state: RemoteState,
    started: number,
    split: CanarySplit,
    rollout: 'keep' | 'stop' | { step: number; stepStartedAt?: string },
    how: { origin: Origin; automatic: boolean; verdict?: RolloutVerdict },
  ): Promise<CanaryReport> {
    const name = state.entry.name;
    const canary = running(state);
    const before = canary.rollout;
    this.deps.activation.split(name, split);
    canary.split = split;
    // The window opens once the new split routes: what it counts was routed by it.
    if (rollout === 'stop') canary.rollout = undefined;
    else if (rollout !== 'keep') canary.rollout = progressAt(rollout.step, canary.tallies, rollout.stepStartedAt, before?.stableP99Ms ?? null);
    const stepped = how.automatic && canary.rollout !== undefined;
    this.deps.logger.info(
      { remote: name, canary: canary.loaded.version, weight: split.weight, mode: split.mode, ...(canary.rollout ? { step: canary.rollout.step + 1 } : {}), ...(how.verdict ? { why: how.verdict.reason } : {}) },
      stepped ? 'rollout stepped up' : 'canary split changed',
    );
    await this.save(state, canary);
    const change: CanaryChange = { action: 'split', split, rollout: canary.rollout ? this.savedRolloutOf(state, canary.rollout) : null };
    this.emit(state, canary, stepped ? 'stepped' : 'updated', { ...how, trigger: how.origin === 'rollout' ? 'rollout' : 'operator', from: canary.stableVersion, weight: split.weight, started }, change);
    return { ...report(state, 'updated', started), change };
  }

  private async promoteIn(state: RemoteState, started: number, how: { origin: Origin; automatic: boolean; verdict?: RolloutVerdict }): Promise<CanaryReport> {
    const name = state.entry.name;
    const canary = running(state);
    const activation = this.deps.activation.promote(name);
    state.canary = undefined;
    const result = await this.pipeline.adopt(state, { reason: 'promote' }, canary.loaded, activation, started, canary.stableVersion);
    this.deps.logger.info({ remote: name, from: canary.stableVersion, to: canary.loaded.version, afterMs: Date.now() - Date.parse(canary.startedAt), ...(how.automatic ? { by: 'rollout' } : {}) }, 'canary promoted');
    await this.save(state, null);
    state.rolledBackCanary = undefined;
    const change: CanaryChange = { action: 'promote', ...(how.automatic ? { by: 'rollout' as const } : {}) };
    this.emit(state, canary, 'promoted', { ...how, trigger: how.automatic ? 'rollout' : 'operator', from: canary.stableVersion, weight: 100, started }, change);
    return { ...report(state, 'promoted', started), ms: result.ms, change };
  }

  private async abortIn(state: RemoteState, started: number, how: { origin: Origin; automatic: boolean; verdict?: { reason: string; analysis?: RolloutVerdict['analysis'] } }): Promise<CanaryReport> {
    const name = state.entry.name;
    const canary = running(state);
    const activation = this.deps.activation.end(name);
    state.canary = undefined;
    this.pipeline.retire(name, canary.loaded, activation.drained);
    const reason = how.verdict?.reason;
    if (how.automatic) {
      // Pushes and polls would start the same build again: they leave it alone until a new version comes.
      state.rolledBackCanary = canary.loaded.version;
      this.deps.logger.warn({ remote: name, canary: canary.loaded.version, stable: canary.stableVersion, reason }, 'rollout rolled back');
    } else {
      this.deps.logger.warn({ remote: name, canary: canary.loaded.version, stable: canary.stableVersion }, 'canary aborted');
    }
    await this.save(state, null);
    const change: CanaryChange = { action: 'abort', ...(how.automatic ? { by: 'rollout' as const } : {}), ...(reason !== undefined ? { reason } : {}) };
    const details = { ...(reason !== undefined ? { error: reason } : {}), ...(how.verdict?.analysis ? { analysis: how.verdict.analysis } : {}) };
    this.emit(state, canary, how.automatic ? 'rolledBack' : 'aborted', { origin: how.origin, automatic: how.automatic, trigger: how.automatic ? 'rollout' : 'operator', from: canary.stableVersion, weight: 0, started, ...details }, change);
    return { ...report(state, 'aborted', started), change };
  }

  /** Reports a change: the record for the history and the broker, and (made by the rollout) the change to spread. */
  private emit(
    state: RemoteState,
    canary: CanaryState,
    outcome: CanaryRecord['outcome'],
    how: { origin: Origin; automatic: boolean; trigger: CanaryRecord['trigger']; from: string | null; weight: number; started: number; verdict?: { reason: string; analysis?: RolloutVerdict['analysis'] } } & Pick<CanaryRecord, 'error' | 'detail' | 'analysis'>,
    change: CanaryChange,
  ): void {
    const { verdict, ...details } = how;
    const judged = verdict && outcome !== 'rolledBack' ? { detail: verdict.reason, ...(verdict.analysis ? { analysis: verdict.analysis } : {}) } : {};
    const record = canaryRecord(state, { version: canary.loaded.version, step: canary.rollout?.step }, outcome, { ...details, ...judged });
    if (outcome === 'promoted' || outcome === 'rolledBack' || outcome === 'aborted') state.lastRollout = { ...record, at: new Date().toISOString() };
    this.deps.changed?.({ record, local: how.origin !== 'follower', automatic: how.origin === 'rollout', change });
  }

  /** A rollout's step as saved, with the remote's `onRestart`. */
  private savedRolloutOf(state: RemoteState, progress: RolloutProgress): SavedRollout {
    return savedRollout(progress, state.entry.rollout?.onRestart ?? 'resume');
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

  private async save(state: RemoteState, canary: CanaryState | null): Promise<void> {
    if (!this.deps.store) return;
    const name = state.entry.name;
    try {
      await this.deps.store.save(name, canary && savedCanary(canary, state.entry.rollout?.onRestart ?? 'resume'));
    } catch (error) {
      this.deps.logger.error({ remote: name, err: error }, 'could not save the canary state: a restart will not see this change');
    }
  }
}

/** The remote's rollout plan; an order asking for one on a remote without it is refused naming `auto`. */
function planOf(state: RemoteState): RolloutPlan {
  const plan = state.entry.rollout;
  if (!plan) throw new CanaryInputError(`remote "${state.entry.name}" has no rollout in remoteEntries.js: "auto" needs one (e.g. rollout: { steps: [5, 25, 50, 100], stepSeconds: 60 })`, 'auto');
  return plan;
}

/** The running canary, if its rollout is still at the step the analysis judged. */
function expectedRollout(state: RemoteState, expected: RolloutExpectation): CanaryState | undefined {
  const canary = state.canary;
  if (!canary || canary.loaded.version !== expected.version || canary.rollout?.step !== expected.step || !state.entry.rollout) return undefined;
  return canary;
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
    ...(canary?.rollout && state.entry.rollout ? { rollout: { step: canary.rollout.step + 1, of: state.entry.rollout.steps.length } } : {}),
    ms: Math.round(performance.now() - started),
  };
}
