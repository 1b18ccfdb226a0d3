import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { main } from '../../src/main.js';

function captureIO() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const text = { out: '', err: '' };
  stdout.on('data', (c: Buffer) => (text.out += c.toString()));
  stderr.on('data', (c: Buffer) => (text.err += c.toString()));
  return { io: { stdout, stderr, env: {} }, text };
}

describe('kspan CLI', () => {
  it('prints usage and exits 2 without a command', async () => {
    const { io, text } = captureIO();
    assert.equal(await main([], io), 2);
    assert.match(text.err, /Usage: kspan <command>/);
  });

  it('rejects an unknown command with a one-line reason', async () => {
    const { io, text } = captureIO();
    assert.equal(await main(['frobnicate'], io), 2);
    assert.match(text.err, /^kspan: unknown command 'frobnicate'/);
  });

  it('prints the package version', async () => {
    const { io, text } = captureIO();
    assert.equal(await main(['--version'], io), 0);
    assert.match(text.out, /^\d+\.\d+\.\d+\n$/);
  });
});

describe('kspan CLI errors', () => {
  it('turns a command\'s UserError into a one-line message and its exit code', async () => {
    const { io, text } = captureIO();
    assert.equal(await main(['replay', '/nonexistent/capture.ndjson'], io), 2);
    assert.doesNotMatch(text.err, /\n.+\n/, 'one line, no stack trace');
    assert.match(text.err, /^kspan replay: /);
  });
});
