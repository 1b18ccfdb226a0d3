/**
 * Events waiting for their parent (docs/design.md §5.5, §5.6), in arrival order, indexed by the recent
 * store keys their parent search read: a new entry under a key retries only the events that
 * looked at that key, which places exactly the events a full retry of the queue would place.
 *
 * The index is lazy: lists are appended to and never searched for removal; readers skip events
 * that are no longer waiting, and `compact` (called on ticks) rebuilds it from the waiting events
 * when dead references pile up, which keeps its size proportional to the queue.
 */

export interface Waiting {
  readonly seq: number;
  readonly receivedAt: number;
  /** actions the last parent search read, as flat (actor key or '', object key) pairs */
  watched: readonly string[];
  /** set by the queues: the one the item waits in, if any (an item waits in one queue at a time) */
  waitingIn: object | undefined;
  /** set by the ArrivalHeaps: one bit for each heap the item is queued in */
  queuedIn: number;
}

/**
 * The actions one parent search read, as flat (actor key or '', object key) pairs. One instance
 * serves every search: clearing keeps its storage (a fresh or emptied array per search was a good
 * part of the engine's garbage); an event that must wait keeps an exact-size copy.
 */
export class Reads {
  private readonly keys: string[] = [];
  /** number of keys (2 per pair) */
  length = 0;

  clear(): this {
    this.length = 0;
    return this;
  }

  add(actorKey: string, objectKey: string): void {
    this.keys[this.length++] = actorKey;
    this.keys[this.length++] = objectKey;
  }

  at(i: number): string {
    return this.keys[i]!;
  }

  copy(): string[] {
    return this.keys.slice(0, this.length);
  }

  equals(pairs: readonly string[]): boolean {
    if (pairs.length !== this.length) return false;
    for (let i = 0; i < pairs.length; i++) if (pairs[i] !== this.keys[i]) return false;
    return true;
  }
}

export class PendingQueue<T extends Waiting> {
  /**
   * Arrival order (seq increases). Removal only clears the item's `waitingIn` mark: the oldest
   * waiting item is found by moving `head` past removed ones, and `compact` drops the rest.
   * Cheaper than a Map keyed by seq, which hashed on every add, remove and membership test.
   */
  private items: Array<T | undefined> = [];
  private head = 0;
  private count = 0;
  /**
   * object key -> waiting events that read an action on that object (any actor). One level
   * is enough: the few events listed under an object are filtered by their own `watched` pairs.
   */
  private watchers = new Map<string, T[]>();
  private indexed = 0;
  /** pairs read by the waiting events (kept up to date so that compact() need not count them) */
  private livePairs = 0;

  get size(): number {
    return this.count;
  }

  has(item: T): boolean {
    return item.waitingIn === this;
  }

  oldest(): T | undefined {
    const items = this.items;
    while (this.head < items.length && items[this.head]!.waitingIn !== this) items[this.head++] = undefined; // let it go
    return items[this.head];
  }

  /** Visits every waiting item, oldest first. */
  forEach(visit: (item: T) => void): void {
    const items = this.items;
    for (let i = this.head; i < items.length; i++) {
      const item = items[i];
      if (item !== undefined && item.waitingIn === this) visit(item);
    }
  }

  add(item: T): void {
    item.waitingIn = this;
    this.items.push(item);
    this.count++;
    this.livePairs += item.watched.length / 2;
    this.index(item, item.watched);
  }

  remove(item: T): void {
    if (item.waitingIn !== this) return;
    item.waitingIn = undefined;
    this.count--;
    this.livePairs -= item.watched.length / 2;
  }

  /**
   * Re-indexes an item after a parent search that read `reads` (copied only when they changed,
   * which is rare: a retry mostly reads the same).
   */
  rewatch(item: T, reads: Reads): void {
    const before = item.watched;
    if (reads.equals(before)) return;
    item.watched = reads.copy();
    if (!this.has(item)) return;
    this.livePairs += (reads.length - before.length) / 2;
    // Only objects not indexed yet need adding; the old ones stay listed (harmless, see below).
    for (let i = 1; i < reads.length; i += 2) {
      if (!hasObject(before, reads.at(i))) this.indexObject(item, reads.at(i));
    }
  }

  /** Calls `visit` for each waiting event whose parent search read the action (actorKey, objectKey). */
  forEachWatching(actorKey: string, objectKey: string, visit: (item: T) => void): void {
    const list = this.watchers.get(objectKey);
    if (!list) return;
    // An event that no longer reads the action may still be listed under its object: skipped
    // by its `watched` pairs (short; the same interned key strings, so compared by identity).
    for (let i = 0; i < list.length; i++) {
      const item = list[i]!;
      if (this.has(item) && hasPair(item.watched, actorKey, objectKey)) visit(item);
    }
  }

  /** Calls `visit` for each waiting event whose parent search read an action on `objectKey` (any actor). */
  forEachWatchingObject(objectKey: string, visit: (item: T) => void): void {
    const list = this.watchers.get(objectKey);
    if (!list) return;
    for (let i = 0; i < list.length; i++) {
      const item = list[i]!;
      if (this.has(item) && hasObject(item.watched, objectKey)) visit(item);
    }
  }

  /** Drops removed items from the queue, and rebuilds the index, when they have piled up. */
  compact(): void {
    if (this.items.length > 2 * this.count + 1024) {
      this.items = this.items.filter((item, i) => i >= this.head && item!.waitingIn === this);
      this.head = 0;
    }
    if (this.indexed <= 2 * this.livePairs + 1024) return;
    this.watchers = new Map();
    this.indexed = 0;
    for (let i = this.head; i < this.items.length; i++) {
      const item = this.items[i]!;
      if (item.waitingIn === this) this.index(item, item.watched);
    }
  }

  private index(item: T, pairs: readonly string[]): void {
    for (let i = 1; i < pairs.length; i += 2) this.indexObject(item, pairs[i]!);
  }

  private indexObject(item: T, objectKey: string): void {
    const list = this.watchers.get(objectKey);
    if (list) {
      // an item listed twice is only visited twice (retries are queued once)
      if (list[list.length - 1] !== item) list.push(item);
    } else {
      this.watchers.set(objectKey, [item]);
    }
    this.indexed++;
  }
}

function hasObject(pairs: readonly string[], objectKey: string): boolean {
  for (let i = 1; i < pairs.length; i += 2) if (pairs[i] === objectKey) return true;
  return false;
}

/**
 * The actor key of a read that any actor's entry on the object answers (§5.5: an event on an object
 * never seen takes a recent action that named it). No object or actor key starts with NUL.
 */
export const ANY_ACTOR = '\u0000any';

function hasPair(pairs: readonly string[], actorKey: string, objectKey: string): boolean {
  for (let i = 0; i < pairs.length; i += 2) {
    if ((pairs[i] === actorKey || (pairs[i] === ANY_ACTOR && actorKey !== '')) && pairs[i + 1] === objectKey) return true;
  }
  return false;
}

/**
 * A min-heap of waiting events by arrival order: retries run oldest first. An item is queued once:
 * the heap marks it with its own bit (a flag on the item is cheaper than a Set of items, and an
 * item can wait in more than one heap).
 */
export class ArrivalHeap<T extends { seq: number; queuedIn: number }> {
  private readonly heap: T[] = [];

  /** `bit`: this heap's mark, a power of two no other heap holding the same items uses */
  constructor(private readonly bit: number) {}

  push(item: T): void {
    if ((item.queuedIn & this.bit) !== 0) return;
    item.queuedIn |= this.bit;
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
    top.queuedIn &= ~this.bit;
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
