/**
 * Small abort-aware helpers shared by the resilience primitives; {@link sleep}
 * and {@link raceAbort} are also exported for remote authors (adapters and
 * services that wait should end as soon as the port's deadline aborts them).
 *
 * @packageDocumentation
 */

/**
 * The reason to reject with when `signal` has aborted. Node always sets
 * `signal.reason`; the fallback covers hand-made signal-like objects.
 */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/**
 * Calls `fn` and always returns a promise, so a synchronous throw becomes a
 * rejection instead of escaping the caller's bookkeeping.
 */
export function invoke<T>(fn: () => T | PromiseLike<T>): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Settles like `promise`, unless `signal` aborts first: then rejects at once
 * with the abort reason and `promise`'s later outcome is discarded (but still
 * handled, so it never becomes an unhandled rejection).
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(abortReason(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    // Remove the listener on settle: callers often share one long-lived signal.
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Resolves after `ms` milliseconds, or rejects with the abort reason as soon
 * as `signal` aborts (clearing the timer, so an aborted wait holds nothing open).
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
