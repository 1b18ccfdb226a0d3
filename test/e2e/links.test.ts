import assert from 'node:assert/strict';
import { applyReady, startEnv, waitFor, type Env } from './harness.js';
import { Workload } from './workload.js';

// Span links end to end (docs/design.md §5.12, §5.13): each generation's root links to the
// previous generation's root, and to the W3C trace context its change carried.

describe('e2e: span links at the OTLP receiver', function () {
  this.timeout(60_000);
  let env: Env | undefined;
  afterEach(async () => {
    await env?.close();
    env = undefined;
  });

  it('a new generation\'s root links to the previous root and to the traceparent the change carried', async () => {
    env = await startEnv();
    await env.kubectl.createNamespace('shop');
    await env.startOperator();
    await applyReady(env, 'shop', 'tc', { exporter: { endpoint: env.receiver.endpoint, insecure: true }, correlation: { recentWindowSeconds: 1 } });
    const workload = new Workload(env.api, env.kubectl, 'shop');
    await workload.create(1);
    // A CI step's context, set on the object in the request that changes it (KEP-5915's annotation).
    const caller = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };
    await workload.updateImage({ 'tracing.k8s.io/traceparent': `00-${caller.traceId}-${caller.spanId}-01` });
    const roots = () => env!.receiver.spans().filter((s) => s.parentSpanId === '' && s.name.startsWith('Deployment.') && s.attributes['k8s.object.generation'] !== undefined);
    const [first, second] = await waitFor('the roots of both generations', () => {
      const byGeneration = new Map(roots().map((s) => [Number(s.attributes['k8s.object.generation']), s]));
      const one = byGeneration.get(1);
      const two = byGeneration.get(2);
      return one && two ? [one, two] : undefined;
    }, 30_000);
    assert.deepEqual(first.links, [], 'the first generation has nothing before it');
    assert.deepEqual(
      second.links.map((l) => ({ traceId: l.traceId, spanId: l.spanId, type: l.attributes['kspan.link.type'] })),
      [
        { traceId: first.traceId, spanId: first.spanId, type: 'previous_generation' },
        { traceId: caller.traceId, spanId: caller.spanId, type: 'trigger' },
      ],
    );
    assert.notEqual(second.traceId, first.traceId, 'a trace per change');
  });
});
