/**
 * Rebuilds a collection from its log when the file datasource opens, and
 * repairs what a crash can leave behind: an unfinished last line is cut off
 * (later appends would otherwise be glued to it), damaged complete lines are
 * skipped and reported, and the lines after them still count.
 */
import type { FileHandle } from 'node:fs/promises';
import { MicrolibError } from '../../../domain/errors.js';
import type { InMemoryCollection } from '../memory/in-memory-collection.js';
import { LiveBytes } from './live-bytes.js';
import { decodeLine, LOG_FORMAT_VERSION } from './log-codec.js';
import { scanLogLines } from './log-reader.js';
import type { WarnFunction } from './warning-logger.js';

/** Damaged lines reported individually before the rest are only counted. */
const REPORTED_DAMAGE = 5;

/** The log after replay. */
export interface ReplayedLog {
  /** Size of the log after any repair. */
  size: number;
  /** Line sizes of the live records. */
  live: LiveBytes;
}

/**
 * Applies every intact line of `file` to `collection` (which should be empty).
 * @throws MicrolibError `MLB_ERR_UNAVAILABLE` when the log was written in an unknown format version.
 */
export async function replayLog(file: FileHandle, collection: InMemoryCollection, logPath: string, warn: WarnFunction): Promise<ReplayedLog> {
  const live = new LiveBytes();
  const damaged: { offset: number; reason: string }[] = [];
  let damagedCount = 0;
  const scan = await scanLogLines(file, (line, offset) => {
    const entry = decodeLine(line);
    switch (entry.kind) {
      case 'header':
        if (entry.version !== LOG_FORMAT_VERSION) {
          throw new MicrolibError('MLB_ERR_UNAVAILABLE', `${logPath} uses log format version ${entry.version}; this host reads version ${LOG_FORMAT_VERSION}`);
        }
        break;
      case 'put':
        collection.restore(entry.record, entry.seq);
        live.set(entry.record.id, line.length + 1);
        break;
      case 'delete':
        collection.remove(entry.id);
        live.delete(entry.id);
        break;
      case 'corrupt':
        damagedCount++;
        if (damaged.length < REPORTED_DAMAGE) damaged.push({ offset, reason: entry.reason });
        break;
    }
  });
  collection.finishRestore();
  if (damagedCount > 0) {
    warn({ file: logPath, damagedLines: damagedCount, firstDamaged: damaged }, 'Skipped damaged lines in the datasource log; the records they held are lost');
  }
  if (scan.completeEnd < scan.size) {
    // A torn tail was never acknowledged (its fdatasync never returned), so dropping it loses nothing promised.
    await file.truncate(scan.completeEnd);
    await file.sync();
    warn({ file: logPath, offset: scan.completeEnd, droppedBytes: scan.size - scan.completeEnd }, 'Cut an unfinished line off the end of the datasource log');
  }
  return { size: scan.completeEnd, live };
}
