import assert from 'node:assert/strict';
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
  withoutParents,
  sleep,
  startEnv,
  waitFor,
  waitForCondition,
  type Env,
  type Recording,
} from './harness.js';

const EXPECTED = expectedTree(fixturePath('deployment-2-pods.expected.txt'));

/** A fresh cluster, receiver and operator with one collector on "default" (where the recording happened). */
async function setup(): Promise<{ env: Env; recording: Recording }> {
  const env = await startEnv();
  await env.startOperator();
  await env.kubectl.applyTraceCollector('kspan-system', 'rollouts', {
    namespaces: ['default'],
    exporter: { endpoint: env.receiver.endpoint, insecure: true },
    correlation: { recentWindowSeconds: 2 }, // short, with room for a busy CI machine
    spans: EVENTS_ONLY,
  });
  await waitForCondition(env.kubectl, 'kspan-system', 'rollouts', 'Ready', (c) => c.status === 'True');
  const recording = loadRecording(fixturePath('deployment-2-pods.ndjson'), { speed: 3 });
  putObjects(env.api, recording);
  await sleep(300); // let the object caches see them, as they would have in the cluster
  return { env, recording };
}

/**
 * Every span of the expected tree arrived exactly once. With `exactParents`, with the expected
 * parents too; without, only as one trace whose parents all exist — events delivered in a burst
 * (a watch catching up after an outage) reach the engine in another order and with other receive
 * times than live, which may legitimately attach some of them elsewhere in the same trace.
 */
async function assertCompleteTree(env: Env, recording: Recording, exactParents = true): Promise<void> {
  await waitFor('every span', () => env.receiver.spans().length >= EXPECTED.length, 20_000);
  await sleep(300);
  const spans = env.receiver.spans();
  assert.deepEqual(duplicateSpanIds(spans), [], 'no span delivered twice');
  if (exactParents) {
    assert.deepEqual(receivedTree(spans), EXPECTED);
  } else {
    const tree = receivedTree(spans);
    assert.deepEqual(withoutParents(tree), withoutParents(EXPECTED));
    assert.ok(tree.every((line) => !line.includes('(missing ')), 'every parent was exported');
    assert.equal(new Set(spans.map((s) => s.traceId)).size, 1, 'one trace');
  }
  const tc = await waitFor('status counts', async () => {
    const t = await env.kubectl.getTraceCollector('kspan-system', 'rollouts');
    return t?.status?.spansExported === EXPECTED.length && t;
  });
  assert.equal(tc.status?.eventsReceived, recording.events.length, 'every event fed exactly once');
}

describe('e2e: faults', function () {
  this.timeout(60_000);
  let env: Env | undefined;
  afterEach(async () => {
    await env?.close();
    env = undefined;
  });

  it('watch dropped mid-stream and 410 Gone: relists without losing or duplicating anything', async () => {
    const s = await setup();
    env = s.env;
    const api = env.api;
    // Drops happen in the recording's pauses: a relist delivers what it finds in name order, which
    // is not the order the events happened in (the engine copes with that within its window, but
    // the recording's objects do not change over time, so it could not tell a rescale apart).
    await playEvents(api, s.recording, {
      onEvent: (i) => {
        if (i === 2) api.dropWatches();
        if (i === 3) {
          // Close the watches, move history on and compact it: resuming from the last seen
          // resourceVersion now gets 410 Gone, so the watch must relist.
          api.dropWatches();
          api.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'unrelated', namespace: 'kube-system' } });
          api.compact();
        }
        if (i === 6) api.dropWatches(true);
      },
    });
    // Parents are not compared exactly: on a slow machine a relist can outlast the pause and
    // deliver the next events in list order (see assertCompleteTree).
    await assertCompleteTree(env, s.recording, false);
    const counts = api.requestCounts();
    assert.ok((counts['list events'] ?? 0) >= 2, `relisted after 410: ${JSON.stringify(counts)}`);
  });

  it('exporter down then up: ExporterReady goes False, then every span arrives once', async () => {
    const s = await setup();
    env = s.env;
    await env.receiver.stop();
    await playEvents(env.api, s.recording);
    const down = await waitForCondition(env.kubectl, 'kspan-system', 'rollouts', 'ExporterReady', (c) => c.status === 'False');
    assert.equal(down.condition.reason, 'ExporterUnavailable');
    assert.equal(down.tc.status?.spansExported ?? 0, 0);
    await env.receiver.start();
    await assertCompleteTree(env, s.recording);
    const tc = await env.kubectl.getTraceCollector('kspan-system', 'rollouts');
    assert.equal(tc?.status?.spansDropped, 0);
    await waitForCondition(env.kubectl, 'kspan-system', 'rollouts', 'ExporterReady', (c) => c.status === 'True');
  });

  it('API server answering 500 for a while: watches and status writes recover, nothing lost', async () => {
    const s = await setup();
    env = s.env;
    env.api.failRequests({ status: 500, count: 3, resource: 'events' });
    env.api.failRequests({ status: 500, count: 3, verb: 'patch', resource: 'tracecollectors/status' });
    env.api.dropWatches();
    await playEvents(env.api, s.recording);
    await assertCompleteTree(env, s.recording, false);
    const ready = condition(await env.kubectl.getTraceCollector('kspan-system', 'rollouts'), 'Ready');
    assert.equal(ready?.status, 'True');
    assert.equal(env.operators[0]?.exitCode, undefined, 'the operator never exits on API errors');
  });
});
