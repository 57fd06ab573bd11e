/**
 * For hosts GitHub cannot reach with a webhook: asks each remote's source for a
 * new version at an interval and reloads on change. GitHub sources ask with
 * If-None-Match, and an unchanged answer (304) costs no rate limit.
 */
import type { Deployment } from './deployment.js';

export class Poller {
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly deployment: Deployment,
    private readonly defaultIntervalMs: number,
  ) {}

  start(): void {
    for (const state of this.deployment.remotes()) {
      const interval = state.entry.pollIntervalMs ?? this.defaultIntervalMs;
      if (interval <= 0) continue;
      const name = state.entry.name;
      const timer = setInterval(() => {
        // A rollback pins the version; a canary holds it until promoted or aborted; a reload already queued will see the change anyway.
        if (state.pinned || state.canary || this.deployment.busy(name)) return;
        void this.deployment.reload(name, { reason: 'poll' });
      }, interval);
      // Polling alone must not keep the process alive.
      timer.unref();
      this.timers.push(timer);
    }
  }

  stop(): void {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
  }
}
