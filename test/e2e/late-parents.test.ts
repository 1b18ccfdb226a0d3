import assert from 'node:assert/strict';
import type { KubeObject } from '../support/kube-api-server/index.js';
import { applyReady, duplicateSpanIds, sleep, spansIn, envPerSuite, testEvent, waitFor, type Env, FLUSH_ON_STOP } from './harness.js';

// A rate-limited replicaset-controller posts its `Created pod` Events seconds late, while the
// scheduler's Events about the same Pods arrive on time (docs/design.md §5.11).

const NS = 'burst';
const RS = 'api-7f6d5c4b3';
const PODS = [`${RS}-aaaaa`, `${RS}-bbbbb`];
const owner = (kind: string, name: string) => [{ apiVersion: 'apps/v1', kind, name, uid: `uid-${kind}-${name}`, controller: true }];
const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

const event = (kind: string, name: string, reason: string, message: string, source: Record<string, string>, time?: string): KubeObject => testEvent(NS, kind, name, reason, message, source, time);

describe('e2e: Created pod Events posted late by a rate-limited controller', function () {
  this.timeout(60_000);
  let env!: Env;
  envPerSuite((started) => (env = started));

  it("still parent their Pods' Scheduled spans, and the status counts the wait", async () => {
    const op = await env.startOperator([...FLUSH_ON_STOP]);
    await applyReady(env, 'kspan-system', 'burst', {
      namespaces: [NS],
      exporter: { endpoint: env.receiver.endpoint, insecure: true },
      correlation: { recentWindowSeconds: 1 },
      spans: { statusTransitions: false },
    });

    const created = now();
    env.api.put({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'api', namespace: NS, uid: 'uid-Deployment-api', generation: 1 } });
    env.api.put({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: RS, namespace: NS, uid: `uid-ReplicaSet-${RS}`, generation: 1, ownerReferences: owner('Deployment', 'api') } });
    for (const pod of PODS) {
      env.api.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: pod, namespace: NS, uid: `uid-Pod-${pod}`, creationTimestamp: created, ownerReferences: owner('ReplicaSet', RS) }, spec: { nodeName: 'node-2' } });
    }
    await sleep(300); // the object caches see them, as they would in the cluster
    env.api.put(event('Deployment', 'api', 'ScalingReplicaSet', `Scaled up replica set ${RS} to 2`, { component: 'deployment-controller' }));
    for (const pod of PODS) env.api.put(event('Pod', pod, 'Scheduled', `Successfully assigned ${NS}/${pod} to node-2`, { component: 'default-scheduler' }));
    // Four correlation windows later, with their own (earlier) timestamps.
    await sleep(4000);
    for (const pod of PODS) env.api.put(event('ReplicaSet', RS, 'SuccessfulCreate', `Created pod: ${pod}`, { component: 'replicaset-controller' }, created));

    const received = async () => Number(/kspan_events_received_total\{namespace="kspan-system",name="burst"\} (\d+)/.exec(await op.metrics())?.[1] ?? 0);
    await waitFor('the late Events read', async () => (await received()) === 5);
    assert.equal(await op.terminate(), 0); // flushes the held spans
    const spans = await waitFor('six spans', () => spansIn(env.receiver, NS).length >= 6 && spansIn(env.receiver, NS));
    assert.deepEqual(duplicateSpanIds(spans), []);
    for (const pod of PODS) {
      const scheduled = spans.find((s) => s.name === 'Pod.Scheduled' && s.attributes['k8s.pod.name'] === pod)!;
      const create = spans.find((s) => s.attributes['k8s.event.message'] === `Created pod: ${pod}`)!;
      assert.equal(scheduled.parentSpanId, create.spanId, `${pod}: Scheduled under its own Created pod`);
      assert.equal(scheduled.traceId, create.traceId);
    }
    const tc = await env.kubectl.getTraceCollector('kspan-system', 'burst');
    assert.equal(tc?.status?.ownParentsAwaited, 2);
    assert.equal(tc?.status?.spansUnderAncestor, 0);
  });
});
