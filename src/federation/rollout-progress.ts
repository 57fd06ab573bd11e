/**
 * Small helpers of automatic rollouts kept out of canary.ts: a step's fresh
 * progress (its analysis window opens on both tallies as they are now), the
 * step a weight falls in, and the record a change of a canary leaves. No I/O.
 */
import type { RolloutPlan } from '../domain/resilience/rollout-analysis.js';
import type { CanaryState, RolloutProgress } from './canary-state.js';
import type { CanaryRecord } from './canary-record.js';
import type { RemoteState } from './remote-state.js';

/** Progress at step `step`, its window opening now; `stepStartedAt` is kept when a restart resumes the step. */
export function progressAt(step: number, tallies: CanaryState['tallies'], stepStartedAt = new Date().toISOString(), stableP99Ms: number | null = null): RolloutProgress {
  return {
    step,
    stepStartedAt,
    window: { openedAt: Date.now(), stable: tallies.stable.snapshot(), canary: tallies.canary.snapshot() },
    stableP99Ms,
  };
}

/** The first step whose weight is at least `weight` (the last step when none is). */
export function stepAtLeast(plan: RolloutPlan, weight: number): number {
  const index = plan.steps.findIndex((step) => step >= weight);
  return index === -1 ? plan.steps.length - 1 : index;
}

/** A saved step index that a changed plan may no longer have: the last step then. */
export function clampStep(plan: RolloutPlan, step: number): number {
  return Math.max(0, Math.min(step, plan.steps.length - 1));
}

/**
 * The record of a change of the canary of `version` (at rollout step `step`, if one steps
 * it), the remote as it is after the change; `started` is a performance.now() reading.
 */
export function canaryRecord(
  state: RemoteState,
  canary: { version: string; step: number | undefined },
  outcome: CanaryRecord['outcome'],
  details: { automatic: boolean; trigger: CanaryRecord['trigger']; from: string | null; weight: number; started: number } & Pick<CanaryRecord, 'error' | 'detail' | 'analysis'>,
): CanaryRecord {
  const plan = state.entry.rollout;
  const step = canary.step !== undefined && plan ? { number: canary.step + 1, of: plan.steps.length } : undefined;
  return {
    remote: state.entry.name,
    reason: details.automatic ? 'rollout' : 'canary',
    outcome,
    trigger: details.trigger,
    from: details.from,
    to: state.current?.version ?? null,
    attempted: canary.version,
    weight: details.weight,
    ...(step ? { step } : {}),
    ms: Math.round(performance.now() - details.started),
    ...(details.error !== undefined ? { error: details.error } : {}),
    ...(details.detail !== undefined ? { detail: details.detail } : {}),
    ...(details.analysis !== undefined ? { analysis: details.analysis } : {}),
  };
}
