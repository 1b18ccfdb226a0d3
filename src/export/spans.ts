/**
 * Span records -> OpenTelemetry ReadableSpans, ready for the OTLP transformer.
 *
 * The transformer neither validates ids (it hex-decodes whatever it gets) nor merges equal
 * resources: it groups spans by Resource *object identity*. So ids are checked here, and one
 * Resource object is shared by every span of the same (service, instance, collector attributes).
 */
import { SpanKind, SpanStatusCode, TraceFlags, type Attributes, type HrTime, type Link, type SpanContext, type SpanStatus } from '@opentelemetry/api';
import { TraceState, type InstrumentationScope } from '@opentelemetry/core';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';
import type { SpanLink, SpanRecord } from '../engine/types.js';
import { spanResourceAttributes } from './resource-attributes.js';

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

export const isValidTraceId = (id: unknown): boolean => typeof id === 'string' && TRACE_ID.test(id) && id !== ZERO_TRACE_ID;
export const isValidSpanId = (id: unknown): boolean => typeof id === 'string' && SPAN_ID.test(id) && id !== ZERO_SPAN_ID;

/** Why a record cannot be exported, or undefined when it can. */
export function invalidRecordReason(record: SpanRecord): string | undefined {
  // Records come from our engine, but a bad one must cost one span, never the exporter.
  if (typeof record !== 'object' || record === null) return 'not a span record';
  if (typeof record.name !== 'string') return 'span name is not a string';
  if (typeof record.service !== 'object' || record.service === null || typeof record.service.name !== 'string') return 'invalid service';
  if (typeof record.status !== 'object' || record.status === null) return 'invalid status';
  if (typeof record.attributes !== 'object' || record.attributes === null) return 'invalid attributes';
  if (!isValidTraceId(record.traceId)) return `invalid trace id ${JSON.stringify(record.traceId)}`;
  if (!isValidSpanId(record.spanId)) return `invalid span id ${JSON.stringify(record.spanId)}`;
  if (record.parentSpanId !== undefined && !isValidSpanId(record.parentSpanId)) {
    return `invalid parent span id ${JSON.stringify(record.parentSpanId)}`;
  }
  if (!Number.isFinite(record.startTime) || record.startTime < 0 || !Number.isFinite(record.endTime) || record.endTime < 0) {
    return 'invalid start or end time';
  }
  if (record.links !== undefined) {
    if (!Array.isArray(record.links)) return 'links is not a list';
    for (const [i, link] of record.links.entries()) {
      const problem = invalidLinkReason(link);
      if (problem !== undefined) return `link ${i}: ${problem}`;
    }
  }
  return undefined;
}

function invalidLinkReason(link: SpanLink): string | undefined {
  if (typeof link !== 'object' || link === null) return 'not a link';
  if (!isValidTraceId(link.traceId)) return `invalid trace id ${JSON.stringify(link.traceId)}`;
  if (!isValidSpanId(link.spanId)) return `invalid span id ${JSON.stringify(link.spanId)}`;
  if (link.traceState !== undefined && typeof link.traceState !== 'string') return 'trace state is not a string';
  if (typeof link.attributes !== 'object' || link.attributes === null) return 'invalid attributes';
  return undefined;
}

/**
 * Milliseconds since the epoch (fractions allowed) -> [seconds, nanoseconds], to the microsecond:
 * a double holding today's epoch milliseconds resolves about 0.25 µs, so finer digits are noise.
 */
export function toHrTime(ms: number): HrTime {
  let seconds = Math.floor(ms / 1000);
  let nanos = Math.round((ms - seconds * 1000) * 1000) * 1000;
  if (nanos >= 1e9) {
    seconds += 1;
    nanos -= 1e9;
  }
  return [seconds, nanos];
}

const SCOPE: InstrumentationScope = { name: 'kspan' };
const NO_LINKS: Link[] = [];
const NO_EVENTS: TimedEvent[] = [];

/**
 * A record's link as the OTLP transformer reads it: Span.Link's trace_id, span_id, trace_state
 * (serialized from the context's TraceState) and attributes. The contract carries no trace flags,
 * so every link says sampled, as every span kspan exports is.
 */
function toLink(link: SpanLink): Link {
  const context: SpanContext = { traceId: link.traceId, spanId: link.spanId, traceFlags: TraceFlags.SAMPLED };
  if (link.traceState !== undefined && link.traceState !== '') context.traceState = new TraceState(link.traceState);
  return { context, attributes: link.attributes };
}

class RecordSpan implements ReadableSpan {
  readonly kind = SpanKind.INTERNAL;
  readonly links: Link[];
  readonly events = NO_EVENTS;
  readonly ended = true;
  readonly instrumentationScope = SCOPE;
  readonly droppedAttributesCount = 0;
  readonly droppedEventsCount = 0;
  readonly droppedLinksCount = 0;
  readonly name: string;
  readonly startTime: HrTime;
  readonly endTime: HrTime;
  readonly duration: HrTime;
  readonly status: SpanStatus;
  readonly attributes: Attributes;
  readonly parentSpanContext?: SpanContext;
  private readonly context: SpanContext;

  constructor(record: SpanRecord, readonly resource: Resource) {
    this.name = record.name;
    const end = Math.max(record.endTime, record.startTime);
    this.startTime = toHrTime(record.startTime);
    this.endTime = toHrTime(end);
    this.duration = toHrTime(end - record.startTime);
    this.status = record.status.code === 'error'
      ? { code: SpanStatusCode.ERROR, ...(record.status.message === undefined ? {} : { message: record.status.message }) }
      : { code: SpanStatusCode.UNSET };
    this.attributes = record.attributes;
    this.links = record.links === undefined || record.links.length === 0 ? NO_LINKS : record.links.map(toLink);
    this.context = { traceId: record.traceId, spanId: record.spanId, traceFlags: TraceFlags.SAMPLED };
    if (record.parentSpanId !== undefined) {
      this.parentSpanContext = { traceId: record.traceId, spanId: record.parentSpanId, traceFlags: TraceFlags.SAMPLED };
    }
  }

  spanContext(): SpanContext {
    return this.context;
  }
}

/**
 * One Resource per (service.name, service.instance.id) under the collector's resourceAttributes
 * and the cluster's uid (spanResourceAttributes says which wins).
 * Bounded: past `maxEntries` distinct services the cache starts over (spans already built keep
 * their Resource; only grouping across the reset boundary is lost).
 */
export class ResourceCache {
  private readonly cache = new Map<string, Resource>();

  constructor(
    private readonly collectorAttributes: Readonly<Record<string, string>>,
    private readonly maxEntries = 1000,
    private readonly clusterUid?: string,
  ) {}

  get(service: SpanRecord['service']): Resource {
    // \u0000 cannot occur in a Kubernetes component name or instance.
    const key = `${service.name}\u0000${service.instance ?? ''}`;
    let resource = this.cache.get(key);
    if (!resource) {
      if (this.cache.size >= this.maxEntries) this.cache.clear();
      resource = resourceFromAttributes(spanResourceAttributes(service, this.collectorAttributes, this.clusterUid));
      this.cache.set(key, resource);
    }
    return resource;
  }

  get size(): number {
    return this.cache.size;
  }
}

/** A valid record (see invalidRecordReason) -> a ReadableSpan with our ids. */
export function toReadableSpan(record: SpanRecord, resources: ResourceCache): ReadableSpan {
  return new RecordSpan(record, resources.get(record.service));
}
