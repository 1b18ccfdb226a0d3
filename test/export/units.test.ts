import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import {
  classifyExportError,
  ExporterConfigError,
  invalidRecordReason,
  parseEndpoint,
  resolveTransportSettings,
  ResourceCache,
  toHrTime,
  toReadableSpan,
} from '../../src/export/index.js';
import { RingQueue } from '../../src/export/queue.js';
import { plaintextConfig, spanIdOf, spanRecord, traceIdOf } from './helpers.js';

describe('export building blocks', () => {
  describe('toHrTime', () => {
    it('splits milliseconds with fractions into seconds and nanoseconds', () => {
      assert.deepEqual(toHrTime(1_763_800_000_123.456), [1_763_800_000, 123_456_000]);
      assert.deepEqual(toHrTime(0), [0, 0]);
      assert.deepEqual(toHrTime(1999.9999999999), [2, 0], 'rounding carries into the seconds');
    });
  });

  describe('record validation', () => {
    it('accepts engine-shaped records and names what is wrong with bad ones', () => {
      assert.equal(invalidRecordReason(spanRecord(1)), undefined);
      assert.match(invalidRecordReason(spanRecord(1, { traceId: 'A'.repeat(32) })) ?? '', /trace id/);
      assert.match(invalidRecordReason(spanRecord(1, { spanId: '0000000000000000' })) ?? '', /span id/);
      assert.match(invalidRecordReason(spanRecord(1, { parentSpanId: '123' })) ?? '', /parent span id/);
      assert.match(invalidRecordReason(spanRecord(1, { endTime: Number.POSITIVE_INFINITY })) ?? '', /time/);
      assert.match(invalidRecordReason({ ...spanRecord(1), service: undefined } as never) ?? '', /service/);
      assert.match(invalidRecordReason(undefined as never) ?? '', /not a span record/);
    });

    it('checks the ids of links as strictly as the span\'s own', () => {
      const link = { traceId: traceIdOf(9), spanId: spanIdOf(9), attributes: {} };
      assert.equal(invalidRecordReason(spanRecord(1, { links: [link, { ...link, traceState: 'k=v' }] })), undefined);
      assert.equal(invalidRecordReason(spanRecord(1, { links: [] })), undefined);
      assert.equal(invalidRecordReason(spanRecord(1, { links: [link, { ...link, traceId: '0'.repeat(32) }] })), 'link 1: invalid trace id "00000000000000000000000000000000"');
      assert.match(invalidRecordReason(spanRecord(1, { links: [{ ...link, spanId: 'ABCDEF0123456789' }] })) ?? '', /^link 0: invalid span id/);
      assert.match(invalidRecordReason(spanRecord(1, { links: [{ ...link, traceState: 7 as never }] })) ?? '', /^link 0: trace state/);
      assert.match(invalidRecordReason(spanRecord(1, { links: [{ ...link, attributes: null as never }] })) ?? '', /^link 0: invalid attributes/);
      assert.match(invalidRecordReason(spanRecord(1, { links: [null as never] })) ?? '', /^link 0: not a link/);
      assert.match(invalidRecordReason(spanRecord(1, { links: {} as never })) ?? '', /links is not a list/);
    });
  });

  describe('ResourceCache', () => {
    it('shares one Resource object per service identity, our identity winning over collector attributes', () => {
      const cache = new ResourceCache({ 'k8s.cluster.name': 'c1', 'service.name': 'ignored' });
      const a = cache.get({ name: 'kubelet', instance: 'node-a' });
      assert.equal(cache.get({ name: 'kubelet', instance: 'node-a' }), a);
      assert.notEqual(cache.get({ name: 'kubelet', instance: 'node-b' }), a);
      assert.notEqual(cache.get({ name: 'kubelet' }), a);
      assert.deepEqual(a.attributes, { 'k8s.cluster.name': 'c1', 'service.name': 'kubelet', 'service.instance.id': 'node-a' });
      assert.deepEqual(cache.get({ name: 'default-scheduler' }).attributes, { 'k8s.cluster.name': 'c1', 'service.name': 'default-scheduler' });
    });

    it('puts the cluster\'s uid under the collector\'s attributes: a k8s.cluster.uid set there wins', () => {
      const read = new ResourceCache({ 'k8s.cluster.name': 'c1' }, 1000, 'uid-read');
      assert.deepEqual(read.get({ name: 'kubelet', instance: 'node-a' }).attributes, {
        'k8s.cluster.uid': 'uid-read',
        'k8s.cluster.name': 'c1',
        'service.name': 'kubelet',
        'service.instance.id': 'node-a',
      });
      const overridden = new ResourceCache({ 'k8s.cluster.uid': 'uid-set' }, 1000, 'uid-read');
      assert.deepEqual(overridden.get({ name: 'kubelet' }).attributes, { 'k8s.cluster.uid': 'uid-set', 'service.name': 'kubelet' });
      assert.deepEqual(new ResourceCache({}).get({ name: 'kubelet' }).attributes, { 'service.name': 'kubelet' }, 'no uid read: no attribute');
    });

    it('is bounded', () => {
      const cache = new ResourceCache({}, 10);
      for (let i = 0; i < 25; i++) cache.get({ name: `c${i}` });
      assert.ok(cache.size <= 10);
    });

    it('gives spans built from records their ids, parent and status', () => {
      const span = toReadableSpan(spanRecord(3), new ResourceCache({}));
      assert.equal(span.spanContext().spanId, spanRecord(3).spanId);
      assert.equal(span.parentSpanContext?.spanId, spanRecord(0).spanId);
      assert.deepEqual(span.status, { code: 2, message: 'Back-off 3' });
      assert.equal(span.ended, true);
      assert.equal(toReadableSpan(spanRecord(10), new ResourceCache({})).parentSpanContext, undefined);
    });
  });

  describe('gRPC status classification', () => {
    it('retries transient codes and gives up on permanent ones', () => {
      for (const code of [status.UNAVAILABLE, status.RESOURCE_EXHAUSTED, status.DEADLINE_EXCEEDED, status.ABORTED, status.CANCELLED, status.INTERNAL, status.UNKNOWN, status.DATA_LOSS, status.OUT_OF_RANGE]) {
        assert.equal(classifyExportError({ code, details: 'x' }).retryable, true, status[code]);
      }
      for (const code of [status.INVALID_ARGUMENT, status.UNAUTHENTICATED, status.PERMISSION_DENIED, status.UNIMPLEMENTED, status.NOT_FOUND, status.FAILED_PRECONDITION, status.ALREADY_EXISTS]) {
        assert.equal(classifyExportError({ code, details: 'x' }).retryable, false, status[code]);
      }
    });

    it('names the status and keeps the details; errors without a code count as UNKNOWN', () => {
      assert.deepEqual(classifyExportError({ code: 14, details: 'down' }), { code: 14, codeName: 'UNAVAILABLE', details: 'down', retryable: true });
      assert.deepEqual(classifyExportError(new Error('Concurrent export limit reached')), {
        code: 2,
        codeName: 'UNKNOWN',
        details: 'Concurrent export limit reached',
        retryable: true,
      });
      assert.equal(classifyExportError(undefined).codeName, 'UNKNOWN');
    });
  });

  describe('endpoints and transport settings', () => {
    it('parses host:port and http(s)://host:port, defaulting the port to 4317', () => {
      assert.deepEqual(parseEndpoint('otel-collector.observability:4317'), { host: 'otel-collector.observability', port: 4317, address: 'otel-collector.observability:4317' });
      assert.deepEqual(parseEndpoint('https://collector.example.com'), { scheme: 'https', host: 'collector.example.com', port: 4317, address: 'collector.example.com:4317' });
      assert.deepEqual(parseEndpoint('HTTP://10.0.0.1:55680/'), { scheme: 'http', host: '10.0.0.1', port: 55680, address: '10.0.0.1:55680' });
      assert.equal(parseEndpoint('[::1]:4317').address, '[::1]:4317');
      for (const bad of ['', 'grpc://x:1', 'x:99999', 'http://x:1/v1/traces', 'a b:1']) {
        assert.throws(() => parseEndpoint(bad), ExporterConfigError, bad);
      }
    });

    it('requires insecure: true for plaintext and rejects conflicting settings', () => {
      assert.equal(resolveTransportSettings(plaintextConfig('http://h:1')).secure, false);
      assert.equal(resolveTransportSettings(plaintextConfig('h:1')).secure, false);
      assert.equal(resolveTransportSettings(plaintextConfig('h:1', { insecure: false })).secure, true);
      assert.equal(resolveTransportSettings(plaintextConfig('https://h:1', { insecure: false })).secure, true);
      assert.throws(() => resolveTransportSettings(plaintextConfig('http://h:1', { insecure: false })), /plaintext/);
      assert.throws(() => resolveTransportSettings(plaintextConfig('https://h:1')), /insecure: true/);
      assert.throws(() => resolveTransportSettings(plaintextConfig('h:1', { tls: { ca: Buffer.from('x') } })), /conflicts/);
      assert.throws(() => resolveTransportSettings(plaintextConfig('h:1', { timeoutMs: 0 })), /timeout/);
    });

    it('turns headers into metadata and rejects bad names without echoing secret values', () => {
      const settings = resolveTransportSettings(plaintextConfig('h:1', { headers: { 'X-Api-Key': 'k=v==', 'trace-bin': 'raw' } }));
      assert.deepEqual(settings.metadata.get('x-api-key'), ['k=v==']);
      assert.deepEqual(settings.metadata.get('trace-bin'), [Buffer.from('raw')]);
      for (const headers of [{ 'bad key': 'supersecret' }, { 'grpc-timeout': 'supersecret' }, { 'x-ok': 'line\nbreak supersecret' }]) {
        assert.throws(
          () => resolveTransportSettings(plaintextConfig('h:1', { headers })),
          (err: Error) => err instanceof ExporterConfigError && !err.message.includes('supersecret'),
        );
      }
    });
  });

  describe('RingQueue', () => {
    it('evicts the oldest when full and takes from the head', () => {
      const q = new RingQueue<number>(3);
      assert.equal(q.push(1), undefined);
      q.push(2);
      q.push(3);
      assert.equal(q.push(4), 1);
      assert.equal(q.length, 3);
      assert.deepEqual(q.take(2), [2, 3]);
      q.push(5);
      q.push(6);
      assert.equal(q.peek(), 4);
      assert.deepEqual(q.take(10), [4, 5, 6]);
      assert.equal(q.length, 0);
      assert.equal(q.peek(), undefined);
      assert.throws(() => new RingQueue(0), RangeError);
    });

    it('resizes keeping the newest in order, and says how many of the oldest did not fit', () => {
      const q = new RingQueue<number>(4);
      for (const n of [1, 2, 3, 4, 5, 6]) q.push(n); // wrapped: 3 4 5 6
      assert.equal(q.resize(6), 0);
      assert.equal(q.capacity, 6);
      q.push(7);
      q.push(8);
      assert.equal(q.push(9), 3);
      assert.equal(q.resize(2), 4); // 4 5 6 7 go
      assert.deepEqual(q.take(10), [8, 9]);
      assert.equal(q.resize(2), 0);
      assert.throws(() => q.resize(0), RangeError);
    });
  });
});
