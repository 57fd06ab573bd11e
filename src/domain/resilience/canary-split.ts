/**
 * The terms a canary is ordered and split in, one definition for the
 * deployment that runs it, the catalog that routes by it, the HTTP API that
 * takes orders and the cluster messages that spread it. Types only.
 */

/** What keeps one user on one version: a header, a cookie or the subject of the bearer token (names lower-case). */
export type StickyKey = { readonly header: string } | { readonly cookie: string } | { readonly subject: true };

/** `canary` is stepped up, then promoted; `ab` is a fixed split held until an operator ends it. */
export type SplitMode = 'canary' | 'ab';

/** How requests are split between a remote's stable version and its canary. */
export interface CanarySplit {
  /** Percentage of requests (of keys, with stickiness) the canary serves: an integer 0–100. */
  readonly weight: number;
  readonly sticky: StickyKey | undefined;
  readonly mode: SplitMode;
}

/** What to start a canary of. */
export interface CanaryOrder {
  /** A version the remote keeps (in full or a prefix), or a commit a GitHub source can fetch. */
  version?: string;
  /** A branch, tag or commit of a GitHub source, resolved now. */
  ref?: string;
  split: CanarySplit;
  /** The canary may drop models the stable version serves (they stay served by it until promotion). */
  allowRemove?: boolean;
  /** Stepped up by the remote's rollout from its first step (`split.weight` is then not read). */
  auto?: boolean;
}
