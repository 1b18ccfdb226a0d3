import assert from 'node:assert/strict';
import { engineConfigFromSpec } from '../../src/engine/config.js';
import { ev, harness, obj, rollout, specEntry, sec } from './builders.js';

const RS = 'web-5d4f8c7b9';
const POD = `${RS}-abcde`;
const scaledUp = (n = 1, last = 0) => ev('Deployment', 'web', { component: 'deployment-controller', reason: 'ScalingReplicaSet', message: `Scaled up replica set ${RS} to ${n}`, last });
const createdPod = (pod = POD, last = 0) => ev('ReplicaSet', RS, { component: 'replicaset-controller', reason: 'SuccessfulCreate', message: `Created pod: ${pod}`, last });
const kubelet = (reason: string, message: string, last = 1, pod = POD) => ev('Pod', pod, { component: 'kubelet', host: 'node-1', reason, message, last });

/** Gives the Deployment its root (give-up walk) and returns the harness with spans flushed. */
function started() {
  const h = harness();
  rollout(h);
  h.add(scaledUp(), 0.1);
  h.tick(5.2);
  return h;
}

describe('engine: parent search (5.5)', () => {
  it('a. a repeat of the same action is a sibling', () => {
    const h = started();
    h.add(scaledUp(2, 6), 6.1);
    h.flush(30);
    const first = h.byMessage(`Scaled up replica set ${RS} to 1`);
    const second = h.byMessage(`Scaled up replica set ${RS} to 2`);
    assert.equal(second.parentSpanId, first.parentSpanId);
    assert.equal(h.parentOf(`Scaled up replica set ${RS} to 2`)!.name, 'Deployment.Update');
  });

  it('a. else (none, actor) gives its span', () => {
    const h = harness();
    h.put(obj('ConfigMap', 'settings'), obj('Widget', 'w1'));
    const rules = engineConfigFromSpec({ ownerKindRules: [{ involvedKind: 'ConfigMap', messagePattern: 'widget (\\S+)', targetKind: 'Widget' }] });
    h.correlator.reconfigure(rules);
    h.add(ev('ConfigMap', 'settings', { component: 'me', reason: 'Changed', message: 'changed', last: 0, annotations: { topLevelSpan: 'true' } }), 0.1);
    h.add(ev('ConfigMap', 'settings', { component: 'me', reason: 'Rolled', message: 'rolled widget w1', last: 0 }), 0.2);
    h.flush(10);
    assert.equal(h.parentOf('rolled widget w1')!.attributes['k8s.event.message'], 'changed');
  });

  it('b. an event annotated topLevelSpan starts a trace and is its root', () => {
    const h = harness();
    rollout(h);
    const flux = ev('Deployment', 'web', { component: 'flux', reason: 'Sync', message: 'Commit e332e7bac962: Update nginx', last: 0, annotations: { topLevelSpan: 'true' } });
    h.add(flux, 0.05);
    h.add(scaledUp(1, 0), 0.1);
    h.add(createdPod(POD, 0), 0.2);
    h.flush(1);
    const top = h.byMessage('Commit e332e7bac962: Update nginx');
    assert.equal(top.parentSpanId, undefined);
    assert.equal(h.parentOf(`Scaled up replica set ${RS} to 1`)!.spanId, top.spanId);
    assert.equal(h.parentOf(`Created pod: ${POD}`)!.attributes['k8s.event.message'], `Scaled up replica set ${RS} to 1`);
    assert.equal(new Set(h.spans.map((s) => s.traceId)).size, 1);
    assert.equal(h.spans.length, 3, 'no root span is made: the annotated event is the root');
  });

  it('c. (owner, object) gives its span: kubelet events join the Created pod', () => {
    const h = started();
    h.add(createdPod(POD, 6), 6.1);
    h.add(kubelet('Pulled', 'Container image "nginx" already present on machine', 6), 6.2);
    h.flush(20);
    assert.equal(h.parentOf('Container image "nginx" already present on machine')!.attributes['k8s.event.message'], `Created pod: ${POD}`);
  });

  it('c. (none, object) gives its parent when there is no (owner, object)', () => {
    const h = started();
    // The Created pod event was lost: the first kubelet event waits, then the give-up walk
    // places it under the ReplicaSet's scale-up; the next kubelet event is its sibling.
    h.add(kubelet('Scheduled', 'first kubelet event', 6), 6.1);
    h.tick(12.7);
    h.add(kubelet('Started', 'later kubelet event', 13), 13.1);
    h.flush(40);
    const scaled = h.byMessage(`Scaled up replica set ${RS} to 1`);
    assert.equal(h.byMessage('first kubelet event').parentSpanId, scaled.spanId);
    assert.equal(h.byMessage('later kubelet event').parentSpanId, scaled.spanId);
  });

  it('c. (none, owner) gives its span', () => {
    const h = started();
    // no Created pod event was seen (lost); the Pod's kubelet event joins the ReplicaSet's activity
    h.add(ev('ReplicaSet', RS, { component: 'replicaset-controller', reason: 'Scaled', message: 'rs touched', last: 6 }), 6.1);
    h.add(kubelet('Pulled', 'pulled', 6), 6.2);
    h.flush(20);
    assert.equal(h.parentOf('pulled')!.attributes['k8s.event.message'], 'rs touched');
  });

  it('c. an object without owners: (none, object) gives its span', () => {
    const h = harness();
    h.put(obj('Pod', 'bare', { managedFields: [specEntry('kubectl-run', sec(0), { 'f:containers': {} })] }));
    h.add(kubelet('Scheduled', 'one', 0, 'bare'), 0.1);
    h.tick(5.2);
    h.add(kubelet('Pulled', 'two', 6, 'bare'), 6.1);
    h.add(kubelet('Started', 'three', 6, 'bare'), 6.2);
    h.flush(20);
    const root = h.spans.find((s) => s.parentSpanId === undefined)!;
    assert.equal(root.name, 'Pod.Update');
    assert.equal(root.service.name, 'kubectl-run');
    // a top-level action that got a real parent is not stored: every event stays a child of the root
    for (const m of ['one', 'two', 'three']) assert.equal(h.byMessage(m).parentSpanId, root.spanId, m);
  });

  it('d. step c applied to the actor', () => {
    const h = started();
    // the Pod of this Created pod was never seen: from the actor (the ReplicaSet) its owner's action gives the span
    h.add(createdPod('web-5d4f8c7b9-never', 6), 6.1);
    h.flush(20);
    assert.equal(h.parentOf('Created pod: web-5d4f8c7b9-never')!.attributes['k8s.event.message'], `Scaled up replica set ${RS} to 1`);
  });

  it('an entry whose span has no parent gives no parent', () => {
    const h = harness();
    rollout(h);
    // a trace start on the Pod (topLevelSpan): its (none, Pod) entry has no parent
    h.add(ev('Pod', POD, { component: 'kubelet', reason: 'Scheduled', message: 'top', last: 0, annotations: { topLevelSpan: 'true' } }), 0.1);
    h.add(kubelet('Pulled', 'waits', 0), 0.2);
    assert.equal(h.correlator.stats().pendingEvents, 1, '(none, Pod) is not a hit for "gives its parent"');
    h.flush(10);
    assert.equal(h.parentOf('waits')!.name, 'Deployment.Update', 'the give-up walk found the Deployment');
  });
});
