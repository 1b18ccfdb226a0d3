/** The Kubernetes client as its callers see it: object shapes, request options, ListerWatcher and KubeClient. */

import type { ResourceType } from './resources.js';

/** Metadata fields the kube layer reads from any object. */
export interface ObjectMetaLike {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  deletionTimestamp?: string;
  finalizers?: string[];
  [key: string]: unknown;
}

export interface KubeObjectLike {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMetaLike;
  [key: string]: unknown;
}

export interface ObjectList<T> {
  metadata: { resourceVersion?: string; continue?: string };
  items: T[];
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** One line of a watch stream. For ERROR, `object` is a Status. */
export interface RawWatchEvent {
  type: WatchEventType;
  object: KubeObjectLike;
}

export interface SelectorOptions {
  /** namespace; absent or '*' lists every namespace (namespaced types) */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** ask for PartialObjectMetadata (metadata only); kind/apiVersion are restored from the type */
  metadataOnly?: boolean;
  signal?: AbortSignal;
}

export interface ListOptions extends SelectorOptions {
  limit?: number;
  continue?: string;
  /** absent: a consistent (quorum) read; '0': any version the API server's watch cache has */
  resourceVersion?: string;
  /** how `resourceVersion` is read (the API server's default, unset, means NotOlderThan for a non-zero one) */
  resourceVersionMatch?: 'NotOlderThan' | 'Exact';
  /**
   * Each item as soon as it is decoded, instead of in the answer's `items` (which then holds
   * those not handed over this way: none from the HTTP client): a page, or a whole unpaged list,
   * is then never all in memory at once (see list-stream.ts).
   */
  onItem?: (item: KubeObjectLike) => void;
}

export interface WatchOptions extends SelectorOptions {
  resourceVersion: string;
  /** server-side timeout; the client also aborts a little after it in case the close is lost */
  timeoutSeconds: number;
  /** default true */
  allowWatchBookmarks?: boolean;
}

/** What a reflector needs: list and watch. Tests implement it with in-memory fakes. */
export interface ListerWatcher {
  /** One page (or the whole list without `limit`). Throws KubeApiError. */
  list<T extends KubeObjectLike>(type: ResourceType, options: ListOptions): Promise<ObjectList<T>>;
  /**
   * Events of one watch request, until the server closes it (timeout), the deadline passes or the
   * signal aborts (all three end the iteration normally). Throws KubeApiError for HTTP errors
   * (e.g. 410 when the resourceVersion is too old) and broken streams.
   */
  watch(type: ResourceType, options: WatchOptions): AsyncIterable<RawWatchEvent>;
}

/** Identifies one object; `namespace` is ignored for cluster-scoped types. */
export interface ObjectKey {
  namespace?: string;
  name: string;
}

export interface RequestOptions {
  signal?: AbortSignal;
  /** e.g. 'status' */
  subresource?: string;
}

export type JsonPatchOperation =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  | { op: 'move' | 'copy'; from: string; path: string };

/** The whole client: every failure is a KubeApiError. HttpKubeClient (http-client.ts) implements it. */
export interface KubeClient extends ListerWatcher {
  get<T extends KubeObjectLike>(type: ResourceType, key: ObjectKey, options?: RequestOptions & { metadataOnly?: boolean }): Promise<T>;
  create<T extends KubeObjectLike>(type: ResourceType, object: T, options?: RequestOptions): Promise<T>;
  /** PUT; the object's metadata.resourceVersion, when set, is a precondition (409 when stale). */
  replace<T extends KubeObjectLike>(type: ResourceType, object: T, options?: RequestOptions): Promise<T>;
  /** application/merge-patch+json (RFC 7386). A metadata.resourceVersion in it is a precondition. */
  mergePatch<T extends KubeObjectLike>(type: ResourceType, key: ObjectKey, patch: object, options?: RequestOptions): Promise<T>;
  /** application/json-patch+json (RFC 6902); use a `test` op for preconditions. */
  jsonPatch<T extends KubeObjectLike>(type: ResourceType, key: ObjectKey, operations: JsonPatchOperation[], options?: RequestOptions): Promise<T>;
  delete(type: ResourceType, key: ObjectKey, options?: RequestOptions): Promise<void>;
}
