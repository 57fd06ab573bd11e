/**
 * Remotes listed in remoteEntries.js that have never loaded (no version serves),
 * with the error that stopped them: what readiness and `/microlib/api/config`
 * show an operator when the host serves less than it was told to.
 */
import type { RemoteView } from './remote-control.js';

/** A remote with no version serving, and why (null while its first load still runs). */
export interface UnloadedRemote {
  remote: string;
  status: string;
  error: string | null;
  /** When the error happened (ISO), when there is one. */
  at?: string;
}

interface LastError {
  message?: unknown;
  at?: unknown;
}

/** The remotes that have never loaded; a remote that loaded once and then failed a reload still serves, so it is not here. */
export function unloadedRemotes(remotes: readonly Pick<RemoteView, 'entry' | 'status' | 'current' | 'lastError'>[]): UnloadedRemote[] {
  return remotes
    .filter((state) => state.current === undefined)
    .map((state) => {
      const last = (state.lastError ?? undefined) as LastError | undefined;
      const error = typeof last?.message === 'string' ? last.message : null;
      return { remote: state.entry.name, status: state.status, error, ...(typeof last?.at === 'string' ? { at: last.at } : {}) };
    });
}

/** One line naming each unloaded remote and its error. */
export function describeUnloaded(unloaded: readonly UnloadedRemote[]): string {
  return unloaded.map((r) => `remote "${r.remote}" has not loaded${r.error ? `: ${r.error}` : ` (${r.status})`}`).join('; ');
}
