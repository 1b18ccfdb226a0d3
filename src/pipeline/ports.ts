/**
 * The interfaces a Pipeline needs from the edges. The composition root wires concrete
 * implementations (export/, kube/) into them; tests wire fakes or the real thing.
 */

import type { KubeEvent, KubeObject, ObjectLookup, SpanRecord } from '../engine/types.js';

/** Exporter settings with Secrets already resolved (by the controller, from the collector's namespace). */
export interface ResolvedExporterConfig {
  /** host:port or http(s)://host:port, as in the spec */
  endpoint: string;
  insecure: boolean;
  /** gRPC metadata from headersSecretRef */
  headers: Readonly<Record<string, string>>;
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
  compression: 'none' | 'gzip';
  timeoutMs: number;
  /** spans waiting to be sent, batches in flight not included; when full, the oldest are dropped */
  maxQueueSize: number;
  /** the collector's resourceAttributes, added to every span's resource */
  resourceAttributes: Readonly<Record<string, string>>;
}

export interface ExporterState {
  /** true after the last export attempt succeeded (or before any was made) */
  ready: boolean;
  /** e.g. ExportSucceeded, ExporterUnavailable, ExportRejected */
  reason: string;
  message: string;
}

export interface ExporterStats {
  spansExported: number;
  spansDropped: number;
  spansQueued: number;
  /** ms since epoch of the last successful export */
  lastExportTime?: number;
  state: ExporterState;
}

/** One per TraceCollector. */
export interface SpanExporterPort {
  /** Queue finished spans for delivery. Never throws, never blocks; a full queue drops the oldest. */
  enqueue(spans: readonly SpanRecord[]): void;
  /** Apply new settings (endpoint, TLS, headers from a changed Secret) without losing queued spans. */
  update(config: ResolvedExporterConfig): void;
  /** Deliver everything queued, giving up at the deadline (ms since epoch). */
  flush(deadline: number): Promise<void>;
  /** Flush, then release connections. */
  shutdown(deadline: number): Promise<void>;
  stats(): ExporterStats;
  onStateChange(listener: (state: ExporterState) => void): void;
  /**
   * Optional: called after every export request (for the export latency histogram).
   * `ok` is false for a failed or refused request.
   */
  onExportRequest?(listener: (request: ExportRequestInfo) => void): void;
  /**
   * Called with the spans of each batch once it is settled: accepted by the endpoint, or given up
   * on (rejected, past its deadline). Checkpoints count both as delivered: neither is sent again.
   */
  onSettled(listener: (spans: readonly SpanRecord[]) => void): void;
}

export interface ExportRequestInfo {
  durationMs: number;
  ok: boolean;
  spans: number;
}

// ---------------------------------------------------------------------------------------------
// What a Pipeline needs from the kube layer (src/kube implements it; tests use fakes).
// ---------------------------------------------------------------------------------------------

/** Stops a subscription. Idempotent. */
export interface Subscription {
  unsubscribe(): void;
}

/** A watch problem, reported while the watch keeps retrying with backoff. */
export interface WatchProblem {
  /** HTTP status when the API server answered (403: forbidden, 410 is handled inside and never reported) */
  status?: number;
  /** Kubernetes verb that failed: 'list' or 'watch' */
  verb: string;
  /** plural resource, e.g. 'events', 'namespaces' */
  resource: string;
  /** the namespace of the watch; absent for cluster-wide watches */
  namespace?: string;
  message: string;
}

export interface WatchHandlers<T> {
  /**
   * An object was added or modified. A new subscriber to an already running shared watch first
   * receives the objects the watch currently knows (like an informer's initial list), then changes.
   * The same (uid, resourceVersion) is never delivered twice to one subscriber, across relists
   * and reconnects.
   */
  onObject(object: T): void;
  /** Optional: an object went away (for namespaces: stop watching it). */
  onDelete?(object: T): void;
  /** The watch is listed and running (again, after problems). */
  onSynced?(): void;
  /** The watch failed and is retrying; e.g. status 403 means the operator lacks the permission. */
  onProblem?(problem: WatchProblem): void;
}

/** A Namespace as far as the pipeline cares. */
export interface NamespaceInfo {
  name: string;
  labels: Readonly<Record<string, string>>;
}

/** Watch every namespace: the value of `namespace` for cluster-wide event watches. */
export const ALL_NAMESPACES = '*';

/**
 * Shared watches and object caches. Several subscribers to the same namespace share one watch
 * (two TraceCollectors on one namespace cost one event watch).
 */
export interface ClusterSourcePort {
  /** core/v1 Events of one namespace, or of every namespace with ALL_NAMESPACES. */
  watchEvents(namespace: string, handlers: WatchHandlers<KubeEvent>): Subscription;
  /** Namespace objects (cluster-scoped), for "*" and namespaceSelector resolution. */
  watchNamespaces(handlers: WatchHandlers<NamespaceInfo>): Subscription;
  /**
   * Tell the object caches (pods, replicasets, deployments, statefulsets, daemonsets, jobs,
   * cronjobs) that a pipeline needs objects of this namespace (or ALL_NAMESPACES). The kube
   * layer may scope its cache watches by it; releasing the last holder may stop them.
   * `onObject` is told of each object of the namespace once the lookup has it (added, changed
   * or deleted), with the version it replaced, until unsubscribed.
   */
  retainObjects(namespace: string, onObject?: (object: KubeObject, previous: KubeObject | undefined) => void): Subscription;
  /** Owner lookups served from the caches; answers for deleted objects where they were seen. */
  readonly lookup: ObjectLookup;
  /**
   * Optional: cache objects of one more kind from now on, in every retained namespace (an
   * ownerKindRule's target, e.g. a custom resource). Idempotent.
   */
  watchObjectKind?(apiVersion: string, kind: string): void;
}
