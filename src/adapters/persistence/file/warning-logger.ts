/**
 * The optional logger a datasource may be given in its options (pino's
 * `warn(details, message)` shape; `console` fits too). Without one, warnings go
 * to `process.emitWarning`, because silently dropping damaged data would hide it.
 */

/** Reports a problem the datasource recovered from. */
export type WarnFunction = (details: Record<string, unknown>, message: string) => void;

interface WarningLogger {
  warn(details: Record<string, unknown>, message: string): void;
}

function isWarningLogger(value: unknown): value is WarningLogger {
  return typeof value === 'object' && value !== null && typeof (value as { warn?: unknown }).warn === 'function';
}

/** The warn function to use for `logger` (any value from the options). */
export function warnFunctionFor(logger: unknown): WarnFunction {
  if (isWarningLogger(logger)) return (details, message) => logger.warn(details, message);
  return (details, message) => process.emitWarning(`${message} ${JSON.stringify(details)}`, { code: 'MICROLIB_DATASOURCE' });
}
