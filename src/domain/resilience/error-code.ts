import { MicrolibError, type ErrorCode } from '../errors.js';

/**
 * The code a wrapping error (retry, flow) reports for `cause`. A MicrolibError
 * keeps its own code so wrapping never changes the status a client sees (a 404
 * stays a 404 after retries); anything else raised by a port means the outside
 * world failed, hence unavailable.
 */
export function codeFromCause(cause: unknown): ErrorCode {
  return cause instanceof MicrolibError ? cause.code : 'MLB_ERR_UNAVAILABLE';
}

/** The message of `cause` for use inside another error's message. */
export function messageOf(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  try {
    return String(cause);
  } catch {
    // Objects without a prototype have no toString.
    return Object.prototype.toString.call(cause);
  }
}
