/** Logging: level and format of the host's log (pino), and whether each request is logged. */
import { flag, oneOf, type Env } from '../../../config/env-reader.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export interface LoggingSettings {
  logLevel: string;
  /** `json` (one object per line), `pretty` (readable, for a terminal) or `auto`: pretty in development mode on a terminal. */
  logFormat: 'json' | 'pretty' | 'auto';
  /** One log line per answered request (method, path, status, ms, request id). */
  logRequests: boolean;
  /** Development mode: reload and rollback need no credential, logs are readable. Never in production. */
  devMode: boolean;
}

export function readLoggingSettings(env: Env): LoggingSettings {
  return {
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    logFormat: oneOf(env, 'LOG_FORMAT', ['json', 'pretty', 'auto'] as const, 'auto'),
    // Unset: on in development mode, where reading each request is the point.
    logRequests: env.LOG_REQUESTS?.trim() ? flag(env, 'LOG_REQUESTS') : flag(env, 'MICROLIB_DEV_MODE'),
    devMode: flag(env, 'MICROLIB_DEV_MODE'),
  };
}
