import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { createLogger, HttpServer, OperatorMetrics, parseBindAddress } from '../../src/observability/index.js';

describe('observability', () => {
  it('logs JSON with the collector bound and secret-bearing fields redacted', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    const log = createLogger({ level: 'info', destination: out });
    log.child({ collector: { namespace: 'shop', name: 'tc' } }).info({ exporter: { headers: { 'x-api-key': 's3cret' } } }, 'hello');
    log.debug({}, 'hidden');
    await new Promise((r) => setImmediate(r));
    const line = JSON.parse(text.trim()) as Record<string, unknown>;
    assert.deepEqual(line['collector'], { namespace: 'shop', name: 'tc' });
    assert.equal(line['level'], 'info');
    assert.equal(line['msg'], 'hello');
    assert.doesNotMatch(text, /s3cret/);
  });

  it('renders per-collector counters that never go backwards', async () => {
    const metrics = new OperatorMetrics({ defaultMetrics: false });
    let n = { namespace: 'shop', name: 'tc', eventsReceived: 5, spansExported: 4, spansDropped: 0, pendingEvents: 1, pendingOverflow: 3, statusSpans: 2, ownParentsAwaited: 1, spansUnderAncestor: 0, eventsReplayed: 9, spansSuppressed: 4, checkpointsWritten: 3, checkpointWriteFailures: 0, checkpointSpansLeftOut: 0, recentActions: 7, heldSpans: 6, spansQueued: 8 };
    metrics.setSources({ collectors: () => [n], queueDepth: () => 2 });
    let body = (await metrics.render()).body;
    assert.match(body, /kspan_events_received_total\{namespace="shop",name="tc"\} 5/);
    assert.match(body, /kspan_pending_events\{namespace="shop",name="tc"\} 1/);
    assert.match(body, /kspan_pending_overflow_total\{namespace="shop",name="tc"\} 3/);
    assert.match(body, /kspan_events_replayed_total\{namespace="shop",name="tc"\} 9/);
    assert.match(body, /kspan_spans_suppressed_total\{namespace="shop",name="tc"\} 4/);
    assert.match(body, /kspan_checkpoint_writes_total\{namespace="shop",name="tc"\} 3/);
    assert.match(body, /kspan_recent_actions\{namespace="shop",name="tc"\} 7/);
    assert.match(body, /kspan_held_spans\{namespace="shop",name="tc"\} 6/);
    assert.match(body, /kspan_export_queued_spans\{namespace="shop",name="tc"\} 8/);
    assert.match(body, /kspan_reconcile_queue_depth 2/);
    n = { ...n, eventsReceived: 2 };
    body = (await metrics.render()).body;
    assert.match(body, /kspan_events_received_total\{namespace="shop",name="tc"\} 5/);
    n = { ...n, eventsReceived: 9 };
    body = (await metrics.render()).body;
    assert.match(body, /kspan_events_received_total\{namespace="shop",name="tc"\} 9/);
  });

  it('drops the size series of a collector that stopped', async () => {
    const metrics = new OperatorMetrics({ defaultMetrics: false });
    let running = [{ namespace: 'shop', name: 'tc', eventsReceived: 1, spansExported: 1, spansDropped: 0, pendingEvents: 1, pendingOverflow: 0, statusSpans: 0, ownParentsAwaited: 0, spansUnderAncestor: 0, eventsReplayed: 0, spansSuppressed: 0, checkpointsWritten: 0, checkpointWriteFailures: 0, checkpointSpansLeftOut: 0, recentActions: 3, heldSpans: 2, spansQueued: 1 }];
    metrics.setSources({ collectors: () => running, queueDepth: () => 0 });
    assert.match((await metrics.render()).body, /kspan_recent_actions\{namespace="shop",name="tc"\} 3/);
    running = [];
    const body = (await metrics.render()).body;
    assert.doesNotMatch(body, /kspan_(recent_actions|held_spans|pending_events|export_queued_spans)\{/);
  });

  it('renders the object cache: live and deleted objects, GETs made (never backwards)', async () => {
    const metrics = new OperatorMetrics({ defaultMetrics: false });
    let cache = { objects: 120, deleted: 4, gets: 2 };
    metrics.setSources({ collectors: () => [], queueDepth: () => 0, objectCache: () => cache });
    let body = (await metrics.render()).body;
    assert.match(body, /kspan_cached_objects\{state="live"\} 120/);
    assert.match(body, /kspan_cached_objects\{state="deleted"\} 4/);
    assert.match(body, /kspan_object_gets_total 2/);
    cache = { objects: 100, deleted: 0, gets: 5 };
    body = (await metrics.render()).body;
    assert.match(body, /kspan_cached_objects\{state="live"\} 100/);
    assert.match(body, /kspan_object_gets_total 5/);
  });

  it('serves /metrics, /healthz and /readyz', async () => {
    let ready: string | undefined = 'caches not synced';
    const server = await HttpServer.start('127.0.0.1:0', {
      metrics: async () => ({ contentType: 'text/plain', body: 'm 1\n' }),
      healthz: () => undefined,
      readyz: () => ready,
    });
    try {
      const base = `http://127.0.0.1:${server.port}`;
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
      const notReady = await fetch(`${base}/readyz`);
      assert.equal(notReady.status, 503);
      assert.match(await notReady.text(), /caches not synced/);
      ready = undefined;
      assert.equal((await fetch(`${base}/readyz`)).status, 200);
      assert.equal(await (await fetch(`${base}/metrics`)).text(), 'm 1\n');
      assert.equal((await fetch(`${base}/nope`)).status, 404);
    } finally {
      await server.close();
    }
  });

  it('parses bind addresses', () => {
    assert.deepEqual(parseBindAddress('0.0.0.0:8080'), { host: '0.0.0.0', port: 8080 });
    assert.deepEqual(parseBindAddress(':9'), { host: '0.0.0.0', port: 9 });
    assert.throws(() => parseBindAddress('x:y'), /invalid bind address/);
  });
});
