/**
 * Export checkpoints (docs/design.md §4.8): what a pipeline has delivered, in a form small enough
 * for the TraceCollector's status, so that whoever runs the collector next (a new leader, the
 * same replica restarted) replays the Events still in the API and exports only what this one
 * did not. Pure: the pipeline decides when to write, the composition root where.
 *
 * Span ids are deterministic (an event's span id comes from its uid and count, a root's from its
 * object and generation), which is what lets two processes agree on "this span" without sharing
 * anything else. An Event's span is accounted for by the Event's place in its watch: every Event
 * of a namespace up to `eventsRead[namespace]` (a resourceVersion; a watch delivers in that order)
 * was read, and the spans of those read were delivered, except those in `unexported`. The spans
 * that are not an Event's (roots, status transitions) are accounted for by time: those that start
 * before `watermark` were delivered, except those in `unexported`; of those that start at or
 * after it, the ones in `exportedAfter` were. An Event posted late, with an old timestamp, has a
 * new resourceVersion: it is never taken for one its predecessor read.
 */

import type { SpanRecord } from '../engine/types.js';

/** The decoded checkpoint. Times are milliseconds since the epoch. */
export interface Checkpoint {
  watermark: number;
  /** per namespace, the resourceVersion of the newest Event read from its watch */
  eventsRead: ReadonlyMap<string, number>;
  /** spans delivered that are not an Event's and start at or after the watermark */
  exportedAfter: ReadonlySet<string>;
  /** spans not delivered (held, waiting, or queued): of Events read, or others that start before the watermark */
  unexported: ReadonlySet<string>;
  writtenAt: number;
}

/** The form kept in `status.checkpoint`: ids packed 8 bytes each, base64. */
export interface CheckpointRecord {
  watermark: string;
  eventsRead: Record<string, string>;
  exportedAfter: string;
  unexported: string;
  writtenAt: string;
}

export type DecodedCheckpoint = { ok: true; checkpoint: Checkpoint } | { ok: false; problem: string };

/** Where an Event's span comes from: the Event's namespace and resourceVersion. */
export interface EventOrigin {
  namespace: string;
  resourceVersion: number;
}

/**
 * Whether the successor of the pipeline that wrote `checkpoint` must not export `span` again;
 * `origin` is the Event the span is of, when it is an Event's.
 */
export function alreadyExported(checkpoint: Checkpoint, span: Pick<SpanRecord, 'spanId' | 'startTime'>, origin: EventOrigin | undefined): boolean {
  if (checkpoint.unexported.has(span.spanId)) return false;
  if (origin !== undefined) {
    const read = checkpoint.eventsRead.get(origin.namespace);
    return read !== undefined && origin.resourceVersion <= read;
  }
  return span.startTime < checkpoint.watermark || checkpoint.exportedAfter.has(span.spanId);
}

/** A resourceVersion as a number, when it is one (they are etcd revisions, but opaque by contract). */
export function revision(resourceVersion: string | undefined): number | undefined {
  if (resourceVersion === undefined || !/^[0-9]{1,15}$/.test(resourceVersion)) return undefined;
  return Number(resourceVersion);
}

export function encodeCheckpoint(checkpoint: Checkpoint): CheckpointRecord {
  return {
    watermark: new Date(Math.floor(checkpoint.watermark)).toISOString(),
    eventsRead: Object.fromEntries([...checkpoint.eventsRead].map(([namespace, rv]) => [namespace, String(rv)])),
    exportedAfter: packIds(checkpoint.exportedAfter),
    unexported: packIds(checkpoint.unexported),
    writtenAt: new Date(Math.floor(checkpoint.writtenAt)).toISOString(),
  };
}

/** The checkpoint in `raw` (a status field as the API returned it), or what is wrong with it. */
export function decodeCheckpoint(raw: unknown): DecodedCheckpoint {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, problem: 'not an object' };
  const r = raw as Record<string, unknown>;
  const watermark = timeField(r, 'watermark');
  if (typeof watermark === 'string') return { ok: false, problem: watermark };
  const writtenAt = timeField(r, 'writtenAt');
  if (typeof writtenAt === 'string') return { ok: false, problem: writtenAt };
  const exportedAfter = unpackIds(r['exportedAfter'], 'exportedAfter');
  if (typeof exportedAfter === 'string') return { ok: false, problem: exportedAfter };
  const unexported = unpackIds(r['unexported'], 'unexported');
  if (typeof unexported === 'string') return { ok: false, problem: unexported };
  if (writtenAt.ms < watermark.ms) return { ok: false, problem: 'writtenAt is before watermark' };
  const eventsRead = readRevisions(r['eventsRead']);
  if (typeof eventsRead === 'string') return { ok: false, problem: eventsRead };
  return { ok: true, checkpoint: { watermark: watermark.ms, eventsRead, writtenAt: writtenAt.ms, exportedAfter, unexported } };
}

function readRevisions(value: unknown): Map<string, number> | string {
  const out = new Map<string, number>();
  if (value === undefined) return out;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'eventsRead is not a map of namespaces to resourceVersions';
  for (const [namespace, rv] of Object.entries(value as Record<string, unknown>)) {
    const n = typeof rv === 'string' ? revision(rv) : undefined;
    if (n === undefined) return `eventsRead[${JSON.stringify(namespace)}] is not a resourceVersion`;
    out.set(namespace, n);
  }
  return out;
}

function timeField(r: Record<string, unknown>, name: string): { ms: number } | string {
  const value = r[name];
  if (typeof value !== 'string') return `${name} is missing`;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? `${name} is not a time: ${JSON.stringify(value.slice(0, 40))}` : { ms };
}

const ID_BYTES = 8;
const SPAN_ID = /^[0-9a-f]{16}$/;

function packIds(ids: ReadonlySet<string>): string {
  const buffer = Buffer.alloc(ids.size * ID_BYTES);
  let offset = 0;
  for (const id of ids) {
    buffer.write(id, offset, ID_BYTES, 'hex');
    offset += ID_BYTES;
  }
  return buffer.toString('base64');
}

function unpackIds(value: unknown, name: string): Set<string> | string {
  if (value === undefined || value === '') return new Set();
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) return `${name} is not base64`;
  const buffer = Buffer.from(value, 'base64');
  if (buffer.length % ID_BYTES !== 0) return `${name} is not a list of 8-byte span ids (${buffer.length} bytes)`;
  const ids = new Set<string>();
  for (let offset = 0; offset < buffer.length; offset += ID_BYTES) {
    const id = buffer.toString('hex', offset, offset + ID_BYTES);
    if (!SPAN_ID.test(id) || id === '0000000000000000') return `${name} holds an invalid span id`;
    ids.add(id);
  }
  return ids;
}

/** Event span ids remembered at most, read and not yet delivered (an Event that makes no span is forgotten in time). */
const MAX_EVENT_SPANS = 200_000;

/**
 * The writer's account of what it delivered: which span ids are Events' (read, not delivered
 * yet), and the other spans whose start is recent enough to fall at or after the next watermark.
 * Older ones need no record: the watermark covers them.
 */
export class DeliveryLedger {
  private readonly recent = new Map<string, number>();
  private readonly eventSpans = new Set<string>();

  /** The span an Event read will have: accounted for by the Event, not by time. */
  eventRead(spanId: string): void {
    this.eventSpans.add(spanId);
    // Forgotten, an Event's span counts as another span: listed when delivered, which costs room only.
    if (this.eventSpans.size > MAX_EVENT_SPANS) this.eventSpans.delete(this.eventSpans.values().next().value!);
  }

  /** Spans the endpoint accepted (or the exporter gave up on: they are not sent again either). */
  delivered(spans: readonly SpanRecord[]): void {
    for (const span of spans) {
      if (!this.eventSpans.delete(span.spanId)) this.recent.set(span.spanId, span.startTime);
    }
  }

  /**
   * The checkpoint at `now`, listing at most `maxIds` ids. The watermark lies `lateAllowanceMs`
   * back, so that an event reaching us up to that late (its own clock behind, or slow to be
   * written) is still exported by a successor; `undelivered` visits everything not delivered yet.
   * A busy pipeline can have more to list than fits, and then gives up duplicates, never spans:
   * - every undelivered span of an Event read must be listed: when they do not fit, no checkpoint
   *   (undefined): the last one stands, still true, only older;
   * - every other undelivered span before the watermark must be listed, else a successor would
   *   take it for delivered: when they are more than half the room left, the watermark moves back
   *   to where they fit (what is undelivered after it needs no mention);
   * - a delivered span left out of `exportedAfter` is only sent again: when they do not fit, the
   *   ones that start first are left out (`leftOut` counts them).
   */
  checkpoint(
    now: number,
    lateAllowanceMs: number,
    maxIds: number,
    eventsRead: ReadonlyMap<string, number>,
    undelivered: (visit: (spanId: string, startTime: number) => void) => void,
  ): (Checkpoint & { leftOut: number }) | undefined {
    const unexported = new Set<string>();
    const pending: Array<[string, number]> = [];
    undelivered((id, start) => {
      if (this.eventSpans.has(id)) unexported.add(id);
      else pending.push([id, start]);
    });
    if (unexported.size > maxIds) return undefined;
    let watermark = now - lateAllowanceMs;
    const listable = Math.floor((maxIds - unexported.size) / 2);
    if (pending.length > listable) {
      pending.sort((a, b) => a[1] - b[1]);
      watermark = Math.min(watermark, pending[listable]![1]);
    }
    for (const [id, start] of pending) if (start < watermark) unexported.add(id);
    const delivered: Array<[string, number]> = [];
    for (const [id, start] of this.recent) {
      if (start < watermark) this.recent.delete(id);
      else delivered.push([id, start]);
    }
    const room = maxIds - unexported.size;
    const leftOut = Math.max(0, delivered.length - room);
    if (leftOut > 0) delivered.sort((a, b) => a[1] - b[1]);
    const exportedAfter = new Set<string>();
    for (let i = leftOut; i < delivered.length; i++) exportedAfter.add(delivered[i]![0]);
    return { watermark, eventsRead: new Map(eventsRead), exportedAfter, unexported, writtenAt: now, leftOut };
  }
}
