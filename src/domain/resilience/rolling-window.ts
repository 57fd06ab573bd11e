/**
 * Success and failure counts over the last `windowMs`, kept in `buckets` slots
 * of `windowMs / buckets` each (internal to the circuit breaker).
 *
 * Buckets bound memory and work to O(buckets) whatever the call rate; the price
 * is granularity: an outcome expires within one bucket width of `windowMs`.
 * The window holds the current bucket and the `buckets - 1` before it.
 */
export class RollingWindow {
  readonly #width: number;
  /** Slot `i % buckets` holds bucket number `i` (time / width); a stale `index` means empty. */
  readonly #slots: Array<{ index: number; successes: number; failures: number }>;

  constructor(windowMs: number, buckets: number) {
    this.#width = windowMs / buckets;
    this.#slots = Array.from({ length: buckets }, () => ({ index: -Infinity, successes: 0, failures: 0 }));
  }

  /** Counts one outcome at time `now` (ms). */
  record(now: number, failed: boolean): void {
    const index = Math.floor(now / this.#width);
    const n = this.#slots.length;
    const slot = this.#slots[((index % n) + n) % n]!;
    if (slot.index !== index) {
      // The slot still holds a bucket that left the window: reuse it.
      slot.index = index;
      slot.successes = 0;
      slot.failures = 0;
    }
    if (failed) slot.failures++;
    else slot.successes++;
  }

  /** Totals of the buckets inside the window ending at `now`. */
  counts(now: number): { successes: number; failures: number } {
    const current = Math.floor(now / this.#width);
    const oldest = current - this.#slots.length + 1;
    let successes = 0;
    let failures = 0;
    for (const slot of this.#slots) {
      if (slot.index >= oldest && slot.index <= current) {
        successes += slot.successes;
        failures += slot.failures;
      }
    }
    return { successes, failures };
  }

  /** Forgets every outcome. */
  reset(): void {
    for (const slot of this.#slots) slot.index = -Infinity;
  }
}
