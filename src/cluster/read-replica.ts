/**
 * A cluster worker's read replica of one collection the primary owns: the
 * same in-memory collection the memory datasource is (so get, list, filters,
 * sort and cursors answer exactly alike), kept by applying the primary's
 * numbered changes in order. It starts from a snapshot at some position and
 * applies only the changes after it: none is missed, none applied twice.
 *
 * Changes can arrive out of order (a write's own change comes back in its
 * answer, which the worker handles a moment after the stream's next
 * notifications): they wait until the gap before them is filled. A gap that
 * stays open too long, or too many changes waiting, means the replica missed
 * one: it asks for a fresh snapshot (`resync`) and meanwhile keeps answering
 * from the consistent state it has (reads never see a later change before an
 * earlier one).
 */
import { MicrolibError } from '../domain/errors.js';
import { InMemoryCollection } from '../adapters/persistence/memory/in-memory-collection.js';
import type { Change, Snapshot } from './replication-messages.js';

export interface ReplicaLimits {
  /** A gap left open this long means a lost change: resynchronise. */
  gapTimeoutMs: number;
  /** More changes than this waiting behind a gap: resynchronise at once. */
  maxWaiting: number;
}

export const DEFAULT_REPLICA_LIMITS: ReplicaLimits = { gapTimeoutMs: 2_000, maxWaiting: 10_000 };

interface Waiter {
  seq: number;
  resolve(): void;
  reject(error: Error): void;
}

export class ReadReplica {
  private collection: InMemoryCollection;
  /** Stream position of the last change applied; -1 until the first snapshot. */
  private applied = -1;
  /** Changes received ahead of a gap, by position. */
  private readonly waiting = new Map<number, Change>();
  private waiters: Waiter[] = [];
  private gapTimer: NodeJS.Timeout | undefined;
  private resyncing = false;
  private closedBecause: string | undefined;

  constructor(
    /** Called when the replica needs a fresh snapshot; the caller answers with `install` (or `resyncFailed`). */
    private readonly resync: () => void,
    private readonly limits: ReplicaLimits = DEFAULT_REPLICA_LIMITS,
    private readonly makeCollection: () => InMemoryCollection = () => new InMemoryCollection(),
  ) {
    this.collection = makeCollection();
  }

  /**
   * The records to read (never to modify).
   * @throws MicrolibError `MLB_ERR_UNAVAILABLE` once closed (its primary is gone).
   */
  get records(): InMemoryCollection {
    if (this.closedBecause !== undefined) throw this.closedError();
    return this.collection;
  }

  /** The stream position the replica reflects (-1 before its first snapshot). */
  get position(): number {
    return this.applied;
  }

  /** Changes received that wait for an earlier one. */
  get waitingChanges(): number {
    return this.waiting.size;
  }

  /** Replaces the replica's contents with `snapshot`, then applies the waiting changes after it. */
  install(snapshot: Snapshot): void {
    if (this.closedBecause !== undefined) return;
    const collection = this.makeCollection();
    for (const { record, created } of snapshot.entries) collection.insert(record, created);
    this.collection = collection;
    this.applied = snapshot.position;
    this.resyncing = false;
    for (const seq of this.waiting.keys()) if (seq <= snapshot.position) this.waiting.delete(seq);
    this.drain();
  }

  /** A requested snapshot did not come: ask again (the gap is still open). */
  resyncFailed(): void {
    this.resyncing = false;
    this.startResync();
  }

  /** Takes changes in any order; each is applied once every change before it has been. The replica owns their records. */
  receive(changes: readonly Change[]): void {
    if (this.closedBecause !== undefined) return;
    for (const change of changes) if (change.seq > this.applied) this.waiting.set(change.seq, change);
    // Before a snapshot, changes only wait: the snapshot may already hold them (its answer can come after them).
    if (this.applied >= 0 && !this.resyncing) this.drain();
  }

  /** Resolves once the replica reflects stream position `seq`. */
  reached(seq: number): Promise<void> {
    if (this.applied >= seq) return Promise.resolve();
    if (this.closedBecause !== undefined) return Promise.reject(this.closedError());
    return new Promise((resolve, reject) => this.waiters.push({ seq, resolve, reject }));
  }

  /** Stops: waiting callers are told the datasource closed. */
  close(reason: string): void {
    if (this.closedBecause !== undefined) return;
    this.closedBecause = reason;
    clearTimeout(this.gapTimer);
    this.waiting.clear();
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.reject(this.closedError());
  }

  private closedError(): Error {
    return new MicrolibError('MLB_ERR_UNAVAILABLE', `the read replica is closed (${this.closedBecause ?? ''})`);
  }

  private drain(): void {
    let next = this.waiting.get(this.applied + 1);
    while (next !== undefined) {
      this.waiting.delete(next.seq);
      this.apply(next);
      next = this.waiting.get(this.applied + 1);
    }
    if (this.waiters.length > 0) this.wake();
    if (this.waiting.size === 0) {
      clearTimeout(this.gapTimer);
      this.gapTimer = undefined;
    } else if (this.waiting.size > this.limits.maxWaiting) {
      this.startResync();
    } else if (this.gapTimer === undefined && !this.resyncing) {
      const stuckAt = this.applied;
      this.gapTimer = setTimeout(() => {
        this.gapTimer = undefined;
        if (this.applied === stuckAt && this.waiting.size > 0) this.startResync();
        else if (this.waiting.size > 0) this.drain();
      }, this.limits.gapTimeoutMs);
      this.gapTimer.unref();
    }
  }

  private startResync(): void {
    clearTimeout(this.gapTimer);
    this.gapTimer = undefined;
    if (this.resyncing || this.closedBecause !== undefined) return;
    this.resyncing = true;
    this.resync();
  }

  private apply(change: Change): void {
    const record = change.record;
    if (record) {
      if (!this.collection.replace(record)) this.collection.insert(record, change.created ?? change.seq);
    } else {
      this.collection.remove(change.id);
    }
    this.applied = change.seq;
  }

  private wake(): void {
    const still: Waiter[] = [];
    for (const waiter of this.waiters) {
      if (waiter.seq <= this.applied) waiter.resolve();
      else still.push(waiter);
    }
    this.waiters = still;
  }
}
