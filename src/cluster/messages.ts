/**
 * What the cluster primary and its workers tell each other (besides datasource
 * calls). The reload types name only what the cluster reads of the deployment's
 * own, which fit them as they are: the cluster never imports the federation.
 */

import type { TallySnapshot } from '../domain/resilience/version-tally.js';
import type { CanarySplit, StickyKey } from '../domain/resilience/canary-split.js';

/** Why a reload ran: `rollback` pins the version for replacement workers; slot 1 spreads `poll` reloads. */
export type ReloadReason = 'startup' | 'webhook' | 'manual' | 'poll' | 'rollback' | 'promote';

/** A reload to apply: exactly this version (never resolving a ref again), for this reason. */
export interface VersionReload {
  reason: ReloadReason;
  version: string;
  /** The version may stop serving models the running one serves. */
  allowRemove?: boolean;
}

/** What the cluster reads of a finished reload. */
export interface ReloadReport {
  remote: string;
  reason: ReloadReason;
  outcome: 'reloaded' | 'unchanged' | 'failed';
  /** The version active after the reload, or null. */
  to: string | null;
  error?: string;
  /** The remote has a rollout: the new version started as a canary (spread as a canary change, not as a reload). */
  canary?: { version: string; weight: number };
}

/** A reload one worker applied, for the others to apply too. */
export interface ReloadBroadcast {
  remote: string;
  /** The version the first worker now serves: every worker loads exactly it, whatever the branch says by then. */
  request: VersionReload;
}

/** How a reload went in one worker. */
export interface WorkerReloadOutcome {
  slot: number | null;
  pid: number | null;
  outcome: ReloadReport['outcome'];
  to: string | null;
  error?: string;
}

/** The version each remote should run, as the last deploy left it (a replacement worker loads these). */
export type DeployedVersions = Record<string, { version: string; pinned: boolean }>;

export interface ClusterInfo {
  primaryPid: number;
  workers: Array<{ slot: number; pid: number; startedAt: string; restarts: number; listening: boolean }>;
}

/** Marks an event one worker relayed to the others' WebSocket streams: never relayed again. */
export const RELAYED_FROM = 'relayedFrom';

export type { CanarySplit, StickyKey } from '../domain/resilience/canary-split.js';

/** An automatic rollout's step, as saved (`onRestart: 'rollback'`: the primary drops it when it starts). */
export interface SavedRollout {
  step: number;
  stepStartedAt: string;
  onRestart: 'resume' | 'rollback';
}

/** A canary change one worker made, for the others to apply: always an exact version; `rollout` null: no rollout steps it any more. */
export type CanaryChange =
  | { action: 'start'; version: string; stable: string; split: CanarySplit; allowRemove: boolean; startedAt: string; rollout?: SavedRollout }
  | { action: 'split'; split: CanarySplit; rollout?: SavedRollout | null }
  | { action: 'promote'; by?: 'rollout' }
  | { action: 'abort'; by?: 'rollout'; reason?: string };

export interface CanaryBroadcast {
  remote: string;
  change: CanaryChange;
}

/** What the cluster reads of a canary change's outcome in one worker. */
export interface CanaryReport {
  outcome: 'started' | 'updated' | 'promoted' | 'aborted' | 'failed';
  error?: string;
}

/** How a canary change went in one worker. */
export interface WorkerCanaryOutcome {
  slot: number | null;
  pid: number | null;
  outcome: CanaryReport['outcome'];
  error?: string;
}

/** The canaries running, by remote, as DATA_DIR keeps them (a worker that starts resumes them). */
export type SavedCanaries = Record<
  string,
  { stable: string; canary: string; weight: number; sticky: StickyKey | null; mode: 'canary' | 'ab'; startedAt: string; allowRemove: boolean; rollout?: SavedRollout }
>;

/**
 * The event-name patterns the WebSocket clients of the other workers subscribe to, as the primary tells one
 * worker (which then sends the primary only its events that match). `version` grows with every message, so a
 * worker keeps the newest whatever order a reply and a push arrive in.
 */
export interface StreamWanted {
  version: number;
  patterns: string[];
}

/**
 * What a worker answered for each version of a remote whose canary a rollout steps,
 * cumulative since the canary started in it: sent to the primary, which hands them
 * to the worker in slot 1 (the driver) with the sender's pid.
 */
export interface TallyReport {
  remote: string;
  version: string;
  stable: TallySnapshot;
  canary: TallySnapshot;
}

export interface TallyReports {
  from: number;
  reports: TallyReport[];
}
