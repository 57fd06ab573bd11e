/**
 * Structured JSON logs (pino): one line per event, machine-readable, cheap on the
 * hot path. In development on a terminal, readable lines instead (pino-pretty,
 * in this thread and synchronous, so a crash never loses its last lines).
 */
import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import type prettyFactory from 'pino-pretty';

/** pino-pretty is required only when readable lines are asked for (synchronously: createLogger is). */
const requireModule = createRequire(import.meta.url);

export type { Logger };

export interface LoggerOptions {
  /** `auto`: pretty when `devMode` and stdout is a terminal. */
  format?: 'json' | 'pretty' | 'auto';
  devMode?: boolean;
}

export function createLogger(level: string, options: LoggerOptions = {}): Logger {
  const base = { level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime };
  const format = options.format ?? 'json';
  const readable = format === 'pretty' || (format === 'auto' && options.devMode === true && process.stdout.isTTY === true);
  if (!readable) return pino(base);
  const pretty = requireModule('pino-pretty') as typeof prettyFactory;
  return pino(base, pretty({ sync: true, colorize: process.stdout.isTTY === true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true }));
}
