import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver/index.js';
import { exportSpans } from '../../src/replay/otlp.js';
import { records } from '../export/helpers.js';
import { captureIO, sharedFixture } from './support.js';

// ESM on purpose (see cli.test.ts): main() loads its commands dynamically.
const { main } = await import('../../src/main.js');

describe('kspan replay --otlp-endpoint', function () {
  this.timeout(20_000);
  let receiver: OtlpReceiver;
  before(async () => {
    receiver = await startOtlpReceiver();
  });
  after(async () => {
    await receiver.close();
  });

  it('sends the replayed spans, ids and parents intact, and still prints the tree', async () => {
    const { io, text } = captureIO();
    const code = await main(['replay', sharedFixture('deployment-2-pods.ndjson'), '--otlp-endpoint', receiver.endpoint, '--insecure'], io);
    assert.equal(text.err, `kspan replay: sent 20 spans to ${receiver.endpoint}\n`);
    assert.equal(code, 0);
    assert.equal(text.out, readFileSync(sharedFixture('deployment-2-pods.expected.txt'), 'utf8'));
    const spans = receiver.spans();
    assert.equal(spans.length, 20);
    assert.equal(new Set(spans.map((s) => s.traceId)).size, 1);
    const root = spans.find((s) => s.parentSpanId === '')!;
    assert.equal(root.name, 'Deployment.Update');
    assert.equal(root.resource['service.name'], 'kubectl-client-side-apply');
    const ids = new Set(spans.map((s) => s.spanId));
    for (const s of spans) if (s.parentSpanId !== '') assert.ok(ids.has(s.parentSpanId), `${s.name} has its parent`);
  });

  it('puts the capture header\'s cluster uid on the resource of every span it sends', async () => {
    const body = readFileSync(sharedFixture('deployment-2-pods.ndjson'), 'utf8');
    const at = (JSON.parse(body.split('\n')[0]!) as { at: string }).at;
    const uid = '5ca1ab1e-0000-4000-8000-000000000006';
    const dir = mkdtempSync(join(tmpdir(), 'kspan-replay-otlp-'));
    try {
      const file = join(dir, 'with-cluster.ndjson');
      writeFileSync(file, `${JSON.stringify({ at, kind: 'header', object: { recorder: 'capture', cluster: { uid } } })}\n${body}`);
      const before = receiver.spans().length;
      const { io } = captureIO();
      assert.equal(await main(['replay', file, '--otlp-endpoint', receiver.endpoint, '--insecure'], io), 0);
      const sent = receiver.spans().slice(before);
      assert.equal(sent.length, 20);
      for (const s of sent) assert.equal(s.resource['k8s.cluster.uid'], uid);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('delivers a replay of more spans than the operator queues per collector', async () => {
    const before = receiver.spans().length;
    const result = await exportSpans(records(0, 12_000), { endpoint: receiver.endpoint, insecure: true, timeoutMs: 15_000 });
    assert.deepEqual(result, { exported: 12_000, dropped: 0 });
    assert.equal(receiver.spans().length - before, 12_000);
  });

  it('fails with one line when the spans cannot be delivered in time', async () => {
    const { io, text } = captureIO();
    const code = await main(['replay', sharedFixture('deployment-2-pods.ndjson'), '-o', 'json', '--otlp-endpoint', '127.0.0.1:1', '--insecure', '--timeout', '1'], io);
    assert.equal(code, 1);
    assert.match(text.err, /^kspan replay: sent 0 of 20 spans to 127\.0\.0\.1:1: .+\n$/);
  });

  it('wants --insecure and --timeout only with an endpoint', async () => {
    const { io, text } = captureIO();
    assert.equal(await main(['replay', sharedFixture('deployment-2-pods.ndjson'), '--insecure'], io), 2);
    assert.equal(text.err, 'kspan replay: --insecure and --timeout go with --otlp-endpoint\n');
  });
});
