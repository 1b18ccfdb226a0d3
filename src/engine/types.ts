/**
 * The engine's public contract: what goes in (events, object lookups, a clock value),
 * what comes out (span records). Plain data only — no Kubernetes or OpenTelemetry types —
 * so that the live pipeline and `kspan replay` drive exactly the same code.
 *
 * Times are milliseconds since the Unix epoch (fractions carry micro- and nanoseconds).
 */

import type { OwnerKindRule } from '../api/types.js';

export interface OwnerReference {
  apiVersion?: string;
  kind: string;
  name: string;
  uid?: string;
  controller?: boolean;
}

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  /** absent for some updates, e.g. through the scale subresource */
  time?: string;
  fieldsType?: string;
  fieldsV1?: unknown;
  subresource?: string;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  creationTimestamp?: string;
  /** the projection's form of creationTimestamp: whole seconds since the Unix epoch (§5.11) */
  createdAt?: number;
  deletionTimestamp?: string;
  ownerReferences?: OwnerReference[];
  managedFields?: ManagedFieldsEntry[];
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
}

/** Any Kubernetes object, as far as the engine cares (metadata, and spec for root-span attribution). */
export interface KubeObject {
  apiVersion?: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: unknown;
  /** what the status rules read of its status (docs/design.md §5.10), as projected; never the raw status */
  statusFacts?: StatusFacts;
}

/**
 * The few status facts the status rules read (docs/design.md §5.10), per kind: a Pod's readiness
 * and restarts, a workload's rollout counters, a Job's outcome. Times are whole seconds since the
 * Unix epoch (the API server writes them to the second): a number costs no string per object.
 */
export interface StatusFacts {
  /** the manager of the newest managedFields entry on the status subresource: who wrote this status */
  manager: string;
  /** Pod: the Ready condition's status ('True', 'False', 'Unknown') and its lastTransitionTime */
  ready?: string;
  readySince?: number;
  /** Pod: the containers' restartCount, summed */
  restarts?: number;
  /** Pod: the newest termination of a container that restarted ("app: OOMKilled, exit code 137"), and when */
  lastTermination?: string;
  lastTerminationAt?: number;
  /** Deployment, StatefulSet, DaemonSet: the generation the status describes, and the replica counts */
  observedGeneration?: number;
  desired?: number;
  current?: number;
  updated?: number;
  available?: number;
  /** StatefulSet: currentRevision === updateRevision */
  revisionsMatch?: boolean;
  /**
   * Deployment: its Progressing condition (reason, lastUpdateTime, message when False);
   * Job: its Complete or Failed condition (type as `reason`, lastTransitionTime, message)
   */
  condition?: string;
  conditionStatus?: string;
  conditionTime?: number;
  conditionMessage?: string;
}

export interface ObjectReference {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  resourceVersion?: string;
  fieldPath?: string;
}

/** A core/v1 Event as a watch returns it (events.k8s.io fields included where core/v1 carries them). */
export interface KubeEvent {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  involvedObject: ObjectReference;
  reason?: string;
  message?: string;
  source?: { component?: string; host?: string };
  reportingComponent?: string;
  reportingInstance?: string;
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  eventTime?: string | null;
  count?: number;
  series?: { count?: number; lastObservedTime?: string };
  type?: string;
  action?: string;
  related?: ObjectReference;
}

/** (kind, namespace, name) with namespace and name lowercased; namespace '' for cluster-scoped objects. */
export interface ObjectRef {
  kind: string;
  namespace: string;
  name: string;
}

/**
 * Where the engine reads objects. The live pipeline serves it from watch-fed caches, replay from
 * the capture's object records. Must answer for objects already deleted where they were seen.
 * An object it returned must not be changed in place afterwards (a change is a new object): the
 * engine remembers what it derived from each object (its owner references) by identity.
 */
export interface ObjectLookup {
  /** The newest version seen of the object, or undefined when it was never seen. */
  get(ref: ObjectRef): KubeObject | undefined;
  /**
   * The newest version seen whose generation is lower than `generation`, when one was seen.
   * Used to find which managedFields entry changed the spec; optional because a metadata-only
   * cache cannot answer it.
   */
  previousGeneration?(ref: ObjectRef, generation: number): KubeObject | undefined;
}

export interface EngineConfig {
  /** how long an event may wait for its parent before the owner walk (default 5 s) */
  recentWindowMs: number;
  /** how long a recent action is remembered after its last use (default 5 min) */
  expireAfterMs: number;
  /** cap on waiting events; beyond it the oldest are resolved or dropped and counted */
  maxPendingEvents: number;
  /** user rules, tried before the built-in ones */
  ownerKindRules: readonly OwnerKindRule[];
  /** status transitions become spans (docs/design.md §5.10); default true */
  statusTransitions?: boolean;
  /** §5.13: a root links to the W3C trace context its object carries (default), or is its child */
  traceContext?: 'link' | 'parent';
  /** §5.13: the annotations that carry it, tried in order (default [tracing.k8s.io/traceparent]) */
  traceContextAnnotations?: readonly string[];
}

export type AttributeValue = string | number | boolean;

export interface SpanRecord {
  /** 32 lowercase hex characters, not all zero */
  traceId: string;
  /** 16 lowercase hex characters, not all zero */
  spanId: string;
  parentSpanId?: string;
  /** `<Kind>.<reason>` for event spans, `<Kind>.<operation>` for root spans */
  name: string;
  startTime: number;
  endTime: number;
  status: { code: 'unset' | 'error'; message?: string };
  /** resource identity: service.name = source component, service.instance.id = instance */
  service: { name: string; instance?: string };
  attributes: Readonly<Record<string, AttributeValue>>;
  /** arrival order of the event that made the span (ties in start time sort by it) */
  sequence: number;
  /** OTLP span links: to the previous generation's root, to a trigger's W3C trace context */
  links?: readonly SpanLink[];
}

/** A link from a span to another span, possibly of another trace (OTLP Span.Link). */
export interface SpanLink {
  /** 32 lowercase hex characters */
  traceId: string;
  /** 16 lowercase hex characters */
  spanId: string;
  /** the W3C tracestate carried with the linked context, when there was one */
  traceState?: string;
  attributes: Readonly<Record<string, AttributeValue>>;
}

/** §5.13: a malformed trace context, reported once per object for the pipeline to log. */
export interface TraceContextNotice {
  kind: string;
  namespace: string | undefined;
  name: string;
  uid: string | undefined;
  generation: number | undefined;
  annotation: string;
  value: string;
}

export interface EngineStats {
  eventsReceived: number;
  eventsUnresolved: number;
  /**
   * pending events given up on early because maxPendingEvents was reached: placed by the give-up
   * walk like the others (never dropped), but before their window ended
   */
  pendingOverflow: number;
  tracesStarted: number;
  /** span records returned by addEvent/tick/flush (final spans, ready to export) */
  spansEmitted: number;
  /** status transitions made into spans (docs/design.md §5.10) */
  statusSpans: number;
  /** §5.11: events placed under the action that made their object after waiting for it (an ancestor's activity was there first, or their window ended) */
  ownParentsAwaited: number;
  /** §5.11: events that waited for the action that made their object in vain, placed under an ancestor */
  underAncestor: number;
  /** §5.13: trace-context annotations that were no W3C traceparent, ignored (each object's first is in traceContextNotices) */
  traceContextsInvalid: number;
  pendingEvents: number;
  recentEntries: number;
  heldSpans: number;
}
