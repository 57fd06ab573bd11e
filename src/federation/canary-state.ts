/**
 * What the deployment knows of a remote's canary, and the saved form a restart
 * resumes from. No I/O here.
 */
import type { VersionTally } from '../domain/resilience/version-tally.js';
import type { LoadedRemote } from './remote-loader.js';

/** What keeps one user on one version: a header, a cookie or the token subject (names lower-case). */
export type StickyKey = { readonly header: string } | { readonly cookie: string } | { readonly subject: true };

/** How requests are split: the canary's percentage (integer 0–100), stickiness, and the kind of rollout. */
export interface CanarySplit {
  readonly weight: number;
  readonly sticky: StickyKey | undefined;
  /** `canary`: stepped up, then promoted; `ab`: a fixed split held until promoted or aborted. */
  readonly mode: 'canary' | 'ab';
}

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
}

export function savedCanary(state: CanaryState): SavedCanary {
  return {
    stable: state.stableVersion,
    canary: state.loaded.version,
    weight: state.split.weight,
    sticky: state.split.sticky ?? null,
    mode: state.split.mode,
    startedAt: state.startedAt,
    allowRemove: state.allowRemove,
  };
}
