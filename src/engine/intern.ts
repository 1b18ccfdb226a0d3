/**
 * One copy of values that events and cached objects repeat (strings, owner lists): values parsed
 * from JSON are fresh copies, and an event's facts live for seconds (its wait, then its held
 * span), a cached object for much longer, long enough to be promoted, so every copy kept costs a
 * young-generation copy and old-space room. Bounded: a pool that is full starts over; the values
 * are equal either way, so nothing depends on which copy is kept.
 */
export class StringPool {
  private readonly strings = new Map<string, string>();

  constructor(private readonly max: number) {}

  intern(s: string): string {
    const known = this.strings.get(s);
    if (known !== undefined) return known;
    if (this.strings.size >= this.max) this.strings.clear();
    this.strings.set(s, s);
    return s;
  }
}

/** kinds, namespaces, reasons, types, api versions: a few hundred values in a cluster */
const shortStrings = new StringPool(50_000);

export function intern<T extends string | undefined>(s: T): T {
  if (typeof s !== 'string') return s; // events from the wire may carry anything
  return shortStrings.intern(s) as T;
}

const messages = new StringPool(4096);

/**
 * An event's message, shared with the events that said the same. About half of all messages
 * repeat word for word across objects ("Started container app", an image already present on
 * the node); the ones that name their own object ("Created pod: web-5d4f8c7b9-x2x7q",
 * "Successfully assigned shop/web-5d4f8c7b9-x2x7q to node-7") never do, and would only churn
 * the pool, so they are kept as they came.
 */
export function internMessage(message: string, ownName: string): string {
  if (ownName !== '' && message.includes(ownName)) return message;
  return messages.intern(message);
}

/** An owner reference as kept by the object caches: what the engine reads of it. */
export interface SlimOwner {
  kind?: unknown;
  name?: unknown;
  controller?: unknown;
}

/** Past this many lists the pool starts over (the lists stay correct either way). */
const MAX_OWNER_LISTS = 100_000;

/**
 * One array per distinct list of slim owner references: every Pod of a ReplicaSet, every
 * ReplicaSet of a Deployment names the same owners. Indexed by the first owner's name, a string
 * the list holds anyway: a key string per list cost about what sharing the lists saved. The
 * engine reads these lists, never changes them.
 */
export class OwnerListPool<T extends SlimOwner> {
  /** by the first owner's name: one list, or several that start with that name */
  private readonly lists = new Map<string, T[] | T[][]>();
  private count = 0;

  /** The pool's list equal to `owners` (kind, name, controller), else `owners`, now pooled. */
  shared(owners: T[]): T[] {
    const first = owners[0]?.name;
    if (typeof first !== 'string') return owners;
    const known = this.lists.get(first);
    if (known === undefined) {
      if (this.count >= MAX_OWNER_LISTS) {
        this.lists.clear();
        this.count = 0;
      }
      this.lists.set(first, owners);
    } else {
      const lists = isListOfLists(known) ? known : [known];
      const same = lists.find((list) => sameOwnerList(list, owners));
      if (same) return same;
      lists.push(owners);
      this.lists.set(first, lists);
    }
    this.count++;
    return owners;
  }
}

function isListOfLists<T>(value: T[] | T[][]): value is T[][] {
  return Array.isArray(value[0]);
}

/** Whether two owner lists say the same of what the engine reads: kind, name, controller. */
export function sameOwnerList(a: readonly SlimOwner[], b: readonly SlimOwner[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    // lists from the wire may hold anything
    if (typeof x !== 'object' || x === null || typeof y !== 'object' || y === null) return false;
    if (x.kind !== y.kind || x.name !== y.name || x.controller !== y.controller) return false;
  }
  return true;
}
