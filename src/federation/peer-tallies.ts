/**
 * The other processes' tallies of each rollout canary (cluster mode): every worker
 * but the driving one reports, a few times a second, what each version of a remote
 * with a rollout answered since its canary started there (cumulative counts and
 * latency histograms, never per-request data). The driver adds each process's share
 * of the step's window to its own, so the analysis judges every request the cluster
 * answered. A process's share is its latest report less the report it had made when
 * the window opened (nothing, for a process first heard of since: its counts began
 * inside the window). No I/O here.
 */
import { tallySince, tallySum, type TallySnapshot } from '../domain/resilience/version-tally.js';
import type { RemoteState } from './remote-state.js';

/** What one process reports of one remote's canary: cumulative since the canary started there. */
export interface TallyReport {
  remote: string;
  /** The canary's version: reports of another canary of the remote are not added. */
  version: string;
  stable: TallySnapshot;
  canary: TallySnapshot;
}

type Pair = { stable: TallySnapshot; canary: TallySnapshot };

export class PeerTallies {
  /** Latest report per remote, then per process. */
  private readonly latest = new Map<string, Map<number, TallyReport>>();
  /** Per remote: the window the baselines belong to, and each process's report when it opened. */
  private readonly baselines = new Map<string, { window: object; version: string; from: Map<number, Pair> }>();

  /** Reports from process `from` (a pid): each replaces that process's last report of the remote. */
  record(from: number, reports: readonly TallyReport[]): void {
    for (const report of reports) {
      let byProcess = this.latest.get(report.remote);
      if (!byProcess) this.latest.set(report.remote, (byProcess = new Map()));
      byProcess.set(from, report);
    }
  }

  /**
   * What the other processes answered for the canary of `version` within `window` (an
   * object standing for the step's window: a new one opens new baselines), or undefined
   * when none reported. The first call for a window takes the baselines.
   */
  since(remote: string, version: string, window: object): Pair | undefined {
    const byProcess = this.latest.get(remote);
    let base = this.baselines.get(remote);
    if (!base || base.window !== window || base.version !== version) {
      base = { window, version, from: new Map() };
      for (const [pid, report] of byProcess ?? []) if (report.version === version) base.from.set(pid, { stable: report.stable, canary: report.canary });
      this.baselines.set(remote, base);
    }
    const shares: Pair[] = [];
    for (const [pid, report] of byProcess ?? []) {
      if (report.version !== version) continue;
      const before = base.from.get(pid);
      // Fewer requests than at the window's start: that process started the canary afresh; all it counts is new.
      const fresh = !before || report.stable.requests < before.stable.requests || report.canary.requests < before.canary.requests;
      shares.push(fresh ? report : { stable: tallySince(report.stable, before.stable), canary: tallySince(report.canary, before.canary) });
    }
    if (shares.length === 0) return undefined;
    return { stable: tallySum(shares.map((s) => s.stable)), canary: tallySum(shares.map((s) => s.canary)) };
  }

  /** Forgets the reports of remotes whose canary is over (or another one now). */
  keepOnly(running: ReadonlyMap<string, string>): void {
    for (const [remote, byProcess] of this.latest) {
      const version = running.get(remote);
      for (const [pid, report] of byProcess) if (report.version !== version) byProcess.delete(pid);
      if (byProcess.size === 0) this.latest.delete(remote);
    }
    for (const [remote, base] of this.baselines) if (running.get(remote) !== base.version) this.baselines.delete(remote);
  }
}

/** This process's reports: every canary a rollout steps, with both versions' tallies since it started here. */
export function tallyReports(remotes: readonly RemoteState[]): TallyReport[] {
  return remotes.flatMap((state) => {
    const canary = state.canary;
    if (!canary?.rollout) return [];
    return [{ remote: state.entry.name, version: canary.loaded.version, stable: canary.tallies.stable.snapshot(), canary: canary.tallies.canary.snapshot() }];
  });
}
