/** What the cluster primary and its workers tell each other (besides datasource calls). */
import type { ReloadRequest, ReloadResult } from '../federation/deployment.js';

/** A reload one worker applied, for the others to apply too. */
export interface ReloadBroadcast {
  remote: string;
  /** The version the first worker now serves: every worker loads exactly it, whatever the branch says by then. */
  request: ReloadRequest & { version: string };
}

/** How a reload went in one worker. */
export interface WorkerReloadOutcome {
  slot: number | null;
  pid: number | null;
  outcome: ReloadResult['outcome'];
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
