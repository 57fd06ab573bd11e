/**
 * Compaction: replaces a log with a snapshot of the live records. The snapshot
 * is written to a temporary file and made durable before it is renamed over the
 * log, so a crash at any point leaves either the old log or the complete new one.
 */
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { writeFully } from './file-io.js';
import type { InMemoryCollection } from '../memory/in-memory-collection.js';
import { LiveBytes } from './live-bytes.js';
import { encodeHeaderLine, encodePutLine } from './log-codec.js';

/** Characters gathered before each write, so large collections are written in bounded steps. */
const CHUNK_CHARS = 1 << 20;

/** A snapshot that has replaced the log. */
export interface InstalledSnapshot {
  /** Append handle on the new log, positioned at its end. */
  file: FileHandle;
  /** Size of the new log in bytes. */
  size: number;
  /** Line sizes of the records it holds. */
  live: LiveBytes;
}

/**
 * Writes every record of `collection` (in creation order, with its sequence
 * number) to `tempPath` after a header holding `highSeq` (the highest creation
 * sequence number given so far), fsyncs it and renames it over `logPath`. The caller
 * must keep the collection unchanged meanwhile, switch its writes to the
 * returned handle, and then fsync the directory to make the rename durable.
 *
 * If this rejects, the old log is untouched and the temporary file removed.
 */
export async function installSnapshot(collection: InMemoryCollection, tempPath: string, logPath: string, highSeq: number): Promise<InstalledSnapshot> {
  await rm(tempPath, { force: true });
  // Opened for appending so the same handle keeps serving as the log after the rename.
  const file = await open(tempPath, 'ax');
  try {
    const live = new LiveBytes();
    let size = 0;
    // The header keeps the highest sequence number given, which deleted records took with them.
    let pending: string[] = [encodeHeaderLine(highSeq)];
    let pendingChars = 0;
    const flush = async () => {
      const data = Buffer.from(pending.join(''), 'utf8');
      await writeFully(file, data);
      size += data.length;
      pending = [];
      pendingChars = 0;
    };
    for (const entry of collection.inCreationOrder()) {
      const line = encodePutLine(entry.seq, JSON.stringify(entry.record));
      live.set(entry.record.id, Buffer.byteLength(line));
      pending.push(line);
      pendingChars += line.length;
      if (pendingChars >= CHUNK_CHARS) await flush();
    }
    await flush();
    await file.sync();
    await rename(tempPath, logPath);
    return { file, size, live };
  } catch (error) {
    await file.close().catch(() => undefined);
    await rm(tempPath, { force: true }).catch(() => undefined);
    throw error;
  }
}
