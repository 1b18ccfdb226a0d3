import assert from 'node:assert/strict';
import fc from 'fast-check';
import { engineConfigFromSpec } from '../../src/engine/config.js';
import type { SpanRecord } from '../../src/engine/types.js';
import { replay } from '../../src/replay/replay.js';
import { burstCapture } from '../support/burst-capture.js';

// §5.11 on a burst: 30 Deployments rolled out at once, the replicaset-controller's `Created pod`
// Events posted 0.5-15 s late (its client is rate-limited), the scheduler's and kubelet's on time.

/** How many Scheduled spans hang under the `Created pod` of their own Pod, of all Scheduled spans. */
function scheduledUnderOwnCreate(spans: SpanRecord[]): { own: number; all: number; misplaced: string[] } {
  const byId = new Map(spans.map((s) => [`${s.traceId}/${s.spanId}`, s]));
  const scheduled = spans.filter((s) => s.name === 'Pod.Scheduled');
  const misplaced: string[] = [];
  let own = 0;
  for (const s of scheduled) {
    const parent = byId.get(`${s.traceId}/${s.parentSpanId}`);
    if (parent?.attributes['k8s.event.message'] === `Created pod: ${s.attributes['k8s.pod.name']}`) own++;
    else misplaced.push(`${s.attributes['k8s.pod.name']} under ${String(parent?.attributes['k8s.event.message'] ?? parent?.name)}`);
  }
  return { own, all: scheduled.length, misplaced };
}

describe('engine: a burst with late Created pod Events (5.11)', function () {
  this.timeout(30_000);
  const config = engineConfigFromSpec({ spans: { statusTransitions: false } });

  it('places every Scheduled under its own Created pod when those arrive up to 15 s late', () => {
    const records = burstCapture({ deployments: 30, createdPodDelayMs: [500, 15_000] });
    const late = records.filter((r) => r.kind === 'event' && r.object.reason === 'SuccessfulCreate');
    assert.ok(late.length >= 50, `the burst creates many Pods (${late.length})`);
    const { spans, stats } = replay(records, config);
    const placed = scheduledUnderOwnCreate(spans);
    assert.ok(placed.all >= 50);
    assert.deepEqual(placed.misplaced, []);
    assert.ok(stats.ownParentsAwaited > 0, 'some waited past their window for it');
    assert.equal(stats.underAncestor, 0);
  });

  it('gives the same tree as the burst without delays', () => {
    const tree = (delay: readonly [number, number]) => {
      const { spans } = replay(burstCapture({ deployments: 30, createdPodDelayMs: delay }), config);
      const byId = new Map(spans.map((s) => [s.spanId, s]));
      return spans.map((s) => `${s.spanId} ${s.traceId} <- ${s.parentSpanId ?? ''} ${byId.get(s.parentSpanId ?? '')?.name ?? ''}`).sort();
    };
    assert.deepEqual(tree([500, 15_000]), tree([0, 0]));
  });

  it('whatever the delays of that one source (property: seeds and delays up to 15 s)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 0, max: 15_000 }), (seed, maxDelay) => {
        const { spans } = replay(burstCapture({ deployments: 8, createdPodDelayMs: [0, maxDelay], seed }), config);
        assert.deepEqual(scheduledUnderOwnCreate(spans).misplaced, []);
      }),
      { numRuns: 20, seed: 5 },
    );
  });

  it('past the 20 s bound the Scheduled stays under the ancestor, counted', () => {
    const { spans, stats } = replay(burstCapture({ deployments: 5, createdPodDelayMs: [25_000, 30_000] }), config);
    const placed = scheduledUnderOwnCreate(spans);
    assert.equal(placed.own, 0);
    assert.ok(stats.underAncestor >= placed.all, `${stats.underAncestor} under an ancestor`);
  });
});
