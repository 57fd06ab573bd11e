/**
 * Why a host serves no model, for `GET /microlib/api/config`: remoteEntries.js
 * lists no remote, the remotes have not loaded (each with its error), or the
 * loaded ones serve no model on this node (no `./models`, or all placed elsewhere).
 */
import type { RemoteView } from './remote-control.js';
import { describeUnloaded, unloadedRemotes, type UnloadedRemote } from './unloaded-remotes.js';

export interface NoModelsReason {
  reason: string;
  /** Every remote of remoteEntries.js: its status, version and, when it never loaded, its error. */
  remotes: Array<{ name: string; status: string; version: string | null; error: string | null }>;
}

export function whyNoModels(remotes: readonly RemoteView[]): NoModelsReason {
  const unloaded = new Map<string, UnloadedRemote>(unloadedRemotes(remotes).map((r) => [r.remote, r]));
  const listed = remotes.map((state) => ({
    name: state.entry.name,
    status: state.status,
    version: state.current?.version ?? null,
    error: unloaded.get(state.entry.name)?.error ?? null,
  }));
  const loaded = listed.filter((r) => r.version !== null).map((r) => `"${r.name}"`);
  const parts = [
    ...(unloaded.size > 0 ? [describeUnloaded([...unloaded.values()])] : []),
    ...(loaded.length > 0 ? [`${loaded.join(', ')} loaded but serve${loaded.length === 1 ? 's' : ''} no model on this host (no ./models, or every model placed on another node)`] : []),
  ];
  return { reason: remotes.length === 0 ? 'remoteEntries.js lists no remote' : `no model is served: ${parts.join('; ')}`, remotes: listed };
}
