/**
 * The recent store (DESIGN.md 5.4): action -> (span, its parent), kept until `expireAfter`
 * after its last use. A Map keeps entries in the order they were placed; a use only updates
 * `lastUsed`, and expiry moves a used entry to the end when it reaches the front, so expiry only
 * looks at the oldest entries and a use costs no reordering.
 */

import type { ObjectRef } from './types.js';

export interface SpanHandle {
  traceId: string;
  spanId: string;
}

export interface RecentEntry {
  span: SpanHandle;
  parent?: SpanHandle;
  actor?: ObjectRef;
  object: ObjectRef;
  /** generations of actor and object as the event that made the entry saw them when it was received (5.9) */
  actorGeneration?: number;
  objectGeneration?: number;
  /** whether actor/object had no owners then (top-level objects) */
  actorTopLevel: boolean;
  objectTopLevel: boolean;
  lastUsed: number;
  /** when the entry took its place in the store's order (lastUsed may have moved on since) */
  placedAt?: number;
}

/** Hard ceiling so that a flood of distinct actions within `expireAfter` cannot exhaust memory. */
export const MAX_RECENT_ENTRIES = 500_000;

export class RecentStore {
  private readonly entries = new Map<string, RecentEntry>();

  constructor(private expireAfterMs: number) {}

  setExpireAfter(ms: number): void {
    this.expireAfterMs = ms;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The entry for `key` if it has not expired at `now`; does not count as a use. */
  peek(key: string, now: number): RecentEntry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (now - entry.lastUsed > this.expireAfterMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Marks an entry used at `now` (it gave a parent), pushing back its expiry. */
  touch(_key: string, entry: RecentEntry, now: number): void {
    if (entry.lastUsed < now) entry.lastUsed = now;
  }

  set(key: string, entry: RecentEntry): void {
    entry.placedAt = entry.lastUsed;
    this.entries.delete(key);
    this.entries.set(key, entry);
    if (this.entries.size > MAX_RECENT_ENTRIES) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  /** Drops entries unused for longer than `expireAfter`. */
  expire(now: number): void {
    for (const [key, entry] of this.entries) {
      if (now - entry.lastUsed > this.expireAfterMs) {
        this.entries.delete(key);
      } else if (entry.lastUsed !== entry.placedAt) {
        // used since it was placed: it belongs further back
        this.entries.delete(key);
        entry.placedAt = entry.lastUsed;
        this.entries.set(key, entry);
      } else {
        break; // every later entry was placed (or last used) after this live one
      }
    }
  }
}
