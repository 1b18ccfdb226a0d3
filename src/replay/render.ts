/** The replay outputs: `tree` (docs/design.md §6, exact), `waterfall` (terminal timeline), `json`. */

import { formatTime } from '../engine/time.js';
import type { SpanRecord } from '../engine/types.js';
import { spanResourceAttributes } from '../export/resource-attributes.js';
import { sortSpans, spanTree } from './replay.js';

function message(span: SpanRecord): string {
  const m = span.attributes['k8s.event.message'];
  return m === undefined ? '' : String(m);
}

/** `<i>: <service.name> <span name>[ (<index of parent>)] <k8s.event.message>` per span. */
export function renderTree(spans: readonly SpanRecord[]): string {
  return spanTree(spans)
    .map((n, i) => `${i}: ${n.span.service.name} ${n.span.name}${n.parentIndex !== undefined ? ` (${n.parentIndex})` : ''} ${message(n.span)}\n`)
    .join('');
}

export interface WaterfallOptions {
  /** terminal width in columns; without it, lines are 120 columns plus the whole message */
  width?: number;
  color?: boolean;
}

const ANSI = { dim: '\x1b[2m', red: '\x1b[31m', cyan: '\x1b[36m', bold: '\x1b[1m', reset: '\x1b[0m' };

/** For spans without a message (root spans): which object and generation they stand for. */
function describeObject(span: SpanRecord): string {
  const a = span.attributes;
  const ns = a['k8s.namespace.name'];
  const name = `${ns !== undefined ? `${String(ns)}/` : ''}${String(a['k8s.object.name'] ?? '')}`;
  const generation = a['k8s.object.generation'];
  return `${String(a['k8s.object.kind'] ?? '')} ${name}${generation !== undefined ? ` generation ${String(generation)}` : ''}`.trim();
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(3)}s`;
}

function truncate(text: string, width: number): string {
  if (width <= 0) return '';
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/**
 * A timeline per trace: one row per span, indented by depth, a bar placed by start and end
 * within the trace, then service and message.
 */
export function renderWaterfall(spans: readonly SpanRecord[], options: WaterfallOptions = {}): string {
  const width = Math.max(60, options.width ?? 120);
  const paint = (code: string, text: string): string => (options.color ? `${code}${text}${ANSI.reset}` : text);
  const nodes = spanTree(spans);
  const nameWidth = Math.min(48, Math.max(16, ...nodes.map((n) => n.depth * 2 + n.span.name.length)));
  const barWidth = Math.max(20, Math.floor((width - nameWidth - 12) * 0.4));
  const lines: string[] = [];
  // Group rows by trace, each trace laid out on its own time axis.
  let i = 0;
  while (i < nodes.length) {
    let j = i + 1;
    while (j < nodes.length && nodes[j]!.depth > 0) j++;
    const group = nodes.slice(i, j);
    const start = Math.min(...group.map((n) => n.span.startTime));
    const end = Math.max(...group.map((n) => n.span.endTime));
    const total = Math.max(end - start, 1);
    const root = group[0]!.span;
    lines.push(paint(ANSI.bold, `trace ${root.traceId}  ${formatTime(start)}  ${seconds(end - start)}  ${group.length} span${group.length === 1 ? '' : 's'}`));
    for (const n of group) {
      const s = n.span;
      const label = truncate(`${'  '.repeat(n.depth)}${s.name}`, nameWidth).padEnd(nameWidth);
      const from = Math.min(barWidth - 1, Math.floor(((s.startTime - start) / total) * barWidth));
      const to = Math.max(from + 1, Math.min(barWidth, Math.ceil(((s.endTime - start) / total) * barWidth)));
      const bar = `${' '.repeat(from)}${(s.endTime > s.startTime ? '█' : '▏').repeat(to - from)}${' '.repeat(barWidth - to)}`;
      const offset = `+${seconds(s.startTime - start)}`.padStart(10);
      const error = s.status.code === 'error';
      // On a terminal the message is cut to the width; piped output keeps it whole.
      const room = options.width !== undefined ? Math.max(10, width - nameWidth - barWidth - 15) : Infinity;
      const text = truncate(`${s.service.name}: ${message(s) || describeObject(s)}`, room);
      lines.push(`${label} ${offset} ${paint(error ? ANSI.red : ANSI.cyan, `|${bar}|`)} ${error ? paint(ANSI.red, text) : paint(ANSI.dim, text)}`);
    }
    lines.push('');
    i = j;
  }
  return lines.join('\n');
}

/**
 * A span record as `--output json` prints it: the record, its `links` always a list (each
 * `{traceId, spanId, traceState?, attributes}`), and the `resource` the exporter would send
 * (spanResourceAttributes: service identity, the recorded cluster's uid).
 */
function jsonSpan(span: SpanRecord, clusterUid: string | undefined): object {
  const { links, ...record } = span;
  return {
    ...record,
    resource: spanResourceAttributes(span.service, {}, clusterUid),
    links: (links ?? []).map(({ traceId, spanId, traceState, attributes }) => ({
      traceId,
      spanId,
      ...(traceState === undefined || traceState === '' ? {} : { traceState }),
      attributes,
    })),
  };
}

/** Span records, one JSON object per line, sorted by start time. */
export function renderJson(spans: readonly SpanRecord[], options: { clusterUid?: string | undefined } = {}): string {
  return sortSpans(spans)
    .map((s) => `${JSON.stringify(jsonSpan(s, options.clusterUid))}\n`)
    .join('');
}
