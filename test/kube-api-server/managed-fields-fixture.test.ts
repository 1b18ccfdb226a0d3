/**
 * The test server's managedFields against what a real kube-apiserver recorded: the writes behind
 * the objects of deployment-2-pods.ndjson (a kind cluster, Kubernetes 1.21) replayed through the
 * HTTP API with the same managers, and the entries compared.
 *
 * Two things changed in Kubernetes since that recording and the server follows the newer ones
 * (it serves 1.33): status writes carry `subresource: status` in their own entry (1.22), where
 * the recording has one entry per manager; and LabelSelector is atomic (`f:selector: {}`).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FieldSet } from '../support/kube-api-server/fieldset.js';
import { startKubeApiServer, type KubeApiTestServer } from '../support/kube-api-server/index.js';
import { call } from './http.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function recording(): Obj[] {
  const shared = fileURLToPath(new URL('../../../shared/fixtures/deployment-2-pods.ndjson', import.meta.url));
  const path = existsSync(shared) ? shared : fileURLToPath(new URL('../../examples/recordings/deployment-2-pods.ndjson', import.meta.url));
  return readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Obj).filter((r) => r['kind'] === 'object').map((r) => r['object'] as Obj);
}

const recorded = recording();
const find = (kind: string, name: string): Obj => {
  const obj = recorded.find((o) => o['kind'] === kind && o['metadata']['name'] === name);
  assert.ok(obj, `${kind} ${name} in the recording`);
  return structuredClone(obj);
};
const entry = (obj: Obj, manager: string, subresource?: string): Obj => {
  const e = (obj['metadata']['managedFields'] as Obj[]).find((m) => m['manager'] === manager && m['subresource'] === subresource);
  assert.ok(e, `an entry of ${manager}${subresource ? ` (${subresource})` : ''}: ${JSON.stringify(obj['metadata']['managedFields'])}`);
  return e;
};
const union = (...trees: unknown[]) => trees.reduce<FieldSet>((acc, t) => acc.union(FieldSet.fromFieldsV1(t)), new FieldSet()).toFieldsV1();
/** A 1.21 tree with the selector as the atomic field it has been since. */
const atomicSelector = (tree: Obj): Obj => {
  const copy = structuredClone(tree);
  if (copy['f:spec']?.['f:selector'] !== undefined) copy['f:spec']['f:selector'] = {};
  return copy;
};

const UA = {
  kcm: 'kube-controller-manager/v1.21.1 (linux/amd64) kubernetes/5e58841/system:serviceaccount:kube-system:deployment-controller',
  scheduler: 'kube-scheduler/v1.21.1 (linux/amd64) kubernetes/5e58841/scheduler',
  kubelet: 'kubelet/v1.21.1 (linux/amd64) kubernetes/5e58841',
};
const SMP = { 'Content-Type': 'application/strategic-merge-patch+json' };

describe('managedFields compared with a real apiserver (deployment-2-pods recording)', () => {
  let api: KubeApiTestServer;
  let now = Date.parse('2021-05-19T09:42:58Z');

  beforeEach(async () => {
    api = await startKubeApiServer({ loadCrds: false, now: () => now });
  });
  afterEach(() => api.close());

  it('a Deployment: kubectl client-side apply creates it, the deployment controller writes its revision and status', async () => {
    now = Date.parse('2021-05-19T09:42:58Z');
    const real = find('Deployment', 'px');
    const annotations = real['metadata']['annotations'];
    // What kubectl sent, defaulted as the real server defaults it when it decodes a request.
    const created = await call(api, 'POST', '/apis/apps/v1/namespaces/default/deployments?fieldManager=kubectl-client-side-apply', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'px', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': annotations['kubectl.kubernetes.io/last-applied-configuration'] } },
      spec: real['spec'],
    });
    assert.equal(created.status, 201);
    const revised = await call(api, 'PUT', '/apis/apps/v1/namespaces/default/deployments/px', {
      ...created.body,
      metadata: { ...created.body.metadata, annotations: { ...created.body.metadata.annotations, 'deployment.kubernetes.io/revision': '3' } },
    }, { 'User-Agent': UA.kcm });
    assert.equal(revised.status, 200);
    const status = await call(api, 'PUT', '/apis/apps/v1/namespaces/default/deployments/px/status', { ...revised.body, status: real['status'] }, { 'User-Agent': UA.kcm });
    assert.equal(status.status, 200);

    const ours = status.body;
    const kcsa = entry(ours, 'kubectl-client-side-apply');
    const realKcsa = entry(real, 'kubectl-client-side-apply');
    assert.equal(kcsa['operation'], 'Update', 'a create is recorded as an Update');
    assert.equal(kcsa['apiVersion'], 'apps/v1');
    assert.equal(kcsa['fieldsType'], 'FieldsV1');
    assert.equal(kcsa['time'], realKcsa['time']);
    assert.deepEqual(kcsa['fieldsV1'], atomicSelector(realKcsa['fieldsV1']));

    const realKcm = entry(real, 'kube-controller-manager');
    const kcmMain = entry(ours, 'kube-controller-manager');
    const kcmStatus = entry(ours, 'kube-controller-manager', 'status');
    for (const e of [kcmMain, kcmStatus]) {
      assert.equal(e['operation'], 'Update');
      assert.equal(e['time'], realKcm['time']);
    }
    assert.deepEqual(Object.keys(kcmStatus['fieldsV1']), ['f:status'], 'the status write owns only status');
    assert.deepEqual(union(kcmMain['fieldsV1'], kcmStatus['fieldsV1']), realKcm['fieldsV1'], 'the two entries are the recording\'s one');
    assert.deepEqual(ours.metadata.managedFields.map((e: Obj) => [e['manager'], e['subresource']]), [
      ['kube-controller-manager', undefined],
      ['kube-controller-manager', 'status'],
      ['kubectl-client-side-apply', undefined],
    ], 'sorted by operation, time, then manager, as the recording is');
  });

  it('a ReplicaSet: the deployment controller creates it, the replicaset controller writes observedGeneration (replicas: 0 stays unowned)', async () => {
    now = Date.parse('2021-05-19T09:42:58Z');
    const real = find('ReplicaSet', 'px-5d567cc74c');
    const { name, labels, annotations, ownerReferences } = real['metadata'];
    const created = await call(api, 'POST', '/apis/apps/v1/namespaces/default/replicasets', {
      apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name, labels, annotations, ownerReferences }, spec: real['spec'],
    }, { 'User-Agent': UA.kcm });
    assert.equal(created.status, 201);
    assert.deepEqual(created.body.status, { replicas: 0 }, 'as the Go type serializes an empty status');
    const status = await call(api, 'PUT', '/apis/apps/v1/namespaces/default/replicasets/px-5d567cc74c/status', { ...created.body, status: real['status'] }, { 'User-Agent': UA.kcm });
    const realKcm = entry(real, 'kube-controller-manager');
    assert.deepEqual(union(entry(status.body, 'kube-controller-manager')['fieldsV1'], entry(status.body, 'kube-controller-manager', 'status')['fieldsV1']), atomicSelector(realKcm['fieldsV1']));
    assert.deepEqual(entry(status.body, 'kube-controller-manager', 'status')['fieldsV1'], { 'f:status': { 'f:observedGeneration': {} } });
  });

  it('a Pod: the replicaset controller creates it, the scheduler binds it (no owner), the kubelet patches its status', async () => {
    now = Date.parse('2021-05-19T09:43:06Z');
    const real = find('Pod', 'px-5d567cc74c-pmvzr');
    const { generateName, labels, ownerReferences } = real['metadata'];
    // What the controller sent: the template, defaulted; admission adds the token volume, the
    // tolerations, the service account and priority, which nobody owns then.
    const spec = structuredClone(real['spec']);
    for (const f of ['nodeName', 'volumes', 'tolerations', 'serviceAccount', 'serviceAccountName', 'priority', 'preemptionPolicy']) delete spec[f];
    for (const c of spec['containers']) delete c['volumeMounts'];
    const created = await call(api, 'POST', '/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { generateName, labels, ownerReferences }, spec }, { 'User-Agent': UA.kcm });
    assert.equal(created.status, 201);
    const pod = `/api/v1/namespaces/default/pods/${created.body.metadata.name as string}`;
    const bound = await call(api, 'POST', `${pod}/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name: created.body.metadata.name }, target: { apiVersion: 'v1', kind: 'Node', name: 'kind-control-plane' } }, { 'User-Agent': UA.scheduler });
    assert.equal(bound.status, 201);
    const s = real['status'];
    const patched = await call(api, 'PATCH', `${pod}/status`, {
      status: {
        // as the kubelet's status manager sends it: the order of all conditions, the changed ones
        '$setElementOrder/conditions': s['conditions'].map((c: Obj) => ({ type: c['type'] })),
        conditions: s['conditions'].filter((c: Obj) => c['type'] !== 'PodScheduled'),
        containerStatuses: s['containerStatuses'],
        hostIP: s['hostIP'],
        startTime: s['startTime'],
      },
    }, { ...SMP, 'User-Agent': UA.kubelet });
    assert.equal(patched.status, 200);
    const ours = patched.body;
    assert.equal(ours.spec.nodeName, 'kind-control-plane');
    assert.deepEqual(ours.status, real['status'], 'the status the recording has, conditions in its order');

    const kcm = entry(ours, 'kube-controller-manager');
    assert.equal(kcm['time'], entry(real, 'kube-controller-manager')['time']);
    assert.deepEqual(kcm['fieldsV1'], entry(real, 'kube-controller-manager')['fieldsV1']);
    const kubelet = entry(ours, 'kubelet', 'status');
    assert.equal(kubelet['operation'], 'Update');
    assert.equal(kubelet['time'], entry(real, 'kubelet')['time']);
    assert.deepEqual(kubelet['fieldsV1'], entry(real, 'kubelet')['fieldsV1'], 'PodScheduled (the binding\'s), phase and qosClass (the registry\'s) are nobody\'s');
    assert.equal(ours.metadata.managedFields.length, 2, 'the binding has no entry');
  });

  it('an update: kubectl-client-side-apply re-applies with a new image, then kubectl-set changes it, each taking it from the other', async () => {
    now = Date.parse('2021-05-19T09:40:00Z');
    const real = find('Deployment', 'px');
    const old = structuredClone(real['spec']);
    old['template']['spec']['containers'][0]['image'] = 'ghcr.io/stefanprodan/podinfo:4.0.0';
    const base = '/apis/apps/v1/namespaces/default/deployments';
    await call(api, 'POST', `${base}?fieldManager=kubectl-client-side-apply`, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'px' }, spec: old });
    now = Date.parse('2021-05-19T09:42:58Z');
    // kubectl apply: a strategic merge patch of what changed since the last applied configuration
    const image = (v: string) => ({ spec: { template: { spec: { containers: [{ name: 'podinfo', image: `ghcr.io/stefanprodan/podinfo:${v}` }] } } } });
    const applied = await call(api, 'PATCH', `${base}/px?fieldManager=kubectl-client-side-apply`, image('5.0.0'), SMP);
    const kcsa = entry(applied.body, 'kubectl-client-side-apply');
    assert.equal(kcsa['time'], '2021-05-19T09:42:58Z', 'the entry changed: its time moved');
    assert.deepEqual(kcsa['fieldsV1']['f:spec'], atomicSelector(entry(real, 'kubectl-client-side-apply')['fieldsV1'])['f:spec']);

    now = Date.parse('2021-05-19T10:00:00Z');
    const set = await call(api, 'PATCH', `${base}/px?fieldManager=kubectl-set`, image('5.1.3'), SMP);
    const container = (e: Obj) => e['fieldsV1']['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"podinfo"}'];
    assert.deepEqual(container(entry(set.body, 'kubectl-set')), { 'f:image': {} }, 'the item existed: only the changed leaf, no "."');
    assert.equal(entry(set.body, 'kubectl-set')['time'], '2021-05-19T10:00:00Z');
    assert.equal(container(entry(set.body, 'kubectl-client-side-apply'))['f:image'], undefined, 'taken away');
    assert.equal(entry(set.body, 'kubectl-client-side-apply')['time'], '2021-05-19T09:42:58Z', 'an entry that only lost fields keeps its time');
  });
});
