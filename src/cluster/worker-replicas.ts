/**
 * A worker's read replicas, one per collection the primary owns, shared by
 * every IPC datasource of that collection in the worker (a hot deploy opens
 * the new version's datasource while the old one drains: both read the one
 * replica). It routes the primary's change stream to them, fetches snapshots
 * (at first use, and to resynchronise one that missed a change), and counts
 * what it asks the primary and how far behind the replicas run, for /metrics.
 */
import { InMemoryCollection } from '../adapters/persistence/memory/in-memory-collection.js';
import { readIndexDeclarations } from '../adapters/persistence/memory/index-declarations.js';
import type { ChangeBatch, Snapshot } from './replication-messages.js';
import type { IpcPeer } from './ipc-peer.js';
import { DEFAULT_REPLICA_LIMITS, ReadReplica, type ReplicaLimits } from './read-replica.js';

/** A resync that failed (the primary busy or restarting a collection) is asked again after this long. */
const RESYNC_RETRY_MS = 1_000;

interface Held {
  replica: ReadReplica;
  /** IPC datasources using it; at 0 it is dropped and the primary stops sending its changes. */
  users: number;
  /** The first snapshot: datasources open once it is in. */
  ready: Promise<void>;
  resyncs: number;
}

/** What /metrics reads of one replica. */
export interface ReplicaStatus {
  /** The primary's collection key, `<kind>:<collection>`. */
  collection: string;
  position: number;
  waitingChanges: number;
  resyncs: number;
}

const setsByPeer = new WeakMap<IpcPeer, WorkerReplicas>();

export class WorkerReplicas {
  /** Calls this worker made to the primary for datasources, by method (`ds.write`, `ds.sync`…). */
  readonly calls = new Map<string, number>();
  /** Receives the lag of each applied batch of other workers' changes (seconds from the primary's commit). */
  lagObserver: ((seconds: number) => void) | undefined;
  private readonly held = new Map<string, Held>();

  private constructor(
    private readonly peer: IpcPeer,
    private readonly limits: ReplicaLimits,
  ) {
    peer.listen('ds.changes', (payload) => this.receive(payload as ChangeBatch));
    // Without its primary a replica would only grow stale: reads fail clearly instead.
    peer.onClose((reason) => {
      for (const held of this.held.values()) held.replica.close(`cluster channel closed: ${reason}`);
      this.held.clear();
    });
  }

  /** The replicas of the worker whose channel to the primary is `peer` (one set per channel). */
  static of(peer: IpcPeer, limits: ReplicaLimits = DEFAULT_REPLICA_LIMITS): WorkerReplicas {
    let set = setsByPeer.get(peer);
    if (!set) {
      set = new WorkerReplicas(peer, limits);
      setsByPeer.set(peer, set);
    }
    return set;
  }

  /** A datasource call to the primary, counted. */
  call(method: string, params: unknown): Promise<unknown> {
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
    return this.peer.call(method, params);
  }

  /**
   * The replica of collection `key`, once it holds a snapshot; call `release` when done with it.
   * `indexes`: the model's index declarations, so the replica answers filtered and sorted pages as the primary's collection does.
   */
  async acquire(key: string, indexes?: unknown): Promise<ReadReplica> {
    let held = this.held.get(key);
    if (!held) {
      const declarations = readIndexDeclarations(indexes);
      const replica: ReadReplica = new ReadReplica(() => this.resync(key, replica), this.limits, () => new InMemoryCollection(declarations));
      held = { replica, users: 0, ready: this.sync(key, replica), resyncs: 0 };
      this.held.set(key, held);
    }
    held.users++;
    try {
      await held.ready;
    } catch (error) {
      this.release(key, held.replica);
      throw error;
    }
    return held.replica;
  }

  /** One user of `replica` is done with it. */
  release(key: string, replica: ReadReplica): void {
    const held = this.held.get(key);
    if (!held || held.replica !== replica || --held.users > 0) return;
    this.held.delete(key);
    replica.close('its datasource closed');
    this.call('ds.unsubscribe', { key }).catch(() => undefined);
  }

  status(): ReplicaStatus[] {
    return [...this.held].map(([collection, held]) => ({ collection, position: held.replica.position, waitingChanges: held.replica.waitingChanges, resyncs: held.resyncs }));
  }

  private async sync(key: string, replica: ReadReplica): Promise<void> {
    replica.install((await this.call('ds.sync', { key })) as Snapshot);
  }

  private resync(key: string, replica: ReadReplica): void {
    const held = this.held.get(key);
    if (held?.replica !== replica) return;
    held.resyncs++;
    this.sync(key, replica).catch(() => {
      const timer = setTimeout(() => {
        if (this.held.get(key)?.replica === replica) replica.resyncFailed();
      }, RESYNC_RETRY_MS);
      timer.unref();
    });
  }

  private receive(batch: ChangeBatch): void {
    const replica = this.held.get(batch.key)?.replica;
    if (!replica) return;
    replica.receive(batch.changes);
    const last = batch.changes[batch.changes.length - 1];
    // Measured when the batch is visible; a batch waiting behind a gap shows in waitingChanges and resyncs instead.
    if (last && replica.position >= last.seq) this.lagObserver?.(Math.max(0, Date.now() - batch.at) / 1000);
  }
}
