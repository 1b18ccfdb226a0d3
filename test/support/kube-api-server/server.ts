/**
 * The HTTP front of the test apiserver: authentication, authorization, injected failures,
 * request counting, then the verb handlers over the store.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Authorizer } from './auth.js';
import { establishedStatus, resourceTypesOfCrd } from './crds.js';
import { apiGroup, apiGroupList, apiResourceList, coreVersions, SERVER_VERSION } from './discovery.js';
import type { FieldValidation } from './crd-schema.js';
import { checkDeletePreconditions, hasFinalizers, isNoop, isObj, kubeNow, prepareCreate, prepareUpdate, specChanged, type WriteOptions } from './objects.js';
import { parse as parseYaml } from 'yaml';
import { applyPatch, PATCH_TYPES, PatchError, patchTypeOf } from './patch.js';
import { apiVersionOf, ResourceRegistry, storageKey, type ResourceType } from './resources.js';
import { parseRoute, type Route } from './routes.js';
import { parseFieldSelector, parseLabelSelector, SelectorError } from './selectors.js';
import { ApiError, errors, injectedFailure } from './status.js';
import { Expired, Store, indexAfter, keyOfObject, type KubeObject } from './store.js';
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
}

type ObjectRoute = Extract<Route, { type: 'object' }>;

const CRD_KEY = 'apiextensions.k8s.io/customresourcedefinitions';
const NAMESPACE_KEY = '/namespaces';
const MAX_BODY = 8 * 1024 * 1024;

function wantsPartialMetadata(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((part) => /;\s*as=PartialObjectMetadata(List)?\b/.test(part) && /;\s*g=meta\.k8s\.io\b/.test(part));
}

function continueToken(rv: number, after: string): string {
  return Buffer.from(JSON.stringify({ rv, start: after })).toString('base64url');
}

function parseContinue(token: string): { rv: number; start: string } {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { rv?: unknown; start?: unknown };
    if (typeof parsed.rv === 'number' && typeof parsed.start === 'string') return { rv: parsed.rv, start: parsed.start };
  } catch {
    // fall through
  }
  throw errors.badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
}

export class KubeApi {
  readonly registry = new ResourceRegistry();
  readonly store: Store;
  readonly auth: Authorizer;
  private readonly watches = new Set<WatchStream>();
  private readonly failRules: FailRule[] = [];
  private counts: Record<string, number> = {};
  serverAddress = '127.0.0.1';

  constructor(private readonly options: ApiServerOptions) {
    this.store = new Store(options.maxHistory);
    this.auth = new Authorizer(options.adminToken);
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
    return this.write(t, obj, !handOver);
  }

  remove(apiVersion: string, kind: string, namespace: string | undefined, name: string): void {
    const t = this.typeOf(apiVersion, kind);
    const gone = this.store.delete(storageKey(t), t.namespaced ? namespace : undefined, name, false);
    if (gone !== undefined && storageKey(t) === CRD_KEY) this.unregisterCrd(gone);
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
    this.maybeFail(verb, resource);

    const partial = wantsPartialMetadata(req.headers.accept);
    const warnings: string[] = [];
    const write: WriteOptions = { fieldValidation: fieldValidationOf(q), warnings };
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
        this.json(res, 201, this.shape(route.t, this.create(route, await readBody(req), write), partial), warnings);
        return;
      case 'update':
        this.json(res, 200, this.shape(route.t, this.update(route, await readBody(req), write), partial), warnings);
        return;
      case 'patch': {
        const contentType = req.headers['content-type'] ?? '';
        const body = await readBody(req, { yaml: patchTypeOf(contentType) === PATCH_TYPES.apply });
        const { code, obj } = this.patch(route, contentType, body, q, write);
        this.json(res, code, this.shape(route.t, obj, partial), warnings);
        return;
      }
      case 'delete': {
        const body = await readBody(req, { optional: true });
        this.json(res, 200, this.shape(route.t, this.deleteObject(route, body), partial));
        return;
      }
      case 'deletecollection':
        this.json(res, 200, this.deleteCollection(route, q));
        return;
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
        if (named) throw errors.methodNotAllowed('POST is not allowed on a named resource');
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
    const rv = checkedResourceVersion(q);
    const limit = Number(q.get('limit') ?? 0);
    const paged = Number.isInteger(limit) && limit > 0;
    const token = q.get('continue');
    const match = q.get('resourceVersionMatch');
    if (match !== null && match !== '' && match !== 'Exact' && match !== 'NotOlderThan') throw errors.badRequest(`resourceVersionMatch: Unsupported value: "${match}"`);
    if (rv !== undefined && Number(rv) > this.store.currentRv) {
      throw new ApiError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `Too large resource version: ${rv}, current: ${this.store.currentRv}`, reason: 'Timeout', details: { retryAfterSeconds: 1 }, code: 504 });
    }

    // Which snapshot: a continue token pins the first page's; resourceVersionMatch=Exact (or, the
    // legacy rule, a non-zero resourceVersion with a limit) asks for exactly that one; otherwise
    // the newest state is served (NotOlderThan / Any).
    let snapshot = this.store.currentRv;
    let start = '';
    if (token !== null && token !== '') {
      const parsed = parseContinue(token);
      snapshot = parsed.rv;
      start = parsed.start;
    } else if (rv !== undefined && rv !== '0' && (match === 'Exact' || ((match === null || match === '') && paged))) {
      snapshot = Number(rv);
    }
    let all: readonly KubeObject[];
    try {
      all = this.store.snapshot(storageKey(route.t), snapshot, route.namespace);
    } catch (err) {
      if (!(err instanceof Expired)) throw err;
      if (token !== null && token !== '') {
        throw errors.expired('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.');
      }
      throw errors.expired(`The resourceVersion for the provided list is too old.`);
    }
    // A page starts after the token's key (found by bisection: a relist of a big type is hundreds
    // of pages) and takes up to `limit` matches. Like the real server, remainingItemCount is only
    // given for a list without selectors.
    const selective = Boolean(q.get('labelSelector')) || Boolean(q.get('fieldSelector'));
    const items: KubeObject[] = [];
    let next = start === '' ? 0 : indexAfter(all, start);
    for (; next < all.length && !(paged && items.length === limit); next++) if (matches(all[next]!)) items.push(all[next]!);
    while (next < all.length && !matches(all[next]!)) next++;
    const metadata: Record<string, unknown> = { resourceVersion: String(snapshot) };
    if (next < all.length) {
      metadata['continue'] = continueToken(snapshot, keyOfObject(items[items.length - 1]!));
      if (!selective) metadata['remainingItemCount'] = all.length - next;
    }
    if (partial) {
      return {
        kind: 'PartialObjectMetadataList',
        apiVersion: 'meta.k8s.io/v1',
        metadata,
        items: items.map((o) => ({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata })),
      };
    }
    // Like the real server: items of built-in lists carry no apiVersion/kind, custom resources do.
    const shaped = items.map((o) => {
      if (route.t.crd !== undefined) return this.render(route.t, o);
      const { apiVersion: _a, kind: _k, ...rest } = o;
      return rest;
    });
    return { kind: `${route.t.kind}List`, apiVersion: apiVersionOf(route.t), metadata, items: shaped };
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

  // -------------------------------------------------------------------------------------------
  // writes

  /** Stores an object and keeps the CRD registry in step. */
  private write(t: ResourceType, obj: KubeObject, copyOut = true): KubeObject {
    const key = storageKey(t);
    if (key === CRD_KEY) {
      const types = resourceTypesOfCrd(obj); // validates; throws 422 before anything changes
      obj['status'] = establishedStatus(obj, kubeNow(this.options.now()));
      for (const old of this.registry.ofCrd(obj.metadata.name)) this.registry.remove(old);
      for (const nt of types) this.registry.add(nt);
    }
    return this.store.write(key, obj, copyOut);
  }

  private create(route: ObjectRoute, body: unknown, write: WriteOptions): KubeObject {
    const { t } = route;
    const key = storageKey(t);
    const obj = prepareCreate(t, body, route.namespace, (n) => this.store.get(key, route.namespace, n) !== undefined, this.options.now(), write);
    if (t.namespaced) {
      const ns = this.store.get(NAMESPACE_KEY, undefined, route.namespace ?? '');
      if (ns === undefined) throw errors.notFound({ group: '', resource: 'namespaces' }, route.namespace ?? '');
      if (ns.metadata['deletionTimestamp'] !== undefined) {
        throw errors.forbidden(`${t.resource} "${obj.metadata.name}" is forbidden: unable to create new content in namespace ${ns.metadata.name} because it is being terminated`, t, obj.metadata.name);
      }
    }
    if (key === NAMESPACE_KEY) obj['status'] = { phase: 'Active' };
    if (this.store.get(key, obj.metadata.namespace, obj.metadata.name) !== undefined) throw errors.alreadyExists(t, obj.metadata.name);
    return this.write(t, obj);
  }

  /** Writes the result of an update or patch (or nothing when it changes nothing). */
  private commit(t: ResourceType, existing: KubeObject, next: KubeObject): KubeObject {
    if (next.metadata['deletionTimestamp'] !== undefined && !hasFinalizers(next)) {
      // The last finalizer is gone: the deletion that was waiting for it completes now. Like the
      // real registry, the update itself is not stored: DELETED carries the last stored state.
      return this.completeDeletion(t, existing);
    }
    if (isNoop(existing, next)) return existing;
    return this.write(t, next);
  }

  private update(route: ObjectRoute, body: unknown, write: WriteOptions): KubeObject {
    const existing = this.mustGet(route);
    return this.commit(route.t, existing, prepareUpdate(route.t, existing, body, route.subresource, write));
  }

  private patch(route: ObjectRoute, contentType: string, body: unknown, q: URLSearchParams, write: WriteOptions): { code: number; obj: KubeObject } {
    const apply = patchTypeOf(contentType) === PATCH_TYPES.apply;
    if (apply && !q.get('fieldManager')) throw errors.unprocessable('PATCH requests with apply-patch+yaml require a fieldManager: fieldManager: Required value: is required for apply patch');
    const existing = this.store.get(storageKey(route.t), route.namespace, route.name ?? '');
    if (existing === undefined) {
      // server-side apply creates what does not exist yet
      if (apply && route.subresource === undefined) return { code: 201, obj: this.create(route, body, write) };
      throw errors.notFound(route.t, route.name ?? '');
    }
    let patched: unknown;
    try {
      patched = applyPatch(existing, contentType, body, route.t.crd !== undefined);
    } catch (err) {
      if (!(err instanceof PatchError)) throw err;
      if (err.status === 415) throw errors.unsupportedMediaType(err.message);
      if (err.status === 400) throw errors.badRequest(err.message);
      throw errors.unprocessable(err.message);
    }
    return { code: 200, obj: this.commit(route.t, existing, prepareUpdate(route.t, existing, patched, route.subresource, write)) };
  }

  private deleteObject(route: ObjectRoute, options: unknown): KubeObject {
    const { t } = route;
    const existing = this.mustGet(route);
    checkDeletePreconditions(t, existing, options);
    return this.beginDeletion(t, existing);
  }

  /**
   * Deletes an object, or, while it has finalizers (or, for a namespace, content), marks it with
   * deletionTimestamp and leaves the rest to whoever owns the finalizers.
   */
  private beginDeletion(t: ResourceType, existing: KubeObject): KubeObject {
    const key = storageKey(t);
    if (key === NAMESPACE_KEY) return this.deleteNamespace(t, existing);
    if (!hasFinalizers(existing)) return this.completeDeletion(t, existing);
    if (existing.metadata['deletionTimestamp'] !== undefined) return existing;
    const marked = structuredClone(existing);
    marked.metadata['deletionTimestamp'] = kubeNow(this.options.now());
    marked.metadata['deletionGracePeriodSeconds'] = 0;
    // As the real registry does: being deleted changes what controllers should do, so a
    // generational object gets a new generation.
    const generation = Number(marked.metadata['generation'] ?? 0);
    if (generation > 0) marked.metadata['generation'] = generation + 1;
    return this.store.write(key, marked);
  }

  private completeDeletion(t: ResourceType, last: KubeObject): KubeObject {
    const key = storageKey(t);
    const gone = this.store.delete(key, last.metadata.namespace, last.metadata.name) ?? last;
    if (key === CRD_KEY) this.unregisterCrd(gone);
    if (t.namespaced && last.metadata.namespace !== undefined) this.finishNamespaceIfEmpty(last.metadata.namespace);
    return gone;
  }

  /** Like the namespace controller: Terminating, delete the content, then the namespace once empty. */
  private deleteNamespace(t: ResourceType, ns: KubeObject): KubeObject {
    const name = ns.metadata.name;
    let current = ns;
    if (ns.metadata['deletionTimestamp'] === undefined) {
      const marked = structuredClone(ns);
      marked.metadata['deletionTimestamp'] = kubeNow(this.options.now());
      marked['status'] = { ...(isObj(marked['status']) ? marked['status'] : {}), phase: 'Terminating' };
      current = this.store.write(NAMESPACE_KEY, marked);
    }
    for (const key of this.store.keys()) {
      const type = this.registry.all().find((r) => storageKey(r) === key);
      if (type === undefined || !type.namespaced) continue;
      for (const obj of this.store.list(key, name)) this.beginDeletion(type, obj);
    }
    return this.finishNamespaceIfEmpty(name) ?? current;
  }

  private finishNamespaceIfEmpty(name: string): KubeObject | undefined {
    const ns = this.store.get(NAMESPACE_KEY, undefined, name);
    if (ns === undefined || ns.metadata['deletionTimestamp'] === undefined) return undefined;
    const namespacedKeys = new Set(this.registry.all().filter((r) => r.namespaced).map(storageKey));
    if (this.store.keys().some((key) => namespacedKeys.has(key) && this.store.list(key, name).length > 0)) return undefined;
    return this.store.delete(NAMESPACE_KEY, undefined, name);
  }

  private deleteCollection(route: ObjectRoute, q: URLSearchParams): unknown {
    const matches = this.selection(route, q);
    const items = this.store.list(storageKey(route.t), route.namespace).filter(matches);
    const deleted = items.map((o) => this.beginDeletion(route.t, o));
    return { kind: `${route.t.kind}List`, apiVersion: apiVersionOf(route.t), metadata: { resourceVersion: String(this.store.currentRv) }, items: deleted };
  }

  private unregisterCrd(crd: KubeObject): void {
    const types = this.registry.ofCrd(crd.metadata.name);
    for (const t of types) this.registry.remove(t);
    const first = types[0];
    if (first !== undefined) this.store.dropType(storageKey(first));
  }
}

function fieldValidationOf(q: URLSearchParams): FieldValidation {
  const value = q.get('fieldValidation');
  if (value === null || value === '') return 'Warn';
  if (value === 'Strict' || value === 'Warn' || value === 'Ignore') return value;
  throw errors.badRequest(`fieldValidation: Unsupported value: ${JSON.stringify(value)}: supported values: "Ignore", "Warn", "Strict"`);
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
