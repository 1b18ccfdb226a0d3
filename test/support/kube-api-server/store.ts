/**
 * Object storage with etcd-like resourceVersions: one global monotonic counter, every write gets
 * the next value, and a bounded history of changes lets watches resume from a resourceVersion.
 * Changes at or before the compaction point are gone: resuming from there is 410 Gone.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type KubeObject = Record<string, any> & { metadata: ObjectMeta };

export interface ObjectMeta {
  name: string;
  namespace?: string;
  resourceVersion?: string;
  [key: string]: unknown;
}

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface Change {
  type: ChangeType;
  /** storage key of the resource type (group/resource) */
  key: string;
  rv: number;
  object: KubeObject;
  /** the object before this change (MODIFIED and DELETED) */
  previous?: KubeObject;
}

export class Expired extends Error {
  constructor(
    readonly requested: number,
    readonly oldest: number,
  ) {
    super(`too old resource version: ${requested} (${oldest})`);
  }
}

const objectKey = (namespace: string | undefined, name: string) => `${namespace ?? ''}/${name}`;
/** An object's place in list order, and what continue tokens carry. */
export const keyOfObject = (o: KubeObject): string => objectKey(o.metadata.namespace, o.metadata.name);

/**
 * Objects by storage key order (`namespace/name`, compared by code unit as etcd compares keys):
 * the order of lists, and the order continue tokens page through.
 */
export function sortedByKey(objects: Iterable<KubeObject>): KubeObject[] {
  const keyed = Array.from(objects, (o) => [keyOfObject(o), o] as const);
  keyed.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return keyed.map(([, o]) => o);
}

/** Index of the first object whose key sorts after `key`, in a list in key order. */
export function indexAfter(sorted: readonly KubeObject[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keyOfObject(sorted[mid]!) <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The objects of one type by namespace ('' when cluster-scoped), then name: listing one
 * namespace touches that namespace's objects only, as the benchmarks' per-namespace informers do
 * by the thousand.
 */
class TypeObjects {
  private readonly byNamespace = new Map<string, Map<string, KubeObject>>();
  size = 0;

  get(namespace: string | undefined, name: string): KubeObject | undefined {
    return this.byNamespace.get(namespace ?? '')?.get(name);
  }

  /** Stores the object; returns the one it replaces. */
  set(obj: KubeObject): KubeObject | undefined {
    const ns = obj.metadata.namespace ?? '';
    let names = this.byNamespace.get(ns);
    if (names === undefined) this.byNamespace.set(ns, (names = new Map()));
    const previous = names.get(obj.metadata.name);
    names.set(obj.metadata.name, obj);
    if (previous === undefined) this.size++;
    return previous;
  }

  delete(namespace: string | undefined, name: string): KubeObject | undefined {
    const ns = namespace ?? '';
    const names = this.byNamespace.get(ns);
    const previous = names?.get(name);
    if (names === undefined || previous === undefined) return undefined;
    names.delete(name);
    if (names.size === 0) this.byNamespace.delete(ns);
    this.size--;
    return previous;
  }

  /** The objects in one namespace, or in all. */
  *values(namespace?: string): Generator<KubeObject> {
    if (namespace !== undefined) {
      yield* this.byNamespace.get(namespace)?.values() ?? [];
      return;
    }
    for (const names of this.byNamespace.values()) yield* names.values();
  }
}

/** List snapshots kept (most recently used): every page of a paged list after the first is served from its first page's. */
const MAX_SNAPSHOTS = 32;

export class Store {
  private rv = 0;
  /** every change with rv > compactedRv is in history */
  private compactedRv = 0;
  private readonly objects = new Map<string, TypeObjects>();
  private history: Change[] = [];
  /** listeners by storage key: a change reaches only the watches of its own type */
  private readonly listeners = new Map<string, Set<(change: Change) => void>>();
  /** recent list snapshots (sorted, not cloned), by type, resourceVersion and namespace */
  private readonly snapshots = new Map<string, readonly KubeObject[]>();

  constructor(private readonly maxHistory = 10_000) {}

  get currentRv(): number {
    return this.rv;
  }

  get oldestRv(): number {
    return this.compactedRv;
  }

  get(key: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const obj = this.objects.get(key)?.get(namespace, name);
    return obj === undefined ? undefined : structuredClone(obj);
  }

  /** The stored object itself, not a copy: read it, never change it. */
  peek(key: string, namespace: string | undefined, name: string): Readonly<KubeObject> | undefined {
    return this.objects.get(key)?.get(namespace, name);
  }

  /** Storage keys that hold at least one object. */
  keys(): string[] {
    return [...this.objects].filter(([, bucket]) => bucket.size > 0).map(([key]) => key);
  }

  /** The stored objects of a type, in one namespace or all, unordered and not copied: read them, never change them. */
  peekAll(key: string, namespace?: string): Iterable<Readonly<KubeObject>> {
    return this.objects.get(key)?.values(namespace) ?? [];
  }

  /** Objects of a type, in one namespace or all, in key order (copies). */
  list(key: string, namespace?: string): KubeObject[] {
    return sortedByKey(this.objects.get(key)?.values(namespace) ?? []).map((o) => structuredClone(o));
  }

  /**
   * Stores a new or changed object under the next resourceVersion and notifies watchers. The
   * store takes `object` itself (every caller passes a copy of its own, made from a request body,
   * a put() argument or a stored object): one deep copy less per write, the benchmarks' hot path.
   * The result is a copy unless `copyOut` is false (then it is the stored object: read it only).
   */
  write(key: string, object: KubeObject, copyOut = true): KubeObject {
    const stored = object;
    stored.metadata.resourceVersion = String(++this.rv);
    const previous = this.bucket(key).set(stored);
    this.record(previous === undefined ? { type: 'ADDED', key, rv: this.rv, object: stored } : { type: 'MODIFIED', key, rv: this.rv, object: stored, previous });
    return copyOut ? structuredClone(stored) : stored;
  }

  /**
   * Removes an object; the DELETED change carries its last stored state with a new
   * resourceVersion, as etcd does. Stored objects are never changed after their write, so the
   * DELETED state shares all but its metadata with the last one. The result is a copy unless
   * `copyOut` is false (then it is the recorded object: read it only).
   */
  delete(key: string, namespace: string | undefined, name: string, copyOut = true): KubeObject | undefined {
    const previous = this.objects.get(key)?.delete(namespace, name);
    if (previous === undefined) return undefined;
    const gone: KubeObject = { ...previous, metadata: { ...previous.metadata, resourceVersion: String(++this.rv) } };
    this.record({ type: 'DELETED', key, rv: this.rv, object: gone, previous });
    return copyOut ? structuredClone(gone) : gone;
  }

  /**
   * Objects of a type as they were at resourceVersion `rv` (undoing the later changes from
   * history), copies; throws Expired when that state was compacted away.
   */
  listAt(key: string, rv: number, namespace?: string): KubeObject[] {
    return this.snapshot(key, rv, namespace).map((o) => structuredClone(o));
  }

  /**
   * listAt() without the copies, for a list response that serializes the objects right away:
   * read-only. Snapshots are cached, so the pages of one paged list (same snapshot) do not
   * rebuild and re-sort the whole type each time. Throws Expired like listAt().
   */
  snapshot(key: string, rv: number, namespace?: string): readonly KubeObject[] {
    const at = Math.min(rv, this.rv);
    if (at < this.rv && at < this.compactedRv) throw new Expired(at, this.compactedRv);
    const cacheKey = `${key}\u0000${at}\u0000${namespace ?? ''}`;
    const cached = this.snapshots.get(cacheKey);
    if (cached) {
      this.snapshots.delete(cacheKey);
      this.snapshots.set(cacheKey, cached);
      return cached;
    }
    const current = this.objects.get(key)?.values(namespace) ?? [];
    if (at === this.rv) return this.cacheSnapshot(cacheKey, sortedByKey(current));
    // An older state: the current one with the later changes undone, newest first.
    const state = new Map<string, KubeObject>();
    for (const o of current) state.set(keyOfObject(o), o);
    const later = this.changesSince(key, at);
    for (let i = later.length - 1; i >= 0; i--) {
      const change = later[i]!;
      if (namespace !== undefined && change.object.metadata.namespace !== namespace) continue;
      const id = keyOfObject(change.object);
      if (change.type === 'ADDED' || change.previous === undefined) state.delete(id);
      else state.set(id, change.previous);
    }
    return this.cacheSnapshot(cacheKey, sortedByKey(state.values()));
  }

  private cacheSnapshot(cacheKey: string, items: readonly KubeObject[]): readonly KubeObject[] {
    this.snapshots.set(cacheKey, items);
    if (this.snapshots.size > MAX_SNAPSHOTS) this.snapshots.delete(this.snapshots.keys().next().value as string);
    return items;
  }

  /** Changes of one type after `rv`; throws Expired when some of them were compacted away. */
  changesSince(key: string, rv: number): Change[] {
    if (rv < this.compactedRv) throw new Expired(rv, this.compactedRv);
    // History is in rv order: start at the first change after rv.
    const h = this.history;
    let lo = 0;
    let hi = h.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (h[mid]!.rv <= rv) lo = mid + 1;
      else hi = mid;
    }
    const out: Change[] = [];
    for (let i = lo; i < h.length; i++) if (h[i]!.key === key) out.push(h[i]!);
    return out;
  }

  /** Forget the history: resourceVersions before now become 410 Gone. */
  compact(): void {
    this.compactedRv = this.rv;
    this.history = [];
    this.snapshots.clear();
  }

  /** Calls `listener` with every change to objects of type `key`, until the returned function is called. */
  subscribe(key: string, listener: (change: Change) => void): () => void {
    let forKey = this.listeners.get(key);
    if (forKey === undefined) this.listeners.set(key, (forKey = new Set()));
    forKey.add(listener);
    return () => {
      forKey.delete(listener);
      if (forKey.size === 0 && this.listeners.get(key) === forKey) this.listeners.delete(key);
    };
  }

  private bucket(key: string): TypeObjects {
    let bucket = this.objects.get(key);
    if (bucket === undefined) {
      bucket = new TypeObjects();
      this.objects.set(key, bucket);
    }
    return bucket;
  }

  private record(change: Change): void {
    this.history.push(change);
    // Compacted in steps of a quarter of the bound, not one change per write: shifting the whole
    // array on every write was most of the benchmarks' injector time.
    if (this.history.length > this.maxHistory + (this.maxHistory >> 2)) {
      const dropped = this.history.splice(0, this.history.length - this.maxHistory);
      this.compactedRv = dropped[dropped.length - 1]?.rv ?? this.compactedRv;
    }
    // A watch closed by a write error meanwhile has unsubscribed: a Set skips it.
    const forKey = this.listeners.get(change.key);
    if (forKey !== undefined) for (const listener of forKey) listener(change);
  }

  /** Drops every object of a type (its CRD went away); watchers see DELETED for each. */
  dropType(key: string): void {
    for (const obj of this.list(key)) this.delete(key, obj.metadata.namespace, obj.metadata.name);
    this.objects.delete(key);
  }
}
