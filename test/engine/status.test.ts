import assert from 'node:assert/strict';
import { engineConfigFromSpec } from '../../src/engine/config.js';
import type { KubeObject, SpanRecord } from '../../src/engine/types.js';
import { ev, harness, obj, sec, specEntry, type Harness } from './builders.js';

const RS = 'web-5d4f8c7b9';
const POD = `${RS}-abcde`;
const statusEntry = (manager: string, time: string) => ({ manager, operation: 'Update', apiVersion: 'v1', time, subresource: 'status', fieldsType: 'FieldsV1', fieldsV1: { 'f:status': {} } });

function pod(ready: 'True' | 'False' | undefined, readyAt: number, restarts = 0, termination?: string): KubeObject {
  const o = obj('Pod', POD, { owner: ['ReplicaSet', RS], spec: { nodeName: 'node-1' } }) as KubeObject & { status: unknown };
  o.metadata.managedFields = [statusEntry('kubelet', sec(readyAt))];
  o.status = {
    phase: 'Running',
    conditions: ready === undefined ? [] : [{ type: 'Ready', status: ready, lastTransitionTime: sec(readyAt) }],
    containerStatuses: [{ name: 'app', restartCount: restarts, ...(termination ? { lastState: { terminated: { reason: termination, exitCode: 137, finishedAt: sec(readyAt) } } } : {}) }],
  };
  return o;
}

function deployment(gen: number, status: { observed: number; current: number; updated: number; available: number; progressing?: [string, string] }, replicas = 2): KubeObject {
  const o = obj('Deployment', 'web', { gen, managedFields: [specEntry(gen === 1 ? 'kubectl-create' : 'kubectl-set', sec(gen === 1 ? 0 : 40)), statusEntry('kube-controller-manager', sec(50)) as never], spec: { replicas } }) as KubeObject & { status: unknown };
  const [status_, reason] = status.progressing ?? ['True', 'ReplicaSetUpdated'];
  o.status = {
    observedGeneration: status.observed, replicas: status.current, updatedReplicas: status.updated, availableReplicas: status.available,
    conditions: [{ type: 'Progressing', status: status_, reason, lastUpdateTime: sec(status.observed === gen ? 12 : 1), lastTransitionTime: sec(1), message: reason === 'ProgressDeadlineExceeded' ? `ReplicaSet "${RS}" has timed out progressing.` : 'progressing' }],
  };
  return o;
}

/** A Deployment create: the deployment- and replicaset-controller's events, the Pod's kubelet events. */
function created(h: Harness): void {
  h.arrive(deployment(1, { observed: 1, current: 0, updated: 0, available: 0 }), 0);
  h.arrive(obj('ReplicaSet', RS, { gen: 1, owner: ['Deployment', 'web'] }), 0.1);
  h.add(ev('Deployment', 'web', { component: 'deployment-controller', reason: 'ScalingReplicaSet', message: `Scaled up replica set ${RS} to 1`, last: 0 }), 0.1);
  h.arrive(pod(undefined, 0), 0.2);
  h.add(ev('ReplicaSet', RS, { component: 'replicaset-controller', reason: 'SuccessfulCreate', message: `Created pod: ${POD}`, last: 0 }), 0.2);
  h.add(ev('Pod', POD, { component: 'kubelet', host: 'node-1', reason: 'Started', message: 'Started container app', last: 2 }), 2.1);
  h.arrive(pod('False', 2), 2.2);
}

const named = (spans: SpanRecord[], name: string): SpanRecord[] => spans.filter((s) => s.name === name);
const one = (spans: SpanRecord[], name: string): SpanRecord => {
  const found = named(spans, name);
  assert.equal(found.length, 1, `one ${name} (of ${spans.map((s) => s.name).join(', ')})`);
  return found[0]!;
};
const parent = (spans: SpanRecord[], span: SpanRecord) => spans.find((s) => s.spanId === span.parentSpanId);

describe('engine: status transitions (5.10)', () => {
  it('a Pod turning Ready is a span under the Created pod of that Pod, timed by its condition, from the kubelet', () => {
    const h = harness();
    created(h);
    h.arrive(pod('True', 5), 5.3);
    h.flush(60);
    const ready = one(h.spans, 'Pod.Ready');
    assert.equal(parent(h.spans, ready)?.attributes['k8s.event.message'], `Created pod: ${POD}`);
    assert.equal(ready.service.name, 'kubelet');
    assert.equal(ready.startTime, Date.parse(sec(5)) + 300, 'second-granularity time, received within a second: the receive time');
    assert.equal(ready.attributes['kspan.span.source'], 'status');
    assert.equal(ready.attributes['k8s.event.uid'], undefined, 'no Event behind it');
    assert.equal(one(h.spans, 'Pod.Started').endTime, ready.startTime, 'Started lasts until Ready');
  });

  it('NotReady and Ready again are spans of their own; a restart is an ERROR span with its termination reason', () => {
    const h = harness();
    created(h);
    h.arrive(pod('True', 5), 5.3);
    h.arrive(pod('False', 20), 20.1);
    h.arrive(pod('True', 30, 1, 'OOMKilled'), 30.2);
    h.flush(60);
    assert.equal(named(h.spans, 'Pod.Ready').length, 2);
    one(h.spans, 'Pod.NotReady');
    const restarted = one(h.spans, 'Pod.Restarted');
    assert.equal(restarted.status.code, 'error');
    assert.match(String(restarted.attributes['k8s.event.message']), /app: OOMKilled, exit code 137 \(restarts: 1\)/);
    assert.equal(new Set(h.spans.map((s) => s.traceId)).size, 1, 'all in the creation trace');
  });

  it('an object first seen Ready is no transition (a relist after a restart)', () => {
    const h = harness();
    h.arrive(pod('True', 5), 5);
    h.flush(60);
    assert.deepEqual(h.spans.map((s) => s.name), []);
  });

  it("RolloutComplete ends its generation: under that generation's root, which stays open until then, once", () => {
    const h = harness();
    created(h);
    h.arrive(pod('True', 5), 5.3);
    h.tick(8);
    h.tick(30); // nothing happens for 20 s: an ordinary root would have been released by now
    assert.deepEqual(named(h.spans, 'Deployment.Update'), [], 'the root waits for its rollout');
    h.arrive(deployment(1, { observed: 1, current: 2, updated: 2, available: 2, progressing: ['True', 'NewReplicaSetAvailable'] }), 40);
    h.arrive(deployment(1, { observed: 1, current: 2, updated: 2, available: 1, progressing: ['True', 'NewReplicaSetAvailable'] }), 41);
    h.arrive(deployment(1, { observed: 1, current: 2, updated: 2, available: 2, progressing: ['True', 'NewReplicaSetAvailable'] }), 42);
    h.tick(60);
    const complete = one(h.spans, 'Deployment.RolloutComplete');
    const root = one(h.spans, 'Deployment.Update');
    assert.equal(complete.parentSpanId, root.spanId);
    assert.equal(complete.service.name, 'kube-controller-manager');
    assert.ok(root.endTime >= complete.startTime, 'the root ends no earlier than its rollout');
    assert.equal(root.attributes['kspan.rollout.outcome'], 'complete');
    assert.equal(root.status.code, 'unset');
  });

  it('RolloutFailed is an ERROR span and makes its root ERROR with the condition message', () => {
    const h = harness();
    created(h);
    h.tick(8);
    h.arrive(deployment(1, { observed: 1, current: 1, updated: 1, available: 0, progressing: ['False', 'ProgressDeadlineExceeded'] }), 600);
    h.flush(700);
    const failed = one(h.spans, 'Deployment.RolloutFailed');
    const root = one(h.spans, 'Deployment.Update');
    assert.equal(failed.status.code, 'error');
    assert.deepEqual(root.status, { code: 'error', message: `ReplicaSet "${RS}" has timed out progressing.` });
    assert.equal(root.attributes['kspan.rollout.outcome'], 'failed');
  });

  it('a root superseded before its rollout ends ends at the next generation, and says so', () => {
    const h = harness();
    created(h);
    h.tick(8);
    h.arrive(deployment(2, { observed: 1, current: 1, updated: 1, available: 0 }), 40);
    h.add(ev('Deployment', 'web', { component: 'deployment-controller', reason: 'ScalingReplicaSet', message: 'Scaled up replica set web-new to 1', last: 40 }), 40.1);
    h.flush(60);
    const roots = named(h.spans, 'Deployment.Update').sort((a, b) => a.startTime - b.startTime);
    assert.equal(roots.length, 2);
    assert.equal(roots[0]!.attributes['kspan.rollout.outcome'], 'superseded');
    assert.equal(roots[0]!.attributes['kspan.rollout.superseded_by_generation'], 2);
    assert.ok(roots[0]!.endTime >= roots[1]!.startTime);
  });

  it('spec.spans.statusTransitions: false makes none, and roots do not wait', () => {
    const h = harness(engineConfigFromSpec({ spans: { statusTransitions: false } }));
    created(h);
    h.arrive(pod('True', 5), 5.3);
    h.tick(8);
    h.tick(30);
    assert.equal(named(h.spans, 'Deployment.Update').length, 1, 'released as before');
    h.flush(60);
    assert.deepEqual(named(h.spans, 'Pod.Ready'), []);
  });
});
