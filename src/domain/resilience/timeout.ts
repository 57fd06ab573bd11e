import { MicrolibError } from '../errors.js';
import { abortReason, invoke } from './abortable.js';

/**
 * Largest delay `setTimeout` honours; longer ones fire after 1 ms (with a
 * warning), so longer timeouts are clamped to it (~24.8 days).
 */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Rejection of {@link withTimeout} when the operation took longer than `ms`.
 * It is also the `reason` of the signal the operation received. Code
 * `MLB_ERR_TIMEOUT`: the dependency did not answer in time.
 */
export class TimeoutError extends MicrolibError {
  /** The timeout that elapsed, in milliseconds. */
  readonly ms: number;

  constructor(ms: number) {
    super('MLB_ERR_TIMEOUT', `Operation timed out after ${ms} ms`);
    this.name = 'TimeoutError';
    this.ms = ms;
  }
}

/** Options of {@link withTimeout}. */
export interface TimeoutOptions {
  /** A caller's signal: its abort also aborts the operation and rejects with its reason. */
  signal?: AbortSignal;
}

/**
 * Runs `operation` with a deadline of `ms` milliseconds.
 *
 * The operation receives an AbortSignal that aborts when the deadline passes
 * (reason: the {@link TimeoutError}) or when `options.signal` aborts (reason:
 * that signal's reason); pass it to `fetch`, sockets, etc. so the work really
 * stops. Either way the returned promise rejects at once with that reason, and
 * a result the operation produces later is discarded, so an operation that
 * ignores its signal cannot outlive the deadline for the caller.
 *
 * The timer and the listener on `options.signal` are removed as soon as the
 * call settles, so a finished call keeps nothing alive.
 *
 * @param ms - Deadline in milliseconds, `>= 0`; `Infinity` means no deadline
 *   (only `options.signal` can cancel). Invalid values reject with RangeError.
 */
export function withTimeout<T>(
  operation: (signal: AbortSignal) => Promise<T>,
  ms: number,
  options: TimeoutOptions = {},
): Promise<T> {
  if (typeof ms !== 'number' || !(ms >= 0)) {
    return Promise.reject(new RangeError(`withTimeout: ms must be a number >= 0, got ${String(ms)}`));
  }
  const outer = options.signal;
  if (outer?.aborted) return Promise.reject(abortReason(outer));

  const controller = new AbortController();
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;

    const finish = (): boolean => {
      if (settled) return false;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      outer?.removeEventListener('abort', onOuterAbort);
      return true;
    };
    const cancel = (reason: unknown): void => {
      if (!finish()) return;
      controller.abort(reason);
      reject(reason);
    };
    const onOuterAbort = (): void => cancel(abortReason(outer!));

    outer?.addEventListener('abort', onOuterAbort, { once: true });
    if (ms !== Infinity) {
      timer = setTimeout(() => cancel(new TimeoutError(ms)), Math.min(ms, MAX_TIMER_MS));
    }

    invoke(() => operation(controller.signal)).then(
      (value) => {
        if (finish()) resolve(value);
      },
      (error: unknown) => {
        if (finish()) reject(error);
      },
    );
  });
}
