/**
 * The port through which the admin app and the reload routes see and steer the
 * remotes: what `/microlib/api/remotes` shows of each, reloads, rollbacks and canaries.
 * The composition root passes the federation's deployment, which fits it as is;
 * this adapter never imports the federation.
 */
import type { TallySnapshot } from '../../domain/resilience/version-tally.js';
import type { CanaryOrder, CanarySplit } from '../../domain/resilience/canary-split.js';

/** What a reload or rollback answers: sent to the client as is; `outcome` picks the status. */
export interface ReloadReport {
  outcome: 'reloaded' | 'unchanged' | 'failed';
  /** Why a push was not deployed (outcome `unchanged`): nothing changed, in any worker. */
  ignored?: string;
}

/** A reload asked for over HTTP: by a push webhook or an operator. */
export interface ReloadOrder {
  reason: 'webhook' | 'manual';
  /** Load this version (a pushed commit) instead of resolving the ref. */
  version?: string;
  /** For a pushed commit: the commit the push replaced on the branch. */
  replaces?: string;
  /** The new version may stop serving models the running one serves. */
  allowRemove?: boolean;
  /** Set for a pushed commit: deployed only when newer than the running version, or when the push was forced. */
  push?: { forced: boolean };
}

/** One remote with what `/microlib/api/remotes` shows of it. */
export interface RemoteView {
  readonly entry: {
    readonly name: string;
    /** `ref` and `semver` are read for `github` sources only. */
    readonly source: { readonly kind: string; readonly ref?: string; readonly semver?: string };
    /** New versions start as a canary stepped up by this plan. */
    readonly rollout?: RolloutPlanView;
  };
  readonly source: { describe(): string };
  readonly status: string;
  readonly current:
    | {
        readonly version: string;
        readonly loadedAt: Date;
        readonly loadMs: number;
        readonly fromCacheFallback: boolean;
        readonly modules: ReadonlyMap<string, unknown>;
        /** Where the version's code runs, when in workers of its own: their state, restarts, last crash. */
        readonly isolation?: { status(): object };
      }
    | undefined;
  readonly pinned: string | undefined;
  readonly lastError: unknown;
  readonly lastReload: unknown;
  /** Versions served before the current one, newest first. */
  readonly history: readonly unknown[];
  /** A second version served beside `current` to part of the traffic. */
  readonly canary: CanaryView | undefined;
  /** How the last canary ended (promoted, rolled back by its rollout, aborted), with why. */
  readonly lastRollout: unknown;
}

/** A remote's rollout plan, as the listing shows it. */
export interface RolloutPlanView {
  readonly steps: readonly number[];
  readonly stepSeconds: number;
  readonly maxErrorRate: number;
  readonly maxP99Ratio: number;
  readonly minRequests: number;
  readonly minP99Ms: number;
  readonly onRestart: string;
}

export type { CanarySplit, StickyKey } from '../../domain/resilience/canary-split.js';

/** A running canary, as `/microlib/api/remotes` shows it. */
export interface CanaryView {
  readonly loaded: { readonly version: string };
  readonly stableVersion: string;
  readonly split: CanarySplit;
  readonly startedAt: string;
  /** Outcomes per version since the start. */
  readonly tallies: { readonly stable: { snapshot(): TallySnapshot }; readonly canary: { snapshot(): TallySnapshot } };
  /** Set while the remote's rollout steps the canary up. */
  readonly rollout?: {
    readonly step: number;
    readonly stepStartedAt: string;
    readonly window: { readonly openedAt: number };
    readonly last?: { readonly at: string; readonly judgement: { readonly verdict: string; readonly reason: string }; readonly stable: object; readonly canary: object };
  };
}

/** What a canary start, split change, promotion or abort answers: sent as is; `outcome` picks the status. */
export interface CanaryOutcome {
  outcome: 'started' | 'updated' | 'promoted' | 'aborted' | 'failed';
  error?: string;
  /** What the other processes of a cluster apply to follow (passed on to `spreadCanary`). */
  change?: unknown;
}

export type { CanaryOrder } from '../../domain/resilience/canary-split.js';

/** Starting, splitting, promoting and aborting canaries; `C` is what each answers. */
export interface CanaryControl<C extends CanaryOutcome = CanaryOutcome> {
  /** The remote of that name, or undefined when there is none. */
  remote(name: string): RemoteView | undefined;
  /**
   * Rejects with an error whose `code` is CANARY_CONFLICT (409), CANARY_INPUT (400, with
   * `field`) or UNKNOWN_VERSION (404); a build that fails to load resolves with outcome `failed`.
   */
  startCanary(remote: string, order: CanaryOrder): Promise<C>;
  /** `auto`: true hands the canary to the remote's rollout, false stops its stepping; absent leaves it. */
  updateCanary(remote: string, split: CanarySplit, auto?: boolean): Promise<C>;
  promoteCanary(remote: string): Promise<C>;
  abortCanary(remote: string): Promise<C>;
}

/** `code` of a rollback refusal: nothing to return to (answered 409). */
export const NO_PREVIOUS_VERSION = 'NO_PREVIOUS_VERSION';
/** `code` of a rollback refusal: the named version is not kept (answered 404). */
export const UNKNOWN_VERSION = 'UNKNOWN_VERSION';
/** `code` of a canary refusal: one runs already, none runs, or a reload or rollback while one runs (answered 409). */
export const CANARY_CONFLICT = 'CANARY_CONFLICT';
/** `code` of a canary order that names something no canary can be made of (answered 400 naming its `field`). */
export const CANARY_INPUT = 'CANARY_INPUT';

/** The remotes, and reloads and rollbacks of one; `R` is what a reload answers. */
export interface RemoteControl<R extends ReloadReport = ReloadReport> {
  /** The remote of that name, or undefined when there is none. */
  remote(name: string): RemoteView | undefined;
  remotes(): readonly RemoteView[];
  reload(remote: string, order: ReloadOrder): Promise<R>;
  /**
   * Returns to the newest kept version, or to the one `version` names (or starts).
   * Rejects with an error whose `code` is NO_PREVIOUS_VERSION or UNKNOWN_VERSION when it cannot.
   */
  rollback(remote: string, version?: string): Promise<R>;
}

/** The error's `code` property, when it has a string one. */
export function errorCode(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}
