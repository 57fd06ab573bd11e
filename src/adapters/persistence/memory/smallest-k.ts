/**
 * Bounded selection: a page needs only the first `offset + limit + 1` records of
 * the sorted result, so sorting every match (O(n log n)) is wasted work.
 */

/**
 * Collects the `k` smallest items by `compare`, returned in ascending order.
 *
 * Candidates go into a buffer of about 2k items; when it fills, it is sorted and
 * cut back to k, and the k-th item becomes a threshold that later items must
 * beat to get in. Unlike a heap this stays O(n) when the input arrives already
 * ordered against the sort (e.g. newest first by creation time, the most common
 * query), because the engine's sort handles presorted runs in linear time.
 * `compare` must be a total order (never 0 for two different items).
 */
export class SmallestK<T> {
  private buffer: T[] = [];
  private threshold: T | undefined;
  private readonly capacity: number;

  constructor(
    private readonly k: number,
    private readonly compare: (a: T, b: T) => number,
  ) {
    this.capacity = Math.max(2 * k, k + 128);
  }

  /** Offers one item; it is kept only while it is among the `k` smallest seen. */
  offer(item: T): void {
    if (this.k <= 0) return;
    if (this.threshold !== undefined && this.compare(item, this.threshold) >= 0) return;
    this.buffer.push(item);
    if (this.buffer.length >= this.capacity) this.prune();
  }

  /** The kept items, smallest first. */
  sorted(): T[] {
    this.buffer.sort(this.compare);
    if (this.buffer.length > this.k) this.buffer.length = this.k;
    return this.buffer;
  }

  private prune(): void {
    this.buffer.sort(this.compare);
    this.buffer.length = this.k;
    this.threshold = this.buffer[this.k - 1];
  }
}
