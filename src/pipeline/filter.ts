/** Which events a pipeline feeds to its engine (pure). */

import { DEFAULTS, type FilterSpec } from '../api/types.js';
import type { KubeEvent } from '../engine/types.js';

/** The time an event happened as far as "is it old" goes: its latest observation. */
export function eventTimeMs(event: KubeEvent): number | undefined {
  const candidates = [
    event.series?.lastObservedTime,
    event.lastTimestamp,
    event.eventTime,
    event.firstTimestamp,
    event.metadata.creationTimestamp,
  ];
  for (const value of candidates) {
    if (typeof value === 'string' && value !== '') {
      const ms = Date.parse(value);
      if (!Number.isNaN(ms)) return ms;
    }
  }
  return undefined;
}

export function passesFilter(event: KubeEvent, filter: FilterSpec | undefined): boolean {
  const types: readonly string[] = filter?.types ?? DEFAULTS.types;
  // Events without a type are Normal by convention.
  if (!types.includes(event.type ?? 'Normal')) return false;
  if (event.reason !== undefined && (filter?.excludeReasons ?? []).includes(event.reason)) return false;
  return true;
}

/**
 * Remembers which (uid, resourceVersion) pairs were fed, so that a relist or a second delivery
 * never feeds the same event twice. Bounded: the oldest entries are forgotten first.
 */
export class SeenEvents {
  private readonly seen = new Set<string>();

  constructor(private readonly capacity = 100_000) {}

  /** True the first time a pair is offered; events without uid/resourceVersion always pass. */
  firstTime(event: KubeEvent): boolean {
    const { uid, resourceVersion } = event.metadata;
    if (!uid || !resourceVersion) return true;
    const key = `${uid}/${resourceVersion}`;
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    if (this.seen.size > this.capacity) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    return true;
  }
}
