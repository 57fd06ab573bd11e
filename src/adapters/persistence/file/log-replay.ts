/**
 * Rebuilds a collection from its log when the file datasource opens, and
 * repairs what a crash can leave behind: an unfinished last line is cut off
 * (later appends would otherwise be glued to it). Damaged complete lines are
 * skipped (the lines after them still count) and returned, for the caller to
 * move aside once.
 */
import type { FileHandle } from 'node:fs/promises';
import { MicrolibError } from '../../../domain/errors.js';
import type { InMemoryCollection } from '../memory/in-memory-collection.js';
import { LiveBytes } from './live-bytes.js';
import { decodeLine, LOG_FORMAT_VERSION } from './log-codec.js';
import { scanLogLines } from './log-reader.js';
import type { WarnFunction } from './warning-logger.js';

/** A complete line of the log that does not decode: where it is and why. */
export interface DamagedLine {
  offset: number;
  /** Length without its newline. */
  length: number;
  reason: string;
}

/** The log after replay. */
export interface ReplayedLog {
  /** Size of the log after any repair. */
  size: number;
  /** Line sizes of the live records. */
  live: LiveBytes;
  /** The highest creation sequence number the log shows (its lines, or a compacted log's header). */
  highSeq: number;
  /** Damaged complete lines, in file order. */
  damaged: DamagedLine[];
}

/**
 * Applies every intact line of `file` to `collection` (which should be empty).
 * @throws MicrolibError `MLB_ERR_UNAVAILABLE` when the log was written in an unknown format version.
 */
export async function replayLog(file: FileHandle, collection: InMemoryCollection, logPath: string, warn: WarnFunction): Promise<ReplayedLog> {
  const live = new LiveBytes();
  const damaged: DamagedLine[] = [];
  let highSeq = 0;
  // Indexes are built once after the replay, not kept up to date line by line.
  collection.deferIndexes();
  const scan = await scanLogLines(file, (line, offset) => {
    const entry = decodeLine(line);
    switch (entry.kind) {
      case 'header':
        if (entry.version !== LOG_FORMAT_VERSION) {
          throw new MicrolibError('MLB_ERR_UNAVAILABLE', `${logPath} uses log format version ${entry.version}; this host reads version ${LOG_FORMAT_VERSION}`);
        }
        highSeq = Math.max(highSeq, entry.seq);
        break;
      case 'put':
        collection.restore(entry.record, entry.seq);
        live.set(entry.record.id, line.length + 1);
        highSeq = Math.max(highSeq, entry.seq);
        break;
      case 'delete':
        collection.remove(entry.id);
        live.delete(entry.id);
        break;
      case 'corrupt':
        damaged.push({ offset, length: line.length, reason: entry.reason });
        break;
    }
  });
  collection.finishRestore();
  if (scan.completeEnd < scan.size) {
    // A torn tail was never acknowledged (its fdatasync never returned), so dropping it loses nothing promised.
    await file.truncate(scan.completeEnd);
    await file.sync();
    warn({ file: logPath, offset: scan.completeEnd, droppedBytes: scan.size - scan.completeEnd }, 'Cut an unfinished line off the end of the datasource log');
  }
  return { size: scan.completeEnd, live, highSeq, damaged };
}
