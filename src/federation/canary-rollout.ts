/**
 * Automatic rollouts' side of canaries: a reload of a remote with a `rollout` starts
 * its new version as a canary at the first step (`startRollout`), and the rollout
 * driver (rollout-driver.ts), judging each step's window, steps it up, promotes it
 * after the last step (`advance`) or rolls it back (`rollBack`).
 */
import type { CanaryChange, CanaryDeps, CanaryReport, RolloutExpectation, RolloutVerdict } from './canary-contract.js';
import { planOf, serving, type CanaryMoves } from './canary-moves.js';
import type { CanaryPersistence } from './canary-persistence.js';
import type { CanarySplit, CanaryState } from './canary-state.js';
import type { ActivateOptions } from './reload-pipeline.js';
import type { LoadedRemote } from './remote-loader.js';
import type { ReloadRequest, RemoteState } from './remote-state.js';

export class RolloutSteps {
  constructor(
    private readonly deps: CanaryDeps,
    private readonly moves: CanaryMoves,
    private readonly persistence: CanaryPersistence,
  ) {}

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
    const canary = await this.moves.serve(state, loaded, { stable, split, allowRemove: request.allowRemove === true, startedAt, rollout: { step: 0 } }, options);
    await this.persistence.save(state, canary);
    const change: CanaryChange = { action: 'start', version: loaded.version, stable, split, allowRemove: canary.allowRemove, startedAt, rollout: this.moves.savedRolloutOf(state, canary.rollout!) };
    this.deps.logger.info({ remote: state.entry.name, stable, canary: loaded.version, weight: split.weight, steps: plan.steps, trigger: request.reason }, 'rollout started');
    const trigger = request.reason === 'webhook' || request.reason === 'poll' ? request.reason : 'manual';
    this.moves.emit(state, canary, 'started', { origin: 'rollout', automatic: true, trigger, from: stable, weight: split.weight, started }, change);
    return { version: loaded.version, weight: split.weight };
  }

  /**
   * The rollout's analysis found the step healthy: the next step, or after the last one,
   * promotion. Nothing happens (null) when the rollout is no longer where it was judged.
   */
  advance(name: string, expected: RolloutExpectation, verdict: RolloutVerdict): Promise<CanaryReport | null> {
    return this.moves.task(name, async (state, started) => {
      const canary = expectedRollout(state, expected);
      if (!canary) return null;
      const plan = planOf(state);
      const how = { origin: 'rollout' as const, automatic: true, verdict };
      if (expected.step + 1 >= plan.steps.length) return this.moves.promoteIn(state, started, how);
      const step = expected.step + 1;
      return this.moves.resplit(state, started, { ...canary.split, weight: plan.steps[step]! }, { step }, how);
    });
  }

  /** The rollout's analysis found the canary failing: it stops serving, and the reason is recorded. */
  rollBack(name: string, expected: RolloutExpectation, verdict: RolloutVerdict): Promise<CanaryReport | null> {
    return this.moves.task(name, async (state, started) => {
      if (!expectedRollout(state, expected)) return null;
      return this.moves.abortIn(state, started, { origin: 'rollout', automatic: true, verdict });
    });
  }
}

/** The running canary, if its rollout is still at the step the analysis judged. */
function expectedRollout(state: RemoteState, expected: RolloutExpectation): CanaryState | undefined {
  const canary = state.canary;
  if (!canary || canary.loaded.version !== expected.version || canary.rollout?.step !== expected.step || !state.entry.rollout) return undefined;
  return canary;
}
