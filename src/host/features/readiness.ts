/**
 * Readiness (`/microlib/ready`): true once every other feature has started,
 * false first thing when the host stops, so a load balancer stops sending
 * before connections close (SHUTDOWN_DELAY_MS gives it time to notice).
 * Conditions may hold a started host back too (READY_REQUIRES_DATASOURCES: a
 * model's datasource that cannot reach its server).
 */
import type { WorkerLink } from '../../cluster/worker-link.js';
import type { Feature } from '../feature.js';

/** What keeps a started host out of rotation now, for the 503's body; undefined when nothing does. */
export type ReadinessCondition = () => Record<string, unknown> | undefined;

export interface ReadinessFeature extends Feature {
  /** Started and not stopping. */
  ready(): boolean;
  /** What the conditions hold against a started host, merged; undefined when none does. */
  heldBack(): Record<string, unknown> | undefined;
}

export function readinessFeature(shutdownDelayMs: number, cluster: WorkerLink | undefined, conditions: readonly ReadinessCondition[] = []): ReadinessFeature {
  let ready = false;
  return {
    name: 'readiness',
    ready: () => ready,
    heldBack() {
      let held: Record<string, unknown> | undefined;
      for (const condition of conditions) {
        const reason = condition();
        if (reason) held = { ...held, ...reason };
      }
      return held;
    },
    start() {
      ready = true;
      cluster?.ready();
    },
    async stop() {
      ready = false;
      if (shutdownDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, shutdownDelayMs));
    },
  };
}
