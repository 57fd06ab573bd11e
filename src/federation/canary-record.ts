/**
 * What a canary's changes leave behind: one record per start, step, weight
 * change, promotion, rollback and abort, in the remote's reload history and,
 * where the change was made, as an event on the host's broker. No I/O here.
 */
import type { TallySummary } from '../domain/resilience/version-tally.js';

export type CanaryOutcomeKind = 'started' | 'updated' | 'stepped' | 'promoted' | 'rolledBack' | 'aborted';

/** The broker event of each kind of change (camel case, as every host event: `canary*` matches them all). */
export const CANARY_EVENTS: Readonly<Record<CanaryOutcomeKind, string>> = {
  started: 'canaryStarted',
  updated: 'canaryUpdated',
  stepped: 'canaryStepped',
  promoted: 'canaryPromoted',
  rolledBack: 'canaryRolledBack',
  aborted: 'canaryAborted',
};

/** One change of a remote's canary; shaped like a reload result so the reload history lists both. */
export interface CanaryRecord {
  remote: string;
  /** `rollout`: made by the remote's automatic rollout; `canary`: by an operator (or a restart). */
  reason: 'rollout' | 'canary';
  outcome: CanaryOutcomeKind;
  /**
   * What made the change: a push, a poll or a manual reload (a rollout's start), the
   * rollout's analysis (`rollout`), an operator's request, or a host restart.
   */
  trigger: 'webhook' | 'poll' | 'manual' | 'rollout' | 'operator' | 'restart';
  /** The stable version when the change was made. */
  from: string | null;
  /** The stable version after it (the canary's, once promoted). */
  to: string | null;
  /** The canary's version. */
  attempted: string;
  /** The canary's weight after the change (0 once it no longer serves). */
  weight: number;
  /** For rollouts: the step reached (1-based) and how many the plan has. */
  step?: { number: number; of: number };
  ms: number;
  /** Why a rollout was rolled back (or refused to resume). */
  error?: string;
  /** Why the rollout moved on. */
  detail?: string;
  /** The window the analysis judged when it rolled back, stepped or promoted. */
  analysis?: { stable: TallySummary; canary: TallySummary };
}

/** The last promotion, rollback or abort of a remote's canary, as /microlib/api/remotes shows it. */
export type LastCanaryOutcome = CanaryRecord & { at: string };
