import assert from 'node:assert/strict';
import { HttpStatusError, podEvent, sleep, spansIn, startEnv, waitFor, waitForCondition, type Env, type Operator } from './harness.js';

describe('e2e: TraceCollector lifecycle', function () {
  this.timeout(60_000);
  let env: Env;
  let op: Operator;
  const exporter = () => ({ endpoint: env.receiver.endpoint, insecure: true });

  before(async () => {
    env = await startEnv();
    for (const ns of ['shop', 'web', 'lab', 'gone', 'secrets', 'bad']) await env.kubectl.createNamespace(ns);
    op = await env.startOperator(['--resync-interval-seconds', '1']);
  });
  after(async () => {
    await env?.close();
  });

  it('rejects a spec the schema forbids at apply time (422), as a real API server would', async () => {
    await assert.rejects(
      env.kubectl.applyTraceCollector('bad', 'no-endpoint', { exporter: { insecure: true } }),
      (err: unknown) => err instanceof HttpStatusError && err.status === 422,
    );
  });

  it('reports InvalidSpec with the precise message for a spec the schema cannot judge', async () => {
    await env.kubectl.applyTraceCollector('bad', 'bad-regex', {
      exporter: exporter(),
      ownerKindRules: [{ involvedKind: 'CronJob', messagePattern: 'Created job (', targetKind: 'Job' }],
    });
    const { condition } = await waitForCondition(env.kubectl, 'bad', 'bad-regex', 'Ready', (c) => c.reason === 'InvalidSpec');
    assert.equal(condition.status, 'False');
    assert.match(condition.message, /spec\.ownerKindRules\[0\]\.messagePattern/);
    assert.equal(condition.observedGeneration, 1);
  });

  it('reports SecretNotFound naming the Secret, runs once it is created, and picks up a rotated Secret (resync)', async () => {
    await env.kubectl.applyTraceCollector('secrets', 'tc', {
      exporter: { ...exporter(), headersSecretRef: { name: 'otlp-headers' } },
      correlation: { recentWindowSeconds: 1 },
    });
    const { condition } = await waitForCondition(env.kubectl, 'secrets', 'tc', 'Ready', (c) => c.reason === 'SecretNotFound');
    assert.match(condition.message, /Secret "otlp-headers" not found in namespace "secrets"/);
    await env.kubectl.createSecret('secrets', 'otlp-headers', { 'x-tenant': 'team-a' });
    await waitForCondition(env.kubectl, 'secrets', 'tc', 'Ready', (c) => c.status === 'True');
    podEvent(env.api, 'secrets', 'p1');
    await waitFor('spans with the header', () => spansIn(env.receiver, 'secrets').length >= 2);
    const request = env.receiver.requests().find((r) => r.resourceSpans.some((rs) => rs.scopeSpans.some((ss) => ss.spans.some((s) => s.attributes['k8s.namespace.name'] === 'secrets'))));
    assert.deepEqual(request?.metadata['x-tenant'], ['team-a']);

    // Rotation: the periodic resync reads the Secret again and the exporter uses the new value.
    await env.kubectl.request('PATCH', '/api/v1/namespaces/secrets/secrets/otlp-headers', { data: { 'x-tenant': Buffer.from('team-b').toString('base64') } }, 'application/merge-patch+json');
    await sleep(1500);
    podEvent(env.api, 'secrets', 'p2');
    await waitFor('an export with the rotated header', () => env.receiver.requests().some((r) => r.metadata['x-tenant']?.[0] === 'team-b'));
    assert.ok(!op.logs.some((l) => /team-[ab]/.test(JSON.stringify(l))), 'secret values are never logged');
  });

  it('updates in place on a spec change, suspends, resumes, and on delete flushes and removes its finalizer', async () => {
    await env.kubectl.applyTraceCollector('shop', 'tc', { exporter: exporter(), correlation: { recentWindowSeconds: 1 } });
    await waitForCondition(env.kubectl, 'shop', 'tc', 'Ready', (c) => c.status === 'True');
    // spec change: also watch "web"
    await env.kubectl.patchTraceCollector('shop', 'tc', { spec: { namespaces: ['shop', 'web'] } });
    const updated = await waitForCondition(env.kubectl, 'shop', 'tc', 'Ready', (c) => c.status === 'True' && c.observedGeneration === 2);
    assert.deepEqual(updated.tc.status?.watchedNamespaces, ['shop', 'web']);
    podEvent(env.api, 'web', 'w1');
    await waitFor('spans from the added namespace', () => spansIn(env.receiver, 'web').length >= 2);
    assert.equal(op.logs.filter((l) => l.msg === 'starting pipeline' && (l['collector'] as { name?: string })?.name === 'tc' && (l['collector'] as { namespace?: string }).namespace === 'shop').length, 1, 'updated in place, not restarted');

    // suspend: stops watching
    await env.kubectl.patchTraceCollector('shop', 'tc', { spec: { suspend: true } });
    const suspended = await waitForCondition(env.kubectl, 'shop', 'tc', 'Ready', (c) => c.reason === 'Suspended');
    assert.equal(suspended.condition.observedGeneration, 3);
    assert.deepEqual(suspended.tc.status?.watchedNamespaces, []);
    const before = spansIn(env.receiver, 'shop').length;
    podEvent(env.api, 'shop', 's-while-suspended');
    await sleep(2500);
    assert.equal(spansIn(env.receiver, 'shop').length, before, 'nothing exported while suspended');

    // resume: events from while it was suspended (older than the window) are not replayed
    await env.kubectl.patchTraceCollector('shop', 'tc', { spec: { suspend: false } });
    await waitForCondition(env.kubectl, 'shop', 'tc', 'Ready', (c) => c.status === 'True' && c.observedGeneration === 4);
    podEvent(env.api, 'shop', 's-after-resume');
    await waitFor('spans after resuming', () => env.receiver.spans().some((s) => s.attributes['k8s.pod.name'] === 's-after-resume'));

    // delete with an event still waiting (long window): it is flushed before the finalizer goes
    await env.kubectl.patchTraceCollector('shop', 'tc', { spec: { correlation: { recentWindowSeconds: 30, expireAfterSeconds: 60 } } });
    await waitForCondition(env.kubectl, 'shop', 'tc', 'Ready', (c) => c.observedGeneration === 5);
    podEvent(env.api, 'shop', 's-pending');
    await waitFor('the event is waiting', async () => ((await env.kubectl.getTraceCollector('shop', 'tc'))?.status?.pendingEvents ?? 0) >= 1);
    await env.kubectl.deleteTraceCollector('shop', 'tc');
    await waitFor('the TraceCollector is gone', async () => (await env.kubectl.getTraceCollector('shop', 'tc')) === undefined);
    assert.ok(
      env.receiver.spans().some((s) => s.attributes['k8s.pod.name'] === 's-pending'),
      'the pending span was flushed before the finalizer was removed',
    );
    assert.ok(!env.receiver.spans().some((s) => s.attributes['k8s.pod.name'] === 's-while-suspended'), 'old events are not replayed on resume');
  });

  it('shares one event watch between two collectors on the same namespace', async () => {
    env.api.resetRequestCounts();
    await env.kubectl.applyTraceCollector('lab', 'one', { exporter: exporter(), correlation: { recentWindowSeconds: 1 }, resourceAttributes: { collector: 'one' } });
    await env.kubectl.applyTraceCollector('lab', 'two', { exporter: exporter(), correlation: { recentWindowSeconds: 1 }, resourceAttributes: { collector: 'two' } });
    await waitForCondition(env.kubectl, 'lab', 'one', 'Ready', (c) => c.status === 'True');
    await waitForCondition(env.kubectl, 'lab', 'two', 'Ready', (c) => c.status === 'True');
    podEvent(env.api, 'lab', 'l1');
    await waitFor('spans for both collectors', () => {
      const spans = spansIn(env.receiver, 'lab');
      return spans.some((s) => s.resource['collector'] === 'one') && spans.some((s) => s.resource['collector'] === 'two');
    });
    const counts = env.api.requestCounts();
    assert.equal(counts['list events'], 1, `one list of events, got ${JSON.stringify(counts)}`);
    assert.equal(counts['watch events'], 1, `one events watch, got ${JSON.stringify(counts)}`);
    assert.equal(counts['get pods'] ?? 0, 0, 'owner lookups come from the cache');
  });

  it('follows a namespaceSelector: namespaces labelled later are picked up, unlabelled ones dropped', async () => {
    await env.kubectl.createNamespace('sel-a', { tracing: 'on' });
    await env.kubectl.createNamespace('sel-b');
    await env.kubectl.applyTraceCollector('lab', 'selected', {
      namespaces: ['lab'],
      namespaceSelector: { matchLabels: { tracing: 'on' } },
      exporter: exporter(),
      correlation: { recentWindowSeconds: 1 },
    });
    const first = await waitForCondition(env.kubectl, 'lab', 'selected', 'Ready', (c) => c.status === 'True');
    assert.deepEqual(first.tc.status?.watchedNamespaces, ['lab', 'sel-a']);
    await env.kubectl.request('PATCH', '/api/v1/namespaces/sel-b', { metadata: { labels: { tracing: 'on' } } }, 'application/merge-patch+json');
    await waitFor('sel-b watched', async () => (await env.kubectl.getTraceCollector('lab', 'selected'))?.status?.watchedNamespaces?.includes('sel-b'));
    podEvent(env.api, 'sel-b', 'b1');
    await waitFor('spans from the newly labelled namespace', () => spansIn(env.receiver, 'sel-b').length >= 2);
    await env.kubectl.request('PATCH', '/api/v1/namespaces/sel-a', { metadata: { labels: { tracing: null } } }, 'application/merge-patch+json');
    await waitFor('sel-a dropped', async () => {
      const ns = (await env.kubectl.getTraceCollector('lab', 'selected'))?.status?.watchedNamespaces;
      return ns !== undefined && !ns.includes('sel-a') && ns;
    });
  });
});
