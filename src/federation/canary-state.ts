/**
 * What the deployment knows of a remote's canary, and the saved form a restart
 * resumes from. No I/O here.
 */
import type { Judgement } from '../domain/resilience/rollout-analysis.js';
import type { TallySnapshot, TallySummary, VersionTally } from '../domain/resilience/version-tally.js';
import type { LoadedRemote } from './remote-loader.js';
import type { CanarySplit, StickyKey } from '../domain/resilience/canary-split.js';

export type { CanarySplit, StickyKey } from '../domain/resilience/canary-split.js';

export interface CanaryState {
  /** The canary's version, loaded in its own container (and workers). */
  readonly loaded: LoadedRemote;
  /** The version it runs beside (the remote's `current` when it started). */
  readonly stableVersion: string;
  split: CanarySplit;
  readonly startedAt: string;
  /** The start allowed the canary to drop models the stable version serves. */
  readonly allowRemove: boolean;
  /** Outcomes per version since the start: what an analysis compares. */
  readonly tallies: { readonly stable: VersionTally; readonly canary: VersionTally };
  /** Set while the remote's rollout steps the canary up automatically (rollout-driver.ts); absent: the weight holds. */
  rollout?: RolloutProgress;
}

/** Where an automatic rollout stands: its step (saved), and the window the analysis reads (this process's). */
export interface RolloutProgress {
  /** Index of the current step in the plan's `steps`. */
  readonly step: number;
  /** When the step began (ISO time). */
  readonly stepStartedAt: string;
  /** Both tallies when the analysis window opened (at the step's start, or when this process resumed it). */
  readonly window: { readonly openedAt: number; readonly stable: TallySnapshot; readonly canary: TallySnapshot };
  /** The stable version's p99 in the last window where it had enough requests: the reference once it gets (nearly) none. */
  stableP99Ms: number | null;
  /** The latest analysis, for the listing. */
  last?: { at: string; judgement: Judgement; stable: TallySummary; canary: TallySummary };
}

/** A rollout's step as saved and spread to other processes. */
export interface SavedRollout {
  step: number;
  stepStartedAt: string;
  /** The entry's `onRestart` when saved: a cluster primary, which does not read remoteEntries.js, decides by it. */
  onRestart: 'resume' | 'rollback';
}

/** A canary as DATA_DIR keeps it (and the cluster primary spreads it): enough to start it again. */
export interface SavedCanary {
  stable: string;
  canary: string;
  weight: number;
  sticky: StickyKey | null;
  mode: 'canary' | 'ab';
  startedAt: string;
  allowRemove: boolean;
  /** Present while an automatic rollout steps it. */
  rollout?: SavedRollout;
}

/** The saved form of a rollout's progress. */
export function savedRollout(progress: RolloutProgress, onRestart: 'resume' | 'rollback'): SavedRollout {
  return { step: progress.step, stepStartedAt: progress.stepStartedAt, onRestart };
}

export function savedCanary(state: CanaryState, onRestart: 'resume' | 'rollback' = 'resume'): SavedCanary {
  return {
    stable: state.stableVersion,
    canary: state.loaded.version,
    weight: state.split.weight,
    sticky: state.split.sticky ?? null,
    mode: state.split.mode,
    startedAt: state.startedAt,
    allowRemove: state.allowRemove,
    ...(state.rollout ? { rollout: savedRollout(state.rollout, onRestart) } : {}),
  };
}
