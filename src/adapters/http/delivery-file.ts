/**
 * The webhook delivery ids (`X-GitHub-Delivery`) already processed, kept in a
 * file under DATA_DIR so that a delivery sent again after a restart is still
 * recognised. Bounded in count and age: the newest `capacity` ids of the last
 * `maxAgeMs`. One process writes it: the host that locks DATA_DIR, or in a
 * cluster the primary, which answers its workers over IPC.
 *
 * The file holds one JSON line per id (`{"id":"…","at":<ms>}`), appended and
 * synced before the delivery is answered. A torn last line (a crash
 * mid-append) is skipped; the file is rewritten (temporary file, fsync,
 * rename) when it loads with ids to drop and when it grows to twice the bound.
 *
 * The id is a header the signature does not cover, so this only stops a
 * delivery sent again as it was; a push is never deployed backwards anyway
 * (src/federation/push-order.ts).
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { syncDirectory } from '../persistence/file/file-io.js';

export interface DeliveryFileOptions {
  /** Ids kept at most (default 10,000). */
  capacity?: number;
  /** How long an id is kept (default 7 days). */
  maxAgeMs?: number;
  now?: () => number;
}

/** The file's name in DATA_DIR. */
export const DELIVERY_FILE = 'webhook-deliveries.jsonl';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Ids are GUIDs; anything longer is kept as its hash, so a line stays small. */
function key(id: string): string {
  return id.length <= 128 ? id : `sha256:${createHash('sha256').update(id).digest('hex')}`;
}

export class DeliveryFile {
  /** Id → when it was first seen (ms); insertion order is age order. */
  private readonly seen = new Map<string, number>();
  private readonly capacity: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;
  private loaded: Promise<void> | undefined;
  /** Lines in the file, to know when to compact it. */
  private lines = 0;
  /** Writes one after the other. */
  private writing: Promise<unknown> = Promise.resolve();

  constructor(
    readonly file: string,
    options: DeliveryFileOptions = {},
  ) {
    this.capacity = options.capacity ?? 10_000;
    this.maxAgeMs = options.maxAgeMs ?? 7 * DAY_MS;
    this.now = options.now ?? Date.now;
  }

  /**
   * True the first time an id is offered (within the bounds), once it is on disk.
   * Rejects when the file cannot be read or written (the id is then remembered in
   * memory only).
   */
  async firstTime(id: string): Promise<boolean> {
    // A failed load is tried again by the next delivery.
    await (this.loaded ??= this.load().catch((error: unknown) => {
      this.loaded = undefined;
      throw error;
    }));
    const now = this.now();
    this.forget(now);
    const k = key(id);
    if (this.seen.has(k)) return false;
    this.seen.set(k, now);
    this.forget(now);
    await this.write(() => (this.lines + 1 > 2 * this.capacity ? this.rewrite() : this.append(k, now)));
    return true;
  }

  /** Drops ids past their age, then the oldest beyond the capacity. */
  private forget(now: number): void {
    for (const [id, at] of this.seen) {
      if (now - at <= this.maxAgeMs && this.seen.size <= this.capacity) break;
      this.seen.delete(id);
    }
  }

  private async load(): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    const entries: Array<[string, number]> = [];
    let lines = 0;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      lines++;
      try {
        const { id, at } = JSON.parse(line) as { id?: unknown; at?: unknown };
        if (typeof id === 'string' && typeof at === 'number' && Number.isFinite(at)) entries.push([id, at]);
      } catch {
        // A torn or damaged line: skipped, and gone once the file is rewritten.
      }
    }
    // Oldest first; an id seen again (after it had expired) keeps its latest time.
    entries.sort((a, b) => a[1] - b[1]);
    for (const [id, at] of entries) {
      this.seen.delete(id);
      this.seen.set(id, at);
    }
    this.forget(this.now());
    this.lines = lines;
    // Expired, surplus, repeated or damaged lines, or a last line without its newline: written anew.
    if (this.seen.size !== lines || (text !== '' && !text.endsWith('\n'))) await this.write(() => this.rewrite());
  }

  private write(step: () => Promise<void>): Promise<void> {
    const next = this.writing.then(step);
    this.writing = next.catch(() => undefined);
    return next;
  }

  private async append(id: string, at: number): Promise<void> {
    const handle = await open(this.file, 'a');
    try {
      await handle.appendFile(`${JSON.stringify({ id, at })}\n`);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    this.lines++;
  }

  /** The kept ids into a new file beside the old one, synced, then renamed over it. */
  private async rewrite(): Promise<void> {
    const temp = `${this.file}.tmp`;
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile([...this.seen].map(([id, at]) => `${JSON.stringify({ id, at })}\n`).join(''));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, this.file);
    await syncDirectory(path.dirname(this.file));
    this.lines = this.seen.size;
  }
}
