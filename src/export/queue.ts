/**
 * A bounded FIFO ring buffer: push at the tail evicts the head when full (the oldest
 * goes first), take removes from the head. O(1) per element; only resize() reallocates.
 */
export class RingQueue<T> {
  private items: (T | undefined)[];
  private head = 0;
  private count = 0;

  constructor(capacity: number) {
    this.items = new Array<T | undefined>(checkedCapacity(capacity));
  }

  get capacity(): number {
    return this.items.length;
  }

  get length(): number {
    return this.count;
  }

  /**
   * A new capacity, keeping the newest elements in order; returns how many of the oldest did not
   * fit. Copies once (a configuration change, not a hot path).
   */
  resize(capacity: number): number {
    if (checkedCapacity(capacity) === this.capacity) return 0;
    const evicted = Math.max(0, this.count - capacity);
    const items = new Array<T | undefined>(capacity);
    for (let i = 0; i < this.count - evicted; i++) items[i] = this.items[(this.head + evicted + i) % this.capacity];
    this.items = items;
    this.head = 0;
    this.count -= evicted;
    return evicted;
  }

  /** Appends; returns the evicted oldest element when the queue was full. */
  push(item: T): T | undefined {
    let evicted: T | undefined;
    if (this.count === this.capacity) {
      evicted = this.items[this.head];
      this.items[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.count--;
    }
    this.items[(this.head + this.count) % this.capacity] = item;
    this.count++;
    return evicted;
  }

  peek(): T | undefined {
    return this.count === 0 ? undefined : this.items[this.head];
  }

  /** Removes and returns up to `max` elements from the head, oldest first. */
  take(max: number): T[] {
    const n = Math.min(max, this.count);
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) {
      out[i] = this.items[this.head] as T;
      this.items[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
    }
    this.count -= n;
    return out;
  }
}

function checkedCapacity(capacity: number): number {
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`queue capacity must be a positive integer, not ${capacity}`);
  return capacity;
}
