import assert from 'node:assert/strict';
import { EXPECTED_PARENT_WAIT_MS } from '../../src/engine/correlator.js';
import type { KubeObject } from '../../src/engine/types.js';
import { ev, harness, micro, obj, sec, specEntry, type Harness } from './builders.js';

// §5.11: a rate-limited controller posts its `Created pod` seconds after the fact, while the
// scheduler's and the kubelet's events about that Pod arrive on time.

const RS = 'web-5d4f8c7b9';
const POD = `${RS}-abcde`;

function young(createdAt: number): KubeObject {
  const pod = obj('Pod', POD, { owner: ['ReplicaSet', RS] });
  pod.metadata.creationTimestamp = sec(createdAt);
  return pod;
}

function scaledUp(h: Harness, podCreatedAt: number): void {
  h.put(obj('Deployment', 'web', { gen: 1, managedFields: [specEntry('kubectl-client-side-apply', sec(0))] }), obj('ReplicaSet', RS, { gen: 1, owner: ['Deployment', 'web'] }), young(podCreatedAt));
  h.add(ev('Deployment', 'web', { component: 'deployment-controller', reason: 'ScalingReplicaSet', message: `Scaled up replica set ${RS} to 1`, last: 0 }), 0.1);
  h.add(ev('Pod', POD, { reporting: 'default-scheduler', reason: 'Scheduled', message: `Successfully assigned default/${POD} to node-1`, eventTime: micro(0.3) }), 0.3);
  h.add(ev('Pod', POD, { component: 'kubelet', host: 'node-1', reason: 'Pulling', message: 'Pulling image "web:1"', last: 1 }), 1.2);
}

describe('engine: waiting for the action that made the object (5.11)', () => {
  it("a Created pod posted 12 s late still parents the Pod's events, which waited for it", () => {
    const h = harness();
    scaledUp(h, 0);
    for (let t = 2.5; t <= 12; t += 2.5) h.tick(t);
    assert.equal(h.correlator.stats().pendingEvents, 2, 'still waiting past the window');
    h.add(ev('ReplicaSet', RS, { component: 'replicaset-controller', reason: 'SuccessfulCreate', message: `Created pod: ${POD}`, last: 0 }), 12.3);
    h.flush(40);
    assert.equal(h.parentOf(`Successfully assigned default/${POD} to node-1`)?.attributes['k8s.event.message'], `Created pod: ${POD}`);
    assert.equal(h.parentOf('Pulling image "web:1"')?.attributes['k8s.event.message'], `Created pod: ${POD}`);
    assert.equal(h.correlator.stats().ownParentsAwaited, 2);
    assert.equal(h.correlator.stats().underAncestor, 0);
    assert.equal(new Set(h.spans.map((s) => s.traceId)).size, 1);
  });

  it('past the bound, they go under the ancestor whose activity there was, counted', () => {
    const h = harness();
    scaledUp(h, 0);
    for (let t = 2.5; t < EXPECTED_PARENT_WAIT_MS / 1000; t += 2.5) h.tick(t);
    assert.equal(h.correlator.stats().pendingEvents, 2);
    h.tick(EXPECTED_PARENT_WAIT_MS / 1000 + 0.5);
    assert.equal(h.correlator.stats().pendingEvents, 0);
    h.flush(60);
    assert.equal(h.parentOf(`Successfully assigned default/${POD} to node-1`)?.attributes['k8s.event.message'], `Scaled up replica set ${RS} to 1`);
    assert.equal(h.correlator.stats().underAncestor, 1, 'the Scheduled; the Pulling found it then');
  });

  it('an event on a Pod made long ago does not wait past its window', () => {
    const h = harness();
    scaledUp(h, -600);
    h.tick(2.5);
    h.tick(5.5);
    h.tick(7.5);
    assert.equal(h.correlator.stats().pendingEvents, 0, 'given up at the end of its window, as before');
    h.flush(30);
    assert.equal(h.parentOf(`Successfully assigned default/${POD} to node-1`)?.attributes['k8s.event.message'], `Scaled up replica set ${RS} to 1`);
  });

  it('a span already placed under the ancestor moves under its own parent when that arrives while the span is held', () => {
    const h = harness();
    h.put(obj('Deployment', 'web', { gen: 1, managedFields: [specEntry('kubectl-client-side-apply', sec(0))] }), obj('ReplicaSet', RS, { gen: 1, owner: ['Deployment', 'web'] }), obj('Pod', POD, { owner: ['ReplicaSet', RS] }));
    h.add(ev('Deployment', 'web', { component: 'deployment-controller', reason: 'ScalingReplicaSet', message: `Scaled up replica set ${RS} to 1`, last: 0 }), 0.1);
    h.add(ev('Pod', POD, { reporting: 'default-scheduler', reason: 'Scheduled', message: `Successfully assigned default/${POD} to node-1`, eventTime: micro(0.3) }), 0.3);
    h.tick(2.5);
    h.tick(5.5); // no creation time known: placed at the end of its window, under the scale-up
    assert.equal(h.correlator.stats().pendingEvents, 0);
    h.add(ev('ReplicaSet', RS, { component: 'replicaset-controller', reason: 'SuccessfulCreate', message: `Created pod: ${POD}`, last: 0 }), 7);
    h.add(ev('Pod', POD, { component: 'kubelet', host: 'node-1', reason: 'Pulling', message: 'Pulling image "web:1"', last: 8 }), 8.1);
    h.flush(40);
    assert.equal(h.parentOf(`Successfully assigned default/${POD} to node-1`)?.attributes['k8s.event.message'], `Created pod: ${POD}`);
    assert.equal(h.parentOf('Pulling image "web:1"')?.attributes['k8s.event.message'], `Created pod: ${POD}`);
    assert.equal(h.correlator.stats().ownParentsAwaited, 1);
  });
});
