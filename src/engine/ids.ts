/** Deterministic trace and span ids (DESIGN.md 5.6, 5.7): the same capture always gives the same ids. */

import { hashHex } from './hash.js';

/** Span id of an event occurrence: from (event uid, count or series.count). */
export function eventSpanId(eventId: string, count: number | undefined): string {
  return hashHex(`event\u0000${eventId}\u0000${count ?? ''}`, 2);
}

/** Trace id of a trace that an event starts (topLevelSpan, or an event nothing can be linked to). */
export function eventTraceId(eventId: string, count: number | undefined): string {
  return hashHex(`event-trace\u0000${eventId}\u0000${count ?? ''}`, 4);
}

/** Trace id of a root span: from (object uid, generation). */
export function rootTraceId(objectId: string, generation: number | undefined): string {
  return hashHex(`root\u0000${objectId}\u0000${generation ?? ''}`, 4);
}

export function rootSpanId(objectId: string, generation: number | undefined): string {
  return hashHex(`root-span\u0000${objectId}\u0000${generation ?? ''}`, 2);
}
