/** Strategic merge patch: the merge keys of built-in kinds and the directives, unit and on the wire. */
import assert from 'node:assert/strict';
import { builtinType } from '../support/kube-api-server/field-types.js';
import { startKubeApiServer, type KubeApiTestServer } from '../support/kube-api-server/index.js';
import { strategicMerge, StrategicMergeError } from '../support/kube-api-server/strategic-merge.js';
import { call } from './http.js';

const POD = builtinType('', 'Pod');
const DEPLOYMENT = builtinType('apps', 'Deployment');

describe('strategic merge patch', () => {
  const pod = {
    metadata: { name: 'p', finalizers: ['a'], ownerReferences: [{ uid: 'u1', name: 'rs', kind: 'ReplicaSet', apiVersion: 'apps/v1' }] },
    spec: {
      containers: [
        { name: 'web', image: 'web:1', env: [{ name: 'A', value: '1' }], ports: [{ containerPort: 80, protocol: 'TCP' }] },
        { name: 'sidecar', image: 'side:1', args: ['--x'] },
      ],
      volumes: [{ name: 'data', emptyDir: {} }],
      tolerations: [{ key: 'k', operator: 'Exists' }],
    },
    status: { conditions: [{ type: 'Ready', status: 'False' }, { type: 'PodScheduled', status: 'True' }] },
  };

  it('merges containers, env, ports, volumes, conditions and ownerReferences by key; replaces other lists', () => {
    const out = strategicMerge(pod, {
      metadata: { ownerReferences: [{ uid: 'u2', name: 'other', kind: 'ReplicaSet', apiVersion: 'apps/v1' }] },
      spec: {
        containers: [{ name: 'web', image: 'web:2', env: [{ name: 'B', value: '2' }], ports: [{ containerPort: 80, name: 'http' }] }, { name: 'new', image: 'n:1' }],
        volumes: [{ name: 'cache', emptyDir: {} }],
        tolerations: [{ key: 'other', operator: 'Exists' }],
      },
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    }, POD) as typeof pod & { spec: { containers: Array<Record<string, unknown>> } };
    assert.deepEqual(out.metadata.ownerReferences.map((r) => r.uid), ['u1', 'u2']);
    assert.deepEqual(out.spec.containers.map((c) => c['name']), ['web', 'sidecar', 'new']);
    assert.deepEqual(out.spec.containers[0], { name: 'web', image: 'web:2', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], ports: [{ containerPort: 80, protocol: 'TCP', name: 'http' }] });
    assert.deepEqual(out.spec.volumes.map((v) => v.name), ['data', 'cache']);
    assert.deepEqual(out.spec.tolerations, [{ key: 'other', operator: 'Exists' }], 'tolerations have no merge key');
    assert.deepEqual(out.status.conditions, [{ type: 'Ready', status: 'True' }, { type: 'PodScheduled', status: 'True' }]);
    assert.deepEqual((pod.spec.containers[0] as { image: string }).image, 'web:1', 'the original is left alone');
  });

  it('knows $patch delete/replace, $deleteFromPrimitiveList, $setElementOrder, $retainKeys and null', () => {
    const out = strategicMerge(pod, {
      metadata: { finalizers: ['b'], '$deleteFromPrimitiveList/finalizers': ['a'] },
      spec: {
        containers: [{ name: 'sidecar', $patch: 'delete' }],
        '$setElementOrder/volumes': [{ name: 'extra' }, { name: 'data' }],
        volumes: [{ name: 'extra', configMap: { name: 'c' } }],
        tolerations: null,
      },
      status: { conditions: [{ $patch: 'replace' }, { type: 'Initialized', status: 'True' }] },
    }, POD) as Record<string, Record<string, unknown>>;
    assert.deepEqual(out['metadata']!['finalizers'], ['b'], 'finalizers merge as a set; a is deleted');
    assert.deepEqual((out['spec']!['containers'] as Array<{ name: string }>).map((c) => c.name), ['web']);
    assert.deepEqual((out['spec']!['volumes'] as Array<{ name: string }>).map((v) => v.name), ['extra', 'data']);
    assert.equal(out['spec']!['tolerations'], undefined);
    assert.deepEqual(out['status']!['conditions'], [{ type: 'Initialized', status: 'True' }]);

    const deployment = { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } };
    assert.deepEqual(strategicMerge(deployment, { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } }, DEPLOYMENT), { spec: { strategy: { type: 'Recreate' } } });
    assert.deepEqual(strategicMerge(deployment, { spec: { strategy: { $patch: 'replace', type: 'Recreate' } } }, DEPLOYMENT), { spec: { strategy: { type: 'Recreate' } } });
    assert.deepEqual(strategicMerge(deployment, { spec: { strategy: { $patch: 'delete' } } }, DEPLOYMENT), { spec: {} });
    assert.throws(() => strategicMerge(pod, { spec: { containers: [{ image: 'x' }] } }, POD), /does not contain declared merge key: name/);
    assert.throws(() => strategicMerge(pod, [], POD), StrategicMergeError);
  });

  describe('on the wire', () => {
    let api: KubeApiTestServer;
    beforeEach(async () => {
      api = await startKubeApiServer();
    });
    afterEach(() => api.close());
    const SMP = { 'Content-Type': 'application/strategic-merge-patch+json' };

    it('patches built-ins by merge key, 400 on a missing key, 415 for custom resources', async () => {
      await call(api, 'POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'p' }, spec: pod.spec });
      const patched = await call(api, 'PATCH', '/api/v1/namespaces/default/pods/p', { spec: { containers: [{ name: 'web', image: 'web:2' }] } }, SMP);
      assert.equal(patched.status, 200);
      assert.deepEqual(patched.body.spec.containers.map((c: { image: string }) => c.image), ['web:2', 'side:1']);
      const merge = await call(api, 'PATCH', '/api/v1/namespaces/default/pods/p', { spec: { containers: [{ name: 'web', image: 'web:3' }] } }, { 'Content-Type': 'application/merge-patch+json' });
      assert.equal(merge.body.spec.containers.length, 1, 'a JSON merge patch replaces the list');
      const noKey = await call(api, 'PATCH', '/api/v1/namespaces/default/pods/p', { spec: { containers: [{ image: 'x' }] } }, SMP);
      assert.equal(noKey.status, 400);
      await call(api, 'POST', '/apis/kspan.dev/v1alpha1/namespaces/default/tracecollectors', { metadata: { name: 't' }, spec: { exporter: { endpoint: 'c:4317' } } });
      assert.equal((await call(api, 'PATCH', '/apis/kspan.dev/v1alpha1/namespaces/default/tracecollectors/t', { spec: {} }, SMP)).status, 415);
    });
  });
});
