/** What a file datasource is configured with: its files and options, checked once when it is created. */
import { join, resolve } from 'node:path';
import type { DatasourceOptions } from '../../../domain/datasource.js';
import { validationError } from '../../../domain/errors.js';
import { readIndexDeclarations, type IndexDeclaration } from '../memory/index-declarations.js';
import { checkCollectionName } from './collection-name.js';
import type { LogFiles } from './log-open.js';
import { warnFunctionFor, type WarnFunction } from './warning-logger.js';

/** Options the file datasource reads from {@link DatasourceOptions}, besides `collection` and `dataDir`. */
export interface FileDatasourceOptions {
  /** Compact only once the log is at least this many bytes (default 4 MiB). */
  compactMinBytes?: number;
  /** Compact when the log is more than this many times the size of a fresh snapshot (default 2, at least 1). */
  compactRatio?: number;
  /** Receives warnings about repaired logs, e.g. a pino logger. */
  logger?: unknown;
  /** Open a log that holds fewer records than its sidecar says were acknowledged (FILE_ACCEPT_DATA_LOSS); default false: refuse. */
  acceptDataLoss?: boolean;
  /** How often the sidecar is brought up to date while the log changes (default 10 s; 0: only at open, compaction and close). */
  checkpointIntervalMs?: number;
  /** In-memory indexes, in the mongodb datasource's shape (see index-declarations.ts). */
  indexes?: unknown;
}

const DEFAULT_COMPACT_MIN_BYTES = 4 << 20;
const DEFAULT_COMPACT_RATIO = 2;
const DEFAULT_CHECKPOINT_INTERVAL_MS = 10_000;

/** A file datasource's files and settings. */
export interface FileSettings extends LogFiles {
  compactMinBytes: number;
  compactRatio: number;
  acceptDataLoss: boolean;
  checkpointIntervalMs: number;
  indexes: IndexDeclaration[];
  warn: WarnFunction;
}

/** @throws MicrolibError `MLB_ERR_VALIDATION` for an unsafe collection name or bad options (index declarations included). */
export function readFileSettings(options: DatasourceOptions): FileSettings {
  const collection = checkCollectionName(options.collection);
  if (typeof options.dataDir !== 'string' || options.dataDir.length === 0) {
    throw validationError('The file datasource needs a dataDir', 'dataDir');
  }
  const dataDir = resolve(options.dataDir);
  const logPath = join(dataDir, `${collection}.log`);
  return {
    collection,
    dataDir,
    logPath,
    tempPath: `${logPath}.compact-tmp`,
    metaPath: `${logPath}.meta`,
    corruptPath: `${logPath}.corrupt`,
    compactMinBytes: numberOption(options, 'compactMinBytes', DEFAULT_COMPACT_MIN_BYTES, 0),
    compactRatio: numberOption(options, 'compactRatio', DEFAULT_COMPACT_RATIO, 1),
    acceptDataLoss: options['acceptDataLoss'] === true,
    checkpointIntervalMs: numberOption(options, 'checkpointIntervalMs', DEFAULT_CHECKPOINT_INTERVAL_MS, 0),
    indexes: readIndexDeclarations(options['indexes']),
    warn: warnFunctionFor(options['logger']),
  };
}

function numberOption(options: DatasourceOptions, name: keyof FileDatasourceOptions, fallback: number, minimum: number): number {
  const value = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < minimum) {
    throw validationError(`${name} must be a number of at least ${minimum}`, name);
  }
  return value;
}
