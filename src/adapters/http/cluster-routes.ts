/**
 * `GET /microlib/api/cluster` in cluster mode: the primary's pid and each
 * worker's slot, pid, start time and restarts, and which worker answered.
 * Mounted with the host's own API, so it is admin-only when authentication is on.
 */
import express from 'express';

/** What the cluster primary says of the cluster, shown as is. */
export interface ClusterStatus {
  primaryPid: number;
  workers: ReadonlyArray<{ slot: number; pid: number; startedAt: string; restarts: number; listening: boolean }>;
}

/** `info` asks the primary; a rejection answers 503. */
export function createClusterRoutes(slot: number, info: () => Promise<ClusterStatus>): express.Router {
  const router = express.Router();
  router.get('/microlib/api/cluster', (_req, res) => {
    info().then(
      (cluster) => res.json({ answeredBy: { slot, pid: process.pid }, ...cluster }),
      (error: unknown) => res.status(503).json({ error: { code: 'MLB_ERR_UNAVAILABLE', message: `the cluster primary did not answer: ${(error as Error).message}` } }),
    );
  });
  return router;
}
