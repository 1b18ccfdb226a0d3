/**
 * Re-orderings of a capture's events inside the correlation window, for property tests.
 *
 * Events may arrive in any order within the window, but never before the object changes that
 * preceded them in the capture (a `Deleted pod` is emitted after the ReplicaSet it names was
 * scaled down; "captures record objects as they change"). Arrival times stay where they were:
 * only which record arrives when changes.
 */

import type { CaptureRecord } from '../../src/replay/capture.js';

/** Runs of record indexes whose events all arrive within `windowMs` of the run's first event. */
export function windowGroups(records: readonly CaptureRecord[], windowMs: number): number[][] {
  const groups: number[][] = [];
  let current: number[] = [];
  let start: number | undefined;
  records.forEach((r, i) => {
    if (r.kind === 'flush') {
      groups.push(current);
      groups.push([i]);
      current = [];
      start = undefined;
      return;
    }
    if (r.kind === 'event') {
      if (start !== undefined && r.at - start > windowMs) {
        groups.push(current);
        current = [];
        start = undefined;
      }
      start ??= r.at;
    }
    current.push(i);
  });
  groups.push(current);
  return groups.filter((g) => g.length > 0);
}

/** How many events each group has (the size of the permutation it takes). */
export function eventCounts(records: readonly CaptureRecord[], groups: readonly number[][]): number[] {
  return groups.map((g) => g.filter((i) => records[i]!.kind === 'event').length);
}

/** The capture with each group's events in the order `orders[g]` gives (positions among the group's events). */
export function permute(records: readonly CaptureRecord[], groups: readonly number[][], orders: readonly number[][]): CaptureRecord[] {
  const out: CaptureRecord[] = [];
  groups.forEach((group, g) => {
    const events = group.filter((i) => records[i]!.kind === 'event');
    const order = orders[g] ?? events.map((_, k) => k);
    const sequence: number[] = [];
    const emitted = new Set<number>();
    for (const k of order) {
      const e = events[k]!;
      // every object record that came before this event in the capture comes before it here too
      for (const i of group) {
        if (i >= e) break;
        if (records[i]!.kind !== 'event' && !emitted.has(i)) {
          emitted.add(i);
          sequence.push(i);
        }
      }
      sequence.push(e);
    }
    for (const i of group) if (records[i]!.kind !== 'event' && !emitted.has(i)) sequence.push(i);
    const times = group.map((i) => records[i]!.at);
    sequence.forEach((i, k) => out.push({ ...records[i]!, at: times[k]!, line: records[group[k]!]!.line }));
  });
  return out;
}
