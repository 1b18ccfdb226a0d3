/**
 * W3C trace context carried by the object whose generation starts a trace (docs/design.md §5.13,
 * KEP-5915): `tracing.k8s.io/traceparent` and `tracing.k8s.io/tracestate`, or the keys other tools
 * use (`tekton.dev/deliveryTraceparent`, Keptn's pod-template `traceparent`).
 */

import { isRecord } from '../core/records.js';
import type { KubeObject } from './types.js';

export const DEFAULT_TRACE_CONTEXT_ANNOTATIONS: readonly string[] = ['tracing.k8s.io/traceparent'];

/**
 * Annotation keys the projection keeps (§2.2): a trace context's, whose name ends in `traceparent`
 * or `tracestate` (any case). One rule for every TraceCollector sharing a cache; the schema only
 * accepts `traceContextAnnotations` that end in `traceparent`, so every configured key is kept.
 */
export const TRACE_CONTEXT_KEY = /(?:traceparent|tracestate)$/i;

/** Longer values are no trace context (a tracestate is at most 512 characters): not kept. */
export const MAX_TRACE_CONTEXT_VALUE = 1024;

export interface TraceContext {
  traceId: string;
  spanId: string;
  traceState?: string;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/** A W3C traceparent (version 00 exactly, later versions by their first four fields), or undefined. */
export function parseTraceparent(value: string): TraceContext | undefined {
  const m = TRACEPARENT.exec(value.trim());
  if (m === null) return undefined;
  const [, version, traceId, spanId, , rest] = m;
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId: traceId!, spanId: spanId! };
}

/** What a generation's object says of the change's caller. */
export type TriggerContext = { context: TraceContext } | { invalid: { key: string; value: string } } | undefined;

/** The tracestate key that goes with a traceparent key: `tracing.k8s.io/tracestate`, `tekton.dev/deliveryTracestate`. */
function stateKey(key: string): string {
  return key.replace(/traceparent$/, 'tracestate').replace(/Traceparent$/, 'Tracestate').replace(/TRACEPARENT$/, 'TRACESTATE');
}

/** An annotation of the object, else of its pod template (where Keptn puts it). */
function annotation(obj: KubeObject | undefined, key: string): string | undefined {
  const own = obj?.metadata.annotations?.[key];
  if (typeof own === 'string') return own;
  const spec = obj?.spec;
  const template = isRecord(spec) && isRecord(spec['template']) ? spec['template'] : undefined;
  const annotations = template !== undefined && isRecord(template['metadata']) ? template['metadata']['annotations'] : undefined;
  const value = isRecord(annotations) ? annotations[key] : undefined;
  return typeof value === 'string' ? value : undefined;
}

/**
 * The trace context set or changed with `obj`'s generation: the first of `keys` the object
 * carries, unless the previous generation's version carried the same value (left over, not this
 * change's). Without that version only a first generation can tell that it was set with it.
 */
export function triggerContext(obj: KubeObject, previous: KubeObject | undefined, keys: readonly string[]): TriggerContext {
  for (const key of keys) {
    const value = annotation(obj, key);
    if (value === undefined) continue;
    if (previous !== undefined ? annotation(previous, key) === value : obj.metadata.generation !== 1) return undefined;
    const context = parseTraceparent(value);
    if (context === undefined) return { invalid: { key, value } };
    const state = annotation(obj, stateKey(key));
    if (state !== undefined && state !== '') context.traceState = state;
    return { context };
  }
  return undefined;
}
