/**
 * Events waiting for their parent (DESIGN.md 5.5, 5.6), in arrival order, indexed by the recent
 * store keys their parent search read: a new entry under a key retries only the events that
 * looked at that key, which places exactly the events a full retry of the queue would place.
 */

export interface Waiting {
  readonly seq: number;
  readonly receivedAt: number;
  /** recent-store keys the last parent search read */
  watched: readonly string[];
}

export class PendingQueue<T extends Waiting> {
  /** insertion order is arrival order (seq increases) */
  private readonly items = new Map<number, T>();
  private readonly watchers = new Map<string, Set<T>>();

  get size(): number {
    return this.items.size;
  }

  has(item: T): boolean {
    return this.items.get(item.seq) === item;
  }

  oldest(): T | undefined {
    const first = this.items.values().next();
    return first.done ? undefined : first.value;
  }

  add(item: T): void {
    this.items.set(item.seq, item);
    this.index(item);
  }

  remove(item: T): void {
    if (!this.items.delete(item.seq)) return;
    this.unindex(item);
  }

  /** Re-indexes an item after a parent search that read `watched`. */
  rewatch(item: T, watched: readonly string[]): void {
    if (this.has(item)) this.unindex(item);
    item.watched = watched;
    if (this.has(item)) this.index(item);
  }

  /** Waiting events whose parent search read `key`. */
  watching(key: string): Iterable<T> {
    return this.watchers.get(key) ?? [];
  }

  all(): T[] {
    return [...this.items.values()];
  }

  private index(item: T): void {
    for (const key of item.watched) {
      let set = this.watchers.get(key);
      if (!set) this.watchers.set(key, (set = new Set()));
      set.add(item);
    }
  }

  private unindex(item: T): void {
    for (const key of item.watched) {
      const set = this.watchers.get(key);
      if (!set) continue;
      set.delete(item);
      if (set.size === 0) this.watchers.delete(key);
    }
  }
}

/** A min-heap of waiting events by arrival order: retries run oldest first. */
export class ArrivalHeap<T extends { seq: number }> {
  private readonly heap: T[] = [];
  private readonly queued = new Set<T>();

  get size(): number {
    return this.heap.length;
  }

  push(item: T): void {
    if (this.queued.has(item)) return;
    this.queued.add(item);
    const h = this.heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.seq <= item.seq) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = item;
  }

  pop(): T | undefined {
    const h = this.heap;
    const top = h[0];
    if (top === undefined) return undefined;
    this.queued.delete(top);
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const r = l + 1;
        const c = r < h.length && h[r]!.seq < h[l]!.seq ? r : l;
        if (h[c]!.seq >= last.seq) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}
