/**
 * Canaries: a second version of a remote served beside its stable one, to a
 * share of the traffic. Starting one loads the version through the reload
 * pipeline's loader and checks (a build that fails to load or activate is
 * refused and nothing changes); changing its split, promoting it (the old
 * version drains and is disposed as on a hot deploy) and aborting it (the
 * canary drains and is disposed) are tasks of the remote's reload queue, so
 * they never overlap a reload. While a canary runs, reloads of its remote are
 * refused (reload-pipeline.ts).
 *
 * This file is the operator's control (start, split, promote, abort) and the
 * following of changes another process made; the moves they share are
 * canary-moves.ts's, saving and resuming canary-persistence.ts's, and automatic
 * rollouts' start, steps and rollback canary-rollout.ts's.
 */
import type { RemoteEntry } from '../config/remote-entries.js';
import type { CanarySplit, SavedCanary } from './canary-state.js';
import { CanaryConflictError, CanaryInputError, type CanaryChange, type CanaryDeps, type CanaryOrder, type CanaryReport, type Remote, type RolloutExpectation, type RolloutVerdict } from './canary-contract.js';
import { CanaryMoves, planOf, refuseRunning, running, serving } from './canary-moves.js';
import { CanaryPersistence } from './canary-persistence.js';
import { RolloutSteps } from './canary-rollout.js';
import { clampStep, stepAtLeast } from './rollout-progress.js';
import type { ActivateOptions, ReloadPipeline } from './reload-pipeline.js';
import type { LoadedRemote, LoadTarget } from './remote-loader.js';
import type { ReloadRequest, RemoteState } from './remote-state.js';
import { UnknownVersionError } from './rollback.js';
import { createSource } from './sources/source-registry.js';
import type { Source } from './sources/source.js';

export class Canaries {
  private readonly moves: CanaryMoves;
  private readonly persistence: CanaryPersistence;
  private readonly rollouts: RolloutSteps;

  constructor(
    private readonly deps: CanaryDeps,
    pipeline: ReloadPipeline,
    remote: (name: string) => Remote | undefined,
  ) {
    this.persistence = new CanaryPersistence(deps, remote);
    this.moves = new CanaryMoves(deps, pipeline, remote, this.persistence);
    this.rollouts = new RolloutSteps(deps, this.moves, this.persistence);
  }

  /** Starts a canary of the version the order names (after any reload running), or reports why it failed to load. */
  start(name: string, order: CanaryOrder): Promise<CanaryReport> {
    return this.moves.task(name, async (state, started) => {
      refuseRunning(state);
      const stable = serving(state);
      const plan = order.auto === true ? planOf(state) : undefined;
      if (plan && order.split.mode === 'ab') throw new CanaryInputError('an automatic rollout steps a canary up and promotes it: mode "ab" holds a split; leave auto or mode out', 'mode');
      const split: CanarySplit = plan ? { weight: plan.steps[0]!, sticky: order.split.sticky, mode: 'canary' } : order.split;
      const { target, source, field } = await this.target(state, order);
      if (target.version === stable) throw new CanaryConflictError(`remote "${name}" already serves ${stable}: a canary needs another version`, field);
      const how = { target, source, field, split, allowRemove: order.allowRemove === true, startedAt: new Date().toISOString(), origin: 'operator' as const, trigger: 'operator' as const };
      return this.moves.launch(state, started, plan ? { ...how, rollout: { step: 0 } } : how);
    });
  }

  /**
   * Splits the traffic anew (weight, stickiness, mode); same versions, same tallies.
   * `auto`: true hands the canary to the remote's rollout (from the first step at or
   * above the weight), false stops the stepping (the weight holds); absent keeps it.
   */
  update(name: string, split: CanarySplit, auto?: boolean): Promise<CanaryReport> {
    return this.moves.task(name, async (state, started) => {
      running(state);
      if (auto !== true) return this.moves.resplit(state, started, split, auto === false ? 'stop' : 'keep', { origin: 'operator', automatic: false });
      const plan = planOf(state);
      if (split.mode === 'ab') throw new CanaryInputError('an automatic rollout steps a canary up and promotes it: mode "ab" holds a split', 'mode');
      const step = stepAtLeast(plan, split.weight);
      return this.moves.resplit(state, started, { ...split, weight: plan.steps[step]! }, { step }, { origin: 'operator', automatic: false });
    });
  }

  /** The canary becomes the stable version; the old one drains and is disposed. */
  promote(name: string): Promise<CanaryReport> {
    return this.moves.task(name, (state, started) => this.moves.promoteIn(state, started, { origin: 'operator', automatic: false }));
  }

  /** The canary stops serving; the stable version serves alone, the canary drains and is disposed. */
  abort(name: string): Promise<CanaryReport> {
    return this.moves.task(name, (state, started) => this.moves.abortIn(state, started, { origin: 'operator', automatic: false }));
  }

  /** A reload of a remote with a `rollout` loaded a new version: it starts as a canary at the first step (canary-rollout.ts). */
  startRollout(state: RemoteState, request: ReloadRequest, loaded: LoadedRemote, options: ActivateOptions): Promise<{ version: string; weight: number }> {
    return this.rollouts.startRollout(state, request, loaded, options);
  }

  /** The rollout's analysis found the step healthy: the next step or promotion; null when the rollout moved meanwhile. */
  advance(name: string, expected: RolloutExpectation, verdict: RolloutVerdict): Promise<CanaryReport | null> {
    return this.rollouts.advance(name, expected, verdict);
  }

  /** The rollout's analysis found the canary failing: it stops serving, the reason recorded. */
  rollBack(name: string, expected: RolloutExpectation, verdict: RolloutVerdict): Promise<CanaryReport | null> {
    return this.rollouts.rollBack(name, expected, verdict);
  }

  /** Applies a change another process made (cluster mode): the same version, split and start time. */
  apply(name: string, change: CanaryChange, origin: 'follower' | 'restart' = 'follower'): Promise<CanaryReport> {
    switch (change.action) {
      case 'split':
        return this.moves.task(name, async (state, started) => {
          const before = running(state).rollout;
          const rollout = change.rollout === undefined ? 'keep' : change.rollout === null ? 'stop' : { step: change.rollout.step, stepStartedAt: change.rollout.stepStartedAt };
          const stepped = typeof rollout === 'object' && before !== undefined && before.step !== rollout.step;
          return this.moves.resplit(state, started, change.split, rollout, { origin, automatic: stepped });
        });
      case 'promote':
        return this.moves.task(name, (state, started) => this.moves.promoteIn(state, started, { origin, automatic: change.by === 'rollout' }));
      case 'abort':
        return this.moves.task(name, (state, started) =>
          this.moves.abortIn(state, started, { origin, automatic: change.by === 'rollout', ...(change.reason !== undefined ? { verdict: { reason: change.reason } } : {}) }),
        );
      case 'start':
        return this.moves.task(name, async (state, started) => {
          refuseRunning(state);
          serving(state);
          const rollout = change.rollout && state.entry.rollout ? { step: clampStep(state.entry.rollout, change.rollout.step), stepStartedAt: change.rollout.stepStartedAt } : undefined;
          const how = { target: { version: change.version }, source: state.source, field: 'version', split: change.split, allowRemove: change.allowRemove, startedAt: change.startedAt, origin, trigger: rollout ? ('rollout' as const) : ('operator' as const), automatic: rollout !== undefined };
          return this.moves.launch(state, started, rollout ? { ...how, rollout } : how);
        });
    }
  }

  /** Starts the saved canaries again (after a restart, or in a cluster worker that starts while they run): canary-persistence.ts. */
  resume(saved: Readonly<Record<string, SavedCanary>>): Promise<void> {
    return this.persistence.resume(saved, (name, change) => this.apply(name, change, 'restart'));
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
}
