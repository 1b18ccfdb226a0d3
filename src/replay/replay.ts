/**
 * Drives the real Correlator over capture records on simulated time: the same tick schedule as
 * the live pipeline, advanced by the records' `at` (docs/design.md §6), and a flush at the end.
 */

import { Correlator } from '../engine/correlator.js';
import { tickIntervalMs } from '../engine/config.js';
import { TickSchedule } from '../engine/schedule.js';
import type { EngineConfig, EngineStats, SpanRecord, TraceContextNotice } from '../engine/types.js';
import type { CaptureRecord } from './capture.js';
import { MemoryObjectLookup } from './object-lookup.js';

export interface ReplayResult {
  spans: SpanRecord[];
  stats: EngineStats;
  records: number;
  /** the malformed trace contexts met, the first of each object (docs/design.md §5.13) */
  traceContextNotices: TraceContextNotice[];
}

export interface ReplayOptions {
  /** Receives spans as they become final, like an exporter; they are then not kept in the result. */
  onSpans?: (spans: SpanRecord[]) => void;
}

export function replay(records: Iterable<CaptureRecord>, config: EngineConfig, options: ReplayOptions = {}): ReplayResult {
  const lookup = new MemoryObjectLookup();
  const correlator = new Correlator(config, lookup);
  const schedule = new TickSchedule(tickIntervalMs(config));
  const spans: SpanRecord[] = [];
  const onSpans =
    options.onSpans ??
    ((out: SpanRecord[]): void => {
      for (const s of out) spans.push(s);
    });
  // Most records finish no span: the sink hears only of those that did.
  const collect = (out: SpanRecord[]): void => {
    if (out.length > 0) onSpans(out);
  };
  const tick = (at: number): void => collect(correlator.tick(at));
  let last: number | undefined;
  let count = 0;
  for (const record of records) {
    count++;
    if (record.kind === 'header') {
      startTicks(schedule, record, tickIntervalMs(config));
      continue;
    }
    schedule.runDue(record.at, tick);
    last = last === undefined ? record.at : Math.max(last, record.at);
    switch (record.kind) {
      case 'object': {
        // A version that changes nothing the engine reads (the same owners, generation, node and
        // status facts, an object already known) can neither move a waiting event nor be a status
        // transition: most Pod status updates would only repeat what the engine knew.
        const version = lookup.record(record.object);
        if (version) collect(correlator.objectChanged(version.current, record.at, version.previous));
        break;
      }
      case 'event':
        collect(correlator.addEvent(record.object, record.at));
        break;
      case 'flush':
        collect(correlator.flush(record.at));
        break;
    }
  }
  if (last !== undefined) collect(correlator.flush(last));
  return { spans, stats: correlator.stats(), records: count, traceContextNotices: correlator.takeTraceContextNotices() };
}

/**
 * A recording made by a running pipeline ticks on that pipeline's schedule (counted from its
 * start, the header's `tickOrigin`): the first tick of the replay is the first one of that
 * schedule after the header. Without an origin, the schedule starts at the first record.
 */
function startTicks(schedule: TickSchedule, record: CaptureRecord & { kind: 'header' }, intervalMs: number): void {
  const origin = typeof record.header.tickOrigin === 'string' ? Date.parse(record.header.tickOrigin) : NaN;
  if (!Number.isFinite(origin) || origin > record.at) {
    schedule.start(record.at);
    return;
  }
  schedule.start(origin + Math.floor((record.at - origin) / intervalMs) * intervalMs);
}

/** Spans by start time, ties in the order their events arrived, roots before their first child. */
export function sortSpans(spans: readonly SpanRecord[]): SpanRecord[] {
  return [...spans].sort(
    (a, b) => a.startTime - b.startTime || a.sequence - b.sequence || Number(a.parentSpanId !== undefined) - Number(b.parentSpanId !== undefined),
  );
}

export interface TreeNode {
  span: SpanRecord;
  depth: number;
  /** index (in tree order) of the parent, when the parent is among the spans */
  parentIndex?: number;
}

/** Depth-first from each root in start order, children in start order (docs/design.md §6). */
export function spanTree(spans: readonly SpanRecord[]): TreeNode[] {
  const sorted = sortSpans(spans);
  const ids = new Set(sorted.map((s) => `${s.traceId}/${s.spanId}`));
  const children = new Map<string, SpanRecord[]>();
  const roots: SpanRecord[] = [];
  for (const s of sorted) {
    const parentKey = s.parentSpanId !== undefined ? `${s.traceId}/${s.parentSpanId}` : undefined;
    if (parentKey !== undefined && ids.has(parentKey)) {
      let list = children.get(parentKey);
      if (!list) children.set(parentKey, (list = []));
      list.push(s);
    } else {
      roots.push(s);
    }
  }
  const out: TreeNode[] = [];
  const visited = new Set<string>();
  // Iterative depth-first walk: traces can be deep and wide.
  const stack: Array<{ span: SpanRecord; depth: number; parentIndex?: number }> = [];
  for (let r = roots.length - 1; r >= 0; r--) stack.push({ span: roots[r]!, depth: 0 });
  while (stack.length > 0) {
    const item = stack.pop()!;
    const key = `${item.span.traceId}/${item.span.spanId}`;
    if (visited.has(key)) continue;
    visited.add(key);
    const index = out.length;
    out.push(item.parentIndex === undefined ? { span: item.span, depth: item.depth } : item);
    const kids = children.get(key) ?? [];
    for (let k = kids.length - 1; k >= 0; k--) stack.push({ span: kids[k]!, depth: item.depth + 1, parentIndex: index });
  }
  return out;
}
