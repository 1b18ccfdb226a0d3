/** References (kind, namespace, name) and the string keys the engine indexes them by. */

import type { KubeObject, ObjectLookup, ObjectRef, OwnerReference } from './types.js';

export function makeRef(kind: string, namespace: string | undefined, name: string): ObjectRef {
  return { kind, namespace: (namespace ?? '').toLowerCase(), name: name.toLowerCase() };
}

export function refKey(ref: ObjectRef): string {
  return `${ref.kind}/${ref.namespace}/${ref.name}`;
}

/** Key of an action (actor, object); the actor may be absent. */
export function actionKey(actor: ObjectRef | undefined, object: ObjectRef): string {
  return actor ? `${refKey(actor)}>${refKey(object)}` : `>${refKey(object)}`;
}

export function refOfObject(obj: KubeObject): ObjectRef {
  return makeRef(obj.kind, obj.metadata.namespace, obj.metadata.name);
}

/** Owners live in the namespace of the object they own (cluster-scoped owners have none). */
export function ownerRefs(obj: KubeObject | undefined, namespace: string): ObjectRef[] {
  const owners = obj?.metadata.ownerReferences;
  if (!owners || owners.length === 0) return [];
  const refs: ObjectRef[] = [];
  // The controlling owner first: it is the one that acted.
  const sorted = owners.length > 1 ? [...owners].sort(byController) : owners;
  for (const o of sorted) {
    if (typeof o?.kind === 'string' && typeof o.name === 'string' && o.name !== '') refs.push(makeRef(o.kind, namespace, o.name));
  }
  return refs;
}

function byController(a: OwnerReference, b: OwnerReference): number {
  return (b.controller === true ? 1 : 0) - (a.controller === true ? 1 : 0);
}

export function generationOf(lookup: ObjectLookup, ref: ObjectRef): number | undefined {
  return lookup.get(ref)?.metadata.generation;
}
