/**
 * What the deployment knows about one remote: the active version, its status,
 * last error, the versions it served before and the last reload's result, and
 * the bookkeeping a reload's outcome applies to it. No I/O here: loading and
 * activating live in the reload pipeline.
 */
import type { RemoteEntry } from '../config/remote-entries.js';
import type { LoadedRemote } from './remote-loader.js';
import type { Source } from './sources/source.js';
import type { CanaryState } from './canary-state.js';
import type { LastCanaryOutcome } from './canary-record.js';

export type RemoteStatus = 'loading' | 'ready' | 'failed';
/** `promote`: a canary became the stable version. */
export type ReloadReason = 'startup' | 'webhook' | 'manual' | 'poll' | 'rollback' | 'promote';

export interface ReloadRequest {
  reason: ReloadReason;
  /** Load this version (a pushed commit, a version to roll back to) instead of resolving the ref. */
  version?: string;
  /** For a pushed commit: the commit the push replaced on the branch (older than `version`, unless the push was forced). */
  replaces?: string;
  /** The new version may stop serving models the running one serves (otherwise it is refused). */
  allowRemove?: boolean;
  /**
   * Set when a GitHub push webhook names `version`: it is deployed only if it is newer
   * than the running version (push-order.ts), unless the push was a force push
   * (`forced`) away from the running version or a newer one.
   */
  push?: { forced: boolean };
}

export interface ReloadResult {
  remote: string;
  reason: ReloadReason;
  outcome: 'reloaded' | 'unchanged' | 'failed';
  /** Version active before, or null. */
  from: string | null;
  /** Version active after (the old one when the reload failed), or null. */
  to: string | null;
  /** The version that was tried, when known. */
  attempted: string | null;
  ms: number;
  error?: string;
  /** Why a push was not deployed (an older commit than the running one, a stale delivery...). */
  ignored?: string;
  /** The remote has a `rollout`: the new version started as a canary at this weight instead of replacing the running one. */
  canary?: { version: string; weight: number };
}

export interface PreviousVersion {
  version: string;
  loadedAt: string;
  retiredAt: string;
}

export interface RemoteState {
  readonly entry: RemoteEntry;
  readonly source: Source;
  status: RemoteStatus;
  current: LoadedRemote | undefined;
  lastError: { message: string; at: string; version?: string } | undefined;
  /** Versions served before the current one, newest first. */
  history: PreviousVersion[];
  /** Set by a rollback: polling leaves the remote alone until an explicit reload or a new push. */
  pinned: string | undefined;
  /** Set by a rollback: the version it left; a push must be newer than it too (a replayed push of it is stale). */
  rolledBackFrom: string | undefined;
  lastReload: ReloadResult | undefined;
  /** A second version served beside `current` to part of the traffic (canary.ts); reloads wait until it ends. */
  canary: CanaryState | undefined;
  /** How the last canary ended (promoted, rolled back by its rollout, aborted), with why. */
  lastRollout: LastCanaryOutcome | undefined;
  /** A version its rollout rolled back: pushes and polls do not start it again (a manual reload or canary does). */
  rolledBackCanary: string | undefined;
}

/** How a reload ended, as the pipeline reports it; `started` is a `performance.now()` reading. */
export interface ReloadOutcome {
  outcome: ReloadResult['outcome'];
  from: string | null;
  attempted: string | null;
  started: number;
  error?: string;
  ignored?: string;
  canary?: { version: string; weight: number };
}

/** A remote not loaded yet. */
export function initialRemoteState(entry: RemoteEntry, source: Source): RemoteState {
  return {
    entry,
    source,
    status: 'loading',
    current: undefined,
    lastError: undefined,
    history: [],
    pinned: undefined,
    rolledBackFrom: undefined,
    lastReload: undefined,
    canary: undefined,
    lastRollout: undefined,
    rolledBackCanary: undefined,
  };
}

/** A version failed to load or activate: the current one (if any) keeps serving. */
export function recordFailure(state: RemoteState, message: string, attempted: string | null): void {
  state.status = state.current ? 'ready' : 'failed';
  state.lastError = { message, at: new Date().toISOString(), ...(attempted ? { version: attempted } : {}) };
}

/**
 * `loaded` now serves: updates status, pin and history (kept to
 * `keepVersions`). Returns the version it replaced, for the caller to retire.
 */
export function recordActivated(state: RemoteState, loaded: LoadedRemote, request: ReloadRequest, keepVersions: number): LoadedRemote | undefined {
  const previous = state.current;
  state.current = loaded;
  state.status = 'ready';
  state.lastError = undefined;
  state.pinned = request.reason === 'rollback' ? loaded.version : undefined;
  // A rollback remembers what it left; a second rollback keeps the first one's (the newest version left).
  if (request.reason !== 'rollback') state.rolledBackFrom = undefined;
  else if (previous && state.rolledBackFrom === undefined) state.rolledBackFrom = previous.version;
  if (previous) {
    if (request.reason === 'rollback') {
      // The version rolled back to leaves the history; the one rolled back from is not offered again.
      state.history = state.history.filter((h) => h.version !== loaded.version);
    } else {
      state.history.unshift({ version: previous.version, loadedAt: previous.loadedAt.toISOString(), retiredAt: new Date().toISOString() });
      state.history = state.history.filter((h, i, all) => h.version !== loaded.version && all.findIndex((o) => o.version === h.version) === i);
    }
    state.history = state.history.slice(0, keepVersions);
  }
  return previous;
}

/**
 * Builds the result of a finished reload and records it as the remote's last one. A reload
 * that ends well while a version serves (reloaded, or unchanged: the source offers the version
 * already serving) clears the last error, which would otherwise describe a build that is gone;
 * the failure stays in the reload history.
 */
export function recordResult(state: RemoteState, request: ReloadRequest, details: ReloadOutcome): ReloadResult {
  if (details.outcome !== 'failed' && state.current) state.lastError = undefined;
  const result: ReloadResult = {
    remote: state.entry.name,
    reason: request.reason,
    outcome: details.outcome,
    from: details.from,
    to: state.current?.version ?? null,
    attempted: details.attempted,
    ms: Math.round(performance.now() - details.started),
    ...(details.error ? { error: details.error } : {}),
    ...(details.ignored ? { ignored: details.ignored } : {}),
    ...(details.canary ? { canary: details.canary } : {}),
  };
  state.lastReload = result;
  return result;
}
