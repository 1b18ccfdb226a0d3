/**
 * The apiserver's write semantics for one object, independent of HTTP: system metadata,
 * generation, the status subresource split, finalizers and deletionTimestamp, preconditions.
 */
import { randomUUID } from 'node:crypto';
import { admitCustomResource, type FieldValidation } from './crd-schema.js';
import { apiVersionOf, type ResourceType } from './resources.js';
import { errors, type StatusCause } from './status.js';
import type { KubeObject } from './store.js';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** Fields the server owns: a client cannot set or change them through the main resource. */
const SYSTEM_METADATA = ['uid', 'creationTimestamp', 'generation', 'resourceVersion', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'selfLink'];

export const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

/** metav1.Time of now (second precision, as the apiserver stores it). */
export function kubeNow(now = Date.now()): string {
  return new Date(Math.floor(now / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function generateName(prefix: string): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += GENERATE_ALPHABET[Math.floor(Math.random() * GENERATE_ALPHABET.length)];
  return prefix + suffix;
}

/** What counts as the "spec" for generation: everything but metadata (and status when it is a subresource). */
function specPart(t: ResourceType, obj: KubeObject): Record<string, unknown> {
  const { metadata: _m, status, apiVersion: _a, kind: _k, ...rest } = obj;
  return t.statusSubresource ? rest : { ...rest, status };
}

/** Whether the change from `before` to `after` bumps metadata.generation. */
export function specChanged(t: ResourceType, before: KubeObject, after: KubeObject): boolean {
  return !deepEqual(specPart(t, before), specPart(t, after));
}

export function nameProblems(t: ResourceType, name: unknown): StatusCause[] {
  if (typeof name !== 'string' || name === '') return [{ reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' }];
  const [re, max, what] = t.resource === 'namespaces' ? [DNS_LABEL, 63, 'RFC 1123 label'] : [DNS_SUBDOMAIN, 253, 'RFC 1123 subdomain'];
  if (name.length > max || !re.test(name)) {
    return [{
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${JSON.stringify(name)}: a lowercase ${what} must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
      field: 'metadata.name',
    }];
  }
  return [];
}

function checkBody(t: ResourceType, body: unknown): KubeObject {
  if (!isObj(body)) throw errors.badRequest('the body of the request must be a JSON object');
  const obj = structuredClone(body) as KubeObject;
  const expected = apiVersionOf(t);
  if (obj['kind'] !== undefined && obj['kind'] !== t.kind) throw errors.badRequest(`the kind of the object (${String(obj['kind'])}) does not match the kind on the URL (${t.kind})`);
  if (obj['apiVersion'] !== undefined && obj['apiVersion'] !== expected) throw errors.badRequest(`the API version of the object (${String(obj['apiVersion'])}) does not match the API version on the URL (${expected})`);
  obj['apiVersion'] = expected;
  obj['kind'] = t.kind;
  if (!isObj(obj.metadata)) obj.metadata = {} as KubeObject['metadata'];
  return obj;
}

function checkNamespace(t: ResourceType, obj: KubeObject, namespace: string | undefined): void {
  if (!t.namespaced) {
    delete obj.metadata.namespace;
    return;
  }
  const given = obj.metadata.namespace;
  if (given !== undefined && given !== '' && given !== namespace) {
    throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  if (namespace !== undefined) obj.metadata.namespace = namespace;
}

/** How a write treats fields its schema does not declare, and where it reports warnings. */
export interface WriteOptions {
  fieldValidation?: FieldValidation;
  /** receives the apiserver's warnings (sent as Warning headers) */
  warnings?: string[];
}

function admit(t: ResourceType, obj: KubeObject, options: WriteOptions): void {
  const causes = nameProblems(t, obj.metadata.name);
  if (causes.length > 0) throw errors.invalid(t, String(obj.metadata.name ?? ''), causes);
  options.warnings?.push(...admitCustomResource(t, obj, options.fieldValidation));
}

/** A new object from a POST body. `nameTaken` lets generateName avoid existing names. */
export function prepareCreate(
  t: ResourceType,
  body: unknown,
  namespace: string | undefined,
  nameTaken: (name: string) => boolean,
  now: number,
  options: WriteOptions = {},
): KubeObject {
  const obj = checkBody(t, body);
  checkNamespace(t, obj, namespace);
  const meta = obj.metadata;
  if ((meta.name === undefined || meta.name === '') && typeof meta['generateName'] === 'string' && meta['generateName'] !== '') {
    let name = generateName(meta['generateName']);
    while (nameTaken(name)) name = generateName(meta['generateName']);
    meta.name = name;
  }
  for (const field of SYSTEM_METADATA) delete meta[field];
  meta['uid'] = randomUUID();
  meta['creationTimestamp'] = kubeNow(now);
  if (t.generation) meta['generation'] = 1;
  // The status of a resource with a status subresource is the controller's: a create resets it
  // (to what the registry's strategy and the type's zero value give).
  if (t.statusSubresource) {
    const status = initialStatus(t, obj);
    if (status === undefined) delete obj['status'];
    else obj['status'] = status;
  }
  admit(t, obj, options);
  return obj;
}

/** Requests (defaulting to limits) of a container, per resource. */
function requestsOf(c: unknown): { requests: Record<string, unknown>; limits: Record<string, unknown> } {
  const resources = isObj(c) && isObj(c['resources']) ? c['resources'] : {};
  const limits = isObj(resources['limits']) ? resources['limits'] : {};
  return { requests: { ...limits, ...(isObj(resources['requests']) ? resources['requests'] : {}) }, limits };
}

/** The Pod's QoS class, as the registry computes it at create (cpu and memory only). */
function qosClass(pod: KubeObject): string {
  const spec = isObj(pod['spec']) ? pod['spec'] : {};
  const containers = [...(Array.isArray(spec['containers']) ? spec['containers'] : []), ...(Array.isArray(spec['initContainers']) ? spec['initContainers'] : [])];
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const { requests, limits } = requestsOf(c);
    for (const r of ['cpu', 'memory']) {
      if (requests[r] !== undefined || limits[r] !== undefined) any = true;
      if (limits[r] === undefined || String(requests[r]) !== String(limits[r])) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/**
 * The status a created object has: the registry's (a Pod is Pending with its QoS class) and the
 * fields of the type's status that have no omitempty (counters that read 0); a built-in's status
 * is a struct, so it is at least `{}`; a custom resource's is gone.
 */
function initialStatus(t: ResourceType, obj: KubeObject): Record<string, unknown> | undefined {
  if (t.crd !== undefined) return undefined;
  switch (`${t.group}/${t.resource}`) {
    case '/pods':
      return { phase: 'Pending', qosClass: qosClass(obj) };
    case 'apps/replicasets':
    case '/replicationcontrollers':
      return { replicas: 0 };
    case 'apps/statefulsets':
      return { replicas: 0, availableReplicas: 0 };
    case 'apps/daemonsets':
      return { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 };
    case '/services':
      return { loadBalancer: {} };
    case '/persistentvolumeclaims':
    case '/persistentvolumes':
      return { phase: 'Pending' };
    default:
      return {};
  }
}

function checkPreconditions(t: ResourceType, existing: KubeObject, obj: KubeObject, name: string): void {
  if (obj.metadata.name !== undefined && obj.metadata.name !== name) {
    throw errors.badRequest(`the name of the object (${String(obj.metadata.name)}) does not match the name on the URL (${name})`);
  }
  const rv = obj.metadata.resourceVersion;
  if (rv !== undefined && rv !== '' && rv !== existing.metadata.resourceVersion) throw errors.conflict(t, name);
  if (obj.metadata['uid'] !== undefined && obj.metadata['uid'] !== existing.metadata['uid']) {
    throw errors.conflict(t, name, `Precondition failed: UID in precondition: ${String(obj.metadata['uid'])}, UID in object meta: ${String(existing.metadata['uid'])}`);
  }
}

/**
 * The object a PUT (or the result of a PATCH) makes of `existing`. For /status only the status
 * is taken from the body; for the main resource everything but status (when it is a subresource)
 * and the system metadata.
 */
export function prepareUpdate(t: ResourceType, existing: KubeObject, body: unknown, subresource: string | undefined, options: WriteOptions = {}): KubeObject {
  const incoming = checkBody(t, body);
  const name = existing.metadata.name;
  checkPreconditions(t, existing, incoming, name);
  let next: KubeObject;
  if (subresource === 'status') {
    next = structuredClone(existing);
    if (incoming['status'] === undefined) delete next['status'];
    else next['status'] = incoming['status'];
  } else {
    next = incoming;
    next.metadata.name = name;
    if (existing.metadata.namespace !== undefined) next.metadata.namespace = existing.metadata.namespace;
    else delete next.metadata.namespace;
    for (const field of SYSTEM_METADATA) {
      if (existing.metadata[field] === undefined) delete next.metadata[field];
      else next.metadata[field] = existing.metadata[field];
    }
    if (t.statusSubresource) {
      if (existing['status'] === undefined) delete next['status'];
      else next['status'] = existing['status'];
    }
    const added = ((next.metadata['finalizers'] as string[] | undefined) ?? []).filter(
      (f) => !((existing.metadata['finalizers'] as string[] | undefined) ?? []).includes(f),
    );
    if (existing.metadata['deletionTimestamp'] !== undefined && added.length > 0) {
      throw errors.invalid(t, name, [{ reason: 'FieldValueForbidden', message: 'Forbidden: no new finalizers can be added if the object is being deleted', field: 'metadata.finalizers' }]);
    }
  }
  next.metadata.resourceVersion = existing.metadata.resourceVersion ?? '';
  admit(t, next, options);
  if (t.generation && specChanged(t, existing, next)) {
    next.metadata['generation'] = (Number(existing.metadata['generation']) || 0) + 1;
  }
  return next;
}

/** True when the write would change nothing (the apiserver then skips it: no new resourceVersion, no event). */
export function isNoop(existing: KubeObject, next: KubeObject): boolean {
  return deepEqual({ ...next, metadata: { ...next.metadata, resourceVersion: undefined } }, { ...existing, metadata: { ...existing.metadata, resourceVersion: undefined } });
}

export function hasFinalizers(obj: KubeObject): boolean {
  const f = obj.metadata['finalizers'];
  return Array.isArray(f) && f.length > 0;
}

/** Checks DeleteOptions.preconditions against the stored object (409 when they fail). */
export function checkDeletePreconditions(t: ResourceType, existing: KubeObject, options: unknown): void {
  if (!isObj(options) || !isObj(options['preconditions'])) return;
  const { resourceVersion, uid } = options['preconditions'];
  const name = existing.metadata.name;
  if (typeof resourceVersion === 'string' && resourceVersion !== existing.metadata.resourceVersion) {
    throw errors.conflict(t, name, `Precondition failed: ResourceVersion in precondition: ${resourceVersion}, ResourceVersion in object meta: ${String(existing.metadata.resourceVersion)}`);
  }
  if (typeof uid === 'string' && uid !== existing.metadata['uid']) {
    throw errors.conflict(t, name, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${String(existing.metadata['uid'])}`);
  }
}
