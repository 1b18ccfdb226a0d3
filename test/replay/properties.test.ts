import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { SpanRecord } from '../../src/engine/types.js';
import type { CaptureRecord } from '../../src/replay/capture.js';
import { replay } from '../../src/replay/replay.js';
import { eventCounts, moveReplicaSetVersions, permute, replicaSetVersions, windowGroups } from './permutations.js';
import { configFor, readRecords, recordingsDir, sharedFixture } from './support.js';

const recordings = [
  sharedFixture('deployment-2-pods.ndjson'),
  ...readdirSync(recordingsDir)
    .filter((f) => f.endsWith('.ndjson'))
    .sort()
    .map((f) => path.join(recordingsDir, f)),
];

/**
 * Captures whose parents do not depend on arrival order within the window. In the others a
 * later action overwrites the recent entry of the same action, so an event that arrives after
 * it joins it instead of the earlier one (5.4/5.5 by design): the shared kind rollout (a
 * `Deleted pod` arriving before or after its `Scaled down`), custom-resource-rule (likewise for
 * the old ReplicaSet) and statefulset (a Pod name reused by the recreated Pod). cronjob-job is
 * stable since `Saw completed job` parents nothing (docs/design.md §5.12).
 */
const parentsStable = new Set(['back-to-back-rollouts.ndjson', 'created-before-scaled-up.ndjson', 'cronjob-job.ndjson', 'daemonset.ndjson', 'deleted-objects.ndjson', 'warnings-and-repeats.ndjson']);

/** The capture with object record i received `delayMs[i]` later (stable for equal times). */
function delayObjects(records: readonly CaptureRecord[], delayMs: readonly number[]): CaptureRecord[] {
  return records
    .map((r, i) => ({ record: r.kind === 'object' ? { ...r, at: r.at + delayMs[i]! } : r, i }))
    .sort((a, b) => a.record.at - b.record.at || a.i - b.i)
    .map((x) => x.record);
}

function byId(spans: readonly SpanRecord[]): Map<string, SpanRecord> {
  return new Map(spans.map((s) => [s.spanId, s]));
}

describe('replay properties', () => {
  for (const file of recordings) {
    const name = path.basename(file);
    const records = readRecords(file);
    const config = configFor(file);
    const groups = windowGroups(records, config.recentWindowMs);
    const orders = fc.tuple(...eventCounts(records, groups).map((n) => fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n })));

    it(`${name}: any arrival order inside the window gives the same traces${parentsStable.has(name) ? ' and the same parents' : ''}`, () => {
      const expected = byId(replay(records, config).spans);
      fc.assert(
        fc.property(orders, (order) => {
          const spans = replay(permute(records, groups, order), config).spans;
          assert.equal(spans.length, expected.size);
          for (const s of spans) {
            const e = expected.get(s.spanId);
            assert.ok(e, `unexpected span ${s.name}`);
            assert.equal(s.traceId, e.traceId, `${s.name} ${String(s.attributes['k8s.event.message'])} changed trace`);
            if (parentsStable.has(name)) assert.equal(s.parentSpanId, e.parentSpanId, `${s.name} ${String(s.attributes['k8s.event.message'])} changed parent`);
          }
        }),
        { numRuns: 25, seed: 20261122 },
      );
    });

    // Objects and events come through separate watches: an object can reach kspan a few ms after
    // an event that was written after it. Each object record is delayed by up to 5 ms here.
    it(`${name}: objects a few ms behind the events give the same traces`, () => {
      const expected = byId(replay(records, config).spans);
      const delays = fc.array(fc.double({ min: 0, max: 5, noNaN: true }), { minLength: records.length, maxLength: records.length });
      fc.assert(
        fc.property(delays, (delay) => {
          const spans = replay(delayObjects(records, delay), config).spans;
          assert.equal(spans.length, expected.size);
          for (const s of spans) {
            assert.equal(s.traceId, expected.get(s.spanId)?.traceId, `${s.name} ${String(s.attributes['k8s.event.message'])} changed trace`);
          }
        }),
        { numRuns: 25, seed: 20261206 },
      );
    });

    // §5.9: a ReplicaSet's new version may reach kspan before or after the `Scaled ... replica set`
    // Event that reports it, and before or after the events around them (separate watches).
    it(`${name}: ReplicaSet versions moved across the events around them give the same spans and parents`, () => {
      const moved = replicaSetVersions(records);
      const expected = byId(replay(records, config).spans);
      const choices = fc.array(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), { minLength: moved, maxLength: moved });
      fc.assert(
        fc.property(choices, (choice) => {
          const spans = replay(moveReplicaSetVersions(records, choice), config).spans;
          assert.equal(spans.length, expected.size);
          for (const s of spans) {
            const e = expected.get(s.spanId);
            assert.ok(e, `unexpected span ${s.name} ${String(s.attributes['k8s.event.message'])}`);
            assert.equal(s.traceId, e.traceId, `${s.name} ${String(s.attributes['k8s.event.message'])} changed trace`);
            assert.equal(s.parentSpanId, e.parentSpanId, `${s.name} ${String(s.attributes['k8s.event.message'])} changed parent`);
          }
        }),
        { numRuns: 40, seed: 20261207 },
      );
    });

    it(`${name}: replaying twice gives identical spans and ids`, () => {
      assert.deepEqual(replay(readRecords(file), config).spans, replay(records, config).spans);
    });
  }

  it('the ReplicaSet model moves a version past its Scaled event, never past the events on it before that', () => {
    const records = readRecords(path.join(recordingsDir, 'create-rollout-scale.ndjson'));
    const rsAt = (rs: readonly CaptureRecord[], generation: number) => rs.findIndex((r) => r.kind === 'object' && r.object.kind === 'ReplicaSet' && r.object.metadata.generation === generation);
    const scaledTo2 = (rs: readonly CaptureRecord[]) => rs.findIndex((r) => r.kind === 'event' && /^Scaled up replica set \S+ to 2 from 1$/.test(String(r.object.message)));
    const latest = moveReplicaSetVersions(records, Array<number>(replicaSetVersions(records)).fill(0.999999));
    assert.deepEqual(latest.map((r) => r.at), records.map((r) => r.at), 'arrival times stay in place');
    assert.ok(rsAt(records, 2) < scaledTo2(records));
    assert.ok(rsAt(latest, 2) > scaledTo2(latest), 'generation 2 after the scale that made it');
    const earliest = moveReplicaSetVersions(records, Array<number>(replicaSetVersions(records)).fill(0));
    assert.equal(earliest.length, records.length);
  });

  it('the permutation model keeps events after the object changes that preceded them', () => {
    const records = readRecords(path.join(recordingsDir, 'created-before-scaled-up.ndjson'));
    const groups = windowGroups(records, 5000);
    const reversed = eventCounts(records, groups).map((n) => [...Array(n).keys()].reverse());
    const permuted = permute(records, groups, reversed);
    assert.equal(permuted.length, records.length);
    assert.deepEqual(permuted.map((r) => r.at), records.map((r) => r.at), 'arrival times stay in place');
    const firstEvent = permuted.findIndex((r) => r.kind === 'event');
    assert.notDeepEqual(permuted[firstEvent], records[firstEvent]);
    // the Created pod for m4k9z must still come after the ReplicaSet's generation 2 record
    const created = permuted.findIndex((r) => r.kind === 'event' && r.object.message === 'Created pod: cart-8f9d7c6b5-m4k9z');
    const rsGen2 = permuted.findIndex((r) => r.kind === 'object' && r.object.kind === 'ReplicaSet' && r.object.metadata.generation === 2);
    assert.ok(rsGen2 >= 0 && rsGen2 < created);
  });
});
