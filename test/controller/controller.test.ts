import assert from 'node:assert/strict';
import type { TraceCollectorSpec } from '../../src/api/types.js';
import { TRACE_COLLECTOR_FINALIZER as FINALIZER } from '../../src/api/types.js';
import { TraceCollectorController, type ControllerDeps, type ControllerOptions, type TraceCollectorClient, type WorkQueuePort } from '../../src/controller/index.js';
import { Pipeline } from '../../src/pipeline/index.js';
import { FakeClusterSource } from '../pipeline/fakes/cluster-source.js';
import { fakeEngine } from '../pipeline/fakes/engine.js';
import { FakeExporter } from '../pipeline/fakes/exporter.js';
import { WorkQueue } from '../../src/kube/work-queue.js';
import { FakeApi, FakeClock, secretReader, waitFor } from './fakes.js';

const spec = (extra: Partial<TraceCollectorSpec> = {}): TraceCollectorSpec => ({
  exporter: { endpoint: 'otel.observability:4317', insecure: true },
  ...extra,
});

function setup(options: Partial<ControllerOptions> = {}, wiring: { start?: boolean; client?: (api: FakeApi) => TraceCollectorClient; deps?: Partial<ControllerDeps> } = {}) {
  const api = new FakeApi();
  const source = new FakeClusterSource();
  const engine = fakeEngine({ holdTicks: true });
  const exporters: FakeExporter[] = [];
  const pipelines: Pipeline[] = [];
  const controller = new TraceCollectorController({
    client: wiring.client?.(api) ?? api,
    queue: new WorkQueue({ baseDelayMs: 20 }),
    secrets: secretReader(api),
    options: { noCrossNamespaceRefs: false, statusIntervalMs: 30, resyncIntervalMs: 60_000, ...options },
    pipelines: {
      create: (req) => {
        const p = new Pipeline({
          ...req,
          source,
          engine,
          createExporter: (config) => {
            const e = new FakeExporter(config);
            exporters.push(e);
            return e;
          },
        });
        pipelines.push(p);
        return p;
      },
    },
    ...wiring.deps,
  });
  api.watch((change) => controller.observe(change));
  if (wiring.start ?? true) controller.start();
  const status = (ns: string, name: string) => api.collectors.get(`${ns}/${name}`)?.status;
  const ready = (ns: string, name: string) => status(ns, name)?.conditions?.find((c) => c.type === 'Ready');
  return { api, source, engine, exporters, pipelines, controller, status, ready, stop: () => controller.stop(Date.now() + 1000) };
}

describe('TraceCollectorController', () => {
  it('adds the finalizer, starts a pipeline and reports Ready with observedGeneration and counters', async () => {
    const t = setup();
    t.api.put('shop', 'tc', spec());
    await waitFor('pipeline', () => t.pipelines[0]);
    assert.deepEqual(t.api.collectors.get('shop/tc')?.metadata.finalizers, [FINALIZER]);
    assert.deepEqual(t.source.watchedNamespaces(), ['shop']);
    const waiting = await waitFor('a first status', () => t.ready('shop', 'tc'));
    assert.equal(waiting.status, 'Unknown');
    t.source.syncEvents('shop');
    t.source.emitEvent('shop', {
      metadata: { name: 'e', namespace: 'shop', uid: 'u1', resourceVersion: '5' },
      involvedObject: { kind: 'Pod', name: 'p', namespace: 'shop' },
      reason: 'Started',
      lastTimestamp: new Date().toISOString(),
    });
    const ready = await waitFor('Ready=True', () => t.ready('shop', 'tc')?.status === 'True' && t.ready('shop', 'tc'));
    assert.equal(ready.reason, 'Ready');
    assert.equal(ready.observedGeneration, 1);
    await waitFor('counters', () => t.status('shop', 'tc')?.eventsReceived === 1);
    assert.equal(t.status('shop', 'tc')?.observedGeneration, 1);
    assert.deepEqual(t.status('shop', 'tc')?.watchedNamespaces, ['shop']);
    await t.stop();
    assert.equal(t.exporters[0]?.exported.length, 1, 'shutdown flushes the pending span');
  });

  it('reports InvalidSpec with the precise message and runs nothing', async () => {
    const t = setup();
    t.api.put('shop', 'bad', spec({ ownerKindRules: [{ involvedKind: 'CronJob', messagePattern: 'Created job (', targetKind: 'Job' }] }));
    const ready = await waitFor('InvalidSpec', () => t.ready('shop', 'bad'));
    assert.equal(ready.status, 'False');
    assert.equal(ready.reason, 'InvalidSpec');
    assert.match(ready.message, /spec\.ownerKindRules\[0\]\.messagePattern/);
    assert.equal(t.pipelines.length, 0);
    await t.stop();
  });

  it('reports SecretNotFound naming the Secret, then runs once the Secret exists (resync)', async () => {
    const t = setup({ resyncIntervalMs: 50 });
    t.api.put('shop', 'tc', spec({ exporter: { endpoint: 'otel:4317', headersSecretRef: { name: 'otlp-headers' } } }));
    const ready = await waitFor('SecretNotFound', () => t.ready('shop', 'tc'));
    assert.equal(ready.reason, 'SecretNotFound');
    assert.match(ready.message, /Secret "otlp-headers" not found in namespace "shop"/);
    t.api.secrets.set('shop/otlp-headers', { 'X-Api-Key': Buffer.from('s3cret') });
    await waitFor('pipeline', () => t.pipelines[0]);
    assert.deepEqual(t.exporters[0]?.config.headers, { 'x-api-key': 's3cret' });
    t.api.secrets.set('shop/otlp-headers', { 'X-Api-Key': Buffer.from('rotated') });
    await waitFor('rotated header', () => t.exporters[0]?.config.headers['x-api-key'] === 'rotated');
    assert.equal(t.pipelines.length, 1, 'updated in place');
    await t.stop();
  });

  it('gives a changed exporter.maxQueueSize to the running exporter', async () => {
    const t = setup();
    t.api.put('shop', 'tc', spec());
    await waitFor('pipeline', () => t.pipelines[0]);
    assert.equal(t.exporters[0]?.config.maxQueueSize, 50_000, 'the default');
    t.api.put('shop', 'tc', spec({ exporter: { endpoint: 'otel.observability:4317', insecure: true, maxQueueSize: 5_000 } }));
    await waitFor('the new size', () => t.exporters[0]?.config.maxQueueSize === 5_000);
    assert.equal(t.pipelines.length, 1, 'updated in place');
    await t.stop();
  });

  it('reports Forbidden when Secrets may not be read', async () => {
    const t = setup();
    t.api.forbiddenSecrets = true;
    t.api.put('shop', 'tc', spec({ exporter: { endpoint: 'otel:4317', headersSecretRef: { name: 'h' } } }));
    const ready = await waitFor('Forbidden', () => t.ready('shop', 'tc'));
    assert.equal(ready.reason, 'Forbidden');
    assert.match(ready.message, /get secrets in namespace "shop"/);
    await t.stop();
  });

  it('with lockdown, refuses other namespaces (NamespaceForbidden) but runs its own', async () => {
    const t = setup({ noCrossNamespaceRefs: true });
    t.api.put('shop', 'wide', spec({ namespaces: ['shop', 'payments'] }));
    t.api.put('shop', 'own', spec());
    const ready = await waitFor('NamespaceForbidden', () => t.ready('shop', 'wide'));
    assert.equal(ready.reason, 'NamespaceForbidden');
    assert.match(ready.message, /"payments"/);
    await waitFor('the other collector runs', () => t.pipelines.length === 1);
    await t.stop();
  });

  it('turns a 403 on the event watch into Ready=False Forbidden naming the permission', async () => {
    const t = setup();
    t.api.put('shop', 'tc', spec());
    await waitFor('pipeline', () => t.pipelines[0]);
    t.source.problem('shop', 403);
    const ready = await waitFor('Forbidden', () => t.ready('shop', 'tc')?.reason === 'Forbidden' && t.ready('shop', 'tc'));
    assert.match(ready.message, /forbidden to list events in namespace "shop" \(RBAC: grant list, watch on events\)/);
    await t.stop();
  });

  it('updates the pipeline in place on a spec change, suspends with a flush, resumes', async () => {
    const t = setup();
    t.api.put('shop', 'tc', spec());
    await waitFor('pipeline', () => t.pipelines[0]);
    t.source.emitEvent('shop', {
      metadata: { name: 'e', namespace: 'shop', uid: 'u1', resourceVersion: '5' },
      involvedObject: { kind: 'Pod', name: 'p', namespace: 'shop' },
      lastTimestamp: new Date().toISOString(),
    });
    t.api.put('shop', 'tc', spec({ namespaces: ['shop', 'web'] }));
    await waitFor('new namespaces', () => t.source.watchedNamespaces().length === 2);
    assert.equal(t.pipelines.length, 1);
    assert.equal(t.pipelines[0]?.stats().pendingEvents, 1, 'pending spans survive the update');
    t.api.put('shop', 'tc', spec({ namespaces: ['shop', 'web'], suspend: true }));
    const ready = await waitFor('Suspended', () => t.ready('shop', 'tc')?.reason === 'Suspended' && t.ready('shop', 'tc'));
    assert.equal(ready.observedGeneration, 3);
    assert.deepEqual(t.source.watchedNamespaces(), []);
    assert.equal(t.exporters[0]?.exported.length, 1, 'suspending flushed');
    await waitFor('counters kept', () => t.status('shop', 'tc')?.spansExported === 1);
    t.api.put('shop', 'tc', spec({ namespaces: ['shop', 'web'] }));
    await waitFor('resumed', () => t.pipelines.length === 2);
    assert.equal(t.pipelines[1]?.stats().spansExported, 1, 'counters carry over');
    await t.stop();
  });

  it('on deletion flushes, then removes only its finalizer', async () => {
    const t = setup();
    t.api.put('shop', 'tc', spec(), { finalizers: ['other.io/keep'] });
    await waitFor('pipeline', () => t.pipelines[0]);
    t.source.emitEvent('shop', {
      metadata: { name: 'e', namespace: 'shop', uid: 'u1', resourceVersion: '5' },
      involvedObject: { kind: 'Pod', name: 'p', namespace: 'shop' },
      lastTimestamp: new Date().toISOString(),
    });
    t.api.delete('shop', 'tc');
    await waitFor('finalizer removed', () => !t.api.collectors.get('shop/tc')?.metadata.finalizers?.includes(FINALIZER));
    assert.deepEqual(t.api.collectors.get('shop/tc')?.metadata.finalizers, ['other.io/keep']);
    assert.equal(t.exporters[0]?.exported.length, 1);
    assert.equal(t.pipelines[0]?.running, false);
    await t.stop();
  });

  it('treats a TraceCollector deleted between its watch event and the finalizer patch as gone, not as an error to retry', async () => {
    const t = setup({}, { start: false });
    t.api.put('shop', 'tc', spec());
    await t.api.delivered();
    const addFinalizer = t.api.addFinalizer.bind(t.api);
    t.api.addFinalizer = (obj, finalizer) => {
      t.api.delete('shop', 'tc'); // no finalizer yet: removed at once
      return addFinalizer(obj, finalizer);
    };
    assert.deepEqual(await t.controller.reconcile('shop/tc'), {});
    assert.equal(t.pipelines.length, 0);
    assert.equal(t.api.collectors.has('shop/tc'), false);
    await t.stop();
  });

  it('rate-limits status patches and skips unchanged ones', async () => {
    const t = setup({ statusIntervalMs: 200 });
    t.api.put('shop', 'tc', spec());
    await waitFor('pipeline', () => t.pipelines[0]);
    t.source.syncEvents('shop');
    for (let i = 0; i < 20; i++) {
      t.source.emitEvent('shop', {
        metadata: { name: `e${i}`, namespace: 'shop', uid: `u${i}`, resourceVersion: String(10 + i) },
        involvedObject: { kind: 'Pod', name: 'p', namespace: 'shop' },
        lastTimestamp: new Date().toISOString(),
      });
      await new Promise((r) => setTimeout(r, 10));
    }
    await waitFor('all counted', () => t.status('shop', 'tc')?.eventsReceived === 20);
    const patches = t.api.statusPatches.length;
    assert.ok(patches <= 3, `expected at most 3 status patches, got ${patches}`);
    await new Promise((r) => setTimeout(r, 450));
    assert.equal(t.api.statusPatches.length, patches, 'nothing changed: no more patches');
    await t.stop();
  });

  it('reports InvalidSpec when the engine refuses a spec that passed validation, instead of retrying forever', async () => {
    const t = setup();
    const refuse = t.engine.configFromSpec;
    t.engine.configFromSpec = (s) => {
      if (s.correlation?.maxPendingEvents === 7) throw new Error('ownerKindRules[0]: cannot use this rule');
      return refuse(s);
    };
    t.api.put('shop', 'tc', spec({ correlation: { maxPendingEvents: 7 } }));
    const ready = await waitFor('InvalidSpec', () => t.ready('shop', 'tc'));
    assert.equal(ready.reason, 'InvalidSpec');
    assert.match(ready.message, /cannot use this rule/);
    t.api.put('shop', 'tc', spec());
    await waitFor('running', () => t.ready('shop', 'tc')?.status === 'Unknown' && t.pipelines.length === 1);
    t.api.put('shop', 'tc', spec({ correlation: { maxPendingEvents: 7 } }));
    await waitFor('InvalidSpec again', () => t.ready('shop', 'tc')?.reason === 'InvalidSpec');
    assert.equal(t.pipelines[0]?.running, false, 'the pipeline of the old spec is stopped');
    await t.stop();
  });

  it('patches the status once per reconcile, not at all when nothing changed, at most once per status interval', async () => {
    const clock = new FakeClock();
    const t = setup({ statusIntervalMs: 5_000, resyncIntervalMs: 60_000 }, { start: false, deps: { clock } });
    t.api.put('shop', 'tc', spec({ suspend: true }));
    await t.api.delivered();
    assert.deepEqual(await t.controller.reconcile('shop/tc'), { requeueAfterMs: 60_000 });
    assert.equal(t.api.statusPatches.length, 1, 'the first reconcile writes the status once');
    assert.equal(t.ready('shop', 'tc')?.reason, 'Suspended');
    await t.api.delivered();
    await t.controller.reconcile('shop/tc');
    assert.equal(t.api.statusPatches.length, 1, 'nothing changed: no patch');
    clock.advance(1_000);
    t.api.put('shop', 'tc', spec({ suspend: true, namespaces: ['shop', 'web'] }));
    await t.api.delivered();
    assert.deepEqual(await t.controller.reconcile('shop/tc'), { requeueAfterMs: 4_000 }, 'held back until the interval has passed');
    assert.equal(t.api.statusPatches.length, 1);
    clock.advance(4_000);
    await t.controller.reconcile('shop/tc');
    assert.equal(t.api.statusPatches.length, 2, 'a new generation: one patch');
    assert.equal(t.status('shop', 'tc')?.observedGeneration, 2);
    await t.stop();
  });

  it('retries a failed status patch with backoff instead of waiting for the resync', async () => {
    // Long intervals: only the queue's retry (20 ms base) can write the status in time.
    const t = setup({ statusIntervalMs: 60_000, resyncIntervalMs: 300_000 });
    t.api.failStatusPatches.push(500, 409);
    t.api.put('shop', 'tc', spec({ suspend: true }));
    const ready = await waitFor('the status, third attempt', () => t.ready('shop', 'tc'), 2000);
    assert.equal(ready.reason, 'Suspended');
    assert.equal(t.api.statusPatchAttempts, 3, 'a 500, then a 409, then the write');
    assert.equal(t.api.statusPatches.length, 1);
    await t.stop();
  });

  it('is inert until start(): no timer, no queue activity; start() queues what the watch delivered, stop() shuts the queue down', async () => {
    const clock = new FakeClock();
    const calls: string[] = [];
    const queue = new WorkQueue({ baseDelayMs: 20 });
    const recording: WorkQueuePort = {
      add: (key) => (calls.push(`add ${key}`), queue.add(key)),
      start: (worker, concurrency) => (calls.push('start'), queue.start(worker, concurrency)),
      shutdown: (options) => (calls.push('shutdown'), queue.shutdown(options)),
      stats: () => queue.stats(),
    };
    const t = setup({}, { start: false, deps: { clock, queue: recording } });
    t.api.put('shop', 'tc', spec({ suspend: true }));
    await t.api.delivered();
    assert.deepEqual(calls, [], 'constructed and fed by the watch: the queue is untouched');
    assert.deepEqual(clock.scheduled, [], 'no timer');
    assert.equal(t.controller.unreconciled(), 1);
    t.controller.start();
    assert.deepEqual(calls, ['start', 'add shop/tc']);
    await waitFor('reconciled', () => t.controller.unreconciled() === 0);
    assert.equal(queue.stats().delayed, 1, 'the resync, as a delayed add of the queue');
    await t.controller.stop(Date.now() + 1000);
    assert.equal(calls.at(-1), 'shutdown');
    assert.deepEqual(queue.stats(), { ...queue.stats(), queued: 0, processing: 0, delayed: 0 }, 'nothing left pending');
    assert.deepEqual(clock.scheduled, [], 'the controller itself set no timer');
  });

  it('reconciles from the watched object: its only API calls are the finalizer and status writes', async () => {
    const calls: string[] = [];
    const t = setup({}, {
      client: (api) =>
        new Proxy(api, {
          get(target, prop, receiver) {
            const value: unknown = Reflect.get(target, prop, receiver);
            if (typeof value !== 'function') return value;
            return (...args: unknown[]) => {
              calls.push(String(prop));
              return (value as (...a: unknown[]) => unknown).apply(target, args);
            };
          },
        }),
    });
    t.api.put('shop', 'tc', spec({ suspend: true }));
    await waitFor('Suspended', () => t.ready('shop', 'tc'));
    t.api.put('shop', 'tc', spec({ suspend: true, namespaces: ['shop', 'web'] }));
    await waitFor('generation 2', () => t.status('shop', 'tc')?.observedGeneration === 2);
    await t.api.delivered();
    assert.deepEqual(calls, ['addFinalizer', 'patchStatus', 'patchStatus']);
    await t.stop();
  });
});
