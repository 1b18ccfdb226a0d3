import assert from 'node:assert/strict';
import type { KubeObject } from '../support/kube-api-server/index.js';
import {
  condition,
  duplicateSpanIds,
  EVENTS_ONLY,
  expectedTree,
  fixturePath,
  loadRecording,
  playEvents,
  putObjects,
  receivedTree,
  sleep,
  spansIn,
  envPerSuite,
  waitFor,
  type Env,
  type Operator,
  FLUSH_ON_STOP,
} from './harness.js';

const FIXTURE = 'deployment-2-pods.ndjson';
const EXPECTED = 'deployment-2-pods.expected.txt';

// Events and objects reach the operator through separate watches. Here a scheduler event is written
// before the Pod it is about (as when the Pod watch lags): the operator must place it as soon as
// the Pod reaches its cache, not at the end of the correlation window.

const NS = 'late';
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

/** The late collector's value of a metric, from the operator's /metrics. */
async function lateMetric(op: Operator, name: string): Promise<number | undefined> {
  const line = (await op.metrics()).split('\n').find((l) => l.startsWith(`${name}{`) && l.includes('name="late"'));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}
/** Whether the late collector has received `received` events, `pending` of them waiting. */
const settled = async (op: Operator, received: number, pending: number): Promise<boolean> =>
  (await lateMetric(op, 'kspan_events_received_total')) === received && (await lateMetric(op, 'kspan_pending_events')) === pending;

describe('e2e: a recorded rollout through the operator process', function () {
  this.timeout(60_000);
  let env!: Env;
  envPerSuite((started) => (env = started));

  it('exports the expected trace tree and counts it in the TraceCollector status', async () => {
    const op = await env.startOperator([...FLUSH_ON_STOP]);
    await env.kubectl.applyTraceCollector('kspan-system', 'rollouts', {
      namespaces: ['default'],
      exporter: { endpoint: env.receiver.endpoint, insecure: true },
      correlation: { recentWindowSeconds: 2 }, // short, with room for a busy CI machine
      spans: EVENTS_ONLY,
      resourceAttributes: { 'k8s.cluster.name': 'e2e' },
    });
    const ready = await waitFor('Ready=True', async () => {
      const tc = await env.kubectl.getTraceCollector('kspan-system', 'rollouts');
      return condition(tc, 'Ready')?.status === 'True' && tc;
    });
    assert.deepEqual(ready.metadata.finalizers, ['kspan.dev/finalizer']);
    assert.deepEqual(ready.status?.watchedNamespaces, ['default']);
    assert.equal(ready.status?.observedGeneration, 1);

    const recording = loadRecording(fixturePath(FIXTURE));
    putObjects(env.api, recording);
    await playEvents(env.api, recording);

    const expected = expectedTree(fixturePath(EXPECTED));
    await waitFor('every span', () => env.receiver.spans().length >= expected.length);
    const spans = env.receiver.spans();
    assert.deepEqual(duplicateSpanIds(spans), []);
    assert.deepEqual(receivedTree(spans), expected);
    assert.equal(new Set(spans.map((s) => s.traceId)).size, 1, 'one trace');
    assert.ok(spans.every((s) => s.resource['k8s.cluster.name'] === 'e2e'));

    const tc = await waitFor('status counts', async () => {
      const t = await env.kubectl.getTraceCollector('kspan-system', 'rollouts');
      return t?.status?.spansExported === expected.length && t;
    });
    assert.equal(tc.status?.eventsReceived, recording.events.length);
    assert.equal(tc.status?.tracesStarted, 1);
    assert.equal(tc.status?.spansDropped, 0);
    assert.equal(tc.status?.pendingEvents, 0);
    assert.ok(tc.status?.lastExportTime);
    assert.equal(condition(tc, 'ExporterReady')?.status, 'True');
    assert.equal(await op.readyz(), 200);
    const metrics = await op.metrics();
    assert.match(metrics, new RegExp(`kspan_spans_exported_total\\{namespace="kspan-system",name="rollouts"\\} ${expected.length}`));

    assert.equal(await op.terminate(), 0);
  });

  it('places an event written before its object when the object reaches the cache, not at the end of the window', async () => {
    const op = await env.startOperator([...FLUSH_ON_STOP]);
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
    await waitFor('the scale-up placed', () => settled(op, 2, 0));

    env.api.put(event('Pod', POD, 'Scheduled', `Successfully assigned ${NS}/${POD} to node-7`, { component: 'default-scheduler' }));
    await waitFor('the Pod event waiting', () => settled(op, 3, 1));
    await sleep(300);
    assert.equal(await lateMetric(op, 'kspan_pending_events'), 1, 'nothing is known of the Pod yet');

    const podAt = Date.now();
    env.api.put({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: POD, namespace: NS, uid: `uid-Pod-${POD}`, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: RS, uid: `uid-ReplicaSet-${RS}`, controller: true }] },
      spec: { nodeName: 'node-7' },
    });
    await waitFor('the Pod event placed', () => settled(op, 3, 0), 10_000);
    assert.ok(Date.now() - podAt < WINDOW_SECONDS * 1000, 'placed on the Pod, not by the give-up walk');

    assert.equal(await op.terminate(), 0); // flushes the held spans
    const spans = await waitFor('three spans', () => spansIn(env.receiver, NS).length >= 3 && spansIn(env.receiver, NS));
    const byReason = new Map(spans.map((s) => [s.attributes['k8s.event.reason'], s]));
    const scheduled = byReason.get('Scheduled')!;
    assert.equal(scheduled.parentSpanId, byReason.get('SuccessfulCreate')!.spanId, 'under the Created pod that made the Pod');
    assert.equal(scheduled.traceId, byReason.get('ScalingReplicaSet')!.traceId);
    assert.equal(scheduled.attributes['k8s.pod.name'], POD);
  });
});
