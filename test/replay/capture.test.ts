import assert from 'node:assert/strict';
import { CaptureError, parseCapture, parseKspanYaml, parseNdjson } from '../../src/replay/capture.js';
import { MemoryObjectLookup } from '../../src/replay/object-lookup.js';
import { makeRef } from '../../src/engine/refs.js';

describe('capture files', () => {
  it('reads NDJSON records with nanosecond receive times and skips blank lines', () => {
    const text = '{"at":"2021-05-19T09:42:58.640117041Z","kind":"flush"}\n\n{"at":"2021-05-19T09:42:59Z","kind":"flush"}\n';
    const records = [...parseNdjson(text, 'f')];
    assert.deepEqual(records.map((r) => [r.kind, r.line]), [['flush', 1], ['flush', 3]]);
    assert.ok(Math.abs(records[0]!.at - (Date.parse('2021-05-19T09:42:58Z') + 640.117041)) < 1e-3);
    assert.equal(records[1]!.at, Date.parse('2021-05-19T09:42:59Z'));
  });

  it('reads kspan YAML: initial objects first, watch objects and events in file order', () => {
    const yaml = [
      '---',
      '# {"time":"2021-05-05T16:22:15.80Z","style":"event","kind":"Event"}',
      'involvedObject: {kind: Deployment, name: px, namespace: default}',
      'metadata: {name: e1, namespace: default}',
      'reason: ScalingReplicaSet',
      '---',
      '# {"time":"2021-05-05T16:22:15.90Z","style":"initial","kind":"ReplicaSet"}',
      'kind: ReplicaSet',
      'metadata: {name: px-1, namespace: default}',
      '---',
      '# {"time":"2021-05-05T16:22:16.00Z","style":"watch","kind":"Pod"}',
      'kind: Pod',
      'metadata: {name: px-1-a, namespace: default}',
      '',
    ].join('\n');
    const records = parseKspanYaml(yaml, 'k.yaml');
    assert.deepEqual(records.map((r) => [r.kind, r.line]), [['object', 7], ['event', 2], ['object', 11]]);
    assert.equal(records[0]!.at, Date.parse('2021-05-05T16:22:15.80Z'), 'initial objects take the first record time');
    assert.equal([...parseCapture(yaml, 'k.yaml')].length, 3, 'detected as YAML');
  });

  it('reports bad YAML with its line', () => {
    const yaml = '---\n# {"time":"2021-05-05T16:22:15Z","style":"initial"}\nkind: Pod\nmetadata: {name: [unclosed\n';
    assert.throws(() => parseKspanYaml(yaml, 'bad.yaml'), (e: unknown) => e instanceof CaptureError && /^bad\.yaml:\d+: not valid YAML/.test(e.message));
  });
});

describe('replay object lookup', () => {
  const deployment = (generation: number, rv: string) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'Web', namespace: 'Shop', uid: 'u1', generation, resourceVersion: rv, managedFields: [{ manager: 'kubectl', operation: 'Update' }] },
    spec: { replicas: generation },
  });

  it('answers the newest version, and the newest of an older generation', () => {
    const lookup = new MemoryObjectLookup();
    lookup.put(deployment(1, '10'));
    lookup.put(deployment(2, '20'));
    lookup.put(deployment(2, '21'));
    lookup.put(deployment(3, '30'));
    const ref = makeRef('Deployment', 'shop', 'web');
    assert.equal(lookup.get(ref)!.metadata.generation, 3);
    assert.equal(lookup.previousGeneration(ref, 3)!.metadata.resourceVersion, '21', 'the newest version of generation 2');
    assert.deepEqual(lookup.previousGeneration(ref, 3)!.metadata.managedFields, [{ manager: 'kubectl', operation: 'Update' }], 'projected to what the engine reads');
    assert.deepEqual(lookup.previousGeneration(ref, 3)!.spec, { replicas: 2 });
    assert.equal(lookup.previousGeneration(ref, 2)!.metadata.generation, 1);
    assert.equal(lookup.previousGeneration(ref, 1), undefined);
    assert.equal(lookup.get(makeRef('Deployment', 'shop', 'other')), undefined);
  });

  it("keeps a new generation's unchanged spec parts and manager entries once, shared with the previous generation", () => {
    const lookup = new MemoryObjectLookup();
    const template = (image: string) => ({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image, ports: [{ containerPort: 80 }] }] } });
    const fields = { 'f:replicas': {}, 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"app"}': { 'f:image': {} } } } } };
    const version = (generation: number, image: string, applyTime: string) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'web',
        namespace: 'shop',
        uid: 'u1',
        generation,
        managedFields: [
          { manager: 'kubectl', operation: 'Apply', time: applyTime, fieldsV1: { 'f:metadata': {}, 'f:spec': structuredClone(fields) } },
          { manager: 'kube-controller-manager', operation: 'Update', time: '2026-03-10T13:00:00Z', subresource: 'status', fieldsV1: { 'f:status': {} } },
          { manager: 'hpa', operation: 'Update', time: '2026-03-10T13:30:00Z', fieldsV1: { 'f:spec': { 'f:replicas': {} } } },
        ],
      },
      spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: template(image) },
    });
    const ref = makeRef('Deployment', 'shop', 'web');
    lookup.put(version(1, 'web:1', '2026-03-10T14:00:00Z'));
    const first = lookup.get(ref)!;
    lookup.put(version(2, 'web:2', '2026-03-10T14:05:00Z'));
    const second = lookup.get(ref)!;
    const spec = (o: typeof first) => o.spec as ReturnType<typeof version>['spec'];
    assert.deepEqual(second.spec, version(2, 'web:2', '').spec, 'the new generation reads as it came');
    assert.equal(spec(second).selector, spec(first).selector, 'an unchanged part is the previous copy');
    assert.equal(spec(second).template.metadata, spec(first).template.metadata);
    assert.equal(spec(second).template.spec.containers[0]!.ports, spec(first).template.spec.containers[0]!.ports);
    assert.notEqual(spec(second).template.spec.containers, spec(first).template.spec.containers, 'the changed path is new');
    const [apply, , hpa] = second.metadata.managedFields!;
    assert.equal(hpa, first.metadata.managedFields![2], 'an entry not updated since is the previous one');
    assert.notEqual(apply, first.metadata.managedFields![0], 'an updated entry is new (its time moved)');
    assert.equal(apply!.time, '2026-03-10T14:05:00Z');
    assert.equal(apply!.fieldsV1, first.metadata.managedFields![0]!.fieldsV1, 'with the same fields as before, shared');
    assert.equal(lookup.previousGeneration(ref, 2), first);
  });

  it('keeps one owner list for the objects of one owner', () => {
    const lookup = new MemoryObjectLookup();
    const pod = (name: string, owner: string) => ({ kind: 'Pod', metadata: { name, namespace: 'a', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner, uid: 'rs-uid', controller: true }] } });
    lookup.put(pod('p1', 'r'));
    lookup.put(pod('p2', 'r'));
    lookup.put(pod('p3', 'other'));
    const owners = (name: string) => lookup.get(makeRef('Pod', 'a', name))!.metadata.ownerReferences;
    assert.equal(owners('p1'), owners('p2'));
    assert.deepEqual(owners('p1'), [{ kind: 'ReplicaSet', name: 'r', controller: true }]);
    assert.deepEqual(owners('p3'), [{ kind: 'ReplicaSet', name: 'other', controller: true }]);
  });

  it('keeps only owners and the node of owned objects', () => {
    const lookup = new MemoryObjectLookup();
    lookup.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'a', ownerReferences: [{ kind: 'ReplicaSet', name: 'r' }], managedFields: [{ manager: 'x' }] }, spec: { nodeName: 'n1', containers: [] } });
    const pod = lookup.get(makeRef('Pod', 'a', 'p'))!;
    assert.deepEqual(pod.spec, { nodeName: 'n1' });
    assert.equal(pod.metadata.managedFields, undefined);
    assert.equal(pod.metadata.ownerReferences![0]!.name, 'r');
  });

  it('keeps the stored version of an owned object when an update changes nothing it keeps, and stores one that does', () => {
    const lookup = new MemoryObjectLookup();
    const pod = (phase: string, nodeName?: string) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'a', uid: 'u', ownerReferences: [{ kind: 'ReplicaSet', name: 'r', controller: true }] },
      spec: nodeName === undefined ? { containers: [] } : { nodeName, containers: [] },
      status: { phase },
    });
    const ref = makeRef('Pod', 'a', 'p');
    assert.equal(lookup.put(pod('Pending')), true, 'a new object');
    const pending = lookup.get(ref);
    assert.equal(lookup.put(pod('Pending')), false, 'put says when nothing the engine reads changed');
    assert.equal(lookup.get(ref), pending, 'a status update');
    assert.equal(lookup.put(pod('Pending', 'n1')), true);
    const scheduled = lookup.get(ref)!;
    assert.notEqual(scheduled, pending);
    assert.deepEqual(scheduled.spec, { nodeName: 'n1' });
    assert.equal(lookup.put(pod('Running', 'n1')), false);
    assert.equal(lookup.get(ref), scheduled);
    const moved = lookup.put({ ...pod('Running', 'n1'), metadata: { ...pod('Running').metadata, ownerReferences: [{ kind: 'ReplicaSet', name: 'r2', controller: true }] } });
    assert.equal(moved, true);
    assert.equal(lookup.get(ref)!.metadata.ownerReferences![0]!.name, 'r2', 'owners changed');
  });

  it('within one generation of a top-level object, keeps the spec and the managedFields entries whose time did not move', () => {
    const lookup = new MemoryObjectLookup();
    const entry = (manager: string, time: string, fields: Record<string, unknown>) => ({ manager, operation: 'Update', time, fieldsV1: { 'f:spec': fields, 'f:metadata': {} } });
    const version = (generation: number, statusTime: string) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'shop', uid: 'u1', generation, managedFields: [entry('kubectl', '2026-03-10T14:00:00Z', { 'f:replicas': {} }), entry('kube-controller-manager', statusTime, {})] },
      spec: { replicas: generation },
    });
    const ref = makeRef('Deployment', 'shop', 'web');
    lookup.put(version(1, '2026-03-10T14:00:01Z'));
    const first = lookup.get(ref)!;
    lookup.put(version(1, '2026-03-10T14:00:02Z'));
    const second = lookup.get(ref)!;
    assert.notEqual(second, first, 'the newest version of the generation is answered');
    assert.equal(second.spec, first.spec);
    assert.equal(second.metadata.managedFields![0], first.metadata.managedFields![0]);
    assert.notEqual(second.metadata.managedFields![1], first.metadata.managedFields![1]);
    assert.equal(second.metadata.managedFields![1]!.time, '2026-03-10T14:00:02Z');
    lookup.put(version(2, '2026-03-10T14:00:03Z'));
    assert.deepEqual(lookup.get(ref)!.spec, { replicas: 2 });
  });
});
