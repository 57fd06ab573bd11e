/**
 * A sorted list that stays cheap to change: items sit in blocks of at most
 * {@link MAX_BLOCK} (each block sorted, blocks in order), so an insert or a
 * removal moves at most one block's items instead of the whole array, and a
 * lookup is two binary searches. Ranks (positions counted from the first item)
 * come from the blocks' start ranks, recomputed after a change only when next
 * asked for.
 */

/** Above this a block is split in two: blocks of 512–1024 items keep both the splices and the block index short at 10^5–10^6 items. */
const MAX_BLOCK = 1024;
const BUILD_BLOCK = MAX_BLOCK / 2;

/** A pull-style walk over a range of ranks. */
export interface ListCursor<T> {
  /** The next item, or undefined past the end. */
  next(): T | undefined;
}

export class SortedList<T> {
  private blocks: T[][] = [];
  /** Rank of each block's first item; stale while `dirty`. */
  private starts: number[] = [];
  private dirty = false;
  private count = 0;

  /** `compare` must be a total order: never 0 for two different items. */
  constructor(private readonly compare: (a: T, b: T) => number) {}

  get size(): number {
    return this.count;
  }

  /** Replaces the content with `items`, which must already be sorted by `compare`. */
  build(items: readonly T[]): void {
    this.blocks = [];
    for (let i = 0; i < items.length; i += BUILD_BLOCK) this.blocks.push(items.slice(i, i + BUILD_BLOCK));
    this.count = items.length;
    this.dirty = true;
  }

  add(item: T): void {
    this.count++;
    this.dirty = true;
    if (this.blocks.length === 0) {
      this.blocks.push([item]);
      return;
    }
    const b = this.blockFor(item);
    const block = this.blocks[b] as T[];
    block.splice(this.indexIn(block, item), 0, item);
    if (block.length > MAX_BLOCK) this.blocks.splice(b + 1, 0, block.splice(block.length >> 1));
  }

  /** Removes `item` (found by `compare`); false when it is not there. */
  delete(item: T): boolean {
    if (this.blocks.length === 0) return false;
    const b = this.blockFor(item);
    const block = this.blocks[b] as T[];
    const i = this.indexIn(block, item);
    if (i >= block.length || this.compare(block[i] as T, item) !== 0) return false;
    block.splice(i, 1);
    if (block.length === 0) this.blocks.splice(b, 1);
    this.count--;
    this.dirty = true;
    return true;
  }

  /**
   * The rank of the first item for which `isAtOrAfter` is true; `isAtOrAfter`
   * must be false for a (possibly empty) run of leading items and true for the rest.
   */
  rankWhere(isAtOrAfter: (item: T) => boolean): number {
    const blocks = this.blocks;
    let low = 0;
    let high = blocks.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      const block = blocks[mid] as T[];
      if (isAtOrAfter(block[block.length - 1] as T)) high = mid;
      else low = mid + 1;
    }
    if (low === blocks.length) return this.count;
    const block = blocks[low] as T[];
    let from = 0;
    let to = block.length;
    while (from < to) {
      const mid = (from + to) >> 1;
      if (isAtOrAfter(block[mid] as T)) to = mid;
      else from = mid + 1;
    }
    return this.blockStarts()[low]! + from;
  }

  /** Items of ranks `from` (included) to `to` (excluded), first to last. */
  cursor(from: number, to: number): ListCursor<T> {
    return this.walker(from, to, false);
  }

  /** Items of ranks `to - 1` down to `from`, last to first. */
  reverseCursor(from: number, to: number): ListCursor<T> {
    return this.walker(from, to, true);
  }

  /** Every item in order (read-only use). */
  *[Symbol.iterator](): IterableIterator<T> {
    for (const block of this.blocks) yield* block;
  }

  private walker(from: number, to: number, reverse: boolean): ListCursor<T> {
    if (from >= to) return { next: () => undefined };
    const starts = this.blockStarts();
    const blocks = this.blocks;
    let left = to - from;
    let b = this.blockOfRank(reverse ? to - 1 : from, starts);
    let block = blocks[b] as T[];
    let i = (reverse ? to - 1 : from) - (starts[b] as number);
    return {
      next: () => {
        if (left === 0) return undefined;
        while (i >= block.length || i < 0) {
          b += reverse ? -1 : 1;
          block = blocks[b] as T[];
          i = reverse ? block.length - 1 : 0;
        }
        left--;
        const item = block[i] as T;
        i += reverse ? -1 : 1;
        return item;
      },
    };
  }

  private blockStarts(): number[] {
    if (this.dirty) {
      const starts = new Array<number>(this.blocks.length);
      let rank = 0;
      for (let b = 0; b < this.blocks.length; b++) {
        starts[b] = rank;
        rank += (this.blocks[b] as T[]).length;
      }
      this.starts = starts;
      this.dirty = false;
    }
    return this.starts;
  }

  /** The block holding rank `rank` (0 ≤ rank < size). */
  private blockOfRank(rank: number, starts: readonly number[]): number {
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((starts[mid] as number) <= rank) low = mid;
      else high = mid - 1;
    }
    return low;
  }

  /** The first block whose last item is not before `item`, else the last block. */
  private blockFor(item: T): number {
    const blocks = this.blocks;
    let low = 0;
    let high = blocks.length - 1;
    while (low < high) {
      const mid = (low + high) >> 1;
      const block = blocks[mid] as T[];
      if (this.compare(block[block.length - 1] as T, item) >= 0) high = mid;
      else low = mid + 1;
    }
    return low;
  }

  /** Where `item` is or would go in `block`. */
  private indexIn(block: readonly T[], item: T): number {
    let low = 0;
    let high = block.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.compare(block[mid] as T, item) < 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
