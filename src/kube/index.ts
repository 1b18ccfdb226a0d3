/**
 * The kube layer: a thin, correct operator toolkit over @kubernetes/client-node 2.x.
 * Everything the controller and pipelines need from the Kubernetes API goes through here.
 */

/** Typed API failure: branch on `statusCode` (403/404/409/410/5xx; 0 = no answer). */
export { KubeApiError, type KubeApiErrorFields, type KubeVerb } from './errors.js';

/** Resource types (`RESOURCES.events`, ...), the default owner kinds, REST paths. */
export {
  apiVersionOf,
  customResource,
  DEFAULT_OWNER_RESOURCES,
  describeResource,
  RESOURCES,
  resourcePath,
  type ResourceType,
} from './resources.js';

/** What callers depend on: `KubeClient` is list/watch/get/create/replace/mergePatch/jsonPatch/delete, throwing KubeApiError. */
export type {
  JsonPatchOperation,
  KubeClient,
  KubeObjectLike,
  ListerWatcher,
  ListOptions,
  ObjectKey,
  ObjectList,
  ObjectMetaLike,
  RawWatchEvent,
  RequestOptions,
  WatchOptions,
} from './client.js';

/** `loadKubeConfig(flagPath)`: --kubeconfig, else $KUBECONFIG, else in-cluster. */
export { loadKubeConfig } from './kubeconfig.js';

/** The client over HTTP(S): `createKubeClient(flagPath)` loads the config and builds it. */
export { createKubeClient, HttpKubeClient, type HttpKubeClientOptions } from './http-client.js';

/**
 * Resilient list+watch: bookmarks, randomised watch timeouts, relist on 410 delivering only real
 * changes (synthetic DELETED for gaps), jittered backoff, never throws, no duplicate deliveries.
 */
export {
  type ChangeEvent,
  type ChangeType,
  ListWatch,
  type ListWatchListener,
  type ListWatchOptions,
  type ListWatchScope,
  type ListWatchStats,
  objectKey,
} from './list-watch.js';

/** Ref-counted list+watches shared by scope; late subscribers get the current objects first. */
export {
  type ListWatchTuning,
  type SharedSubscription,
  type SharedWatchesOptions,
  SharedWatches,
  type SharedWatchInfo,
  type SubscribeOptions,
  watchKey,
} from './shared-watches.js';

/** Watch-fed owner caches implementing the engine's ObjectLookup (deleted objects retained). */
export { DEFAULT_FULL_OBJECT_KINDS, type GetFallbackOptions, ObjectCache, type ObjectCacheOptions, type ObjectCacheStats, type Retention } from './object-cache.js';

/** The pipeline's ClusterSourcePort: shared event/namespace watches + object caches. */
export { ClusterSource, type ClusterSourceOptions, toProblem } from './cluster-source.js';

/** Per-key work queue for reconcilers (dedup, one worker per key, backoff, delayed adds, drain). */
export { type Worker, type WorkQueueOptions, WorkQueue, type WorkQueueStats, type WorkResult } from './work-queue.js';

/** Merge-patch of a custom resource's /status subresource. */
export { patchStatus, type PatchStatusOptions } from './status.js';

/** Finalizer add/remove touching only ours, with a resourceVersion precondition and 409 retry. */
export { addFinalizer, type FinalizerOptions, hasFinalizer, removeFinalizer } from './finalizers.js';

/** Lease-based leader election (coordination.k8s.io/v1), release on stop. */
export { type Lease, type LeaseSpec, LeaderElector, type LeaderElectionOptions, microTime } from './leader-election.js';
