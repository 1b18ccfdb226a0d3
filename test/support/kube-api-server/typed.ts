/**
 * Objects walked by their type, as structured-merge-diff walks them: the comparison of two versions
 * (fields added, modified, removed), the field set of an applied configuration, the merge of an
 * applied configuration into the live object, and the removal of fields by path.
 */
import { fieldElement, FieldSet, keyElement, valueElement, type PathElement } from './fieldset.js';
import { fieldType, itemType, type FieldType } from './field-types.js';
import { deepEqual, isObj } from './objects.js';

type Obj = Record<string, unknown>;

type Shape = 'map' | 'list' | 'leaf';

/** How a node is walked: by its declared type, else by the value it holds. */
function shapeOf(t: FieldType, l: unknown, r: unknown): Shape {
  if (t.atomic === true) return 'leaf';
  if (t.list !== undefined) return t.list === 'atomic' ? 'leaf' : 'list';
  if (t.fields !== undefined || t.values !== undefined || t.map === true) return 'map';
  const v = l ?? r;
  if (isObj(v)) return 'map';
  return 'leaf'; // lists without a declared type are atomic
}

/** The path element of a list item: its key fields, or its value in a set. */
export function itemElement(t: FieldType, item: unknown): PathElement {
  if (Array.isArray(t.list) && isObj(item)) {
    const key: Obj = {};
    for (const k of t.list) if (item[k] !== undefined) key[k] = item[k];
    return keyElement(key);
  }
  return valueElement(item);
}

function itemsByElement(t: FieldType, list: unknown): Map<PathElement, unknown> {
  const out = new Map<PathElement, unknown>();
  if (Array.isArray(list)) for (const item of list) out.set(itemElement(t, item), item);
  return out;
}

const isEmpty = (v: unknown) => v === null || v === undefined || (Array.isArray(v) && v.length === 0) || (isObj(v) && Object.keys(v).length === 0);

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

/**
 * What changed from `lhs` to `rhs`. A node (map, list, list item) that is new is itself added, a
 * node that is gone is removed; leaves are added, modified or removed. Empty or null maps and
 * lists are leaves, so `{}` and null are told apart as values.
 */
export function compare(lhs: unknown, rhs: unknown, t: FieldType): Comparison {
  const c = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  walkCompare(lhs, rhs, t, [], c);
  return c;
}

function walkCompare(l: unknown, r: unknown, t: FieldType, path: PathElement[], c: Comparison): void {
  let leaf = false;
  const shape = shapeOf(t, l, r);
  const fits = (v: unknown) => v === undefined || v === null || (shape === 'map' ? isObj(v) : Array.isArray(v));
  if (shape === 'leaf' || !fits(l) || !fits(r) || (isEmpty(l) && isEmpty(r))) {
    leaf = true;
    if (l === undefined && r !== undefined) c.added.insert(path);
    else if (l !== undefined && r === undefined) c.removed.insert(path);
    else if (!deepEqual(l, r)) c.modified.insert(path);
  } else if (shape === 'map') {
    const lm = isObj(l) ? l : {};
    const rm = isObj(r) ? r : {};
    for (const k of new Set([...Object.keys(lm), ...Object.keys(rm)])) {
      if (lm[k] === undefined && rm[k] === undefined) continue;
      walkCompare(lm[k], rm[k], fieldType(t, k), [...path, fieldElement(k)], c);
    }
  } else {
    const it = itemType(t);
    const li = itemsByElement(t, l);
    const ri = itemsByElement(t, r);
    for (const [pe, item] of ri) walkCompare(li.get(pe), item, it, [...path, pe], c);
    for (const [pe, item] of li) if (!ri.has(pe)) walkCompare(item, undefined, it, [...path, pe], c);
  }
  if (!leaf && path.length > 0) {
    if (l === undefined) c.added.insert(path);
    else if (r === undefined) c.removed.insert(path);
  }
}

/**
 * The fields an applied configuration sets (structured-merge-diff's ToFieldSet): every leaf and
 * atomic value, every list item, and every key of a map (as opposed to a struct's fields, which
 * are only on the way to their leaves); an empty or null map or list sets nothing.
 */
export function toFieldSet(value: unknown, t: FieldType): FieldSet {
  const set = new FieldSet();
  walkSet(value, t, [], set);
  return set;
}

function walkSet(v: unknown, t: FieldType, path: PathElement[], set: FieldSet): void {
  const shape = shapeOf(t, v, undefined);
  if (shape !== 'leaf' && v === null) return;
  if (shape === 'leaf' || (shape === 'map' && !isObj(v)) || (shape === 'list' && !Array.isArray(v))) {
    set.insert(path);
    return;
  }
  if (shape === 'map') {
    for (const [k, sub] of Object.entries(v as Obj)) {
      if (sub === undefined) continue;
      const p = [...path, fieldElement(k)];
      walkSet(sub, fieldType(t, k), p, set);
      const declared = t.map !== true && (t.fields?.[k] !== undefined || t.values === undefined);
      if (!declared) set.insert(p);
    }
    return;
  }
  const it = itemType(t);
  for (const item of v as unknown[]) {
    const p = [...path, itemElement(t, item)];
    walkSet(item, it, p, set);
    set.insert(p);
  }
}

/** The live object with an applied configuration merged in: maps and keyed lists merge, sets unite, the rest is replaced. */
export function merge(live: unknown, config: unknown, t: FieldType): unknown {
  const shape = shapeOf(t, live, config);
  if (shape === 'map' && isObj(config)) {
    const out: Obj = isObj(live) ? { ...live } : {};
    for (const [k, v] of Object.entries(config)) if (v !== undefined) out[k] = merge(out[k], v, fieldType(t, k));
    return out;
  }
  if (shape === 'list' && Array.isArray(config)) {
    const it = itemType(t);
    const out = Array.isArray(live) ? [...(live as unknown[])] : [];
    const at = new Map(out.map((item, i) => [itemElement(t, item), i]));
    for (const item of config) {
      const pe = itemElement(t, item);
      const i = at.get(pe);
      if (i === undefined) {
        at.set(pe, out.length);
        out.push(structuredClone(item));
      } else if (t.list !== 'set') out[i] = merge(out[i], item, it);
    }
    return out;
  }
  return structuredClone(config);
}

/** A copy of `value` without the fields (and list items) that are members of `set`. */
export function removeFields(value: unknown, set: FieldSet, t: FieldType): unknown {
  const shape = shapeOf(t, value, undefined);
  if (shape === 'map' && isObj(value)) {
    const out: Obj = {};
    for (const [k, v] of Object.entries(value)) {
      const node = set.children.get(fieldElement(k));
      if (node?.member === true) continue;
      out[k] = node === undefined ? v : removeFields(v, node, fieldType(t, k));
    }
    return out;
  }
  if (shape === 'list' && Array.isArray(value)) {
    const it = itemType(t);
    const out: unknown[] = [];
    for (const item of value) {
      const node = set.children.get(itemElement(t, item));
      if (node?.member === true) continue;
      out.push(node === undefined ? item : removeFields(item, node, it));
    }
    return out;
  }
  return value;
}
