import assert from 'node:assert/strict';
import { engineConfigFromSpec } from '../../src/engine/config.js';
import { attributeChange } from '../../src/engine/root-attribution.js';
import { TickSchedule } from '../../src/engine/schedule.js';
import { at, ev, harness, obj, rollout, sec, specEntry } from './builders.js';

const RS = 'web-5d4f8c7b9';
const POD = `${RS}-abcde`;
const scaledUp = (n = 1, last = 0) => ev('Deployment', 'web', { component: 'deployment-controller', reason: 'ScalingReplicaSet', message: `Scaled up replica set ${RS} to ${n}`, last });
const createdPod = (pod = POD, last = 0) => ev('ReplicaSet', RS, { component: 'replicaset-controller', reason: 'SuccessfulCreate', message: `Created pod: ${pod}`, last });
const kubelet = (reason: string, message: string, last = 1, pod = POD) => ev('Pod', pod, { component: 'kubelet', host: 'node-1', reason, message, last });

describe('engine: pending events and the give-up walk (5.5, 5.6)', () => {
  it('retries pending events after each emitted span, repeatedly, in arrival order', () => {
    const h = harness();
    rollout(h);
    // grandchildren first, then the child, then (after the walk) everything falls into place
    h.add(kubelet('Started', 'started', 0), 0.05);
    h.add(createdPod(POD, 0), 0.06);
    h.add(scaledUp(1, 0), 0.07);
    assert.equal(h.correlator.stats().pendingEvents, 3);
    h.tick(5.05);
    assert.equal(h.correlator.stats().pendingEvents, 0);
    h.flush(20);
    assert.equal(h.parentOf('started')!.attributes['k8s.event.message'], `Created pod: ${POD}`);
    assert.equal(h.parentOf(`Created pod: ${POD}`)!.attributes['k8s.event.message'], `Scaled up replica set ${RS} to 1`);
    assert.equal(h.parentOf(`Scaled up replica set ${RS} to 1`)!.name, 'Deployment.Update');
  });

  it('places an event as soon as its parent is emitted, without waiting for a tick', () => {
    const h = harness();
    rollout(h);
    h.add(scaledUp(), 0.1);
    h.tick(5.2); // root + scale-up
    h.add(kubelet('Pulled', 'pulled', 6), 6.05);
    assert.equal(h.correlator.stats().pendingEvents, 1);
    h.add(createdPod(POD, 6), 6.1);
    assert.equal(h.correlator.stats().pendingEvents, 0);
  });

  it('gives up only on events older than the window', () => {
    const h = harness();
    rollout(h);
    h.add(scaledUp(), 1);
    h.tick(5.9);
    assert.equal(h.correlator.stats().pendingEvents, 1);
    h.tick(6);
    assert.equal(h.correlator.stats().pendingEvents, 0);
    assert.equal(h.correlator.stats().tracesStarted, 1);
  });

  it('makes the root for the top-level owner, emitted first, with the walking event under it', () => {
    const h = harness();
    rollout(h);
    h.add(scaledUp(), 0.5);
    h.flush(1);
    const [root, child] = [...h.spans].sort((a, b) => a.sequence - b.sequence || Number(a.parentSpanId !== undefined) - Number(b.parentSpanId !== undefined));
    assert.equal(root!.name, 'Deployment.Update');
    assert.equal(root!.service.name, 'kubectl-client-side-apply');
    assert.equal(root!.startTime, at(0), 'the managedFields entry time');
    assert.equal(root!.attributes['k8s.deployment.name'], 'web');
    assert.equal(root!.attributes['k8s.object.generation'], 1);
    assert.equal(child!.parentSpanId, root!.spanId);
    assert.equal(child!.traceId, root!.traceId);
  });

  it('walks from the actor when the object was never seen', () => {
    const h = harness();
    rollout(h);
    h.add(createdPod('web-5d4f8c7b9-gone', 0), 0.1);
    h.flush(1);
    assert.equal(h.parentOf('Created pod: web-5d4f8c7b9-gone')!.name, 'Deployment.Update');
    assert.equal(h.correlator.stats().eventsUnresolved, 0);
  });

  it('counts an event whose object and actor were never seen as unresolved, and still emits it', () => {
    const h = harness();
    h.add(kubelet('Killing', 'orphan one', 0, 'never-seen'), 0.1);
    h.add(kubelet('Killing', 'orphan two', 0, 'never-seen'), 0.2);
    h.flush(10);
    const s = h.correlator.stats();
    assert.equal(s.eventsUnresolved, 1, 'the second joins the first');
    assert.equal(h.byMessage('orphan one').parentSpanId, undefined);
    assert.equal(h.parentOf('orphan two')!.attributes['k8s.event.message'], 'orphan one');
  });

  it('ignores an event without an involved object, counting it unresolved', () => {
    const h = harness();
    const e = ev('Pod', 'p');
    e.involvedObject = {};
    assert.deepEqual(h.add(e, 0), []);
    assert.equal(h.correlator.stats().eventsUnresolved, 1);
    assert.equal(h.correlator.stats().eventsReceived, 1);
  });

  it('caps pending events: the oldest is given up early and placed, an unknown object in a trace of its own (nothing dropped)', () => {
    const h = harness(engineConfigFromSpec({ correlation: { maxPendingEvents: 2 } }));
    rollout(h);
    h.add(scaledUp(), 0.1);
    h.add(kubelet('Killing', 'orphan', 0, 'never-seen'), 0.2);
    h.add(createdPod(POD, 0), 0.3); // 3 > 2: the scale-up is walked now (root made), the Created pod follows it
    let s = h.correlator.stats();
    assert.equal(s.pendingOverflow, 1);
    assert.equal(s.tracesStarted, 1);
    assert.equal(s.pendingEvents, 1, 'only the orphan still waits');
    h.add(kubelet('Killing', 'orphan 2', 0, 'never-seen-2'), 0.4);
    h.add(kubelet('Killing', 'orphan 3', 0, 'never-seen-3'), 0.5);
    s = h.correlator.stats();
    assert.equal(s.pendingEvents, 2);
    assert.equal(s.pendingOverflow, 2);
    assert.equal(s.eventsUnresolved, 1, 'the first orphan, placed when the third arrived');
    h.flush(10);
    assert.equal(h.correlator.stats().eventsUnresolved, 3);
    for (const message of ['orphan', 'orphan 2', 'orphan 3']) assert.equal(h.byMessage(message).parentSpanId, undefined);
  });

  it('keeps pending events and held spans across reconfigure', () => {
    const h = harness();
    rollout(h);
    h.add(scaledUp(), 0.1);
    h.correlator.reconfigure(engineConfigFromSpec({ correlation: { recentWindowSeconds: 1 } }));
    assert.equal(h.correlator.stats().pendingEvents, 1);
    h.tick(1.2);
    assert.equal(h.correlator.stats().pendingEvents, 0, 'the new window applies');
  });
});

describe('engine: root attribution from managedFields (5.6)', () => {
  const deploy = (gen: number, managedFields: ReturnType<typeof specEntry>[], spec?: unknown) => obj('Deployment', 'web', { gen, managedFields, ...(spec !== undefined ? { spec } : {}) });
  const status = { manager: 'kube-controller-manager', operation: 'Update', time: sec(99), fieldsType: 'FieldsV1', fieldsV1: { 'f:status': { 'f:replicas': {} } } };

  it('picks the f:spec entry that appeared with this generation', () => {
    const before = deploy(1, [specEntry('kubectl-client-side-apply', sec(0))]);
    const after = deploy(2, [specEntry('kubectl-client-side-apply', sec(0)), specEntry('kubectl-set', sec(30)), status]);
    assert.deepEqual(attributeChange(after, before), { manager: 'kubectl-set', operation: 'Update', time: at(30) });
  });

  it('picks the entry whose time changed', () => {
    const before = deploy(1, [specEntry('flux', sec(0)), specEntry('kubectl-set', sec(5))]);
    const after = deploy(2, [specEntry('flux', sec(60)), specEntry('kubectl-set', sec(5)), status]);
    assert.equal(attributeChange(after, before)!.manager, 'flux');
  });

  it('picks the entry whose fields grew', () => {
    const before = deploy(1, [specEntry('helm', sec(0), { 'f:replicas': {} }), specEntry('kubectl-set', sec(5))]);
    const after = deploy(2, [specEntry('helm', sec(0), { 'f:replicas': {}, 'f:paused': {} }), specEntry('kubectl-set', sec(5))]);
    assert.equal(attributeChange(after, before)!.manager, 'helm');
  });

  it('else the entry owning the f:spec fields whose values changed (list elements by key)', () => {
    const containers = { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {} } } } } };
    const entries = [specEntry('kubectl-client-side-apply', sec(0), { 'f:replicas': {} }), specEntry('argocd-controller', sec(0), containers, { operation: 'Apply' })];
    const spec = (image: string, replicas: number) => ({ replicas, template: { spec: { containers: [{ name: 'web', image }] } } });
    const changedImage = attributeChange(deploy(2, entries, spec('nginx:2', 1)), deploy(1, entries, spec('nginx:1', 1)))!;
    assert.deepEqual([changedImage.manager, changedImage.operation], ['argocd-controller', 'Apply']);
    assert.equal(attributeChange(deploy(2, entries, spec('nginx:1', 3)), deploy(1, entries, spec('nginx:1', 1)))!.manager, 'kubectl-client-side-apply');
  });

  it('else the newest timed entry touching f:spec', () => {
    const d = deploy(2, [specEntry('helm', sec(10)), specEntry('kubectl-scale', undefined, { 'f:replicas': {} }, { subresource: 'scale' }), specEntry('kubectl-edit', sec(20)), status]);
    assert.deepEqual(attributeChange(d, undefined), { manager: 'kubectl-edit', operation: 'Update', time: at(20) });
  });

  it('an entry without time (scale subresource) gives no time: the root takes the walking event time', () => {
    const h = harness();
    h.put(deploy(1, [specEntry('kubectl-client-side-apply', sec(0))]));
    h.put(deploy(2, [specEntry('kubectl-client-side-apply', sec(0)), specEntry('kubectl', undefined, { 'f:replicas': {} }, { subresource: 'scale' })]));
    h.put(obj('ReplicaSet', RS, { gen: 2, owner: ['Deployment', 'web'] }));
    h.add(scaledUp(2, 40), 40.3);
    h.flush(50);
    const root = h.spans.find((s) => s.parentSpanId === undefined)!;
    assert.equal(root.service.name, 'kubectl');
    assert.equal(root.startTime, at(40.3));
  });

  it('falls back to unknown/Update without managedFields', () => {
    const h = harness();
    h.put(obj('Deployment', 'web', { gen: 1 }), obj('ReplicaSet', RS, { gen: 1, owner: ['Deployment', 'web'] }));
    h.add(scaledUp(1, 0), 0.2);
    h.flush(10);
    const root = h.spans.find((s) => s.parentSpanId === undefined)!;
    assert.deepEqual([root.service.name, root.name, root.startTime], ['unknown', 'Deployment.Update', at(0.2)]);
  });
});

describe('engine: tick schedule', () => {
  it('ticks one interval after the start, then every interval, at or before each time asked', () => {
    const s = new TickSchedule(2500);
    const fired: number[] = [];
    assert.equal(s.runDue(1000, (t) => fired.push(t)), 0);
    assert.equal(s.next, 3500);
    s.runDue(3499, (t) => fired.push(t));
    assert.equal(fired.length, 0);
    s.runDue(3500, (t) => fired.push(t));
    s.runDue(9000, (t) => fired.push(t));
    assert.deepEqual(fired, [3500, 6000, 8500]);
    s.setInterval(1000);
    s.runDue(11000, (t) => fired.push(t));
    assert.deepEqual(fired.slice(3), [11000]);
    assert.throws(() => new TickSchedule(0), RangeError);
  });
});
