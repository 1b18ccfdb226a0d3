/** Small builders for realistic Kubernetes objects and Events in engine tests. */

import { Correlator } from '../../src/engine/correlator.js';
import { engineConfigFromSpec } from '../../src/engine/config.js';
import type { EngineConfig, KubeEvent, KubeObject, ManagedFieldsEntry, SpanRecord } from '../../src/engine/types.js';
import { MemoryObjectLookup } from '../../src/replay/object-lookup.js';

export const T0 = Date.parse('2026-03-10T14:00:00Z');
/** RFC 3339, second granularity, `s` seconds after T0 (whole seconds only) */
export const sec = (s: number): string => new Date(T0 + Math.floor(s) * 1000).toISOString().replace('.000Z', 'Z');
/** RFC 3339 with microseconds */
export const micro = (s: number): string => new Date(T0 + s * 1000).toISOString().replace('Z', '000Z');
export const at = (s: number): number => T0 + s * 1000;

export interface ObjOptions {
  ns?: string;
  gen?: number;
  owner?: [kind: string, name: string];
  managedFields?: ManagedFieldsEntry[];
  spec?: unknown;
  uid?: string;
  apiVersion?: string;
}

export function obj(kind: string, name: string, o: ObjOptions = {}): KubeObject {
  const meta: KubeObject['metadata'] = { name, namespace: o.ns ?? 'default', uid: o.uid ?? `uid-${kind}-${name}` };
  if (o.gen !== undefined) meta.generation = o.gen;
  if (o.owner) meta.ownerReferences = [{ apiVersion: 'apps/v1', kind: o.owner[0], name: o.owner[1], uid: `uid-${o.owner[0]}-${o.owner[1]}`, controller: true }];
  if (o.managedFields) meta.managedFields = o.managedFields;
  const result: KubeObject = { apiVersion: o.apiVersion ?? (kind === 'Pod' ? 'v1' : 'apps/v1'), kind, metadata: meta };
  if (o.spec !== undefined) result.spec = o.spec;
  return result;
}

export function specEntry(manager: string, time: string | undefined, fields: Record<string, unknown> = { 'f:replicas': {} }, extra: Partial<ManagedFieldsEntry> = {}): ManagedFieldsEntry {
  const e: ManagedFieldsEntry = { manager, operation: 'Update', apiVersion: 'apps/v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': fields }, ...extra };
  if (time !== undefined) e.time = time;
  return e;
}

let eventCounter = 0;

export interface EvOptions {
  ns?: string;
  reason?: string;
  message?: string;
  component?: string;
  host?: string;
  reporting?: string;
  reportingInstance?: string;
  /** seconds after T0 for lastTimestamp (second granularity) */
  last?: number;
  eventTime?: string;
  count?: number;
  seriesCount?: number;
  type?: 'Normal' | 'Warning';
  uid?: string;
  annotations?: Record<string, string>;
}

export function ev(kind: string, name: string, o: EvOptions = {}): KubeEvent {
  eventCounter++;
  const e: KubeEvent = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${name}.${eventCounter.toString(16)}`, namespace: o.ns ?? 'default', uid: o.uid ?? `ev-${eventCounter}` },
    involvedObject: { apiVersion: kind === 'Pod' ? 'v1' : 'apps/v1', kind, name, namespace: o.ns ?? 'default', uid: `uid-${kind}-${name}` },
    reason: o.reason ?? 'Something',
    message: o.message ?? '',
    type: o.type ?? 'Normal',
  };
  if (o.annotations) e.metadata.annotations = o.annotations;
  if (o.reporting !== undefined) {
    e.source = {};
    e.reportingComponent = o.reporting;
    e.reportingInstance = o.reportingInstance ?? `${o.reporting}-control-plane`;
    e.eventTime = o.eventTime ?? micro(o.last ?? 0);
    if (o.seriesCount !== undefined) e.series = { count: o.seriesCount };
  } else {
    e.source = o.host ? { component: o.component ?? 'kubelet', host: o.host } : { component: o.component ?? 'kubelet' };
    e.count = o.count ?? 1;
    e.firstTimestamp = sec(o.last ?? 0);
    e.lastTimestamp = sec(o.last ?? 0);
  }
  return e;
}

export interface Harness {
  lookup: MemoryObjectLookup;
  correlator: Correlator;
  spans: SpanRecord[];
  put(...objects: KubeObject[]): void;
  /** puts an object into the lookup at T0 + seconds and tells the correlator, as a cache watch does */
  arrive(object: KubeObject, seconds: number): SpanRecord[];
  /** adds an event received at T0 + seconds (its lastTimestamp defaults to the same second) */
  add(event: KubeEvent, seconds: number): SpanRecord[];
  tick(seconds: number): SpanRecord[];
  flush(seconds: number): SpanRecord[];
  byMessage(message: string): SpanRecord;
  parentOf(message: string): SpanRecord | undefined;
}

export function harness(config: EngineConfig = engineConfigFromSpec()): Harness {
  const lookup = new MemoryObjectLookup();
  const correlator = new Correlator(config, lookup);
  const spans: SpanRecord[] = [];
  const keep = (out: SpanRecord[]): SpanRecord[] => {
    spans.push(...out);
    return out;
  };
  const h: Harness = {
    lookup,
    correlator,
    spans,
    put: (...objects) => objects.forEach((o) => lookup.put(o)),
    arrive: (object, seconds) => {
      const version = lookup.record(object);
      return keep(version ? correlator.objectChanged(version.current, at(seconds), version.previous) : []);
    },
    add: (event, seconds) => keep(correlator.addEvent(event, at(seconds))),
    tick: (seconds) => keep(correlator.tick(at(seconds))),
    flush: (seconds) => keep(correlator.flush(at(seconds))),
    byMessage(message) {
      const found = spans.filter((s) => s.attributes['k8s.event.message'] === message);
      if (found.length !== 1) throw new Error(`expected one span with message '${message}', found ${found.length}`);
      return found[0]!;
    },
    parentOf(message) {
      const span = h.byMessage(message);
      return spans.find((s) => s.spanId === span.parentSpanId && s.traceId === span.traceId);
    },
  };
  return h;
}

/** A Deployment `web` (gen) with one ReplicaSet and Pods, as kubectl apply leaves them. */
export function rollout(h: Harness, opts: { gen?: number; rs?: string; pods?: string[]; rsGen?: number } = {}): void {
  const gen = opts.gen ?? 1;
  const rs = opts.rs ?? 'web-5d4f8c7b9';
  h.put(
    obj('Deployment', 'web', { gen, managedFields: [specEntry('kubectl-client-side-apply', sec(0))] }),
    obj('ReplicaSet', rs, { gen: opts.rsGen ?? 1, owner: ['Deployment', 'web'] }),
    ...(opts.pods ?? [`${rs}-abcde`]).map((p) => obj('Pod', p, { owner: ['ReplicaSet', rs] })),
  );
}
