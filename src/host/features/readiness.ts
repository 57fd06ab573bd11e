/**
 * Readiness (`/microlib/ready`): true once every other feature has started,
 * false first thing when the host stops, so a load balancer stops sending
 * before connections close (SHUTDOWN_DELAY_MS gives it time to notice).
 */
import type { WorkerLink } from '../../cluster/worker-link.js';
import type { Feature } from '../feature.js';

export interface ReadinessFeature extends Feature {
  ready(): boolean;
}

export function readinessFeature(shutdownDelayMs: number, cluster: WorkerLink | undefined): ReadinessFeature {
  let ready = false;
  return {
    name: 'readiness',
    ready: () => ready,
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
