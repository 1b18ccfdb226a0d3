import assert from 'node:assert/strict';
import { ObjectProjector } from '../../src/engine/projection.js';
import { parseTraceparent, triggerContext } from '../../src/engine/trace-context.js';
import type { KubeObject } from '../../src/engine/types.js';

const TP = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

function deployment(generation: number, annotations: Record<string, string>, templateAnnotations?: Record<string, string>): KubeObject {
  const template = templateAnnotations === undefined ? {} : { metadata: { annotations: templateAnnotations } };
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop', uid: 'u1', generation, annotations }, spec: { replicas: 2, template } };
}

describe('W3C trace context on the object (docs/design.md §5.13)', () => {
  it('parses a traceparent; rejects what the W3C spec rejects', () => {
    assert.deepEqual(parseTraceparent(TP), { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' });
    assert.deepEqual(parseTraceparent(`${TP}\n`), parseTraceparent(TP), 'a trailing newline from a CI step');
    assert.deepEqual(parseTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future'), { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' });
    for (const bad of [
      TP.toUpperCase(),
      'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      `${TP}-extra`,
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
      '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01',
      'not a traceparent',
      '',
    ]) assert.equal(parseTraceparent(bad), undefined, bad);
  });

  it('takes the first configured key present, on the object then its pod template, with its tracestate twin', () => {
    const keys = ['tekton.dev/deliveryTraceparent', 'tracing.k8s.io/traceparent', 'traceparent'];
    assert.deepEqual(triggerContext(deployment(1, { 'tracing.k8s.io/traceparent': TP, 'tracing.k8s.io/tracestate': 'ci=1' }), undefined, keys), { context: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceState: 'ci=1' } });
    assert.deepEqual(triggerContext(deployment(1, {}, { traceparent: TP }), undefined, keys), { context: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' } }, "Keptn's pod-template traceparent");
    assert.deepEqual(triggerContext(deployment(1, { 'tekton.dev/deliveryTraceparent': 'x', 'tracing.k8s.io/traceparent': TP }), undefined, keys), { invalid: { key: 'tekton.dev/deliveryTraceparent', value: 'x' } });
    assert.equal(triggerContext(deployment(1, { 'tracing.k8s.io/traceparent': TP }), undefined, ['traceparent']), undefined);
  });

  it('an annotation left over from an earlier generation is not reused; without that version only a first generation counts', () => {
    const keys = ['tracing.k8s.io/traceparent'];
    const withTp = (g: number) => deployment(g, { 'tracing.k8s.io/traceparent': TP });
    assert.equal(triggerContext(withTp(3), withTp(2), keys), undefined);
    assert.equal(triggerContext(withTp(3), undefined, keys), undefined);
    assert.ok(triggerContext(withTp(3), deployment(2, {}), keys));
  });

  it('the projection keeps only trace-context annotations of a top-level object, and shares them between versions', () => {
    const projector = new ObjectProjector();
    const raw = { ...deployment(1, { 'tracing.k8s.io/traceparent': TP, 'tekton.dev/deliveryTraceparent': TP, 'kubectl.kubernetes.io/last-applied-configuration': '{}', 'x/tracestate': 'a=1', 'big/traceparent': 'x'.repeat(2000) }) };
    const once = projector.project(raw)!;
    assert.deepEqual(once.metadata.annotations, { 'tracing.k8s.io/traceparent': TP, 'tekton.dev/deliveryTraceparent': TP, 'x/tracestate': 'a=1' });
    assert.equal(projector.project({ ...raw, metadata: { ...raw.metadata, resourceVersion: '2' } }, once)!.metadata.annotations, once.metadata.annotations);
    assert.deepEqual(projector.project(once), once, 'idempotent');
    const owned = projector.project({ ...raw, metadata: { ...raw.metadata, ownerReferences: [{ kind: 'X', name: 'y' }] } })!;
    assert.equal(owned.metadata.annotations, undefined);
    assert.equal(projector.project(deployment(1, { a: 'b' }))!.metadata.annotations, undefined);
  });
});
