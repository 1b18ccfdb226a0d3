import assert from 'node:assert/strict';
import { Channel } from '../../src/export/channel.js';
import type { ExportFailure } from '../../src/export/index.js';
import { FakeTransports, memoryLogger, plaintextConfig } from './helpers.js';

const failure = (code: number): ExportFailure => ({ code, codeName: `CODE_${code}`, details: 'x', retryable: true });

describe('export channel', () => {
  let transports: FakeTransports;
  const make = (): Channel => new Channel(transports.factory, 5, memoryLogger());

  beforeEach(() => {
    transports = new FakeTransports();
  });

  it('opens a channel on first use and keeps it, with the concurrency limit it was given', () => {
    const channel = make();
    assert.deepEqual(channel.configure(plaintextConfig('http://127.0.0.1:4317')), { ok: true, address: '127.0.0.1:4317' });
    assert.equal(transports.created, 0, 'opened lazily');
    const first = channel.current();
    assert.equal(channel.current(), first);
    assert.equal(transports.created, 1);
    assert.deepEqual(transports.limits, [5]);
    assert.equal(channel.address, '127.0.0.1:4317');
  });

  it('renews the channel after UNAVAILABLE only, closing the old one', async () => {
    const channel = make();
    channel.configure(plaintextConfig('127.0.0.1:4317'));
    const first = channel.current();
    channel.noteFailure(failure(8)); // RESOURCE_EXHAUSTED: the connection works
    assert.equal(channel.current(), first);
    channel.noteFailure(failure(14)); // UNAVAILABLE
    const second = channel.current();
    assert.notEqual(second, first);
    await Promise.resolve();
    assert.equal(transports.shutDown, 1);
    assert.equal(channel.current(), second, 'renewed once per failure');
  });

  it('reports an unusable configuration and opens nothing until a usable one', () => {
    const channel = make();
    const result = channel.configure(plaintextConfig('http://127.0.0.1:4317', { insecure: false }));
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : result.message, /plaintext/);
    assert.equal(channel.usable, false);
    assert.equal(channel.current(), undefined);
    assert.equal(channel.address, undefined);
    assert.equal(channel.configure(plaintextConfig('127.0.0.1:4317')).ok, true);
    assert.ok(channel.current());
  });

  it('closes the old channel on a new configuration, and hands the last one over on release', async () => {
    const channel = make();
    channel.configure(plaintextConfig('127.0.0.1:4317'));
    channel.current();
    channel.configure(plaintextConfig('127.0.0.1:4318'));
    await Promise.resolve();
    assert.equal(transports.shutDown, 1);
    const last = channel.current();
    assert.equal(channel.release(), last);
    assert.equal(channel.usable, false);
    assert.equal(channel.current(), undefined, 'nothing opens after release');
    assert.equal(transports.created, 2);
  });
});
