/**
 * The recent store (DESIGN.md 5.4): action -> (span, its parent), kept until `expireAfter`
 * after its last use. A Map keeps entries in the order they were placed; a use only updates
 * `lastUsed`, and expiry moves a used entry to the end when it reaches the front, so expiry only
 * looks at the oldest entries and a use costs no reordering.
 */

import type { SpanDraft } from './span-builder.js';
import type { ObjectRef } from './types.js';

/**
 * A placed span as parents and recent entries refer to it. While the engine holds the span
 * (DESIGN.md 5.8), `held` is its draft: a child extends its held ancestors' ends through these
 * links, with no index by span id to keep in step.
 */
export interface SpanHandle {
  readonly traceId: string;
  readonly spanId: string;
  held: SpanDraft | undefined;
}

/**
 * Every field is always present (undefined when it does not apply), so that every entry is built
 * by one literal of one shape: no property added later, no shape transitions, no backing store.
 */
export interface RecentEntry {
  span: SpanHandle;
  parent: SpanHandle | undefined;
  actor: ObjectRef | undefined;
  object: ObjectRef;
  /** generations of actor and object as the event that made the entry saw them when it was received (5.9) */
  actorGeneration: number | undefined;
  objectGeneration: number | undefined;
  /** whether actor/object had no owners then (top-level objects) */
  actorTopLevel: boolean;
  objectTopLevel: boolean;
  lastUsed: number;
  /** when the entry took its place in the store's order (lastUsed may have moved on since) */
  placedAt: number;
  /** where the store keeps it: the actor's key ('' for none) and the object's key (set by `set`) */
  actorKey: string;
  objectKey: string;
}

/** Hard ceiling so that a flood of distinct actions within `expireAfter` cannot exhaust memory. */
export const MAX_RECENT_ENTRIES = 500_000;

export class RecentStore {
  /** every entry, in placement order (for expiry) */
  private readonly entries = new Set<RecentEntry>();
  /**
   * object key -> its entries, one per actor (each knows its actor key). Lookups use the refs'
   * own key strings, no new strings. An object has one or two actions recorded (its own events,
   * the owner's action on it), so a short array scanned by actor key is lighter than a Map per
   * object — this structure lives as long as the entries do (expireAfter, minutes).
   */
  private readonly byObject = new Map<string, RecentEntry | RecentEntry[]>();

  constructor(private expireAfterMs: number) {}

  setExpireAfter(ms: number): void {
    this.expireAfterMs = ms;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The entry for the action (actorKey or '', objectKey) if it has not expired at `now`; not a use. */
  peek(actorKey: string, objectKey: string, now: number): RecentEntry | undefined {
    const entry = this.find(actorKey, objectKey);
    if (!entry) return undefined;
    if (now - entry.lastUsed > this.expireAfterMs) {
      this.delete(entry);
      return undefined;
    }
    return entry;
  }

  private find(actorKey: string, objectKey: string): RecentEntry | undefined {
    const slot = this.byObject.get(objectKey);
    if (slot === undefined) return undefined;
    if (!Array.isArray(slot)) return slot.actorKey === actorKey ? slot : undefined;
    for (const entry of slot) if (entry.actorKey === actorKey) return entry;
    return undefined;
  }

  private delete(entry: RecentEntry): void {
    this.entries.delete(entry);
    const slot = this.byObject.get(entry.objectKey);
    if (slot === entry) {
      this.byObject.delete(entry.objectKey);
    } else if (Array.isArray(slot)) {
      const i = slot.indexOf(entry);
      if (i === -1) return;
      slot.splice(i, 1);
      if (slot.length === 1) this.byObject.set(entry.objectKey, slot[0]!);
    }
  }

  /** Marks an entry used at `now` (it gave a parent), pushing back its expiry. */
  touch(entry: RecentEntry, now: number): void {
    if (entry.lastUsed < now) entry.lastUsed = now;
  }

  /** Stores the entry of the action (actorKey or '', objectKey), replacing the previous one. */
  set(actorKey: string, objectKey: string, entry: RecentEntry): void {
    entry.placedAt = entry.lastUsed;
    entry.actorKey = actorKey;
    entry.objectKey = objectKey;
    const slot = this.byObject.get(objectKey);
    if (slot === undefined) {
      this.byObject.set(objectKey, entry);
    } else if (!Array.isArray(slot)) {
      if (slot.actorKey === actorKey) {
        this.entries.delete(slot);
        this.byObject.set(objectKey, entry);
      } else {
        this.byObject.set(objectKey, [slot, entry]);
      }
    } else {
      const i = slot.findIndex((e) => e.actorKey === actorKey);
      if (i === -1) {
        slot.push(entry);
      } else {
        this.entries.delete(slot[i]!);
        slot[i] = entry;
      }
    }
    this.entries.add(entry);
    if (this.entries.size > MAX_RECENT_ENTRIES) {
      const oldest = this.entries.values().next();
      if (!oldest.done) this.delete(oldest.value);
    }
  }

  /** Drops entries unused for longer than `expireAfter`. */
  expire(now: number): void {
    for (const entry of this.entries) {
      if (now - entry.lastUsed > this.expireAfterMs) {
        this.delete(entry);
      } else if (entry.lastUsed !== entry.placedAt) {
        // used since it was placed: it belongs further back
        this.entries.delete(entry);
        entry.placedAt = entry.lastUsed;
        this.entries.add(entry);
      } else {
        break; // every later entry was placed (or last used) after this live one
      }
    }
  }
}
