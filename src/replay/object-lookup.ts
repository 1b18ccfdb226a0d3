/**
 * The replay's ObjectLookup: fed by the capture's object records, it keeps one version per
 * generation of each object so that `previousGeneration` can attribute a change (DESIGN.md 5.6).
 */

import { refKey, refOfObject } from '../engine/refs.js';
import type { KubeObject, ManagedFieldsEntry, ObjectLookup, ObjectRef, OwnerReference } from '../engine/types.js';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * What root attribution reads of a managedFields entry: who, how, when, and the `f:spec` part of
 * its fields (the `f:metadata` and `f:status` trees are most of an entry and never read).
 */
function attributionFields(entry: unknown): unknown {
  if (!isRecord(entry)) return entry;
  const e = entry as ManagedFieldsEntry;
  const kept: ManagedFieldsEntry = {};
  if (e.manager !== undefined) kept.manager = e.manager;
  if (e.operation !== undefined) kept.operation = e.operation;
  if (e.subresource !== undefined) kept.subresource = e.subresource;
  if (e.time !== undefined) kept.time = e.time;
  const spec = isRecord(e.fieldsV1) ? e.fieldsV1['f:spec'] : undefined;
  if (isRecord(spec)) kept.fieldsV1 = { 'f:spec': spec };
  return kept;
}

/** The previous version's kept entry when it is the same entry, not updated since (same manager, operation, subresource and time). */
function sameEntry(kept: unknown, previous: unknown): unknown {
  if (!isRecord(kept) || !isRecord(previous)) return kept;
  const a = kept as ManagedFieldsEntry;
  const b = previous as ManagedFieldsEntry;
  if (a.time === undefined || a.time !== b.time || a.manager !== b.manager || a.operation !== b.operation || a.subresource !== b.subresource) return kept;
  return previous;
}

/** What the engine reads of an owner reference (its uid and apiVersion are not: owners are found by name). */
function ownerFields(owner: OwnerReference): OwnerReference {
  if (!isRecord(owner)) return owner;
  const kept = { kind: owner.kind, name: owner.name } as OwnerReference;
  if (owner.controller !== undefined) kept.controller = owner.controller;
  return kept;
}

/** `value`, or the previous version's equal string (the freshly parsed copy then dies young instead of being promoted with the version). */
function same<T>(value: T, previous: unknown): T {
  return value === previous ? (previous as T) : value;
}

/** Whether two owner lists say the same of what the engine reads: kind, name, controller. */
function sameOwnerList(owners: readonly unknown[], previous: readonly OwnerReference[]): boolean {
  if (previous.length !== owners.length) return false;
  for (let i = 0; i < owners.length; i++) {
    const a = owners[i];
    const b = previous[i]!;
    if (a === b) continue;
    if (!isRecord(a) || !isRecord(b) || a['kind'] !== b.kind || a['name'] !== b.name || a['controller'] !== b.controller) return false;
    if (('controller' in a) !== ('controller' in b)) return false;
  }
  return true;
}

/** The previous version's owner references when they are the same (one controller, as a rule). */
function sameOwners(owners: OwnerReference[], previous: OwnerReference[] | undefined): OwnerReference[] {
  return previous !== undefined && sameOwnerList(owners, previous) ? previous : owners;
}

/**
 * What the engine reads of an object, like the live pipeline's metadata caches: identity,
 * generation, owners (kind, name, controller); managedFields (what attribution reads of them)
 * and spec only for top-level objects (root attribution); a Pod's node. Keeping less makes long
 * replays much lighter, and every garbage collection cheaper. Strings and owner references equal
 * to the previous version's are taken from it.
 */
function trim(obj: KubeObject, prev: KubeObject | undefined): KubeObject {
  const m = obj.metadata;
  const pm = prev?.metadata;
  const meta: KubeObject['metadata'] = { name: same(m.name, pm?.name) };
  if (m.namespace !== undefined) meta.namespace = same(m.namespace, pm?.namespace);
  if (m.uid !== undefined) meta.uid = same(m.uid, pm?.uid);
  if (m.generation !== undefined) meta.generation = m.generation;
  const owned = Array.isArray(m.ownerReferences) && m.ownerReferences.length > 0;
  if (owned) meta.ownerReferences = sameOwners(m.ownerReferences!.map(ownerFields), pm?.ownerReferences);
  const trimmed: KubeObject = { kind: same(obj.kind, prev?.kind), metadata: meta };
  if (obj.apiVersion !== undefined) trimmed.apiVersion = same(obj.apiVersion, prev?.apiVersion);
  if (!owned) {
    // Within one generation the spec is the same, and so is an entry whose time did not move:
    // the previous version's copies are kept (the freshly parsed ones die young).
    const sameGeneration = prev !== undefined && m.generation !== undefined && m.generation === pm?.generation;
    if (m.managedFields !== undefined) {
      const previous = sameGeneration ? pm?.managedFields : undefined;
      meta.managedFields = Array.isArray(m.managedFields)
        ? m.managedFields.map((e, i) => sameEntry(attributionFields(e), previous?.[i]) as ManagedFieldsEntry)
        : m.managedFields;
    }
    if (obj.spec !== undefined) trimmed.spec = sameGeneration && prev.spec !== undefined ? prev.spec : obj.spec;
  } else {
    const nodeName = (obj.spec as { nodeName?: unknown } | undefined)?.nodeName;
    if (typeof nodeName === 'string') {
      // an owned previous version kept exactly { nodeName } as its spec: shared when the same
      const prevSpec = pm?.ownerReferences !== undefined ? (prev!.spec as { nodeName?: unknown } | undefined) : undefined;
      trimmed.spec = prevSpec !== undefined && prevSpec.nodeName === nodeName ? prevSpec : { nodeName };
    }
  }
  return trimmed;
}

/**
 * Whether `obj`, an owned object, would trim to exactly `prev`: a Pod's or ReplicaSet's status
 * updates change nothing the engine reads, and keeping the previous version spares a copy that
 * would outlive a young-generation collection.
 */
function sameOwnedVersion(obj: KubeObject, prev: KubeObject): boolean {
  const m = obj.metadata;
  const pm = prev.metadata;
  const owners = m.ownerReferences;
  const prevOwners = pm.ownerReferences;
  if (prevOwners === undefined || !Array.isArray(owners) || !sameOwnerList(owners, prevOwners)) return false;
  if (m.generation !== pm.generation || m.uid !== pm.uid || m.name !== pm.name || m.namespace !== pm.namespace) return false;
  if (obj.kind !== prev.kind || obj.apiVersion !== prev.apiVersion) return false;
  const nodeName = (obj.spec as { nodeName?: unknown } | undefined)?.nodeName;
  const prevNodeName = (prev.spec as { nodeName?: string } | undefined)?.nodeName;
  return typeof nodeName === 'string' ? nodeName === prevNodeName : prevNodeName === undefined;
}

/** Versions kept per object: enough for any realistic capture, bounded for pathological ones. */
const MAX_VERSIONS = 64;

export class MemoryObjectLookup implements ObjectLookup {
  /** the newest version of each object: what `get` returns, one map lookup away */
  private readonly latest = new Map<string, KubeObject>();
  /** older generations, oldest first, of the objects that had more than one */
  private readonly older = new Map<string, KubeObject[]>();

  /** Records an object as the cluster knew it; the newest record wins for `get`. */
  put(full: KubeObject): void {
    // The interned ref's key: the events' refs then meet the very same string in this map (compared by identity).
    const key = refOfObject(full).key;
    const last = this.latest.get(key);
    if (last !== undefined && sameOwnedVersion(full, last)) return;
    const obj = trim(full, last);
    // Only one version per generation is needed for attribution: the newest.
    if (last !== undefined && last.metadata.generation !== obj.metadata.generation) {
      let list = this.older.get(key);
      if (!list) this.older.set(key, (list = []));
      list.push(last);
      if (list.length >= MAX_VERSIONS) list.shift();
    }
    this.latest.set(key, obj);
  }

  get(ref: ObjectRef): KubeObject | undefined {
    return this.latest.get(refKey(ref));
  }

  previousGeneration(ref: ObjectRef, generation: number): KubeObject | undefined {
    const key = refKey(ref);
    const newest = this.latest.get(key);
    if (newest === undefined) return undefined;
    if (isBefore(newest, generation)) return newest;
    const list = this.older.get(key);
    if (!list) return undefined;
    for (let i = list.length - 1; i >= 0; i--) if (isBefore(list[i]!, generation)) return list[i];
    return undefined;
  }

  get size(): number {
    return this.latest.size;
  }
}

function isBefore(obj: KubeObject, generation: number): boolean {
  const g = obj.metadata.generation;
  return typeof g === 'number' && g < generation;
}
