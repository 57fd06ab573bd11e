/**
 * Opening a file datasource's log: replay it into memory, compare it with its
 * sidecar (refusing a log that lost acknowledged records, unless told to accept
 * that), move damaged lines aside once, and start an empty log with its header.
 */
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { InMemoryCollection } from '../memory/in-memory-collection.js';
import type { IndexDeclaration } from '../memory/index-declarations.js';
import { copyDamagedLines } from './damaged-lines.js';
import { ACCEPT_DATA_LOSS_SETTING, dataLossError, missingSince, type FoundLog } from './data-loss.js';
import { syncCreatedDirectories, syncDirectory, writeFully } from './file-io.js';
import type { LiveBytes } from './live-bytes.js';
import { readCheckpoint } from './log-checkpoint.js';
import { encodeHeaderLine } from './log-codec.js';
import { installSnapshot } from './log-compaction.js';
import { replayLog } from './log-replay.js';
import type { WarnFunction } from './warning-logger.js';

/** Where one collection's files are. */
export interface LogFiles {
  collection: string;
  dataDir: string;
  logPath: string;
  /** A compaction's snapshot before its rename. */
  tempPath: string;
  /** The sidecar (log-checkpoint.ts). */
  metaPath: string;
  /** Damaged lines moved out of the log. */
  corruptPath: string;
}

/** A log ready for appends, and what it holds. */
export interface OpenedLog {
  file: FileHandle;
  size: number;
  collection: InMemoryCollection;
  live: LiveBytes;
  /** The highest creation sequence number given so far. */
  highSeq: number;
}

/** Damaged lines named in the warning; the rest are counted. */
const REPORTED_DAMAGE = 5;

/**
 * Opens (creating if needed) and replays the log. The caller owns the handle.
 * @throws MicrolibError `MLB_ERR_UNAVAILABLE` when acknowledged records are missing and `acceptDataLoss` is false,
 * or the log's format version is unknown.
 */
export async function openLogFile(
  files: LogFiles,
  options: { acceptDataLoss: boolean; warn: WarnFunction; indexes?: readonly IndexDeclaration[] },
): Promise<OpenedLog> {
  const { collection: name, dataDir, logPath, tempPath, metaPath, corruptPath } = files;
  const { warn } = options;
  await syncCreatedDirectories(dataDir, await mkdir(dataDir, { recursive: true }));
  // A leftover snapshot means a compaction was interrupted before its rename: the log itself is intact.
  await rm(tempPath, { force: true });
  let file = await open(logPath, 'a+');
  try {
    const collection = new InMemoryCollection(options.indexes);
    const replayed = await replayLog(file, collection, logPath, warn);
    let { size, live } = replayed;
    const { highSeq, damaged } = replayed;
    collection.advanceSeq(highSeq);

    const checkpoint = await readCheckpoint(metaPath, (reason) => warn({ file: metaPath, reason }, 'Ignored an unreadable datasource sidecar; the next checkpoint replaces it'));
    const found: FoundLog = { records: collection.size, highSeq, bytes: size, damaged: damaged.length };
    const missing = checkpoint && missingSince(found, checkpoint);
    if (checkpoint && missing) {
      const details = { file: logPath, sidecar: metaPath, found, sidecarSays: checkpoint };
      // Checked before anything is rewritten, so a refused log stays as found, for a restore.
      if (!options.acceptDataLoss) {
        const error = dataLossError(name, logPath, metaPath, missing, checkpoint, found);
        warn(details, error.message);
        throw error;
      }
      warn(details, `DATA LOSS ACCEPTED (${ACCEPT_DATA_LOSS_SETTING}): ${logPath} holds fewer records than acknowledged (${missing}); going on with what it holds`);
    }

    if (damaged.length > 0) {
      // Moved aside once: the log is rewritten without them, so the next start has nothing to report.
      await copyDamagedLines(file, damaged, corruptPath);
      const snapshot = await installSnapshot(collection, tempPath, logPath, highSeq);
      await file.close().catch(() => undefined);
      file = snapshot.file;
      size = snapshot.size;
      live = snapshot.live;
      warn(
        { file: logPath, movedTo: corruptPath, damagedLines: damaged.length, firstDamaged: damaged.slice(0, REPORTED_DAMAGE).map(({ offset, reason }) => ({ offset, reason })) },
        'Moved damaged lines of the datasource log aside; the records they held are lost',
      );
    }
    if (size === 0) {
      const header = Buffer.from(encodeHeaderLine(highSeq), 'utf8');
      await writeFully(file, header);
      await file.sync();
      size = header.length;
    }
    // Makes the log's directory entry (and a rename above) durable.
    await syncDirectory(dataDir);
    return { file, size, collection, live, highSeq };
  } catch (error) {
    await file.close().catch(() => undefined);
    throw error;
  }
}
