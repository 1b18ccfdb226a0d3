import assert from 'node:assert/strict';
import { createOtlpExporter, type OtlpExporter } from '../../src/export/index.js';
import type { ResolvedExporterConfig } from '../../src/pipeline/ports.js';
import { generateTestCertificates, opensslAvailable, startOtlpReceiver, waitFor, type OtlpReceiver, type TestCertificates } from '../support/otlp-receiver/index.js';
import { fastOptions, records, sleep } from './helpers.js';

describe('OTLP exporter over TLS and mTLS', function () {
  let certs: TestCertificates;
  let receiver: OtlpReceiver | undefined;
  const exporters: OtlpExporter[] = [];

  before(function () {
    if (!opensslAvailable()) this.skip();
    certs = generateTestCertificates();
  });

  afterEach(async () => {
    await Promise.all(exporters.splice(0).map((e) => e.shutdown(Date.now() + 200)));
    await receiver?.close();
    receiver = undefined;
  });

  const tlsConfig = (endpoint: string, tls: ResolvedExporterConfig['tls']): ResolvedExporterConfig => ({
    endpoint,
    insecure: false,
    headers: { authorization: 'Bearer s3cr3t=' },
    ...(tls === undefined ? {} : { tls }),
    compression: 'gzip',
    timeoutMs: 5000,
    maxQueueSize: 10_000,
    resourceAttributes: {},
  });

  const open = (config: ResolvedExporterConfig): OtlpExporter => {
    const exporter = createOtlpExporter(config, fastOptions);
    exporters.push(exporter);
    return exporter;
  };

  it('verifies the server against the configured CA, and only then sends', async () => {
    receiver = await startOtlpReceiver({ tls: { cert: certs.serverCert, key: certs.serverKey } });
    const exporter = open(tlsConfig(`https://${receiver.endpoint}`, { ca: certs.otherCa }));
    exporter.enqueue(records(0, 10));
    await waitFor(() => exporter.stats().state.reason === 'ExporterUnavailable', 5000, 'handshake failure');
    assert.match(exporter.stats().state.message, /^UNAVAILABLE: /);
    assert.equal(receiver.requests().length, 0);

    // The CA Secret is fixed: the queued spans go out over the verified connection.
    exporter.update(tlsConfig(receiver.endpoint, { ca: certs.ca }));
    await exporter.flush(Date.now() + 5000);
    assert.equal(receiver.spanCount(), 10);
    assert.deepEqual(receiver.requests()[0]?.metadata.authorization, ['Bearer s3cr3t=']);
    assert.equal(exporter.stats().state.reason, 'ExportSucceeded');
  });

  it('presents the client certificate to a server that requires one (mTLS)', async () => {
    receiver = await startOtlpReceiver({ tls: { cert: certs.serverCert, key: certs.serverKey, ca: certs.ca, requireClientCert: true } });
    const exporter = open(tlsConfig(receiver.endpoint, { ca: certs.ca }));
    exporter.enqueue(records(0, 5));
    await waitFor(() => exporter.stats().state.reason === 'ExporterUnavailable', 5000, 'refused without a client certificate');
    assert.equal(receiver.requests().length, 0);

    exporter.update(tlsConfig(receiver.endpoint, { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey }));
    await exporter.flush(Date.now() + 5000);
    assert.equal(receiver.spanCount(), 5);
    assert.equal(receiver.requests()[0]?.clientCertificateCN, 'kspan-test-client');
  });

  it('does not talk plaintext to a TLS server when insecure: true', async () => {
    receiver = await startOtlpReceiver({ tls: { cert: certs.serverCert, key: certs.serverKey } });
    const exporter = open({ ...tlsConfig(receiver.endpoint, undefined), insecure: true });
    exporter.enqueue(records(0, 3));
    await waitFor(() => exporter.stats().state.ready === false, 5000, 'failure');
    await sleep(50);
    assert.equal(receiver.spanCount(), 0);
  });

  it('reports unusable TLS material in the state instead of throwing', () => {
    const halfPair = open(tlsConfig('127.0.0.1:4317', { ca: certs.ca, cert: certs.clientCert }));
    assert.equal(halfPair.stats().state.reason, 'InvalidSpec');
    assert.match(halfPair.stats().state.message, /both a certificate and its private key/);

    const garbage = open(tlsConfig('127.0.0.1:4317', { ca: Buffer.from('not a certificate') }));
    assert.equal(garbage.stats().state.reason, 'InvalidSpec');
    assert.match(garbage.stats().state.message, /TLS settings are unusable: the CA bundle holds no PEM certificate/);
    const mismatched = open(tlsConfig('127.0.0.1:4317', { ca: certs.ca, cert: certs.clientCert, key: certs.serverKey }));
    assert.match(mismatched.stats().state.message, /private key does not match/);

    assert.doesNotThrow(() => garbage.enqueue(records(0, 2)));
    assert.equal(garbage.stats().spansQueued, 2);
  });
});
