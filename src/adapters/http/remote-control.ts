/**
 * The port through which the admin app and the reload routes see and steer the
 * remotes: what `/microlib/api/remotes` shows of each, reloads and rollbacks.
 * The composition root passes the federation's deployment, which fits it as is;
 * this adapter never imports the federation.
 */

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
}

/** `code` of a rollback refusal: nothing to return to (answered 409). */
export const NO_PREVIOUS_VERSION = 'NO_PREVIOUS_VERSION';
/** `code` of a rollback refusal: the named version is not kept (answered 404). */
export const UNKNOWN_VERSION = 'UNKNOWN_VERSION';

/** The remotes, and reloads and rollbacks of one; `R` is what a reload answers. */
export interface RemoteControl<R extends ReloadReport = ReloadReport> {
  /** The remote of that name, or undefined when there is none. */
  remote(name: string): object | undefined;
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
