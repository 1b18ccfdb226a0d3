/** The HTTP request layer: HttpKubeClient, the KubeClient over HTTP(S) with a KubeConfig. */

import { HttpMethod, IsomorphicFetchHttpLibrary, type KubeConfig, PatchStrategy, RequestContext, type ResponseContext } from './client-node.js';
import type {
  JsonPatchOperation,
  KubeClient,
  KubeObjectLike,
  ListOptions,
  ObjectKey,
  ObjectList,
  RawWatchEvent,
  RequestOptions,
  WatchOptions,
} from './client.js';
import { type ErrorContext, errorFromResponse, KubeApiError, type KubeVerb } from './errors.js';
import { loadKubeConfig } from './kubeconfig.js';
import { apiVersionOf, resourcePath, type ResourceType, restoreTypeMeta } from './resources.js';
import { ListItemSplitter } from './list-stream.js';
import { decodeWatchEvent, LineSplitter } from './watch-stream.js';

const JSON_TYPE = 'application/json';
const METADATA_LIST_ACCEPT = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;q=0.9';
const METADATA_ACCEPT = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json;q=0.9';

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

/**
 * The real client, over HTTP(S) with a KubeConfig: a small typed wrapper over client-node 2.x.
 *
 * Why not client-node's generated APIs / Watch / KubernetesObjectApi: the generated patch calls
 * need a content-type override per call, `Watch` swallows exceptions thrown by callbacks and never
 * asks for bookmarks, and the metadata-only Accept header (PartialObjectMetadata) cannot be set.
 * What we do reuse from client-node is everything about *connecting*: `KubeConfig` loading,
 * `applySecurityAuthentication` (bearer tokens, exec/OIDC plugins with refresh, client certs, CA,
 * proxies — it yields headers plus an undici dispatcher) and its `IsomorphicFetchHttpLibrary`, so
 * the request goes through the same undici version that built the dispatcher. The response body
 * is a web ReadableStream, which watches read incrementally (watch-stream.ts decodes it).
 */
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
    const call: Call = {
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
    };
    const { onItem } = options;
    if (onItem) return this.streamList<T>(call, (item) => {
      restoreTypeMeta(item, type);
      onItem(item);
    });
    const list = await this.json<ObjectList<T>>(call);
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
      if (response.httpStatusCode !== 200) throw await errorFromBody(call, response);
      const stream = response.body.stream();
      if (!stream) return;
      reader = stream.getReader();
      const lines = new LineSplitter();
      const context = errorContext(call);
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
        for (const line of lines.push(chunk.value)) yield decodeWatchEvent(line, type, context);
      }
      // Only a stream that ended normally has a last line to finish: after an abort it is cut off.
      for (const line of lines.end()) yield decodeWatchEvent(line, type, context);
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

  /** A list whose items go to `onItem` one by one as the body streams in (see list-stream.ts). */
  private async streamList<T extends KubeObjectLike>(call: Call, onItem: (item: KubeObjectLike) => void): Promise<ObjectList<T>> {
    const response = await this.send({ timeoutMs: this.requestTimeoutMs, ...call });
    if (response.httpStatusCode < 200 || response.httpStatusCode >= 300) throw await errorFromBody(call, response);
    const badResponse = () => new KubeApiError({ ...errorContext(call), statusCode: response.httpStatusCode, reason: 'BadResponse', message: `the API server answered ${call.verb} ${call.type.plural} with invalid JSON` });
    const stream = response.body.stream();
    if (!stream) throw badResponse();
    const reader = stream.getReader();
    const splitter = new ListItemSplitter();
    let rest: Record<string, unknown>;
    try {
      for (;;) {
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (err) {
          throw networkError(call, err);
        }
        if (chunk.done) break;
        for (const text of splitter.push(chunk.value)) {
          let item: unknown;
          try {
            item = JSON.parse(text);
          } catch {
            throw badResponse();
          }
          if (typeof item === 'object' && item !== null) onItem(item as KubeObjectLike);
        }
      }
      try {
        rest = splitter.end();
      } catch {
        throw badResponse();
      }
    } finally {
      reader.cancel().catch(() => undefined);
    }
    const metadata = (typeof rest['metadata'] === 'object' && rest['metadata'] !== null ? rest['metadata'] : {}) as ObjectList<T>['metadata'];
    return { metadata, items: [] };
  }

  private async json<T>(call: Call): Promise<T> {
    const response = await this.send({ timeoutMs: this.requestTimeoutMs, ...call });
    if (response.httpStatusCode < 200 || response.httpStatusCode >= 300) throw await errorFromBody(call, response);
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

function errorContext(call: Pick<Call, 'verb' | 'type' | 'namespace' | 'name'>): ErrorContext {
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

async function errorFromBody(call: Call, response: ResponseContext): Promise<KubeApiError> {
  let body = '';
  try {
    body = await response.body.text();
  } catch {
    // the body broke off: the HTTP status is all we have
  }
  return errorFromResponse(errorContext(call), response.httpStatusCode, body, response.headers['retry-after']);
}

/** Convenience: load config (flag > $KUBECONFIG > in-cluster) and build the client. */
export function createKubeClient(kubeconfigPath?: string, options?: HttpKubeClientOptions): HttpKubeClient {
  return new HttpKubeClient(loadKubeConfig(kubeconfigPath), options);
}
