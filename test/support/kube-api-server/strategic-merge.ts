/**
 * Strategic merge patch for built-in kinds: maps merge (null deletes), lists with a patch merge
 * key merge item by item, lists of primitives with the merge strategy unite, every other list is
 * replaced; the directives `$patch: replace|delete|merge`, `$retainKeys`,
 * `$deleteFromPrimitiveList/<field>` and `$setElementOrder/<field>`.
 */
import { fieldType, itemType, type FieldType } from './field-types.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

export class StrategicMergeError extends Error {}

const DELETE_FROM = '$deleteFromPrimitiveList/';
const SET_ORDER = '$setElementOrder/';

/**
 * A patch value stored as it is: without directives and, for a value under a key the original
 * lacked, without nulls (the server patches with IgnoreUnmatchedNulls); list items keep theirs.
 */
function clean(v: unknown, dropNulls = true): unknown {
  if (Array.isArray(v)) return v.filter((item) => !(isObj(item) && item['$patch'] !== undefined && Object.keys(item).length === 1)).map((item) => clean(item, dropNulls));
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const [k, sub] of Object.entries(v)) {
    if (k.startsWith('$')) continue;
    if (sub !== null || !dropNulls) out[k] = clean(sub, dropNulls);
  }
  return out;
}

export function strategicMerge(original: unknown, patch: unknown, t: FieldType): unknown {
  if (!isObj(patch)) throw new StrategicMergeError('strategic merge patch must be a JSON object');
  const merged = mergeMap(isObj(original) ? structuredClone(original) : {}, patch, t);
  return merged ?? {};
}

/** Merges `patch` into `original` (changed in place); undefined when the map is to be deleted. */
function mergeMap(original: Obj, patch: Obj, t: FieldType): Obj | undefined {
  const directive = patch['$patch'];
  if (directive === 'delete') return undefined;
  if (directive === 'replace') return clean(patch) as Obj;
  if (directive !== undefined && directive !== 'merge') throw new StrategicMergeError(`Unknown patch type: ${String(directive)}`);
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith(SET_ORDER)) continue;
    if (k.startsWith(DELETE_FROM)) {
      const field = k.slice(DELETE_FROM.length);
      if (!Array.isArray(v)) throw new StrategicMergeError(`invalid patch: ${k} must be a list`);
      const current = original[field];
      if (Array.isArray(current)) original[field] = current.filter((item) => !v.some((d) => JSON.stringify(d) === JSON.stringify(item)));
      continue;
    }
    if (v === null) {
      delete original[k];
      continue;
    }
    const ft = fieldType(t, k);
    const current = original[k];
    if (isObj(v) && isObj(current)) {
      const m = mergeMap(current, v, ft);
      if (m === undefined) delete original[k];
      else original[k] = m;
    } else if (isObj(v) && v['$patch'] === 'delete') {
      delete original[k];
    } else if (Array.isArray(v) && Array.isArray(current)) {
      original[k] = mergeList(current, v, ft);
    } else if (Array.isArray(v)) {
      original[k] = mergeList([], v, ft);
    } else {
      original[k] = clean(v);
    }
  }
  for (const [k, order] of Object.entries(patch)) {
    if (!k.startsWith(SET_ORDER) || !Array.isArray(order)) continue;
    const field = k.slice(SET_ORDER.length);
    const list = original[field];
    if (Array.isArray(list)) original[field] = reorder(list, order, fieldType(t, field));
  }
  const retain = patch['$retainKeys'];
  if (retain !== undefined) {
    if (!Array.isArray(retain)) throw new StrategicMergeError('invalid patch: $retainKeys must be a list');
    for (const k of Object.keys(original)) if (!retain.includes(k)) delete original[k];
  }
  return original;
}

function mergeList(original: unknown[], patch: unknown[], t: FieldType): unknown[] {
  const replace = patch.some((item) => isObj(item) && item['$patch'] === 'replace');
  if (replace) return clean(patch.filter((item) => !(isObj(item) && item['$patch'] === 'replace')), false) as unknown[];
  if (t.mergePrimitives === true) {
    const out = [...original];
    for (const item of patch) if (!out.some((o) => JSON.stringify(o) === JSON.stringify(item))) out.push(item);
    return out;
  }
  const key = t.mergeKey;
  if (key === undefined) return clean(patch, false) as unknown[];
  const out = original.map((item) => structuredClone(item));
  const it = itemType(t);
  for (const item of patch) {
    if (!isObj(item)) throw new StrategicMergeError(`invalid patch: list item ${JSON.stringify(item)} of a list merged by ${key} is not a map`);
    if (item[key] === undefined) throw new StrategicMergeError(`map: ${JSON.stringify(item)} does not contain declared merge key: ${key}`);
    const at = out.findIndex((o) => isObj(o) && JSON.stringify(o[key]) === JSON.stringify(item[key]));
    if (item['$patch'] === 'delete') {
      if (at >= 0) out.splice(at, 1);
      continue;
    }
    if (at < 0) out.push(clean(item, false));
    else {
      const m = mergeMap(out[at] as Obj, item, it);
      if (m === undefined) out.splice(at, 1);
      else out[at] = m;
    }
  }
  return out;
}

/** `$setElementOrder`: the listed items first, in that order; the others after, as they were. */
function reorder(list: unknown[], order: unknown[], t: FieldType): unknown[] {
  const key = t.mergeKey;
  const id = (v: unknown) => JSON.stringify(key !== undefined && isObj(v) ? v[key] : v);
  const rank = new Map(order.map((o, i) => [id(o), i]));
  const listed = list.filter((v) => rank.has(id(v))).sort((a, b) => rank.get(id(a))! - rank.get(id(b))!);
  return [...listed, ...list.filter((v) => !rank.has(id(v)))];
}
