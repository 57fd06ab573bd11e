/**
 * A cluster worker's /metrics about its read replicas: how far behind the
 * primary's writes they run, what this worker still asks the primary (writes,
 * snapshots, positions: reads never appear), and resynchronisations.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { WorkerReplicas } from './worker-replicas.js';

export function registerReplicaMetrics(registry: Registry, replicas: WorkerReplicas): void {
  const registers = [registry];
  const lag = new Histogram({
    name: 'microlib_cluster_replica_lag_seconds',
    help: "Time from the cluster primary committing another worker's write to this worker's read replica applying it",
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers,
  });
  replicas.lagObserver = (seconds) => lag.observe(seconds);
  new Gauge({
    name: 'microlib_cluster_replica_position',
    help: "Change stream position each read replica has applied (the primary numbers each collection's committed writes 1, 2, 3…)",
    labelNames: ['collection'],
    registers,
    collect() {
      this.reset();
      for (const status of replicas.status()) this.set({ collection: status.collection }, status.position);
    },
  });
  new Gauge({
    name: 'microlib_cluster_replica_waiting_changes',
    help: 'Changes a read replica received that wait for an earlier one (a gap; long gaps resynchronise from a snapshot)',
    labelNames: ['collection'],
    registers,
    collect() {
      this.reset();
      for (const status of replicas.status()) this.set({ collection: status.collection }, status.waitingChanges);
    },
  });
  new Counter({
    name: 'microlib_cluster_replica_resyncs_total',
    help: 'Times a read replica missed a change and was rebuilt from a snapshot',
    labelNames: ['collection'],
    registers,
    collect() {
      this.reset();
      for (const status of replicas.status()) this.inc({ collection: status.collection }, status.resyncs);
    },
  });
  new Counter({
    name: 'microlib_cluster_primary_calls_total',
    help: 'Datasource calls this worker sent to the cluster primary, by call (ds.write, ds.sync, ds.position, ds.open, ds.unsubscribe); reads are answered by the replica',
    labelNames: ['call'],
    registers,
    collect() {
      this.reset();
      for (const [call, count] of replicas.calls) this.inc({ call }, count);
    },
  });
}
