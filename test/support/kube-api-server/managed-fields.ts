/**
 * metadata.managedFields as kube-apiserver's field manager writes them: one entry per (manager,
 * operation, apiVersion for updates, subresource); an update takes the fields it changed from
 * every other entry and drops the removed ones; an apply owns what it applies and conflicts
 * (409) with other owners of the fields it changes unless forced; time is the last change's.
 */
import { FieldSet, fieldElement, pathString, type PathElement } from './fieldset.js';
import type { FieldType } from './field-types.js';
import { compare, merge, removeFields, toFieldSet } from './typed.js';

export interface ManagedEntry {
  manager: string;
  operation: 'Update' | 'Apply';
  apiVersion: string;
  subresource?: string;
  time?: string;
  set: FieldSet;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** At most this many Update entries; older ones are merged into "ancient-changes" (DefaultMaxUpdateManagers). */
const MAX_UPDATE_MANAGERS = 10;
/** validation.FieldManagerMaxLength */
const MAX_MANAGER_LENGTH = 128;

/**
 * The manager of a write: the fieldManager parameter, else the User-Agent up to its first "/"
 * (printable characters, at most 128 bytes), else "unknown".
 */
export function managerName(fieldManager: string | null, userAgent: string | undefined): string {
  if (fieldManager !== null && fieldManager !== '') return fieldManager;
  let out = '';
  for (const ch of (userAgent ?? '').split('/')[0] ?? '') {
    if (!/\p{L}|\p{M}|\p{N}|\p{P}|\p{S}|\p{Zs}/u.test(ch)) continue;
    if (Buffer.byteLength(out + ch) > MAX_MANAGER_LENGTH) break;
    out += ch;
  }
  return out === '' ? 'unknown' : out;
}

/** Entries that stand for the same manager: an applier is the same whatever apiVersion it applies with. */
export function identity(e: Pick<ManagedEntry, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  return [e.manager, e.operation, e.operation === 'Apply' ? '' : e.apiVersion, e.subresource ?? ''].join('\u0000');
}

export function decodeEntries(raw: unknown): ManagedEntry[] {
  if (!Array.isArray(raw)) return [];
  const out: ManagedEntry[] = [];
  for (const e of raw) {
    if (!isObj(e) || typeof e['manager'] !== 'string') continue;
    out.push({
      manager: e['manager'],
      operation: e['operation'] === 'Apply' ? 'Apply' : 'Update',
      apiVersion: typeof e['apiVersion'] === 'string' ? e['apiVersion'] : '',
      ...(typeof e['subresource'] === 'string' && e['subresource'] !== '' ? { subresource: e['subresource'] } : {}),
      ...(typeof e['time'] === 'string' ? { time: e['time'] } : {}),
      set: FieldSet.fromFieldsV1(e['fieldsV1']),
    });
  }
  return out;
}

/** The managedFields list: entries with fields, sorted like the real server (operation, time, manager, apiVersion, subresource). */
export function encodeEntries(entries: readonly ManagedEntry[]): Obj[] {
  const seconds = (e: ManagedEntry) => (e.time === undefined ? 0 : Math.floor(Date.parse(e.time) / 1000));
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return entries
    .filter((e) => !e.set.empty())
    .sort((a, b) => cmp(a.operation, b.operation) || seconds(a) - seconds(b) || cmp(a.manager, b.manager) || cmp(a.apiVersion, b.apiVersion) || cmp(a.subresource ?? '', b.subresource ?? ''))
    .map((e) => ({
      manager: e.manager,
      operation: e.operation,
      apiVersion: e.apiVersion,
      ...(e.time === undefined ? {} : { time: e.time }),
      fieldsType: 'FieldsV1',
      fieldsV1: e.set.toFieldsV1(),
      ...(e.subresource === undefined ? {} : { subresource: e.subresource }),
    }));
}

/** Fields no manager ever owns (fieldmanager's stripSet). */
const STRIPPED = FieldSet.of(
  ['f:apiVersion'], ['f:kind'], ['f:metadata'],
  ...['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion'].map((f) => ['f:metadata', `f:${f}`]),
);

function withoutManagedFields(obj: Obj): Obj {
  const meta = isObj(obj['metadata']) ? { ...obj['metadata'] } : {};
  delete meta['managedFields'];
  return { ...obj, metadata: meta };
}

/** The fields a write through `subresource` may own: /status only status, the main resource all but a status subresource's. */
export function ownable(set: FieldSet, subresource: string | undefined, statusSubresource: boolean): FieldSet {
  if (subresource === 'status') {
    const out = new FieldSet();
    const status = set.children.get('f:status');
    if (status !== undefined) out.children.set('f:status', status.clone());
    return out;
  }
  return statusSubresource && subresource === undefined ? set.difference(FieldSet.of(['f:status'])) : set;
}

/**
 * The managers a write starts from: those the request sent (a client may rewrite them; `[]` or
 * `[{}]` resets them), else the stored ones. Subresource writes always start from the stored ones.
 */
export function baseEntries(live: Obj | undefined, incoming: Obj, subresource: string | undefined): ManagedEntry[] {
  const liveEntries = decodeEntries(isObj(live?.['metadata']) ? live['metadata']['managedFields'] : undefined);
  if (subresource !== undefined) return liveEntries;
  const sent = isObj(incoming['metadata']) ? incoming['metadata']['managedFields'] : undefined;
  if (Array.isArray(sent) && (sent.length === 0 || (sent.length === 1 && isObj(sent[0]) && Object.keys(sent[0]).length === 0))) return [];
  const decoded = decodeEntries(sent);
  return decoded.length > 0 ? decoded : liveEntries;
}

export interface WriteContext {
  manager: string;
  apiVersion: string;
  subresource?: string;
  /** RFC 3339, whole seconds */
  now: string;
  type: FieldType;
}

/**
 * Records an update (create, PUT, or a merge/JSON/strategic patch) from `live` to `next`: the
 * manager's entry gains what changed (its time moves only then), every other entry loses it,
 * removed fields drop out of all.
 */
export function recordUpdate(entries: readonly ManagedEntry[], live: Obj, next: Obj, ctx: WriteContext): ManagedEntry[] {
  const c = compare(withoutManagedFields(live), withoutManagedFields(next), ctx.type);
  const changed = c.added.union(c.modified).difference(STRIPPED);
  const removed = c.removed.difference(STRIPPED);
  const self: ManagedEntry = { manager: ctx.manager, operation: 'Update', apiVersion: ctx.apiVersion, ...(ctx.subresource === undefined ? {} : { subresource: ctx.subresource }), set: new FieldSet() };
  const id = identity(self);
  const out: ManagedEntry[] = [];
  let previous: ManagedEntry | undefined;
  for (const e of entries) {
    const rest = { ...e, set: e.set.difference(changed).difference(removed) };
    if (identity(e) === id) previous = { ...rest, set: e.set.difference(removed) };
    else out.push(rest);
  }
  if (!changed.empty()) out.push({ ...self, set: changed.union(previous?.set ?? new FieldSet()), time: ctx.now });
  else if (previous !== undefined) out.push(previous);
  return capUpdateManagers(out.filter((e) => !e.set.empty()));
}

export class ApplyConflict extends Error {
  constructor(readonly conflicts: Array<{ entry: ManagedEntry; path: PathElement[] }>) {
    super(conflictMessage(conflicts));
  }
}

function printManager(e: ManagedEntry): string {
  let s = JSON.stringify(e.manager);
  if (e.subresource !== undefined) s += ` with subresource ${JSON.stringify(e.subresource)}`;
  if (e.operation === 'Update') s += e.time === undefined ? ` using ${e.apiVersion}` : ` using ${e.apiVersion} at ${e.time}`;
  return s;
}

function conflictMessage(conflicts: ApplyConflict['conflicts']): string {
  const [only] = conflicts;
  if (conflicts.length === 1 && only !== undefined) return `Apply failed with 1 conflict: conflict with ${printManager(only.entry)}: ${pathString(only.path)}`;
  const byManager = new Map<string, string[]>();
  for (const { entry, path } of conflicts) {
    const m = printManager(entry);
    byManager.set(m, [...(byManager.get(m) ?? []), `- ${pathString(path)}`]);
  }
  const lines = [...byManager].sort(([a], [b]) => (a < b ? -1 : 1)).flatMap(([m, paths]) => [`conflicts with ${m}:`, ...paths]);
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
}

/** The causes of a 409 for an apply conflict, as the apiserver lists them. */
export function conflictCauses(err: ApplyConflict): Array<{ reason: string; message: string; field: string }> {
  return err.conflicts.map(({ entry, path }) => ({ reason: 'FieldManagerConflict', message: `conflict with ${printManager(entry)}`, field: pathString(path) }));
}

export interface ApplyResult {
  object: Obj;
  entries: ManagedEntry[];
}

/**
 * Server-side apply of `config` onto `live`: the applier owns exactly the fields of its
 * configuration; what it owned before and no longer applies is removed unless someone else
 * owns it; another manager's field whose value changes is a conflict unless `force`. `finish`
 * turns the merged object into the stored one (the registry's rules: status split, metadata).
 */
export function recordApply(entries: readonly ManagedEntry[], live: Obj, config: Obj, ctx: WriteContext & { force: boolean; statusSubresource: boolean }, finish: (merged: Obj) => Obj): ApplyResult {
  const self: ManagedEntry = { manager: ctx.manager, operation: 'Apply', apiVersion: ctx.apiVersion, ...(ctx.subresource === undefined ? {} : { subresource: ctx.subresource }), set: new FieldSet() };
  const id = identity(self);
  const applied = ownable(toFieldSet(withoutManagedFields(config), ctx.type).difference(STRIPPED), ctx.subresource, ctx.statusSubresource);
  const last = entries.find((e) => identity(e) === id);
  const others = entries.filter((e) => identity(e) !== id);
  let merged = merge(withoutManagedFields(live), withoutManagedFields(config), ctx.type) as Obj;
  if (last !== undefined) {
    // Fields this applier set before and no longer applies go, unless another manager owns them (or something under them).
    const owned = others.reduce((acc, e) => acc.union(e.set), new FieldSet());
    const dropped = new FieldSet();
    for (const p of last.set.difference(applied).paths()) if (owned.get(p)?.empty() !== false) dropped.insert(p);
    merged = removeFields(merged, dropped, ctx.type) as Obj;
  }
  const next = finish(merged);
  const c = compare(withoutManagedFields(live), withoutManagedFields(next), ctx.type);
  const changed = c.added.union(c.modified).difference(STRIPPED);
  const removed = c.removed.difference(STRIPPED);
  const conflicts: ApplyConflict['conflicts'] = [];
  for (const e of others) for (const p of e.set.intersection(changed).paths()) conflicts.push({ entry: e, path: p });
  if (conflicts.length > 0 && !ctx.force) throw new ApplyConflict(conflicts);
  const objectChanged = !c.added.empty() || !c.modified.empty() || !c.removed.empty();
  const time = objectChanged ? ctx.now : last?.time;
  const out = others.map((e) => ({ ...e, set: e.set.difference(changed).difference(removed) }));
  out.push({ ...self, set: applied, ...(time === undefined ? {} : { time }) });
  return { object: next, entries: capUpdateManagers(out.filter((e) => !e.set.empty())) };
}

/** Past the cap, the oldest Update entries of an apiVersion are merged into one "ancient-changes" entry. */
function capUpdateManagers(entries: ManagedEntry[]): ManagedEntry[] {
  const updaters = entries.filter((e) => e.operation === 'Update');
  if (updaters.length <= MAX_UPDATE_MANAGERS) return entries;
  const time = (e: ManagedEntry) => (e.time === undefined ? -Infinity : Date.parse(e.time));
  updaters.sort((a, b) => time(a) - time(b));
  let count = updaters.length;
  const firstOfVersion = new Map<string, ManagedEntry>();
  const buckets = new Map<string, ManagedEntry>();
  const gone = new Set<ManagedEntry>();
  for (const e of updaters) {
    if (count <= MAX_UPDATE_MANAGERS) break;
    const first = firstOfVersion.get(e.apiVersion);
    if (first === undefined) {
      firstOfVersion.set(e.apiVersion, e);
      continue;
    }
    let bucket = buckets.get(e.apiVersion);
    if (bucket === undefined) {
      bucket = { manager: 'ancient-changes', operation: 'Update', apiVersion: e.apiVersion, set: first.set };
      buckets.set(e.apiVersion, bucket);
      gone.add(first);
    }
    bucket.set = bucket.set.union(e.set);
    if (e.time === undefined) delete bucket.time;
    else bucket.time = e.time;
    gone.add(e);
    count--;
  }
  return [...entries.filter((e) => !gone.has(e)), ...buckets.values()];
}

/** Where a scalable kind keeps its replicas. */
export const REPLICAS_PATH: PathElement[] = [fieldElement('spec'), fieldElement('replicas')];
const SCALE_API_VERSION = 'autoscaling/v1';

/** The parent's entries as the scale subresource sees them: those owning replicas, owning only spec.replicas of a Scale. */
export function toScaleEntries(parent: readonly ManagedEntry[]): ManagedEntry[] {
  return parent.filter((e) => e.set.has(REPLICAS_PATH)).map((e) => ({ ...e, apiVersion: SCALE_API_VERSION, set: FieldSet.of(REPLICAS_PATH) }));
}

/**
 * The parent's entries after a write through /scale (ScaleHandler.ToParent): a parent entry that
 * owned replicas keeps them only if the same identity still owns them on the Scale; every Scale
 * owner of replicas becomes an entry of the parent's apiVersion. Its time is the parent entry's of
 * the same identity: for updates that identity names autoscaling/v1, which no parent entry has, so
 * updates through /scale leave entries without a time (as the real server does).
 */
export function fromScaleEntries(parent: readonly ManagedEntry[], scale: readonly ManagedEntry[], parentApiVersion: string): ManagedEntry[] {
  const scaleById = new Map(scale.map((e) => [identity(e), e]));
  const out: ManagedEntry[] = [];
  for (const e of parent) {
    if (!e.set.has(REPLICAS_PATH)) out.push(e);
    else if (scaleById.delete(identity(e))) out.push(e);
    else {
      const rest = e.set.difference(FieldSet.of(REPLICAS_PATH));
      if (!rest.empty()) out.push({ ...e, set: rest });
    }
  }
  const parentById = new Map(parent.map((e) => [identity(e), e]));
  for (const [id, e] of scaleById) {
    if (!e.set.has(REPLICAS_PATH)) continue;
    const time = parentById.get(id)?.time;
    const entry: ManagedEntry = { manager: e.manager, operation: e.operation, apiVersion: parentApiVersion, ...(e.subresource === undefined ? {} : { subresource: e.subresource }), set: FieldSet.of(REPLICAS_PATH), ...(time === undefined ? {} : { time }) };
    // Two parent-side entries with one identity are one entry.
    const same = out.find((o) => identity(o) === identity(entry));
    if (same === undefined) out.push(entry);
    else same.set = same.set.union(entry.set);
  }
  return out;
}
