/**
 * Who made this generation of an object (docs/design.md §5.6): the managedFields entry behind the
 * change, whose manager becomes the root span's source and whose time its start.
 */

import { parseTime } from './time.js';
import type { KubeObject, ManagedFieldsEntry } from './types.js';
import { isRecord } from '../core/records.js';

export interface Attribution {
  manager: string;
  operation: string;
  /** the subresource the change went through (`scale` for an autoscaler's or `kubectl scale`'s) */
  subresource?: string;
  /** ms since epoch; undefined when the entry has no time (e.g. updates through the scale subresource) */
  time?: number;
}

type Fields = Record<string, unknown>;


function specFields(entry: ManagedFieldsEntry): Fields | undefined {
  const f = entry.fieldsV1;
  if (!isRecord(f)) return undefined;
  const spec = f['f:spec'];
  return isRecord(spec) ? spec : undefined;
}

function identity(entry: ManagedFieldsEntry): string {
  return `${entry.manager ?? ''}\u0000${entry.operation ?? ''}\u0000${entry.subresource ?? ''}`;
}

function countFields(fields: Fields): number {
  let n = 0;
  // for-in: no array of values per level (a managedFields tree is all own, plain JSON properties)
  for (const key in fields) {
    n++;
    const value = fields[key];
    if (isRecord(value)) n += countFields(value);
  }
  return n;
}

function entryTime(entry: ManagedFieldsEntry): number | undefined {
  return parseTime(entry.time)?.ms;
}

/** Prefers the newest timed entry; untimed entries only when nothing is timed. */
function newest(entries: ManagedFieldsEntry[]): ManagedFieldsEntry | undefined {
  let best: ManagedFieldsEntry | undefined;
  let bestTime = -Infinity;
  for (const e of entries) {
    const t = entryTime(e) ?? -Infinity;
    if (best === undefined || t > bestTime) {
      best = e;
      bestTime = t;
    }
  }
  return best;
}

/** Entries touching `f:spec` that are new in this generation, or changed time, or own more fields. */
function changedEntries(current: ManagedFieldsEntry[], previous: ManagedFieldsEntry[]): ManagedFieldsEntry[] {
  const before = new Map(previous.map((e) => [identity(e), e]));
  return current.filter((e) => {
    const old = before.get(identity(e));
    if (!old) return true;
    if ((old.time ?? '') !== (e.time ?? '')) return true;
    const oldSpec = specFields(old);
    return countFields(specFields(e)!) > (oldSpec ? countFields(oldSpec) : 0);
  });
}

/** The values a managedFields tree addresses in an object, as leaf (path, value) pairs. */
function ownedValues(fields: Fields, value: unknown, path: string, out: Map<string, unknown>): void {
  let leaf = true;
  for (const [key, sub] of Object.entries(fields)) {
    if (key === '.') continue;
    leaf = false;
    const subFields = isRecord(sub) ? sub : {};
    if (key.startsWith('f:')) {
      const name = key.slice(2);
      ownedValues(subFields, isRecord(value) ? value[name] : undefined, `${path}.${name}`, out);
    } else if (key.startsWith('k:')) {
      // list element selected by its key fields, e.g. k:{"name":"podinfo"}
      let selector: unknown;
      try {
        selector = JSON.parse(key.slice(2));
      } catch {
        continue;
      }
      const element = Array.isArray(value) && isRecord(selector)
        ? value.find((item) => isRecord(item) && Object.entries(selector as Fields).every(([k, v]) => JSON.stringify(item[k]) === JSON.stringify(v)))
        : undefined;
      ownedValues(subFields, element, `${path}[${key.slice(2)}]`, out);
    } else if (key.startsWith('v:')) {
      const wanted = key.slice(2);
      const present = Array.isArray(value) && value.some((item) => JSON.stringify(item) === wanted);
      out.set(`${path}{${wanted}}`, present);
    }
  }
  if (leaf) out.set(path, value);
}

function ownsChangedField(entry: ManagedFieldsEntry, spec: unknown, previousSpec: unknown): boolean {
  const fields = specFields(entry);
  if (!fields) return false;
  const now = new Map<string, unknown>();
  const before = new Map<string, unknown>();
  ownedValues(fields, spec, 'spec', now);
  ownedValues(fields, previousSpec, 'spec', before);
  for (const [path, value] of now) {
    if (JSON.stringify(value) !== JSON.stringify(before.get(path))) return true;
  }
  return false;
}

/**
 * The manager of the change that made `object`'s generation, given the previous generation's
 * version when one was seen:
 * 1. the entry touching `f:spec` that appeared with this generation, or whose time changed or
 *    whose fields grew;
 * 2. else the entry that owns the `f:spec` fields whose values changed;
 * 3. else the newest timed entry touching `f:spec`.
 */
export function attributeChange(object: KubeObject, previous: KubeObject | undefined): Attribution | undefined {
  const entries = (object.metadata.managedFields ?? []).filter((e): e is ManagedFieldsEntry => isRecord(e));
  const spec = entries.filter((e) => specFields(e) !== undefined);
  let chosen: ManagedFieldsEntry | undefined;
  if (previous) {
    chosen = newest(changedEntries(spec, (previous.metadata.managedFields ?? []).filter(isRecord) as ManagedFieldsEntry[]));
    chosen ??= newest(spec.filter((e) => ownsChangedField(e, object.spec, previous.spec)));
  }
  chosen ??= newest(spec.filter((e) => entryTime(e) !== undefined)) ?? newest(spec) ?? newest(entries);
  if (!chosen) return undefined;
  const attribution: Attribution = {
    manager: typeof chosen.manager === 'string' && chosen.manager !== '' ? chosen.manager : 'unknown',
    operation: typeof chosen.operation === 'string' && chosen.operation !== '' ? chosen.operation : 'Update',
  };
  if (typeof chosen.subresource === 'string' && chosen.subresource !== '') attribution.subresource = chosen.subresource;
  const t = entryTime(chosen);
  if (t !== undefined) attribution.time = t;
  return attribution;
}
