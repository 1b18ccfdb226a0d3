import assert from 'node:assert/strict';
import type { TraceCollectorSpec } from '../../src/api/types.js';
import type { Logger } from '../../src/core/log.js';
import type { KubeEvent } from '../../src/engine/types.js';
import { Pipeline, type PipelineOptions } from '../../src/pipeline/index.js';
import { FakeClock } from '../support/fake-clock.js';
import { FakeClusterSource } from './fakes/cluster-source.js';
import { fakeEngine } from './fakes/engine.js';
import { exporterConfig, FakeExporter } from './fakes/exporter.js';

let seq = 0;
function event(namespace: string, options: Partial<KubeEvent> & { at?: number; uid?: string; rv?: string } = {}): KubeEvent {
  seq++;
  const at = new Date(options.at ?? Date.now()).toISOString();
  return {
    metadata: { name: `e${seq}`, namespace, uid: options.uid ?? `uid-${seq}`, resourceVersion: options.rv ?? String(seq) },
    involvedObject: { kind: 'Pod', namespace, name: 'p' },
    reason: options.reason ?? 'Started',
    type: options.type ?? 'Normal',
    lastTimestamp: at,
  };
}

function setup(spec: Partial<TraceCollectorSpec> = {}, extra: Partial<PipelineOptions> = {}) {
  const source = new FakeClusterSource();
  const engine = fakeEngine({ holdTicks: true });
  const exporters: FakeExporter[] = [];
  let changes = 0;
  const pipeline = new Pipeline({
    collector: { namespace: 'home', name: 'tc' },
    settings: { spec: { exporter: { endpoint: 'x:1' }, ...spec }, exporter: exporterConfig() },
    source,
    engine,
    createExporter: (config) => {
      const e = new FakeExporter(config);
      exporters.push(e);
      return e;
    },
    onStateChange: () => changes++,
    ...extra,
  });
  const stop = () => pipeline.stop({ flush: true, deadline: Date.now() + 1000 });
  return { source, engine, exporters, pipeline, stop, changes: () => changes };
}

describe('Pipeline', () => {
  it('watches its own namespace by default and feeds events to the engine', async () => {
    const { source, engine, pipeline, stop } = setup();
    assert.deepEqual(source.watchedNamespaces(), ['home']);
    assert.equal(source.retained.get('home'), 1);
    source.emitEvent('home', event('home'));
    assert.equal(engine.created[0]?.events.length, 1);
    assert.equal(pipeline.stats().eventsReceived, 1);
    assert.deepEqual(pipeline.stats().watchedNamespaces, ['home']);
    await stop();
    assert.deepEqual(source.watchedNamespaces(), []);
    assert.equal(source.retained.get('home'), 0);
  });

  it('logs each malformed trace context the engine reports (docs/design.md §5.13), once', async () => {
    const warnings: Array<{ obj: Record<string, unknown>; msg: string }> = [];
    const log = { warn: (obj: Record<string, unknown>, msg: string) => void warnings.push({ obj, msg }), info: () => {}, error: () => {}, debug: () => {}, child: () => log } as unknown as Logger;
    const { source, engine, stop } = setup({}, { log });
    engine.created[0]!.notices.push({ kind: 'Deployment', namespace: 'home', name: 'web', uid: 'u', generation: 3, annotation: 'tracing.k8s.io/traceparent', value: 'bad' });
    source.emitEvent('home', event('home'));
    source.emitEvent('home', event('home'));
    const logged = warnings.filter((w) => w.msg.includes('malformed W3C traceparent'));
    assert.equal(logged.length, 1);
    assert.deepEqual([logged[0]!.obj['annotation'], logged[0]!.obj['value'], (logged[0]!.obj['object'] as { name: string }).name], ['tracing.k8s.io/traceparent', 'bad', 'web']);
    await stop();
  });

  it('never feeds the same uid+resourceVersion twice, but feeds a new resourceVersion', async () => {
    const { source, engine, stop } = setup();
    const e = event('home', { uid: 'a', rv: '10' });
    source.emitEvent('home', e);
    source.emitEvent('home', structuredClone(e));
    source.emitEvent('home', { ...e, metadata: { ...e.metadata, resourceVersion: '11' }, count: 2 });
    assert.equal(engine.created[0]?.events.length, 2);
    await stop();
  });

  it('skips events older than start minus the window (a restart does not re-emit them)', async () => {
    const { source, engine, pipeline, stop } = setup({ correlation: { recentWindowSeconds: 2 } });
    source.emitEvent('home', event('home', { at: Date.now() - 60_000 }));
    source.emitEvent('home', event('home', { at: Date.now() - 1_000 }));
    assert.equal(engine.created[0]?.events.length, 1);
    assert.equal(pipeline.stats().eventsSkippedOld, 1);
    await stop();
  });

  it('applies the type and reason filters', async () => {
    const { source, engine, pipeline, stop } = setup({ filter: { types: ['Warning'], excludeReasons: ['BackOff'] } });
    source.emitEvent('home', event('home', { type: 'Normal' }));
    source.emitEvent('home', event('home', { type: 'Warning', reason: 'BackOff' }));
    source.emitEvent('home', event('home', { type: 'Warning', reason: 'Failed' }));
    assert.deepEqual(engine.created[0]?.events.map((e) => e.reason), ['Failed']);
    assert.equal(pipeline.stats().eventsFiltered, 2);
    await stop();
  });

  it('watches "*" with one all-namespaces watch', async () => {
    const { source, stop, pipeline } = setup({ namespaces: ['*'] });
    assert.deepEqual(source.watchedNamespaces(), ['*']);
    assert.deepEqual(pipeline.stats().watchedNamespaces, ['*']);
    await stop();
  });

  it('follows a namespaceSelector: labelled namespaces are added, removed ones dropped', async () => {
    const { source, pipeline, stop } = setup({ namespaces: ['a'], namespaceSelector: { matchLabels: { tracing: 'on' } } });
    source.namespace({ name: 'b', labels: { tracing: 'on' } });
    source.namespace({ name: 'c', labels: {} });
    assert.equal(pipeline.stats().synced, false);
    source.syncNamespaces();
    assert.deepEqual(source.watchedNamespaces(), ['a', 'b']);
    source.namespace({ name: 'c', labels: { tracing: 'on' } });
    assert.deepEqual(source.watchedNamespaces(), ['a', 'b', 'c']);
    source.namespace({ name: 'b', labels: { tracing: 'on' } }, true);
    source.namespace({ name: 'c', labels: { tracing: 'off' } });
    assert.deepEqual(source.watchedNamespaces(), ['a']);
    assert.deepEqual(pipeline.stats().watchedNamespaces, ['a']);
    source.syncEvents('a');
    assert.equal(pipeline.stats().synced, true);
    await stop();
  });

  it('reports watch problems until the watch syncs', async () => {
    const { source, pipeline, stop, changes } = setup();
    source.problem('home', 403);
    assert.equal(pipeline.stats().problems[0]?.status, 403);
    assert.ok(changes() > 0);
    source.syncEvents('home');
    assert.deepEqual(pipeline.stats().problems, []);
    await stop();
  });

  it('passes the objects of its namespaces to the engine as they reach the caches, and stops with the namespace', async () => {
    const { source, engine, pipeline } = setup();
    const pod = (namespace: string, name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { namespace, name } });
    source.putObject('home', pod('home', 'p1'));
    const correlator = engine.created[0]!;
    assert.deepEqual(correlator.objectsChanged.map((c) => c.object.metadata.name), ['p1']);
    assert.ok(Math.abs(correlator.objectsChanged[0]!.now - Date.now()) < 5000);
    pipeline.update({ spec: { exporter: { endpoint: 'x:1' }, namespaces: ['other'] }, exporter: exporterConfig() });
    source.putObject('home', pod('home', 'p2'));
    source.putObject('other', pod('other', 'p3'));
    assert.deepEqual(correlator.objectsChanged.map((c) => c.object.metadata.name), ['p1', 'p3']);
    await pipeline.stop({ flush: true, deadline: Date.now() + 1000 });
    source.putObject('other', pod('other', 'p4'));
    assert.equal(correlator.objectsChanged.length, 2);
  });

  it('updates in place: engine reconfigured, exporter updated, namespaces changed, pending kept', async () => {
    const { source, engine, exporters, pipeline } = setup();
    source.emitEvent('home', event('home'));
    pipeline.update({
      spec: { exporter: { endpoint: 'y:1' }, namespaces: ['other'], correlation: { recentWindowSeconds: 1 } },
      exporter: exporterConfig('y:1'),
    });
    assert.equal(engine.created.length, 1);
    assert.equal(engine.created[0]?.reconfigured[0]?.recentWindowMs, 1000);
    assert.equal(exporters.length, 1);
    assert.equal(exporters[0]?.updates[0]?.endpoint, 'y:1');
    assert.deepEqual(source.watchedNamespaces(), ['other']);
    assert.equal(pipeline.stats().pendingEvents, 1);
    await pipeline.stop({ flush: true, deadline: Date.now() + 1000 });
    assert.equal(exporters[0]?.exported.length, 1, 'the pending span is flushed on stop');
    assert.equal(exporters[0]?.shutdownCalls, 1);
  });

  it('hands a large final flush to the exporter in chunks, each after the previous is delivered', async () => {
    const { source, exporters, pipeline } = setup();
    for (let i = 0; i < 2500; i++) source.emitEvent('home', event('home'));
    await pipeline.stop({ flush: true, deadline: Date.now() + 10_000 });
    assert.equal(exporters[0]?.exported.length, 2500);
    assert.deepEqual(exporters[0]?.calls, ['enqueue 1000', 'flush', 'enqueue 1000', 'flush', 'enqueue 500']);
  });

  it('ticks the engine on its schedule with real timers', async () => {
    const { engine, stop } = setup({ correlation: { recentWindowSeconds: 0.05 } as never });
    await new Promise((r) => setTimeout(r, 120));
    assert.ok((engine.created[0]?.ticks ?? 0) >= 2);
    await stop();
  });

  it('ticks on the schedule replay uses: a late or long tick does not push the later ones back', async () => {
    const clock = new FakeClock({ start: 0 });
    // The pending tick timer fires with the time set to `at`: late, or a little early.
    const fire = (at: number) => {
      clock.time = at;
      assert.ok(clock.fireNext());
    };
    const delays = () => clock.pending();
    const { engine, pipeline, stop } = setup({ correlation: { recentWindowSeconds: 2 } as never }, { clock });
    assert.deepEqual(delays(), [1000], 'the first tick one interval (window/2) after the start');
    fire(1300); // 300 ms late
    assert.deepEqual(delays(), [700], 'the next tick stays at 2000');
    fire(4500); // a stall over three ticks: they run as one
    assert.deepEqual(delays(), [500]);
    fire(4999); // a timer a little early: no tick yet
    assert.deepEqual(delays(), [1]);
    pipeline.update({ spec: { exporter: { endpoint: 'x:1' }, correlation: { recentWindowSeconds: 4 } as never }, exporter: exporterConfig() });
    fire(5000);
    assert.deepEqual(delays(), [2000], 'a new interval applies from the next tick on');
    assert.deepEqual(engine.created[0]?.tickTimes, [1300, 4500, 5000]);
    await stop();
  });

  it('adds the baseline counters of a previous run', async () => {
    const { source, pipeline, stop } = setup({}, { baseline: { eventsReceived: 40, spansExported: 7 } });
    source.emitEvent('home', event('home'));
    assert.equal(pipeline.stats().eventsReceived, 41);
    assert.equal(pipeline.stats().spansExported, 7);
    await stop();
  });

  it('asks the caches to watch the target kinds of ownerKindRules', async () => {
    const rule = { involvedKind: 'Rollout', messagePattern: 'Created ReplicaSet (\\S+)', targetKind: 'ReplicaSet', targetApiVersion: 'apps/v1' };
    const { source, pipeline, stop } = setup({ ownerKindRules: [{ ...rule, involvedKind: 'Workflow', targetKind: 'Pod', targetApiVersion: 'v1' }] });
    assert.deepEqual([...source.extraKinds], ['v1/Pod']);
    pipeline.update({ spec: { exporter: { endpoint: 'x:1' }, ownerKindRules: [rule] }, exporter: exporterConfig() });
    assert.deepEqual([...source.extraKinds], ['v1/Pod', 'apps/v1/ReplicaSet']);
    await stop();
  });
});
