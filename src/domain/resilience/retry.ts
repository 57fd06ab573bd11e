import { MicrolibError } from '../errors.js';
import { abortReason, invoke, raceAbort, sleep as defaultSleep } from './abortable.js';
import { codeFromCause, messageOf } from './error-code.js';

/** How {@link retry} retries. */
export interface RetryPolicy {
  /** Retries after the first attempt (so at most `retries + 1` attempts); an integer `>= 0`. */
  retries: number;
  /** Backoff cap of the first retry, in ms. */
  baseDelayMs: number;
  /** Upper bound of any backoff cap, in ms. */
  maxDelayMs: number;
  /** Growth of the cap per attempt, `>= 1`. Default 2. */
  factor?: number;
  /**
   * `'full'` (default) waits a uniformly random time in `[0, cap)`, which spreads
   * the retries of many callers so they do not hit a recovering service together;
   * `'none'` waits exactly the cap.
   */
  jitter?: 'full' | 'none';
  /**
   * Whether a failure is worth retrying (default: every failure). Return false for
   * errors that will not change, e.g. validation errors or `CircuitOpenError`.
   * `attempt` is the number of the attempt that failed.
   */
  retryIf?: (error: unknown, attempt: number) => boolean;
}

/** What {@link RetryOptions.onRetry} is told before each wait. */
export interface RetryEvent {
  /** The attempt that just failed (1 for the first call). */
  attempt: number;
  /** How long retry will wait before the next attempt. */
  delayMs: number;
  /** The failure of that attempt. */
  error: unknown;
}

/** Options of {@link retry}; the injectable parts make tests deterministic. */
export interface RetryOptions {
  /** Aborting stops at once (even mid-attempt or mid-wait) and rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Waits between attempts. Default: a timer that stops early on abort. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Source of jitter in `[0, 1)`. Default `Math.random`. */
  random?: () => number;
  /** Called before each wait, e.g. for logging or metrics. A throw rejects the retry with that error. */
  onRetry?: (event: RetryEvent) => void;
}

/**
 * Rejection of {@link retry} when the operation failed for the last time: after
 * the retries ran out (`exhausted: true`) or because `retryIf` refused
 * (`exhausted: false`). `cause` is the last failure; `code` is that failure's
 * code when it is a MicrolibError, else `MLB_ERR_UNAVAILABLE`.
 *
 * Wrapping (rather than rethrowing the last error with a count stuck on it)
 * keeps the caller's error untouched, works for non-Error rejections, and gives
 * one type to catch.
 */
export class RetryError extends MicrolibError {
  /** How many times the operation ran. */
  readonly attempts: number;
  /** True when all `retries` were used; false when `retryIf` stopped earlier. */
  readonly exhausted: boolean;
  /** The failure of the last attempt. */
  override readonly cause: unknown;

  constructor(attempts: number, cause: unknown, exhausted: boolean) {
    super(
      codeFromCause(cause),
      `Failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${messageOf(cause)}`,
      undefined,
      { cause },
    );
    this.name = 'RetryError';
    this.attempts = attempts;
    this.exhausted = exhausted;
    this.cause = cause;
  }
}

/**
 * The wait after failed attempt number `attempt` (1-based):
 * `cap = min(maxDelayMs, baseDelayMs * factor^(attempt - 1))`, then `cap` with
 * jitter `'none'` or `random() * cap` with jitter `'full'`.
 */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const factor = policy.factor ?? 2;
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * factor ** (attempt - 1));
  return (policy.jitter ?? 'full') === 'none' ? cap : random() * cap;
}

function checkPolicy(policy: RetryPolicy): void {
  const fail = (what: string): never => {
    throw new RangeError(`retry: ${what}`);
  };
  if (!Number.isInteger(policy.retries) || policy.retries < 0) fail(`retries must be an integer >= 0, got ${policy.retries}`);
  if (!(policy.baseDelayMs >= 0)) fail(`baseDelayMs must be >= 0, got ${policy.baseDelayMs}`);
  if (!(policy.maxDelayMs >= 0)) fail(`maxDelayMs must be >= 0, got ${policy.maxDelayMs}`);
  if (policy.factor !== undefined && !(policy.factor >= 1)) fail(`factor must be >= 1, got ${policy.factor}`);
  if (policy.jitter !== undefined && policy.jitter !== 'full' && policy.jitter !== 'none') {
    fail(`jitter must be 'full' or 'none', got ${String(policy.jitter)}`);
  }
}

/**
 * Runs `operation` until it resolves, retrying failures with exponential
 * backoff (see {@link backoffDelay}).
 *
 * - `operation` gets the attempt number (1, 2, …) and a signal that aborts with
 *   `options.signal` (a never-aborting one without it).
 * - Resolves with the first successful result.
 * - Rejects with {@link RetryError} when the last attempt failed.
 * - Rejects with the abort reason as soon as `options.signal` aborts, without
 *   waiting for a running attempt or wait to end.
 * - Rejects with RangeError for an invalid policy, before any attempt.
 */
export async function retry<T>(
  operation: (attempt: number, signal: AbortSignal) => Promise<T>,
  policy: RetryPolicy,
  options: RetryOptions = {},
): Promise<T> {
  checkPolicy(policy);
  const signal = options.signal ?? new AbortController().signal;
  const wait = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;

  for (let attempt = 1; ; attempt++) {
    if (signal.aborted) throw abortReason(signal);
    try {
      return await raceAbort(invoke(() => operation(attempt, signal)), signal);
    } catch (error) {
      // An attempt failing because of the abort reports the abort, not its side effect.
      if (signal.aborted) throw abortReason(signal);
      const exhausted = attempt > policy.retries;
      if (exhausted || !(policy.retryIf?.(error, attempt) ?? true)) {
        throw new RetryError(attempt, error, exhausted);
      }
      const delayMs = backoffDelay(attempt, policy, random);
      options.onRetry?.({ attempt, delayMs, error });
      // Raced too, so an injected sleep that ignores the signal still stops on abort.
      await raceAbort(invoke(() => wait(delayMs, signal)), signal);
    }
  }
}
