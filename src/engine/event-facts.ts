/**
 * What the engine reads from one Event (docs/design.md §5.1, §5.2, §5.7): its source, its time, its
 * occurrence count, its involved object.
 */

import { parseTime } from './time.js';
import type { KubeEvent } from './types.js';

export interface EventSource {
  readonly component: string;
  readonly instance?: string;
}

const UNKNOWN_SOURCE = 'unknown';

// A few hundred distinct sources at most in a cluster: share one object per source.
const sources = new Map<string, Map<string, EventSource>>();
const MAX_SOURCES = 4096;
let sourceCount = 0;

function sourceOf(component: string, instance: string): EventSource {
  let byInstance = sources.get(component);
  if (!byInstance) {
    if (sourceCount >= MAX_SOURCES) {
      sources.clear();
      sourceCount = 0;
    }
    sources.set(component, (byInstance = new Map()));
  }
  let source = byInstance.get(instance);
  if (!source) {
    source = Object.freeze(instance !== '' ? { component, instance } : { component });
    byInstance.set(instance, source);
    sourceCount++;
  }
  return source;
}

/** 5.1: `source.component` (instance `source.host`), else `reportingComponent` (instance `reportingInstance`). */
export function eventSource(event: KubeEvent): EventSource {
  const legacy = event.source?.component;
  if (typeof legacy === 'string' && legacy !== '') {
    const host = event.source?.host;
    return sourceOf(legacy, typeof host === 'string' ? host : '');
  }
  const reporting = event.reportingComponent;
  if (typeof reporting === 'string' && reporting !== '') {
    const instance = event.reportingInstance;
    return sourceOf(reporting, typeof instance === 'string' ? instance : '');
  }
  return sourceOf(UNKNOWN_SOURCE, '');
}

/** How much later than a second-granularity timestamp an event may arrive and still be timed by its arrival. */
const RECEIVE_CORRECTION_MS = 1000;

/**
 * 5.2: `lastTimestamp`, else `eventTime`, else `firstTimestamp`/creation time. A timestamp without
 * a sub-second part loses order within its second; when the event arrived less than a second after
 * it, the receive time is the better clock.
 */
export function eventTime(event: KubeEvent, receivedAt: number): number {
  const t =
    parseTime(event.lastTimestamp) ??
    parseTime(event.eventTime) ??
    parseTime(event.firstTimestamp) ??
    parseTime(event.metadata?.creationTimestamp);
  if (!t) return receivedAt;
  if (!t.subSecond) {
    const lag = receivedAt - t.ms;
    if (lag >= 0 && lag < RECEIVE_CORRECTION_MS) return receivedAt;
  }
  return t.ms;
}

/** 5.7: the occurrence count: `count`, else `series.count` (events.k8s.io); undefined when neither. */
export function occurrenceCount(event: KubeEvent): number | undefined {
  if (typeof event.count === 'number' && event.count > 0) return event.count;
  const series = event.series?.count;
  if (typeof series === 'number' && series > 0) return series;
  return undefined;
}

/** The event's identity for ids: its uid, else namespace/name. */
export function eventIdentity(event: KubeEvent): string {
  const uid = event.metadata?.uid;
  if (typeof uid === 'string' && uid !== '') return uid;
  return `${event.metadata?.namespace ?? ''}/${event.metadata?.name ?? ''}`;
}

export const TOP_LEVEL_ANNOTATION = 'topLevelSpan';

/** 5.5b: an event annotated `topLevelSpan: "true"` starts a trace. */
export function isTopLevelEvent(event: KubeEvent): boolean {
  return event.metadata?.annotations?.[TOP_LEVEL_ANNOTATION] === 'true';
}
