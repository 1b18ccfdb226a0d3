/** References (kind, namespace, name) and the string keys the engine indexes them by. */

import type { KubeObject, ObjectRef, OwnerReference } from './types.js';

/**
 * A reference that carries its keys, computed once: the engine looks the same references up
 * many times per event, and building key strings was its main cost.
 */
export interface Ref extends ObjectRef {
  /** `kind/namespace/name` */
  readonly key: string;
  /** the namespace and name as first spelled (not lowercased): one copy for the facts of every event naming them */
  readonly rawNamespace: string;
  readonly rawName: string;
  /** see ownerRefs: the `ownerReferences` array that `owners` were worked out from */
  ownersFrom: unknown;
  owners: readonly Ref[];
  /** the uid the object's events last gave: one copy for the facts of all of them */
  uid: string | undefined;
  /** the action of an event no rule matched, `{ object: this }`: one for all of its events (see actionOf) */
  selfAction: { readonly object: Ref } | undefined;
}

// Events name the same objects over and over (a Pod's events, its owners on every search): one
// Ref per spelling of (kind, namespace, name), so that a reference allocates nothing once seen and
// the engine's maps meet the very same key string again (compared by identity, hash cached).
// (Internalizing the key as well, through a computed property name, cost more than it saved.)
// Indexed by name alone (one hash of a fresh string per call); the few refs sharing a name are
// told apart by kind and namespace, read from the ref itself (no wrapper: one object fewer to
// reach per lookup). Bounded: when full it starts over; a fresh Ref has the same key, so nothing
// depends on identity.
const interned = new Map<string, Ref | Ref[]>();
let internedCount = 0;
const MAX_INTERNED = 100_000;

export function makeRef(kind: string, namespace: string | undefined, name: string): Ref {
  // Events from the wire may carry anything: a namespace that is not a string counts as none.
  const rawNamespace = typeof namespace === 'string' ? namespace : '';
  const found = interned.get(name);
  const known = found === undefined ? undefined : pick(found, kind, rawNamespace);
  if (known !== undefined) return known;
  const ns = rawNamespace.toLowerCase();
  const n = name.toLowerCase();
  const ref: Ref = { kind, namespace: ns, name: n, key: joinKey(kind, ns, n), rawNamespace, rawName: name, ownersFrom: undefined, owners: NO_OWNERS, uid: undefined, selfAction: undefined };
  if (internedCount >= MAX_INTERNED) {
    interned.clear();
    internedCount = 0;
    interned.set(name, ref);
  } else if (found === undefined) {
    interned.set(name, ref);
  } else if (Array.isArray(found)) {
    found.push(ref);
  } else {
    interned.set(name, [found, ref]);
  }
  internedCount++;
  return ref;
}

function pick(found: Ref | Ref[], kind: string, rawNamespace: string): Ref | undefined {
  if (!Array.isArray(found)) return found.kind === kind && found.rawNamespace === rawNamespace ? found : undefined;
  for (let i = 0; i < found.length; i++) {
    const ref = found[i]!;
    if (ref.kind === kind && ref.rawNamespace === rawNamespace) return ref;
  }
  return undefined;
}

const joinKey = (kind: string, namespace: string, name: string): string => `${kind}/${namespace}/${name}`;

/**
 * The key of (kind, namespace, name), without interning a Ref for it: the interned ref's own key
 * string when events named the object, so that maps keyed by ref keys compare it by identity.
 * For objects the engine is only told about (every change a watch delivers), which would
 * otherwise crowd out the refs events name.
 */
export function keyOf(kind: string, namespace: string | undefined, name: string): string {
  const rawNamespace = typeof namespace === 'string' ? namespace : '';
  const found = interned.get(name);
  const known = found === undefined ? undefined : pick(found, kind, rawNamespace);
  return known !== undefined ? known.key : joinKey(kind, rawNamespace.toLowerCase(), name.toLowerCase());
}

export function refKey(ref: ObjectRef): string {
  return (ref as Partial<Ref>).key ?? joinKey(ref.kind, ref.namespace, ref.name);
}

export function refOfObject(obj: KubeObject): Ref {
  return makeRef(obj.kind, obj.metadata.namespace, obj.metadata.name);
}

const NO_OWNERS: readonly Ref[] = [];

/**
 * The owners of `obj`, the object at `ref`. Owners live in the namespace of the object they own
 * (cluster-scoped owners have none). Objects from the lookup are not changed in place (a change
 * is a new version, which mostly shares the previous version's owner references), so the owners
 * are kept on the ref with the array they came from: a pointer comparison per call, where a
 * WeakMap by object version was a tenth of the engine's time.
 */
export function ownerRefs(obj: KubeObject | undefined, ref: Ref): readonly Ref[] {
  if (!obj) return NO_OWNERS;
  const from = obj.metadata?.ownerReferences;
  if (ref.ownersFrom !== from) {
    ref.owners = computeOwners(from, ref.namespace);
    ref.ownersFrom = from;
  }
  return ref.owners;
}

function computeOwners(owners: readonly OwnerReference[] | undefined, namespace: string): readonly Ref[] {
  if (!Array.isArray(owners) || owners.length === 0) return NO_OWNERS;
  const refs: Ref[] = [];
  // The controlling owner first: it is the one that acted.
  const sorted = owners.length > 1 ? [...owners].sort(byController) : owners;
  for (let i = 0; i < sorted.length; i++) {
    const o = sorted[i];
    if (typeof o?.kind === 'string' && typeof o.name === 'string' && o.name !== '') refs.push(makeRef(o.kind, namespace, o.name));
  }
  return refs;
}

function byController(a: OwnerReference, b: OwnerReference): number {
  return (b.controller === true ? 1 : 0) - (a.controller === true ? 1 : 0);
}

