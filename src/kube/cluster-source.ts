/**
 * The kube layer's implementation of the pipeline's ClusterSourcePort: shared event and
 * namespace watches plus the owner object caches, wired to one client.
 */

import { type Logger, silentLogger } from '../core/log.js';
import type { KubeEvent, KubeObject } from '../engine/types.js';
import type {
  ClusterSourcePort,
  NamespaceInfo,
  Subscription,
  WatchHandlers,
  WatchProblem,
} from '../pipeline/ports.js';
import type { KubeClient, KubeObjectLike, ListerWatcher } from './client.js';
import type { KubeApiError } from './errors.js';
import type { ListWatchListener } from './list-watch.js';
import { ObjectCache, type ObjectCacheOptions } from './object-cache.js';
import { customResource, RESOURCES } from './resources.js';
import { SharedWatches, type SharedWatchesOptions } from './shared-watches.js';

export interface ClusterSourceOptions extends SharedWatchesOptions {
  /** client for the object caches' GET fallback (default: `client`, when it can GET); false: never GET */
  getClient?: Pick<KubeClient, 'get'> | false;
  /** object cache settings: kinds, metadata-only, retention, GET fallback limits */
  cache?: Omit<ObjectCacheOptions, 'watches' | 'client' | 'clock' | 'logger'>;
}

export class ClusterSource implements ClusterSourcePort {
  readonly watches: SharedWatches;
  readonly cache: ObjectCache;
  private readonly logger: Logger;

  constructor(options: ClusterSourceOptions) {
    this.logger = options.logger ?? silentLogger;
    this.watches = new SharedWatches(options);
    const getClient = options.getClient === undefined ? (canGet(options.client) ? options.client : undefined) : options.getClient;
    this.cache = new ObjectCache({
      ...options.cache,
      ...(getClient ? { client: getClient } : {}),
      watches: this.watches,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
  }

  get lookup(): ObjectCache {
    return this.cache;
  }

  watchEvents(namespace: string, handlers: WatchHandlers<KubeEvent>): Subscription {
    // Events are only reacted to, never looked up: keeping every one until its TTL would make
    // memory grow with the cluster's event rate.
    const sub = this.watches.subscribe<KubeObjectLike>(
      { resource: RESOURCES.events, namespace, keep: 'versions' },
      adapt(handlers, (object) => object as unknown as KubeEvent),
    );
    return { unsubscribe: () => sub.unsubscribe() };
  }

  watchNamespaces(handlers: WatchHandlers<NamespaceInfo>): Subscription {
    const sub = this.watches.subscribe<KubeObjectLike>(
      { resource: RESOURCES.namespaces, metadataOnly: true },
      adapt(handlers, (object) => ({
        name: object.metadata?.name ?? '',
        labels: (object.metadata?.['labels'] as Record<string, string> | undefined) ?? {},
      })),
    );
    return { unsubscribe: () => sub.unsubscribe() };
  }

  retainObjects(namespace: string, onObject?: (object: KubeObject, previous: KubeObject | undefined) => void): Subscription {
    const retention = this.cache.retain(namespace, onObject);
    return { unsubscribe: () => retention.release() };
  }

  /**
   * Caches one more owner kind (e.g. an ownerKindRule's targetApiVersion/targetKind for a CRD)
   * in every retained namespace. `plural` when the kind's plural is irregular.
   */
  addOwnerKind(apiVersion: string, kind: string, plural?: string): void {
    this.cache.addResource(customResource(apiVersion, kind, plural));
  }

  /** The pipeline's way to add an ownerKindRule's target kind: a kind that cannot be cached is logged, not thrown. */
  watchObjectKind(apiVersion: string, kind: string): void {
    try {
      this.addOwnerKind(apiVersion, kind);
    } catch (err) {
      this.logger.warn({ err, apiVersion, kind }, 'cannot cache this owner kind');
    }
  }

  /** Stops every watch and cache. */
  async stop(): Promise<void> {
    this.cache.stop();
    await this.watches.stop();
  }
}

function canGet(client: ListerWatcher): client is ListerWatcher & Pick<KubeClient, 'get'> {
  return typeof (client as Partial<KubeClient>).get === 'function';
}

function adapt<T>(handlers: WatchHandlers<T>, convert: (object: KubeObjectLike) => T): ListWatchListener<KubeObjectLike> {
  return {
    onEvent: (event) => {
      if (event.type === 'DELETED') handlers.onDelete?.(convert(event.object));
      else handlers.onObject(convert(event.object));
    },
    onSynced: () => handlers.onSynced?.(),
    onError: (error) => handlers.onProblem?.(toProblem(error)),
  };
}

/** A KubeApiError as the pipeline's WatchProblem. */
export function toProblem(error: KubeApiError): WatchProblem {
  const problem: WatchProblem = { verb: error.verb, resource: error.resource, message: error.message };
  if (error.statusCode > 0) problem.status = error.statusCode;
  if (error.namespace) problem.namespace = error.namespace;
  return problem;
}
