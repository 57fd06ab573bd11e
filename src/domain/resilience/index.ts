/**
 * Resilience primitives for port calls: a timeout that cancels, retry with
 * backoff and jitter, and a circuit breaker. (Compensation is the flow's, in
 * ../flows, because it persists every step.)
 * Pure domain code: no I/O, time only through timers or an injected clock.
 *
 * They compose from the inside out, e.g.
 * `retry((n, signal) => breaker.execute(() => withTimeout((s) => call(s), 2000, { signal })), policy)`.
 *
 * @packageDocumentation
 */
export { withTimeout, TimeoutError, type TimeoutOptions } from './timeout.js';
export { retry, backoffDelay, RetryError, type RetryPolicy, type RetryOptions, type RetryEvent } from './retry.js';
export { sleep } from './abortable.js';
export {
  CircuitBreaker,
  CircuitOpenError,
  type CircuitBreakerOptions,
  type CircuitSnapshot,
  type CircuitState,
  type CircuitStateChange,
  type CircuitStateListener,
} from './circuit-breaker.js';
export { serializeError, type SerializedError } from './serialize-error.js';
