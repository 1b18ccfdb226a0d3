/** `--output json` and the tree with span links (the engine's SpanRecord.links) and the recorded cluster. */
import assert from 'node:assert/strict';
import type { SpanRecord } from '../../src/engine/types.js';
import { renderJson, renderTree } from '../../src/replay/render.js';
import { spanIdOf, spanRecord, traceIdOf } from '../export/helpers.js';

const previousRoot = { traceId: traceIdOf(7), spanId: spanIdOf(70), attributes: { 'k8s.object.generation': 2 } };
const trigger = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceState: 'rojo=00f067aa0ba902b7', attributes: {} };
const spans: SpanRecord[] = [spanRecord(0, { links: [previousRoot, trigger] }), spanRecord(1), spanRecord(2, { links: [{ ...previousRoot, traceState: '' }] })];

const parse = (text: string) => text.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);

describe('replay renderers', () => {
  it('--output json prints each span\'s links as [{traceId, spanId, traceState when there is one, attributes}]', () => {
    const [root, plain, empty] = parse(renderJson(spans));
    assert.deepEqual(root?.['links'], [
      { traceId: traceIdOf(7), spanId: spanIdOf(70), attributes: { 'k8s.object.generation': 2 } },
      { traceId: trigger.traceId, spanId: trigger.spanId, traceState: 'rojo=00f067aa0ba902b7', attributes: {} },
    ]);
    assert.deepEqual(plain?.['links'], [], 'a span without links has an empty list');
    assert.deepEqual(empty?.['links'], [{ traceId: traceIdOf(7), spanId: spanIdOf(70), attributes: { 'k8s.object.generation': 2 } }], 'an empty trace state is none');
    // The rest of the record is as the engine made it.
    const { links: _links, resource: _resource, ...rest } = root!;
    const { links: _recordLinks, ...record } = spans[0]!;
    assert.deepEqual(rest, JSON.parse(JSON.stringify(record)));
  });

  it('--output json prints the resource the exporter sends, with the recorded cluster\'s uid when there is one', () => {
    const [withUid] = parse(renderJson(spans, { clusterUid: 'c0ffee00-0000-4000-8000-000000000000' }));
    assert.deepEqual(withUid?.['resource'], { 'k8s.cluster.uid': 'c0ffee00-0000-4000-8000-000000000000', 'service.name': 'kubelet', 'service.instance.id': 'node-a' });
    const [, withoutUid] = parse(renderJson(spans));
    assert.deepEqual(withoutUid?.['resource'], { 'service.name': 'kubelet', 'service.instance.id': 'node-b' });
  });

  it('the tree does not show links', () => {
    const unlinked = spans.map(({ links: _links, ...span }) => span);
    assert.equal(renderTree(spans), renderTree(unlinked));
  });
});
