/**
 * Span records for events and root spans, with attributes after OpenTelemetry's Kubernetes
 * semantic conventions (docs/design.md §5.7, "Attributes").
 */

import type { EventSource } from './event-facts.js';
import { intern, internMessage } from './intern.js';
import type { Ref } from './refs.js';
import { STATUS_TRANSITION_KIND } from './status-rules.js';
import type { AttributeValue, KubeEvent, KubeObject, SpanLink, SpanRecord } from './types.js';

/**
 * The parts of an event a span needs. Kept instead of the event itself so that a waiting event
 * does not hold on to the whole parsed object (managedFields and all).
 */
export interface EventSpanFacts {
  kind: string;
  namespace: string | undefined;
  name: string | undefined;
  uid: string | undefined;
  apiVersion: string | undefined;
  reason: string | undefined;
  message: string;
  eventUid: string | undefined;
  type: string | undefined;
  /** made from a status transition (§5.10), not from an Event */
  fromStatus: boolean;
}

/**
 * `involved` is the event's involved object as interned by makeRef (same kind, namespace when a
 * non-empty string, and name): its strings, and the uid the object's events last gave, replace
 * the event's fresh copies; repeated short strings and messages are interned (see intern.ts).
 */
export function spanFacts(event: KubeEvent, involved: Ref): EventSpanFacts {
  const io = event.involvedObject;
  if (io.uid && involved.uid !== io.uid) involved.uid = io.uid;
  // One literal with every field (undefined when absent): facts built field by field kept most
  // of their fields in a second, out-of-object array.
  return {
    kind: involved.kind,
    namespace: io.namespace ? (typeof io.namespace === 'string' ? involved.rawNamespace : io.namespace) : undefined,
    name: io.name ? involved.rawName : undefined,
    uid: io.uid ? involved.uid : undefined,
    apiVersion: io.apiVersion ? intern(io.apiVersion) : undefined,
    reason: event.reason ? intern(event.reason) : undefined,
    message: typeof event.message === 'string' ? internMessage(event.message, involved.rawName) : '',
    eventUid: event.metadata?.uid && event.kind !== STATUS_TRANSITION_KIND ? event.metadata.uid : undefined,
    type: event.type ? intern(event.type) : undefined,
    fromStatus: event.kind === STATUS_TRANSITION_KIND,
  };
}

/**
 * A placed span as parents and recent entries refer to it. While the engine holds the span
 * (docs/design.md §5.8), `held` is its draft: a child extends its held ancestors' ends through these
 * links, with no index by span id to keep in step.
 */
export interface SpanHandle {
  readonly traceId: string;
  readonly spanId: string;
  held: SpanDraft | undefined;
}

/**
 * A span the engine still holds (docs/design.md §5.8): its end may still grow, and it is emitted as a
 * SpanRecord only once final. Its name, status and attributes — most of a span's size — are
 * built then, from the facts kept here: a held span lives for seconds (long enough to be copied
 * by every young-generation collection and promoted), while an emitted one goes straight to
 * the exporter. One shape for event and root spans (fields that do not apply are undefined).
 */
export interface SpanDraft {
  /** its own handle (trace and span id) */
  handle: SpanHandle;
  parent: SpanHandle | undefined;
  startTime: number;
  endTime: number;
  sequence: number;
  service: SpanRecord['service'];
  /** event spans: what the event said, its count, the node it happened on */
  facts: EventSpanFacts | undefined;
  count: number | undefined;
  node: string | undefined;
  /** root spans: the object's version, and the operation of the change */
  object: KubeObject | undefined;
  operation: string;
  /** placed under an ancestor's activity, not an action on its own objects (§5.11: may still move) */
  viaAncestor: boolean;
  /** root spans of a rollout (§5.10): held until its generation completes, fails or is superseded */
  open: boolean;
  /** root spans: how its generation's rollout ended, once known */
  outcome: 'complete' | 'failed' | undefined;
  /** root spans: the RolloutFailed message (the root's ERROR status) */
  failure: string | undefined;
  /** root spans: the generation that superseded this one before its rollout ended */
  supersededBy: number | undefined;
  /** spans a generation's trace starts at: links to the previous generation's root and to the change's caller (§5.12, §5.13) */
  links: SpanLink[] | undefined;
  /** a root made the child of the caller's span (`traceContext: parent`, §5.13): that span's id, in another process's trace */
  remoteParent: string | undefined;
  /** set by HeldSpans while it holds the span: its key there, and since when */
  heldKey: string;
  heldAt: number;
}

// `k8s.<kind>.name` / `k8s.<kind>.uid` keys, built once per kind.
const kindKeys = new Map<string, { name: string; uid: string }>();
const MAX_CACHED_KINDS = 256;

function keysForKind(kind: string): { name: string; uid: string } {
  let keys = kindKeys.get(kind);
  if (!keys) {
    const k = kind.toLowerCase();
    keys = { name: `k8s.${k}.name`, uid: `k8s.${k}.uid` };
    if (kindKeys.size < MAX_CACHED_KINDS) kindKeys.set(kind, keys);
  }
  return keys;
}

/**
 * The attributes every span of an object has. The `k8s.<kind>.*` pair is added last (see
 * kindAttributes): added first, it made each kind a branch of its own in V8's object shapes for
 * every later attribute, and attribute building a good part of the engine's time.
 */
function objectAttributes(
  attrs: Record<string, AttributeValue>,
  kind: string,
  namespace: string | undefined,
  name: string | undefined,
  uid: string | undefined,
  apiVersion: string | undefined,
): void {
  if (namespace) attrs['k8s.namespace.name'] = namespace;
  attrs['k8s.object.kind'] = kind;
  if (name) attrs['k8s.object.name'] = name;
  if (uid) attrs['k8s.object.uid'] = uid;
  if (apiVersion) attrs['k8s.object.api_version'] = apiVersion;
}

/** `k8s.<kind>.name` and `k8s.<kind>.uid` (OpenTelemetry's resource-style keys for the involved object). */
function kindAttributes(attrs: Record<string, AttributeValue>, kind: string, name: string | undefined, uid: string | undefined): void {
  const keys = keysForKind(kind);
  if (name) attrs[keys.name] = name;
  if (uid) attrs[keys.uid] = uid;
}

function nodeName(facts: EventSpanFacts, source: EventSource, involvedNode: string | undefined): string | undefined {
  if (facts.kind === 'Node' && facts.name) return facts.name;
  if (source.component === 'kubelet' && source.instance) return source.instance;
  return involvedNode;
}

const UNSET: SpanRecord['status'] = Object.freeze({ code: 'unset' as const });

// One resource identity object per source: spans of the same component share it (bounded).
// Keyed by the source object itself, which event-facts.ts pools (one per component and
// instance): an identity lookup, where a key string joined per span had to be built and hashed.
const services = new Map<EventSource, SpanRecord['service']>();
// Root spans' sources are their managers' names.
const managerServices = new Map<string, SpanRecord['service']>();
const MAX_SERVICES = 4096;

function serviceOf(source: EventSource): SpanRecord['service'] {
  return pooled(services, source, () => (source.instance ? { name: source.component, instance: source.instance } : { name: source.component }));
}

function managerService(manager: string): SpanRecord['service'] {
  return pooled(managerServices, manager, () => ({ name: manager }));
}

function pooled<K>(pool: Map<K, SpanRecord['service']>, key: K, make: () => SpanRecord['service']): SpanRecord['service'] {
  let service = pool.get(key);
  if (!service) {
    service = Object.freeze(make());
    if (pool.size >= MAX_SERVICES) pool.clear();
    pool.set(key, service);
  }
  return service;
}

export interface EventSpanInput {
  facts: EventSpanFacts;
  source: EventSource;
  time: number;
  count: number | undefined;
  handle: SpanHandle;
  parent: SpanHandle | undefined;
  sequence: number;
  /** the involved object's `spec.nodeName` when the event was received (non-empty), if any */
  involvedNode: string | undefined;
}

/** 5.7: start = end = event time (the node is read now: the involved object may change later). */
export function eventSpan(input: EventSpanInput): SpanDraft {
  const { facts, source } = input;
  return {
    handle: input.handle,
    parent: input.parent,
    startTime: input.time,
    endTime: input.time,
    sequence: input.sequence,
    service: serviceOf(source),
    facts,
    count: input.count,
    node: nodeName(facts, source, input.involvedNode),
    object: undefined,
    operation: '',
    viaAncestor: false,
    open: false,
    outcome: undefined,
    failure: undefined,
    supersededBy: undefined,
    links: undefined,
    remoteParent: undefined,
    heldKey: '',
    heldAt: 0,
  };
}

export interface RootSpanInput {
  object: KubeObject;
  manager: string;
  operation: string;
  time: number;
  handle: SpanHandle;
  sequence: number;
  /** a rollout in progress: the root waits for its end (§5.10) */
  open: boolean;
  links: SpanLink[] | undefined;
  remoteParent: string | undefined;
}

/** 5.6: the root span of a change, from the manager that made the generation. */
export function rootSpan(input: RootSpanInput): SpanDraft {
  return {
    handle: input.handle,
    parent: undefined,
    startTime: input.time,
    endTime: input.time,
    sequence: input.sequence,
    service: managerService(input.manager),
    facts: undefined,
    count: undefined,
    node: undefined,
    object: input.object,
    operation: input.operation,
    viaAncestor: false,
    open: input.open,
    outcome: undefined,
    failure: undefined,
    supersededBy: undefined,
    links: input.links,
    remoteParent: input.remoteParent,
    heldKey: '',
    heldAt: 0,
  };
}

/** The final record of a span: event spans `<involvedObject.kind>.<reason>`, ERROR for Warning events; root spans `<Kind>.<operation>`. */
export function emitSpan(draft: SpanDraft): SpanRecord {
  const facts = draft.facts;
  if (facts === undefined) return emitRoot(draft, draft.object!);
  const kind = facts.kind;
  const attributes: Record<string, AttributeValue> = {};
  objectAttributes(attributes, kind, facts.namespace, facts.name, facts.uid, facts.apiVersion);
  if (facts.reason) attributes['k8s.event.reason'] = facts.reason;
  attributes['k8s.event.message'] = facts.message;
  if (facts.eventUid) attributes['k8s.event.uid'] = facts.eventUid;
  if (draft.count !== undefined) attributes['k8s.event.count'] = draft.count;
  if (facts.type) attributes['k8s.event.type'] = facts.type;
  if (facts.fromStatus) attributes['kspan.span.source'] = 'status';
  if (draft.node) attributes['k8s.node.name'] = draft.node;
  kindAttributes(attributes, kind, facts.name, facts.uid);
  const span: Mutable<SpanRecord> = {
    traceId: draft.handle.traceId,
    spanId: draft.handle.spanId,
    name: `${kind}.${facts.reason ?? 'Event'}`,
    startTime: draft.startTime,
    endTime: draft.endTime,
    status: facts.type === 'Warning' ? { code: 'error', message: facts.message || facts.reason || 'Warning' } : UNSET,
    service: draft.service,
    attributes,
    sequence: draft.sequence,
  };
  if (draft.parent) span.parentSpanId = draft.parent.spanId;
  if (draft.links !== undefined) span.links = draft.links;
  return span;
}

function emitRoot(draft: SpanDraft, object: KubeObject): SpanRecord {
  const meta = object.metadata;
  const attributes: Record<string, AttributeValue> = {};
  objectAttributes(attributes, object.kind, meta.namespace, meta.name, meta.uid, object.apiVersion);
  if (typeof meta.generation === 'number') attributes['k8s.object.generation'] = meta.generation;
  if (draft.outcome !== undefined) attributes['kspan.rollout.outcome'] = draft.outcome;
  else if (draft.supersededBy !== undefined) {
    attributes['kspan.rollout.outcome'] = 'superseded';
    attributes['kspan.rollout.superseded_by_generation'] = draft.supersededBy;
  }
  kindAttributes(attributes, object.kind, meta.name, meta.uid);
  const span: Mutable<SpanRecord> = {
    traceId: draft.handle.traceId,
    spanId: draft.handle.spanId,
    name: `${object.kind}.${draft.operation}`,
    startTime: draft.startTime,
    endTime: draft.endTime,
    status: draft.failure !== undefined ? { code: 'error', message: draft.failure } : UNSET,
    service: draft.service,
    attributes,
    sequence: draft.sequence,
  };
  if (draft.remoteParent !== undefined) span.parentSpanId = draft.remoteParent;
  if (draft.links !== undefined) span.links = draft.links;
  return span;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
