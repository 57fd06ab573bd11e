import { messageOf } from './error-code.js';

/** An error reduced to what can be stored as JSON. */
export interface SerializedError {
  name: string;
  message: string;
  /** The error's `code` when it has a string one (e.g. `MLB_ERR_NOT_FOUND`, `ECONNRESET`). */
  code?: string;
}

/** Reduces any thrown value to a {@link SerializedError}. */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? { name: error.name, message: error.message, code } : { name: error.name, message: error.message };
  }
  return { name: 'NonError', message: messageOf(error) };
}
