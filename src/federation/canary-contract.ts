/**
 * What canaries are made of, as the rest of the deployment sees them: the errors an
 * order is refused with, what an order, a change and a report hold, and what the
 * composition root supplies (serving a canary, keeping it across restarts). No I/O here.
 */
import type { LoadedRemote } from './remote-loader.js';
import type { ReloadQueue } from './reload-queue.js';
import type { RemoteState } from './remote-state.js';
import type { ActivateOptions, Activation, DeploymentLogger } from './reload-pipeline.js';
import type { CanarySplit, CanaryState, SavedCanary, SavedRollout } from './canary-state.js';
import type { CanaryRecord } from './canary-record.js';
import type { SnapshotCache } from './snapshot-cache.js';
import type { SourceSettings } from './sources/source-registry.js';
import type { TallySummary } from '../domain/resilience/version-tally.js';

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

export type { CanaryOrder } from '../domain/resilience/canary-split.js';

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

/** A remote as canaries reach it: its state and its reload queue. */
export interface Remote {
  state: RemoteState;
  queue: ReloadQueue;
}
