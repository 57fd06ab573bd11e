/**
 * Group commit for an append-only log: writes that arrive while a flush is in
 * progress wait together, and the next flush appends all of them with one
 * write call and one fdatasync. A write costs O(its own bytes) plus a share of
 * one fsync, however large the log is.
 */
import type { FileHandle } from 'node:fs/promises';
import { MicrolibError } from '../../../domain/errors.js';
import { writeFully } from './file-io.js';

/** Largest batch (in characters, near enough to bytes) appended with one write call; bounds the memory one flush needs. */
const MAX_BATCH_BYTES = 4 << 20;

interface QueuedAppend {
  line: string;
  apply: () => unknown;
  abandon: () => void;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

/**
 * Owns the log's append handle. Every change to the file (appends, and tasks
 * such as compaction that replace it) runs inside one serial loop, so the log
 * order is the order in which operations were queued.
 */
export class GroupCommitWriter {
  private queue: QueuedAppend[] = [];
  private tasks: (() => Promise<void>)[] = [];
  private running: Promise<void> | undefined;
  private broken: MicrolibError | undefined;

  /**
   * @param file handle opened for appending
   * @param size current file size in bytes
   * @param afterBatch runs inside the loop after each durable batch (e.g. to decide on compaction)
   */
  constructor(
    private file: FileHandle,
    private size: number,
    private readonly afterBatch: () => Promise<void>,
  ) {}

  /** Bytes in the log, counting only durable appends. */
  get bytes(): number {
    return this.size;
  }

  /** The current append handle (it changes when a task swaps the file). */
  get handle(): FileHandle {
    return this.file;
  }

  /**
   * Queues one line. Once it is durable, `apply` runs (in log order, before any
   * later line's `apply`) and its result resolves the promise. If the line
   * cannot be made durable, `abandon` runs and the promise rejects with
   * `MLB_ERR_UNAVAILABLE`.
   */
  append<T>(line: string, apply: () => T, abandon: () => void): Promise<T> {
    if (this.broken) {
      abandon();
      return Promise.reject(this.broken);
    }
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ line, apply, abandon, resolve: resolve as (value: unknown) => void, reject });
      this.kick();
    });
  }

  /** Runs `task` inside the loop, between batches, so no append interleaves with it. */
  runExclusive(task: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.tasks.push(() => Promise.resolve().then(task).then(resolve, reject));
      this.kick();
    });
  }

  /** For tasks: makes `file` (of `size` bytes, already durable) the append target; returns the old handle. */
  replaceFile(file: FileHandle, size: number): FileHandle {
    const previous = this.file;
    this.file = file;
    this.size = size;
    return previous;
  }

  /** For tasks: refuses every later append, e.g. when the file on disk can no longer be trusted. */
  markBroken(reason: string, cause: unknown): void {
    this.broken ??= new MicrolibError('MLB_ERR_UNAVAILABLE', reason, undefined, { cause });
  }

  /** Resolves once every queued append and task has finished. */
  async drain(): Promise<void> {
    while (this.running) await this.running;
  }

  private kick(): void {
    if (this.running) return;
    // Starting on a microtask lets appends issued in the same tick join the first batch.
    this.running = Promise.resolve()
      .then(() => this.loop())
      .then(() => {
        this.running = undefined;
        // Work queued between the loop's last check and now would otherwise wait forever.
        if (this.queue.length > 0 || this.tasks.length > 0) this.kick();
      });
  }

  /** Never rejects: every failure is reported to the writes or tasks it concerns. */
  private async loop(): Promise<void> {
    while (this.queue.length > 0 || this.tasks.length > 0) {
      const task = this.tasks.shift();
      if (task) {
        await task();
        continue;
      }
      await this.flushBatch(this.takeBatch());
      try {
        await this.afterBatch();
      } catch (error) {
        this.markBroken('Log maintenance failed; reopen the datasource', error);
      }
    }
  }

  private takeBatch(): QueuedAppend[] {
    let bytes = 0;
    let count = 0;
    while (count < this.queue.length && (count === 0 || bytes < MAX_BATCH_BYTES)) {
      bytes += (this.queue[count] as QueuedAppend).line.length;
      count++;
    }
    return this.queue.splice(0, count);
  }

  private async flushBatch(batch: QueuedAppend[]): Promise<void> {
    if (this.broken) return this.rejectAll(batch, this.broken);
    const data = Buffer.from(batch.map((item) => item.line).join(''), 'utf8');
    const sizeBefore = this.size;
    try {
      await writeFully(this.file, data);
      await this.file.datasync();
    } catch (error) {
      await this.recoverFromFailedFlush(batch, sizeBefore, error);
      return;
    }
    this.size += data.length;
    for (const item of batch) {
      try {
        item.resolve(item.apply());
      } catch (error) {
        item.reject(error);
      }
    }
  }

  /**
   * A failed flush may have left part of the batch on disk. Cut the file back so
   * the log keeps matching memory; if even that fails, refuse further writes.
   * Queued appends were checked against the failed ones, so they fail too.
   */
  private async recoverFromFailedFlush(batch: QueuedAppend[], sizeBefore: number, cause: unknown): Promise<void> {
    const failure = new MicrolibError('MLB_ERR_UNAVAILABLE', 'The write could not be made durable', undefined, { cause });
    const failed = batch.concat(this.queue);
    this.queue = [];
    try {
      await this.file.truncate(sizeBefore);
      await this.file.datasync();
    } catch (truncateError) {
      this.markBroken('The log could not be restored after a failed write; reopen the datasource', truncateError);
    }
    this.rejectAll(failed, failure);
  }

  private rejectAll(items: QueuedAppend[], reason: unknown): void {
    for (const item of items) {
      item.abandon();
      item.reject(reason);
    }
  }
}
