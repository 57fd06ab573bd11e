/**
 * Bounded selection: a page needs only the first `offset + limit + 1` records of
 * the sorted result, so sorting every match (O(n log n)) is wasted work.
 */

/**
 * Collects the `k` smallest items by `compare`, returned in ascending order.
 * Keeps a max-heap of size `k`: O(n log k) time, O(k) memory.
 */
export class SmallestK<T> {
  private readonly heap: T[] = [];

  constructor(
    private readonly k: number,
    private readonly compare: (a: T, b: T) => number,
  ) {}

  /** Offers one item; it is kept only while it is among the `k` smallest seen. */
  offer(item: T): void {
    const heap = this.heap;
    if (heap.length < this.k) {
      heap.push(item);
      this.siftUp(heap.length - 1);
    } else if (this.k > 0 && this.compare(item, heap[0] as T) < 0) {
      heap[0] = item;
      this.siftDown(0);
    }
  }

  /** The kept items, smallest first. */
  sorted(): T[] {
    return this.heap.slice().sort(this.compare);
  }

  private siftUp(index: number): void {
    const heap = this.heap;
    let child = index;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (this.compare(heap[child] as T, heap[parent] as T) <= 0) return;
      this.swap(child, parent);
      child = parent;
    }
  }

  private siftDown(index: number): void {
    const heap = this.heap;
    let parent = index;
    for (;;) {
      const left = 2 * parent + 1;
      const right = left + 1;
      let largest = parent;
      if (left < heap.length && this.compare(heap[left] as T, heap[largest] as T) > 0) largest = left;
      if (right < heap.length && this.compare(heap[right] as T, heap[largest] as T) > 0) largest = right;
      if (largest === parent) return;
      this.swap(parent, largest);
      parent = largest;
    }
  }

  private swap(i: number, j: number): void {
    const heap = this.heap;
    const item = heap[i] as T;
    heap[i] = heap[j] as T;
    heap[j] = item;
  }
}
