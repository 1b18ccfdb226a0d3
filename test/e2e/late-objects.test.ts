import assert from 'node:assert/strict';
import type { KubeObject } from '../support/kube-api-server/index.js';
import { condition, sleep, startEnv, waitFor, type Env, type Operator } from './harness.js';

// Events and objects reach the operator through separate watches. Here a scheduler event is written
// before the Pod it is about (as when the Pod watch lags): the operator must place it as soon as
// the Pod reaches its cache, not at the end of the correlation window.

const NS = 'default';
const RS = 'web-5d4f8c7b9';
const POD = `${RS}-x2x9z`;
const WINDOW_SECONDS = 30; // far longer than the test waits for the placement

let seq = 0;
function event(kind: string, name: string, reason: string, message: string, source: Record<string, string>, annotations?: Record<string, string>): KubeObject {
  const now = new Date().toISOString();
  seq++;
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${name}.${seq}`, namespace: NS, uid: `late-event-${process.pid}-${seq}`, creationTimestamp: now, ...(annotations ? { annotations } : {}) },
    involvedObject: { apiVersion: kind === 'Pod' ? 'v1' : 'apps/v1', kind, namespace: NS, name, uid: `uid-${kind}-${name}` },
    reason,
    message,
    source,
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
    type: 'Normal',
  };
}

const pendingEvents = async (op: Operator): Promise<number | undefined> => {
  const line = (await op.metrics()).split('\n').find((l) => l.startsWith('kspan_pending_events{') && l.includes('name="late"'));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
};

describe('e2e: an event written before its object', function () {
  this.timeout(60_000);
  let env: Env;

  before(async () => {
    env = await startEnv();
  });
  after(async () => {
    await env?.close();
  });

  it('is placed when the object reaches the cache, under the action that made the object, not at the end of the window', async () => {
    const op = await env.startOperator();
    await env.kubectl.applyTraceCollector('kspan-system', 'late', {
      namespaces: [NS],
      exporter: { endpoint: env.receiver.endpoint, insecure: true },
      correlation: { recentWindowSeconds: WINDOW_SECONDS },
    });
    await waitFor('Ready=True', async () => condition(await env.kubectl.getTraceCollector('kspan-system', 'late'), 'Ready')?.status === 'True');

    env.api.put({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: NS, uid: 'uid-Deployment-web', generation: 1 } });
    env.api.put({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: RS, namespace: NS, uid: `uid-ReplicaSet-${RS}`, generation: 1, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'uid-Deployment-web', controller: true }] },
    });
    // The scale-up starts its own trace (annotated), so nothing below waits for a root.
    env.api.put(event('Deployment', 'web', 'ScalingReplicaSet', `Scaled up replica set ${RS} to 1`, { component: 'deployment-controller' }, { topLevelSpan: 'true' }));
    env.api.put(event('ReplicaSet', RS, 'SuccessfulCreate', `Created pod: ${POD}`, { component: 'replicaset-controller' }));
    await waitFor('the scale-up placed', async () => (await pendingEvents(op)) === 0);

    env.api.put(event('Pod', POD, 'Scheduled', `Successfully assigned ${NS}/${POD} to node-7`, { component: 'default-scheduler' }));
    await waitFor('the Pod event waiting', async () => (await pendingEvents(op)) === 1);
    await sleep(300);
    assert.equal(await pendingEvents(op), 1, 'nothing is known of the Pod yet');

    const podAt = Date.now();
    env.api.put({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: POD, namespace: NS, uid: `uid-Pod-${POD}`, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: RS, uid: `uid-ReplicaSet-${RS}`, controller: true }] },
      spec: { nodeName: 'node-7' },
    });
    await waitFor('the Pod event placed', async () => (await pendingEvents(op)) === 0, 10_000);
    assert.ok(Date.now() - podAt < WINDOW_SECONDS * 1000, 'placed on the Pod, not by the give-up walk');

    assert.equal(await op.terminate(), 0); // flushes the held spans
    const spans = await waitFor('three spans', () => env.receiver.spans().length >= 3 && env.receiver.spans());
    const byReason = new Map(spans.map((s) => [s.attributes['k8s.event.reason'], s]));
    const scheduled = byReason.get('Scheduled')!;
    assert.equal(scheduled.parentSpanId, byReason.get('SuccessfulCreate')!.spanId, 'under the Created pod that made the Pod');
    assert.equal(scheduled.traceId, byReason.get('ScalingReplicaSet')!.traceId);
    assert.equal(scheduled.attributes['k8s.pod.name'], POD);
  });
});
