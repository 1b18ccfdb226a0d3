import assert from 'node:assert/strict';
import { ev, harness, obj, sec, specEntry, type Harness } from './builders.js';

// Events and objects come through separate watches: an event can reach the engine a few
// milliseconds before the object it is about. The engine must then do what it would have done
// had the object come first, as soon as the object arrives.

const RS = 'web-5d4f8c7b9';
const POD = `${RS}-aaaaa`;
const deployment = obj('Deployment', 'web', { gen: 1, managedFields: [specEntry('kubectl-client-side-apply', sec(0))] });
const replicaSet = obj('ReplicaSet', RS, { gen: 1, owner: ['Deployment', 'web'] });
const pod = { ...obj('Pod', POD, { owner: ['ReplicaSet', RS] }), spec: { nodeName: 'node-7' } };
const scaledUp = () => ev('Deployment', 'web', { component: 'deployment-controller', reason: 'ScalingReplicaSet', message: `Scaled up replica set ${RS} to 1`, last: 0, uid: 'ev-scaled' });
const createdPod = () => ev('ReplicaSet', RS, { component: 'replicaset-controller', reason: 'SuccessfulCreate', message: `Created pod: ${POD}`, last: 0, uid: 'ev-created' });
const scheduled = () => ev('Pod', POD, { reporting: 'default-scheduler', reason: 'Scheduled', message: `Successfully assigned default/${POD} to node-7`, last: 6, uid: 'ev-scheduled' });

/** A settled scale-up trace (root given up on at the tick); the Pod object not delivered yet. */
function settledTrace() {
  const h = harness();
  h.put(deployment, replicaSet);
  h.add(scaledUp(), 0.01);
  h.add(createdPod(), 0.02);
  h.tick(5.1);
  assert.equal(h.correlator.stats().pendingEvents, 0);
  return h;
}

/**
 * The Pod's Scheduled event, received at 6 s, waits (`why`); the Pod with its owner arrives at
 * 6.02 s and the event is placed then, under the Created pod span, not at the give-up walk.
 */
function placedOnArrival(h: Harness, why: string): void {
  h.add(scheduled(), 6.0);
  assert.equal(h.correlator.stats().pendingEvents, 1, why);
  h.arrive(pod, 6.02);
  assert.equal(h.correlator.stats().pendingEvents, 0, 'placed when the Pod arrived, not at the give-up walk');
  h.flush(20);
  assert.equal(h.parentOf(`Successfully assigned default/${POD} to node-7`)!.attributes['k8s.event.message'], `Created pod: ${POD}`);
}

describe('engine: objects that arrive after their events', () => {
  it('an event on a Pod not delivered yet waits, and is placed as soon as the Pod arrives', () => {
    placedOnArrival(settledTrace(), 'nothing is known of the Pod yet');
  });

  it('the span is the one it would have been had the Pod come first (node name included)', () => {
    const late = settledTrace();
    late.add(scheduled(), 6.0);
    late.arrive(pod, 6.02);
    late.flush(20);
    const early = settledTrace();
    early.arrive(pod, 5.9);
    early.add(scheduled(), 6.0);
    early.flush(20);
    const message = `Successfully assigned default/${POD} to node-7`;
    const [a, b] = [late.byMessage(message), early.byMessage(message)];
    assert.equal(a.attributes['k8s.node.name'], 'node-7');
    assert.deepEqual({ ...a, sequence: 0 }, { ...b, sequence: 0 });
    assert.deepEqual(late.parentOf(message), early.parentOf(message));
  });

  it('an object nothing waits on changes nothing', () => {
    const h = settledTrace();
    const before = h.correlator.stats();
    assert.deepEqual(h.arrive(pod, 6), []);
    assert.deepEqual(h.correlator.stats(), before);
  });

  it('an event still waiting for its parent keeps waiting when its object arrives', () => {
    const h = harness();
    h.put(deployment, replicaSet);
    h.add(scheduled(), 0.01);
    h.arrive(pod, 0.02);
    assert.equal(h.correlator.stats().pendingEvents, 1, 'no Created pod yet: the event waits for it');
    h.add(scaledUp(), 0.03);
    h.add(createdPod(), 0.04);
    h.tick(5.1);
    h.flush(20);
    assert.equal(h.parentOf(`Successfully assigned default/${POD} to node-7`)!.attributes['k8s.event.message'], `Created pod: ${POD}`);
  });

  it('an event waiting on a Pod without owners is placed as soon as the Pod is adopted', () => {
    const h = settledTrace();
    h.arrive({ ...obj('Pod', POD), spec: { nodeName: 'node-7' } }, 5.9);
    placedOnArrival(h, 'no owner, no action on the Pod: the event waits');
  });
});
