/**
 * A Kubernetes API server for tests: plain HTTP on 127.0.0.1, a free port, in-process.
 * It has the real apiserver's semantics where kspan depends on them (discovery, list/watch with
 * resourceVersions, lists from the watch cache or consistent, bookmarks, 410 Gone after
 * compaction, selectors, create/update/patch/apply/delete with conflicts, managedFields, the
 * status, scale and binding subresources, generation, finalizers, cascading deletion, CRDs with
 * schema validation, PartialObjectMetadata, bearer tokens with 401/403) plus hooks to steer it
 * from a test.
 *
 *   const api = await startKubeApiServer();          // CRDs from <repo>/crds are installed
 *   api.writeKubeconfig(path);                       // for kspan / client-node
 *   api.put({apiVersion: 'v1', kind: 'Pod', metadata: {name: 'p', namespace: 'default'}});
 *   ...
 *   await api.close();
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { ForbidRule } from './auth.js';
import { readCrdDir } from './crds.js';
import { writeKubeconfig } from './kubeconfig.js';
import type { ListStats } from './lists.js';
import { KubeApi, type FailRule } from './server.js';
import type { KubeObject } from './store.js';

export type { ForbidRule } from './auth.js';
export type { ListRecord, ListSource, ListStats } from './lists.js';
export type { FailRule } from './server.js';
export type { KubeObject } from './store.js';
export { kubeconfigYaml } from './kubeconfig.js';

export interface KubeApiServerOptions {
  /** directory whose CustomResourceDefinition YAML files are installed at start (default <repo>/crds) */
  crdDir?: string;
  /** install nothing from crdDir (default true: install) */
  loadCrds?: boolean;
  /** how often watches that asked for bookmarks get one (default 1000 ms) */
  bookmarkIntervalMs?: number;
  /** changes kept for watch resumption (compacted when a quarter more piled up); older resourceVersions are 410 Gone (default 10000) */
  maxHistory?: number;
  /** namespaces that exist at start (default default, kube-system, kube-public, kube-node-lease) */
  namespaces?: string[];
  /** clock for creationTimestamp, deletionTimestamp, managedFields times (default Date.now) */
  now?: () => number;
  /**
   * how many resourceVersions the watch cache trails the store by (default 0): lists served from
   * it (resourceVersion 0) see the state that much older, NotOlderThan a newer version is 504
   */
  watchCacheLag?: number;
}

export interface KubeApiTestServer {
  /** http://127.0.0.1:<port> */
  url: string;
  /** bearer token with every right */
  adminToken: string;
  /** writes a kubeconfig for kspan / client-node (admin token unless given) */
  writeKubeconfig(path: string, token?: string): void;
  /** creates or replaces any object as given (status, uid, generation, managedFields kept); RV bump and watch events like an API write */
  put(obj: KubeObject | Record<string, unknown>): KubeObject;
  /** put() of an object the caller hands over and never touches again: no copy in or out (the benchmarks write 100,000s) */
  handOver(obj: KubeObject | Record<string, unknown>): void;
  /** deletes an object right away (finalizers ignored); watchers see DELETED */
  remove(apiVersion: string, kind: string, namespace: string | undefined, name: string): void;
  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): KubeObject | undefined;
  list(apiVersion: string, kind: string, namespace?: string): KubeObject[];
  /** closes every open watch; `abrupt` resets the connections instead of ending the responses */
  dropWatches(abrupt?: boolean): void;
  /** compaction point := current resourceVersion: watches and continue tokens from before get 410 Gone */
  compact(): void;
  /** the current (global) resourceVersion */
  resourceVersion(): string;
  /** denies matching requests with 403 */
  forbid(rule: ForbidRule): void;
  /** lifts forbid() rules equal to `rule` */
  unforbid(rule: ForbidRule): void;
  /** a new bearer token for user `name` (all rights until forbid() takes some away) */
  createToken(name: string): string;
  /** the next `count` matching requests fail with `status` */
  failRequests(rule: FailRule): void;
  /** requests by "<verb> <resource>", e.g. "list events", "watch pods", "patch tracecollectors/status" */
  requestCounts(): Record<string, number>;
  resetRequestCounts(): void;
  /** lists by where they were served from (watch cache, consistent read, exact read, continued), and a log of each */
  listStats(): ListStats;
  resetListStats(): void;
  /** the watchCacheLag option, changed at run time */
  setWatchCacheLag(revisions: number): void;
  close(): Promise<void>;
}

const DEFAULT_CRD_DIR = fileURLToPath(new URL('../../../crds', import.meta.url));
const DEFAULT_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export async function startKubeApiServer(options: KubeApiServerOptions = {}): Promise<KubeApiTestServer> {
  const adminToken = `admin-${randomBytes(16).toString('hex')}`;
  const api = new KubeApi({
    bookmarkIntervalMs: options.bookmarkIntervalMs ?? 1000,
    maxHistory: options.maxHistory ?? 10_000,
    adminToken,
    now: options.now ?? Date.now,
    watchCacheLag: options.watchCacheLag ?? 0,
  });
  for (const name of options.namespaces ?? DEFAULT_NAMESPACES) {
    api.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });
  }
  if (options.loadCrds !== false) for (const crd of readCrdDir(options.crdDir ?? DEFAULT_CRD_DIR)) api.put(crd);

  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => void api.handle(req, res));
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  api.serverAddress = `127.0.0.1:${port}`;
  let closed: Promise<void> | undefined;

  return {
    url,
    adminToken,
    writeKubeconfig: (path, token = adminToken) => writeKubeconfig(path, url, token),
    put: (obj) => api.put(obj as KubeObject),
    handOver: (obj) => void api.put(obj as KubeObject, { handOver: true }),
    remove: (apiVersion, kind, namespace, name) => api.remove(apiVersion, kind, namespace, name),
    get: (apiVersion, kind, namespace, name) => api.get(apiVersion, kind, namespace, name),
    list: (apiVersion, kind, namespace) => api.list(apiVersion, kind, namespace),
    dropWatches: (abrupt) => api.dropWatches(abrupt),
    compact: () => api.store.compact(),
    resourceVersion: () => String(api.store.currentRv),
    forbid: (rule) => api.auth.forbid(rule),
    unforbid: (rule) => api.auth.unforbid(rule),
    createToken: (name) => api.auth.createToken(name),
    failRequests: (rule) => api.failRequests(rule),
    requestCounts: () => api.requestCounts(),
    resetRequestCounts: () => api.resetRequestCounts(),
    listStats: () => api.listStats(),
    resetListStats: () => api.resetListStats(),
    setWatchCacheLag: (revisions) => void (api.watchCacheLag = Math.max(0, revisions)),
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        api.dropWatches(true);
        server.close(() => resolve());
        server.closeAllConnections();
        for (const s of sockets) s.destroy();
      });
      return closed;
    },
  };
}
