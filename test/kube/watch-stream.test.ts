import assert from 'node:assert/strict';
import { KubeApiError } from '../../src/kube/errors.js';
import { RESOURCES } from '../../src/kube/resources.js';
import { decodeWatchEvent, LineSplitter } from '../../src/kube/watch-stream.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const context = { verb: 'watch' as const, resource: 'replicasets', namespace: 'shop' };

describe('kube/watch-stream', () => {
  it('cuts lines wherever the chunks end, a multi-byte character included', () => {
    const lines = new LineSplitter();
    const all = bytes('{"a":"é"}\n\n  {"b":2}  \n{"c"');
    // "é" is two bytes: split between them
    const cut = all.indexOf(0xc3) + 1;
    assert.deepEqual(lines.push(all.subarray(0, cut)), []);
    assert.deepEqual(lines.push(all.subarray(cut)), ['{"a":"é"}', '{"b":2}']);
    assert.deepEqual(lines.push(bytes(':3}')), []);
    assert.deepEqual(lines.end(), ['{"c":3}'], 'the last line needs no newline');
    assert.deepEqual(lines.end(), []);
  });

  it('decodes events, giving objects back their kind and apiVersion but leaving ERROR and BOOKMARK as sent', () => {
    const added = decodeWatchEvent('{"type":"ADDED","object":{"metadata":{"name":"rs"}}}', RESOURCES.replicasets, context);
    assert.deepEqual(added, { type: 'ADDED', object: { kind: 'ReplicaSet', apiVersion: 'apps/v1', metadata: { name: 'rs' } } });
    const partial = decodeWatchEvent('{"type":"MODIFIED","object":{"kind":"PartialObjectMetadata","metadata":{}}}', RESOURCES.replicasets, context);
    assert.equal(partial.object.kind, 'ReplicaSet');
    const error = decodeWatchEvent('{"type":"ERROR","object":{"kind":"Status","code":410}}', RESOURCES.replicasets, context);
    assert.equal(error.object.kind, 'Status');
    const bookmark = decodeWatchEvent('{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"9"}}}', RESOURCES.replicasets, context);
    assert.equal(bookmark.object.kind, undefined);
  });

  it('rejects a line that is not an event as BadWatchData of the request', () => {
    for (const line of ['not json', '{"type":"ADDED"}', '{"object":{}}', '[1]', '{"type":"ADDED","object":[]}']) {
      assert.throws(
        () => decodeWatchEvent(line, RESOURCES.replicasets, context),
        (err: unknown) => err instanceof KubeApiError && err.reason === 'BadWatchData' && err.statusCode === 0 && err.namespace === 'shop' && err.verb === 'watch',
        line,
      );
    }
  });
});
