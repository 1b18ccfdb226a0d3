/** Decoding of a watch response body: newline-delimited JSON, one watch event a line. */

import { isRecord } from '../core/records.js';
import type { RawWatchEvent } from './client.js';
import { type ErrorContext, KubeApiError } from './errors.js';
import { restoreTypeMeta, type ResourceType } from './resources.js';

/**
 * Cuts a byte stream into its lines. Chunks end anywhere, a line or a multi-byte character
 * included: the unfinished rest waits in the buffer (and the decoder) for the next chunk.
 */
export class LineSplitter {
  private readonly decoder = new TextDecoder();
  private buffered = '';

  /** The lines this chunk completes, trimmed, blank ones left out. */
  push(chunk: Uint8Array): string[] {
    const text = this.buffered + this.decoder.decode(chunk, { stream: true });
    const lines: string[] = [];
    let start = 0;
    for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n', start)) {
      const line = text.slice(start, newline).trim();
      start = newline + 1;
      if (line) lines.push(line);
    }
    this.buffered = text.slice(start);
    return lines;
  }

  /** At the end of the stream: the last line, when no newline ended it. */
  end(): string[] {
    const rest = (this.buffered + this.decoder.decode()).trim();
    this.buffered = '';
    return rest ? [rest] : [];
  }
}

/**
 * One line of a watch stream as its event. Objects get their kind and apiVersion back (see
 * restoreTypeMeta); an ERROR event's object is a Status, a BOOKMARK's carries only a
 * resourceVersion, and both stay as sent. Throws KubeApiError (BadWatchData) for a line that is
 * not an event: the stream cannot be trusted past it.
 */
export function decodeWatchEvent(line: string, type: ResourceType, context: ErrorContext): RawWatchEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new KubeApiError({ ...context, statusCode: 0, reason: 'BadWatchData', message: `watch ${context.resource}: a line is not JSON` });
  }
  if (!isRecord(parsed) || typeof parsed['type'] !== 'string' || !isRecord(parsed['object'])) {
    throw new KubeApiError({ ...context, statusCode: 0, reason: 'BadWatchData', message: `watch ${context.resource}: an event lacks type or object` });
  }
  const event = parsed as unknown as RawWatchEvent;
  if (event.type !== 'ERROR' && event.type !== 'BOOKMARK') restoreTypeMeta(event.object, type);
  return event;
}
