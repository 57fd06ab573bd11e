/**
 * The sidecar of a log (`<collection>.log.meta`): what the log held at its last
 * checkpoint, so an open that finds less (a log emptied, truncated or replaced
 * by an older copy) can tell instead of starting silently with what is left.
 *
 * Written off the write path: when the log opens, after each compaction, every
 * `intervalMs` while something changed, and on a clean close (then it is exact).
 * Each write goes to a temporary file, is fsynced and renamed over the sidecar,
 * so a crash leaves the old sidecar or the new one. It only ever records durable
 * state, so a crash can leave the log ahead of it, never behind.
 */
import { open, readFile, rename } from 'node:fs/promises';
import { writeFully } from './file-io.js';

/** What the log held at a checkpoint. */
export interface LogCheckpoint {
  /** Live records. */
  records: number;
  /** The highest creation sequence number given; it never goes down. */
  lastSeq: number;
  /** Size of the log in bytes. */
  bytes: number;
  /** Written by a clean close: nothing was written after it, so the next open must find exactly this. */
  clean: boolean;
  /** When (ISO). */
  at: string;
}

const FORMAT = 1;

/** Reads the sidecar; undefined when there is none. An unreadable one is reported and ignored (it only guards). */
export async function readCheckpoint(path: string, onUnreadable: (reason: string) => void): Promise<LogCheckpoint | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    onUnreadable(String(error));
    return undefined;
  }
  try {
    const value = JSON.parse(text) as Partial<LogCheckpoint> & { v?: unknown };
    const counts = [value.records, value.lastSeq, value.bytes];
    if (value.v !== FORMAT || !counts.every((n) => Number.isSafeInteger(n) && (n as number) >= 0) || typeof value.clean !== 'boolean') throw new Error('unexpected content');
    return { records: value.records!, lastSeq: value.lastSeq!, bytes: value.bytes!, clean: value.clean, at: String(value.at) };
  } catch (error) {
    onUnreadable((error as Error).message);
    return undefined;
  }
}

/** Replaces the sidecar with `checkpoint`, durably. */
export async function writeCheckpoint(path: string, checkpoint: LogCheckpoint): Promise<void> {
  const temp = `${path}-tmp`;
  const file = await open(temp, 'w');
  try {
    await writeFully(file, Buffer.from(`${JSON.stringify({ v: FORMAT, ...checkpoint })}\n`, 'utf8'));
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temp, path);
}

/** The durable state of a log now, as a checkpoint would record it (without `clean` and `at`). */
export type LogState = Pick<LogCheckpoint, 'records' | 'lastSeq' | 'bytes'>;

/**
 * Writes a log's sidecar every `intervalMs` while its state changes, and on demand;
 * one write at a time. The timer never keeps the process alive.
 */
export class Checkpointer {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private last = '';

  constructor(
    private readonly path: string,
    private readonly state: () => LogState,
    private readonly intervalMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    if (this.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => void this.write(false), this.intervalMs);
    this.timer.unref();
  }

  /**
   * Writes the state now, if it changed since the last write (or `clean`, which a
   * close always records). Never rejects: a failed write is reported and the next one retries.
   */
  write(clean: boolean): Promise<void> {
    this.writing = this.writing.then(async () => {
      const state = this.state();
      const key = JSON.stringify(state);
      if (!clean && key === this.last) return;
      try {
        await writeCheckpoint(this.path, { ...state, clean, at: new Date().toISOString() });
        this.last = clean ? '' : key;
      } catch (error) {
        this.onError(error);
      }
    });
    return this.writing;
  }

  /** Stops the timer and waits for a write in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.writing;
  }
}
