import { MicrolibError } from '../errors.js';
import { RollingWindow } from './rolling-window.js';

/**
 * `closed`: calls pass and outcomes are counted. `open`: calls are refused.
 * `half-open`: a few trial calls decide between closing and re-opening.
 */
export type CircuitState = 'closed' | 'open' | 'half-open';

/** Options of {@link CircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Failure rate in `(0, 1]` at or above which the circuit opens, e.g. `0.5`. */
  failureRateThreshold: number;
  /** Calls needed in the window before the rate is trusted (an integer `>= 1`), so one early failure does not open it. */
  minimumVolume: number;
  /** Length of the rolling window of counted outcomes, in ms. */
  windowMs: number;
  /** Slots the window is divided into (integer `>= 1`, default 10); outcomes expire bucket by bucket. */
  buckets?: number;
  /** How long the circuit stays open before allowing trial calls, in ms. */
  openMs: number;
  /** Trial calls allowed at once in half-open (integer `>= 1`, default 1). */
  halfOpenMaxCalls?: number;
  /**
   * Which rejections count as failures (default: all). Others count as
   * successes, because the dependency did answer (e.g. a "not found").
   */
  isFailure?: (error: unknown) => boolean;
  /** Clock in ms (default `Date.now`); the breaker reads time only through it. */
  now?: () => number;
  /** Name used in error messages, e.g. the port's name. */
  name?: string;
}

/** State and counts of a breaker, for the API and metrics. Counts cover the current window. */
export interface CircuitSnapshot {
  state: CircuitState;
  failures: number;
  successes: number;
  /** `failures / (failures + successes)`, 0 when there were no calls. */
  failureRate: number;
  /** When the circuit opened (ms, from `now`); only while `open`. */
  openedAt?: number;
  /** When trial calls will be allowed (ms, from `now`); only while `open`. */
  nextAttemptAt?: number;
}

/** One transition, as told to {@link CircuitBreaker.onStateChange} listeners. */
export interface CircuitStateChange {
  from: CircuitState;
  to: CircuitState;
  /** Time of the transition (ms, from `now`). */
  at: number;
}

/** Listener of {@link CircuitBreaker.onStateChange}. */
export type CircuitStateListener = (change: CircuitStateChange) => void;

/**
 * Rejection of {@link CircuitBreaker.execute} when the call was not attempted.
 * Code `MLB_ERR_UNAVAILABLE`.
 */
export class CircuitOpenError extends MicrolibError {
  /**
   * Ms until trial calls are allowed (a `Retry-After` hint); 0 when the circuit
   * is half-open and all trial slots are taken.
   */
  readonly retryAfterMs: number;
  /** The state that refused the call. */
  readonly state: 'open' | 'half-open';

  constructor(retryAfterMs: number, state: 'open' | 'half-open', name?: string) {
    const what = name === undefined ? 'Circuit' : `Circuit "${name}"`;
    super(
      'MLB_ERR_UNAVAILABLE',
      state === 'open' ? `${what} is open; retry after ${retryAfterMs} ms` : `${what} is half-open and its trial calls are in progress`,
    );
    this.name = 'CircuitOpenError';
    this.retryAfterMs = retryAfterMs;
    this.state = state;
  }
}

function checkOptions(o: CircuitBreakerOptions): void {
  const fail = (what: string): never => {
    throw new RangeError(`CircuitBreaker: ${what}`);
  };
  const isCount = (n: unknown): boolean => Number.isInteger(n) && (n as number) >= 1;
  if (!(o.failureRateThreshold > 0 && o.failureRateThreshold <= 1)) fail(`failureRateThreshold must be in (0, 1], got ${o.failureRateThreshold}`);
  if (!isCount(o.minimumVolume)) fail(`minimumVolume must be an integer >= 1, got ${o.minimumVolume}`);
  if (!(o.windowMs > 0 && Number.isFinite(o.windowMs))) fail(`windowMs must be a finite number > 0, got ${o.windowMs}`);
  if (o.buckets !== undefined && !isCount(o.buckets)) fail(`buckets must be an integer >= 1, got ${o.buckets}`);
  if (!(o.openMs >= 0)) fail(`openMs must be >= 0, got ${o.openMs}`);
  if (o.halfOpenMaxCalls !== undefined && !isCount(o.halfOpenMaxCalls)) fail(`halfOpenMaxCalls must be an integer >= 1, got ${o.halfOpenMaxCalls}`);
}

/**
 * Stops calling a failing dependency for a while, so it can recover and callers
 * fail fast instead of piling up.
 *
 * - `closed`: outcomes go into a rolling window; once it holds at least
 *   `minimumVolume` calls and the failure rate is at least
 *   `failureRateThreshold`, the circuit opens.
 * - `open`: every call is refused with {@link CircuitOpenError} until `openMs`
 *   has passed, then the circuit is half-open.
 * - `half-open`: up to `halfOpenMaxCalls` trial calls at once; the first to
 *   succeed closes the circuit (with an empty window), the first to fail
 *   re-opens it. Further calls are refused meanwhile.
 *
 * There are no timers: the open → half-open move happens on the first
 * `execute`, `state` or `snapshot` after `openMs` (listeners are told then).
 * That keeps the breaker deterministic under an injected clock and means an idle
 * breaker holds nothing open. Outcomes of calls admitted under an earlier state
 * (e.g. a slow call still running when the circuit opened) are ignored.
 */
export class CircuitBreaker {
  readonly #options: Required<Pick<CircuitBreakerOptions, 'failureRateThreshold' | 'minimumVolume' | 'openMs' | 'halfOpenMaxCalls'>>;
  readonly #isFailure: (error: unknown) => boolean;
  readonly #now: () => number;
  readonly #name: string | undefined;
  readonly #window: RollingWindow;
  readonly #listeners = new Set<CircuitStateListener>();
  #state: CircuitState = 'closed';
  /** Bumped on every transition, to recognise outcomes of calls admitted earlier. */
  #epoch = 0;
  #openedAt = 0;
  #trialsInFlight = 0;

  constructor(options: CircuitBreakerOptions) {
    checkOptions(options);
    this.#options = {
      failureRateThreshold: options.failureRateThreshold,
      minimumVolume: options.minimumVolume,
      openMs: options.openMs,
      halfOpenMaxCalls: options.halfOpenMaxCalls ?? 1,
    };
    this.#isFailure = options.isFailure ?? (() => true);
    this.#now = options.now ?? Date.now;
    this.#name = options.name;
    this.#window = new RollingWindow(options.windowMs, options.buckets ?? 10);
  }

  /** Current state (may move open → half-open if `openMs` has passed). */
  get state(): CircuitState {
    this.#advance(this.#now());
    return this.#state;
  }

  /**
   * Runs `op` if the circuit allows it and counts its outcome. Resolves or
   * rejects exactly like `op`; rejects with {@link CircuitOpenError} without
   * calling `op` when the circuit refuses.
   */
  async execute<T>(op: () => Promise<T>): Promise<T> {
    const now = this.#now();
    this.#advance(now);
    if (this.#state === 'open') {
      throw new CircuitOpenError(Math.max(0, this.#openedAt + this.#options.openMs - now), 'open', this.#name);
    }
    const trial = this.#state === 'half-open';
    if (trial) {
      if (this.#trialsInFlight >= this.#options.halfOpenMaxCalls) throw new CircuitOpenError(0, 'half-open', this.#name);
      this.#trialsInFlight++;
    }
    const epoch = this.#epoch;
    let result: T;
    try {
      result = await op();
    } catch (error) {
      this.#settle(epoch, trial, this.#countsAsFailure(error));
      throw error;
    }
    this.#settle(epoch, trial, false);
    return result;
  }

  /** State and window counts now. */
  snapshot(): CircuitSnapshot {
    const now = this.#now();
    this.#advance(now);
    const { successes, failures } = this.#window.counts(now);
    const total = successes + failures;
    const snapshot: CircuitSnapshot = { state: this.#state, failures, successes, failureRate: total === 0 ? 0 : failures / total };
    if (this.#state === 'open') {
      snapshot.openedAt = this.#openedAt;
      snapshot.nextAttemptAt = this.#openedAt + this.#options.openMs;
    }
    return snapshot;
  }

  /**
   * Calls `listener` synchronously on every transition. A listener's throw is
   * swallowed: observing the breaker must not change a call's outcome.
   * @returns A function that removes this subscription.
   */
  onStateChange(listener: CircuitStateListener): () => void {
    // A wrapper per subscription, so the same function subscribed twice unsubscribes independently.
    const entry: CircuitStateListener = (change) => listener(change);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  #countsAsFailure(error: unknown): boolean {
    try {
      return this.#isFailure(error);
    } catch {
      // A broken predicate should not hide the call's own error; count it as a failure.
      return true;
    }
  }

  #settle(epoch: number, trial: boolean, failed: boolean): void {
    if (epoch !== this.#epoch) return;
    const now = this.#now();
    if (trial) {
      this.#trialsInFlight--;
      this.#transition(failed ? 'open' : 'closed', now);
      return;
    }
    this.#window.record(now, failed);
    const { successes, failures } = this.#window.counts(now);
    const total = successes + failures;
    if (total >= this.#options.minimumVolume && failures / total >= this.#options.failureRateThreshold) {
      this.#transition('open', now);
    }
  }

  #advance(now: number): void {
    if (this.#state === 'open' && now >= this.#openedAt + this.#options.openMs) this.#transition('half-open', now);
  }

  #transition(to: CircuitState, now: number): void {
    const from = this.#state;
    this.#state = to;
    this.#epoch++;
    if (to === 'open') this.#openedAt = now;
    if (to === 'half-open') this.#trialsInFlight = 0;
    // The window that tripped the circuit stays visible while open; a recovery starts clean.
    if (to === 'closed') this.#window.reset();
    const change: CircuitStateChange = { from, to, at: now };
    for (const listener of [...this.#listeners]) {
      try {
        listener(change);
      } catch {
        // See onStateChange.
      }
    }
  }
}
