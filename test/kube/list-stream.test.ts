import assert from 'node:assert/strict';
import { ListItemSplitter } from '../../src/kube/list-stream.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Every item and the envelope, with the body cut into chunks at `cuts`. */
function split(body: Uint8Array, cuts: number[]): { items: unknown[]; rest: Record<string, unknown> } {
  const splitter = new ListItemSplitter();
  const items: unknown[] = [];
  let from = 0;
  for (const cut of [...cuts, body.length]) {
    for (const text of splitter.push(body.subarray(from, cut))) items.push(JSON.parse(text));
    from = cut;
  }
  return { items, rest: splitter.end() };
}

describe('kube/list-stream', () => {
  const list = {
    kind: 'PodList',
    apiVersion: 'v1',
    metadata: { resourceVersion: '42', continue: 'a"b[{' },
    items: [
      { metadata: { name: 'p-é', annotations: { 'x}': 'quote \\" brace } bracket ] \\\\' } }, spec: { containers: [{ name: 'c', args: ['[', '{'] }] } },
      { metadata: { name: 'q' }, status: { n: 1.5e3, ok: true, none: null } },
    ],
    tail: { items: [1] },
  };
  const body = bytes(JSON.stringify(list, null, 1));

  it('hands over each item and keeps the rest, wherever the chunks end (inside strings, escapes, multi-byte characters)', () => {
    const expected = { items: list.items, rest: { ...list, items: [] } };
    assert.deepEqual(split(body, []), expected);
    for (let cut = 1; cut < body.length; cut++) assert.deepEqual(split(body, [cut]), expected, `cut at ${cut}`);
    assert.deepEqual(split(body, Array.from({ length: body.length - 1 }, (_, i) => i + 1)), expected, 'a byte a chunk');
  });

  it('reads an empty list and one without items', () => {
    assert.deepEqual(split(bytes('{"kind":"PodList","items":[],"metadata":{}}'), []), { items: [], rest: { kind: 'PodList', items: [], metadata: {} } });
    assert.deepEqual(split(bytes('{"metadata":{"resourceVersion":"1"}}'), [3]), { items: [], rest: { metadata: { resourceVersion: '1' } } });
  });

  it('throws at the end of a body cut short', () => {
    const splitter = new ListItemSplitter();
    splitter.push(body.subarray(0, body.length - 5));
    assert.throws(() => splitter.end(), SyntaxError);
  });
});
