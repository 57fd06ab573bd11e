/**
 * The moves every canary change is made of, whoever asks for it (an operator, the
 * rollout, another process, a restart): loading and serving a canary beside the
 * stable version, a new split, promotion, ending it; each saved (canary-persistence.ts)
 * and reported (`changed`) for the reload history, the broker and other processes.
 * Each runs as a task of the remote's reload queue, so it never overlaps a reload.
 */
import type { RolloutPlan } from '../domain/resilience/rollout-analysis.js';
import { savedRollout, type CanarySplit, type CanaryState, type RolloutProgress, type SavedRollout } from './canary-state.js';
import type { CanaryRecord } from './canary-record.js';
import { CanaryConflictError, CanaryInputError, type CanaryChange, type CanaryDeps, type CanaryReport, type Remote, type RolloutVerdict } from './canary-contract.js';
import type { CanaryPersistence } from './canary-persistence.js';
import { canaryRecord, progressAt } from './rollout-progress.js';
import type { ActivateOptions, ReloadPipeline } from './reload-pipeline.js';
import { RemoteLoadError, type LoadedRemote, type LoadTarget } from './remote-loader.js';
import type { RemoteState } from './remote-state.js';
import type { Source } from './sources/source.js';

/** Who changes a canary: an operator (the routes), the rollout, another process (followed here), or a restart. */
export type Origin = 'operator' | 'rollout' | 'follower' | 'restart';

export class CanaryMoves {
  constructor(
    private readonly deps: CanaryDeps,
    private readonly pipeline: ReloadPipeline,
    private readonly remote: (name: string) => Remote | undefined,
    private readonly persistence: CanaryPersistence,
  ) {}

  /** Runs `work` as a task of the remote's queue: after any reload, never beside one. */
  task<T>(name: string, work: (state: RemoteState, started: number) => Promise<T>): Promise<T> {
    const remote = this.remote(name);
    if (!remote) return Promise.reject(new Error(`no remote named "${name}"`));
    return remote.queue.exclusive(() => work(remote.state, performance.now()));
  }

  /** Loads and activates the canary beside the stable version, or reports why it cannot serve. */
  async launch(
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
    await this.persistence.save(state, canary);
    const rollout = canary.rollout ? { rollout: this.savedRolloutOf(state, canary.rollout) } : {};
    const change: CanaryChange = { action: 'start', version: loaded.version, stable, split: how.split, allowRemove: how.allowRemove, startedAt: how.startedAt, ...rollout };
    if (how.origin !== 'restart') this.emit(state, canary, 'started', { origin: how.origin, automatic: how.automatic === true, trigger: how.trigger, from: stable, weight: canary.split.weight, started }, change);
    return { ...report(state, 'started', started), change };
  }

  /** Activates `loaded` beside the stable version and records it as the remote's canary; throws and changes nothing when it cannot serve. */
  async serve(
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
  async resplit(
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
    await this.persistence.save(state, canary);
    const change: CanaryChange = { action: 'split', split, rollout: canary.rollout ? this.savedRolloutOf(state, canary.rollout) : null };
    this.emit(state, canary, stepped ? 'stepped' : 'updated', { ...how, trigger: how.origin === 'rollout' ? 'rollout' : 'operator', from: canary.stableVersion, weight: split.weight, started }, change);
    return { ...report(state, 'updated', started), change };
  }

  async promoteIn(state: RemoteState, started: number, how: { origin: Origin; automatic: boolean; verdict?: RolloutVerdict }): Promise<CanaryReport> {
    const name = state.entry.name;
    const canary = running(state);
    const activation = this.deps.activation.promote(name);
    state.canary = undefined;
    const result = await this.pipeline.adopt(state, { reason: 'promote' }, canary.loaded, activation, started, canary.stableVersion);
    this.deps.logger.info({ remote: name, from: canary.stableVersion, to: canary.loaded.version, afterMs: Date.now() - Date.parse(canary.startedAt), ...(how.automatic ? { by: 'rollout' } : {}) }, 'canary promoted');
    await this.persistence.save(state, null);
    state.rolledBackCanary = undefined;
    const change: CanaryChange = { action: 'promote', ...(how.automatic ? { by: 'rollout' as const } : {}) };
    this.emit(state, canary, 'promoted', { ...how, trigger: how.automatic ? 'rollout' : 'operator', from: canary.stableVersion, weight: 100, started }, change);
    return { ...report(state, 'promoted', started), ms: result.ms, change };
  }

  async abortIn(state: RemoteState, started: number, how: { origin: Origin; automatic: boolean; verdict?: { reason: string; analysis?: RolloutVerdict['analysis'] } }): Promise<CanaryReport> {
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
    await this.persistence.save(state, null);
    const change: CanaryChange = { action: 'abort', ...(how.automatic ? { by: 'rollout' as const } : {}), ...(reason !== undefined ? { reason } : {}) };
    const details = { ...(reason !== undefined ? { error: reason } : {}), ...(how.verdict?.analysis ? { analysis: how.verdict.analysis } : {}) };
    this.emit(state, canary, how.automatic ? 'rolledBack' : 'aborted', { origin: how.origin, automatic: how.automatic, trigger: how.automatic ? 'rollout' : 'operator', from: canary.stableVersion, weight: 0, started, ...details }, change);
    return { ...report(state, 'aborted', started), change };
  }

  /** Reports a change: the record for the history and the broker, and (made by the rollout) the change to spread. */
  emit(
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
  savedRolloutOf(state: RemoteState, progress: RolloutProgress): SavedRollout {
    return savedRollout(progress, state.entry.rollout?.onRestart ?? 'resume');
  }
}

/** The remote's rollout plan; an order asking for one on a remote without it is refused naming `auto`. */
export function planOf(state: RemoteState): RolloutPlan {
  const plan = state.entry.rollout;
  if (!plan) throw new CanaryInputError(`remote "${state.entry.name}" has no rollout in remoteEntries.js: "auto" needs one (e.g. rollout: { steps: [5, 25, 50, 100], stepSeconds: 60 })`, 'auto');
  return plan;
}

export function refuseRunning(state: RemoteState): void {
  const canary = state.canary;
  if (canary) {
    throw new CanaryConflictError(
      `remote "${state.entry.name}" already runs a canary of ${canary.loaded.version} at ${canary.split.weight} %: change its weight (PATCH …/canary), or promote or abort it first`,
    );
  }
}

/** The stable version a canary runs beside. */
export function serving(state: RemoteState): string {
  if (!state.current) throw new CanaryConflictError(`remote "${state.entry.name}" serves no version: a canary runs beside a stable version`);
  return state.current.version;
}

export function running(state: RemoteState): CanaryState {
  if (!state.canary) throw new CanaryConflictError(`remote "${state.entry.name}" runs no canary`);
  return state.canary;
}

export function report(state: RemoteState, outcome: CanaryReport['outcome'], started: number): CanaryReport {
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
