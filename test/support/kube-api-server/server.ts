/**
 * The HTTP front of the test apiserver: authentication, authorization, injected failures,
 * request counting, reads (get, list, watch) over the store, writes handed to the registry.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Authorizer } from './auth.js';
import { apiGroup, apiGroupList, apiResourceList, coreVersions, SERVER_VERSION } from './discovery.js';
import type { FieldValidation } from './crd-schema.js';
import { emptyListStats, listPage, listSource, recordList, type ListRecord, type ListStats } from './lists.js';
import { managerName } from './managed-fields.js';
import { isObj, kubeNow, specChanged } from './objects.js';
import { ObjectRegistry, type ObjectRoute, type WriteRequest } from './object-registry.js';
import { parse as parseYaml } from 'yaml';
import { PATCH_TYPES, patchTypeOf } from './patch.js';
import { apiVersionOf, ResourceRegistry, storageKey, type ResourceType } from './resources.js';
import { parseRoute, type Route } from './routes.js';
import { parseFieldSelector, parseLabelSelector, SelectorError } from './selectors.js';
import { ApiError, errors, injectedFailure } from './status.js';
import { Store, type KubeObject } from './store.js';
import { WatchStream } from './watch.js';

export interface FailRule {
  status: number;
  count: number;
  verb?: string;
  resource?: string;
}

export interface ApiServerOptions {
  bookmarkIntervalMs: number;
  maxHistory: number;
  adminToken: string;
  now: () => number;
  /** resourceVersions the watch cache trails the store by (lists at resourceVersion 0 see that much older a state) */
  watchCacheLag?: number;
}

const CRD_KEY = 'apiextensions.k8s.io/customresourcedefinitions';
const MAX_BODY = 8 * 1024 * 1024;

function wantsPartialMetadata(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((part) => /;\s*as=PartialObjectMetadata(List)?\b/.test(part) && /;\s*g=meta\.k8s\.io\b/.test(part));
}

export class KubeApi {
  readonly registry = new ResourceRegistry();
  readonly store: Store;
  readonly auth: Authorizer;
  readonly objects: ObjectRegistry;
  private readonly watches = new Set<WatchStream>();
  private readonly failRules: FailRule[] = [];
  private counts: Record<string, number> = {};
  private lists: ListStats = emptyListStats();
  /** resourceVersions the watch cache trails the store by */
  watchCacheLag: number;
  serverAddress = '127.0.0.1';

  constructor(private readonly options: ApiServerOptions) {
    this.store = new Store(options.maxHistory);
    this.auth = new Authorizer(options.adminToken);
    this.objects = new ObjectRegistry(this.store, this.registry, options.now);
    this.watchCacheLag = options.watchCacheLag ?? 0;
  }

  // -------------------------------------------------------------------------------------------
  // hooks

  failRequests(rule: FailRule): void {
    this.failRules.push({ ...rule });
  }

  requestCounts(): Record<string, number> {
    return { ...this.counts };
  }

  resetRequestCounts(): void {
    this.counts = {};
  }

  listStats(): ListStats {
    return { ...this.lists, log: this.lists.log.map((r) => ({ ...r })) };
  }

  resetListStats(): void {
    this.lists = emptyListStats();
  }

  dropWatches(abrupt = false): void {
    for (const w of [...this.watches]) w.close(abrupt);
  }

  typeOf(apiVersion: string, kind: string): ResourceType {
    const t = this.registry.byApiVersionKind(apiVersion, kind);
    if (t === undefined) throw new Error(`test apiserver: no resource serves ${apiVersion} ${kind} (create its CRD first)`);
    return t;
  }

  /**
   * Creates or replaces an object as given (status, uid, generation and managedFields kept).
   * With `handOver` the store takes `input` itself and the result is the stored object: the
   * caller must not change either.
   */
  put(input: KubeObject, { handOver = false } = {}): KubeObject {
    if (!isObj(input) || typeof input['apiVersion'] !== 'string' || typeof input['kind'] !== 'string' || !isObj(input.metadata)) {
      throw new Error('test apiserver put(): need apiVersion, kind and metadata');
    }
    const t = this.typeOf(input['apiVersion'], input['kind']);
    const obj = handOver ? input : structuredClone(input);
    if (!t.namespaced) delete obj.metadata.namespace;
    else if (obj.metadata.namespace === undefined) obj.metadata.namespace = 'default';
    const existing = this.store.peek(storageKey(t), obj.metadata.namespace, obj.metadata.name);
    obj.metadata['uid'] ??= existing?.metadata['uid'] ?? randomUUID();
    obj.metadata['creationTimestamp'] ??= existing?.metadata['creationTimestamp'] ?? kubeNow(this.options.now());
    if (t.generation && obj.metadata['generation'] === undefined) {
      obj.metadata['generation'] = existing === undefined ? 1 : Number(existing.metadata['generation'] ?? 1) + (specChanged(t, existing, obj) ? 1 : 0);
    }
    delete obj.metadata.resourceVersion;
    return this.objects.write(t, obj, !handOver);
  }

  remove(apiVersion: string, kind: string, namespace: string | undefined, name: string): void {
    const t = this.typeOf(apiVersion, kind);
    const gone = this.store.delete(storageKey(t), t.namespaced ? namespace : undefined, name, false);
    if (gone !== undefined && storageKey(t) === CRD_KEY) this.objects.unregisterCrd(gone);
  }

  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const t = this.typeOf(apiVersion, kind);
    const obj = this.store.get(storageKey(t), t.namespaced ? namespace : undefined, name);
    return obj === undefined ? undefined : this.render(t, obj);
  }

  list(apiVersion: string, kind: string, namespace?: string): KubeObject[] {
    const t = this.typeOf(apiVersion, kind);
    return this.store.list(storageKey(t), t.namespaced ? namespace : undefined).map((o) => this.render(t, o));
  }

  // -------------------------------------------------------------------------------------------
  // HTTP

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await this.dispatch(req, res);
    } catch (err) {
      const apiErr = err instanceof ApiError ? err : new ApiError({
        kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
        message: `internal error: ${err instanceof Error ? err.message : String(err)}`, reason: 'InternalError', code: 500,
      });
      if (res.headersSent) {
        res.destroy();
        return;
      }
      this.json(res, apiErr.code, apiErr.body);
    }
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = parseRoute(url.pathname, this.registry);
    const method = req.method ?? 'GET';
    if (route.type === 'health') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
      return;
    }
    const { token, user } = this.auth.authenticate(req.headers.authorization);
    if (route.type !== 'object') {
      if (method !== 'GET') throw errors.methodNotAllowed(`the server does not allow this method on the requested resource`);
      this.json(res, 200, this.discovery(route));
      return;
    }

    const q = url.searchParams;
    const watching = route.legacyWatch || q.get('watch') === 'true' || q.get('watch') === '1';
    const verb = this.verbOf(method, route, watching);
    const resource = route.subresource === undefined ? route.t.resource : `${route.t.resource}/${route.subresource}`;
    const countKey = `${verb} ${resource}`;
    this.counts[countKey] = (this.counts[countKey] ?? 0) + 1;
    this.auth.authorize(token, user, {
      verb,
      group: route.t.group,
      resource,
      ...(route.namespace === undefined ? {} : { namespace: route.namespace }),
      ...(route.name === undefined ? {} : { name: route.name }),
    });
    try {
      this.maybeFail(verb, resource);
    } catch (err) {
      // An injected failure of a list is a list the client made: counted with its code.
      if (verb === 'list' && err instanceof ApiError) recordList(this.lists, { ...listRecord(route, q), code: err.code });
      throw err;
    }

    const partial = wantsPartialMetadata(req.headers.accept);
    const warnings: string[] = [];
    const write: WriteRequest = {
      fieldValidation: fieldValidationOf(q),
      warnings,
      manager: managerName(q.get('fieldManager'), req.headers['user-agent']),
    };
    if (verb === 'create' || verb === 'update' || verb === 'patch') checkWriteOptions(verb, q, req.headers['content-type'] ?? '', write);
    if (route.subresource === 'scale') {
      await this.scale(res, route, verb, req, write);
      return;
    }
    switch (verb) {
      case 'get':
        this.json(res, 200, this.shape(route.t, this.mustGet(route), partial));
        return;
      case 'list':
        this.json(res, 200, this.listResponse(route, q, partial));
        return;
      case 'watch':
        this.startWatch(res, route, q, partial);
        return;
      case 'create':
        if (route.subresource === 'binding') {
          this.json(res, 201, this.objects.bind(route, await readBody(req)));
          return;
        }
        this.json(res, 201, this.shape(route.t, this.objects.create(route, await readBody(req), write), partial), warnings);
        return;
      case 'update':
        this.json(res, 200, this.shape(route.t, this.objects.update(route, await readBody(req), write), partial), warnings);
        return;
      case 'patch': {
        const contentType = req.headers['content-type'] ?? '';
        const body = await readBody(req, { yaml: patchTypeOf(contentType) === PATCH_TYPES.apply });
        const { code, obj } = this.objects.patch(route, contentType, body, write);
        this.json(res, code, this.shape(route.t, obj, partial), warnings);
        return;
      }
      case 'delete': {
        const body = await readBody(req, { optional: true });
        this.json(res, 200, this.shape(route.t, this.objects.delete(route, body, q), partial));
        return;
      }
      case 'deletecollection': {
        const body = await readBody(req, { optional: true });
        const deleted = this.objects.deleteCollection(route, this.selection(route, q), q, body);
        this.json(res, 200, { kind: `${route.t.kind}List`, apiVersion: apiVersionOf(route.t), metadata: { resourceVersion: String(this.store.currentRv) }, items: deleted });
        return;
      }
      default:
        throw errors.methodNotAllowed(`the server does not allow this method on the requested resource`);
    }
  }

  /** GET, PUT and PATCH of .../scale. */
  private async scale(res: ServerResponse, route: ObjectRoute, verb: string, req: IncomingMessage, write: WriteRequest): Promise<void> {
    switch (verb) {
      case 'get':
        this.json(res, 200, this.objects.getScale(route));
        return;
      case 'update':
        this.json(res, 200, this.objects.writeScale(route, { kind: 'update', scale: await readBody(req) }, write));
        return;
      case 'patch': {
        const contentType = req.headers['content-type'] ?? '';
        const body = await readBody(req, { yaml: patchTypeOf(contentType) === PATCH_TYPES.apply });
        this.json(res, 200, this.objects.patchScale(route, contentType, body, write));
        return;
      }
      default:
        throw errors.methodNotAllowed(`the server does not allow this method on the requested resource`);
    }
  }

  private verbOf(method: string, route: ObjectRoute, watching: boolean): string {
    const named = route.name !== undefined;
    switch (method) {
      case 'GET':
        return watching ? 'watch' : named ? 'get' : 'list';
      case 'POST':
        if (named && route.subresource !== 'binding') throw errors.methodNotAllowed('POST is not allowed on a named resource');
        return 'create';
      case 'PUT':
        if (!named) throw errors.methodNotAllowed('PUT needs a resource name');
        return 'update';
      case 'PATCH':
        if (!named) throw errors.methodNotAllowed('PATCH needs a resource name');
        return 'patch';
      case 'DELETE':
        return named ? 'delete' : 'deletecollection';
      default:
        throw errors.methodNotAllowed(`method ${method} is not supported`);
    }
  }

  private maybeFail(verb: string, resource: string): void {
    const rule = this.failRules.find((r) => r.count > 0 && (r.verb === undefined || r.verb === verb) && (r.resource === undefined || r.resource === resource));
    if (rule === undefined) return;
    rule.count--;
    throw injectedFailure(rule.status);
  }

  private discovery(route: Exclude<Route, ObjectRoute | { type: 'health' }>): unknown {
    switch (route.type) {
      case 'version':
        return SERVER_VERSION;
      case 'coreVersions':
        return coreVersions(this.serverAddress);
      case 'groups':
        return apiGroupList(this.registry);
      case 'group':
        return apiGroup(this.registry, route.group);
      case 'resources':
        return apiResourceList(this.registry, route.group, route.version);
    }
  }

  // -------------------------------------------------------------------------------------------
  // rendering

  /** The stored object as served at the route's version (storage is shared between versions). */
  private render(t: ResourceType, obj: KubeObject): KubeObject {
    return { ...obj, apiVersion: apiVersionOf(t), kind: t.kind };
  }

  private shape(t: ResourceType, obj: KubeObject, partial: boolean): unknown {
    if (!partial) return this.render(t, obj);
    return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
  }

  private json(res: ServerResponse, code: number, body: unknown, warnings: string[] = []): void {
    const text = JSON.stringify(body);
    res.writeHead(code, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(text),
      ...(warnings.length === 0 ? {} : { Warning: warnings.map((w) => `299 - ${JSON.stringify(w)}`) }),
    });
    res.end(text);
  }

  // -------------------------------------------------------------------------------------------
  // reads

  private mustGet(route: ObjectRoute): KubeObject {
    const obj = this.store.get(storageKey(route.t), route.namespace, route.name ?? '');
    if (obj === undefined) throw errors.notFound(route.t, route.name ?? '');
    return obj;
  }

  private selection(route: ObjectRoute, q: URLSearchParams): (obj: KubeObject) => boolean {
    try {
      const labels = parseLabelSelector(q.get('labelSelector'));
      const fields = parseFieldSelector(q.get('fieldSelector'), route.t.fields);
      const namespace = route.namespace;
      return (obj) => (namespace === undefined || obj.metadata.namespace === namespace) && labels(obj) && fields(obj);
    } catch (err) {
      if (err instanceof SelectorError) throw errors.badRequest(err.message);
      throw err;
    }
  }

  private listResponse(route: ObjectRoute, q: URLSearchParams, partial: boolean): unknown {
    const matches = this.selection(route, q);
    const record = listRecord(route, q);
    let served: ReturnType<typeof listPage>;
    try {
      const selective = Boolean(q.get('labelSelector')) || Boolean(q.get('fieldSelector'));
      served = listPage({ store: this.store, key: storageKey(route.t), namespace: route.namespace, matches, cacheLag: this.watchCacheLag }, q, selective);
    } catch (err) {
      recordList(this.lists, { ...record, code: err instanceof ApiError ? err.code : 500 });
      throw err;
    }
    const { page } = served;
    recordList(this.lists, { ...record, code: 200, servedResourceVersion: String(page.metadata['resourceVersion']) });
    if (partial) {
      return {
        kind: 'PartialObjectMetadataList',
        apiVersion: 'meta.k8s.io/v1',
        metadata: page.metadata,
        items: page.items.map((o) => ({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata })),
      };
    }
    // Like the real server: items of built-in lists carry no apiVersion/kind, custom resources do.
    const shaped = page.items.map((o) => {
      if (route.t.crd !== undefined) return this.render(route.t, o);
      const { apiVersion: _a, kind: _k, ...rest } = o;
      return rest;
    });
    return { kind: `${route.t.kind}List`, apiVersion: apiVersionOf(route.t), metadata: page.metadata, items: shaped };
  }

  private startWatch(res: ServerResponse, route: ObjectRoute, q: URLSearchParams, partial: boolean): void {
    const matches = this.selection(route, q);
    const named = route.name;
    const timeout = q.get('timeoutSeconds');
    const rv = checkedResourceVersion(q);
    const stream = new WatchStream(
      res,
      this.store,
      {
        key: storageKey(route.t),
        resourceVersion: rv ?? undefined,
        matches: named === undefined ? matches : (o) => o.metadata.name === named && matches(o),
        render: (o) => this.shape(route.t, o, partial),
        shape: `${apiVersionOf(route.t)} ${route.t.kind}${partial ? ' partial' : ''}`,
        bookmarkType: partial ? { apiVersion: 'meta.k8s.io/v1', kind: 'PartialObjectMetadata' } : { apiVersion: apiVersionOf(route.t), kind: route.t.kind },
        bookmarks: q.get('allowWatchBookmarks') === 'true',
        bookmarkIntervalMs: this.options.bookmarkIntervalMs,
        ...(timeout === null ? {} : { timeoutSeconds: Number(timeout) }),
      },
      (w) => this.watches.delete(w),
    );
    this.watches.add(stream);
    stream.start();
  }
}

function fieldValidationOf(q: URLSearchParams): FieldValidation {
  const value = q.get('fieldValidation');
  if (value === null || value === '') return 'Warn';
  if (value === 'Strict' || value === 'Warn' || value === 'Ignore') return value;
  throw errors.badRequest(`fieldValidation: Unsupported value: ${JSON.stringify(value)}: supported values: "Ignore", "Warn", "Strict"`);
}

/** What the list log says of a list request (its answer's code comes later). */
function listRecord(route: ObjectRoute, q: URLSearchParams): Omit<ListRecord, 'code'> {
  const rv = q.get('resourceVersion');
  const match = q.get('resourceVersionMatch');
  const limit = q.get('limit');
  return {
    resource: route.t.resource,
    ...(route.namespace === undefined ? {} : { namespace: route.namespace }),
    ...(rv === null ? {} : { resourceVersion: rv }),
    ...(match === null ? {} : { resourceVersionMatch: match }),
    ...(limit === null ? {} : { limit: Number(limit) }),
    source: listSource(q),
  };
}

/** PatchOptions / CreateOptions / UpdateOptions validation: fieldManager and force. */
function checkWriteOptions(verb: string, q: URLSearchParams, contentType: string, write: WriteRequest): void {
  const kind = verb === 'create' ? 'CreateOptions' : verb === 'update' ? 'UpdateOptions' : 'PatchOptions';
  const invalid = (reason: string, message: string, field: string) => errors.invalid({ group: 'meta.k8s.io', kind }, '', [{ reason, message, field }]);
  const fieldManager = q.get('fieldManager') ?? '';
  if (Buffer.byteLength(fieldManager) > 128) throw invalid('FieldValueTooLong', 'Too long: may not be more than 128 bytes', 'fieldManager');
  const force = q.get('force');
  if (verb !== 'patch') return;
  if (patchTypeOf(contentType) === PATCH_TYPES.apply) {
    if (fieldManager === '') throw invalid('FieldValueRequired', 'Required value: is required for apply patch', 'fieldManager');
    if (force !== null && force !== 'true' && force !== 'false') throw errors.badRequest(`force: invalid value ${JSON.stringify(force)}`);
    write.force = force === 'true';
  } else if (force !== null) {
    throw invalid('FieldValueForbidden', 'Forbidden: may not be specified for non-apply patch', 'force');
  }
}

function checkedResourceVersion(q: URLSearchParams): string | undefined {
  const rv = q.get('resourceVersion');
  if (rv === null || rv === '') return undefined;
  if (!/^\d+$/.test(rv)) throw errors.badRequest(`invalid resource version: ${JSON.stringify(rv)}`);
  return rv;
}

async function readBody(req: IncomingMessage, options: { optional?: boolean; yaml?: boolean } = {}): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new ApiError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'request entity too large', reason: 'RequestEntityTooLarge', code: 413 });
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') {
    if (options.optional === true) return undefined;
    throw errors.badRequest('the request body is empty');
  }
  try {
    return options.yaml === true ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw errors.badRequest(`couldn't get version/kind; json parse error: ${err instanceof Error ? err.message : String(err)}`);
  }
}
