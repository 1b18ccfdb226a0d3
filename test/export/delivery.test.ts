/**
 * Delivery logic on a fake clock and a fake transport: exact backoff delays, batching by size
 * and delay, in-flight limits while failing, retry deadlines, channel renewal, log rate limits.
 */
import assert from 'node:assert/strict';
import { createOtlpExporter, type ExportFailure, type OtlpExporterOptions } from '../../src/export/index.js';
import { FakeClock, FakeTransports, memoryLogger, plaintextConfig, records, settle } from './helpers.js';

const unavailable: ExportFailure = { code: 14, codeName: 'UNAVAILABLE', details: 'down', retryable: true };
const exhausted: ExportFailure = { code: 8, codeName: 'RESOURCE_EXHAUSTED', details: 'memory limiter', retryable: true };

describe('export delivery (fake clock and transport)', () => {
  let clock: FakeClock;
  let transports: FakeTransports;
  const make = (options: OtlpExporterOptions = {}, maxQueueSize = 10_000) =>
    createOtlpExporter(plaintextConfig('127.0.0.1:4317', { maxQueueSize }), {
      clock,
      random: () => 0.5,
      createTransport: transports.factory,
      maxDelayMs: 0,
      ...options,
    });

  beforeEach(() => {
    clock = new FakeClock();
    transports = new FakeTransports();
  });

  it('backs off exponentially with equal jitter, capped, then delivers', async () => {
    const exporter = make({ initialBackoffMs: 100, maxBackoffMs: 400 });
    exporter.enqueue(records(0, 5));
    await settle();
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      await transports.answer(transports.open()[0], exhausted);
      delays.push(...clock.pending());
      await clock.advance(clock.pending()[0] ?? 0);
    }
    // base 100, 200, 400, 400, 400 -> half fixed + half * random(0.5)
    assert.deepEqual(delays, [75, 150, 300, 300, 300]);
    await transports.answer(transports.open()[0]);
    assert.equal(exporter.stats().spansExported, 5);
    assert.equal(transports.calls.length, 6);
  });

  it('reports every export request with its duration, outcome and size', async () => {
    const exporter = make({ maxBatchSize: 5 });
    const requests: { durationMs: number; ok: boolean; spans: number }[] = [];
    exporter.onExportRequest((r) => requests.push(r));
    exporter.enqueue(records(0, 5));
    await settle();
    await clock.advance(40);
    await transports.answer(transports.open()[0], unavailable);
    await clock.advance(clock.pending()[0] ?? 0);
    await clock.advance(7);
    await transports.answer(transports.open()[0]);
    assert.deepEqual(requests, [
      { durationMs: 40, ok: false, spans: 5 },
      { durationMs: 7, ok: true, spans: 5 },
    ]);
  });

  it('tells which spans are settled: accepted, or given up on, never while a batch waits to retry', async () => {
    const exporter = make({ maxBatchSize: 5 });
    const settled: string[][] = [];
    exporter.onSettled((spans) => settled.push(spans.map((s) => s.spanId)));
    exporter.enqueue(records(0, 5));
    await settle();
    await transports.answer(transports.open()[0], unavailable);
    assert.deepEqual(settled, [], 'waiting to retry: not settled');
    await clock.advance(clock.pending()[0] ?? 0);
    await transports.answer(transports.open()[0]);
    assert.deepEqual(settled, [records(0, 5).map((s) => s.spanId)]);
    exporter.enqueue(records(5, 5));
    await settle();
    await transports.answer(transports.open()[0], { code: 3, codeName: 'INVALID_ARGUMENT', details: 'bad', retryable: false });
    assert.equal(settled.length, 2, 'rejected: given up on, settled too');
  });

  it('sends a full batch at once and a partial one after maxDelayMs', async () => {
    const exporter = make({ maxBatchSize: 10, maxDelayMs: 1000 });
    exporter.enqueue(records(0, 23));
    await settle();
    assert.deepEqual(transports.calls.map((c) => c.spans.length), [10, 10]);
    await clock.advance(999);
    assert.equal(transports.calls.length, 2);
    await clock.advance(1);
    assert.deepEqual(transports.calls.map((c) => c.spans.length), [10, 10, 3]);
    for (const call of transports.open()) await transports.answer(call);
    assert.equal(exporter.stats().spansExported, 23);
  });

  it('starts no new batch while the endpoint fails, and resumes full concurrency after a success', async () => {
    const exporter = make({ maxBatchSize: 10, maxInFlight: 3, initialBackoffMs: 100 });
    exporter.enqueue(records(0, 100));
    await settle();
    assert.equal(transports.open().length, 3);
    for (const call of transports.open()) await transports.answer(call, exhausted);
    assert.equal(exporter.stats().spansInFlight, 30);
    await clock.advance(100);
    assert.equal(transports.open().length, 3, 'the three batches retry; no fourth starts');
    assert.equal(exporter.stats().spansQueued, 100);
    await transports.answer(transports.open()[0]);
    // healthy again: the freed slot is refilled (the two others are still in flight)
    assert.equal(transports.open().length, 3);
    assert.equal(exporter.stats().spansExported, 10);
  });

  it('drops a batch when its next retry would pass the retry deadline', async () => {
    const logger = memoryLogger();
    const exporter = make({ initialBackoffMs: 100, maxBackoffMs: 100, retryDeadlineMs: 250, logger });
    exporter.enqueue(records(0, 4));
    await settle();
    await transports.answer(transports.open()[0], exhausted); // retry at +75
    await clock.advance(75);
    await transports.answer(transports.open()[0], exhausted); // retry at +150
    await clock.advance(75);
    await transports.answer(transports.open()[0], exhausted); // retry at +225, inside 250
    await clock.advance(75);
    await transports.answer(transports.open()[0], exhausted); // +300 would pass 250: dropped
    const stats = exporter.stats();
    assert.equal(transports.calls.length, 4);
    assert.equal(stats.spansDroppedByReason.retry_deadline, 4);
    assert.equal(stats.spansQueued, 0);
    assert.deepEqual(clock.pending(), []);
    assert.ok(logger.lines.some((l) => (l.obj as { reason?: string }).reason === 'retry_deadline'));
  });

  it('opens a fresh channel after UNAVAILABLE only', async () => {
    const exporter = make({ initialBackoffMs: 10 });
    exporter.enqueue(records(0, 1));
    await settle();
    const before = transports.created;
    await transports.answer(transports.calls.at(-1), exhausted);
    await clock.advance(clock.pending()[0] ?? 0);
    assert.equal(transports.created, before, 'RESOURCE_EXHAUSTED keeps the channel');
    await transports.answer(transports.calls.at(-1), unavailable);
    await clock.advance(clock.pending()[0] ?? 0);
    assert.equal(transports.created, before + 1, 'UNAVAILABLE renews it');
    assert.equal(transports.calls.at(-1)?.transport, before + 1);
    await transports.answer(transports.calls.at(-1));
    assert.equal(exporter.stats().spansExported, 1);
  });

  it('update() with the same settings keeps the channel; new settings retry waiting batches at once', async () => {
    const exporter = make({ initialBackoffMs: 10_000, maxBackoffMs: 10_000 });
    exporter.enqueue(records(0, 2));
    await settle();
    exporter.update(plaintextConfig('127.0.0.1:4317'));
    assert.equal(transports.created, 1);
    await transports.answer(transports.open()[0], exhausted);
    assert.equal(transports.open().length, 0, 'waiting for its backoff');
    exporter.update(plaintextConfig('127.0.0.1:4317', { headers: { authorization: 'Bearer new' } }));
    await settle();
    assert.equal(transports.created, 2);
    assert.equal(transports.shutDown, 1, 'the old channel is closed');
    assert.equal(transports.open().length, 1, 'retried without waiting 10 s');
    await transports.answer(transports.open()[0]);
    assert.equal(exporter.stats().spansExported, 2);
  });

  it('logs drops at most once per interval per reason, with the count since the last line', async () => {
    const logger = memoryLogger();
    const exporter = make({ maxInFlight: 1, maxBatchSize: 5, dropLogIntervalMs: 1000, logger }, 5);
    exporter.enqueue(records(0, 5));
    await settle(); // 5 in flight, queue empty
    exporter.enqueue(records(5, 7)); // 2 dropped
    exporter.enqueue(records(12, 3)); // 3 dropped
    await clock.advance(1000);
    exporter.enqueue(records(15, 1)); // 1 dropped
    const lines = logger.lines.filter((l) => (l.obj as { reason?: string }).reason === 'queue_full').map((l) => l.obj as { dropped: number; droppedTotal: number });
    assert.deepEqual(lines.map((l) => [l.dropped, l.droppedTotal]), [[2, 2], [4, 6]]);
    assert.equal(exporter.stats().spansDroppedByReason.queue_full, 6);
  });

  it('takes a new queue size from update(): a smaller one drops the oldest waiting spans, counted', async () => {
    const exporter = make({ maxInFlight: 1, maxBatchSize: 5 }, 20);
    exporter.enqueue(records(0, 15));
    await settle(); // 0-4 in flight, 5-14 waiting
    exporter.update(plaintextConfig('127.0.0.1:4317', { maxQueueSize: 6 }));
    assert.equal(exporter.stats().spansDroppedByReason.queue_full, 4, 'spans 5-8 did not fit');
    assert.equal(transports.created, 1, 'the channel is kept: only the queue changed');
    for (let i = 0; i < 3; i++) await transports.answer(transports.open()[0]);
    const sent = transports.calls.flatMap((c) => c.spans.map((span) => span.name));
    assert.deepEqual(sent, [0, 1, 2, 3, 4, 9, 10, 11, 12, 13, 14].map((n) => `Pod.Event${n}`));
    exporter.update(plaintextConfig('127.0.0.1:4317', { maxQueueSize: 8 }));
    exporter.enqueue(records(15, 9));
    assert.equal(exporter.stats().spansDroppedByReason.queue_full, 5, 'a larger queue holds 8 of the 9');
  });

  it('holds spans while the configuration is invalid and sends them once update() fixes it', async () => {
    const exporter = createOtlpExporter(plaintextConfig('http://127.0.0.1:4317', { insecure: false }), {
      clock,
      createTransport: transports.factory,
      maxDelayMs: 0,
    });
    exporter.enqueue(records(0, 3));
    await settle();
    assert.equal(transports.created, 0);
    assert.equal(exporter.stats().state.reason, 'InvalidSpec');
    exporter.update(plaintextConfig('http://127.0.0.1:4317'));
    await settle();
    assert.equal(exporter.stats().state.reason, 'Ready');
    await transports.answer(transports.open()[0]);
    assert.equal(exporter.stats().spansExported, 3);
  });
});
