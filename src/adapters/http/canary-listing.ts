/**
 * A running canary as `/microlib/api/remotes` shows it: both versions, the split,
 * when it started, and each version's requests, errors and latency since then
 * (this process's tallies); with an automatic rollout, its step and last analysis.
 */
import { summariseTally } from '../../domain/resilience/version-tally.js';
import type { CanaryView, RolloutPlanView } from './remote-control.js';

/** Where a rollout stands: its step, when the step may end at the earliest, and what the last analysis said of it. */
function rolloutListing(progress: NonNullable<CanaryView['rollout']>, plan: RolloutPlanView) {
  const last = progress.last;
  return {
    step: progress.step + 1,
    steps: plan.steps,
    stepStartedAt: progress.stepStartedAt,
    stepSeconds: plan.stepSeconds,
    earliestNextStepAt: new Date(progress.window.openedAt + plan.stepSeconds * 1000).toISOString(),
    analysis: last ? { at: last.at, verdict: last.judgement.verdict, reason: last.judgement.reason, stable: last.stable, canary: last.canary } : null,
  };
}

export function canaryListing(canary: CanaryView, plan?: RolloutPlanView) {
  return {
    version: canary.loaded.version,
    stableVersion: canary.stableVersion,
    weight: canary.split.weight,
    sticky: canary.split.sticky ?? null,
    mode: canary.split.mode,
    startedAt: canary.startedAt,
    auto: canary.rollout !== undefined && plan !== undefined,
    rollout: canary.rollout && plan ? rolloutListing(canary.rollout, plan) : null,
    stats: {
      stable: { version: canary.stableVersion, ...summariseTally(canary.tallies.stable.snapshot()) },
      canary: { version: canary.loaded.version, ...summariseTally(canary.tallies.canary.snapshot()) },
    },
  };
}
