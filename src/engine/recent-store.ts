/**
 * The recent store (docs/design.md §5.4): action -> (span, its parent), kept until `expireAfter`
 * after its last use. Entries are filed by the second of their last use as of filing; a use only
 * updates `lastUsed`, and expiry takes the files older than `expireAfter`, dropping their entries
 * not used since and filing the others again by their last use. So an entry goes at most a
 * second late, and a use costs no reordering.
 */

import type { SpanHandle } from './span-builder.js';
import type { ObjectRef } from './types.js';

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
  /** the uid of the object's incarnation the action was on, when known (§5.4): a Pod recreated under its name is another */
  objectUid: string | undefined;
  /** the action deleted its object (`Deleted pod: X`): what a kubelet's `Killing` of X waits for (§5.5) */
  deletes: boolean;
  lastUsed: number;
  /** where the store files it: the second of its last use as of filing, and its index there (set by the store) */
  file: number;
  slot: number;
  /** where the store keeps it: the actor's key ('' for none) and the object's key (set by `set`) */
  actorKey: string;
  objectKey: string;
}

/** Hard ceiling so that a flood of distinct actions within `expireAfter` cannot exhaust memory. */
export const MAX_RECENT_ENTRIES = 500_000;

/** The span of time one file covers. */
const FILE_MS = 1000;

export class RecentStore {
  /**
   * object key -> its entries, one per actor (each knows its actor key). Lookups use the refs'
   * own key strings, no new strings. An object has one or two actions recorded (its own events,
   * the owner's action on it), so a short array scanned by actor key is lighter than a Map per
   * object — this structure lives as long as the entries do (expireAfter, minutes).
   */
  private readonly byObject = new Map<string, RecentEntry | RecentEntry[]>();
  /** second (of a last use) -> the entries filed under it, in no order: a few hundred files */
  private readonly files = new Map<number, RecentEntry[]>();
  private count = 0;

  constructor(
    private expireAfterMs: number,
    private readonly maxEntries = MAX_RECENT_ENTRIES,
  ) {}

  setExpireAfter(ms: number): void {
    this.expireAfterMs = ms;
  }

  get size(): number {
    return this.count;
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

  /**
   * The most recently used entry of an action by an actor on the object (roots, whose actor keys
   * start with NUL, are none), only a deletion when `deletion`; not a use.
   */
  newestByActor(objectKey: string, now: number, deletion: boolean): RecentEntry | undefined {
    const slot = this.byObject.get(objectKey);
    if (slot === undefined) return undefined;
    let best: RecentEntry | undefined;
    for (const entry of Array.isArray(slot) ? [...slot] : [slot]) {
      if (entry.actorKey === '' || entry.actorKey.startsWith('\u0000') || (deletion && !entry.deletes)) continue;
      if (this.peek(entry.actorKey, objectKey, now) === undefined) continue;
      if (best === undefined || entry.lastUsed >= best.lastUsed) best = entry;
    }
    return best;
  }

  private find(actorKey: string, objectKey: string): RecentEntry | undefined {
    const slot = this.byObject.get(objectKey);
    if (slot === undefined) return undefined;
    if (!Array.isArray(slot)) return slot.actorKey === actorKey ? slot : undefined;
    for (let i = 0; i < slot.length; i++) if (slot[i]!.actorKey === actorKey) return slot[i];
    return undefined;
  }

  private delete(entry: RecentEntry): void {
    this.unfile(entry);
    this.forget(entry);
  }

  /** Takes the entry out of the object index (its file is the caller's business). */
  private forget(entry: RecentEntry): void {
    this.count--;
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

  /** An entry whose place in the object index the new entry of its action takes. */
  private dropReplaced(entry: RecentEntry): void {
    this.unfile(entry);
    this.count--;
  }

  private fileUnder(entry: RecentEntry, file: number): void {
    let list = this.files.get(file);
    if (list === undefined) this.files.set(file, (list = []));
    entry.file = file;
    entry.slot = list.length;
    list.push(entry);
  }

  private unfile(entry: RecentEntry): void {
    const list = this.files.get(entry.file);
    if (list === undefined || list[entry.slot] !== entry) return;
    // Order within a file does not matter: the last entry takes the leaving one's place.
    const last = list.pop()!;
    if (last !== entry) {
      list[entry.slot] = last;
      last.slot = entry.slot;
    }
    if (list.length === 0) this.files.delete(entry.file);
  }

  /** Marks an entry used at `now` (it gave a parent), pushing back its expiry. */
  touch(entry: RecentEntry, now: number): void {
    if (entry.lastUsed < now) entry.lastUsed = now;
  }

  /** Stores the entry of the action (actorKey or '', objectKey), replacing the previous one. */
  set(actorKey: string, objectKey: string, entry: RecentEntry): void {
    entry.actorKey = actorKey;
    entry.objectKey = objectKey;
    const slot = this.byObject.get(objectKey);
    if (slot === undefined) {
      this.byObject.set(objectKey, entry);
    } else if (!Array.isArray(slot)) {
      if (slot.actorKey === actorKey) {
        this.dropReplaced(slot);
        this.byObject.set(objectKey, entry);
      } else {
        this.byObject.set(objectKey, [slot, entry]);
      }
    } else {
      const i = slot.findIndex((e) => e.actorKey === actorKey);
      if (i === -1) {
        slot.push(entry);
      } else {
        this.dropReplaced(slot[i]!);
        slot[i] = entry;
      }
    }
    this.fileUnder(entry, Math.floor(entry.lastUsed / FILE_MS));
    this.count++;
    if (this.count > this.maxEntries) this.dropLeastRecentlyUsed(entry);
  }

  /**
   * Over the bound: drops an entry of the oldest file not used since it was filed (the others
   * are filed again by their last use on the way), never `kept`, the entry just stored.
   */
  private dropLeastRecentlyUsed(kept: RecentEntry): void {
    for (;;) {
      const file = this.oldestFile();
      const list = this.files.get(file);
      if (list === undefined) return;
      // From the end: an entry leaving takes the last one's place, already seen.
      for (let i = list.length - 1; i >= 0; i--) {
        const entry = list[i]!;
        if (entry === kept) continue;
        const lastUse = Math.floor(entry.lastUsed / FILE_MS);
        if (lastUse <= file) {
          this.delete(entry);
          return;
        }
        this.unfile(entry);
        this.fileUnder(entry, lastUse);
      }
      if (this.files.get(file) === list) return; // only `kept` left in the oldest file
    }
  }

  /** The lowest file (a scan: a few hundred files, and only when the store is over its bound). */
  private oldestFile(): number {
    let oldest = Infinity;
    for (const file of this.files.keys()) if (file < oldest) oldest = file;
    return oldest;
  }

  /** Drops entries unused for longer than `expireAfter`. */
  expire(now: number): void {
    // Files below this one hold entries whose last use, as of filing, is past expireAfter.
    const due = Math.floor((now - this.expireAfterMs) / FILE_MS);
    for (const [file, list] of this.files) {
      if (file >= due) continue;
      this.files.delete(file);
      for (const entry of list) {
        if (now - entry.lastUsed > this.expireAfterMs) {
          this.forget(entry);
        } else {
          // used since it was filed: filed again, by that use (never below `due`, which this
          // loop would visit again)
          this.fileUnder(entry, Math.max(due, Math.floor(entry.lastUsed / FILE_MS)));
        }
      }
    }
  }
}
