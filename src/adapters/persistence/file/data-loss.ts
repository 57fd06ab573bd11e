/**
 * Whether a log holds less than its sidecar says it held: acknowledged records
 * are missing (the log was emptied, truncated, or replaced by an older copy).
 * Damaged lines are not silent loss: they are reported and moved aside.
 */
import { MicrolibError } from '../../../domain/errors.js';
import type { LogCheckpoint } from './log-checkpoint.js';

/** The setting that lets a log with missing records open anyway. */
export const ACCEPT_DATA_LOSS_SETTING = 'FILE_ACCEPT_DATA_LOSS';

/** What an open found in the log. */
export interface FoundLog {
  records: number;
  highSeq: number;
  bytes: number;
  /** Damaged lines skipped (each may have held a record). */
  damaged: number;
}

/** What is missing compared with `checkpoint`, in words; undefined when nothing is. */
export function missingSince(found: FoundLog, checkpoint: LogCheckpoint): string | undefined {
  // Creation sequence numbers never go down: a lower highest one means created records are gone.
  if (found.highSeq < checkpoint.lastSeq && found.damaged === 0) {
    return `records were created up to sequence ${checkpoint.lastSeq}, the log shows only up to ${found.highSeq}`;
  }
  if (!checkpoint.clean) return undefined;
  // After a clean close nothing wrote to the log: it must be as it was left.
  if (found.bytes < checkpoint.bytes) return `the log was closed at ${checkpoint.bytes} bytes and is now ${found.bytes}`;
  if (found.records + found.damaged < checkpoint.records) return `the log was closed with ${checkpoint.records} records and now holds ${found.records}`;
  return undefined;
}

/** The refusal: what is missing, and the two ways on. */
export function dataLossError(collection: string, logPath: string, metaPath: string, missing: string, checkpoint: LogCheckpoint, found: FoundLog): MicrolibError {
  return new MicrolibError(
    'MLB_ERR_UNAVAILABLE',
    `file datasource "${collection}": ${logPath} holds ${found.records} records, fewer than acknowledged: ${missing} ` +
      `(sidecar ${metaPath}, written ${checkpoint.at}). The log was emptied, truncated or replaced; restore it from a backup, ` +
      `or set ${ACCEPT_DATA_LOSS_SETTING}=1 for one start to go on with what it holds (deleting ${metaPath} does the same for this log).`,
  );
}
