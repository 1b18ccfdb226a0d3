import assert from 'node:assert/strict';
import { ObjectProjector } from '../../src/engine/projection.js';

describe('engine/projection', () => {
  const pod = (status: string) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web-1-abc', namespace: 'shop', uid: 'p1', resourceVersion: '7', generation: 1,
      labels: { app: 'web' }, annotations: { note: 'x' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'rs1', controller: true, blockOwnerDeletion: true }],
      managedFields: [{ manager: 'kube-controller-manager', operation: 'Update', time: '2026-01-01T00:00:00Z', fieldsV1: { 'f:spec': {} } }],
    },
    spec: { nodeName: 'node-1', containers: [{ name: 'app', image: 'web:1' }] },
    status: { phase: status },
  });
  const deployment = (generation: number, image: string) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web', namespace: 'shop', uid: 'd1', resourceVersion: String(10 + generation), generation, labels: { app: 'web' },
      managedFields: [
        { manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'apps/v1', time: '2026-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': {} }, 'f:spec': { 'f:replicas': {} } } },
        { manager: 'kube-controller-manager', operation: 'Update', subresource: 'status', time: '2026-01-01T00:00:01Z', fieldsV1: { 'f:status': {} } },
      ],
    },
    spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { spec: { containers: [{ name: 'app', image }] } } },
    status: { replicas: 2 },
  });

  it('keeps of an owned object its identity, owners (kind, name, controller) and node only', () => {
    const projected = new ObjectProjector().project(pod('Running'));
    assert.deepEqual(projected, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-1-abc', namespace: 'shop', uid: 'p1', resourceVersion: '7', generation: 1, ownerReferences: [{ kind: 'ReplicaSet', name: 'web-1', controller: true }] },
      spec: { nodeName: 'node-1' },
      statusFacts: { manager: 'kube-controller-manager', restarts: 0 },
    });
  });

  it('keeps of a top-level object its spec and what attribution reads of each managedFields entry', () => {
    const projected = new ObjectProjector().project(deployment(1, 'web:1'));
    assert.deepEqual(projected?.metadata.managedFields, [
      { manager: 'kubectl-client-side-apply', operation: 'Update', time: '2026-01-01T00:00:00Z', fieldsV1: { 'f:spec': { 'f:replicas': {} } } },
      { manager: 'kube-controller-manager', operation: 'Update', subresource: 'status', time: '2026-01-01T00:00:01Z' },
    ]);
    assert.deepEqual(projected?.spec, deployment(1, 'web:1').spec);
    assert.equal((projected as unknown as Record<string, unknown>)['status'], undefined);
    assert.equal(projected?.metadata.labels, undefined);
  });

  it('never changes its input', () => {
    const input = deployment(1, 'web:1');
    const copy = structuredClone(input);
    new ObjectProjector().project(input);
    assert.deepEqual(input, copy);
  });

  it('takes unchanged parts from the previous version, and gives undefined for what is not an object', () => {
    const projector = new ObjectProjector();
    const first = projector.project(deployment(1, 'web:1'))!;
    const second = projector.project(deployment(2, 'web:2'), first)!;
    const spec = (o: typeof first) => o.spec as ReturnType<typeof deployment>['spec'];
    assert.equal(spec(second).selector, spec(first).selector);
    assert.equal(spec(second).template.spec.containers[0]!.image, 'web:2');
    assert.equal(second.metadata.managedFields![0], first.metadata.managedFields![0], 'an entry not updated since');
    assert.equal(projector.project(undefined), undefined);
    assert.equal(projector.project({ kind: 'Pod', metadata: {} }), undefined);
    assert.equal(projector.project({ metadata: { name: 'x' } }), undefined);
  });

  it('tells when an owned object changed nothing it reads (a status update)', () => {
    const projector = new ObjectProjector();
    const running = projector.project(pod('Pending'))!;
    assert.equal(projector.sameOwnedVersion(pod('Running'), running), true);
    const moved = pod('Running');
    moved.spec.nodeName = 'node-2';
    assert.equal(projector.sameOwnedVersion(moved, running), false);
  });

  it("does not keep an entry whose fields changed without its time (a scale took the creator's f:replicas)", () => {
    const projector = new ObjectProjector();
    const first = projector.project(deployment(1, 'web:1'))!;
    const scaled = deployment(2, 'web:1');
    scaled.metadata.managedFields[0]!.fieldsV1 = { 'f:metadata': { 'f:labels': {} }, 'f:spec': {} } as never;
    const second = projector.project(scaled, first)!;
    assert.notEqual(second.metadata.managedFields![0], first.metadata.managedFields![0]);
    assert.deepEqual(second.metadata.managedFields![0]!.fieldsV1, { 'f:spec': {} });
  });
});
