import assert from 'node:assert/strict';
import { engineConfigFromSpec } from '../../src/engine/config.js';
import { hashHex } from '../../src/engine/hash.js';
import { eventSpanId, rootTraceId } from '../../src/engine/ids.js';
import { at, ev, harness, rollout } from './builders.js';

const RS = 'web-5d4f8c7b9';
const POD = `${RS}-abcde`;
const scaledUp = (n = 1, last = 0) => ev('Deployment', 'web', { component: 'deployment-controller', reason: 'ScalingReplicaSet', message: `Scaled up replica set ${RS} to ${n}`, last });
const createdPod = (last = 0) => ev('ReplicaSet', RS, { component: 'replicaset-controller', reason: 'SuccessfulCreate', message: `Created pod: ${POD}`, last });
const kubelet = (reason: string, message: string, last: number, extra: Parameters<typeof ev>[2] = {}) => ev('Pod', POD, { component: 'kubelet', host: 'node-1', reason, message, last, ...extra });

function placed() {
  const h = harness();
  rollout(h);
  h.add(scaledUp(), 0.1);
  h.add(createdPod(0), 0.2);
  h.tick(5.1);
  return h;
}

describe('engine: spans (5.7)', () => {
  it('names, times, ids, resource and attributes follow the conventions', () => {
    const h = placed();
    h.add(kubelet('Pulled', 'pulled', 6, { count: 1, uid: 'ev-pulled' }), 6.3);
    h.flush(30);
    const s = h.byMessage('pulled');
    assert.equal(s.name, 'Pod.Pulled');
    assert.equal(s.startTime, at(6.3), 'second-granularity time corrected by the receive time');
    assert.equal(s.spanId, eventSpanId('ev-pulled', 1));
    assert.deepEqual(s.service, { name: 'kubelet', instance: 'node-1' });
    assert.deepEqual(s.status, { code: 'unset' });
    assert.deepEqual(s.attributes, {
      'k8s.namespace.name': 'default',
      'k8s.pod.name': POD,
      'k8s.pod.uid': `uid-Pod-${POD}`,
      'k8s.object.kind': 'Pod',
      'k8s.object.name': POD,
      'k8s.object.uid': `uid-Pod-${POD}`,
      'k8s.object.api_version': 'v1',
      'k8s.event.reason': 'Pulled',
      'k8s.event.message': 'pulled',
      'k8s.event.uid': 'ev-pulled',
      'k8s.event.count': 1,
      'k8s.event.type': 'Normal',
      'k8s.node.name': 'node-1',
    });
    assert.equal(s.sequence, 2, 'arrival order');
  });

  it('marks Warning events as errors', () => {
    const h = placed();
    h.add(kubelet('BackOff', 'Back-off restarting failed container web', 7, { type: 'Warning' }), 7.1);
    h.flush(30);
    assert.deepEqual(h.byMessage('Back-off restarting failed container web').status, { code: 'error', message: 'Back-off restarting failed container web' });
  });

  it('gives each occurrence of a repeated event its own span id (count, else series.count)', () => {
    const h = placed();
    h.add(kubelet('BackOff', 'backoff', 7, { count: 1, uid: 'ev-bo', type: 'Warning' }), 7.1);
    h.add(kubelet('BackOff', 'backoff', 9, { count: 2, uid: 'ev-bo', type: 'Warning' }), 9.1);
    const sched = { reporting: 'default-scheduler', reason: 'FailedScheduling', uid: 'ev-fs', type: 'Warning' as const };
    h.add(kubelet('FailedScheduling', 'fs', 8, { ...sched }), 8.1);
    h.add(kubelet('FailedScheduling', 'fs', 8, { ...sched, seriesCount: 2 }), 10.1);
    h.add(kubelet('FailedScheduling', 'fs', 8, { ...sched, seriesCount: 3 }), 12.1);
    h.flush(30);
    const ids = h.spans.filter((s) => s.name.endsWith('.BackOff') || s.name.endsWith('.FailedScheduling')).map((s) => s.spanId);
    assert.equal(ids.length, 5);
    assert.equal(new Set(ids).size, 5);
    assert.notEqual(eventSpanId('ev-fs', 2), eventSpanId('ev-fs', 3));
  });

  it('derives ids deterministically: root trace id from (uid, generation)', () => {
    const h = placed();
    h.flush(10);
    const root = h.spans.find((s) => s.parentSpanId === undefined)!;
    assert.equal(root.traceId, rootTraceId('uid-Deployment-web', 1));
    assert.notEqual(rootTraceId('uid-Deployment-web', 1), rootTraceId('uid-Deployment-web', 2));
    for (const s of h.spans) assert.equal(s.traceId, root.traceId);
  });

  it('makes well-formed ids: lowercase hex, right length, never all zero', () => {
    for (const input of ['', 'a', 'uid-1\u00002', 'x'.repeat(500)]) {
      assert.match(hashHex(input, 2), /^[0-9a-f]{16}$/);
      assert.match(hashHex(input, 4), /^[0-9a-f]{32}$/);
      assert.doesNotMatch(hashHex(input, 4), /^0+$/);
    }
    assert.equal(hashHex('same', 4), hashHex('same', 4));
    assert.notEqual(hashHex('same', 4), hashHex('Same', 4));
  });
});

describe('engine: durations (5.8)', () => {
  it('the next span on the same object ends the previous one, which is then final', () => {
    const h = placed();
    const out = h.add(kubelet('Pulling', 'pulling', 6), 6.2);
    assert.ok(!out.some((s) => s.name === 'Pod.Pulling'));
    const ended = h.add(kubelet('Pulled', 'pulled', 9), 9.4);
    const pulling = ended.find((s) => s.name === 'Pod.Pulling');
    assert.ok(pulling, 'Pulling is final once Pulled arrives');
    assert.equal(pulling.startTime, at(6.2));
    assert.equal(pulling.endTime, at(9.4));
  });

  it('a parent\'s end grows to cover its children (while the parent is held)', () => {
    const h = placed();
    h.add(kubelet('Started', 'started', 8), 8.7);
    h.flush(30);
    const created = h.byMessage(`Created pod: ${POD}`);
    const root = h.spans.find((s) => s.parentSpanId === undefined)!;
    assert.equal(created.endTime, at(8.7));
    assert.equal(root.endTime, at(8.7), 'grandparents too');
    assert.equal(root.startTime, at(0));
  });

  it('releases held spans once they ended more than 2 x window ago', () => {
    const h = placed();
    assert.equal(h.correlator.stats().heldSpans, 3);
    assert.equal(h.tick(10).length, 0, '10 s after 0.2 is not more than 10 s');
    const released = h.tick(10.5);
    assert.deepEqual(released.map((s) => s.name).sort(), ['Deployment.ScalingReplicaSet', 'Deployment.Update', 'ReplicaSet.SuccessfulCreate']);
    assert.equal(h.correlator.stats().heldSpans, 0);
  });

  it('releases a span that arrives older than the held one at once, ended where the held one starts', () => {
    const h = placed();
    h.add(kubelet('Started', 'started', 9), 9.1);
    const out = h.add(kubelet('Scheduled', 'late', 0, { reporting: 'default-scheduler', eventTime: '2026-03-10T14:00:00.300000Z' }), 9.2);
    const late = out.find((s) => s.attributes['k8s.event.message'] === 'late')!;
    assert.equal(late.startTime, at(0.3));
    assert.equal(late.endTime, at(9.1));
  });

  it('flush returns every held span exactly once', () => {
    const h = placed();
    h.add(kubelet('Started', 'started', 8), 8.7);
    const all = h.flush(9);
    assert.equal(all.length, 4);
    assert.equal(h.flush(10).length, 0);
    assert.equal(h.correlator.stats().spansEmitted, 4);
  });

  it('bounds memory: held spans whose clocks run ahead are released after expireAfter', () => {
    const h = harness(engineConfigFromSpec({ correlation: { expireAfterSeconds: 30 } }));
    h.add(kubelet('Killing', 'future', 3600, { reporting: 'x', eventTime: '2026-03-10T15:00:00.000000Z' }), 0);
    h.tick(6); // given up waiting (never-seen Pod): held from 6 s on
    assert.equal(h.correlator.stats().heldSpans, 1);
    h.tick(35);
    assert.equal(h.correlator.stats().heldSpans, 1);
    h.tick(36.5);
    assert.equal(h.correlator.stats().heldSpans, 0);
  });

  it('expires recent actions expireAfter after their last use', () => {
    const h = harness(engineConfigFromSpec({ correlation: { expireAfterSeconds: 60 } }));
    rollout(h);
    h.add(scaledUp(), 0.1);
    h.tick(5.2);
    // the root as (none, Deployment), the root as its generation's root, the scale-up
    assert.equal(h.correlator.stats().recentEntries, 3);
    h.tick(64);
    assert.equal(h.correlator.stats().recentEntries, 3, 'made or used at 5.2');
    h.tick(66);
    assert.equal(h.correlator.stats().recentEntries, 0);
    // the Deployment's activity is forgotten: a new event on it waits for a new root again
    h.add(scaledUp(2, 70), 70.1);
    assert.equal(h.correlator.stats().pendingEvents, 1);
  });
});
