/**
 * In-memory fakes for kube layer unit tests: a cluster that lists and watches one resource type
 * with resourceVersions, history, compaction and scripted failures; a fake clock; a recording logger.
 */

import type { Logger } from '../../src/core/log.js';
import type { KubeObjectLike, ListerWatcher, ListOptions, ObjectList, RawWatchEvent, WatchOptions } from '../../src/kube/client.js';
import { KubeApiError } from '../../src/kube/errors.js';
import type { ResourceType } from '../../src/kube/resources.js';
import { FakeClock as SharedFakeClock } from '../support/fake-clock.js';

interface HistoryEntry {
  rv: number;
  event: RawWatchEvent;
}

interface OpenWatch {
  push(event: RawWatchEvent | 'close' | KubeApiError): void;
  namespace: string | undefined;
}

export function apiError(statusCode: number, verb: 'list' | 'watch' | 'get' = 'list', resource = 'pods'): KubeApiError {
  return new KubeApiError({ statusCode, reason: `HTTP${statusCode}`, message: `fake ${statusCode}`, verb, resource });
}

export class FakeCluster implements ListerWatcher {
  rv = 100;
  readonly objects = new Map<string, KubeObjectLike>();
  private history: HistoryEntry[] = [];
  private compactedRv = 0;
  private readonly watches = new Set<OpenWatch>();
  readonly listCalls: ListOptions[] = [];
  readonly watchCalls: WatchOptions[] = [];
  /** errors thrown by the next list / watch calls, in order */
  readonly listFailures: KubeApiError[] = [];
  readonly watchFailures: KubeApiError[] = [];
  private uidCounter = 0;

  constructor(readonly kind = 'Pod', readonly apiVersion = 'v1') {}

  put(name: string, extra: Partial<KubeObjectLike['metadata']> = {}, namespace = 'default'): KubeObjectLike {
    const key = `${namespace}/${name}`;
    const existing = this.objects.get(key);
    this.rv += 1;
    const object: KubeObjectLike = {
      apiVersion: this.apiVersion,
      kind: this.kind,
      metadata: {
        name,
        namespace,
        uid: existing?.metadata?.uid ?? `uid-${name}-${++this.uidCounter}`,
        ...extra,
        resourceVersion: String(this.rv),
      },
    };
    this.objects.set(key, object);
    this.emit({ type: existing ? 'MODIFIED' : 'ADDED', object });
    return object;
  }

  remove(name: string, namespace = 'default'): void {
    const key = `${namespace}/${name}`;
    const existing = this.objects.get(key);
    if (!existing) return;
    this.objects.delete(key);
    this.rv += 1;
    this.emit({ type: 'DELETED', object: { ...existing, metadata: { ...existing.metadata, resourceVersion: String(this.rv) } } });
  }

  /** Changes without any open watch seeing them (as during a disconnection). */
  quietly(change: () => void): void {
    const saved = [...this.watches];
    this.watches.clear();
    change();
    for (const w of saved) this.watches.add(w);
  }

  bookmark(): void {
    this.rv += 1;
    this.broadcast({ type: 'BOOKMARK', object: { kind: 'Pod', metadata: { resourceVersion: String(this.rv) } } });
  }

  /** Sends a raw event (e.g. a duplicate) to open watches. */
  send(event: RawWatchEvent): void {
    this.broadcast(event);
  }

  errorEvent(code: number): void {
    this.broadcast({ type: 'ERROR', object: { kind: 'Status', code, reason: code === 410 ? 'Expired' : 'InternalError', message: `fake error ${code}` } as KubeObjectLike });
  }

  compact(): void {
    this.compactedRv = this.rv;
    this.history = [];
  }

  dropWatches(): void {
    for (const w of this.watches) w.push('close');
    this.watches.clear();
  }

  failWatches(error: KubeApiError): void {
    for (const w of this.watches) w.push(error);
    this.watches.clear();
  }

  get openWatches(): number {
    return this.watches.size;
  }

  async list<T extends KubeObjectLike>(_type: ResourceType, options: ListOptions): Promise<ObjectList<T>> {
    this.listCalls.push(options);
    await Promise.resolve();
    const failure = this.listFailures.shift();
    if (failure) throw failure;
    const all = [...this.objects.values()].filter((o) => !options.namespace || options.namespace === '*' || o.metadata?.namespace === options.namespace);
    const start = options.continue ? Number(options.continue) : 0;
    const end = options.limit ? start + options.limit : all.length;
    const metadata: ObjectList<T>['metadata'] = { resourceVersion: String(this.rv) };
    if (end < all.length) metadata.continue = String(end);
    return { metadata, items: all.slice(start, end).map((o) => structuredClone(o) as T) };
  }

  async *watch(_type: ResourceType, options: WatchOptions): AsyncGenerator<RawWatchEvent> {
    this.watchCalls.push(options);
    await Promise.resolve();
    const failure = this.watchFailures.shift();
    if (failure) throw failure;
    const from = Number(options.resourceVersion);
    if (from < this.compactedRv) throw apiError(410, 'watch');
    const queue: Array<RawWatchEvent | 'close' | KubeApiError> = this.history.filter((h) => h.rv > from).map((h) => h.event);
    let wake: (() => void) | undefined;
    const watch: OpenWatch = {
      namespace: options.namespace,
      push: (e) => {
        queue.push(e);
        wake?.();
      },
    };
    this.watches.add(watch);
    const onAbort = (): void => watch.push('close');
    options.signal?.addEventListener('abort', onAbort);
    try {
      for (;;) {
        const next = queue.shift();
        if (next === undefined) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          continue;
        }
        if (next === 'close') return;
        if (next instanceof KubeApiError) throw next;
        yield structuredClone(next);
      }
    } finally {
      this.watches.delete(watch);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  private emit(event: RawWatchEvent): void {
    this.history.push({ rv: this.rv, event });
    this.broadcast(event);
  }

  private broadcast(event: RawWatchEvent): void {
    for (const w of this.watches) w.push(event);
  }
}

/** One FakeCluster per resource plural (created on first use). */
export class FakeApi implements ListerWatcher {
  readonly clusters = new Map<string, FakeCluster>();
  for(type: ResourceType): FakeCluster {
    let cluster = this.clusters.get(type.plural);
    if (!cluster) {
      cluster = new FakeCluster(type.kind, type.group ? `${type.group}/${type.version}` : type.version);
      this.clusters.set(type.plural, cluster);
    }
    return cluster;
  }
  list<T extends KubeObjectLike>(type: ResourceType, options: ListOptions): Promise<ObjectList<T>> {
    return this.for(type).list<T>(type, options);
  }
  watch(type: ResourceType, options: WatchOptions): AsyncIterable<RawWatchEvent> {
    return this.for(type).watch(type, options);
  }
}

/**
 * The shared fake clock with instant sleeps: list+watch retry loops run through their backoffs
 * at once, the pauses they asked for recorded in `sleeps`.
 */
export class FakeClock extends SharedFakeClock {
  constructor(start?: number) {
    super({ ...(start !== undefined ? { start } : {}), instantSleeps: true });
  }
}

export interface LogLine {
  level: string;
  obj: object;
  msg: string | undefined;
}

/** A logger that keeps every line; its children write to the same `lines`, their bindings merged in. */
export function recordingLogger(lines: LogLine[] = [], bindings: Record<string, unknown> = {}): Logger & { lines: LogLine[] } {
  const at = (level: string) => (obj: object, msg?: string) => {
    lines.push({ level, obj: Object.keys(bindings).length > 0 ? { ...bindings, ...obj } : obj, msg });
  };
  return {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => recordingLogger(lines, { ...bindings, ...more }),
  };
}

/** Waits until `condition` holds (polling on macrotasks), failing after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
