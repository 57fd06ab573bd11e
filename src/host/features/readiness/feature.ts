/**
 * Readiness (`/microlib/ready`): true once every other feature has started and
 * the remotes READY_REMOTES asks for have loaded (by default all of them: a host
 * whose remotes failed serves nothing, so an orchestrator should not route to
 * it); false first thing when the host stops, so a load balancer stops sending
 * before connections close (SHUTDOWN_DELAY_MS gives it time to notice).
 * Computed per request: a remote that loads later (a reload, a poll) makes the
 * host ready without a restart. Conditions may hold a started host back too
 * (READY_REQUIRES_DATASOURCES: a model's datasource that cannot reach its server).
 */
import type { WorkerLink } from '../../../cluster/worker-link.js';
import type { RemoteView } from '../../../adapters/http/remote-control.js';
import { describeUnloaded, unloadedRemotes, type UnloadedRemote } from '../../../adapters/http/unloaded-remotes.js';
import type { Feature } from '../../feature.js';
import type { ReadinessSettings } from './settings.js';

/** What `/microlib/ready` answers (200 when `ready`, else 503). */
export interface Readiness {
  ready: boolean;
  /** Why the host is not ready: starting, stopping, or which remotes have not loaded. */
  reason?: string;
  /** Remotes of remoteEntries.js that have never loaded, with their last error. */
  notLoaded?: UnloadedRemote[];
}

/** What keeps a started host out of rotation now, for the 503's body; undefined when nothing does. */
export type ReadinessCondition = () => Record<string, unknown> | undefined;

export interface ReadinessFeature extends Feature {
  readiness(): Readiness;
}

export interface ReadinessDeps {
  settings: ReadinessSettings & { shutdownDelayMs: number };
  /** Every remote of remoteEntries.js, as the deployment knows it now. */
  remotes(): readonly RemoteView[];
  cluster: WorkerLink | undefined;
  /** More that may hold a started host back (merged into the 503's body). */
  conditions?: readonly ReadinessCondition[];
}

export function readinessFeature({ settings, remotes, cluster, conditions = [] }: ReadinessDeps): ReadinessFeature {
  const heldBack = () => {
    let held: Record<string, unknown> | undefined;
    for (const condition of conditions) {
      const reason = condition();
      if (reason) held = { ...held, ...reason };
    }
    return held;
  };
  let phase: 'starting' | 'started' | 'stopping' = 'starting';
  return {
    name: 'readiness',
    readiness(): Readiness {
      if (phase !== 'started') return { ready: false, reason: phase };
      const all = remotes();
      const notLoaded = unloadedRemotes(all);
      const enough = notLoaded.length === 0 || (settings.readyRemotes === 'any' && notLoaded.length < all.length);
      const held = heldBack();
      if (enough && !held) return notLoaded.length === 0 ? { ready: true } : { ready: true, notLoaded };
      return {
        ready: false,
        ...(enough ? {} : { reason: describeUnloaded(notLoaded) }),
        ...(notLoaded.length > 0 ? { notLoaded } : {}),
        ...held,
      };
    },
    start() {
      phase = 'started';
      cluster?.ready();
    },
    async stop() {
      phase = 'stopping';
      if (settings.shutdownDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, settings.shutdownDelayMs));
    },
  };
}
