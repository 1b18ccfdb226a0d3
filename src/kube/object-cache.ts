/**
 * Watch-fed object caches that answer the engine's owner lookups (ObjectLookup) without an API
 * request per event. One metadata-only list+watch per (kind, namespace) feeds one shared store;
 * namespaces are retained on demand and ref-counted, and the watches themselves are shared
 * through SharedWatches.
 *
 * - Deleted objects stay resolvable for `deletedRetentionMs`, at most `maxDeleted` of them
 *   (oldest evicted first): an event about a Pod often arrives after the Pod is gone.
 * - One previous version is kept per object, the newest one with a lower generation, so that
 *   `previousGeneration` can answer.
 * - A miss may fall back to ONE GET (deduplicated, rate-limited, counted; 404s cached for a
 *   while) — but only where no synced watch covers the kind and namespace: there a miss is a
 *   real "does not exist", and the steady state costs no GET at all.
 */

import { OwnerListPool, StringPool } from '../engine/intern.js';
import type { KubeObject, ObjectLookup, ObjectRef } from '../engine/types.js';
import { type Clock, type KubeLogger, silentLogger, systemClock } from './clock.js';
import type { KubeClient, KubeObjectLike } from './client.js';
import { KubeApiError } from './errors.js';
import type { ChangeEvent } from './list-watch.js';
import { DEFAULT_OWNER_RESOURCES, type ResourceType } from './resources.js';
import type { SharedSubscription, SharedWatches } from './shared-watches.js';

export interface GetFallbackOptions {
  /** sustained GETs per second (default 5) */
  ratePerSecond?: number;
  /** burst size (default 20) */
  burst?: number;
  /** how long a 404 is remembered (default 60 s) */
  notFoundTtlMs?: number;
  /** cap on remembered 404s (default 10 000) */
  maxNotFound?: number;
}

/** Deleted objects kept resolvable at most, by default. */
export const DEFAULT_MAX_DELETED = 10_000;

export interface ObjectCacheOptions {
  watches: SharedWatches;
  /** enables the GET fallback on a miss; absent: no GETs ever */
  client?: Pick<KubeClient, 'get'>;
  /** kinds to cache (default: pods, replicasets, deployments, statefulsets, daemonsets, jobs, cronjobs) */
  resources?: readonly ResourceType[];
  /**
   * Kinds cached with their spec (status is dropped): the engine compares specs across
   * generations to attribute a root span to the change's manager. Default: Deployment,
   * StatefulSet, DaemonSet, CronJob — the usual top-level objects, few compared to Pods.
   * Every other kind is watched as PartialObjectMetadata.
   */
  fullObjectKinds?: readonly string[];
  /** how long a deleted object stays resolvable (default 10 min) */
  deletedRetentionMs?: number;
  /** cap on retained deleted objects (default DEFAULT_MAX_DELETED) */
  maxDeleted?: number;
  getFallback?: GetFallbackOptions;
  clock?: Clock;
  logger?: KubeLogger;
}

export interface ObjectCacheStats {
  /** live objects */
  objects: number;
  /** deleted objects still resolvable */
  deleted: number;
  hits: number;
  misses: number;
  /** GET requests made by the fallback */
  gets: number;
  getsNotFound: number;
  getsFailed: number;
  /** fallbacks skipped because the rate limit was reached */
  getsRateLimited: number;
  /** kind/namespace watches currently running */
  watches: number;
}

/** Stops holding a namespace. Idempotent. */
export interface Retention {
  release(): void;
}

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

/**
 * What the index keeps per object: the object itself, or a Tracked one. With 100,000s of cached
 * objects, a wrapper for each was ~64 bytes of every one of them.
 */
type Slot = KubeObject | Tracked;

function currentOf(slot: Slot): KubeObject {
  return slot instanceof Tracked ? slot.current : slot;
}

interface NamespaceHold {
  holders: number;
  subscriptions: Map<string, SharedSubscription>;
  /** the holders' change listeners (see retain) */
  listeners: Set<ObjectListener>;
}

/** Told of each object of a held namespace once the cache has it (added, changed or deleted). */
export type ObjectListener = (object: KubeObject) => void;

const ALL = '*';

/** Top-level kinds whose spec the engine's root attribution reads. */
export const DEFAULT_FULL_OBJECT_KINDS: readonly string[] = ['Deployment', 'StatefulSet', 'DaemonSet', 'CronJob'];

/** Key of the rarely used maps (404s remembered, GETs in flight): kind, namespace and name, lowercased. */
function cacheKey(kind: string, namespace: string, name: string): string {
  return `${kind.toLowerCase()}\u0000${namespace.toLowerCase()}\u0000${name.toLowerCase()}`;
}

/**
 * Slots by their current object's kind, namespace and name, lowercased (toLowerCase returns a
 * string that has no capitals itself, so names and namespaces are the objects' own strings). With
 * 100,000s of cached objects, a joined key string per object was a tenth of their memory, and
 * every lookup built and hashed a new one.
 */
class SlotIndex {
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

export class ObjectCache implements ObjectLookup {
  private readonly slots = new SlotIndex();
  /** deleted objects in deletion order (a Set keeps insertion order) */
  private readonly deletedOrder = new Set<Tracked>();
  private readonly notFound = new Map<string, number>();
  private readonly inFlight = new Map<string, Promise<KubeObject | undefined>>();
  private readonly resourcesByKind = new Map<string, ResourceType>();
  private readonly fullKinds: ReadonlySet<string>;
  private readonly holds = new Map<string, NamespaceHold>();
  private readonly clock: Clock;
  private readonly logger: KubeLogger;
  private readonly retentionMs: number;
  private readonly maxDeleted: number;
  private readonly fallback: Required<GetFallbackOptions>;
  private tokens: number;
  private tokensAt: number;
  private counters = { hits: 0, misses: 0, gets: 0, getsNotFound: 0, getsFailed: 0, getsRateLimited: 0 };
  private readonly specTrees = new Shared();
  private stopped = false;

  constructor(private readonly options: ObjectCacheOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.retentionMs = options.deletedRetentionMs ?? 10 * 60_000;
    this.maxDeleted = options.maxDeleted ?? DEFAULT_MAX_DELETED;
    this.fallback = {
      ratePerSecond: options.getFallback?.ratePerSecond ?? 5,
      burst: options.getFallback?.burst ?? 20,
      notFoundTtlMs: options.getFallback?.notFoundTtlMs ?? 60_000,
      maxNotFound: options.getFallback?.maxNotFound ?? 10_000,
    };
    this.tokens = this.fallback.burst;
    this.tokensAt = this.clock.now();
    this.fullKinds = new Set((options.fullObjectKinds ?? DEFAULT_FULL_OBJECT_KINDS).map((k) => k.toLowerCase()));
    for (const type of options.resources ?? DEFAULT_OWNER_RESOURCES) this.resourcesByKind.set(type.kind.toLowerCase(), type);
  }

  /**
   * Holds the caches of one namespace (or '*' for all): starts (or shares) one watch per kind.
   * The last release stops them; that namespace's objects then age out like deleted ones.
   * `onObject` is told of every object the hold's watches bring, once it is in the cache.
   */
  retain(namespace: string, onObject?: ObjectListener): Retention {
    if (this.stopped) throw new Error('the object cache is stopped');
    const ns = namespace || ALL;
    let hold = this.holds.get(ns);
    if (!hold) {
      hold = { holders: 0, subscriptions: new Map(), listeners: new Set() };
      this.holds.set(ns, hold);
      for (const type of this.resourcesByKind.values()) this.watchKind(hold, ns, type);
    }
    hold.holders += 1;
    // A wrapper of its own, so that the same function passed twice is two registrations.
    const listener: ObjectListener | undefined = onObject ? (object) => onObject(object) : undefined;
    if (listener) hold.listeners.add(listener);
    let held = true;
    const current = hold;
    return {
      release: () => {
        if (!held) return;
        held = false;
        if (listener) current.listeners.delete(listener);
        current.holders -= 1;
        if (current.holders === 0 && this.holds.get(ns) === current) this.drop(ns, current);
      },
    };
  }

  /** Caches one more kind (e.g. a CRD owner kind from an ownerKindRule), for every held namespace. */
  addResource(type: ResourceType): void {
    const kind = type.kind.toLowerCase();
    if (this.resourcesByKind.has(kind)) return;
    this.resourcesByKind.set(kind, type);
    for (const [ns, hold] of this.holds) this.watchKind(hold, ns, type);
  }

  /** True when every watch of every held namespace has listed. */
  get synced(): boolean {
    for (const hold of this.holds.values()) {
      for (const sub of hold.subscriptions.values()) if (!sub.synced) return false;
    }
    return true;
  }

  /** Resolves when all current watches have listed (false if one stopped first). */
  async waitForSync(): Promise<boolean> {
    const subs = [...this.holds.values()].flatMap((h) => [...h.subscriptions.values()]);
    const results = await Promise.all(subs.map((s) => s.waitForSync()));
    return results.every(Boolean);
  }

  get(ref: ObjectRef): KubeObject | undefined {
    const slot = this.lookup(ref);
    if (slot) {
      this.counters.hits += 1;
      return currentOf(slot);
    }
    this.counters.misses += 1;
    if (this.shouldFetch(ref)) void this.fetch(ref);
    return undefined;
  }

  previousGeneration(ref: ObjectRef, generation: number): KubeObject | undefined {
    const slot = this.lookup(ref);
    if (!slot) return undefined;
    for (const candidate of slot instanceof Tracked ? [slot.current, slot.previous] : [slot]) {
      const g = candidate?.metadata.generation;
      if (candidate && g !== undefined && g < generation) return candidate;
    }
    return undefined;
  }

  /**
   * The object from the cache, else from ONE GET when the fallback allows it (no synced watch
   * covers it, not a recent 404, rate limit not reached). Never throws.
   */
  async fetch(ref: ObjectRef): Promise<KubeObject | undefined> {
    const cached = this.lookup(ref);
    if (cached) return currentOf(cached);
    const type = this.resourcesByKind.get(ref.kind.toLowerCase());
    const client = this.options.client;
    if (!type || !client || !this.shouldFetch(ref)) return undefined;
    const key = cacheKey(ref.kind, ref.namespace, ref.name);
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    if (!this.takeToken()) {
      this.counters.getsRateLimited += 1;
      return undefined;
    }
    const request = this.doFetch(client, type, ref, key).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, request);
    return request;
  }

  stats(): ObjectCacheStats {
    this.evictExpired();
    let watches = 0;
    for (const hold of this.holds.values()) watches += hold.subscriptions.size;
    return { objects: this.slots.size - this.deletedOrder.size, deleted: this.deletedOrder.size, watches, ...this.counters };
  }

  /** Releases every namespace and forgets everything. */
  stop(): void {
    this.stopped = true;
    for (const hold of this.holds.values()) for (const sub of hold.subscriptions.values()) sub.unsubscribe();
    this.holds.clear();
    this.slots.clear();
    this.deletedOrder.clear();
  }

  private async doFetch(client: Pick<KubeClient, 'get'>, type: ResourceType, ref: ObjectRef, key: string): Promise<KubeObject | undefined> {
    this.counters.gets += 1;
    try {
      const object = await client.get<KubeObjectLike>(type, { namespace: ref.namespace, name: ref.name }, { metadataOnly: this.metadataOnly(type) });
      const kubeObject = asKubeObject(object, this.specTrees);
      if (!kubeObject) return undefined;
      // A watch may have delivered it meanwhile; never overwrite a newer version with the GET.
      const existing = this.slots.get(kubeObject.kind, kubeObject.metadata.namespace ?? '', kubeObject.metadata.name);
      if (existing) return currentOf(existing);
      this.slots.put(kubeObject);
      for (const ns of new Set([ref.namespace || ALL, ALL])) {
        const hold = this.holds.get(ns);
        if (hold) this.tell(hold, kubeObject);
      }
      return kubeObject;
    } catch (err) {
      if (err instanceof KubeApiError && err.statusCode === 404) {
        this.counters.getsNotFound += 1;
        this.rememberNotFound(key);
      } else {
        this.counters.getsFailed += 1;
        this.logger.debug({ err, kind: ref.kind, namespace: ref.namespace, name: ref.name }, 'object cache GET fallback failed');
      }
      return undefined;
    }
  }

  private watchKind(hold: NamespaceHold, ns: string, type: ResourceType): void {
    const sub = this.options.watches.subscribe<KubeObjectLike>(
      { resource: type, namespace: ns, metadataOnly: this.metadataOnly(type) },
      { onEvent: (event) => this.apply(event, hold) },
    );
    hold.subscriptions.set(type.kind.toLowerCase(), sub);
  }

  private metadataOnly(type: ResourceType): boolean {
    return !this.fullKinds.has(type.kind.toLowerCase());
  }

  private drop(ns: string, hold: NamespaceHold): void {
    this.holds.delete(ns);
    for (const sub of hold.subscriptions.values()) sub.unsubscribe();
    // Nobody keeps these up to date any more: let them age out like deleted objects, unless
    // another hold ('*' or the namespace itself) still watches them. With '*' held, all are
    // watched: no need to visit every object on each collector change.
    const now = this.clock.now();
    if (!this.holds.has(ALL)) {
      for (const slot of this.slots.slots()) {
        if (slot instanceof Tracked && slot.deletedAt !== undefined) continue;
        const objectNs = currentOf(slot).metadata.namespace ?? '';
        if (ns !== ALL && objectNs.toLowerCase() !== ns.toLowerCase()) continue;
        if (this.holds.has(objectNs)) continue;
        this.markDeleted(slot, now);
      }
    }
    this.evictExpired();
  }

  private apply(event: ChangeEvent<KubeObjectLike>, hold: NamespaceHold): void {
    const object = asKubeObject(event.object, this.specTrees);
    if (!object) return;
    const { kind, metadata } = object;
    const namespace = metadata.namespace ?? '';
    if (this.notFound.size > 0) this.notFound.delete(cacheKey(kind, namespace, metadata.name));
    const slot = this.slots.get(kind, namespace, metadata.name);
    let next: Slot = object;
    if (slot !== undefined) {
      const current = currentOf(slot);
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
    if (event.type === 'DELETED') {
      this.markDeleted(next, this.clock.now());
      this.evictExpired();
    } else if (next instanceof Tracked && next.deletedAt !== undefined) {
      next.deletedAt = undefined;
      this.deletedOrder.delete(next);
    }
    this.tell(hold, object);
  }

  private tell(hold: NamespaceHold, object: KubeObject): void {
    for (const listener of hold.listeners) {
      try {
        listener(object);
      } catch (err) {
        // One holder's failure must not keep the object from the others.
        this.logger.error({ err, kind: object.kind, namespace: object.metadata.namespace, name: object.metadata.name }, 'object cache listener failed');
      }
    }
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

  private lookup(ref: ObjectRef): Slot | undefined {
    const slot = this.slots.get(ref.kind, ref.namespace, ref.name);
    if (slot instanceof Tracked && slot.deletedAt !== undefined && this.clock.now() - slot.deletedAt > this.retentionMs) {
      this.evictExpired();
      return undefined;
    }
    return slot;
  }

  private evictExpired(): void {
    const now = this.clock.now();
    for (const tracked of this.deletedOrder) {
      if (now - tracked.deletedAt! <= this.retentionMs && this.deletedOrder.size <= this.maxDeleted) break;
      this.deletedOrder.delete(tracked);
      this.slots.delete(tracked);
    }
  }

  /** A GET makes sense only where no synced watch would already have the object. */
  private shouldFetch(ref: ObjectRef): boolean {
    if (!this.options.client || this.stopped) return false;
    const kind = ref.kind.toLowerCase();
    if (!this.resourcesByKind.has(kind) || !ref.name) return false;
    for (const ns of [ALL, ref.namespace]) {
      const sub = this.holds.get(ns)?.subscriptions.get(kind);
      if (sub?.synced) return false;
    }
    const key = cacheKey(ref.kind, ref.namespace, ref.name);
    const missingSince = this.notFound.get(key);
    if (missingSince !== undefined) {
      if (this.clock.now() - missingSince <= this.fallback.notFoundTtlMs) return false;
      this.notFound.delete(key);
    }
    return true;
  }

  private rememberNotFound(key: string): void {
    this.notFound.delete(key);
    this.notFound.set(key, this.clock.now());
    while (this.notFound.size > this.fallback.maxNotFound) {
      const oldest = this.notFound.keys().next().value;
      if (oldest === undefined) break;
      this.notFound.delete(oldest);
    }
  }

  /** Token bucket: `burst` GETs at once, `ratePerSecond` sustained. */
  private takeToken(): boolean {
    const now = this.clock.now();
    this.tokens = Math.min(this.fallback.burst, this.tokens + ((now - this.tokensAt) / 1000) * this.fallback.ratePerSecond);
    this.tokensAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
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

/**
 * A cacheable engine object (apiVersion, kind, metadata and spec, with slim metadata), or
 * undefined for something without kind or name. Cached as delivered, so that the watch's own
 * store and the cache share one object instead of two. What nobody reads (status: it changes all
 * the time) is cleared, not deleted: a deleted property puts an object in V8's dictionary mode,
 * which cost ~400 bytes more for each cached Deployment.
 */
function asKubeObject(object: KubeObjectLike | undefined, specTrees: Shared): KubeObject | undefined {
  if (!object || typeof object.kind !== 'string' || !object.metadata || typeof object.metadata.name !== 'string') return undefined;
  object.metadata = slimMetadata(object.metadata, specTrees);
  for (const field in object) if (!CACHED_FIELDS.has(field) && object[field] !== undefined) object[field] = undefined;
  return object as unknown as KubeObject;
}

const CACHED_FIELDS = new Set(['apiVersion', 'kind', 'metadata', 'spec']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * One copy of values that repeat across cached objects: strings (namespaces, kinds, managers...)
 * and managedFields `f:spec` trees (the same for every Pod of a template, every ReplicaSet of a
 * Deployment...). Bounded: it forgets everything past a size.
 */
class Shared {
  private readonly strings = new StringPool(50_000);
  private readonly trees = new Map<string, Record<string, unknown>>();
  private readonly ownerLists = new OwnerListPool<Record<string, unknown>>();

  string(value: unknown): unknown {
    return typeof value === 'string' ? this.strings.intern(value) : value;
  }

  owners(owners: OwnerList): OwnerList {
    return this.ownerLists.shared(owners);
  }

  tree(tree: Record<string, unknown>): Record<string, unknown> {
    const key = JSON.stringify(tree);
    const known = this.trees.get(key);
    if (known) return known;
    if (this.trees.size >= 10_000) this.trees.clear();
    this.trees.set(key, tree);
    return tree;
  }
}

/** Slim owner references (OWNER_FIELDS only), as cached. */
type OwnerList = Array<Record<string, unknown>>;

/**
 * A plain object with room inside for all its properties. V8 gives an object made by `{}` room
 * for four and keeps the rest in a second array (~32 bytes more for each cached metadata of five
 * or more fields); an object made by a constructor gets room for as many as the first few it
 * made had. The prototype is Object.prototype, so to everyone else these are plain objects.
 */
const PlainRecord = function PlainRecord() {} as unknown as new () => Record<string, unknown>;
PlainRecord.prototype = Object.prototype;

/**
 * Metadata fields the engine and the watch machinery read: identity, the resourceVersion (the
 * watch's own store holds this same metadata object and dedupes by it) and the generation.
 * Labels, finalizers and timestamps are read by nobody and were a good part of each object.
 */
const KEPT_METADATA = ['name', 'namespace', 'uid', 'resourceVersion', 'generation'] as const;
const SHARED_METADATA = new Set<string>(['namespace']);
/** The fieldsV1 of every managedFields entry that touches no spec field (status updates, mostly). */
const NO_SPEC_FIELDS = Object.freeze({});
/** What the engine reads of an owner reference: owners are found by kind and name, the controller first. */
const OWNER_FIELDS = ['kind', 'name', 'controller'] as const;
/** (the owner's name needs no sharing of its own: the whole list is shared, see OwnerListPool) */
const SHARED_OWNER_FIELDS = new Set<string>(['kind']);

/**
 * The metadata a cached object needs, compactly — with 100,000s of cached objects the rest is
 * most of their memory: labels, annotations (kubectl's last-applied-configuration alone copies
 * the object) and, in each managedFields entry, everything but what root attribution reads
 * (manager, operation, subresource, time and the `f:spec` tree, which is shared). Root spans are
 * made only for objects without owners, so an owned object (a Pod, a ReplicaSet) keeps no
 * managedFields at all; a top-level one keeps its entries, so the attribution is the same. Slim
 * metadata passes through unchanged (a relist).
 */
function slimMetadata(metadata: Record<string, unknown>, shared: Shared): Record<string, unknown> {
  const slim = new PlainRecord();
  for (const field of KEPT_METADATA) {
    const value = metadata[field];
    if (value !== undefined) slim[field] = SHARED_METADATA.has(field) ? shared.string(value) : value;
  }
  const owners = metadata['ownerReferences'];
  const owned = Array.isArray(owners) && owners.length > 0;
  if (Array.isArray(owners)) {
    const slimOwners = owners.filter(isRecord).map((owner) => {
      const ref: Record<string, unknown> = {};
      for (const field of OWNER_FIELDS) if (owner[field] !== undefined) ref[field] = SHARED_OWNER_FIELDS.has(field) ? shared.string(owner[field]) : owner[field];
      return ref;
    });
    slim['ownerReferences'] = shared.owners(slimOwners);
  }
  if (owned) return slim;
  const entries = metadata['managedFields'];
  if (Array.isArray(entries)) {
    slim['managedFields'] = entries.map((entry: unknown) => {
      if (!isRecord(entry)) return entry;
      const kept = new PlainRecord();
      for (const field of ['manager', 'operation', 'subresource', 'time']) if (entry[field] !== undefined) kept[field] = shared.string(entry[field]);
      const fields = entry['fieldsV1'];
      if (isRecord(fields)) {
        const spec = fields['f:spec'];
        kept['fieldsV1'] = spec === undefined ? NO_SPEC_FIELDS : { 'f:spec': isRecord(spec) ? shared.tree(spec) : spec };
      } else if (fields !== undefined) {
        kept['fieldsV1'] = fields;
      }
      return kept;
    });
  }
  return slim;
}
