/**
 * The primary's ordered change stream of one collection it owns (memory or
 * file). Every write a worker sends runs against the one real datasource,
 * which decides conflicts (If-Match revisions) as it would in one process; the
 * stream then numbers each committed change and sends it to every subscribed
 * worker's read replica, in the order the writes were started (which is the
 * order the datasource checked them in), so every replica applies the same
 * changes in the same order.
 *
 * The stream also keeps each live record's creation sequence (an id and a
 * number per record), so that every replica, whether it followed the stream
 * or started from a snapshot later, puts records in the same creation order
 * and reads the same creation-order cursors.
 */
import type { Datasource } from '../domain/datasource.js';
import { MicrolibError } from '../domain/errors.js';
import type { StoredRecord } from '../domain/model-spec.js';
import type { Change, ChangeBatch, Snapshot, WriteAnswer, WriteFailure, WriteOp } from './replication-messages.js';

/** A worker's channel, as the stream sends to it. */
export interface ChangeSubscriber {
  send(topic: 'ds.changes', batch: ChangeBatch): void;
}

/** One write, from its start to its place in the stream. */
interface Ticket {
  origin: ChangeSubscriber;
  settled: boolean;
  /** What the write changed (filled when it settles; undefined: nothing, or it failed). */
  change?: Omit<Change, 'seq' | 'created'>;
  /** Resolves with the stream position once every earlier write and this one are in the stream. */
  placed(position: number, change: Change | undefined): void;
}

function failureOf(error: unknown): WriteFailure {
  if (error instanceof MicrolibError) return { message: error.message, code: error.code, ...(error.field !== undefined ? { field: error.field } : {}) };
  return { message: error instanceof Error ? error.message : String(error) };
}

/** Every record of `datasource`, in its creation order. */
async function allRecords(datasource: Datasource): Promise<StoredRecord[]> {
  const page = await datasource.list({ filter: {}, sort: [], limit: Number.MAX_SAFE_INTEGER, offset: 0, count: false });
  return page.records;
}

export class ChangeStream {
  private position = 0;
  /** Creation sequence of each live record. */
  private readonly created = new Map<string, number>();
  /** Writes started and not yet in the stream, oldest first. */
  private readonly inFlight: Ticket[] = [];
  private readonly subscribers = new Set<ChangeSubscriber>();
  /** While a snapshot waits for the writes in flight, new writes wait for this. */
  private paused: Promise<void> | undefined;
  private resumeWrites: (() => void) | undefined;
  private onIdle: (() => void) | undefined;
  /** Changes placed this turn of the event loop, sent together at its end (one message per worker, not one per write). */
  private unsent: Array<{ change: Change; origin: ChangeSubscriber }> = [];
  private sendScheduled = false;

  private constructor(
    private readonly key: string,
    private readonly datasource: Datasource,
  ) {}

  /** The stream of an opened datasource: the records it holds get creation sequences 1…n, and the stream starts at n. */
  static async start(key: string, datasource: Datasource): Promise<ChangeStream> {
    const stream = new ChangeStream(key, datasource);
    for (const record of await allRecords(datasource)) stream.created.set(record.id, ++stream.position);
    return stream;
  }

  /** The position of the last change placed: every write answered so far is at or before it (its batch may still be on its way). */
  get current(): number {
    return this.position;
  }

  /** Runs a write on the datasource; answers once it has its place in the stream (failures too: see WriteAnswer). */
  async write(origin: ChangeSubscriber, op: WriteOp, args: unknown[]): Promise<WriteAnswer> {
    while (this.paused) await this.paused;
    let place!: { position: number; change: Change | undefined };
    let resolvePlaced!: () => void;
    const placed = new Promise<void>((resolve) => (resolvePlaced = resolve));
    const ticket: Ticket = {
      origin,
      settled: false,
      placed: (position, change) => {
        place = { position, change };
        resolvePlaced();
      },
    };
    // In the queue before the datasource sees the write: the stream keeps the order the datasource checks writes in.
    this.inFlight.push(ticket);
    let value: unknown;
    let failure: WriteFailure | undefined;
    try {
      value = await this.run(op, args);
      ticket.change = changeOf(op, args, value);
    } catch (error) {
      failure = failureOf(error);
    }
    ticket.settled = true;
    this.flush();
    await placed;
    if (failure) return { ok: false, error: failure, seq: place.position };
    return { ok: true, value, seq: place.position, ...(place.change ? { change: place.change } : {}) };
  }

  /**
   * The collection now, for a worker's replica, which then receives every later
   * change. Waits until no write is in flight (new ones wait meanwhile), so the
   * snapshot is exactly the stream up to its position.
   */
  async snapshot(subscriber: ChangeSubscriber): Promise<Snapshot> {
    while (this.paused) await this.paused;
    this.paused = new Promise<void>((resolve) => (this.resumeWrites = resolve));
    try {
      if (this.inFlight.length > 0) await new Promise<void>((resolve) => (this.onIdle = resolve));
      const records = await allRecords(this.datasource);
      const entries = records.map((record) => ({ record, created: this.created.get(record.id) ?? 0 }));
      // The datasource's creation order is the stream's; sorting only guards the replicas' order.
      entries.sort((a, b) => a.created - b.created);
      this.subscribers.add(subscriber);
      return { position: this.position, entries };
    } finally {
      const resume = this.resumeWrites;
      this.paused = undefined;
      this.resumeWrites = undefined;
      resume?.();
    }
  }

  unsubscribe(subscriber: ChangeSubscriber): void {
    this.subscribers.delete(subscriber);
  }

  private run(op: WriteOp, args: unknown[]): Promise<unknown> {
    const ds = this.datasource;
    if (op === 'create') return ds.create(args[0] as StoredRecord);
    if (op === 'replace') return ds.replace(args[0] as StoredRecord, args[1] as number | undefined);
    return ds.delete(args[0] as string, args[1] as number | undefined);
  }

  /** Gives the settled writes at the head of the queue their places, in order, and sends their changes. */
  private flush(): void {
    const placed: Array<{ change: Change; origin: ChangeSubscriber }> = [];
    while (this.inFlight[0]?.settled) {
      const ticket = this.inFlight.shift() as Ticket;
      let change: Change | undefined;
      if (ticket.change) {
        const seq = ++this.position;
        const { id, record } = ticket.change;
        if (record) {
          // A replace keeps the record's place; a create (or a record the stream never saw) takes this one.
          const created = this.created.get(id) ?? seq;
          this.created.set(id, created);
          change = { seq, id, record, created };
        } else {
          this.created.delete(id);
          change = { seq, id };
        }
        placed.push({ change, origin: ticket.origin });
      }
      ticket.placed(this.position, change);
    }
    if (placed.length > 0) this.queueSend(placed);
    if (this.inFlight.length === 0 && this.onIdle) {
      const idle = this.onIdle;
      this.onIdle = undefined;
      idle();
    }
  }

  /**
   * Sends at the end of this turn: under load one message then carries many changes. A worker may get a
   * write's answer (or a position) a moment before the changes that precede it: its replica waits for them.
   */
  private queueSend(placed: ReadonlyArray<{ change: Change; origin: ChangeSubscriber }>): void {
    for (const item of placed) this.unsent.push(item);
    if (this.sendScheduled) return;
    this.sendScheduled = true;
    // The lag a replica reports counts from the oldest change of the batch.
    const at = Date.now();
    setImmediate(() => {
      this.sendScheduled = false;
      const batch = this.unsent;
      this.unsent = [];
      this.send(batch, at);
    });
  }

  /** Each subscriber gets the changes other workers made: the writer applies its own from the write's answer. */
  private send(placed: ReadonlyArray<{ change: Change; origin: ChangeSubscriber }>, at: number): void {
    for (const subscriber of this.subscribers) {
      const changes = placed.filter((p) => p.origin !== subscriber).map((p) => p.change);
      if (changes.length > 0) subscriber.send('ds.changes', { key: this.key, at, changes });
    }
  }
}

/** What a successful write changed, or undefined (a delete of a missing record). */
function changeOf(op: WriteOp, args: unknown[], value: unknown): Omit<Change, 'seq' | 'created'> | undefined {
  if (op === 'delete') return value === undefined ? undefined : { id: args[0] as string };
  const record = value as StoredRecord;
  return { id: record.id, record };
}
