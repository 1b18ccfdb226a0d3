import assert from 'node:assert/strict';
import {
  condition,
  duplicateSpanIds,
  expectedTree,
  fixturePath,
  loadRecording,
  playEvents,
  putObjects,
  receivedTree,
  startEnv,
  waitFor,
  type Env,
} from './harness.js';

const FIXTURE = 'deployment-2-pods.ndjson';
const EXPECTED = 'deployment-2-pods.expected.txt';

describe('e2e: a recorded rollout through the operator process', function () {
  this.timeout(60_000);
  let env: Env;

  before(async () => {
    env = await startEnv();
  });
  after(async () => {
    await env?.close();
  });

  it('exports the expected trace tree and counts it in the TraceCollector status', async () => {
    const op = await env.startOperator();
    await env.kubectl.applyTraceCollector('kspan-system', 'rollouts', {
      namespaces: ['default'],
      exporter: { endpoint: env.receiver.endpoint, insecure: true },
      correlation: { recentWindowSeconds: 2 }, // short, with room for a busy CI machine
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
});
