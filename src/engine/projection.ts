/**
 * What the engine reads of a Kubernetes object (docs/design.md §2.2): the one projection that the
 * live object caches apply on receipt and replay's object lookup applies to capture records, so
 * that live and replay see the same objects.
 *
 * Kept: apiVersion, kind; name, namespace, uid, resourceVersion (watch stores dedupe by it) and
 * generation; owner references (kind, name, controller: owners are found by kind and name, the
 * controller first); for the kinds the status rules read, a few status facts (§5.10). Only for
 * objects without owners, whose generations start traces (§5.6): their managedFields entries
 * (manager, operation, subresource, time and the `f:spec` tree) and their spec (of a bare Pod or
 * a Job only the node, see SPEC_NOT_KEPT). For an owned object: its creationTimestamp (§5.11) and
 * the spec's `nodeName` (the `k8s.node.name` attribute) and its deletionTimestamp (a terminating
 * Pod's NotReady waits for its deletion, §5.5). Of the annotations of an object without owners,
 * only those of a W3C trace context (§5.13).
 * Everything else (labels, other annotations, the rest of the status and of the managedFields) is read
 * by nobody, and with 100,000s of cached objects it would be most of their memory.
 *
 * The projection makes new objects and never changes its input: a watch's store and every
 * subscriber see the same projected version.
 */

import { isRecord } from '../core/records.js';
import { OwnerListPool, sameOwnerList, StringPool } from './intern.js';
import { MAX_TRACE_CONTEXT_VALUE, TRACE_CONTEXT_KEY } from './trace-context.js';
import type { KubeObject, ManagedFieldsEntry, ObjectMeta, OwnerReference, StatusFacts } from './types.js';

/** The least an input must look like: anything parsed from the API or a capture. */
export interface RawObject {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: unknown;
  spec?: unknown;
  status?: unknown;
  /** present on what this projection made: projecting it again keeps them (see project) */
  statusFacts?: unknown;
}

/** The kinds whose status the status rules read (docs/design.md §5.10). */
export const STATUS_KINDS: ReadonlySet<string> = new Set(['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job']);

/**
 * A constructor of plain objects with room inside for all their properties. V8 gives an object
 * made by `{}` room for four and keeps the rest in a second array, while an object made by a
 * constructor gets room for as many as its first instances had: one constructor per shape, so
 * that a small shape is not given the room of a large one. The prototype is Object.prototype, so
 * to everyone else these are plain objects.
 */
function recordOfOneShape(): new () => Record<string, unknown> {
  const Plain = function () {} as unknown as new () => Record<string, unknown>;
  Plain.prototype = Object.prototype;
  return Plain;
}
const ObjectRecord = recordOfOneShape();
const OwnedObjectRecord = recordOfOneShape();
const MetaRecord = recordOfOneShape();
const OwnedMetaRecord = recordOfOneShape();
const EntryRecord = recordOfOneShape();
const PodFactsRecord = recordOfOneShape();
const WorkloadFactsRecord = recordOfOneShape();

/** Whole seconds since the Unix epoch of an RFC 3339 time, or undefined. */
function epochSeconds(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : undefined;
}

/**
 * Top-level kinds whose spec is not kept: a bare Pod's or a Job's spec is large (watched whole for
 * their status) and hardly ever changes; their changes are attributed by managedFields alone.
 */
const SPEC_NOT_KEPT: ReadonlySet<string> = new Set(['Pod', 'Job']);

/** Past this many distinct `f:spec` trees, or node names, the tables start over (values stay correct either way). */
const MAX_TREES = 10_000;
const MAX_NODE_SPECS = 100_000;

/**
 * Projects objects, keeping one copy of the parts that many projected objects repeat: strings
 * (namespaces, kinds, managers), owner lists (every Pod of a ReplicaSet names the same owner),
 * `f:spec` field sets (the same for every object of a template), a Pod's `{ nodeName }`. Parts equal to
 * the previous version's are taken from it, so a fresh copy dies young instead of being promoted.
 * Deterministic: the output's values depend only on the input, never on what was pooled.
 */
export class ObjectProjector {
  private readonly strings = new StringPool(50_000);
  private readonly owners = new OwnerListPool<OwnerReference>();
  /** `{ 'f:spec': tree }` by the tree's JSON */
  private readonly specFields = new Map<string, { 'f:spec': Record<string, unknown> }>();
  private readonly nodeSpecs = new Map<string, { nodeName: string }>();

  /** The engine's view of `raw`, or undefined for something without a kind or a name. */
  project(raw: RawObject | undefined, previous?: KubeObject): KubeObject | undefined {
    if (!raw || typeof raw.kind !== 'string' || !isRecord(raw.metadata) || typeof raw.metadata['name'] !== 'string') return undefined;
    const m = raw.metadata;
    const pm = previous?.metadata;
    const owners = m['ownerReferences'];
    const owned = Array.isArray(owners) && owners.length > 0;
    const meta = (owned ? new OwnedMetaRecord() : new MetaRecord()) as unknown as ObjectMeta;
    meta.name = m['name'] as string;
    if (m['namespace'] !== undefined) meta.namespace = this.string(m['namespace']) as string;
    if (m['uid'] !== undefined) meta.uid = m['uid'] === pm?.uid ? pm.uid : (m['uid'] as string);
    if (m['resourceVersion'] !== undefined) meta.resourceVersion = m['resourceVersion'] as string;
    if (m['generation'] !== undefined) meta.generation = m['generation'] as number;
    if (Array.isArray(owners)) meta.ownerReferences = this.ownerList(owners, pm?.ownerReferences);
    const projected = (owned ? new OwnedObjectRecord() : new ObjectRecord()) as unknown as KubeObject;
    if (raw.apiVersion !== undefined) projected.apiVersion = this.string(raw.apiVersion) as string;
    projected.kind = this.string(raw.kind) as string;
    projected.metadata = meta;
    const facts = this.factsOf(raw);
    if (facts !== undefined) {
      const before = previous?.statusFacts;
      projected.statusFacts = before !== undefined && sameFacts(facts, before) ? before : facts;
    }
    if (owned || SPEC_NOT_KEPT.has(raw.kind)) {
      const nodeName = isRecord(raw.spec) ? raw.spec['nodeName'] : undefined;
      if (typeof nodeName === 'string') projected.spec = this.nodeSpec(nodeName);
    }
    if (owned) {
      // An event on an object made moments ago waits longer for the action that made it (§5.11).
      const created = typeof m['createdAt'] === 'number' ? m['createdAt'] : epochSeconds(m['creationTimestamp']);
      if (created !== undefined) meta.createdAt = created;
      if (typeof m['deletionTimestamp'] === 'string') meta.deletionTimestamp = m['deletionTimestamp'];
      return projected;
    }
    const annotations = traceContextAnnotations(m['annotations'], pm?.annotations);
    if (annotations !== undefined) meta.annotations = annotations;
    const entries = m['managedFields'];
    if (entries !== undefined) {
      const before = pm?.managedFields;
      meta.managedFields = Array.isArray(entries) ? entries.map((e: unknown, i) => this.entry(e, before?.[i])) : (entries as ManagedFieldsEntry[]);
    }
    if (raw.spec !== undefined && !SPEC_NOT_KEPT.has(raw.kind)) {
      // Within one generation the spec is the same (the API server bumps the generation on every spec change).
      const sameGeneration = pm !== undefined && meta.generation !== undefined && meta.generation === pm.generation && meta.uid === pm.uid;
      projected.spec = sameGeneration && previous!.spec !== undefined ? previous!.spec : shareEqual(raw.spec, previous?.spec);
    }
    return projected;
  }

  /**
   * Whether `raw`, a new version of the owned object `previous` was projected from, would
   * project to what `previous` holds but for its resourceVersion: a Pod's or ReplicaSet's status
   * updates change nothing the engine reads. Cheaper than projecting and comparing.
   */
  sameOwnedVersion(raw: RawObject, previous: KubeObject): boolean {
    const m = raw.metadata;
    const pm = previous.metadata;
    if (!isRecord(m) || pm.ownerReferences === undefined) return false;
    const owners = m['ownerReferences'];
    if (!Array.isArray(owners) || owners.length === 0 || !sameOwnerList(owners, pm.ownerReferences)) return false;
    if (m['generation'] !== pm.generation || m['uid'] !== pm.uid || m['name'] !== pm.name || m['namespace'] !== pm.namespace) return false;
    if ((typeof m['deletionTimestamp'] === 'string' ? m['deletionTimestamp'] : undefined) !== pm.deletionTimestamp) return false;
    if (raw.kind !== previous.kind || raw.apiVersion !== previous.apiVersion) return false;
    if (STATUS_KINDS.has(raw.kind as string)) {
      const facts = this.factsOf(raw);
      const before = previous.statusFacts;
      if (facts === undefined ? before !== undefined : before === undefined || !sameFacts(facts, before)) return false;
    }
    const nodeName = isRecord(raw.spec) ? raw.spec['nodeName'] : undefined;
    const prevNodeName = (previous.spec as { nodeName?: string } | undefined)?.nodeName;
    return typeof nodeName === 'string' ? nodeName === prevNodeName : prevNodeName === undefined;
  }

  /**
   * The status facts of `raw`: read from its status, or, for an object this projection made (a
   * capture's record: status facts and no status), taken as they are, so that projecting a
   * projected object gives it again (replay reads recorded projections through the same function).
   */
  private factsOf(raw: RawObject): StatusFacts | undefined {
    const kind = raw.kind as string;
    if (!STATUS_KINDS.has(kind)) return undefined;
    if (isRecord(raw.status)) return this.statusFacts(kind, raw.status, raw.spec, (raw.metadata as Record<string, unknown>)['managedFields']);
    if (raw.status !== undefined || !isRecord(raw.statusFacts)) return undefined;
    const facts = (kind === 'Pod' ? new PodFactsRecord() : new WorkloadFactsRecord()) as unknown as Record<string, unknown>;
    for (const key in raw.statusFacts) {
      const value = raw.statusFacts[key];
      if (value !== undefined && value !== null && typeof value !== 'object') facts[key] = this.string(value);
    }
    return facts as unknown as StatusFacts;
  }

  /** What the status rules read of `status` (see StatusFacts), per kind. */
  private statusFacts(kind: string, status: Record<string, unknown>, spec: unknown, managedFields: unknown): StatusFacts {
    const facts = (kind === 'Pod' ? new PodFactsRecord() : new WorkloadFactsRecord()) as unknown as StatusFacts;
    facts.manager = this.string(statusManager(managedFields)) as string;
    const conditions = Array.isArray(status['conditions']) ? status['conditions'].filter(isRecord) : [];
    if (kind === 'Pod') {
      const ready = conditions.find((c) => c['type'] === 'Ready');
      if (ready !== undefined) {
        facts.ready = this.string(ready['status']) as string;
        const since = epochSeconds(ready['lastTransitionTime']);
        if (since !== undefined) facts.readySince = since;
      }
      const containers = [status['initContainerStatuses'], status['containerStatuses']].flatMap((list) => (Array.isArray(list) ? list.filter(isRecord) : []));
      let restarts = 0;
      for (const c of containers) if (typeof c['restartCount'] === 'number') restarts += c['restartCount'];
      facts.restarts = restarts;
      if (restarts > 0) {
        const last = newestTermination(containers);
        if (last !== undefined) {
          facts.lastTermination = last.text;
          if (last.at !== undefined) facts.lastTerminationAt = last.at;
        }
      }
      return facts;
    }
    if (kind === 'Job') {
      const outcome = conditions.find((c) => (c['type'] === 'Failed' || c['type'] === 'Complete') && c['status'] === 'True');
      if (outcome !== undefined) this.condition(facts, outcome, String(outcome['type']), outcome['lastTransitionTime']);
      return facts;
    }
    const count = (field: string): number | undefined => (typeof status[field] === 'number' ? status[field] : undefined);
    const desired = kind === 'DaemonSet' ? count('desiredNumberScheduled') : isRecord(spec) && typeof spec['replicas'] === 'number' ? spec['replicas'] : 1;
    const observed = count('observedGeneration');
    if (observed !== undefined) facts.observedGeneration = observed;
    if (desired !== undefined) facts.desired = desired;
    if (kind === 'DaemonSet') {
      facts.current = count('currentNumberScheduled') ?? 0;
      facts.updated = count('updatedNumberScheduled') ?? 0;
      facts.available = count('numberAvailable') ?? 0;
      return facts;
    }
    facts.current = count('replicas') ?? 0;
    facts.updated = count('updatedReplicas') ?? 0;
    facts.available = count('availableReplicas') ?? 0;
    if (kind === 'StatefulSet') facts.revisionsMatch = status['currentRevision'] === status['updateRevision'];
    if (kind === 'Deployment') {
      const progressing = conditions.find((c) => c['type'] === 'Progressing');
      if (progressing !== undefined) this.condition(facts, progressing, String(progressing['reason'] ?? ''), progressing['lastUpdateTime'] ?? progressing['lastTransitionTime']);
    }
    return facts;
  }

  private condition(facts: StatusFacts, condition: Record<string, unknown>, reason: string, time: unknown): void {
    facts.condition = this.string(reason) as string;
    facts.conditionStatus = this.string(condition['status']) as string;
    const at = epochSeconds(time);
    if (at !== undefined) facts.conditionTime = at;
    if (condition['status'] !== 'True' || reason === 'Failed') {
      const message = condition['message'];
      if (typeof message === 'string') facts.conditionMessage = message;
    }
  }

  private string(value: unknown): unknown {
    return typeof value === 'string' ? this.strings.intern(value) : value;
  }

  private ownerList(owners: unknown[], previous: OwnerReference[] | undefined): OwnerReference[] {
    if (previous !== undefined && sameOwnerList(owners as OwnerReference[], previous)) return previous;
    const slim = owners.filter(isRecord).map((owner) => {
      const ref = {} as OwnerReference;
      if (owner['kind'] !== undefined) ref.kind = this.string(owner['kind']) as string;
      if (owner['name'] !== undefined) ref.name = owner['name'] as string;
      if (owner['controller'] !== undefined) ref.controller = owner['controller'] as boolean;
      return ref;
    });
    return this.owners.shared(slim);
  }

  /**
   * What root attribution reads of a managedFields entry. The previous version's entry at the
   * same place is taken whole when it is the same entry, not updated since (same manager,
   * operation, subresource and time).
   */
  private entry(entry: unknown, previous: ManagedFieldsEntry | undefined): ManagedFieldsEntry {
    if (!isRecord(entry)) return entry as ManagedFieldsEntry;
    const e = entry as ManagedFieldsEntry;
    const spec = isRecord(e.fieldsV1) ? e.fieldsV1['f:spec'] : undefined;
    const fields = isRecord(spec) ? this.specFieldsOf(spec) : undefined;
    // The same entry, not updated since: its fields count too, since a write through the scale
    // subresource takes `f:replicas` from the creator's entry without changing that entry's time.
    if (previous !== undefined && e.time !== undefined && e.time === previous.time && e.manager === previous.manager
      && e.operation === previous.operation && e.subresource === previous.subresource && previous.fieldsV1 === fields) return previous;
    const kept = new EntryRecord() as ManagedFieldsEntry;
    if (e.manager !== undefined) kept.manager = this.string(e.manager) as string;
    if (e.operation !== undefined) kept.operation = this.string(e.operation) as string;
    if (e.subresource !== undefined) kept.subresource = this.string(e.subresource) as string;
    if (e.time !== undefined) kept.time = this.string(e.time) as string;
    if (fields !== undefined) kept.fieldsV1 = fields;
    return kept;
  }

  private specFieldsOf(tree: Record<string, unknown>): { 'f:spec': Record<string, unknown> } {
    const key = JSON.stringify(tree);
    let fields = this.specFields.get(key);
    if (fields === undefined) {
      if (this.specFields.size >= MAX_TREES) this.specFields.clear();
      this.specFields.set(key, (fields = { 'f:spec': tree }));
    }
    return fields;
  }

  private nodeSpec(nodeName: string): { nodeName: string } {
    let spec = this.nodeSpecs.get(nodeName);
    if (spec === undefined) {
      if (this.nodeSpecs.size >= MAX_NODE_SPECS) this.nodeSpecs.clear();
      this.nodeSpecs.set(nodeName, (spec = { nodeName }));
    }
    return spec;
  }
}

/**
 * The trace-context annotations of `raw` (§5.13), the previous version's record when they are
 * the same; undefined when there are none.
 */
function traceContextAnnotations(raw: unknown, previous: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!isRecord(raw)) return undefined;
  let kept: Record<string, string> | undefined;
  let count = 0;
  for (const key in raw) {
    const value = raw[key];
    if (typeof value !== 'string' || value.length > MAX_TRACE_CONTEXT_VALUE || !TRACE_CONTEXT_KEY.test(key)) continue;
    (kept ??= {})[key] = value;
    count++;
  }
  if (kept === undefined || previous === undefined) return kept;
  for (const _ in previous) count--;
  for (const key in kept) if (previous[key] !== kept[key]) return kept;
  return count === 0 ? previous : kept;
}

/**
 * `next` with every part equal to the same part of `previous` taken from `previous` (all of
 * `previous` when everything is equal); new containers only along the paths that changed. A new
 * generation's spec mostly repeats the previous one: kept once.
 */
function shareEqual(next: unknown, previous: unknown): unknown {
  if (next === previous) return previous;
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

/** Who wrote the status: the manager of the newest managedFields entry on the status subresource, else of the newest entry. */
function statusManager(entries: unknown): string {
  let best: Record<string, unknown> | undefined;
  let bestStatus = false;
  if (Array.isArray(entries)) {
    for (const e of entries) {
      if (!isRecord(e) || typeof e['manager'] !== 'string') continue;
      const onStatus = e['subresource'] === 'status';
      const newer = best === undefined || String(e['time'] ?? '') > String(best['time'] ?? '');
      if ((onStatus && !bestStatus) || (onStatus === bestStatus && newer)) {
        best = e;
        bestStatus = onStatus;
      }
    }
  }
  return (best?.['manager'] as string | undefined) ?? 'unknown';
}

/** The most recent termination among containers that restarted: what ended it, and when. */
function newestTermination(containers: Array<Record<string, unknown>>): { text: string; at: number | undefined } | undefined {
  let newest: { text: string; at: number | undefined } | undefined;
  for (const c of containers) {
    const terminated = isRecord(c['lastState']) && isRecord(c['lastState']['terminated']) ? c['lastState']['terminated'] : undefined;
    if (!terminated || typeof c['restartCount'] !== 'number' || c['restartCount'] === 0) continue;
    const at = epochSeconds(terminated['finishedAt']);
    if (newest !== undefined && (at ?? -Infinity) <= (newest.at ?? -Infinity)) continue;
    const reason = typeof terminated['reason'] === 'string' ? terminated['reason'] : 'Terminated';
    const exit = typeof terminated['exitCode'] === 'number' ? `, exit code ${terminated['exitCode']}` : '';
    newest = { text: `${String(c['name'] ?? 'container')}: ${reason}${exit}`, at };
  }
  return newest;
}

/** Whether two facts records say the same (they are flat: one level of primitives). */
function sameFacts(a: StatusFacts, b: StatusFacts): boolean {
  let n = 0;
  for (const key in a) {
    n++;
    if ((a as unknown as Record<string, unknown>)[key] !== (b as unknown as Record<string, unknown>)[key]) return false;
  }
  for (const _ in b) n--;
  return n === 0;
}
