/**
 * A resilient list+watch (a "reflector"): the watch primitive every cache and event stream in
 * kspan stands on.
 *
 * - list (paged), then watch from the list's resourceVersion with bookmarks and a randomised
 *   server-side timeout; re-watch from the last seen resourceVersion when a watch ends;
 * - lists are served from the API server's watch cache (resourceVersion 0 at first, then "not
 *   older than" the last version seen); only when the cache cannot serve (a list answered 410)
 *   does the next list read from etcd, as client-go's reflector does: a quorum read of every
 *   Event in the cluster is the most expensive request an operator can make;
 * - relist on 410 Gone (HTTP 410 or an ERROR event with code 410) and deliver only real changes:
 *   objects unchanged since before the relist are not re-delivered, objects that disappeared
 *   during the gap are delivered as synthetic DELETED;
 * - any other failure: jittered, capped exponential backoff, reset after a success; it never
 *   throws out and never exits the process; handler exceptions are caught and logged;
 * - the same (uid, resourceVersion) is never delivered twice, across reconnects and relists.
 */

import { setImmediate } from 'node:timers/promises';
import { Backoff, type BackoffOptions } from '../core/backoff.js';
import { type Clock, type RandomSource, systemClock } from '../core/clock.js';
import { type Logger, silentLogger } from '../core/log.js';
import type { KubeObjectLike, ListerWatcher, ListOptions, RawWatchEvent } from './client.js';
import { KubeApiError, watchErrorFromEvent } from './errors.js';
import { describeResource, type ResourceType } from './resources.js';

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface ChangeEvent<T> {
  /** ADDED for an object not seen before, MODIFIED for a new resourceVersion of a known one */
  type: ChangeType;
  object: T;
  /** DELETED inferred by a relist: the deletion happened while no watch was open */
  synthetic?: boolean;
}

export interface ListWatchListener<T> {
  onEvent?(event: ChangeEvent<T>): void;
  /** The first list completed, or the watch works again after an error. */
  onSynced?(): void;
  /** A list or watch failed; the loop retries with backoff (410 is handled silently by a relist). */
  onError?(error: KubeApiError): void;
}

export interface ListWatchScope {
  resource: ResourceType;
  /** absent or '*': every namespace (namespaced types) */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** PartialObjectMetadata lists/watches (owner caches need metadata only) */
  metadataOnly?: boolean;
  /**
   * 'versions': remember only each object's identity and resourceVersion (enough to dedupe and
   * to diff a relist) instead of the whole object. For streams whose subscribers only react to
   * changes, such as Events: memory then stays flat however many objects exist. items() is
   * empty, so late subscribers get no replay. Default 'objects'.
   */
  keep?: 'objects' | 'versions';
  /**
   * The view of each object this watch keeps, applied on receipt before the store and every
   * listener, so that all subscribers of the watch see the same objects (none is changed in
   * place after delivery). Part of the watch's key (see watchKey): watches that want another view
   * of the same resource are other watches.
   */
  transform?: ObjectTransform;
}

/**
 * A declared, named object transform. `apply` gets the object as received and the version this
 * watch kept before (for sharing unchanged parts); it must keep metadata.uid, name, namespace and
 * resourceVersion, which the store keys and dedupes by. Undefined drops the object.
 */
export interface ObjectTransform {
  readonly name: string;
  apply(object: KubeObjectLike, previous: KubeObjectLike | undefined): KubeObjectLike | undefined;
}

export interface ListWatchOptions extends ListWatchScope {
  client: ListerWatcher;
  /** list page size (default 500); 0 lists in one request */
  pageSize?: number;
  /** server-side watch timeout, drawn uniformly from [min, max] seconds per watch (default 300-600) */
  watchTimeoutSeconds?: { min: number; max: number };
  backoff?: BackoffOptions;
  /**
   * A watch that ends without any event sooner than this counts as a failure (backoff), so a
   * server that closes every watch at once cannot make us spin. Default 1000 ms.
   */
  minWatchDurationMs?: number;
  logger?: Logger;
  clock?: Clock;
  random?: RandomSource;
}

export interface ListWatchStats {
  synced: boolean;
  /** watch requests after the first one (re-watches after a close, timeout or error) */
  restarts: number;
  /** lists after the first one (410 Gone, or a failed first list retried) */
  relists: number;
  /** failed list/watch requests (410 included) */
  errors: number;
  /** events handed to listeners */
  delivered: number;
  /** objects in the store */
  objects: number;
  /** the resourceVersion the next watch starts from */
  resourceVersion: string;
  /** the failure the loop is currently retrying after, if any */
  lastError?: KubeApiError;
}

/**
 * How long one watch's events are handled before the event loop gets a turn. A backlog (after a
 * pause, or a burst) comes out of buffers already received, as one run of promise callbacks:
 * without a turn now and then, exports, engine ticks and probes wait until all of it is read.
 */
const WATCH_SLICE_MS = 20;

/** Store key: the uid, else namespace/name (objects without uid only come from fakes). */
export function objectKey(object: KubeObjectLike): string {
  const meta = object.metadata ?? {};
  return meta.uid || `${meta.namespace ?? ''}/${meta.name ?? ''}`;
}

export class ListWatch<T extends KubeObjectLike = KubeObjectLike> {
  private readonly listeners = new Set<ListWatchListener<T>>();
  private readonly store = new Map<string, T>();
  private readonly backoff: Backoff;
  /** separate from `backoff`, which every successful list resets: a 410 loop must still slow down */
  private readonly goneBackoff: Backoff;
  private goneStreak = 0;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly random: RandomSource;
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  private stopped = false;
  private isSynced = false;
  private healthy = false;
  private resourceVersion = '';
  /** set by a list answered 410: the watch cache cannot serve us, so the next list is a consistent read */
  private listConsistently = false;
  private lists = 0;
  private watches = 0;
  private errorCount = 0;
  private deliveredCount = 0;
  private lastError: KubeApiError | undefined;
  private syncWaiters: Array<(synced: boolean) => void> = [];

  constructor(private readonly options: ListWatchOptions) {
    this.logger = options.logger ?? silentLogger;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.backoff = new Backoff(options.backoff, this.random);
    this.goneBackoff = new Backoff(options.backoff, this.random);
  }

  /** Adds a listener; returns its removal. Listeners added later do not get past events. */
  addListener(listener: ListWatchListener<T>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts the loop (idempotent). */
  start(): void {
    if (this.running || this.stopped) return;
    this.running = this.run().catch((err: unknown) => {
      // run() handles everything itself; this is a last guard so nothing escapes as unhandled.
      this.logger.error({ ...this.logContext(), err }, 'list+watch loop failed unexpectedly');
    });
  }

  /** Stops the loop and aborts the in-flight request. Resolves when the loop has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.resolveSyncWaiters(false);
    await this.running;
  }

  get synced(): boolean {
    return this.isSynced;
  }

  /** Resolves true once the first list is done, false if stopped before. */
  waitForSync(): Promise<boolean> {
    if (this.isSynced) return Promise.resolve(true);
    if (this.stopped) return Promise.resolve(false);
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /** The current objects (what the last list plus the watch since then say exists); none with keep: 'versions'. */
  items(): T[] {
    return this.options.keep === 'versions' ? [] : [...this.store.values()];
  }

  stats(): ListWatchStats {
    const stats: ListWatchStats = {
      synced: this.isSynced,
      restarts: Math.max(0, this.watches - 1),
      relists: Math.max(0, this.lists - 1),
      errors: this.errorCount,
      delivered: this.deliveredCount,
      objects: this.store.size,
      resourceVersion: this.resourceVersion,
    };
    if (this.lastError) stats.lastError = this.lastError;
    return stats;
  }

  private async run(): Promise<void> {
    let needList = true;
    while (!this.stopped) {
      try {
        if (needList) {
          await this.list();
          needList = false;
        }
        if (this.stopped) break;
        const ended = await this.watchOnce();
        if (ended === 'short') await this.clock.sleep(this.backoff.next(), this.abort.signal);
      } catch (err) {
        if (this.stopped) break;
        const error = asKubeError(err, this.options);
        this.errorCount += 1;
        if (error.statusCode === 410) {
          // Our resourceVersion was compacted away: only a new list can tell what changed.
          if (needList) this.listConsistently = true;
          needList = true;
          this.logger.info({ ...this.logContext(), resourceVersion: this.resourceVersion }, 'resourceVersion too old (410 Gone): relisting');
          // One relist is the normal cure; a 410 loop (no watch event in between) gets backoff.
          if (++this.goneStreak > 1) await this.clock.sleep(this.goneBackoff.next(), this.abort.signal);
          continue;
        }
        // A cache behind the version asked for waits, then says so (504): only etcd can serve it now.
        if (needList && tooLargeResourceVersion(error)) this.listConsistently = true;
        this.healthy = false;
        this.lastError = error;
        // The server may say how long to wait (429, some 5xx): never retry sooner than that.
        const delay = Math.max(this.backoff.next(), (error.retryAfterSeconds ?? 0) * 1000);
        this.logger.warn({ ...this.logContext(), err: error.toJSON(), retryInMs: Math.round(delay) }, `${error.verb} ${error.resource} failed: ${error.message}`);
        this.notify((l) => l.onError?.(error));
        await this.clock.sleep(delay, this.abort.signal);
      }
    }
  }

  private async list(): Promise<void> {
    const { client, resource, pageSize = 500 } = this.options;
    this.lists += 1;
    // Which keys the list had, to find what the store has and the list had not: only a relist
    // needs it. On the first list (200,000 keys for a big cluster) the Set would be garbage at once.
    const seen = this.store.size > 0 ? new Set<string>() : undefined;
    let snapshotVersion: string | undefined;
    let continueToken: string | undefined;
    do {
      // Item by item as they are decoded: a page of whole objects, or a whole list from an API
      // server that does not page lists at resourceVersion 0, is never all in memory at once.
      const request: ListOptions = { ...this.selectors(), signal: this.abort.signal, onItem: (item) => this.applyListedItem(item as T, seen) };
      if (pageSize > 0) request.limit = pageSize;
      if (continueToken) request.continue = continueToken;
      else Object.assign(request, this.listVersion());
      const page = await client.list<T>(resource, request);
      if (this.stopped) return;
      // Every page of a paged list comes from the first page's snapshot.
      snapshotVersion ??= page.metadata.resourceVersion;
      // What the client did not hand over one by one (fakes, mostly), page by page rather than
      // after the last one: holding a whole list of 100,000s of objects as received would be the
      // memory peak of the process.
      for (const item of page.items) this.applyListedItem(item, seen);
      continueToken = page.metadata.continue || undefined;
    } while (continueToken && !this.stopped);
    if (this.stopped) return;
    if (seen) this.removeUnlisted(seen);
    this.resourceVersion = snapshotVersion ?? '';
    this.listConsistently = false;
    this.backoff.reset();
    this.logger.debug({ ...this.logContext(), objects: seen?.size ?? this.store.size, resourceVersion: this.resourceVersion }, 'listed');
    this.markHealthy();
  }

  /**
   * Which version the next list asks for: anything the watch cache has at first, then not older
   * than what this watch has seen (so that a relist never goes back in time, even through another
   * API server), and a consistent read once the cache answered 410.
   */
  private listVersion(): Pick<ListOptions, 'resourceVersion' | 'resourceVersionMatch'> {
    if (this.listConsistently) return {};
    if (this.resourceVersion === '') return { resourceVersion: '0' };
    return { resourceVersion: this.resourceVersion, resourceVersionMatch: 'NotOlderThan' };
  }

  /** Diffs a listed object against the store and delivers it only when it differs. */
  private applyListedItem(item: T, seen: Set<string> | undefined): void {
    if (this.stopped) return;
    const key = objectKey(item);
    const known = this.store.get(key);
    if (known && resourceVersionOf(known) === resourceVersionOf(item)) {
      seen?.add(key);
      return;
    }
    const object = this.view(item, known);
    if (object === undefined) return;
    seen?.add(key);
    this.store.set(key, this.kept(object));
    this.deliver({ type: known ? 'MODIFIED' : 'ADDED', object });
  }

  /** After a complete relist: what the store has and the list had not is gone (synthetic DELETED). */
  private removeUnlisted(seen: Set<string>): void {
    // Over the store itself, not a copy of its entries (200,000 of them): deleting the entry
    // being visited is safe in a Map's iteration.
    for (const [key, known] of this.store) {
      if (seen.has(key)) continue;
      this.store.delete(key);
      this.deliver({ type: 'DELETED', object: known, synthetic: true });
    }
  }

  /** One watch request. 'short' when it ended at once without any event (treated as a failure). */
  private async watchOnce(): Promise<'ok' | 'short'> {
    const { client, resource } = this.options;
    const { min, max } = this.options.watchTimeoutSeconds ?? { min: 300, max: 600 };
    const timeoutSeconds = Math.max(1, Math.round(min + this.random() * Math.max(0, max - min)));
    const started = this.clock.now();
    let received = 0;
    this.watches += 1;
    const stream = client.watch(resource, {
      ...this.selectors(),
      resourceVersion: this.resourceVersion,
      timeoutSeconds,
      allowWatchBookmarks: true,
      signal: this.abort.signal,
    });
    let sliceEnds = performance.now() + WATCH_SLICE_MS;
    for await (const event of stream) {
      if (this.stopped) break;
      // An ERROR event (often the first and only one: HTTP 200 then a Status) is no success.
      if (event.type !== 'ERROR' && ++received === 1) {
        this.backoff.reset();
        this.resetGone();
        this.markHealthy();
      }
      this.handleWatchEvent(event);
      if (performance.now() >= sliceEnds) {
        await setImmediate();
        sliceEnds = performance.now() + WATCH_SLICE_MS;
      }
    }
    if (received === 0 && this.clock.now() - started < (this.options.minWatchDurationMs ?? 1000)) return 'short';
    this.backoff.reset();
    this.resetGone();
    return 'ok';
  }

  private handleWatchEvent(event: RawWatchEvent): void {
    if (event.type === 'ERROR') {
      throw watchErrorFromEvent(this.options.resource, this.options.namespace, event.object);
    }
    const version = resourceVersionOf(event.object);
    if (event.type === 'BOOKMARK') {
      if (version) this.resourceVersion = version;
      return;
    }
    const key = objectKey(event.object);
    const known = this.store.get(key);
    if (event.type === 'DELETED') {
      // Unknown: already delivered as a synthetic DELETED by a relist (or never existed for us).
      if (known) {
        this.store.delete(key);
        this.deliver({ type: 'DELETED', object: this.view(event.object, known) ?? known });
      }
    } else if (event.type === 'ADDED' || event.type === 'MODIFIED') {
      if (!known || resourceVersionOf(known) !== version) {
        const object = this.view(event.object, known);
        if (object !== undefined) {
          this.store.set(key, this.kept(object));
          this.deliver({ type: known ? 'MODIFIED' : 'ADDED', object });
        }
      }
    } else {
      this.logger.debug({ ...this.logContext(), type: String(event.type) }, 'ignoring unknown watch event type');
    }
    if (version) this.resourceVersion = version;
  }

  /** The object as this watch's subscribers see it (the declared transform applied). */
  private view(object: KubeObjectLike, known: T | undefined): T | undefined {
    const transform = this.options.transform;
    return (transform ? transform.apply(object, known) : object) as T | undefined;
  }

  /** What the store keeps of an object: itself, or only its identity and resourceVersion. */
  private kept(object: T): T {
    if (this.options.keep !== 'versions') return object;
    const m = object.metadata ?? {};
    const metadata: Record<string, unknown> = {};
    for (const field of ['name', 'namespace', 'uid', 'resourceVersion'] as const) if (m[field] !== undefined) metadata[field] = m[field];
    return { kind: object.kind, metadata } as T;
  }

  private resetGone(): void {
    this.goneStreak = 0;
    this.goneBackoff.reset();
  }

  private markHealthy(): void {
    const first = !this.isSynced;
    const recovered = !this.healthy;
    this.isSynced = true;
    this.healthy = true;
    this.lastError = undefined;
    if (first) this.resolveSyncWaiters(true);
    if (first || recovered) this.notify((l) => l.onSynced?.());
  }

  private deliver(event: ChangeEvent<T>): void {
    this.deliveredCount += 1;
    this.notify((l) => l.onEvent?.(event));
  }

  /** Calls every listener; one that throws is logged and does not stop the others or the loop. */
  private notify(call: (listener: ListWatchListener<T>) => void): void {
    for (const listener of [...this.listeners]) {
      try {
        call(listener);
      } catch (err) {
        this.logger.error({ ...this.logContext(), err }, 'list+watch listener threw');
      }
    }
  }

  private resolveSyncWaiters(synced: boolean): void {
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    for (const resolve of waiters) resolve(synced);
  }

  private selectors(): Omit<ListOptions, 'signal'> {
    const { namespace, labelSelector, fieldSelector, metadataOnly } = this.options;
    const out: Omit<ListOptions, 'signal'> = {};
    if (namespace !== undefined) out.namespace = namespace;
    if (labelSelector) out.labelSelector = labelSelector;
    if (fieldSelector) out.fieldSelector = fieldSelector;
    if (metadataOnly) out.metadataOnly = true;
    return out;
  }

  private logContext(): Record<string, unknown> {
    const ctx: Record<string, unknown> = { resource: describeResource(this.options.resource) };
    if (this.options.namespace && this.options.namespace !== '*') ctx['namespace'] = this.options.namespace;
    if (this.options.labelSelector) ctx['labelSelector'] = this.options.labelSelector;
    return ctx;
  }
}

function resourceVersionOf(object: KubeObjectLike): string | undefined {
  return object.metadata?.resourceVersion;
}

/** The API server's answer to a list "not older than" a version its watch cache has not reached yet. */
function tooLargeResourceVersion(error: KubeApiError): boolean {
  return error.statusCode === 504 && /too large resource version/i.test(error.message);
}

/** Anything thrown by a list or watch as a KubeApiError (fakes may throw plain errors). */
function asKubeError(err: unknown, scope: ListWatchScope): KubeApiError {
  if (err instanceof KubeApiError) return err;
  return new KubeApiError({
    statusCode: 0,
    reason: 'Unknown',
    message: err instanceof Error ? err.message : String(err),
    verb: 'watch',
    resource: scope.resource.plural,
    ...(scope.namespace && scope.namespace !== '*' ? { namespace: scope.namespace } : {}),
  }, { cause: err });
}
