/**
 * What records will look like once the writes still on their way to disk are
 * durable. Writes are checked against this view (then against stored data),
 * so two concurrent creates of one id cannot both be accepted, while reads keep
 * seeing only durable data.
 */
import type { StoredRecord } from '../../../domain/model-spec.js';

/** The state a queued write leaves a record in: `record` undefined means deleted. */
export interface PendingState {
  record: StoredRecord | undefined;
  seq: number;
}

interface PendingEntry extends PendingState {
  /** Queued writes to this id not yet settled. */
  writes: number;
}

/** Overlay of not-yet-durable writes, keyed by record id. */
export class PendingWrites {
  private readonly byId = new Map<string, PendingEntry>();

  /** The state queued writes will leave `id` in, or undefined when none is queued. */
  lookup(id: string): PendingState | undefined {
    return this.byId.get(id);
  }

  /** Records a queued write; pair every call with one {@link settle}. */
  reserve(id: string, record: StoredRecord | undefined, seq: number): void {
    const entry = this.byId.get(id);
    if (entry) {
      entry.record = record;
      entry.seq = seq;
      entry.writes++;
    } else {
      this.byId.set(id, { record, seq, writes: 1 });
    }
  }

  /** A queued write became durable or failed; the last one for an id removes it from the overlay. */
  settle(id: string): void {
    const entry = this.byId.get(id);
    if (entry && --entry.writes === 0) this.byId.delete(id);
  }
}
