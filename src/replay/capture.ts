/**
 * Capture files (docs/design.md §6): NDJSON records `{"at", "kind": "header"|"object"|"event"|"flush", "object"}`
 * in receive order (a header first, if any), and kspan's YAML captures (`# {"time":...,"style":"event"|"initial"|"watch"}`
 * before each YAML document) so that kspan users can bring their recordings.
 */

import { parse as parseYaml } from 'yaml';
import { parseUncached } from '../engine/time.js';
import type { KubeEvent, KubeObject } from '../engine/types.js';
import { isRecord } from '../core/records.js';
import { headerProblem, type CaptureHeader } from './header.js';

export type CaptureRecord =
  | { kind: 'header'; at: number; header: Partial<CaptureHeader>; line: number }
  | { kind: 'object'; at: number; object: KubeObject; line: number }
  | { kind: 'event'; at: number; object: KubeEvent; line: number }
  | { kind: 'flush'; at: number; line: number };

/** Bad input in a capture; the message names the line and the reason. */
export class CaptureError extends Error {
  constructor(readonly file: string, readonly line: number, reason: string) {
    super(`${file}:${line}: ${reason}`);
    this.name = 'CaptureError';
  }
}


function checkObject(value: unknown, file: string, line: number): KubeObject {
  if (!isRecord(value)) throw new CaptureError(file, line, 'an object record needs an "object" with the Kubernetes object');
  if (typeof value['kind'] !== 'string' || value['kind'] === '') throw new CaptureError(file, line, 'the object has no "kind"');
  const meta = value['metadata'];
  if (!isRecord(meta) || typeof meta['name'] !== 'string' || meta['name'] === '') throw new CaptureError(file, line, 'the object has no "metadata.name"');
  return value as unknown as KubeObject;
}

function checkEvent(value: unknown, file: string, line: number): KubeEvent {
  if (!isRecord(value)) throw new CaptureError(file, line, 'an event record needs an "object" with the core/v1 Event');
  const io = value['involvedObject'];
  if (!isRecord(io) || typeof io['kind'] !== 'string' || typeof io['name'] !== 'string') {
    throw new CaptureError(file, line, 'the event has no "involvedObject" with kind and name');
  }
  if (!isRecord(value['metadata'])) throw new CaptureError(file, line, 'the event has no "metadata"');
  return value as unknown as KubeEvent;
}

// Receive times come in order and share their whole second with the previous record most of the
// time: remember the last second's value instead of parsing it again.
let lastSecond = '';
let lastSecondMs = 0;
const FRACTION = /^\.\d{1,9}Z$/;

function parseReceiveTime(value: string): number | undefined {
  if (value.length > 20 && value.charCodeAt(19) === 46 /* . */ && FRACTION.test(value.slice(19))) {
    const second = value.slice(0, 19);
    if (second !== lastSecond) {
      const t = parseUncached(`${second}Z`);
      if (!t) return undefined;
      lastSecond = second;
      lastSecondMs = t.ms;
    }
    return lastSecondMs + Number(`0${value.slice(19, -1)}`) * 1000;
  }
  return parseUncached(value)?.ms;
}

function parseAt(value: unknown, file: string, line: number, field: string): number {
  const ms = typeof value === 'string' ? parseReceiveTime(value) : undefined;
  const t = ms === undefined ? undefined : { ms };
  if (!t) throw new CaptureError(file, line, `"${field}" must be an RFC 3339 time, got ${JSON.stringify(value)}`);
  return t.ms;
}

/** One NDJSON line (1-based `line`) as a record; throws CaptureError on bad input. */
export function parseNdjsonLine(text: string, file: string, line: number): CaptureRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CaptureError(file, line, `not valid JSON (${(err as Error).message})`);
  }
  if (!isRecord(value)) throw new CaptureError(file, line, 'a record must be a JSON object');
  const at = parseAt(value['at'], file, line, 'at');
  switch (value['kind']) {
    case 'header': {
      const problem = headerProblem(value['object']);
      if (problem) throw new CaptureError(file, line, problem);
      return { kind: 'header', at, header: value['object'] as Partial<CaptureHeader>, line };
    }
    case 'object':
      return { kind: 'object', at, object: checkObject(value['object'], file, line), line };
    case 'event':
      return { kind: 'event', at, object: checkEvent(value['object'], file, line), line };
    case 'flush':
      return { kind: 'flush', at, line };
    default:
      throw new CaptureError(file, line, `unknown record kind ${JSON.stringify(value['kind'])} (expected "header", "object", "event" or "flush")`);
  }
}

/** The non-blank lines of an NDJSON text with their line numbers. */
function* nonBlankLines(text: string): Generator<[raw: string, line: number]> {
  let start = 0;
  let line = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    line++;
    const raw = text.slice(start, end);
    start = end + 1;
    if (raw.length === 0 || (raw.charCodeAt(0) !== 123 /* { */ && raw.trim() === '')) continue;
    yield [raw, line];
  }
}

/** Every record of an NDJSON capture; blank lines are skipped. */
export function* parseNdjson(text: string, file: string): Generator<CaptureRecord> {
  let first = true;
  for (const [raw, line] of nonBlankLines(text)) {
    const record = parseNdjsonLine(raw, file, line);
    if (record.kind === 'header' && !first) throw new CaptureError(file, line, 'a header record must be the first record');
    first = false;
    yield record;
  }
}

/**
 * The header of an NDJSON capture, read from its first record alone (undefined when it has none:
 * captures from before headers, and kspan's YAML captures), so that replay can set up the engine
 * before reading the rest.
 */
export function readHeader(text: string, file: string): (CaptureRecord & { kind: 'header' }) | undefined {
  for (const [raw, line] of nonBlankLines(text)) {
    if (!raw.trimStart().startsWith('{')) return undefined; // YAML
    const record = parseNdjsonLine(raw, file, line);
    return record.kind === 'header' ? record : undefined;
  }
  return undefined;
}

const YAML_HEADER = /^#\s*(\{.*\})\s*$/;

/**
 * kspan's YAML capture: documents separated by `---`, each preceded by a header comment.
 * kspan loaded every `initial` object before playing the events back, so these come first here
 * too; `watch` objects and events follow in file order.
 */
export function parseKspanYaml(text: string, file: string): CaptureRecord[] {
  const initial: CaptureRecord[] = [];
  const rest: CaptureRecord[] = [];
  const lines = text.split('\n');
  let docStart = 0;
  const flushDoc = (from: number, to: number): void => {
    const body = lines.slice(from, to);
    const headerIndex = body.findIndex((l) => l.trim() !== '' && !l.startsWith('---'));
    if (headerIndex === -1) return; // empty document
    const headerLine = from + headerIndex + 1;
    const header = YAML_HEADER.exec(body[headerIndex]!.trim());
    if (!header) throw new CaptureError(file, headerLine, 'a document needs a \'# {"time":...,"style":...}\' header line before it');
    let details: unknown;
    try {
      details = JSON.parse(header[1]!);
    } catch (err) {
      throw new CaptureError(file, headerLine, `the header is not valid JSON (${(err as Error).message})`);
    }
    if (!isRecord(details)) throw new CaptureError(file, headerLine, 'the header must be a JSON object');
    const at = parseAt(details['time'], file, headerLine, 'time');
    let value: unknown;
    try {
      value = parseYaml(body.slice(headerIndex + 1).join('\n'));
    } catch (err) {
      const yamlLine = (err as { linePos?: Array<{ line: number }> }).linePos?.[0]?.line;
      const line = yamlLine !== undefined ? headerLine + yamlLine : headerLine;
      throw new CaptureError(file, line, `not valid YAML (${(err as Error).message.split('\n')[0]})`);
    }
    switch (details['style']) {
      case 'event':
        rest.push({ kind: 'event', at, object: checkEvent(value, file, headerLine), line: headerLine });
        break;
      case 'initial':
        initial.push({ kind: 'object', at, object: checkObject(value, file, headerLine), line: headerLine });
        break;
      case 'watch':
        rest.push({ kind: 'object', at, object: checkObject(value, file, headerLine), line: headerLine });
        break;
      default:
        throw new CaptureError(file, headerLine, `unknown style ${JSON.stringify(details['style'])} (expected "event", "initial" or "watch")`);
    }
  };
  for (let i = 0; i < lines.length; i++) {
    if (/^---\s*$/.test(lines[i]!)) {
      flushDoc(docStart, i);
      docStart = i + 1;
    }
  }
  flushDoc(docStart, lines.length);
  // kspan's initial objects are known from the start: they take the first record's time.
  let firstAt = Infinity;
  for (const r of [...initial, ...rest]) firstAt = Math.min(firstAt, r.at);
  return [...initial.map((r) => ({ ...r, at: Math.min(r.at, firstAt) })), ...rest];
}

/** NDJSON unless the first meaningful line looks like YAML (`---` or a `#` header). */
export function parseCapture(text: string, file: string): Iterable<CaptureRecord> {
  const first = text.split('\n', 50).map((l) => l.trim()).find((l) => l !== '');
  if (first !== undefined && (first === '---' || first.startsWith('#'))) return parseKspanYaml(text, file);
  return parseNdjson(text, file);
}
