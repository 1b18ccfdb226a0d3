/** The field manager between the verb handlers and managed-fields.ts: which type, which base, where the entries go. */
import { customResourceType, builtinType, zeroObject, type FieldType } from './field-types.js';
import { ApplyConflict, baseEntries, conflictCauses, decodeEntries, encodeEntries, recordApply, recordUpdate, type ManagedEntry } from './managed-fields.js';
import { apiVersionOf, type ResourceType } from './resources.js';
import { ApiError, errors, status } from './status.js';
import type { KubeObject } from './store.js';
import { deepEqual } from './objects.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Who writes and when (whole seconds). */
export interface Writer {
  manager: string;
  now: string;
}

const structures = new WeakMap<ResourceType, FieldType>();

export function structureOf(t: ResourceType): FieldType {
  let s = structures.get(t);
  if (s === undefined) {
    s = t.schema !== undefined ? customResourceType(t.schema.openAPIV3Schema) : builtinType(t.group, t.kind);
    structures.set(t, s);
  }
  return s;
}

export function setEntries(obj: KubeObject, entries: readonly ManagedEntry[]): void {
  const encoded = encodeEntries(entries);
  if (encoded.length === 0) delete obj.metadata['managedFields'];
  else obj.metadata['managedFields'] = encoded;
}

export function entriesOf(obj: KubeObject): ManagedEntry[] {
  return decodeEntries(obj.metadata['managedFields']);
}

/** A create is an update from the type's empty object: the creator owns everything it set ("Update", as the real server records it). */
export function manageCreate(t: ResourceType, body: unknown, created: KubeObject, writer: Writer, subresource?: string): void {
  const base = baseEntries(undefined, isObj(body) ? body : {}, undefined);
  // The status a create starts with is the registry's, not the creator's (a reset field).
  const zero = zeroObject(t.group, t.kind, t.crd !== undefined);
  const view = t.statusSubresource ? { ...created, status: undefined } : created;
  if (t.statusSubresource) delete zero['status'];
  const entries = recordUpdate(base, zero, view, {
    manager: writer.manager,
    apiVersion: apiVersionOf(t),
    ...(subresource === undefined ? {} : { subresource }),
    now: writer.now,
    type: structureOf(t),
  });
  setEntries(created, entries);
}

const withoutManaged = (o: KubeObject) => ({ ...o, metadata: { ...o.metadata, managedFields: undefined, resourceVersion: undefined } });

/** The entries of `next`, written from `existing` by a PUT or a non-apply patch whose request object was `incoming`. */
export function manageUpdate(t: ResourceType, existing: KubeObject, incoming: Obj, next: KubeObject, subresource: string | undefined, writer: Writer): void {
  const sent = isObj(incoming['metadata']) ? incoming['metadata']['managedFields'] : undefined;
  const rewritten = subresource === undefined && Array.isArray(sent) && !deepEqual(sent, existing.metadata['managedFields']);
  if (!rewritten && deepEqual(withoutManaged(existing), withoutManaged(next))) {
    // Nothing changed: the stored entries stay as they are (and the write stays a no-op).
    if (existing.metadata['managedFields'] === undefined) delete next.metadata['managedFields'];
    else next.metadata['managedFields'] = existing.metadata['managedFields'];
    return;
  }
  const entries = recordUpdate(baseEntries(existing, incoming, subresource), existing, next, {
    manager: writer.manager,
    apiVersion: apiVersionOf(t),
    ...(subresource === undefined ? {} : { subresource }),
    now: writer.now,
    type: structureOf(t),
  });
  setEntries(next, entries);
}

/** Checks an apply configuration the way the apply patcher does before merging it. */
export function checkApplyConfig(t: ResourceType, config: unknown, name: string | undefined): Obj {
  if (!isObj(config)) throw errors.badRequest('error decoding YAML: the apply configuration must be an object');
  const expected = apiVersionOf(t);
  if (config['apiVersion'] !== expected) {
    throw errors.badRequest(`Incorrect version specified in apply patch. Specified patch version: ${String(config['apiVersion'] ?? '')}, expected: ${expected}`);
  }
  if (config['kind'] !== t.kind) throw errors.badRequest(`Incorrect kind specified in apply patch. Specified patch kind: ${String(config['kind'] ?? '')}, expected: ${t.kind}`);
  const meta = isObj(config['metadata']) ? config['metadata'] : {};
  if (meta['managedFields'] !== undefined) throw errors.badRequest('metadata.managedFields must be nil');
  if (name !== undefined && meta['name'] !== undefined && meta['name'] !== name) {
    throw errors.badRequest(`the name of the object (${String(meta['name'])}) does not match the name on the URL (${name})`);
  }
  return config;
}

/**
 * Server-side apply: `finish` makes the stored object of the merged one (prepareCreate or
 * prepareUpdate); a conflict is the real server's 409 with one cause per field.
 */
export function manageApply(
  t: ResourceType,
  existing: KubeObject | undefined,
  config: Obj,
  subresource: string | undefined,
  writer: Writer & { force: boolean },
  finish: (merged: Obj) => KubeObject,
): KubeObject {
  // An apply that creates merges onto nothing (there are no other owners to conflict with).
  const live = existing ?? ({ metadata: {} } as KubeObject);
  try {
    const { object, entries } = recordApply(existing === undefined ? [] : entriesOf(existing), live, config, {
      manager: writer.manager,
      apiVersion: apiVersionOf(t),
      ...(subresource === undefined ? {} : { subresource }),
      now: writer.now,
      type: structureOf(t),
      force: writer.force,
      statusSubresource: t.statusSubresource,
    }, (merged) => finish(merged));
    const stored = object as KubeObject;
    setEntries(stored, entries);
    return stored;
  } catch (err) {
    throw asApiError(err);
  }
}

/** An apply conflict as the real server answers it: 409 Conflict with one cause per field. */
export function asApiError(err: unknown): unknown {
  if (!(err instanceof ApplyConflict)) return err;
  return new ApiError(status(409, 'Conflict', err.message, { causes: conflictCauses(err) }));
}
