/**
 * The object caches' index: the newest version of each object by kind, namespace and name, the
 * previous generation where one was seen, and deleted objects kept resolvable for a while.
 */

import type { KubeObject } from '../engine/types.js';

/**
 * A cached object with a history: a previous generation seen, or deleted but retained. Changed in
 * place over its versions. Most objects have neither and are kept bare (see Slot).
 */
class Tracked {
  constructor(
    public current: KubeObject,
    /** newest version seen with a generation lower than current's */
    public previous: KubeObject | undefined,
    /** set while the object is deleted but retained */
    public deletedAt: number | undefined,
  ) {}
}

/** What the index keeps per object: the object itself, or a Tracked one (no wrapper for most objects). */
type Slot = KubeObject | Tracked;

function currentOf(slot: Slot): KubeObject {
  return slot instanceof Tracked ? slot.current : slot;
}

/**
 * Slots by their current object's kind, namespace and name, lowercased, in nested maps: no key
 * string is joined per object or per lookup (toLowerCase returns the string itself when it has no
 * capitals, so names and namespaces are the objects' own strings).
 */
class SlotMap {
  private readonly byKind = new Map<string, Map<string, Map<string, Slot>>>();
  /** kind -> lowercase kind (a handful), so that a lookup allocates nothing */
  private readonly kinds = new Map<string, string>();
  size = 0;

  private kindKey(kind: string): string {
    let lower = this.kinds.get(kind);
    if (lower === undefined) {
      lower = kind.toLowerCase();
      if (this.kinds.size < 1024) this.kinds.set(kind, lower);
    }
    return lower;
  }

  get(kind: string, namespace: string, name: string): Slot | undefined {
    return this.byKind.get(this.kindKey(kind))?.get(namespace.toLowerCase())?.get(name.toLowerCase());
  }

  /** Keeps `slot` under its object's kind, namespace and name, in place of what was there. */
  put(slot: Slot): void {
    const object = currentOf(slot);
    const names = this.namesOf(object, true)!;
    const size = names.size;
    names.set(object.metadata.name.toLowerCase(), slot);
    this.size += names.size - size;
  }

  /** Removes `slot`, unless another one has taken its place. */
  delete(slot: Slot): void {
    const object = currentOf(slot);
    const names = this.namesOf(object, false);
    const name = object.metadata.name.toLowerCase();
    if (names?.get(name) !== slot) return;
    names.delete(name);
    this.size--;
  }

  /** The map of `object`'s kind and namespace, made if asked for and missing. */
  private namesOf(object: KubeObject, make: boolean): Map<string, Slot> | undefined {
    const k = this.kindKey(object.kind);
    let namespaces = this.byKind.get(k);
    if (namespaces === undefined) {
      if (!make) return undefined;
      this.byKind.set(k, (namespaces = new Map()));
    }
    const ns = (object.metadata.namespace ?? '').toLowerCase();
    let names = namespaces.get(ns);
    if (names === undefined && make) namespaces.set(ns, (names = new Map()));
    return names;
  }

  *slots(): Generator<Slot> {
    for (const namespaces of this.byKind.values()) for (const names of namespaces.values()) yield* names.values();
  }

  clear(): void {
    this.byKind.clear();
    this.size = 0;
  }
}

export interface ObjectIndexOptions {
  /** how long a deleted object stays resolvable */
  retentionMs: number;
  /** cap on retained deleted objects; the oldest deletion goes first */
  maxDeleted: number;
  now: () => number;
}

export class ObjectIndex {
  private readonly slots = new SlotMap();
  /** deleted objects in deletion order (a Set keeps insertion order) */
  private readonly deletedOrder = new Set<Tracked>();

  constructor(private readonly options: ObjectIndexOptions) {}

  /** Live objects. */
  get live(): number {
    return this.slots.size - this.deletedOrder.size;
  }

  /** Deleted objects still resolvable. */
  get deleted(): number {
    return this.deletedOrder.size;
  }

  /** The current version, unless unknown or deleted longer ago than the retention. */
  get(kind: string, namespace: string, name: string): KubeObject | undefined {
    const slot = this.lookup(kind, namespace, name);
    return slot === undefined ? undefined : currentOf(slot);
  }

  /** The newest known version with a generation lower than `generation`. */
  previousGeneration(kind: string, namespace: string, name: string, generation: number): KubeObject | undefined {
    const slot = this.lookup(kind, namespace, name);
    if (!slot) return undefined;
    for (const candidate of slot instanceof Tracked ? [slot.current, slot.previous] : [slot]) {
      const g = candidate?.metadata.generation;
      if (candidate && g !== undefined && g < generation) return candidate;
    }
    return undefined;
  }

  /**
   * Records a version seen by a watch; a deleted one stays resolvable for the retention. Returns
   * the version it replaced, if it was of the same object.
   */
  apply(object: KubeObject, deleted: boolean): KubeObject | undefined {
    const { kind, metadata } = object;
    const slot = this.slots.get(kind, metadata.namespace ?? '', metadata.name);
    let next: Slot = object;
    let replaced: KubeObject | undefined;
    if (slot !== undefined) {
      const current = currentOf(slot);
      if (sameObject(current, object)) replaced = current;
      let previous = slot instanceof Tracked ? slot.previous : undefined;
      // A new object reusing the name: nothing earlier belongs to it.
      if (!sameObject(current, object)) previous = undefined;
      else if (newerGeneration(object, current)) previous = current;
      if (slot instanceof Tracked) {
        slot.current = object;
        slot.previous = previous;
        next = slot;
      } else if (previous !== undefined) {
        next = new Tracked(object, previous, undefined);
      }
    }
    if (next !== slot) this.slots.put(next);
    if (deleted) {
      this.markDeleted(next, this.options.now());
      this.evictExpired();
    } else if (next instanceof Tracked && next.deletedAt !== undefined) {
      next.deletedAt = undefined;
      this.deletedOrder.delete(next);
    }
    return replaced;
  }

  /** Adds an object fetched outside the watches, unless a watch delivered it meanwhile; returns the cached version. */
  addIfAbsent(object: KubeObject): KubeObject {
    const existing = this.slots.get(object.kind, object.metadata.namespace ?? '', object.metadata.name);
    if (existing) return currentOf(existing);
    this.slots.put(object);
    return object;
  }

  /**
   * Nobody keeps the live objects that `orphaned` selects up to date any more: they age out like
   * deleted ones.
   */
  ageOut(orphaned: (object: KubeObject) => boolean): void {
    const now = this.options.now();
    for (const slot of this.slots.slots()) {
      if (slot instanceof Tracked && slot.deletedAt !== undefined) continue;
      if (orphaned(currentOf(slot))) this.markDeleted(slot, now);
    }
    this.evictExpired();
  }

  evictExpired(): void {
    const now = this.options.now();
    for (const tracked of this.deletedOrder) {
      if (now - tracked.deletedAt! <= this.options.retentionMs && this.deletedOrder.size <= this.options.maxDeleted) break;
      this.deletedOrder.delete(tracked);
      this.slots.delete(tracked);
    }
  }

  clear(): void {
    this.slots.clear();
    this.deletedOrder.clear();
  }

  private markDeleted(slot: Slot, now: number): void {
    let tracked = slot;
    if (!(tracked instanceof Tracked)) {
      tracked = new Tracked(tracked, undefined, undefined);
      this.slots.put(tracked);
    }
    tracked.deletedAt = now;
    this.deletedOrder.delete(tracked);
    this.deletedOrder.add(tracked);
  }

  private lookup(kind: string, namespace: string, name: string): Slot | undefined {
    const slot = this.slots.get(kind, namespace, name);
    if (slot instanceof Tracked && slot.deletedAt !== undefined && this.options.now() - slot.deletedAt > this.options.retentionMs) {
      this.evictExpired();
      return undefined;
    }
    return slot;
  }
}

function sameObject(a: KubeObject, b: KubeObject): boolean {
  return !a.metadata.uid || !b.metadata.uid || a.metadata.uid === b.metadata.uid;
}

function newerGeneration(next: KubeObject, current: KubeObject): boolean {
  const a = next.metadata.generation;
  const b = current.metadata.generation;
  return a !== undefined && b !== undefined && a > b;
}
