/**
 * Golden span trees for the status-transition captures of test/fixtures/status (docs/design.md
 * §5.10), written by test/support/rollout-scenarios.ts: each capture replayed as `kspan replay`
 * does, compared line for line with its `.expected.txt`, which was reviewed by hand: every
 * `Pod.Ready` under the action that made its Pod, every `RolloutComplete` / `RolloutFailed`
 * under the root of its generation. The checks below it (parents of the status spans, root ends,
 * ERROR statuses) hold for every capture.
 */

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { engineConfigFromSpec } from '../../src/engine/config.js';
import type { SpanRecord } from '../../src/engine/types.js';
import { parseCapture } from '../../src/replay/capture.js';
import { renderTree } from '../../src/replay/render.js';
import { replay } from '../../src/replay/replay.js';
import { scenarios, statusFixturesDir, toNdjson } from '../support/rollout-scenarios.js';

const SCENARIOS = [
  'deployment-rollout', // (a)
  'deployment-scale', // (b)
  'statefulset-rolling-update', // (c)
  'daemonset-rolling-update', // (d)
  'deployment-progress-deadline', // (e)
  'pod-oomkilled', // (f)
  'pod-readiness-flap', // (g)
  'cronjob-runs', // (h) docs/design.md §5.12
  'hpa-rescale', // (i) §5.12
  'deployment-traceparent', // (j) §5.13
] as const;
type Name = (typeof SCENARIOS)[number];

const config = engineConfigFromSpec({});
const capturePath = (name: string): string => path.join(statusFixturesDir, `${name}.ndjson`);

function replayScenario(name: string): SpanRecord[] {
  const file = capturePath(name);
  return replay(parseCapture(readFileSync(file, 'utf8'), file), config).spans;
}

const message = (s: SpanRecord): string => String(s.attributes['k8s.event.message'] ?? '');
const podOf = (s: SpanRecord): string => String(s.attributes['k8s.pod.name'] ?? '');

function index(spans: readonly SpanRecord[]) {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const parent = (s: SpanRecord): SpanRecord | undefined => (s.parentSpanId === undefined ? undefined : byId.get(s.parentSpanId));
  const root = (s: SpanRecord): SpanRecord => {
    let r = s;
    for (let p = parent(r); p !== undefined; p = parent(r)) r = p;
    return r;
  };
  return { parent, root };
}

/** The action that made a Pod, as its controller's Event says. */
function createdPod(parent: SpanRecord | undefined, pod: string): boolean {
  const m = parent === undefined ? '' : message(parent);
  return m === `Created pod: ${pod}` || /^create Pod (\S+) in StatefulSet \S+ successful$/.exec(m)?.[1] === pod;
}

describe('status goldens (test/fixtures/status)', () => {
  const spansOf = new Map<Name, SpanRecord[]>();
  const spans = (name: Name): SpanRecord[] => {
    let s = spansOf.get(name);
    if (!s) spansOf.set(name, (s = replayScenario(name)));
    return s;
  };

  it('the committed captures are what test/support/rollout-scenarios.ts writes', () => {
    const made = scenarios();
    assert.deepEqual(made.map((s) => s.name).sort(), [...SCENARIOS].sort());
    for (const s of made) assert.equal(toNdjson(s.lines), readFileSync(capturePath(s.name), 'utf8'), `${s.name}.ndjson is stale: run npx tsx test/support/rollout-scenarios.ts`);
  });

  for (const name of SCENARIOS) {
    it(`${name}: the expected tree, line for line`, () => {
      const actual = renderTree(spans(name)).split('\n');
      const expected = readFileSync(path.join(statusFixturesDir, `${name}.expected.txt`), 'utf8').split('\n');
      for (let i = 0; i < Math.max(actual.length, expected.length); i++) assert.equal(actual[i], expected[i], `${name} line ${i + 1}`);
    });
  }

  it('every Pod.Ready of a Pod made during the capture hangs under the action that made that Pod', () => {
    for (const name of SCENARIOS) {
      const all = spans(name);
      const { parent } = index(all);
      const made = new Set(all.filter((s) => /^(Created pod: |create Pod )/.test(message(s))).map((s) => message(s).replace(/^Created pod: /, '').replace(/^create Pod (\S+) .*$/, '$1')));
      for (const ready of all.filter((s) => s.name === 'Pod.Ready' && made.has(podOf(s)))) {
        assert.ok(createdPod(parent(ready), podOf(ready)), `${name}: Pod.Ready of ${podOf(ready)} under ${parent(ready)?.name} ${parent(ready) ? message(parent(ready)!) : ''}`);
      }
    }
  });

  it("each RolloutComplete / RolloutFailed hangs under its generation's root, which ends no earlier", () => {
    const expected: Record<Name, Array<[string, number]>> = {
      'deployment-rollout': [['Deployment.RolloutComplete', 1], ['Deployment.RolloutComplete', 2]],
      'deployment-scale': [['Deployment.RolloutComplete', 5], ['Deployment.RolloutComplete', 6]],
      'statefulset-rolling-update': [['StatefulSet.RolloutComplete', 2]],
      'daemonset-rolling-update': [['DaemonSet.RolloutComplete', 2]],
      'deployment-progress-deadline': [['Deployment.RolloutFailed', 7]],
      'pod-oomkilled': [],
      'pod-readiness-flap': [['Deployment.RolloutComplete', 1]],
      'cronjob-runs': [],
      'hpa-rescale': [], // under the rescale that stands as its generation's root: test/engine/controller-changes.test.ts
      'deployment-traceparent': [1, 2, 3, 4].map((g) => ['Deployment.RolloutComplete', g] as [string, number]),
    };
    for (const name of SCENARIOS.filter((n) => n !== 'hpa-rescale')) {
      const all = spans(name);
      const { parent } = index(all);
      const ends = all.filter((s) => s.name.endsWith('.RolloutComplete') || s.name.endsWith('.RolloutFailed'));
      const wanted = expected[name];
      assert.equal(ends.length, wanted.length, `${name}: ${ends.map((s) => message(s)).join('; ')}`);
      for (const [spanName, generation] of wanted) {
        const span = ends.find((s) => s.name === spanName && (s.name.endsWith('RolloutFailed') || message(s).includes(`generation ${generation} `)));
        assert.ok(span, `${name}: ${spanName} of generation ${generation}`);
        const root = parent(span);
        assert.ok(root && root.parentSpanId === undefined, `${name}: ${spanName} directly under a root`);
        assert.equal(root.attributes['k8s.object.generation'], generation, `${name}: ${spanName} under the root of generation ${generation}`);
        assert.equal(span.traceId, root.traceId);
        assert.ok(root.endTime >= span.startTime, `${name}: the root ends (${root.endTime}) no earlier than its ${spanName} (${span.startTime})`);
        assert.equal(root.attributes['kspan.rollout.outcome'], spanName.endsWith('RolloutFailed') ? 'failed' : 'complete');
      }
    }
  });

  it('a rollout that passes its progress deadline is an ERROR span, and so is its root', () => {
    const all = spans('deployment-progress-deadline');
    const failed = all.filter((s) => s.name === 'Deployment.RolloutFailed');
    assert.equal(failed.length, 1);
    const reason = 'ReplicaSet "cart-64f976dc8" has timed out progressing.';
    assert.deepEqual(failed[0]!.status, { code: 'error', message: reason });
    const root = index(all).root(failed[0]!);
    assert.equal(root.name, 'Deployment.Update');
    assert.equal(root.service.name, 'kubectl-set');
    assert.deepEqual(root.status, { code: 'error', message: reason });
    assert.equal(root.attributes['kspan.rollout.outcome'], 'failed');
    // the new Pod's image never pulls: its kubelet Warnings are ERROR spans too, none of them Ready
    assert.ok(all.some((s) => s.name === 'Pod.Failed' && message(s) === 'Error: ImagePullBackOff' && s.status.code === 'error'));
    assert.deepEqual(all.filter((s) => s.name === 'Pod.Ready'), []);
  });

  it('an OOM-killed container is an ERROR Pod.Restarted per restart, with the termination reason', () => {
    const all = spans('pod-oomkilled');
    const restarted = all.filter((s) => s.name === 'Pod.Restarted').sort((a, b) => a.startTime - b.startTime);
    assert.deepEqual(restarted.map((s) => message(s)), [
      'Container restarted: worker: OOMKilled, exit code 137 (restarts: 1)',
      'Container restarted: worker: OOMKilled, exit code 137 (restarts: 2)',
    ]);
    for (const s of restarted) {
      assert.deepEqual(s.status, { code: 'error', message: message(s) });
      assert.equal(s.service.name, 'kubelet');
      assert.equal(s.attributes['kspan.span.source'], 'status');
    }
    assert.deepEqual(all.filter((s) => s.name === 'Pod.NotReady' || s.name === 'Pod.Ready').sort((a, b) => a.startTime - b.startTime).map((s) => s.name), ['Pod.NotReady', 'Pod.Ready', 'Pod.NotReady', 'Pod.Ready']);
    assert.equal(new Set(all.map((s) => s.traceId)).size, 1, 'one trace: the Deployment generation the Pod belongs to');
  });

  it('a failing readiness probe: Unhealthy warnings, then NotReady, then Ready again, all under the Pod\'s Created pod', () => {
    const all = spans('pod-readiness-flap');
    const { parent } = index(all);
    const flapping = all.filter((s) => s.name === 'Pod.NotReady');
    assert.equal(flapping.length, 1);
    const pod = podOf(flapping[0]!);
    const ofPod = all.filter((s) => podOf(s) === pod && ['Pod.Ready', 'Pod.NotReady', 'Pod.Unhealthy'].includes(s.name)).sort((a, b) => a.startTime - b.startTime);
    assert.deepEqual(ofPod.map((s) => s.name), ['Pod.Ready', 'Pod.Unhealthy', 'Pod.Unhealthy', 'Pod.NotReady', 'Pod.Unhealthy', 'Pod.Unhealthy', 'Pod.Ready']);
    for (const s of ofPod) assert.ok(createdPod(parent(s), pod), `${s.name} under ${parent(s)?.name}`);
    for (const s of ofPod.filter((x) => x.name === 'Pod.Unhealthy')) assert.equal(s.status.code, 'error');
    assert.equal(all.filter((s) => s.name === 'Deployment.RolloutComplete').length, 1, 'the dip and recovery of availability is no second rollout');
  });
});
