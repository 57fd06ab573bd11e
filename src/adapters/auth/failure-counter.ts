/**
 * Failed authentications per key (a client address, a credential's hash) in a
 * one-minute window. Bounded: a client rotating keys cannot grow it without
 * limit (the oldest key goes first).
 */
export const FAILURE_WINDOW_MS = 60_000;
const MAX_TRACKED = 10_000;

export class FailureCounter {
  private readonly entries = new Map<string, { count: number; since: number }>();

  constructor(
    private readonly limit: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Failures of `key` in its current window (0 once the window has passed). */
  count(key: string): number {
    const entry = this.entries.get(key);
    return entry && this.now() - entry.since <= FAILURE_WINDOW_MS ? entry.count : 0;
  }

  /** Whether `key` has reached the limit in its current window. */
  exhausted(key: string): boolean {
    return this.count(key) >= this.limit;
  }

  /** Seconds until `key`'s window ends (at least 1). */
  retryAfterSeconds(key: string): number {
    const entry = this.entries.get(key);
    return entry ? Math.max(1, Math.ceil((entry.since + FAILURE_WINDOW_MS - this.now()) / 1000)) : 1;
  }

  /** Counts one failure of `key`; returns its count in the window. */
  add(key: string): number {
    const now = this.now();
    const entry = this.entries.get(key);
    if (entry && now - entry.since <= FAILURE_WINDOW_MS) return ++entry.count;
    this.entries.delete(key);
    this.entries.set(key, { count: 1, since: now });
    if (this.entries.size > MAX_TRACKED) this.entries.delete(this.entries.keys().next().value as string);
    return 1;
  }
}
