import assert from 'node:assert/strict';
import type { KubeObject } from '../support/kube-api-server/index.js';
import { applyReady, duplicateSpanIds, spansIn, envPerSuite, testEvent, waitFor, type Env } from './harness.js';

// Nothing emits an Event when a Pod turns Ready or a rollout completes: the operator reads it from
// the objects' status it watches (docs/design.md §5.10). Here the objects are written as the
// controllers and the kubelet would write them, through the API test server.

const NS = 'status';
const RS = 'web-6c9f7d8b5';
const POD = `${RS}-q7x2n`;
const owner = (kind: string, name: string) => [{ apiVersion: 'apps/v1', kind, name, uid: `uid-${kind}-${name}`, controller: true }];

const event = (kind: string, name: string, reason: string, message: string, component: string): KubeObject => testEvent(NS, kind, name, reason, message, { component });

function deployment(status: { updated: number; available: number; replicas: number }): KubeObject {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web', namespace: NS, uid: 'uid-Deployment-web', generation: 1,
      managedFields: [
        { manager: 'kubectl-create', operation: 'Update', apiVersion: 'apps/v1', time: now, fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {}, 'f:template': {} } } },
        { manager: 'kube-controller-manager', operation: 'Update', apiVersion: 'apps/v1', time: now, fieldsType: 'FieldsV1', subresource: 'status', fieldsV1: { 'f:status': {} } },
      ],
    },
    spec: { replicas: 1, template: { spec: { containers: [{ name: 'app', image: 'web:1' }] } } },
    status: {
      observedGeneration: 1, replicas: status.replicas, updatedReplicas: status.updated, availableReplicas: status.available,
      conditions: [{ type: 'Progressing', status: 'True', reason: status.available === 1 ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated', lastUpdateTime: now, lastTransitionTime: now }],
    },
  };
}

function pod(ready: boolean): KubeObject {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: POD, namespace: NS, uid: `uid-Pod-${POD}`, ownerReferences: owner('ReplicaSet', RS),
      managedFields: [{ manager: 'kubelet', operation: 'Update', apiVersion: 'v1', time: now, fieldsType: 'FieldsV1', subresource: 'status', fieldsV1: { 'f:status': {} } }],
    },
    spec: { nodeName: 'node-1', containers: [{ name: 'app', image: 'web:1' }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now }], containerStatuses: [{ name: 'app', restartCount: 0, ready }] },
  };
}

describe('e2e: status transitions through the operator process', function () {
  this.timeout(60_000);
  let env!: Env;
  envPerSuite((started) => (env = started));

  it("exports Pod.Ready under the Pod's Created pod and RolloutComplete under its generation's root, which ends after it", async () => {
    const op = await env.startOperator();
    await applyReady(env, 'kspan-system', 'status', {
      namespaces: [NS],
      exporter: { endpoint: env.receiver.endpoint, insecure: true },
      correlation: { recentWindowSeconds: 1 },
    });

    env.api.put(deployment({ updated: 0, available: 0, replicas: 0 }));
    env.api.put({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: RS, namespace: NS, uid: `uid-ReplicaSet-${RS}`, generation: 1, ownerReferences: owner('Deployment', 'web') } });
    env.api.put(event('Deployment', 'web', 'ScalingReplicaSet', `Scaled up replica set ${RS} to 1`, 'deployment-controller'));
    env.api.put(pod(false));
    env.api.put(event('ReplicaSet', RS, 'SuccessfulCreate', `Created pod: ${POD}`, 'replicaset-controller'));
    env.api.put(event('Pod', POD, 'Started', 'Started container app', 'kubelet'));
    // Longer than two correlation windows: an ordinary root would be released meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    env.api.put(pod(true));
    env.api.put(deployment({ updated: 1, available: 1, replicas: 1 }));

    const spans = await waitFor('RolloutComplete and its root', () => {
      const s = spansIn(env.receiver, NS);
      return s.some((x) => x.name === 'Deployment.RolloutComplete') && s.some((x) => x.name === 'Deployment.Update') && s.some((x) => x.name === 'Pod.Ready') && s;
    }, 20_000);
    assert.deepEqual(duplicateSpanIds(spans), []);
    const byName = (name: string) => spans.find((s) => s.name === name)!;
    const root = byName('Deployment.Update');
    const complete = byName('Deployment.RolloutComplete');
    const ready = byName('Pod.Ready');
    assert.equal(complete.parentSpanId, root.spanId);
    assert.equal(complete.traceId, root.traceId);
    assert.equal(complete.resource['service.name'], 'kube-controller-manager');
    assert.ok(root.endTimeUnixNano >= complete.startTimeUnixNano, 'the root ends no earlier than its rollout');
    assert.equal(root.attributes['kspan.rollout.outcome'], 'complete');
    assert.equal(ready.parentSpanId, byName('ReplicaSet.SuccessfulCreate').spanId, "under the Pod's Created pod");
    assert.equal(ready.traceId, root.traceId);
    assert.equal(ready.resource['service.name'], 'kubelet');
    assert.equal(await op.terminate(), 0);
  });
});
