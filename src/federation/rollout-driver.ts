/**
 * Drives automatic rollouts: on a timer (never on a request's path), reads each
 * rollout canary's tallies since its step began — aggregated counts, a few
 * hundred numbers — and lets the analysis (rollout-analysis.ts) decide: roll
 * back, go to the next step (promote after the last), or wait. The change itself
 * is a task of the remote's reload queue (canary.ts), which checks that the
 * rollout is still where it was judged.
 *
 * One process drives: the host, or in a cluster the worker in slot 1, judging
 * by the requests every worker answered: its own tallies plus what the other
 * workers report of theirs (peer-tallies.ts).
 */
import { judgeStep } from '../domain/resilience/rollout-analysis.js';
import { summariseTally, tallySince, tallySum } from '../domain/resilience/version-tally.js';
import type { CanaryReport, RolloutExpectation, RolloutVerdict } from './canary-contract.js';
import type { PeerTallies } from './peer-tallies.js';
import type { RemoteState } from './remote-state.js';
import type { DeploymentLogger } from './reload-pipeline.js';

/** What the driver needs of the deployment (which fits it as is). */
export interface RolloutRemotes {
  remotes(): readonly RemoteState[];
  advanceRollout(name: string, expected: RolloutExpectation, verdict: RolloutVerdict): Promise<CanaryReport | null>;
  rollBackRollout(name: string, expected: RolloutExpectation, verdict: RolloutVerdict): Promise<CanaryReport | null>;
}

/** How often rollouts are analysed: a canary that fails outright is rolled back within about this long of reaching minRequests. */
export const ANALYSIS_INTERVAL_MS = 100;

export class RolloutDriver {
  private timer: NodeJS.Timeout | undefined;
  /** Remotes whose last verdict is being carried out: not judged again until it is done. */
  private readonly acting = new Set<string>();

  constructor(
    private readonly deployment: RolloutRemotes,
    private readonly logger: DeploymentLogger,
    private readonly intervalMs = ANALYSIS_INTERVAL_MS,
    /** Cluster mode: the other workers' tallies, added to this process's. */
    private readonly peers?: PeerTallies,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.analyse(), this.intervalMs);
    // Analysis alone must not keep the process alive.
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One analysis of every rollout running; acts on the verdicts without waiting for them. */
  analyse(now = Date.now()): void {
    if (this.peers) this.peers.keepOnly(new Map(this.deployment.remotes().flatMap((s) => (s.canary?.rollout ? [[s.entry.name, s.canary.loaded.version] as const] : []))));
    for (const state of this.deployment.remotes()) {
      const name = state.entry.name;
      const plan = state.entry.rollout;
      const canary = state.canary;
      const progress = canary?.rollout;
      if (!plan || !canary || !progress || this.acting.has(name)) continue;
      const own = { stable: tallySince(canary.tallies.stable.snapshot(), progress.window.stable), canary: tallySince(canary.tallies.canary.snapshot(), progress.window.canary) };
      const others = this.peers?.since(name, canary.loaded.version, progress.window);
      const stable = summariseTally(others ? tallySum([own.stable, others.stable]) : own.stable);
      const judged = summariseTally(others ? tallySum([own.canary, others.canary]) : own.canary);
      if (stable.requests >= plan.minRequests && stable.p99Ms !== null) progress.stableP99Ms = stable.p99Ms;
      const judgement = judgeStep(plan, { stable, canary: judged, elapsedMs: now - progress.window.openedAt, stableP99Ms: progress.stableP99Ms });
      progress.last = { at: new Date(now).toISOString(), judgement, stable, canary: judged };
      if (judgement.verdict === 'wait') continue;
      const expected: RolloutExpectation = { version: canary.loaded.version, step: progress.step };
      const verdict: RolloutVerdict = { reason: judgement.reason, analysis: { stable, canary: judged } };
      this.acting.add(name);
      const action = judgement.verdict === 'rollback' ? this.deployment.rollBackRollout(name, expected, verdict) : this.deployment.advanceRollout(name, expected, verdict);
      action
        .catch((error: unknown) => this.logger.error({ remote: name, err: error, verdict: judgement.verdict }, 'the rollout could not act on its analysis; it tries again'))
        .finally(() => this.acting.delete(name));
    }
  }
}
