/** Deterministic trace and span ids (docs/design.md §5.6, §5.7): the same capture always gives the same ids. */

import { eventIdentity, occurrenceCount } from './event-facts.js';
import { hashParts } from './hash.js';
import type { KubeEvent } from './types.js';

// The hashed text is `<purpose>\0<identity>\0<count or generation>`, hashed in parts; the
// small numbers' suffixes are made once.
const SUFFIXES = Array.from({ length: 64 }, (_, i) => `\u0000${i}`);
const suffix = (n: number | undefined): string => (n === undefined ? '\u0000' : (SUFFIXES[n] ?? `\u0000${n}`));

/** The span id the engine gives `event`'s occurrence, wherever it places it. */
export function spanIdOfEvent(event: KubeEvent): string {
  return eventSpanId(eventIdentity(event), occurrenceCount(event));
}

/** Span id of an event occurrence: from (event uid, count or series.count). */
export function eventSpanId(eventId: string, count: number | undefined): string {
  return hashParts('event\u0000', eventId, suffix(count), 2);
}

/** Trace id of a trace that an event starts (topLevelSpan, or an event nothing can be linked to). */
export function eventTraceId(eventId: string, count: number | undefined): string {
  return hashParts('event-trace\u0000', eventId, suffix(count), 4);
}

/** Trace id of a root span: from (object uid, generation). */
export function rootTraceId(objectId: string, generation: number | undefined): string {
  return hashParts('root\u0000', objectId, suffix(generation), 4);
}

export function rootSpanId(objectId: string, generation: number | undefined): string {
  return hashParts('root-span\u0000', objectId, suffix(generation), 2);
}
