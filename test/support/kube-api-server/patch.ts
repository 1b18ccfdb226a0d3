/**
 * Patch formats the apiserver accepts: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and
 * strategic merge patch (strategic-merge.ts; custom resources have no strategic merge keys and
 * the real server rejects it for them). Server-side apply is managed-fields.ts's.
 */
import { STRUCT, type FieldType } from './field-types.js';
import { strategicMerge, StrategicMergeError } from './strategic-merge.js';

export class PatchError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 415 | 422,
  ) {
    super(message);
  }
}

export const PATCH_TYPES = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return structuredClone(patch);
  const result: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchError(`invalid JSON pointer: ${JSON.stringify(pointer)}`, 422);
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

type Container = Record<string, unknown> | unknown[];

/** The parent container of the pointer's target and the last token. */
function locate(doc: unknown, pointer: string, op: string): { parent: Container; token: string } {
  const tokens = parsePointer(pointer);
  const last = tokens.pop();
  if (last === undefined) throw new PatchError(`${op} operation on the document root is not supported`, 422);
  let cur: unknown = doc;
  for (const t of tokens) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(cur, t, false, pointer)];
    else if (isPlainObject(cur) && Object.hasOwn(cur, t)) cur = cur[t];
    else throw new PatchError(`${op} operation does not apply: doc is missing path: "${pointer}"`, 422);
  }
  if (!Array.isArray(cur) && !isPlainObject(cur)) throw new PatchError(`${op} operation does not apply: doc is missing path: "${pointer}"`, 422);
  return { parent: cur, token: last };
}

function arrayIndex(arr: unknown[], token: string, forInsert: boolean, pointer: string): number {
  if (forInsert && token === '-') return arr.length;
  if (!/^(0|[1-9]\d*)$/.test(token)) throw new PatchError(`invalid array index in path: "${pointer}"`, 422);
  const i = Number(token);
  if (i > arr.length || (!forInsert && i === arr.length)) throw new PatchError(`index out of range in path: "${pointer}"`, 422);
  return i;
}

function getAt(doc: unknown, pointer: string, op: string): unknown {
  const { parent, token } = locate(doc, pointer, op);
  if (Array.isArray(parent)) return parent[arrayIndex(parent, token, false, pointer)];
  if (!Object.hasOwn(parent, token)) throw new PatchError(`${op} operation does not apply: doc is missing path: "${pointer}"`, 422);
  return parent[token];
}

function removeAt(doc: unknown, pointer: string, op: string): unknown {
  const { parent, token } = locate(doc, pointer, op);
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, token, false, pointer), 1)[0];
  if (!Object.hasOwn(parent, token)) throw new PatchError(`${op} operation does not apply: doc is missing key: "${pointer}"`, 422);
  const value = parent[token];
  delete parent[token];
  return value;
}

function addAt(doc: unknown, pointer: string, value: unknown, replace: boolean, op: string): void {
  const { parent, token } = locate(doc, pointer, op);
  if (Array.isArray(parent)) {
    const i = arrayIndex(parent, token, !replace, pointer);
    if (replace) parent[i] = value;
    else parent.splice(i, 0, value);
  } else {
    if (replace && !Object.hasOwn(parent, token)) throw new PatchError(`replace operation does not apply: doc is missing key: "${pointer}"`, 422);
    parent[token] = value;
  }
}

/** Applies an RFC 6902 patch to a copy of `doc`. Throws PatchError (422) when an op fails. */
export function jsonPatch(doc: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new PatchError('json patch must be an array of operations', 400);
  const result = structuredClone(doc);
  for (const raw of ops as Operation[]) {
    if (!isPlainObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') {
      throw new PatchError(`invalid JSON patch operation: ${JSON.stringify(raw)}`, 400);
    }
    switch (raw.op) {
      case 'add':
        addAt(result, raw.path, structuredClone(raw.value), false, 'add');
        break;
      case 'replace':
        addAt(result, raw.path, structuredClone(raw.value), true, 'replace');
        break;
      case 'remove':
        removeAt(result, raw.path, 'remove');
        break;
      case 'move': {
        const value = removeAt(result, raw.from ?? '', 'move');
        addAt(result, raw.path, value, false, 'move');
        break;
      }
      case 'copy':
        addAt(result, raw.path, structuredClone(getAt(result, raw.from ?? '', 'copy')), false, 'copy');
        break;
      case 'test': {
        const actual = getAt(result, raw.path, 'test');
        if (!deepEqual(actual, raw.value)) throw new PatchError(`testing value ${raw.path} failed: test failed`, 422);
        break;
      }
      default:
        throw new PatchError(`Unexpected kind: ${raw.op}`, 422);
    }
  }
  return result;
}

/** The patch type named by a Content-Type header, or undefined when it is not one. */
export function patchTypeOf(contentType: string): (typeof PATCH_TYPES)[keyof typeof PATCH_TYPES] | undefined {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return (Object.values(PATCH_TYPES) as string[]).includes(type) ? (type as (typeof PATCH_TYPES)[keyof typeof PATCH_TYPES]) : undefined;
}

/**
 * Applies a merge, JSON or strategic merge patch body of the given Content-Type (`structure` gives the
 * strategic merge keys). Custom resources have no strategic merge keys, so the apiserver refuses
 * strategic merge patches for them.
 */
export function applyPatch(doc: unknown, contentType: string, body: unknown, customResource: boolean, structure: FieldType = STRUCT): unknown {
  const type = patchTypeOf(contentType);
  if (type === undefined || (type === PATCH_TYPES.strategic && customResource)) {
    const accepted = customResource ? [PATCH_TYPES.json, PATCH_TYPES.merge, PATCH_TYPES.apply] : Object.values(PATCH_TYPES);
    throw new PatchError(`the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`, 415);
  }
  if (type === PATCH_TYPES.json) return jsonPatch(doc, body);
  if (type === PATCH_TYPES.apply) throw new PatchError('server-side apply is not a patch of the document', 400);
  if (!isPlainObject(body)) throw new PatchError('merge patch must be a JSON object', 400);
  if (type === PATCH_TYPES.merge) return mergePatch(doc, body);
  try {
    return strategicMerge(doc, body, structure);
  } catch (err) {
    if (err instanceof StrategicMergeError) throw new PatchError(err.message, 400);
    throw err;
  }
}
