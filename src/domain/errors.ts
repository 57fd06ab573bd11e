/**
 * Errors the host reports to clients. Each has a stable `code` (in the spirit of
 * Fastify's FST_ERR_*) that adapters map to a transport status; domain code never
 * names an HTTP status.
 */
export type ErrorCode =
  | 'MLB_ERR_VALIDATION'
  | 'MLB_ERR_NOT_FOUND'
  | 'MLB_ERR_CONFLICT'
  | 'MLB_ERR_PRECONDITION_FAILED'
  | 'MLB_ERR_BAD_QUERY'
  | 'MLB_ERR_METHOD_NOT_ALLOWED'
  | 'MLB_ERR_PAYLOAD_TOO_LARGE'
  | 'MLB_ERR_UNSUPPORTED_MEDIA_TYPE'
  /** No format the client's `Accept` allows: the generated API answers JSON or MessagePack. */
  | 'MLB_ERR_NOT_ACCEPTABLE'
  | 'MLB_ERR_BAD_JSON'
  | 'MLB_ERR_UNAUTHORIZED'
  | 'MLB_ERR_FORBIDDEN'
  | 'MLB_ERR_TOO_MANY_REQUESTS'
  | 'MLB_ERR_UNAVAILABLE'
  | 'MLB_ERR_TIMEOUT'
  | 'MLB_ERR_PORT_FAILED'
  | 'MLB_ERR_NOT_IMPLEMENTED'
  /** A node got a forwarded request for a model it does not serve: the nodes disagree on the placements. */
  | 'MLB_ERR_PLACEMENT_MISMATCH'
  /** A remote's worker is stopped, restarting, crash-looping or has too many calls waiting (isolation `thread`/`process`). */
  | 'MLB_ERR_REMOTE_UNAVAILABLE'
  | 'MLB_ERR_INTERNAL';

export class MicrolibError extends Error {
  readonly code: ErrorCode;
  /** The request field the error is about, when there is one. */
  readonly field: string | undefined;

  constructor(code: ErrorCode, message: string, field?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MicrolibError';
    this.code = code;
    this.field = field;
  }
}

/**
 * A refusal or failure raised by the model's own code (its factory, validate or a
 * hook threw): answered as its code says, and counted as a failure of the version
 * that served the request when a canary compares two versions.
 */
export class ModelCodeError extends MicrolibError {}

export const validationError = (message: string, field?: string) => new MicrolibError('MLB_ERR_VALIDATION', message, field);
export const notFoundError = (message: string) => new MicrolibError('MLB_ERR_NOT_FOUND', message);
export const conflictError = (message: string, field?: string) => new MicrolibError('MLB_ERR_CONFLICT', message, field);
export const badQueryError = (message: string, field?: string) => new MicrolibError('MLB_ERR_BAD_QUERY', message, field);
