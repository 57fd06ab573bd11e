/** Cluster mode: a primary forks workers in stable slots that share the port. */
import os from 'node:os';
import { ConfigError, flag, integer, type Env } from '../../../config/env-reader.js';

export interface ClusterSettings {
  /** Cluster mode: a primary forks `clusterWorkers` workers sharing the port. */
  clusterEnabled: boolean;
  clusterWorkers: number;
  /** This worker's stable slot (1..N) in cluster mode, set by the primary; undefined in a single process. */
  workerSlot: number | undefined;
}

export function readClusterSettings(env: Env): ClusterSettings {
  const clusterEnabled = flag(env, 'CLUSTER_ENABLED');
  const clusterWorkers = integer(env, 'CLUSTER_WORKERS', os.availableParallelism(), 1, 256);
  if (!clusterEnabled && env.CLUSTER_WORKERS?.trim()) throw new ConfigError('CLUSTER_WORKERS', 'needs CLUSTER_ENABLED=true');
  // Set by the primary for its workers, never by hand.
  const workerSlot = env.MICROLIB_WORKER_SLOT?.trim() ? integer(env, 'MICROLIB_WORKER_SLOT', 1, 1, clusterWorkers) : undefined;
  return { clusterEnabled, clusterWorkers, workerSlot };
}
