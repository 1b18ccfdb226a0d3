import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import type { SpanRecord } from '../../src/engine/types.js';
import { createOtlpExporter, type OtlpExporter } from '../../src/export/index.js';
import { startOtlpReceiver, waitFor, type OtlpReceiver } from '../support/otlp-receiver/index.js';
import { fastOptions, memoryLogger, nanos, plaintextConfig, records, sleep, spanIdOf, spanRecord, stateRecorder, traceIdOf } from './helpers.js';

describe('OTLP exporter against the test receiver', () => {
  let receiver: OtlpReceiver;
  const exporters: OtlpExporter[] = [];
  const open = (...args: Parameters<typeof createOtlpExporter>): OtlpExporter => {
    const exporter = createOtlpExporter(...args);
    exporters.push(exporter);
    return exporter;
  };

  beforeEach(async () => {
    receiver = await startOtlpReceiver();
  });

  afterEach(async () => {
    await Promise.all(exporters.splice(0).map((e) => e.shutdown(Date.now() + 200)));
    await receiver.close();
  });

  const idsReceived = (): string[] => receiver.spans().map((s) => s.spanId);

  it('delivers exact ids, parents, names, times, status and attributes, grouped per resource', async () => {
    const { states, listener } = stateRecorder();
    const exporter = open(plaintextConfig(receiver.endpoint, { resourceAttributes: { 'k8s.cluster.name': 'prod-eu-1' } }), fastOptions);
    exporter.onStateChange(listener);
    const sent = records(0, 30);
    exporter.enqueue(sent);
    await exporter.flush(Date.now() + 5000);

    const got = new Map(receiver.spans().map((s) => [s.spanId, s]));
    assert.equal(got.size, 30);
    for (const record of sent) {
      const span = got.get(record.spanId);
      assert.ok(span, `span ${record.spanId} arrived`);
      assert.equal(span.traceId, record.traceId);
      assert.equal(span.parentSpanId, record.parentSpanId ?? '');
      assert.equal(span.name, record.name);
      assert.equal(span.kind, 1, 'SPAN_KIND_INTERNAL');
      assert.equal(span.startTimeUnixNano, nanos(record.startTime));
      assert.equal(span.endTimeUnixNano, nanos(record.endTime));
      assert.deepEqual(span.status, record.status.code === 'error' ? { code: 2, message: record.status.message } : { code: 0, message: '' });
      assert.deepEqual(span.attributes, record.attributes);
      assert.equal(span.attributeTypes['k8s.event.count'], 'int');
      assert.equal(span.attributeTypes['k8s.event.message'], 'string');
      assert.deepEqual(span.scope, { name: 'kspan', version: '', attributes: {} });
      const expectedResource: Record<string, string> = { 'k8s.cluster.name': 'prod-eu-1', 'service.name': record.service.name };
      if (record.service.instance) expectedResource['service.instance.id'] = record.service.instance;
      assert.deepEqual(span.resource, expectedResource);
    }
    // One ResourceSpans per distinct (service, instance) in each request, never one per span.
    for (const request of receiver.requests()) {
      const keys = request.resourceSpans.map((rs) => JSON.stringify(rs.resource));
      assert.equal(new Set(keys).size, keys.length, 'no resource repeated within a request');
      assert.ok(keys.length <= 3);
      for (const rs of request.resourceSpans) assert.equal(rs.scopeSpans.length, 1);
    }

    const stats = exporter.stats();
    assert.equal(stats.spansExported, 30);
    assert.equal(stats.spansDropped, 0);
    assert.equal(stats.spansQueued, 0);
    assert.ok(stats.lastExportTime !== undefined && stats.lastExportTime <= Date.now());
    assert.deepEqual(stats.state, { ready: true, reason: 'ExportSucceeded', message: `exporting to ${receiver.endpoint}` });
    assert.equal(states.at(-1)?.reason, 'ExportSucceeded');
  });

  it('sends span links with their trace and span ids, trace state and attributes (OTLP Span.Link)', async () => {
    const exporter = open(plaintextConfig(receiver.endpoint), fastOptions);
    const previousRoot = { traceId: traceIdOf(99), spanId: spanIdOf(990), attributes: { 'kspan.link.type': 'previous_generation', 'k8s.object.generation': 2 } };
    const trigger = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceState: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE', attributes: {} };
    exporter.enqueue([spanRecord(0, { links: [previousRoot, trigger] }), spanRecord(1), spanRecord(2, { links: [] })]);
    await exporter.flush(Date.now() + 5000);
    const got = new Map(receiver.spans().map((s) => [s.spanId, s]));
    assert.equal(got.size, 3);
    assert.deepEqual(got.get(spanIdOf(0))?.links, [
      { traceId: traceIdOf(99), spanId: spanIdOf(990), traceState: '', attributes: { 'kspan.link.type': 'previous_generation', 'k8s.object.generation': 2 } },
      { traceId: trigger.traceId, spanId: trigger.spanId, traceState: trigger.traceState, attributes: {} },
    ]);
    assert.deepEqual(got.get(spanIdOf(1))?.links, []);
    assert.deepEqual(got.get(spanIdOf(2))?.links, []);
  });

  it('drops a span whose link has an invalid id, and only that span', async () => {
    const logger = memoryLogger();
    const exporter = open(plaintextConfig(receiver.endpoint), { ...fastOptions, logger });
    exporter.enqueue([spanRecord(0, { links: [{ traceId: 'not hex', spanId: spanIdOf(1), attributes: {} }] }), spanRecord(1)]);
    await exporter.flush(Date.now() + 5000);
    assert.deepEqual(idsReceived(), [spanIdOf(1)]);
    assert.equal(exporter.stats().spansDroppedByReason.invalid, 1);
    assert.ok(logger.lines.some((l) => l.level === 'warn' && /link 0: invalid trace id/.test(JSON.stringify(l))), 'the drop names the bad link');
  });

  it('puts the cluster\'s uid on every resource, under the collector\'s attributes, across update()', async () => {
    const uid = 'a1b2c3d4-0000-4000-8000-000000000001';
    const exporter = open(plaintextConfig(receiver.endpoint, { resourceAttributes: { 'k8s.cluster.name': 'prod-eu-1' } }), { ...fastOptions, clusterUid: uid });
    const resourceOf = async (record: SpanRecord) => {
      exporter.enqueue([record]);
      await exporter.flush(Date.now() + 5000);
      return receiver.spans().find((s) => s.spanId === record.spanId)?.resource;
    };
    assert.deepEqual(await resourceOf(spanRecord(0)), { 'k8s.cluster.uid': uid, 'k8s.cluster.name': 'prod-eu-1', 'service.name': 'kubelet', 'service.instance.id': 'node-a' });
    exporter.update(plaintextConfig(receiver.endpoint, { resourceAttributes: { 'k8s.cluster.name': 'prod-eu-2' } }));
    assert.deepEqual(await resourceOf(spanRecord(2)), { 'k8s.cluster.uid': uid, 'k8s.cluster.name': 'prod-eu-2', 'service.name': 'default-scheduler' });
    exporter.update(plaintextConfig(receiver.endpoint, { resourceAttributes: { 'k8s.cluster.uid': 'set-by-the-user' } }));
    assert.deepEqual(await resourceOf(spanRecord(3)), { 'k8s.cluster.uid': 'set-by-the-user', 'service.name': 'kubelet', 'service.instance.id': 'node-a' });
  });

  it('batches up to maxBatchSize spans per request and waits at most maxDelayMs for a batch to fill', async () => {
    const exporter = open(plaintextConfig(receiver.endpoint), { ...fastOptions, maxBatchSize: 40, maxDelayMs: 60_000 });
    exporter.enqueue(records(0, 100));
    await waitFor(() => receiver.spanCount() === 80, 5000, '2 full batches');
    await sleep(100);
    assert.equal(receiver.spanCount(), 80, 'the partial batch waits for maxDelayMs');
    assert.deepEqual(receiver.requests().map((r) => r.spanCount), [40, 40]);
    await exporter.flush(Date.now() + 5000); // a flush does not wait for the delay
    assert.equal(receiver.spanCount(), 100);
  });

  it('never sends invalid ids: they are dropped and counted', async () => {
    const logger = memoryLogger();
    const exporter = open(plaintextConfig(receiver.endpoint), { ...fastOptions, logger });
    const bad = [
      null as never,
      spanRecord(1, { traceId: traceIdOf(1).toUpperCase() }),
      spanRecord(2, { traceId: '0'.repeat(32) }),
      spanRecord(3, { traceId: 'abc' }),
      spanRecord(4, { spanId: '0'.repeat(16) }),
      spanRecord(5, { spanId: 'zz'.repeat(8) }),
      spanRecord(6, { parentSpanId: '' }),
      spanRecord(7, { startTime: Number.NaN }),
      undefined as never,
    ];
    exporter.enqueue([spanRecord(10), ...bad, spanRecord(20)]);
    await exporter.flush(Date.now() + 5000);
    assert.deepEqual(idsReceived().sort(), [spanIdOf(10), spanIdOf(20)].sort());
    const stats = exporter.stats();
    assert.equal(stats.spansDropped, bad.length);
    assert.equal(stats.spansDroppedByReason.invalid, bad.length);
    assert.equal(stats.spansExported, 2);
    const warn = logger.lines.find((l) => l.level === 'warn' && (l.obj as { reason?: string }).reason === 'invalid');
    assert.ok(warn, 'a drop is logged');
    assert.equal((warn.obj as { dropped: number }).dropped, bad.length);
  });

  it('sends headers as gRPC metadata, values with = and base64 characters intact, with gzip', async () => {
    const headers = { authorization: 'Basic dXNlcjpwYXNzd29yZA==', 'X-Scope-OrgID': 'tenant=a=b', 'x-api-key': 'a+b/c==' };
    const exporter = open(plaintextConfig(receiver.endpoint, { headers, compression: 'gzip' }), fastOptions);
    exporter.enqueue(records(0, 5));
    await exporter.flush(Date.now() + 5000);
    assert.equal(receiver.spanCount(), 5);
    const metadata = receiver.requests()[0]?.metadata;
    assert.deepEqual(metadata?.authorization, ['Basic dXNlcjpwYXNzd29yZA==']);
    assert.deepEqual(metadata?.['x-scope-orgid'], ['tenant=a=b']);
    assert.deepEqual(metadata?.['x-api-key'], ['a+b/c==']);
  });

  it('refuses plaintext unless insecure: true, reporting it in the state, and never falls back to it', async () => {
    const { states, listener } = stateRecorder();
    const exporter = open(plaintextConfig(`http://${receiver.endpoint}`, { insecure: false }), fastOptions);
    exporter.onStateChange(listener);
    assert.equal(exporter.stats().state.ready, false);
    assert.equal(exporter.stats().state.reason, 'InvalidSpec');
    assert.match(exporter.stats().state.message, /plaintext.*insecure: true/);
    exporter.enqueue(records(0, 10));
    await sleep(100);
    assert.equal(receiver.requests().length, 0);
    assert.equal(exporter.stats().spansQueued, 10, 'spans wait for a usable configuration');

    // A bare host:port without insecure means TLS: against a plaintext server it fails, unsent.
    exporter.update(plaintextConfig(receiver.endpoint, { insecure: false }));
    await waitFor(() => exporter.stats().state.reason === 'ExporterUnavailable', 5000, 'TLS failure');
    assert.match(exporter.stats().state.message, /^UNAVAILABLE: /);
    assert.equal(receiver.requests().length, 0);

    exporter.update(plaintextConfig(`http://${receiver.endpoint}`, { insecure: true }));
    await exporter.flush(Date.now() + 5000);
    assert.equal(receiver.spanCount(), 10);
    assert.equal(exporter.stats().state.reason, 'ExportSucceeded');
    assert.deepEqual(states.map((s) => s.reason).filter((r, i, a) => r !== a[i - 1]), ['Ready', 'ExporterUnavailable', 'ExportSucceeded']);
  });

  it('delivers every span queued while the receiver was down exactly once when it comes back', async () => {
    const exporter = open(plaintextConfig(receiver.endpoint), fastOptions);
    exporter.enqueue(records(0, 20));
    await exporter.flush(Date.now() + 5000);
    await receiver.stop();
    exporter.enqueue(records(20, 100));
    await waitFor(() => exporter.stats().state.reason === 'ExporterUnavailable', 5000, 'unavailable state');
    assert.match(exporter.stats().state.message, /^UNAVAILABLE: .*ECONNREFUSED/);
    exporter.enqueue(records(120, 100));
    await sleep(150);
    exporter.enqueue(records(220, 80));
    assert.equal(exporter.stats().spansQueued, 280);
    await receiver.start();
    await waitFor(() => receiver.spanCount() === 300, 10_000, 'all spans');
    await exporter.flush(Date.now() + 5000);
    const ids = idsReceived();
    assert.equal(ids.length, 300);
    assert.equal(new Set(ids).size, 300, 'no duplicates');
    assert.deepEqual(new Set(ids), new Set(records(0, 300).map((r) => r.spanId)));
    const stats = exporter.stats();
    assert.equal(stats.spansExported, 300);
    assert.equal(stats.spansDropped, 0);
    assert.equal(stats.state.reason, 'ExportSucceeded');
  });

  it('retries UNAVAILABLE answers with backoff, then succeeds; the state says why meanwhile', async () => {
    const { states, listener } = stateRecorder();
    const exporter = open(plaintextConfig(receiver.endpoint), fastOptions);
    exporter.onStateChange(listener);
    receiver.failNext(3, status.UNAVAILABLE, 'collector overloaded');
    exporter.enqueue(records(0, 10));
    await waitFor(() => exporter.stats().spansExported === 10, 5000, 'delivery after retries');
    assert.equal(receiver.spanCount(), 10);
    assert.deepEqual(receiver.requests().map((r) => r.outcome), ['failed', 'failed', 'failed', 'ok']);
    const unavailable = states.find((s) => s.reason === 'ExporterUnavailable');
    assert.ok(unavailable);
    assert.equal(unavailable.ready, false);
    assert.match(unavailable.message, /^UNAVAILABLE: collector overloaded/);
    assert.deepEqual(states.at(-1), { ready: true, reason: 'ExportSucceeded', message: `exporting to ${receiver.endpoint}` });
    assert.equal(exporter.stats().spansExported, 10);
    assert.equal(exporter.stats().failedExportRequests, 3);
  });

  for (const code of [status.RESOURCE_EXHAUSTED, status.DEADLINE_EXCEEDED, status.ABORTED, status.INTERNAL, status.UNKNOWN]) {
    it(`retries ${status[code]}`, async () => {
      const exporter = open(plaintextConfig(receiver.endpoint), fastOptions);
      receiver.failNext(1, code);
      exporter.enqueue(records(0, 3));
      await waitFor(() => receiver.spanCount() === 3, 5000, 'delivery after a retry');
      assert.equal(receiver.requests().length, 2);
    });
  }

  it('drops a batch refused with INVALID_ARGUMENT without retrying it, counts it, and says ExportRejected', async () => {
    const { states, listener } = stateRecorder();
    const exporter = open(plaintextConfig(receiver.endpoint), fastOptions);
    exporter.onStateChange(listener);
    receiver.failNext(1, status.INVALID_ARGUMENT, 'span name too long');
    exporter.enqueue(records(0, 10));
    await waitFor(() => exporter.stats().state.reason === 'ExportRejected', 5000, 'rejected state');
    const state = exporter.stats().state;
    assert.equal(state.ready, false);
    assert.match(state.message, /^INVALID_ARGUMENT: span name too long/);
    await sleep(200);
    assert.equal(receiver.requests().length, 1, 'no retry');
    let stats = exporter.stats();
    assert.equal(stats.spansDroppedByReason.rejected, 10);
    assert.equal(stats.spansDropped, 10);
    assert.equal(stats.spansQueued, 0);
    assert.equal(receiver.spanCount(), 0);

    exporter.enqueue(records(10, 5));
    await exporter.flush(Date.now() + 5000);
    stats = exporter.stats();
    assert.equal(stats.spansExported, 5);
    assert.equal(stats.state.reason, 'ExportSucceeded');
    assert.deepEqual(states.map((s) => s.reason), ['ExportRejected', 'ExportSucceeded']);
  });

  for (const code of [status.UNAUTHENTICATED, status.PERMISSION_DENIED, status.UNIMPLEMENTED]) {
    it(`does not retry ${status[code]}`, async () => {
      const exporter = open(plaintextConfig(receiver.endpoint), fastOptions);
      receiver.failNext(1, code);
      exporter.enqueue(records(0, 3));
      await waitFor(() => exporter.stats().spansDropped === 3, 5000, 'drop');
      await sleep(100);
      assert.equal(receiver.requests().length, 1);
      assert.match(exporter.stats().state.message, new RegExp(`^${status[code]}: `));
    });
  }

  it('drops the oldest spans when the queue overflows, with exact counts', async () => {
    const logger = memoryLogger();
    const exporter = open(plaintextConfig(receiver.endpoint, { maxQueueSize: 100 }), { ...fastOptions, maxBatchSize: 10, maxInFlight: 2, logger });
    await receiver.stop();
    exporter.enqueue(records(0, 500));
    let stats = exporter.stats();
    assert.equal(stats.spansDroppedByReason.queue_full, 400);
    assert.equal(stats.spansQueued, 100);
    // Two batches (the in-flight limit) leave the queue and retry; while failing no third is started.
    await waitFor(() => exporter.stats().state.reason === 'ExporterUnavailable', 5000, 'unavailable');
    await sleep(100);
    stats = exporter.stats();
    assert.equal(stats.spansInFlight, 20);
    assert.equal(stats.spansQueued, 100);
    exporter.enqueue(records(500, 50));
    stats = exporter.stats();
    assert.equal(stats.spansDroppedByReason.queue_full, 430);
    assert.equal(stats.spansQueued, 120);

    await receiver.start();
    await waitFor(() => receiver.spanCount() === 120, 10_000, 'the survivors');
    await exporter.flush(Date.now() + 5000);
    const expected = [...records(400, 20), ...records(450, 100)].map((r) => r.spanId).sort();
    assert.deepEqual(idsReceived().sort(), expected);
    stats = exporter.stats();
    assert.equal(stats.spansExported + stats.spansDropped, 550);
    const warns = logger.lines.filter((l) => (l.obj as { reason?: string }).reason === 'queue_full');
    assert.equal(warns.length, 1, 'drop logs are rate-limited');
  });

  it('bounds queue and in-flight requests against a slow receiver, losing nothing silently', async () => {
    receiver.setDelay(150);
    const exporter = open(plaintextConfig(receiver.endpoint, { maxQueueSize: 50 }), { ...fastOptions, maxBatchSize: 10, maxInFlight: 2 });
    let maxQueued = 0;
    for (let i = 0; i < 30; i++) {
      exporter.enqueue(records(i * 20, 20));
      maxQueued = Math.max(maxQueued, exporter.stats().spansQueued);
      await sleep(10);
    }
    assert.ok(maxQueued <= 50 + 2 * 10, `queued ${maxQueued}`);
    receiver.setDelay(0);
    await exporter.flush(Date.now() + 10_000);
    const stats = exporter.stats();
    assert.ok(stats.spansDroppedByReason.queue_full > 0);
    assert.equal(stats.spansExported, receiver.spanCount());
    assert.equal(stats.spansExported + stats.spansDropped, 600);
    assert.equal(new Set(idsReceived()).size, receiver.spanCount(), 'no duplicates');
    assert.ok(receiver.maxConcurrentRequests() <= 2, `concurrent requests ${receiver.maxConcurrentRequests()}`);
  });

  it('gives up on a call after timeoutMs (DEADLINE_EXCEEDED) and retries it', async () => {
    receiver.setDelay(400);
    const exporter = open(plaintextConfig(receiver.endpoint, { timeoutMs: 100 }), fastOptions);
    exporter.enqueue(records(0, 5));
    await waitFor(() => exporter.stats().state.reason === 'ExporterUnavailable', 5000, 'timeout');
    assert.match(exporter.stats().state.message, /^DEADLINE_EXCEEDED: /);
    receiver.setDelay(0);
    await waitFor(() => exporter.stats().spansExported === 5, 5000, 'delivery');
    await waitFor(() => receiver.requests().some((r) => r.outcome === 'cancelled'), 2000, 'the late answer');
    assert.equal(receiver.spanCount(), 5, 'answers the client gave up on do not count');
  });

  it('update() moves to a new endpoint and headers without losing queued spans', async () => {
    const other = await startOtlpReceiver();
    try {
      const exporter = open(plaintextConfig(receiver.endpoint, { headers: { 'x-tenant': 'one' } }), fastOptions);
      exporter.enqueue(records(0, 20));
      await exporter.flush(Date.now() + 5000);
      // Same settings again: nothing changes (no reconnect, no state change).
      exporter.update(plaintextConfig(receiver.endpoint, { headers: { 'x-tenant': 'one' } }));

      await receiver.stop();
      exporter.enqueue(records(20, 30));
      await waitFor(() => exporter.stats().state.reason === 'ExporterUnavailable', 5000, 'unavailable');
      exporter.update(plaintextConfig(other.endpoint, { headers: { 'x-tenant': 'two' }, resourceAttributes: { 'k8s.cluster.name': 'c2' } }));
      exporter.enqueue(records(50, 10));
      await exporter.flush(Date.now() + 5000);

      assert.deepEqual(idsReceived().sort(), records(0, 20).map((r) => r.spanId).sort());
      const moved = other.spans();
      assert.deepEqual(moved.map((s) => s.spanId).sort(), records(20, 40).map((r) => r.spanId).sort());
      for (const request of other.requests()) assert.deepEqual(request.metadata['x-tenant'], ['two']);
      assert.ok(moved.every((s) => s.resource['k8s.cluster.name'] === 'c2'));
      assert.equal(exporter.stats().spansDropped, 0);
      assert.equal(exporter.stats().state.reason, 'ExportSucceeded');
    } finally {
      await other.close();
    }
  });

  it('flush() and shutdown() return by their deadline while the receiver is down', async () => {
    const exporter = open(plaintextConfig(receiver.endpoint), fastOptions);
    await receiver.stop();
    exporter.enqueue(records(0, 20));
    let started = Date.now();
    await exporter.flush(started + 300);
    let took = Date.now() - started;
    assert.ok(took >= 250 && took < 1500, `flush took ${took} ms`);
    assert.equal(exporter.stats().spansQueued, 20, 'a flush that times out keeps the spans');

    started = Date.now();
    await exporter.shutdown(started + 300);
    took = Date.now() - started;
    assert.ok(took < 1500, `shutdown took ${took} ms`);
    let stats = exporter.stats();
    assert.equal(stats.spansQueued, 0);
    assert.equal(stats.spansDroppedByReason.shutdown, 20);

    assert.doesNotThrow(() => exporter.enqueue(records(20, 5)));
    stats = exporter.stats();
    assert.equal(stats.spansDroppedByReason.shutdown, 25);
    assert.equal(stats.spansExported, 0);
  });

  it('shutdown() delivers what is queued when the receiver is up', async () => {
    const exporter = open(plaintextConfig(receiver.endpoint), { ...fastOptions, maxDelayMs: 60_000 });
    exporter.enqueue(records(0, 7));
    await exporter.shutdown(Date.now() + 5000);
    assert.equal(receiver.spanCount(), 7);
    assert.equal(exporter.stats().spansExported, 7);
  });

  it('drops a batch whose retry deadline passes', async () => {
    const exporter = open(plaintextConfig(receiver.endpoint), { ...fastOptions, retryDeadlineMs: 150 });
    receiver.failNext(1000, status.UNAVAILABLE);
    exporter.enqueue(records(0, 10));
    await waitFor(() => exporter.stats().spansDropped === 10, 5000, 'deadline drop');
    const stats = exporter.stats();
    assert.equal(stats.spansDroppedByReason.retry_deadline, 10);
    assert.equal(stats.spansQueued, 0);
    assert.ok(receiver.requests().length >= 2, 'it did retry before giving up');
  });

  it('survives throwing state listeners and never rejects or throws from its API', async () => {
    const exporter = open(plaintextConfig(receiver.endpoint), fastOptions);
    exporter.onStateChange(() => {
      throw new Error('listener bug');
    });
    exporter.enqueue(records(0, 3));
    await exporter.flush(Date.now() + 5000);
    assert.equal(receiver.spanCount(), 3);
    assert.equal(exporter.stats().state.reason, 'ExportSucceeded');
  });
});

describe('OTLP exporter in a short-lived process', () => {
  it('keeps the process alive until the flush deadline while retries are pending', async () => {
    const { execFile } = await import('node:child_process');
    const fixture = new URL('./fixtures/flush-keeps-alive.ts', import.meta.url).pathname;
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--import', 'tsx', fixture], { timeout: 15_000 }, (err, out) => (err ? reject(err) : resolve(out)));
    });
    const result = JSON.parse(stdout) as { waitedMs: number; stats: { spansDropped: number; state: { reason: string } } };
    assert.ok(result.waitedMs >= 650, `waited ${result.waitedMs} ms`);
    assert.equal(result.stats.spansDropped, 3);
    assert.equal(result.stats.state.reason, 'ExporterUnavailable');
  });
});
