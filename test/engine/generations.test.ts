import assert from 'node:assert/strict';
import { ev, harness, obj, sec, specEntry } from './builders.js';

const RS = 'web-5d4f8c7b9';
const scaledUp = (n: number, last: number) => ev('Deployment', 'web', { component: 'deployment-controller', reason: 'ScalingReplicaSet', message: `Scaled up replica set ${RS} to ${n}`, last });
const createdPod = (pod: string, last: number) => ev('ReplicaSet', RS, { component: 'replicaset-controller', reason: 'SuccessfulCreate', message: `Created pod: ${pod}`, last });
const kubelet = (pod: string, message: string, last: number) => ev('Pod', pod, { component: 'kubelet', host: 'node-1', reason: 'Pulled', message, last });
const deployment = (gen: number, manager: string, time: string | undefined) =>
  obj('Deployment', 'web', { gen, managedFields: [specEntry('kubectl-client-side-apply', sec(0)), ...(manager !== 'kubectl-client-side-apply' ? [specEntry(manager, time)] : [])] });
const replicaSet = (gen: number) => obj('ReplicaSet', RS, { gen, owner: ['Deployment', 'web'] });
const pod = (name: string) => obj('Pod', name, { owner: ['ReplicaSet', RS] });

/** Deployment gen 1 scaled its ReplicaSet to 1: one trace, given up on and settled. */
function firstScaleUp() {
  const h = harness();
  h.put(deployment(1, 'kubectl-client-side-apply', sec(0)), replicaSet(1), pod(`${RS}-aaaaa`));
  h.add(scaledUp(1, 0), 0.01);
  h.add(createdPod(`${RS}-aaaaa`, 0), 0.02);
  h.tick(5.1);
  return h;
}

const roots = (h: ReturnType<typeof harness>) => h.spans.filter((s) => s.parentSpanId === undefined);

describe('engine: a new trace per change (5.9)', () => {
  it('a new generation of a top-level object starts a new trace, even inside expireAfter', () => {
    const h = firstScaleUp();
    h.put(deployment(2, 'kubectl-set', sec(40)), replicaSet(2));
    h.add(scaledUp(2, 40), 40.01);
    assert.equal(h.correlator.stats().pendingEvents, 1, 'the gen-1 root does not parent gen-2 events');
    h.flush(60);
    const [first, second] = roots(h).sort((a, b) => a.startTime - b.startTime);
    assert.equal(roots(h).length, 2);
    assert.notEqual(first!.traceId, second!.traceId);
    assert.equal(second!.service.name, 'kubectl-set');
    assert.equal(h.byMessage(`Scaled up replica set ${RS} to 2`).traceId, second!.traceId);
    assert.equal(h.correlator.stats().tracesStarted, 2);
  });

  it('a Created pod that arrives before the Scaled up that caused it waits for it', () => {
    const h = firstScaleUp();
    h.put(deployment(2, 'kubectl', undefined), replicaSet(2), pod(`${RS}-bbbbb`));
    h.add(createdPod(`${RS}-bbbbb`, 40), 40.01);
    assert.equal(h.correlator.stats().pendingEvents, 1, 'the gen-1 scale-up does not parent it');
    h.add(scaledUp(2, 40), 40.012);
    h.tick(46);
    h.flush(60);
    assert.equal(h.parentOf(`Created pod: ${RS}-bbbbb`)!.attributes['k8s.event.message'], `Scaled up replica set ${RS} to 2`);
    assert.equal(h.parentOf(`Scaled up replica set ${RS} to 2`)!.service.name, 'kubectl');
  });

  it('the same happens when only the ReplicaSet moved to a new generation', () => {
    const h = firstScaleUp();
    // e.g. an HPA scaled the ReplicaSet's Deployment through the scale subresource... here only the RS moved
    h.put(replicaSet(2), pod(`${RS}-ccccc`));
    h.add(createdPod(`${RS}-ccccc`, 40), 40.01);
    assert.equal(h.correlator.stats().pendingEvents, 1);
    h.add(scaledUp(2, 40), 40.02);
    assert.equal(h.correlator.stats().pendingEvents, 0);
    h.flush(60);
    assert.equal(h.parentOf(`Created pod: ${RS}-ccccc`)!.attributes['k8s.event.message'], `Scaled up replica set ${RS} to 2`);
    assert.equal(roots(h).length, 1, 'same Deployment generation: same trace');
  });

  it('a rescaled ReplicaSet does not cut a Pod\'s kubelet events off from the Created pod that made it', () => {
    const h = firstScaleUp();
    h.put(replicaSet(2));
    h.add(kubelet(`${RS}-aaaaa`, 'late kubelet event', 41), 41.2);
    assert.equal(h.correlator.stats().pendingEvents, 0);
    h.flush(60);
    assert.equal(h.parentOf('late kubelet event')!.attributes['k8s.event.message'], `Created pod: ${RS}-aaaaa`);
  });

  it('a stale entry stops step c at that owner instead of falling through to (none, owner)', () => {
    const h = firstScaleUp();
    h.put(replicaSet(2));
    // an event on the ReplicaSet itself, which no rule maps: (Deployment, RS) is stale for it
    // (its involved object moved on), and the fresh gen-1 root under (none, Deployment) must not take it
    h.add(ev('ReplicaSet', RS, { component: 'replicaset-controller', reason: 'Resized', message: 'resized', last: 40 }), 40.1);
    assert.equal(h.correlator.stats().pendingEvents, 1);
    h.tick(45.2); // the give-up walk goes on upward, to the Deployment's (still current) root
    assert.equal(h.correlator.stats().pendingEvents, 0);
    h.flush(60);
    assert.equal(h.parentOf('resized')!.name, 'Deployment.Update');
    assert.equal(roots(h).length, 1);
  });

  it('remembers generations as seen when the event was received, not when it was placed', () => {
    const h = firstScaleUp();
    h.put(deployment(2, 'kubectl-set', sec(40)), replicaSet(2));
    h.add(scaledUp(2, 40), 40.01);
    // gen 3 arrives before the gen-2 event is given up on: the root is still gen 2's
    h.put(deployment(3, 'kubectl-edit', sec(42)));
    h.flush(60);
    const root = h.parentOf(`Scaled up replica set ${RS} to 2`)!;
    assert.equal(root.service.name, 'kubectl-set');
    assert.equal(root.attributes['k8s.object.generation'], 2);
  });
});

describe('engine: one root per generation (5.6, 5.9)', () => {
  it('a straggler of an older generation does not take (none, object) back: the newer generation keeps its one root', () => {
    const h = harness();
    const podA = `${RS}-aaaaa`;
    h.put(deployment(1, 'kubectl-client-side-apply', sec(0)));
    // the Created pod arrives before its ReplicaSet is known: when it is given up on, the
    // Deployment has moved to gen 2, and its walk makes gen 2's root
    h.add(createdPod(podA, 0), 0.01);
    h.put(replicaSet(1), pod(podA));
    h.add(scaledUp(1, 0), 0.02); // saw gen 1: its give-up walk then makes gen 1's root
    const annotated = ev('Deployment', 'web', { reason: 'Annotated', message: 'annotated', last: 0 });
    h.add(annotated, 0.03); // saw gen 1 too: given up on last, it finds gen 1's root made
    h.put(deployment(2, 'kubectl-set', sec(1)), replicaSet(2));
    h.tick(5.1);
    assert.equal(h.correlator.stats().tracesStarted, 2);
    // a later gen-2 event finds gen 2's root at once instead of waiting and making it again
    h.add(scaledUp(2, 6), 6.01);
    assert.equal(h.correlator.stats().pendingEvents, 0);
    h.flush(30);
    assert.equal(h.correlator.stats().tracesStarted, 2);
    const ids = h.spans.map((s) => `${s.traceId}/${s.spanId}`);
    assert.equal(new Set(ids).size, ids.length, 'no span id twice');
    assert.equal(roots(h).length, 2);
    const gen2Root = roots(h).find((r) => r.attributes['k8s.object.generation'] === 2)!;
    assert.equal(h.parentOf(`Scaled up replica set ${RS} to 2`)?.spanId, gen2Root.spanId);
    const gen1Root = h.parentOf(`Scaled up replica set ${RS} to 1`)!;
    assert.equal(gen1Root.attributes['k8s.object.generation'], 1);
    assert.equal(h.parentOf('annotated')?.spanId, gen1Root.spanId);
  });
});
