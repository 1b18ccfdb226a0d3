/**
 * The replay's ObjectLookup: fed by the capture's object records, it keeps one version per
 * generation of each object so that `previousGeneration` can attribute a change (docs/design.md §5.6).
 */

import { intern, OwnerListPool, sameOwnerList } from '../engine/intern.js';
import { refKey, refOfObject, type Ref } from '../engine/refs.js';
import type { KubeObject, ManagedFieldsEntry, ObjectLookup, ObjectRef, OwnerReference } from '../engine/types.js';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * `next` with every part equal to the same part of `previous` taken from `previous` (all of
 * `previous` when everything is equal); new containers only along the paths that changed. A new
 * generation's spec, or a manager's fields, mostly repeat the previous ones: kept once, and the
 * freshly parsed copies die young instead of being promoted with the version.
 */
function shareEqual(next: unknown, previous: unknown): unknown {
  if (next === previous) return previous; // equal primitives: the older copy (strings)
  if (typeof next !== 'object' || next === null || typeof previous !== 'object' || previous === null) return next;
  if (Array.isArray(next)) {
    if (!Array.isArray(previous)) return next;
    const out = next.map((v, i) => shareEqual(v, previous[i]));
    return out.length === previous.length && out.every((v, i) => v === previous[i]) ? previous : out;
  }
  if (Array.isArray(previous)) return next;
  const prev = previous as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  let same = 0;
  let keys = 0;
  for (const key in next) {
    const value = (next as Record<string, unknown>)[key];
    keys++;
    const had = Object.hasOwn(prev, key);
    const shared = had ? shareEqual(value, prev[key]) : value;
    if (had && shared === prev[key]) same++;
    out[key] = shared;
  }
  return same === keys && keys === Object.keys(prev).length ? previous : out;
}

/**
 * What root attribution reads of a managedFields entry: who, how, when, and the `f:spec` part of
 * its fields (the `f:metadata` and `f:status` trees are most of an entry and never read). The
 * previous version's entry at the same place is taken whole when it is the same entry, not
 * updated since (same manager, operation, subresource and time), and its `f:spec` parts shared
 * when it was the same manager's.
 */
function attributionFields(entry: unknown, previous: unknown): unknown {
  if (!isRecord(entry)) return entry;
  const e = entry as ManagedFieldsEntry;
  const p = isRecord(previous) ? (previous as ManagedFieldsEntry) : undefined;
  const sameManager = p !== undefined && p.manager === e.manager && p.operation === e.operation && p.subresource === e.subresource;
  if (sameManager && e.time !== undefined && e.time === p.time) return p;
  const kept: ManagedFieldsEntry = {};
  if (e.manager !== undefined) kept.manager = e.manager;
  if (e.operation !== undefined) kept.operation = e.operation;
  if (e.subresource !== undefined) kept.subresource = e.subresource;
  if (e.time !== undefined) kept.time = e.time;
  const spec = isRecord(e.fieldsV1) ? e.fieldsV1['f:spec'] : undefined;
  if (isRecord(spec)) {
    const prevFields = sameManager && isRecord(p.fieldsV1) ? p.fieldsV1 : undefined;
    const shared = shareEqual(spec, prevFields?.['f:spec']);
    kept.fieldsV1 = prevFields !== undefined && shared === prevFields['f:spec'] ? prevFields : { 'f:spec': shared };
  }
  return kept;
}

/** What the engine reads of an owner reference (its uid and apiVersion are not: owners are found by name). */
function ownerFields(owner: OwnerReference): OwnerReference {
  if (!isRecord(owner)) return owner;
  const kept = { kind: intern(owner.kind), name: owner.name } as OwnerReference;
  if (owner.controller !== undefined) kept.controller = owner.controller;
  return kept;
}

/** Past this many node names the table of `{ nodeName }` specs starts over (they stay correct either way). */
const MAX_NODE_SPECS = 100_000;

/**
 * Parts that many objects' kept versions repeat, kept once: the owner list (all Pods of a
 * ReplicaSet name the same owner) and a Pod's `{ nodeName }` (a few hundred nodes).
 */
class SharedParts {
  private readonly owners = new OwnerListPool<OwnerReference>();
  private readonly nodeSpecs = new Map<string, { nodeName: string }>();

  ownerList(owners: readonly OwnerReference[], previous: OwnerReference[] | undefined): OwnerReference[] {
    if (previous !== undefined && sameOwnerList(owners, previous)) return previous;
    return this.owners.shared(owners.map(ownerFields));
  }

  nodeSpec(nodeName: string): { nodeName: string } {
    let spec = this.nodeSpecs.get(nodeName);
    if (spec === undefined) {
      if (this.nodeSpecs.size >= MAX_NODE_SPECS) this.nodeSpecs.clear();
      this.nodeSpecs.set(nodeName, (spec = { nodeName }));
    }
    return spec;
  }
}

/**
 * What the engine reads of an object, like the live pipeline's metadata caches: identity,
 * generation, owners (kind, name, controller); managedFields (what attribution reads of them)
 * and spec only for top-level objects (root attribution); a Pod's node. Keeping less makes long
 * replays much lighter, and every garbage collection cheaper. What the previous version or other
 * objects already hold (names from the ref, owner lists, unchanged parts of the spec and of the
 * managers' fields) is taken from them.
 */
function trim(obj: KubeObject, prev: KubeObject | undefined, ref: Ref, shared: SharedParts): KubeObject {
  const m = obj.metadata;
  const pm = prev?.metadata;
  const meta: KubeObject['metadata'] = { name: ref.rawName };
  if (m.namespace !== undefined) meta.namespace = typeof m.namespace === 'string' ? ref.rawNamespace : m.namespace;
  if (m.uid !== undefined) meta.uid = m.uid === pm?.uid ? pm.uid : m.uid;
  if (m.generation !== undefined) meta.generation = m.generation;
  const owned = Array.isArray(m.ownerReferences) && m.ownerReferences.length > 0;
  if (owned) meta.ownerReferences = shared.ownerList(m.ownerReferences!, pm?.ownerReferences);
  const trimmed: KubeObject = { kind: ref.kind, metadata: meta };
  if (obj.apiVersion !== undefined) trimmed.apiVersion = intern(obj.apiVersion);
  if (!owned) {
    // Within one generation the spec is the same; a new one mostly repeats the previous.
    const sameGeneration = prev !== undefined && m.generation !== undefined && m.generation === pm?.generation;
    if (m.managedFields !== undefined) {
      const previous = pm?.managedFields;
      meta.managedFields = Array.isArray(m.managedFields)
        ? m.managedFields.map((e, i) => attributionFields(e, previous?.[i]) as ManagedFieldsEntry)
        : m.managedFields;
    }
    if (obj.spec !== undefined) trimmed.spec = sameGeneration && prev.spec !== undefined ? prev.spec : shareEqual(obj.spec, prev?.spec);
  } else {
    const nodeName = (obj.spec as { nodeName?: unknown } | undefined)?.nodeName;
    if (typeof nodeName === 'string') trimmed.spec = shared.nodeSpec(nodeName);
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
  private readonly shared = new SharedParts();

  /**
   * Records an object as the cluster knew it; the newest record wins for `get`. Returns false
   * when the version kept is unchanged (an owned object's status update): nothing the engine
   * reads of the object changed.
   */
  put(full: KubeObject): boolean {
    // The interned ref's key: the events' refs then meet the very same string in this map (compared by identity).
    const ref = refOfObject(full);
    const key = ref.key;
    const last = this.latest.get(key);
    if (last !== undefined && sameOwnedVersion(full, last)) return false;
    const obj = trim(full, last, ref, this.shared);
    // Only one version per generation is needed for attribution: the newest.
    if (last !== undefined && last.metadata.generation !== obj.metadata.generation) {
      let list = this.older.get(key);
      if (!list) this.older.set(key, (list = []));
      list.push(last);
      if (list.length >= MAX_VERSIONS) list.shift();
    }
    this.latest.set(key, obj);
    return true;
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
