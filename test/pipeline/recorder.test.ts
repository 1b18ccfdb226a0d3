// spec.debug.recordInput: the pipeline records what it feeds the engine, in the order the engine needs it replayed.
import assert from 'node:assert/strict';
import type { TraceCollectorSpec } from '../../src/api/types.js';
import { Correlator } from '../../src/engine/correlator.js';
import { engineConfigFromSpec, tickIntervalMs } from '../../src/engine/config.js';
import type { KubeEvent, KubeObject } from '../../src/engine/types.js';
import type { Logger } from '../../src/core/log.js';
import type { EngineFactory } from '../../src/pipeline/engine-port.js';
import { Pipeline, type InputRecorder, type InputRecorderRequest } from '../../src/pipeline/pipeline.js';
import { FakeClusterSource } from './fakes/cluster-source.js';
import { exporterConfig, FakeExporter } from './fakes/exporter.js';

const engine: EngineFactory = { create: (config, lookup) => new Correlator(config, lookup), tickIntervalMs, configFromSpec: engineConfigFromSpec };

const pod = (name: string, rv: string): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'home', uid: `uid-${name}`, resourceVersion: rv } });
const event = (name: string): KubeEvent => ({
  metadata: { name: `${name}.1`, namespace: 'home', uid: `ev-${name}` },
  involvedObject: { kind: 'Pod', namespace: 'home', name },
  reason: 'Started',
  message: `started ${name}`,
  source: { component: 'kubelet' },
  lastTimestamp: new Date().toISOString(),
  type: 'Normal',
});

function setup(spec: Partial<TraceCollectorSpec>, withRecorder = true) {
  const source = new FakeClusterSource();
  const records: string[] = [];
  const requests: InputRecorderRequest[] = [];
  const warnings: string[] = [];
  let closed = 0;
  const recorder = (request: InputRecorderRequest): InputRecorder => {
    requests.push(request);
    return {
      open: true,
      event: (e) => void records.push(`event ${e.metadata.name}`),
      object: (o, at) => void records.push(`object ${o.metadata.name}@${o.metadata.resourceVersion}${at === undefined ? ' (known before)' : ''}`),
      close: () => void closed++,
    };
  };
  const log = { warn: (_: unknown, msg: string) => void warnings.push(msg), info: () => {}, error: () => {}, debug: () => {}, child: () => log } as unknown as Logger;
  const pipeline = new Pipeline({
    collector: { namespace: 'home', name: 'tc' },
    settings: { spec: { exporter: { endpoint: 'x:1' }, ...spec }, exporter: exporterConfig() },
    source,
    engine,
    createExporter: (config) => new FakeExporter(config),
    log,
    ...(withRecorder ? { createRecorder: recorder } : {}),
  });
  return { source, pipeline, records, requests, warnings, closed: () => closed, stop: () => pipeline.stop({ flush: false, deadline: Date.now() }) };
}

describe('Pipeline: recording its input (spec.debug.recordInput)', () => {
  it('records objects and events in the order fed, what the engine read first before the event, a change after it', async () => {
    const { source, records, requests, stop } = setup({ debug: { recordInput: { maxSeconds: 60 } } });
    assert.equal(requests.length, 1);
    assert.deepEqual(requests[0]!.limits, { maxBytes: 104_857_600, maxSeconds: 60 });
    source.objects.set('Pod/home/before', pod('before', '1')); // in the shared cache before this pipeline held it
    source.putObject('home', pod('a', '2'));
    source.emitEvent('home', event('before'));
    source.emitEvent('home', event('a'));
    source.putObject('home', pod('a', '3'));
    assert.deepEqual(records, ['object a@2', 'object before@1 (known before)', 'event before.1', 'event a.1', 'object a@3']);
    await stop();
  });

  it('a spec without it records nothing; adding it starts a recording, changing the engine settings a new one, removing it ends it', async () => {
    const { pipeline, requests, closed, stop } = setup({});
    assert.equal(requests.length, 0);
    const settings = (spec: Partial<TraceCollectorSpec>) => ({ spec: { exporter: { endpoint: 'x:1' }, ...spec }, exporter: exporterConfig() });
    pipeline.update(settings({ debug: { recordInput: {} } }));
    assert.equal(requests.length, 1);
    pipeline.update(settings({ debug: { recordInput: {} } }));
    assert.equal(requests.length, 1, 'the same settings: the same recording');
    pipeline.update(settings({ debug: { recordInput: {} }, correlation: { recentWindowSeconds: 9 } }));
    assert.equal(requests.length, 2);
    assert.equal(closed(), 1);
    pipeline.update(settings({}));
    assert.equal(closed(), 2);
    await stop();
  });

  it('without a recorder (no --record-dir) it logs a warning, once', async () => {
    const { pipeline, warnings, stop } = setup({ debug: { recordInput: {} } }, false);
    pipeline.update({ spec: { exporter: { endpoint: 'x:1' }, debug: { recordInput: {} } }, exporter: exporterConfig() });
    assert.deepEqual(warnings.filter((w) => /without --record-dir/.test(w)).length, 1);
    await stop();
  });
});
