/**
 * Label and field selectors in the apiserver's query syntax:
 *   labelSelector: `a=b,c!=d,e in (f,g),h notin (i),j,!k`
 *   fieldSelector: `metadata.name=x,involvedObject.kind!=Pod`
 */
import type { KubeObject } from './store.js';

export class SelectorError extends Error {}

export type Predicate = (obj: KubeObject) => boolean;

type Requirement =
  | { key: string; op: 'exists' | 'notexists' }
  | { key: string; op: 'in' | 'notin'; values: string[] };

/** Splits at commas that are not inside parentheses. */
function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '(') depth++;
    else if (s[i] === ')') depth--;
    else if (s[i] === ',' && depth === 0) {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(s.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function parseRequirement(term: string): Requirement {
  let m = /^!\s*(\S+)$/.exec(term);
  if (m) return { key: checkKey(m[1] ?? ''), op: 'notexists' };
  m = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
  if (m) {
    const values = (m[3] ?? '').split(',').map((v) => v.trim());
    values.forEach(checkValue);
    return { key: checkKey(m[1] ?? ''), op: m[2] === 'in' ? 'in' : 'notin', values };
  }
  m = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
  if (m) {
    const value = checkValue(m[3] ?? '');
    return { key: checkKey(m[1] ?? ''), op: m[2] === '!=' ? 'notin' : 'in', values: [value] };
  }
  if (/^\S+$/.test(term)) return { key: checkKey(term), op: 'exists' };
  throw new SelectorError(`unable to parse requirement: ${JSON.stringify(term)}`);
}

function checkKey(key: string): string {
  if (!LABEL_KEY.test(key)) throw new SelectorError(`invalid label key ${JSON.stringify(key)}`);
  return key;
}

function checkValue(value: string): string {
  if (!LABEL_VALUE.test(value)) throw new SelectorError(`invalid label value: ${JSON.stringify(value)}`);
  return value;
}

/** Parses a labelSelector query parameter. Throws SelectorError on bad syntax. */
export function parseLabelSelector(selector: string | null | undefined): Predicate {
  if (selector === null || selector === undefined || selector.trim() === '') return () => true;
  const reqs = splitTopLevel(selector).map(parseRequirement);
  return (obj) => {
    const labels = (obj.metadata['labels'] ?? {}) as Record<string, string>;
    return reqs.every((r) => {
      const has = Object.hasOwn(labels, r.key);
      switch (r.op) {
        case 'exists':
          return has;
        case 'notexists':
          return !has;
        case 'in':
          return has && r.values.includes(labels[r.key] ?? '');
        case 'notin':
          return !has || !r.values.includes(labels[r.key] ?? '');
      }
      return false;
    });
  };
}

/** The value of a dotted field path as the apiserver's field selectors see it (missing -> ""). */
export function fieldValue(obj: KubeObject, path: string): string {
  // events expose `source` as source.component
  const effective = path === 'source' ? 'source.component' : path;
  let cur: unknown = obj;
  for (const part of effective.split('.')) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur === undefined || cur === null) return '';
  return typeof cur === 'object' ? JSON.stringify(cur) : String(cur);
}

/**
 * Parses a fieldSelector query parameter. `supported` lists the fields beyond metadata.name and
 * metadata.namespace the resource allows; others are rejected like the real apiserver does.
 */
export function parseFieldSelector(selector: string | null | undefined, supported: readonly string[]): Predicate {
  if (selector === null || selector === undefined || selector.trim() === '') return () => true;
  const allowed = new Set(['metadata.name', 'metadata.namespace', ...supported]);
  const reqs = selector
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '')
    .map((term) => {
      const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(term);
      if (!m) throw new SelectorError(`invalid selector: '${selector}'; can't understand '${term}'`);
      const field = m[1] ?? '';
      if (!allowed.has(field)) throw new SelectorError(`field label not supported: ${field}`);
      return { field, negate: m[2] === '!=', value: m[3] ?? '' };
    });
  return (obj) => reqs.every((r) => (fieldValue(obj, r.field) === r.value) !== r.negate);
}
