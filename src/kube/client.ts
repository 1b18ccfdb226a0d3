/**
 * The Kubernetes API client the operator uses: a small typed wrapper over client-node 2.x.
 *
 * Why not client-node's generated APIs / Watch / KubernetesObjectApi: the generated patch calls
 * need a content-type override per call, `Watch` swallows exceptions thrown by callbacks and never
 * asks for bookmarks, and the metadata-only Accept header (PartialObjectMetadata) cannot be set.
 * What we do reuse from client-node is everything about *connecting*: `KubeConfig` loading,
 * `applySecurityAuthentication` (bearer tokens, exec/OIDC plugins with refresh, client certs, CA,
 * proxies — it yields headers plus an undici dispatcher) and its `IsomorphicFetchHttpLibrary`, so
 * the request goes through the same undici version that built the dispatcher. The response body
 * is a web ReadableStream, which we read incrementally for watches (NDJSON, one event a line).
 */

import {
  HttpMethod,
  IsomorphicFetchHttpLibrary,
  KubeConfig,
  PatchStrategy,
  RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';
import { KubeApiError, type KubeVerb } from './errors.js';
import { apiVersionOf, resourcePath, type ResourceType } from './resources.js';

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

const JSON_TYPE = 'application/json';
const METADATA_LIST_ACCEPT = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;q=0.9';
const METADATA_ACCEPT = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json;q=0.9';

/**
 * Loads the kubeconfig the way the operator flags say: `--kubeconfig PATH`, else $KUBECONFIG
 * (kubectl semantics, a path list), else the in-cluster service account. Throws an Error with a
 * message fit for the user when none applies.
 */
export function loadKubeConfig(path?: string, env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const kc = new KubeConfig();
  if (path) {
    kc.loadFromFile(path);
  } else if (env['KUBECONFIG']) {
    // loadFromDefault honours a KUBECONFIG path list and merges it like kubectl.
    kc.loadFromDefault();
  } else if (env['KUBERNETES_SERVICE_HOST']) {
    kc.loadFromCluster();
  } else {
    throw new Error('no Kubernetes configuration: pass --kubeconfig PATH, set KUBECONFIG, or run inside a cluster');
  }
  if (!kc.getCurrentCluster()) {
    throw new Error(`the kubeconfig${path ? ` ${path}` : ''} has no current cluster (current-context "${kc.getCurrentContext()}")`);
  }
  return kc;
}

export interface HttpKubeClientOptions {
  /** per-request timeout for everything but watch streams (default 30 s) */
  requestTimeoutMs?: number;
  /** extra time after a watch's timeoutSeconds before the client gives up on it (default 30 s) */
  watchGraceMs?: number;
}

interface Call {
  verb: KubeVerb;
  type: ResourceType;
  namespace?: string;
  name?: string;
  method: HttpMethod;
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  accept?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** The real client, over HTTP(S) with a KubeConfig. */
export class HttpKubeClient implements KubeClient {
  private readonly http = new IsomorphicFetchHttpLibrary();
  private readonly server: string;
  private readonly requestTimeoutMs: number;
  private readonly watchGraceMs: number;

  constructor(private readonly kubeConfig: KubeConfig, options: HttpKubeClientOptions = {}) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    this.server = cluster.server.replace(/\/+$/, '');
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.watchGraceMs = options.watchGraceMs ?? 30_000;
  }

  async list<T extends KubeObjectLike>(type: ResourceType, options: ListOptions): Promise<ObjectList<T>> {
    const namespace = namespaceOf(type, options.namespace);
    const list = await this.json<ObjectList<T>>({
      verb: 'list',
      type,
      ...(namespace !== undefined ? { namespace } : {}),
      method: HttpMethod.GET,
      path: resourcePath(type, options.namespace),
      query: {
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
        limit: options.limit,
        continue: options.continue,
        resourceVersion: options.resourceVersion,
        resourceVersionMatch: options.resourceVersionMatch,
      },
      accept: options.metadataOnly ? METADATA_LIST_ACCEPT : JSON_TYPE,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const items = Array.isArray(list.items) ? list.items : [];
    for (const item of items) restoreTypeMeta(item, type);
    return { metadata: list.metadata ?? {}, items };
  }

  async *watch(type: ResourceType, options: WatchOptions): AsyncGenerator<RawWatchEvent> {
    const namespace = namespaceOf(type, options.namespace);
    const controller = new AbortController();
    const onOuterAbort = (): void => controller.abort();
    options.signal?.addEventListener('abort', onOuterAbort, { once: true });
    if (options.signal?.aborted) controller.abort();
    // A watch whose close got lost (half-open TCP) would hang forever: give up a bit after the
    // server-side timeout and let the caller re-watch from its last resourceVersion.
    let deadlinePassed = false;
    const deadline = setTimeout(() => {
      deadlinePassed = true;
      controller.abort();
    }, options.timeoutSeconds * 1000 + this.watchGraceMs);
    deadline.unref?.();
    const call: Call = {
      verb: 'watch',
      type,
      ...(namespace !== undefined ? { namespace } : {}),
      method: HttpMethod.GET,
      path: resourcePath(type, options.namespace),
      query: {
        watch: 'true',
        resourceVersion: options.resourceVersion,
        allowWatchBookmarks: options.allowWatchBookmarks ?? true,
        timeoutSeconds: options.timeoutSeconds,
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
      },
      accept: options.metadataOnly ? METADATA_ACCEPT : JSON_TYPE,
      signal: controller.signal,
      timeoutMs: this.requestTimeoutMs,
    };
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    try {
      const response = await this.send(call);
      if (response.httpStatusCode !== 200) throw await errorFrom(call, response);
      const stream = response.body.stream();
      if (!stream) return;
      reader = stream.getReader();
      const decoder = new TextDecoder();
      let buffered = '';
      for (;;) {
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (err) {
          if (controller.signal.aborted) return; // our deadline or the caller's stop
          // undici ends a body that sent nothing for 5 minutes (client-node's dispatcher keeps
          // that default): for a quiet watch that is a normal end; the caller re-watches.
          if (isBodyTimeout(err)) return;
          throw networkError(call, err);
        }
        if (chunk.done) break;
        buffered += decoder.decode(chunk.value, { stream: true });
        let newline: number;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (line) yield parseWatchLine(call, line, type);
        }
      }
      const rest = (buffered + decoder.decode()).trim();
      if (rest) yield parseWatchLine(call, rest, type);
    } catch (err) {
      if (err instanceof KubeApiError && err.reason === 'Aborted' && (deadlinePassed || options.signal?.aborted)) return;
      throw err;
    } finally {
      clearTimeout(deadline);
      options.signal?.removeEventListener('abort', onOuterAbort);
      controller.abort();
      reader?.cancel().catch(() => undefined);
    }
  }

  async get<T extends KubeObjectLike>(
    type: ResourceType,
    key: ObjectKey,
    options: RequestOptions & { metadataOnly?: boolean } = {},
  ): Promise<T> {
    const object = await this.json<T>({
      ...this.target('get', type, key, options.subresource),
      method: HttpMethod.GET,
      accept: options.metadataOnly ? METADATA_ACCEPT : JSON_TYPE,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    restoreTypeMeta(object, type);
    return object;
  }

  create<T extends KubeObjectLike>(type: ResourceType, object: T, options: RequestOptions = {}): Promise<T> {
    const namespace = namespaceOf(type, object.metadata?.namespace);
    return this.json<T>({
      verb: 'create',
      type,
      ...(namespace !== undefined ? { namespace } : {}),
      ...(object.metadata?.name !== undefined ? { name: object.metadata.name } : {}),
      method: HttpMethod.POST,
      path: resourcePath(type, namespace),
      body: { apiVersion: apiVersionOf(type), kind: type.kind, ...object },
      contentType: JSON_TYPE,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  replace<T extends KubeObjectLike>(type: ResourceType, object: T, options: RequestOptions = {}): Promise<T> {
    const name = object.metadata?.name;
    if (!name) return Promise.reject(new Error(`replace ${type.plural}: the object has no metadata.name`));
    const key: ObjectKey = object.metadata?.namespace !== undefined ? { name, namespace: object.metadata.namespace } : { name };
    return this.json<T>({
      ...this.target('update', type, key, options.subresource),
      method: HttpMethod.PUT,
      body: { apiVersion: apiVersionOf(type), kind: type.kind, ...object },
      contentType: JSON_TYPE,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  mergePatch<T extends KubeObjectLike>(type: ResourceType, key: ObjectKey, patch: object, options: RequestOptions = {}): Promise<T> {
    return this.json<T>({
      ...this.target('patch', type, key, options.subresource),
      method: HttpMethod.PATCH,
      body: patch,
      contentType: PatchStrategy.MergePatch,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  jsonPatch<T extends KubeObjectLike>(
    type: ResourceType,
    key: ObjectKey,
    operations: JsonPatchOperation[],
    options: RequestOptions = {},
  ): Promise<T> {
    return this.json<T>({
      ...this.target('patch', type, key, options.subresource),
      method: HttpMethod.PATCH,
      body: operations,
      contentType: PatchStrategy.JsonPatch,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  async delete(type: ResourceType, key: ObjectKey, options: RequestOptions = {}): Promise<void> {
    await this.json<unknown>({
      ...this.target('delete', type, key, options.subresource),
      method: HttpMethod.DELETE,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  private target(verb: KubeVerb, type: ResourceType, key: ObjectKey, subresource?: string): Pick<Call, 'verb' | 'type' | 'namespace' | 'name' | 'path'> {
    const namespace = namespaceOf(type, key.namespace);
    return {
      verb,
      type,
      ...(namespace !== undefined ? { namespace } : {}),
      name: key.name,
      path: resourcePath(type, namespace, key.name, subresource),
    };
  }

  private async json<T>(call: Call): Promise<T> {
    const response = await this.send({ timeoutMs: this.requestTimeoutMs, ...call });
    if (response.httpStatusCode < 200 || response.httpStatusCode >= 300) throw await errorFrom(call, response);
    let text: string;
    try {
      text = await response.body.text();
    } catch (err) {
      throw networkError(call, err);
    }
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new KubeApiError({ ...errorContext(call), statusCode: response.httpStatusCode, reason: 'BadResponse', message: `the API server answered ${call.verb} ${call.type.plural} with invalid JSON` });
    }
  }

  private async send(call: Call): Promise<ResponseContext> {
    const url = new URL(this.server + call.path);
    for (const [key, value] of Object.entries(call.query ?? {})) {
      if (value !== undefined && value !== '') url.searchParams.set(key, String(value));
    }
    const context = new RequestContext(url.toString(), call.method);
    try {
      await this.kubeConfig.applySecurityAuthentication(context);
    } catch (err) {
      // e.g. an exec credential plugin failed, or a plain-HTTP server without insecure-skip-tls-verify
      throw new KubeApiError({ ...errorContext(call), statusCode: 0, reason: 'ConfigurationError', message: `${call.verb} ${call.type.plural}: ${err instanceof Error ? err.message : String(err)}` }, { cause: err });
    }
    context.setHeaderParam('Accept', call.accept ?? JSON_TYPE);
    if (call.body !== undefined) {
      context.setHeaderParam('Content-Type', call.contentType ?? JSON_TYPE);
      context.setBody(JSON.stringify(call.body));
    }
    // The timeout only covers getting the response headers; a watch body streams for minutes.
    const timeout = new AbortController();
    const timer = call.timeoutMs !== undefined ? setTimeout(() => timeout.abort(), call.timeoutMs) : undefined;
    timer?.unref?.();
    const signals = [timeout.signal, ...(call.signal ? [call.signal] : [])];
    context.setSignal(AbortSignal.any(signals));
    try {
      return await this.http.send(context).toPromise();
    } catch (err) {
      if (timeout.signal.aborted) {
        throw new KubeApiError({ ...errorContext(call), statusCode: 0, reason: 'Timeout', message: `${call.verb} ${call.type.plural}: no answer within ${call.timeoutMs} ms` }, { cause: err });
      }
      throw networkError(call, err);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }
}

/** undici's idle-body timeout (fetch reports it as TypeError 'terminated' caused by it). */
export function isBodyTimeout(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 3; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { code?: unknown }).code === 'UND_ERR_BODY_TIMEOUT') return true;
  }
  return false;
}

function namespaceOf(type: ResourceType, namespace: string | undefined): string | undefined {
  return type.namespaced && namespace && namespace !== '*' ? namespace : undefined;
}

function errorContext(call: Pick<Call, 'verb' | 'type' | 'namespace' | 'name'>): Pick<KubeApiError, 'verb' | 'resource'> & { namespace?: string; objectName?: string } {
  return {
    verb: call.verb,
    resource: call.type.plural,
    ...(call.namespace !== undefined ? { namespace: call.namespace } : {}),
    ...(call.name !== undefined ? { objectName: call.name } : {}),
  };
}

function networkError(call: Call, err: unknown): KubeApiError {
  const aborted = call.signal?.aborted || (err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError'));
  const cause = err instanceof Error ? (err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message) : String(err);
  return new KubeApiError(
    { ...errorContext(call), statusCode: 0, reason: aborted ? 'Aborted' : 'ConnectionFailed', message: `${call.verb} ${call.type.plural}: ${cause}` },
    { cause: err },
  );
}

interface StatusObject {
  kind?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { retryAfterSeconds?: number };
}

/** A KubeApiError from a Status object (watch ERROR event or an error response body). */
export function errorFromStatus(call: Pick<Call, 'verb' | 'type' | 'namespace' | 'name'>, status: StatusObject, httpStatus?: number): KubeApiError {
  const statusCode = typeof status.code === 'number' && status.code > 0 ? status.code : (httpStatus ?? 500);
  const retryAfter = status.details?.retryAfterSeconds;
  return new KubeApiError({
    ...errorContext(call),
    statusCode,
    reason: status.reason || reasonForStatus(statusCode),
    message: status.message || `${call.verb} ${call.type.plural}: HTTP ${statusCode}`,
    ...(typeof retryAfter === 'number' ? { retryAfterSeconds: retryAfter } : {}),
  });
}

async function errorFrom(call: Call, response: ResponseContext): Promise<KubeApiError> {
  let status: StatusObject = {};
  try {
    const text = await response.body.text();
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object') status = parsed as StatusObject;
  } catch {
    // not a Status body (e.g. a proxy's HTML page): the HTTP status is all we have
  }
  const error = errorFromStatus(call, { ...status, code: response.httpStatusCode }, response.httpStatusCode);
  const retryAfterHeader = Number(response.headers['retry-after']);
  if (error.retryAfterSeconds === undefined && Number.isFinite(retryAfterHeader) && retryAfterHeader > 0) {
    return new KubeApiError({ ...error.toJSON(), retryAfterSeconds: retryAfterHeader });
  }
  return error;
}

function reasonForStatus(code: number): string {
  switch (code) {
    case 400: return 'BadRequest';
    case 401: return 'Unauthorized';
    case 403: return 'Forbidden';
    case 404: return 'NotFound';
    case 405: return 'MethodNotAllowed';
    case 409: return 'Conflict';
    case 410: return 'Expired';
    case 422: return 'Invalid';
    case 429: return 'TooManyRequests';
    case 504: return 'Timeout';
    default: return code >= 500 ? 'InternalError' : 'Unknown';
  }
}

function parseWatchLine(call: Call, line: string, type: ResourceType): RawWatchEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new KubeApiError({ ...errorContext(call), statusCode: 0, reason: 'BadWatchData', message: `watch ${call.type.plural}: a line is not JSON` });
  }
  const event = parsed as Partial<RawWatchEvent> | null;
  if (!event || typeof event.type !== 'string' || !event.object || typeof event.object !== 'object') {
    throw new KubeApiError({ ...errorContext(call), statusCode: 0, reason: 'BadWatchData', message: `watch ${call.type.plural}: an event lacks type or object` });
  }
  if (event.type !== 'ERROR' && event.type !== 'BOOKMARK') restoreTypeMeta(event.object, type);
  return event as RawWatchEvent;
}

/**
 * List items carry no apiVersion/kind, and metadata-only responses say PartialObjectMetadata:
 * put the resource's own back so that consumers always see e.g. `apps/v1 ReplicaSet`.
 */
function restoreTypeMeta(object: KubeObjectLike | undefined, type: ResourceType): void {
  if (!object || typeof object !== 'object') return;
  if (!object.kind || object.kind === 'PartialObjectMetadata') {
    object.kind = type.kind;
    object.apiVersion = apiVersionOf(type);
  }
}

/** The watch error a Status in an ERROR event stands for. */
export function watchErrorFromEvent(type: ResourceType, namespace: string | undefined, status: KubeObjectLike): KubeApiError {
  return errorFromStatus({ verb: 'watch', type, ...(namespace !== undefined && namespace !== '*' ? { namespace } : {}) }, status as StatusObject);
}

/** Convenience: load config (flag > $KUBECONFIG > in-cluster) and build the client. */
export function createKubeClient(kubeconfigPath?: string, options?: HttpKubeClientOptions): HttpKubeClient {
  return new HttpKubeClient(loadKubeConfig(kubeconfigPath), options);
}
