/**
 * Recent reloads of each remote (loads at startup, webhooks, manual reloads, polls,
 * rollbacks), with when they finished: the reload history operators see. Bounded per remote.
 */
import type { ReloadResult } from './deployment.js';

export interface LoggedReload extends ReloadResult {
  /** ISO time the reload finished. */
  at: string;
}

export class ReloadLog {
  private readonly byRemote = new Map<string, LoggedReload[]>();

  constructor(private readonly perRemote = 10) {}

  add(result: ReloadResult, now = new Date()): void {
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
