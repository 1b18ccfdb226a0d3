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
  /**
   * The keys in arrival order, a ring once full, so that forgetting the oldest is O(1). A Set
   * yields its oldest key only by iterating past every key deleted before it (V8 compacts its
   * tables only now and then), a cost that grows with the capacity on every event.
   */
  private readonly order: string[] = [];
  private oldest = 0;

  constructor(private readonly capacity = 100_000) {}

  /** True the first time a pair is offered; events without uid/resourceVersion always pass. */
  firstTime(event: KubeEvent): boolean {
    const { uid, resourceVersion } = event.metadata;
    if (!uid || !resourceVersion) return true;
    const key = `${uid}/${resourceVersion}`;
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    if (this.order.length < this.capacity) {
      this.order.push(key);
    } else {
      this.seen.delete(this.order[this.oldest]!);
      this.order[this.oldest] = key;
      this.oldest = (this.oldest + 1) % this.capacity;
    }
    return true;
  }
}
