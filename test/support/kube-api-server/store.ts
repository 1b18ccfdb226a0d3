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

export class Store {
  private rv = 0;
  /** every change with rv > compactedRv is in history */
  private compactedRv = 0;
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private history: Change[] = [];
  private readonly listeners = new Set<(change: Change) => void>();
  /** recent list snapshots (sorted, not cloned): paging through a big list reuses one */
  private readonly snapshots = new Map<string, readonly KubeObject[]>();

  constructor(private readonly maxHistory = 10_000) {}

  get currentRv(): number {
    return this.rv;
  }

  get oldestRv(): number {
    return this.compactedRv;
  }

  get(key: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const obj = this.objects.get(key)?.get(objectKey(namespace, name));
    return obj === undefined ? undefined : structuredClone(obj);
  }

  /** The stored object itself, not a copy: read it, never change it. */
  peek(key: string, namespace: string | undefined, name: string): Readonly<KubeObject> | undefined {
    return this.objects.get(key)?.get(objectKey(namespace, name));
  }

  /** Storage keys that hold at least one object. */
  keys(): string[] {
    return [...this.objects].filter(([, bucket]) => bucket.size > 0).map(([key]) => key);
  }

  /** Objects of a type, in one namespace or all, sorted by namespace then name. */
  list(key: string, namespace?: string): KubeObject[] {
    const bucket = this.objects.get(key);
    if (bucket === undefined) return [];
    const items = [...bucket.values()].filter((o) => namespace === undefined || o.metadata.namespace === namespace);
    items.sort((a, b) => objectKey(a.metadata.namespace, a.metadata.name).localeCompare(objectKey(b.metadata.namespace, b.metadata.name)));
    return items.map((o) => structuredClone(o));
  }

  /**
   * Stores a new or changed object under the next resourceVersion and notifies watchers. The
   * store takes `object` itself (every caller passes a copy of its own, made from a request body,
   * a put() argument or a stored object): one deep copy less per write, the benchmarks' hot path.
   * The result is a copy unless `copyOut` is false (then it is the stored object: read it only).
   */
  write(key: string, object: KubeObject, copyOut = true): KubeObject {
    const bucket = this.bucket(key);
    const id = objectKey(object.metadata.namespace, object.metadata.name);
    const previous = bucket.get(id);
    const stored = object;
    stored.metadata.resourceVersion = String(++this.rv);
    bucket.set(id, stored);
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
    const bucket = this.objects.get(key);
    const id = objectKey(namespace, name);
    const previous = bucket?.get(id);
    if (bucket === undefined || previous === undefined) return undefined;
    bucket.delete(id);
    const gone: KubeObject = { ...previous, metadata: { ...previous.metadata, resourceVersion: String(++this.rv) } };
    this.record({ type: 'DELETED', key, rv: this.rv, object: gone, previous });
    return copyOut ? structuredClone(gone) : gone;
  }

  /**
   * Objects of a type as they were at resourceVersion `rv` (undoing the later changes from
   * history); throws Expired when that state was compacted away.
   */
  listAt(key: string, rv: number, namespace?: string): KubeObject[] {
    if (rv >= this.rv) return this.list(key, namespace);
    const later = this.changesSince(key, rv);
    const state = new Map(this.list(key).map((o) => [objectKey(o.metadata.namespace, o.metadata.name), o]));
    for (const change of later.reverse()) {
      const id = objectKey(change.object.metadata.namespace, change.object.metadata.name);
      if (change.type === 'ADDED' || change.previous === undefined) state.delete(id);
      else state.set(id, structuredClone(change.previous));
    }
    return [...state.entries()]
      .filter(([, o]) => namespace === undefined || o.metadata.namespace === namespace)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([, o]) => o);
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
    if (cached) return cached;
    if (at === this.rv) {
      // The current state: no history to undo, only this namespace's objects to sort.
      const current = [...(this.objects.get(key)?.values() ?? [])].filter((o) => namespace === undefined || o.metadata.namespace === namespace);
      const items = current.map((o) => [objectKey(o.metadata.namespace, o.metadata.name), o] as const).sort(([a], [b]) => a.localeCompare(b)).map(([, o]) => o);
      return this.cacheSnapshot(cacheKey, items);
    }
    const state = new Map<string, KubeObject>();
    for (const o of this.objects.get(key)?.values() ?? []) state.set(objectKey(o.metadata.namespace, o.metadata.name), o);
    {
      for (const change of this.changesSince(key, at).reverse()) {
        const id = objectKey(change.object.metadata.namespace, change.object.metadata.name);
        if (change.type === 'ADDED' || change.previous === undefined) state.delete(id);
        else state.set(id, change.previous);
      }
    }
    const items = [...state.entries()]
      .filter(([, o]) => namespace === undefined || o.metadata.namespace === namespace)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([, o]) => o);
    return this.cacheSnapshot(cacheKey, items);
  }

  private cacheSnapshot(cacheKey: string, items: readonly KubeObject[]): readonly KubeObject[] {
    this.snapshots.set(cacheKey, items);
    if (this.snapshots.size > 8) this.snapshots.delete(this.snapshots.keys().next().value as string);
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

  subscribe(listener: (change: Change) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private bucket(key: string): Map<string, KubeObject> {
    let bucket = this.objects.get(key);
    if (bucket === undefined) {
      bucket = new Map();
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
    for (const listener of [...this.listeners]) listener(change);
  }

  /** Drops every object of a type (its CRD went away); watchers see DELETED for each. */
  dropType(key: string): void {
    for (const obj of this.list(key)) this.delete(key, obj.metadata.namespace, obj.metadata.name);
    this.objects.delete(key);
  }
}
