/**
 * Driver errors as the host's errors: a duplicate key is MLB_ERR_CONFLICT, a
 * server that is away or overloaded MLB_ERR_UNAVAILABLE, a refused index or
 * connection string or a record the driver cannot encode MLB_ERR_VALIDATION,
 * anything else MLB_ERR_INTERNAL (whose message the HTTP layer keeps for the
 * log: a client sees only a request id). The URL's credentials never reach a message.
 */
import {
  BSON,
  MongoClientClosedError,
  MongoError,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoOperationTimeoutError,
  MongoParseError,
  MongoServerClosedError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
  MongoWriteConcernError,
} from 'mongodb';
import { MicrolibError } from '../../../domain/errors.js';
import type { MongoSettings } from './mongodb-settings.js';

/**
 * Server error codes that mean "not now" rather than "never": the server or its
 * primary is going away, stepping down, or could not reach a majority in time.
 */
const UNAVAILABLE_CODES = new Set([
  6, // HostUnreachable
  7, // HostNotFound
  50, // MaxTimeMSExpired
  64, // WriteConcernFailed
  89, // NetworkTimeout
  91, // ShutdownInProgress
  189, // PrimarySteppedDown
  262, // ExceededTimeLimit
  9001, // SocketException
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);
/** Node socket errors that mean the server went away. */
const SOCKET_ERROR_CODES = new Set(['EPIPE', 'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ERR_SOCKET_CLOSED', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END']);
const UNAVAILABLE_LABELS = ['RetryableWriteError', 'ResetPool', 'SystemOverloadedError'];
/** Index definitions the server refuses: a configuration problem of the model's spec. */
const INDEX_CONFLICT_CODES = new Set([
  67, // CannotCreateIndex
  85, // IndexOptionsConflict
  86, // IndexKeySpecsConflict
]);
const AUTHENTICATION_FAILED = 18;

/** What a message about one datasource's error may name. */
export type MongoErrorContext = Pick<MongoSettings, 'hosts' | 'scrub' | 'collectionName' | 'writeConcern'>;

/**
 * A real duplicate key: code 11000 with the key named or the server's usual message.
 * Some MongoDB look-alikes report unrelated write failures with that code.
 */
export function isDuplicateKey(error: unknown): error is MongoServerError {
  if (!(error instanceof MongoServerError) || error.code !== 11000) return false;
  return error['keyPattern'] !== undefined || error.errorResponse?.['keyPattern'] !== undefined || /duplicate key/i.test(error.message);
}

/** MLB_ERR_CONFLICT for a duplicate key, naming the field: `id` for `_id`, else the unique index's first field. */
export function duplicateKeyError(error: MongoServerError, collectionName: string, id: string): MicrolibError {
  const pattern = (error['keyPattern'] ?? error.errorResponse?.['keyPattern']) as Record<string, unknown> | undefined;
  return duplicateOf(pattern, error.message, collectionName, id, error);
}

function duplicateOf(pattern: Record<string, unknown> | undefined, message: string, collectionName: string, id: string, cause: unknown): MicrolibError {
  let fields = pattern ? Object.keys(pattern) : [];
  if (fields.length === 0) {
    // Servers that leave keyPattern out still name the index: "... index: email_1 dup key: { email: ... }".
    const named = /dup key: \{ ?"?([^":\s]+)"?\s*:/.exec(message);
    fields = named ? [named[1] as string] : /index: _id_/.test(message) ? ['_id'] : [];
  }
  if (fields.length === 0 || fields.includes('_id')) {
    return new MicrolibError('MLB_ERR_CONFLICT', `A record with id "${id}" already exists in ${collectionName}`, 'id', { cause });
  }
  const names = fields.map((field) => `"${field}"`).join(', ');
  return new MicrolibError('MLB_ERR_CONFLICT', `Another record in ${collectionName} already has the same ${names} (unique index)`, fields[0], { cause });
}

/** One document an `insertMany` refused, as the driver reports it (`WriteError`). */
export interface InsertWriteError {
  readonly code?: unknown;
  readonly errmsg?: string | undefined;
  readonly err?: { readonly keyPattern?: unknown };
}

/** The host's error for one document an unordered `insertMany` refused (the others may be stored). */
export function insertItemError(writeError: InsertWriteError, settings: MongoErrorContext, id: string): MicrolibError {
  const message = writeError.errmsg ?? '';
  const pattern = writeError.err?.keyPattern as Record<string, unknown> | undefined;
  if (writeError.code === 11000 && (pattern !== undefined || /duplicate key/i.test(message))) return duplicateOf(pattern, message, settings.collectionName, id, writeError);
  return new MicrolibError('MLB_ERR_INTERNAL', `MongoDB could not create record "${id}" in ${settings.collectionName}: ${settings.scrub(message)}`, undefined, { cause: writeError });
}

/** A Node socket error that means the server went away. */
function isSocketError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && SOCKET_ERROR_CODES.has(code);
}

/**
 * A failure to reach the server at all: no server selectable in time, or a
 * connection that failed or broke. Errors the server answered with are not.
 */
export function isConnectivityFailure(error: unknown): boolean {
  return error instanceof MongoNetworkError || error instanceof MongoServerSelectionError || (!(error instanceof MongoError) && isSocketError(error));
}

function isUnavailable(error: unknown): boolean {
  if (
    error instanceof MongoNetworkError ||
    error instanceof MongoServerSelectionError ||
    error instanceof MongoTopologyClosedError ||
    error instanceof MongoNotConnectedError ||
    error instanceof MongoClientClosedError ||
    error instanceof MongoServerClosedError ||
    error instanceof MongoOperationTimeoutError ||
    error instanceof MongoWriteConcernError
  ) {
    return true;
  }
  // A socket the server closed can surface as Node's own error (EPIPE: "This socket has been ended by the other party").
  if (!(error instanceof MongoError)) return isSocketError(error);
  if (UNAVAILABLE_LABELS.some((label) => error.hasErrorLabel(label))) return true;
  return typeof error.code === 'number' && UNAVAILABLE_CODES.has(error.code);
}

/**
 * Turns a driver error into the host's error, with the URL's credentials blanked out.
 * @param what the operation, for the message ("create a record in orders")
 * @param write whether the operation writes: a cut connection then may or may not have applied it
 */
export function toMicrolibError(error: unknown, settings: MongoErrorContext, what: string, write: boolean): MicrolibError {
  if (error instanceof MicrolibError) return error;
  const detail = settings.scrub(error instanceof Error ? error.message : String(error));
  if (isDuplicateKey(error)) return duplicateKeyError(error, settings.collectionName, '');
  if (BSON.BSONError.isBSONError(error) && /null bytes/.test(error.message)) {
    // The record's own data cannot be encoded (a field name holding a NUL character): the client's to fix.
    return new MicrolibError('MLB_ERR_VALIDATION', `The record cannot be stored in MongoDB: ${detail}`, undefined, { cause: error });
  }
  if (error instanceof MongoParseError) {
    return new MicrolibError('MLB_ERR_VALIDATION', `The MongoDB connection string is not valid: ${detail}`, 'url', { cause: error });
  }
  if (error instanceof MongoServerError && typeof error.code === 'number' && INDEX_CONFLICT_CODES.has(error.code)) {
    return new MicrolibError('MLB_ERR_VALIDATION', `MongoDB refused the indexes of ${settings.collectionName}: ${detail}`, 'indexes', { cause: error });
  }
  if (error instanceof MongoServerError && error.code === AUTHENTICATION_FAILED) {
    return new MicrolibError('MLB_ERR_UNAVAILABLE', `MongoDB at ${settings.hosts} refused the login: ${detail}`, undefined, { cause: error });
  }
  if (isUnavailable(error)) {
    // Server selection fails before anything is sent; a dropped connection may cut a write after it was applied.
    const outcome = write && !(error instanceof MongoServerSelectionError) ? ' (the write may or may not have been applied)' : '';
    const message =
      error instanceof MongoWriteConcernError
        ? `MongoDB at ${settings.hosts} did not confirm the write with write concern ${JSON.stringify(settings.writeConcern)}: ${detail}${outcome}`
        : `MongoDB at ${settings.hosts} is unreachable: ${detail}${outcome}`;
    return new MicrolibError('MLB_ERR_UNAVAILABLE', message, undefined, { cause: error });
  }
  return new MicrolibError('MLB_ERR_INTERNAL', `MongoDB could not ${what}: ${detail}`, undefined, { cause: error });
}
