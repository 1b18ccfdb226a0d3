/**
 * Watch-fed object caches that answer the engine's owner lookups (ObjectLookup) without an API
 * request per event. One list+watch per (kind, namespace), declared with the engine's projection
 * (src/engine/projection.ts) as its transform, feeds one shared index; namespaces are retained on
 * demand and ref-counted, and the watches themselves are shared through SharedWatches.
 *
 * - Deleted objects stay resolvable for `deletedRetentionMs`, at most `maxDeleted` of them
 *   (oldest evicted first): an event about a Pod often arrives after the Pod is gone.
 * - One previous version is kept per object, the newest one with a lower generation, so that
 *   `previousGeneration` can answer.
 * - A miss may fall back to ONE GET (see GetFallback), but only where no synced watch covers the
 *   kind and namespace: there a miss is a real "does not exist", and the steady state costs no
 *   GET at all.
 */

import { type Clock, systemClock } from '../core/clock.js';
import { type Logger, silentLogger } from '../core/log.js';
import { ObjectProjector } from '../engine/projection.js';
import type { KubeObject, ObjectLookup, ObjectRef } from '../engine/types.js';
import type { KubeClient, KubeObjectLike } from './client.js';
import { GetFallback, type GetFallbackOptions } from './get-fallback.js';
import type { ChangeEvent, ObjectTransform } from './list-watch.js';
import { ObjectIndex } from './object-index.js';
import { DEFAULT_OWNER_RESOURCES, type ResourceType } from './resources.js';
import type { SharedSubscription, SharedWatches } from './shared-watches.js';

export type { GetFallbackOptions } from './get-fallback.js';

/** Deleted objects kept resolvable at most, by default. */
export const DEFAULT_MAX_DELETED = 10_000;

export interface ObjectCacheOptions {
  watches: SharedWatches;
  /** enables the GET fallback on a miss; absent: no GETs ever */
  client?: Pick<KubeClient, 'get'>;
  /** kinds to cache (default: pods, replicasets, deployments, statefulsets, daemonsets, jobs, cronjobs) */
  resources?: readonly ResourceType[];
  /**
   * Kinds watched as whole objects, so that the projection keeps their spec: the engine compares
   * specs across generations to attribute a root span to the change's manager. Default:
   * Deployment, StatefulSet, DaemonSet, CronJob, the usual top-level objects, few compared to
   * Pods. Every other kind is watched as PartialObjectMetadata.
   */
  fullObjectKinds?: readonly string[];
  /** how long a deleted object stays resolvable (default 10 min) */
  deletedRetentionMs?: number;
  /** cap on retained deleted objects (default DEFAULT_MAX_DELETED) */
  maxDeleted?: number;
  getFallback?: GetFallbackOptions;
  clock?: Pick<Clock, 'now'>;
  logger?: Pick<Logger, 'debug' | 'error'>;
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

interface NamespaceHold {
  holders: number;
  subscriptions: Map<string, SharedSubscription>;
  /** the holders' change listeners (see retain) */
  listeners: Set<ObjectListener>;
}

/**
 * Told of each object of a held namespace once the cache has it (added, changed or deleted), with
 * the version it replaced (status transitions are read between the two).
 */
export type ObjectListener = (object: KubeObject, previous: KubeObject | undefined) => void;

const ALL = '*';

/**
 * Kinds watched as whole objects: top-level kinds whose spec root attribution reads, and the kinds
 * whose status the status rules read (docs/design.md §5.10). The projection keeps only what the
 * engine reads of them.
 */
export const DEFAULT_FULL_OBJECT_KINDS: readonly string[] = ['Deployment', 'StatefulSet', 'DaemonSet', 'CronJob', 'Pod', 'Job'];

export class ObjectCache implements ObjectLookup {
  private readonly index: ObjectIndex;
  private readonly fallback: GetFallback | undefined;
  private readonly resourcesByKind = new Map<string, ResourceType>();
  private readonly fullKinds: ReadonlySet<string>;
  private readonly holds = new Map<string, NamespaceHold>();
  private readonly logger: Pick<Logger, 'debug' | 'error'>;
  private readonly projector = new ObjectProjector();
  /** The engine's view of every cached object, declared on each watch (its key names it). */
  private readonly projection: ObjectTransform = {
    name: 'engine-projection',
    apply: (object, previous) => this.projector.project(object, previous as KubeObject | undefined) as KubeObjectLike | undefined,
  };
  private counters = { hits: 0, misses: 0 };
  private stopped = false;

  constructor(private readonly options: ObjectCacheOptions) {
    const clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.index = new ObjectIndex({
      retentionMs: options.deletedRetentionMs ?? 10 * 60_000,
      maxDeleted: options.maxDeleted ?? DEFAULT_MAX_DELETED,
      now: () => clock.now(),
    });
    if (options.client) this.fallback = new GetFallback(options.client, options.getFallback ?? {}, clock, this.logger);
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
    const listener: ObjectListener | undefined = onObject ? (object, previous) => onObject(object, previous) : undefined;
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
    const object = this.index.get(ref.kind, ref.namespace, ref.name);
    if (object) {
      this.counters.hits += 1;
      return object;
    }
    this.counters.misses += 1;
    if (this.shouldFetch(ref)) void this.fetch(ref);
    return undefined;
  }

  previousGeneration(ref: ObjectRef, generation: number): KubeObject | undefined {
    return this.index.previousGeneration(ref.kind, ref.namespace, ref.name, generation);
  }

  /**
   * The object from the cache, else from ONE GET when the fallback allows it (no synced watch
   * covers it, not a recent 404, rate limit not reached). Never throws.
   */
  async fetch(ref: ObjectRef): Promise<KubeObject | undefined> {
    const cached = this.index.get(ref.kind, ref.namespace, ref.name);
    if (cached) return cached;
    const type = this.resourcesByKind.get(ref.kind.toLowerCase());
    if (!type || !this.fallback || !this.shouldFetch(ref)) return undefined;
    const fetched = this.projector.project(await this.fallback.fetch(type, ref, this.metadataOnly(type)));
    if (!fetched || this.stopped) return fetched;
    // A watch may have delivered it meanwhile; never overwrite a newer version with the GET.
    const kept = this.index.addIfAbsent(fetched);
    if (kept === fetched) {
      for (const ns of new Set([ref.namespace || ALL, ALL])) {
        const hold = this.holds.get(ns);
        if (hold) this.tell(hold, fetched, undefined);
      }
    }
    return kept;
  }

  stats(): ObjectCacheStats {
    this.index.evictExpired();
    let watches = 0;
    for (const hold of this.holds.values()) watches += hold.subscriptions.size;
    const gets = this.fallback?.counters ?? { gets: 0, getsNotFound: 0, getsFailed: 0, getsRateLimited: 0 };
    return { objects: this.index.live, deleted: this.index.deleted, watches, ...this.counters, ...gets };
  }

  /** Releases every namespace and forgets everything. */
  stop(): void {
    this.stopped = true;
    for (const hold of this.holds.values()) for (const sub of hold.subscriptions.values()) sub.unsubscribe();
    this.holds.clear();
    this.index.clear();
  }

  private watchKind(hold: NamespaceHold, ns: string, type: ResourceType): void {
    const sub = this.options.watches.subscribe<KubeObjectLike>(
      { resource: type, namespace: ns, metadataOnly: this.metadataOnly(type), transform: this.projection },
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
    if (this.holds.has(ALL)) {
      this.index.evictExpired();
      return;
    }
    this.index.ageOut((object) => {
      const objectNs = object.metadata.namespace ?? '';
      if (ns !== ALL && objectNs.toLowerCase() !== ns.toLowerCase()) return false;
      return !this.holds.has(objectNs);
    });
  }

  /** A projected object from a watch (the declared transform made it a KubeObject). */
  private apply(event: ChangeEvent<KubeObjectLike>, hold: NamespaceHold): void {
    const object = event.object as unknown as KubeObject;
    this.fallback?.seen(object.kind, object.metadata.namespace ?? '', object.metadata.name);
    const previous = this.index.apply(object, event.type === 'DELETED');
    this.tell(hold, object, previous);
  }

  private tell(hold: NamespaceHold, object: KubeObject, previous: KubeObject | undefined): void {
    for (const listener of hold.listeners) {
      try {
        listener(object, previous);
      } catch (err) {
        // One holder's failure must not keep the object from the others.
        this.logger.error({ err, kind: object.kind, namespace: object.metadata.namespace, name: object.metadata.name }, 'object cache listener failed');
      }
    }
  }

  /** A GET makes sense only where no synced watch would already have the object. */
  private shouldFetch(ref: ObjectRef): boolean {
    if (!this.fallback || this.stopped) return false;
    const kind = ref.kind.toLowerCase();
    if (!this.resourcesByKind.has(kind) || !ref.name) return false;
    for (const ns of [ALL, ref.namespace]) {
      const sub = this.holds.get(ns)?.subscriptions.get(kind);
      if (sub?.synced) return false;
    }
    return this.fallback.mayExist(ref);
  }
}
