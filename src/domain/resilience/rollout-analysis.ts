/**
 * Automatic rollouts: a plan of canary weights (`steps`) and the analysis that
 * decides, from the two versions' tallies over one step's window, whether the
 * canary is rolled back, moves to the next step, or waits. Pure arithmetic on
 * aggregated counts (version-tally.ts); the federation runs it on a timer,
 * never per request.
 */
import type { TallySummary } from './version-tally.js';

/** A remote's `rollout` in remoteEntries.js, with its defaults applied. */
export interface RolloutPlan {
  /** Canary weights (%), strictly increasing, 1–100; promotion follows the last one. */
  readonly steps: readonly number[];
  /** How long each step lasts when healthy. */
  readonly stepSeconds: number;
  /** Rolled back when the canary's error rate exceeds the stable version's by more than this (0–1). */
  readonly maxErrorRate: number;
  /** Rolled back when the canary's p99 exceeds the stable version's by more than this factor (≥ 1). */
  readonly maxP99Ratio: number;
  /** Requests the canary must have answered in a step before it is judged (and before it may move on). */
  readonly minRequests: number;
  /** p99 latencies below this count as this much: sub-millisecond jitter never rolls back. */
  readonly minP99Ms: number;
  /** After a host restart mid-rollout: continue at the step it reached, or roll back to stable. */
  readonly onRestart: 'resume' | 'rollback';
}

export const DEFAULT_ROLLOUT: RolloutPlan = {
  steps: [5, 25, 50, 100],
  stepSeconds: 60,
  maxErrorRate: 0.01,
  maxP99Ratio: 1.5,
  minRequests: 100,
  minP99Ms: 5,
  onRestart: 'resume',
};

/** What the analysis makes of a step's window so far. */
export type Judgement =
  | { verdict: 'rollback'; reason: string }
  | { verdict: 'advance'; reason: string }
  | { verdict: 'wait'; reason: string };

/** One step's window: both versions' outcomes since it began, and how long it has run. */
export interface StepWindow {
  readonly stable: TallySummary;
  readonly canary: TallySummary;
  readonly elapsedMs: number;
  /**
   * The stable version's p99 to compare with when this window has too few stable
   * requests (the canary serves all or nearly all): the last window's that had enough.
   */
  readonly stableP99Ms: number | null;
}

const percent = (rate: number) => `${(Math.round(rate * 10_000) / 100).toString()} %`;

/**
 * Errors (5xx and model-code failures, never the clients' 4xx) are judged on every
 * call once the canary has `minRequests`, so a canary that fails outright is rolled
 * back at once; latency is judged when the step's time is up, over the whole window,
 * so a slow first request of a freshly started version does not decide alone.
 */
export function judgeStep(plan: RolloutPlan, window: StepWindow): Judgement {
  const { stable, canary } = window;
  if (canary.requests < plan.minRequests) {
    return { verdict: 'wait', reason: `${canary.requests} of the ${plan.minRequests} canary requests a step needs` };
  }
  const stableRate = stable.requests === 0 ? 0 : stable.errorRate;
  if (canary.errorRate - stableRate > plan.maxErrorRate) {
    return {
      verdict: 'rollback',
      reason: `error rate ${percent(canary.errorRate)} (${canary.errors} of ${canary.requests} requests: ${canary.serverErrors} server errors, ${canary.modelFailures} model failures) against ${percent(stableRate)} on the stable version exceeds maxErrorRate ${percent(plan.maxErrorRate)}`,
    };
  }
  if (window.elapsedMs < plan.stepSeconds * 1000) return { verdict: 'wait', reason: `healthy so far; the step lasts ${plan.stepSeconds} s` };
  const reference = stable.requests >= plan.minRequests ? stable.p99Ms : window.stableP99Ms;
  if (reference !== null && canary.p99Ms !== null) {
    const ratio = Math.max(canary.p99Ms, plan.minP99Ms) / Math.max(reference, plan.minP99Ms);
    if (ratio > plan.maxP99Ratio) {
      return { verdict: 'rollback', reason: `p99 ${canary.p99Ms} ms against ${reference} ms on the stable version (${Math.round(ratio * 100) / 100}×) exceeds maxP99Ratio ${plan.maxP99Ratio}` };
    }
  }
  return { verdict: 'advance', reason: `healthy for ${plan.stepSeconds} s over ${canary.requests} canary requests` };
}
