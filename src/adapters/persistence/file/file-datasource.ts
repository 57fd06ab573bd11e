/**
 * The `file` datasource: one append-only log per collection under `dataDir`,
 * replayed into memory at open. Reads are served from memory by the same
 * engine as the memory datasource; writes are group-committed to the log and
 * become visible only once durable.
 *
 * A write is checked against the stored data plus the writes still queued
 * (so two concurrent creates of one id cannot both pass), appended to the next
 * batch, and applied in memory when its batch has been fdatasync'ed. A write
 * that fails to persist is therefore never visible.
 *
 * Opening (`log-open.ts`) compares the log with its sidecar (`log-checkpoint.ts`),
 * which this datasource keeps up to date off the write path: at open, after each
 * compaction, periodically while the log changes, and exactly at close.
 */
import type { CreateOutcome, Datasource, DatasourceOptions, ListQuery, Page, ReadOptions } from '../../../domain/datasource.js';
import { conflictError, MicrolibError } from '../../../domain/errors.js';
import type { StoredRecord } from '../../../domain/model-spec.js';
import { DatasourceLifecycle } from '../shared/datasource-lifecycle.js';
import { syncDirectory } from './file-io.js';
import { GroupCommitWriter } from './group-commit-writer.js';
import { InMemoryCollection } from '../memory/in-memory-collection.js';
import { cloneJson } from '../shared/json-order.js';
import { withJson } from '../../../domain/record-json.js';
import { LiveBytes } from './live-bytes.js';
import { Checkpointer } from './log-checkpoint.js';
import { encodeDeleteLine, encodePutLine } from './log-codec.js';
import { installSnapshot } from './log-compaction.js';
import { openLogFile } from './log-open.js';
import { PendingWrites, type PendingState } from './pending-writes.js';
import { normalizeRecord } from '../shared/record-copy.js';
import { checkRevision } from '../shared/revision-check.js';
import { readFileSettings, type FileSettings } from './file-settings.js';

export type { FileDatasourceOptions } from './file-settings.js';

/** A file datasource, with compaction on demand for operators and tests. */
export interface FileDatasource extends Datasource {
  /** Rewrites the log as a snapshot of the live records now, whatever its size. */
  compact(): Promise<void>;
  /** Records list queries have tested since open (indexes keep it near the page size; a scan adds the whole collection). */
  examinedRecords(): number;
}

/** Logs opened by this process: two datasources appending to one log would corrupt it. */
const openLogs = new Set<string>();

/**
 * Creates a `file` datasource for `options.collection`, stored in
 * `<dataDir>/<collection>.log` (the folder is created at open).
 * @throws MicrolibError `MLB_ERR_VALIDATION` for an unsafe collection name or bad options.
 */
export function createFileDatasource(options: DatasourceOptions): FileDatasource {
  return new FileDatasourceImpl(readFileSettings(options));
}

class FileDatasourceImpl implements FileDatasource {
  readonly kind = 'file';
  private readonly lifecycle: DatasourceLifecycle;
  private collection = new InMemoryCollection();
  private readonly pending = new PendingWrites();
  private live = new LiveBytes();
  private writer: GroupCommitWriter | undefined;
  private checkpointer: Checkpointer | undefined;
  /** The highest creation sequence number of a durable write (the sidecar's `lastSeq`). */
  private highSeq = 0;
  private opening: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  /** After a failed compaction, wait until the log reaches this size before trying again. */
  private compactionFloor = 0;

  constructor(private readonly settings: FileSettings) {
    this.lifecycle = new DatasourceLifecycle(`file datasource "${settings.collection}"`);
  }

  async open(): Promise<void> {
    this.lifecycle.beginOpen();
    this.opening = this.openLog();
    try {
      await this.opening;
      this.lifecycle.endOpen(true);
    } catch (error) {
      this.lifecycle.endOpen(false);
      throw error;
    } finally {
      this.opening = undefined;
    }
    if (this.shouldCompact()) void this.compact().catch(() => undefined);
  }

  async get(id: string, options?: ReadOptions): Promise<StoredRecord | undefined> {
    return this.getNow(id, options);
  }

  getNow(id: string, options?: ReadOptions): StoredRecord | undefined {
    this.lifecycle.assertOpen();
    return this.collection.get(id, options?.readOnly);
  }

  async list(query: ListQuery): Promise<Page> {
    this.lifecycle.assertOpen();
    return this.collection.list(query);
  }

  async create(input: StoredRecord): Promise<StoredRecord> {
    const writer = this.openWriter();
    const { record, json } = normalizeRecord(input);
    const id = record.id;
    if (this.stateOf(id)?.record) throw conflictError(`A record with id "${id}" already exists in ${this.settings.collection}`, 'id');
    const seq = this.collection.allocateSeq();
    const line = encodePutLine(seq, json);
    this.pending.reserve(id, record, seq);
    return writer.append(
      line,
      () => {
        this.pending.settle(id);
        this.collection.insert(record, seq);
        if (seq > this.highSeq) this.highSeq = seq;
        this.live.set(id, Buffer.byteLength(line));
        return withJson(cloneJson(record), json);
      },
      () => this.pending.settle(id),
    );
  }

  /**
   * Queues every record in this one turn, so they share a group commit: one
   * write and one fdatasync for the whole batch (up to the writer's 4 MiB per
   * flush), and every record acknowledged is durable when the call resolves.
   */
  createMany(inputs: readonly StoredRecord[]): Promise<CreateOutcome[]> {
    try {
      this.openWriter();
    } catch (error) {
      return Promise.reject(error);
    }
    return Promise.allSettled(inputs.map((input) => this.create(input)));
  }

  async replace(input: StoredRecord, expectedRevision?: number): Promise<StoredRecord> {
    const writer = this.openWriter();
    const { record, json } = normalizeRecord(input);
    const id = record.id;
    const current = this.stateOf(id);
    checkRevision(this.settings.collection, id, current?.record, expectedRevision, 'replace');
    const seq = (current as PendingState).seq;
    const line = encodePutLine(seq, json);
    this.pending.reserve(id, record, seq);
    return writer.append(
      line,
      () => {
        this.pending.settle(id);
        if (!this.collection.replace(record)) this.collection.insert(record, seq);
        this.live.set(id, Buffer.byteLength(line));
        return withJson(cloneJson(record), json);
      },
      () => this.pending.settle(id),
    );
  }

  async delete(id: string, expectedRevision?: number): Promise<StoredRecord | undefined> {
    const writer = this.openWriter();
    const current = this.stateOf(id);
    if (!current?.record) return undefined;
    checkRevision(this.settings.collection, id, current.record, expectedRevision, 'delete');
    const deleted = current.record;
    this.pending.reserve(id, undefined, current.seq);
    return writer.append(
      encodeDeleteLine(id),
      () => {
        this.pending.settle(id);
        this.live.delete(id);
        // The collection lets go of the object it held, so it can be handed out as is.
        return this.collection.remove(id) ?? cloneJson(deleted);
      },
      () => this.pending.settle(id),
    );
  }

  compact(): Promise<void> {
    try {
      const writer = this.openWriter();
      return writer.runExclusive(() => this.compactInWriter(true));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  examinedRecords(): number {
    return this.collection.examined;
  }

  close(): Promise<void> {
    this.closing ??= this.closeLog();
    return this.closing;
  }

  private async openLog(): Promise<void> {
    const { logPath, metaPath, warn } = this.settings;
    if (openLogs.has(logPath)) {
      throw new MicrolibError('MLB_ERR_UNAVAILABLE', `${logPath} is already open in this process; close the other datasource first`);
    }
    openLogs.add(logPath);
    try {
      const opened = await openLogFile(this.settings, { acceptDataLoss: this.settings.acceptDataLoss, warn, indexes: this.settings.indexes });
      this.collection = opened.collection;
      this.live = opened.live;
      this.highSeq = opened.highSeq;
      const writer = new GroupCommitWriter(opened.file, opened.size, () => this.afterBatch());
      this.writer = writer;
      const state = () => ({ records: this.collection.size, lastSeq: this.highSeq, bytes: writer.bytes });
      this.checkpointer = new Checkpointer(metaPath, state, this.settings.checkpointIntervalMs, (error) =>
        warn({ file: metaPath, error: String(error) }, 'Could not update the datasource sidecar; a lost log may go unnoticed until it is'),
      );
      // Marks the log as in use (not cleanly closed) and records what it holds, a loss just accepted included.
      await this.checkpointer.write(false);
      this.checkpointer.start();
    } catch (error) {
      await this.writer?.handle.close().catch(() => undefined);
      this.writer = undefined;
      openLogs.delete(logPath);
      throw error;
    }
  }

  private async closeLog(): Promise<void> {
    await this.opening?.catch(() => undefined);
    if (!this.lifecycle.beginClose()) return;
    const writer = this.writer;
    if (writer) {
      await writer.drain();
      // Exact now that nothing writes: the next open must find the log just so.
      await this.checkpointer?.stop();
      await this.checkpointer?.write(true);
      await writer.handle.close();
      openLogs.delete(this.settings.logPath);
    }
    this.lifecycle.endClose();
  }

  /** @throws MicrolibError `MLB_ERR_UNAVAILABLE` unless open. */
  private openWriter(): GroupCommitWriter {
    this.lifecycle.assertOpen();
    return this.writer as GroupCommitWriter;
  }

  /** The record as it will be once queued writes are durable (undefined record: absent). */
  private stateOf(id: string): PendingState | undefined {
    return this.pending.lookup(id) ?? this.collection.peekEntry(id);
  }

  private shouldCompact(): boolean {
    const size = this.writer?.bytes ?? 0;
    const { compactMinBytes, compactRatio } = this.settings;
    return size >= compactMinBytes && size > compactRatio * this.live.total && size >= this.compactionFloor;
  }

  private async afterBatch(): Promise<void> {
    if (this.shouldCompact()) await this.compactInWriter(false);
  }

  /**
   * Runs inside the writer's loop, so memory holds exactly the durable records
   * and no append interleaves. A failed snapshot leaves the log as it was; it is
   * rethrown only when `rethrow` (an explicit `compact()` call).
   */
  private async compactInWriter(rethrow: boolean): Promise<void> {
    const writer = this.writer as GroupCommitWriter;
    const { dataDir, logPath, tempPath, warn } = this.settings;
    let snapshot;
    try {
      snapshot = await installSnapshot(this.collection, tempPath, logPath, this.highSeq);
    } catch (error) {
      this.compactionFloor = writer.bytes * 2;
      warn({ file: logPath, error: String(error) }, 'Log compaction failed; the log is unchanged and keeps growing');
      if (rethrow) throw error;
      return;
    }
    const previous = writer.replaceFile(snapshot.file, snapshot.size);
    this.live = snapshot.live;
    this.compactionFloor = 0;
    await previous.close().catch(() => undefined);
    void this.checkpointer?.write(false);
    try {
      await syncDirectory(dataDir);
    } catch (error) {
      // Until the rename is durable a crash could bring back the old log without the writes that follow.
      writer.markBroken('Could not make the compacted log durable; reopen the datasource', error);
      warn({ file: logPath, error: String(error) }, 'Could not fsync the data folder after compaction; writes are refused');
    }
  }
}
