/**
 * Export checkpoints (docs/design.md §4.8): what a pipeline has delivered, in a form small enough
 * for the TraceCollector's status, so that whoever runs the collector next (a new leader, the
 * same replica restarted) replays the Events still in the API and exports only what this one
 * did not. Pure: the pipeline decides when to write, the composition root where.
 *
 * Span ids are deterministic (an event's span id comes from its uid and count, a root's from its
 * object and generation), and so are span start times (from the events' own timestamps), which
 * is what lets two processes agree on "this span" without sharing anything else. The checkpoint
 * says: every span that starts before `watermark` was delivered, except those in `unexported`;
 * of the spans that start at or after it, those in `exportedAfter` were.
 */

import type { SpanRecord } from '../engine/types.js';

/** The decoded checkpoint. Times are milliseconds since the epoch. */
export interface Checkpoint {
  watermark: number;
  /** spans delivered whose start is at or after the watermark */
  exportedAfter: ReadonlySet<string>;
  /** spans that start before the watermark and were not delivered: held, waiting, or queued */
  unexported: ReadonlySet<string>;
  writtenAt: number;
}

/** The form kept in `status.checkpoint`: ids packed 8 bytes each, base64. */
export interface CheckpointRecord {
  watermark: string;
  exportedAfter: string;
  unexported: string;
  writtenAt: string;
}

export type DecodedCheckpoint = { ok: true; checkpoint: Checkpoint } | { ok: false; problem: string };

/** Whether the successor of the pipeline that wrote `checkpoint` must not export `span` again. */
export function alreadyExported(checkpoint: Checkpoint, span: Pick<SpanRecord, 'spanId' | 'startTime'>): boolean {
  if (checkpoint.unexported.has(span.spanId)) return false;
  return span.startTime < checkpoint.watermark || checkpoint.exportedAfter.has(span.spanId);
}

export function encodeCheckpoint(checkpoint: Checkpoint): CheckpointRecord {
  return {
    watermark: new Date(Math.floor(checkpoint.watermark)).toISOString(),
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
  return { ok: true, checkpoint: { watermark: watermark.ms, writtenAt: writtenAt.ms, exportedAfter, unexported } };
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

/**
 * The writer's account of what it delivered: the spans whose start is recent enough to fall at
 * or after the next watermark. Older ones need no record: the watermark covers them.
 */
export class DeliveryLedger {
  private readonly recent = new Map<string, number>();

  /** Spans the endpoint accepted (or the exporter gave up on: they are not sent again either). */
  delivered(spans: readonly SpanRecord[]): void {
    for (const span of spans) this.recent.set(span.spanId, span.startTime);
  }

  /**
   * The checkpoint at `now`, listing at most `maxIds` ids. The watermark lies `lateAllowanceMs`
   * back, so that an event reaching us up to that late (its own clock behind, or slow to be
   * written) is still exported by a successor; `undelivered` visits everything not delivered yet.
   * A busy pipeline can have more to list than fits, and then gives up duplicates, never spans:
   * - every undelivered span before the watermark must be listed, else a successor would take it
   *   for delivered: when they are more than half the ids, the watermark moves back to where they
   *   fit (what is undelivered after it needs no mention);
   * - a delivered span left out of `exportedAfter` is only sent again: when they do not fit, the
   *   ones that start first are left out (`leftOut` counts them).
   */
  checkpoint(now: number, lateAllowanceMs: number, maxIds: number, undelivered: (visit: (spanId: string, startTime: number) => void) => void): Checkpoint & { leftOut: number } {
    const pending: Array<[string, number]> = [];
    undelivered((id, start) => pending.push([id, start]));
    let watermark = now - lateAllowanceMs;
    const listable = Math.floor(maxIds / 2);
    if (pending.length > listable) {
      pending.sort((a, b) => a[1] - b[1]);
      watermark = Math.min(watermark, pending[listable]![1]);
    }
    const unexported = new Set<string>();
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
    return { watermark, exportedAfter, unexported, writtenAt: now, leftOut };
  }
}
