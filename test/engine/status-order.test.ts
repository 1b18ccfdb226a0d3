/**
 * Status updates and Events come through separate watches (docs/design.md §5.10): a Pod's
 * or a Deployment's status update may reach kspan before or after the Events around it. For the
 * captures of test/fixtures/status, moving every status-update record anywhere within ±2 s of
 * where it was received (never past another version of the same object: one object's versions
 * come through one watch, in order) must give the same spans: the same (name, message, parent's
 * name and message) multiset, and every span in the trace it was in.
 */

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { engineConfigFromSpec } from '../../src/engine/config.js';
import type { SpanRecord } from '../../src/engine/types.js';
import { parseCapture, type CaptureRecord } from '../../src/replay/capture.js';
import { replay } from '../../src/replay/replay.js';
import { objectVersions, shiftStatusUpdates, statusFixturesDir, statusUpdates } from '../support/rollout-scenarios.js';

const MAX_SHIFT_MS = 2000;
const RUNS = 50;

const config = engineConfigFromSpec({});

function readCapture(name: string): CaptureRecord[] {
  const file = path.join(statusFixturesDir, `${name}.ndjson`);
  return [...parseCapture(readFileSync(file, 'utf8'), file)];
}

/** (name, message, parent's name and message) for every span, sorted: a multiset. */
function shape(spans: readonly SpanRecord[]): string[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const describe = (s: SpanRecord | undefined): string => (s === undefined ? '-' : `${s.name} ${String(s.attributes['k8s.event.message'] ?? '')}`);
  return spans.map((s) => `${describe(s)}  <-  ${describe(s.parentSpanId === undefined ? undefined : byId.get(s.parentSpanId))}`).sort();
}

function multisetDiff(a: readonly string[], b: readonly string[]): string {
  const count = new Map<string, number>();
  for (const x of a) count.set(x, (count.get(x) ?? 0) + 1);
  for (const x of b) count.set(x, (count.get(x) ?? 0) - 1);
  return [...count].filter(([, n]) => n !== 0).map(([x, n]) => `${n > 0 ? 'only before' : 'only after'}: ${x}`).join('\n');
}

describe('status updates arriving before or after the Events around them (±2 s)', () => {
  for (const name of ['deployment-rollout', 'deployment-scale']) {
    const records = readCapture(name);
    const versions = objectVersions(records);
    const movable = statusUpdates(versions);
    const baseline = replay(records, config).spans;
    const baseShape = shape(baseline);
    const baseTrace = new Map(baseline.map((s) => [s.spanId, s.traceId]));

    it(`${name}: the capture has status updates to move`, () => {
      const kinds = new Set(movable.map((i) => (records[i] as Extract<CaptureRecord, { kind: 'object' }>).object.kind));
      assert.deepEqual([...kinds].sort(), ['Deployment', 'Pod', 'ReplicaSet']);
      assert.ok(movable.length >= 15, `${movable.length} status updates`);
    });

    it(`${name}: the same spans, parents and traces`, () => {
      const shifts = fc.array(fc.integer({ min: -MAX_SHIFT_MS, max: MAX_SHIFT_MS }), { minLength: movable.length, maxLength: movable.length });
      fc.assert(
        fc.property(shifts, (shift) => {
          const spans = replay(shiftStatusUpdates(records, versions, shift), config).spans;
          const diff = multisetDiff(baseShape, shape(spans));
          assert.equal(diff, '', `spans or parents changed:\n${diff}`);
          for (const s of spans) assert.equal(s.traceId, baseTrace.get(s.spanId), `${s.name} ${String(s.attributes['k8s.event.message'] ?? '')} changed trace`);
        }),
        { numRuns: RUNS, seed: 20260414 },
      );
    });
  }

  it('the move keeps each object\'s versions in order and the records sorted', () => {
    const records = readCapture('deployment-rollout');
    const versions = objectVersions(records);
    const moved = shiftStatusUpdates(records, versions, statusUpdates(versions).map((_, k) => (k % 2 === 0 ? -MAX_SHIFT_MS : MAX_SHIFT_MS)));
    assert.equal(moved.length, records.length);
    for (let i = 1; i < moved.length; i++) assert.ok(moved[i]!.at >= moved[i - 1]!.at);
    const rv = new Map<string, number>();
    for (const r of moved) {
      if (r.kind !== 'object') continue;
      const v = Number(r.object.metadata.resourceVersion);
      assert.ok(v > (rv.get(r.object.metadata.uid!) ?? 0), `${r.object.kind} ${r.object.metadata.name} versions out of order`);
      rv.set(r.object.metadata.uid!, v);
    }
  });
});
