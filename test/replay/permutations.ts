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

type EventRecord = CaptureRecord & { kind: 'event' };

/** The ReplicaSet a `Scaled up/down replica set R to N` Event names, lowercased. */
function scaledReplicaSet(record: EventRecord): string | undefined {
  return /^Scaled (?:up|down) replica set (\S+) to /.exec(record.object.message ?? '')?.[1]?.toLowerCase();
}

function objectKey(record: CaptureRecord): string | undefined {
  if (record.kind !== 'object') return undefined;
  const m = record.object.metadata;
  return `${record.object.kind}/${(m.namespace ?? '').toLowerCase()}/${m.name.toLowerCase()}`;
}

function isReplicaSetVersion(record: CaptureRecord): boolean {
  return record.kind === 'object' && record.object.kind === 'ReplicaSet';
}

/** How many ReplicaSet versions a capture has (the length of moveReplicaSetVersions' choices). */
export function replicaSetVersions(records: readonly CaptureRecord[]): number {
  return records.filter(isReplicaSetVersion).length;
}

/**
 * The capture with each ReplicaSet version moved (by `choices[k]` in [0, 1) along its range) as
 * its watch might have delivered it, later or earlier than the events around it: never past
 * another version of the same ReplicaSet, a flush, the header; later past anything but an
 * Event about that ReplicaSet that came before the Scaled event reporting the version (its
 * first version: before any Event about it, whose owner nothing knows before it; an Event that
 * names it in another controller's words counts as one about it; a
 * `Created pod` that saw the new version before its Scaled event came is no longer told apart
 * from one of the scale before: §5.9); earlier past no Event about or naming it. Arrival
 * times stay in place: only which record arrives when changes.
 */
export function moveReplicaSetVersions(records: readonly CaptureRecord[], choices: readonly number[]): CaptureRecord[] {
  const keys = records.map((_, i) => i as number);
  /** where each ReplicaSet's previous version went: the next one stays after it */
  const placed = new Map<string, number>();
  let k = 0;
  records.forEach((record, i) => {
    if (!isReplicaSetVersion(record)) return;
    const key = objectKey(record)!;
    const name = (record.kind === 'object' ? record.object.metadata.name : '').toLowerCase();
    // about it, or naming it in a message that is not the deployment-controller's (other controllers' scale messages, e.g. Argo Rollouts')
    const aboutIt = (r: CaptureRecord): boolean =>
      r.kind === 'event' && ((r.object.involvedObject.kind === 'ReplicaSet' && r.object.involvedObject.name?.toLowerCase() === name) || (scaledReplicaSet(r) === undefined && (r.object.message ?? '').toLowerCase().includes(name)));
    const barrier = (r: CaptureRecord): boolean => r.kind === 'flush' || r.kind === 'header' || objectKey(r) === key;
    let hi = i;
    // Before its first version, nothing knows a ReplicaSet's owner: its events wait for it (§5.5).
    const first = !records.slice(0, i).some((r) => objectKey(r) === key);
    let scaled = false;
    for (let j = i + 1; j < records.length; j++) {
      const r = records[j]!;
      if (barrier(r) || (!scaled && aboutIt(r))) break;
      if (!first && r.kind === 'event' && scaledReplicaSet(r) === name) scaled = true;
      hi = j;
    }
    let lo = i;
    for (let j = i - 1; j >= 0; j--) {
      const r = records[j]!;
      if (barrier(r) || aboutIt(r) || (r.kind === 'event' && scaledReplicaSet(r) === name)) break;
      lo = j;
    }
    // positions: before record lo ... after record hi
    const slots = hi - lo + 1;
    const slot = Math.min(slots, Math.floor((choices[k++] ?? 0.5) * (slots + 1)));
    keys[i] = Math.max(lo - 0.5 + slot, (placed.get(key) ?? -Infinity) + 1e-6);
    placed.set(key, keys[i]!);
  });
  const order = records.map((_, i) => i).sort((a, b) => keys[a]! - keys[b]! || a - b);
  return order.map((i, position) => ({ ...records[i]!, at: records[position]!.at, line: records[position]!.line }));
}
