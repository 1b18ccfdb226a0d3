/**
 * The registry behind the verbs: create, update, patch (merge, JSON, strategic, apply), the
 * scale and binding subresources, delete with propagation, namespace termination; each write
 * with its managedFields, each deletion with the garbage collector's part.
 */
import { establishedStatus, resourceTypesOfCrd } from './crds.js';
import { asApiError, checkApplyConfig, entriesOf, manageApply, manageCreate, manageUpdate, setEntries, structureOf } from './field-manager.js';
import { builtinType } from './field-types.js';
import { FOREGROUND_FINALIZER, GarbageCollector, ORPHAN_FINALIZER, propagationOf, type Propagation } from './gc.js';
import { checkDeletePreconditions, hasFinalizers, isNoop, isObj, kubeNow, prepareCreate, prepareUpdate, specChanged, type WriteOptions } from './objects.js';
import { applyPatch, PATCH_TYPES, PatchError, patchTypeOf } from './patch.js';
import { storageKey, type ResourceRegistry, type ResourceType } from './resources.js';
import type { Route } from './routes.js';
import { scaleOf, scaleParent, type ScaleWrite } from './scale.js';
import { errors, type StatusBody } from './status.js';
import type { KubeObject, Store } from './store.js';

export type ObjectRoute = Extract<Route, { type: 'object' }>;

/** A write's options: admission's, plus who writes (managedFields) and whether an apply forces. */
export interface WriteRequest extends WriteOptions {
  manager: string;
  force?: boolean;
}

const CRD_KEY = 'apiextensions.k8s.io/customresourcedefinitions';
const NAMESPACE_KEY = '/namespaces';
/** The garbage collector's writes are kube-controller-manager's, as its User-Agent says. */
const GC_MANAGER = 'kube-controller-manager';

function patchError(err: unknown): never {
  if (!(err instanceof PatchError)) throw err;
  if (err.status === 415) throw errors.unsupportedMediaType(err.message);
  if (err.status === 400) throw errors.badRequest(err.message);
  throw errors.unprocessable(err.message);
}

export class ObjectRegistry {
  readonly gc: GarbageCollector;

  constructor(
    private readonly store: Store,
    private readonly resources: ResourceRegistry,
    private readonly clock: () => number,
  ) {
    this.gc = new GarbageCollector({
      typeOf: (apiVersion, kind) => resources.byApiVersionKind(apiVersion, kind),
      peek: (t, namespace, name) => store.peek(storageKey(t), t.namespaced ? namespace : undefined, name),
      objects: (namespace) => this.objects(namespace),
      update: (t, existing, next) => {
        manageUpdate(t, existing, next, next, undefined, { manager: GC_MANAGER, now: this.now() });
        this.commit(t, existing, next);
      },
      delete: (t, obj, policy) => void this.deleteWith(t, obj, policy),
    });
  }

  private now(): string {
    return kubeNow(this.clock());
  }

  private *objects(namespace: string | undefined): Generator<{ t: ResourceType; obj: Readonly<KubeObject> }> {
    for (const key of this.store.keys()) {
      const t = this.resources.all().find((r) => storageKey(r) === key);
      if (t === undefined || (namespace !== undefined && !t.namespaced)) continue;
      for (const obj of this.store.peekAll(key, namespace)) yield { t, obj };
    }
  }

  private mustGet(route: ObjectRoute): KubeObject {
    const obj = this.store.get(storageKey(route.t), route.namespace, route.name ?? '');
    if (obj === undefined) throw errors.notFound(route.t, route.name ?? '');
    return obj;
  }

  /** Stores an object and keeps the CRD registry in step. */
  write(t: ResourceType, obj: KubeObject, copyOut = true): KubeObject {
    const key = storageKey(t);
    if (key === CRD_KEY) {
      const types = resourceTypesOfCrd(obj); // validates; throws 422 before anything changes
      obj['status'] = establishedStatus(obj, this.now());
      for (const old of this.resources.ofCrd(obj.metadata.name)) this.resources.remove(old);
      for (const nt of types) this.resources.add(nt);
    }
    return this.store.write(key, obj, copyOut);
  }

  /** A new object from a create body (or a merged apply), checked against its namespace and name. */
  private prepareNew(route: ObjectRoute, body: unknown, req: WriteRequest): KubeObject {
    const { t } = route;
    const key = storageKey(t);
    const obj = prepareCreate(t, body, route.namespace, (n) => this.store.peek(key, route.namespace, n) !== undefined, this.clock(), req);
    if (t.namespaced) {
      const ns = this.store.peek(NAMESPACE_KEY, undefined, route.namespace ?? '');
      if (ns === undefined) throw errors.notFound({ group: '', resource: 'namespaces' }, route.namespace ?? '');
      if (ns.metadata['deletionTimestamp'] !== undefined) {
        throw errors.forbidden(`${t.resource} "${obj.metadata.name}" is forbidden: unable to create new content in namespace ${ns.metadata.name} because it is being terminated`, t, obj.metadata.name);
      }
    }
    if (key === NAMESPACE_KEY) obj['status'] = { phase: 'Active' };
    if (this.store.peek(key, obj.metadata.namespace, obj.metadata.name) !== undefined) throw errors.alreadyExists(t, obj.metadata.name);
    return obj;
  }

  create(route: ObjectRoute, body: unknown, req: WriteRequest): KubeObject {
    const obj = this.prepareNew(route, body, req);
    manageCreate(route.t, body, obj, { manager: req.manager, now: this.now() });
    return this.write(route.t, obj);
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

  update(route: ObjectRoute, body: unknown, req: WriteRequest): KubeObject {
    const existing = this.mustGet(route);
    const next = prepareUpdate(route.t, existing, body, route.subresource, req);
    manageUpdate(route.t, existing, isObj(body) ? body : {}, next, route.subresource, { manager: req.manager, now: this.now() });
    return this.commit(route.t, existing, next);
  }

  patch(route: ObjectRoute, contentType: string, body: unknown, req: WriteRequest): { code: number; obj: KubeObject } {
    const { t } = route;
    const writer = { manager: req.manager, now: this.now(), force: req.force === true };
    if (patchTypeOf(contentType) === PATCH_TYPES.apply) {
      const config = checkApplyConfig(t, body, route.name);
      const existing = this.store.get(storageKey(t), route.namespace, route.name ?? '');
      if (existing === undefined) {
        // server-side apply creates what does not exist yet
        if (route.subresource !== undefined) throw errors.notFound(t, route.name ?? '');
        const created = manageApply(t, undefined, config, undefined, writer, (merged) => this.prepareNew(route, merged, req));
        return { code: 201, obj: this.write(t, created) };
      }
      const next = manageApply(t, existing, config, route.subresource, writer, (merged) => prepareUpdate(t, existing, merged, route.subresource, req));
      return { code: 200, obj: this.commit(t, existing, next) };
    }
    const existing = this.mustGet(route);
    let patched: unknown;
    try {
      patched = applyPatch(existing, contentType, body, t.crd !== undefined, structureOf(t));
    } catch (err) {
      patchError(err);
    }
    const next = prepareUpdate(t, existing, patched, route.subresource, req);
    manageUpdate(t, existing, isObj(patched) ? patched : {}, next, route.subresource, writer);
    return { code: 200, obj: this.commit(t, existing, next) };
  }

  // -------------------------------------------------------------------------------------------
  // subresources

  getScale(route: ObjectRoute): KubeObject {
    return scaleOf(route.t, this.mustGet(route));
  }

  writeScale(route: ObjectRoute, write: ScaleWrite, req: WriteRequest): KubeObject {
    const { t } = route;
    const existing = this.mustGet(route);
    let scaled: ReturnType<typeof scaleParent>;
    try {
      scaled = scaleParent(t, existing, write, req.manager, this.now(), entriesOf(existing));
    } catch (err) {
      throw asApiError(err);
    }
    const { next, entries } = scaled;
    setEntries(next, entries);
    if (t.generation && specChanged(t, existing, next)) next.metadata['generation'] = (Number(existing.metadata['generation']) || 0) + 1;
    return scaleOf(t, this.commit(t, existing, next));
  }

  patchScale(route: ObjectRoute, contentType: string, body: unknown, req: WriteRequest): KubeObject {
    if (patchTypeOf(contentType) === PATCH_TYPES.apply) {
      if (!isObj(body)) throw errors.badRequest('error decoding YAML: the apply configuration must be an object');
      return this.writeScale(route, { kind: 'apply', config: body, force: req.force === true }, req);
    }
    let patched: unknown;
    try {
      patched = applyPatch(this.getScale(route), contentType, body, false, builtinType('autoscaling', 'Scale'));
    } catch (err) {
      patchError(err);
    }
    return this.writeScale(route, { kind: 'update', scale: patched }, req);
  }

  /**
   * pods/binding, the scheduler's write: spec.nodeName and the PodScheduled condition, set by the
   * registry without the field manager (so nobody owns them in managedFields, as on a real cluster).
   */
  bind(route: ObjectRoute, body: unknown): StatusBody {
    const existing = this.mustGet(route);
    const name = existing.metadata.name;
    const target = isObj(body) && isObj(body['target']) ? body['target'] : {};
    const node = target['name'];
    if (typeof node !== 'string' || node === '') {
      throw errors.invalid({ group: '', kind: 'Binding' }, name, [{ reason: 'FieldValueRequired', message: 'Required value', field: 'target.name' }]);
    }
    const bindingResource = { group: '', resource: 'pods/binding' };
    if (existing.metadata['deletionTimestamp'] !== undefined) throw errors.conflict(bindingResource, name, `pod ${name} is being deleted, cannot be assigned to a host`);
    const spec = isObj(existing['spec']) ? existing['spec'] : {};
    if (typeof spec['nodeName'] === 'string' && spec['nodeName'] !== '') throw errors.conflict(bindingResource, name, `pod ${name} is already assigned to node ${JSON.stringify(spec['nodeName'])}`);
    const next = structuredClone(existing);
    next['spec'] = { ...spec, nodeName: node };
    const annotations = isObj(body) && isObj(body['metadata']) && isObj(body['metadata']['annotations']) ? body['metadata']['annotations'] : undefined;
    if (annotations !== undefined) next.metadata['annotations'] = { ...(isObj(next.metadata['annotations']) ? next.metadata['annotations'] : {}), ...annotations };
    const status = isObj(next['status']) ? next['status'] : {};
    const conditions = (Array.isArray(status['conditions']) ? status['conditions'] : []).filter((c) => !(isObj(c) && c['type'] === 'PodScheduled'));
    const old = (Array.isArray(status['conditions']) ? status['conditions'] : []).find((c) => isObj(c) && c['type'] === 'PodScheduled') as Record<string, unknown> | undefined;
    const since = old !== undefined && old['status'] === 'True' ? old['lastTransitionTime'] : this.now();
    next['status'] = { ...status, conditions: [...conditions, { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: since }] };
    this.commit(route.t, existing, next);
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', message: '', reason: '', code: 201 };
  }

  // -------------------------------------------------------------------------------------------
  // deletion

  delete(route: ObjectRoute, options: unknown, q: URLSearchParams): KubeObject {
    const existing = this.mustGet(route);
    checkDeletePreconditions(route.t, existing, options);
    return this.deleteWith(route.t, existing, propagationOf(route.t, q, options));
  }

  /**
   * Deletes an object, or, while it has finalizers (or, for a namespace, content), marks it with
   * deletionTimestamp and leaves the rest to whoever owns the finalizers. Foreground and Orphan
   * add their finalizer (the garbage collector's) and run it.
   */
  deleteWith(t: ResourceType, existing: KubeObject, policy: Propagation): KubeObject {
    const key = storageKey(t);
    if (key === NAMESPACE_KEY) return this.deleteNamespace(existing);
    if (policy === 'Background' && !hasFinalizers(existing)) return this.completeDeletion(t, existing);
    if (existing.metadata['deletionTimestamp'] !== undefined) return existing;
    const marked = structuredClone(existing);
    const finalizer = policy === 'Foreground' ? FOREGROUND_FINALIZER : policy === 'Orphan' ? ORPHAN_FINALIZER : undefined;
    const finalizers = Array.isArray(marked.metadata['finalizers']) ? (marked.metadata['finalizers'] as string[]) : [];
    if (finalizer !== undefined && !finalizers.includes(finalizer)) marked.metadata['finalizers'] = [...finalizers, finalizer];
    marked.metadata['deletionTimestamp'] = this.now();
    marked.metadata['deletionGracePeriodSeconds'] = 0;
    // As the real registry does: being deleted changes what controllers should do, so a
    // generational object gets a new generation.
    const generation = Number(marked.metadata['generation'] ?? 0);
    if (generation > 0) marked.metadata['generation'] = generation + 1;
    const stored = this.store.write(key, marked);
    if (policy === 'Foreground') this.gc.deletingDependents(t, stored);
    else if (policy === 'Orphan') this.gc.orphanDependents(t, stored);
    return stored;
  }

  private completeDeletion(t: ResourceType, last: KubeObject): KubeObject {
    const key = storageKey(t);
    const gone = this.store.delete(key, last.metadata.namespace, last.metadata.name) ?? last;
    if (key === CRD_KEY) this.unregisterCrd(gone);
    this.gc.removed(t, gone);
    if (t.namespaced && last.metadata.namespace !== undefined) this.finishNamespaceIfEmpty(last.metadata.namespace);
    return gone;
  }

  /** Like the namespace controller: Terminating, delete the content (Background), then the namespace once empty. */
  private deleteNamespace(ns: KubeObject): KubeObject {
    const name = ns.metadata.name;
    let current = ns;
    if (ns.metadata['deletionTimestamp'] === undefined) {
      const marked = structuredClone(ns);
      marked.metadata['deletionTimestamp'] = this.now();
      marked['status'] = { ...(isObj(marked['status']) ? marked['status'] : {}), phase: 'Terminating' };
      current = this.store.write(NAMESPACE_KEY, marked);
    }
    for (const key of this.store.keys()) {
      const type = this.resources.all().find((r) => storageKey(r) === key);
      if (type === undefined || !type.namespaced) continue;
      for (const obj of this.store.list(key, name)) this.deleteIfStill(type, obj, 'Background');
    }
    return this.finishNamespaceIfEmpty(name) ?? current;
  }

  /** Deletes `obj` unless the collector already did (or it was replaced) meanwhile. */
  private deleteIfStill(t: ResourceType, obj: KubeObject, policy: Propagation): KubeObject | undefined {
    const current = this.store.get(storageKey(t), obj.metadata.namespace, obj.metadata.name);
    if (current === undefined || current.metadata['uid'] !== obj.metadata['uid']) return undefined;
    return this.deleteWith(t, current, policy);
  }

  private finishNamespaceIfEmpty(name: string): KubeObject | undefined {
    const ns = this.store.peek(NAMESPACE_KEY, undefined, name);
    if (ns === undefined || ns.metadata['deletionTimestamp'] === undefined) return undefined;
    const namespacedKeys = new Set(this.resources.all().filter((r) => r.namespaced).map(storageKey));
    if (this.store.keys().some((key) => namespacedKeys.has(key) && this.store.list(key, name).length > 0)) return undefined;
    return this.store.delete(NAMESPACE_KEY, undefined, name);
  }

  deleteCollection(route: ObjectRoute, matches: (obj: KubeObject) => boolean, q: URLSearchParams, options: unknown): KubeObject[] {
    const policy = propagationOf(route.t, q, options);
    const items = this.store.list(storageKey(route.t), route.namespace).filter(matches);
    const deleted: KubeObject[] = [];
    for (const o of items) {
      const d = this.deleteIfStill(route.t, o, policy);
      if (d !== undefined) deleted.push(d);
    }
    return deleted;
  }

  unregisterCrd(crd: KubeObject): void {
    const types = this.resources.ofCrd(crd.metadata.name);
    for (const t of types) this.resources.remove(t);
    const first = types[0];
    if (first !== undefined) this.store.dropType(storageKey(first));
  }
}
