/**
 * Recent reloads of each remote (loads at startup, webhooks, manual reloads, polls,
 * rollbacks) and changes of its canaries (starts, rollout steps, promotions,
 * rollbacks, aborts), with when they happened: the reload history operators see.
 * Bounded per remote.
 */
import type { CanaryRecord, ReloadResult } from './deployment.js';

export type LoggedReload = (ReloadResult | CanaryRecord) & {
  /** ISO time the reload finished (or the canary changed). */
  at: string;
};

export class ReloadLog {
  private readonly byRemote = new Map<string, LoggedReload[]>();

  constructor(private readonly perRemote = 20) {}

  add(result: ReloadResult | CanaryRecord, now = new Date()): void {
    const list = this.byRemote.get(result.remote) ?? [];
    list.unshift({ ...result, at: now.toISOString() });
    list.length = Math.min(list.length, this.perRemote);
    this.byRemote.set(result.remote, list);
  }

  /** Newest first. */
  recent(remote: string): readonly LoggedReload[] {
    return this.byRemote.get(remote) ?? [];
  }
}
