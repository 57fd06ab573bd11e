/**
 * What the primary and its workers exchange to keep the workers' read
 * replicas of the memory and file collections: the primary is the single
 * writer and numbers every committed change of a collection (its stream
 * position); a worker starts from a snapshot at some position and applies the
 * changes after it, in order.
 */
import type { StoredRecord } from '../domain/model-spec.js';

/**
 * One committed change: with `record`, the record as now stored (created or
 * replaced); without it, the record `id` was deleted.
 */
export interface Change {
  /** Stream position of this change (1, 2, 3… per collection, no gaps). */
  seq: number;
  id: string;
  record?: StoredRecord;
  /**
   * With `record`: the record's creation sequence (its place in creation order,
   * which creation-order cursors name), equal in every replica.
   */
  created?: number;
}

/** The `ds.changes` notification: consecutive changes of one collection. */
export interface ChangeBatch {
  key: string;
  /** When the primary committed them (ms since the epoch): the worker's replica lag is measured from here. */
  at: number;
  changes: Change[];
}

/** A collection as it was at stream position `position`: every record with its creation sequence, in creation order. */
export interface Snapshot {
  position: number;
  entries: Array<{ record: StoredRecord; created: number }>;
}

/** The write operations that cross to the primary (reads never do). */
export type WriteOp = 'create' | 'replace' | 'delete';

export interface WriteRequest {
  key: string;
  op: WriteOp;
  args: unknown[];
}

/** An error as it crosses the channel: the worker rebuilds the same MicrolibError. */
export interface WriteFailure {
  message: string;
  code?: string;
  field?: string;
}

/**
 * The primary's answer to a write. `seq` is the stream position once this write
 * (and every write the primary started before it) was committed: the writing
 * worker answers only once its replica has reached it, so its next read sees
 * the write, and after a conflict, the record that won. `change` is this write's
 * own change (the other workers get it in the stream; the writer applies it from here).
 */
export type WriteAnswer = { ok: true; value: unknown; seq: number; change?: Change } | { ok: false; error: WriteFailure; seq: number };

/** `ds.sync`, `ds.position` and `ds.unsubscribe` name the collection by the key `ds.open` answered. */
export interface CollectionRequest {
  key: string;
}
