/** managedFields on the wire: managers, ownership moving between them, times, apply and its conflicts, status and scale. */
import assert from 'node:assert/strict';
import { FieldSet } from '../support/kube-api-server/fieldset.js';
import { startKubeApiServer, type KubeApiTestServer } from '../support/kube-api-server/index.js';
import { managerName } from '../support/kube-api-server/managed-fields.js';
import { call } from './http.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const DEPLOYMENTS = '/apis/apps/v1/namespaces/default/deployments';
const CONFIGMAPS = '/api/v1/namespaces/default/configmaps';
const MERGE = { 'Content-Type': 'application/merge-patch+json' };
const APPLY = { 'Content-Type': 'application/apply-patch+yaml' };

const deployment = (name: string, replicas = 1, image = 'web:1') => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image }] } },
  },
});

const entries = (obj: Obj) => (obj['metadata']['managedFields'] ?? []) as Obj[];
const entryOf = (obj: Obj, manager: string, subresource?: string) => entries(obj).find((e) => e['manager'] === manager && e['subresource'] === subresource);
const owns = (e: Obj | undefined, ...path: string[]) => e !== undefined && FieldSet.fromFieldsV1(e['fieldsV1']).has(path);

describe('managedFields', () => {
  let api: KubeApiTestServer;
  let now = Date.parse('2026-03-10T14:00:00Z');
  const tick = (seconds: number) => void (now += seconds * 1000);

  beforeEach(async () => {
    now = Date.parse('2026-03-10T14:00:00Z');
    api = await startKubeApiServer({ loadCrds: false, now: () => now });
  });
  afterEach(() => api.close());

  describe('the manager of a write', () => {
    it('is fieldManager, else the User-Agent before its first "/", else "unknown"', () => {
      assert.equal(managerName('kubectl-set', 'kubectl/v1.33.0 (linux/amd64) kubernetes/abc'), 'kubectl-set');
      assert.equal(managerName(null, 'kubectl/v1.33.0 (linux/amd64) kubernetes/abc'), 'kubectl');
      assert.equal(managerName('', 'kube-controller-manager/v1.33.0 (linux/amd64) kubernetes/abc/system:serviceaccount:kube-system:deployment-controller'), 'kube-controller-manager');
      assert.equal(managerName(null, 'node-fetch'), 'node-fetch');
      assert.equal(managerName(null, 'tab\there/1'), 'tabhere', 'unprintable characters are dropped');
      assert.equal(managerName(null, 'x'.repeat(200)), 'x'.repeat(128), 'at most 128 bytes');
      assert.equal(managerName(null, undefined), 'unknown');
      assert.equal(managerName(null, '/v1'), 'unknown');
    });

    it('comes from the request; a fieldManager over 128 bytes is 422', async () => {
      const byAgent = await call(api, 'POST', CONFIGMAPS, { metadata: { name: 'a' }, data: { k: 'v' } }, { 'User-Agent': 'helm/v3.14.0' });
      assert.deepEqual(entries(byAgent.body).map((e) => [e['manager'], e['operation'], e['apiVersion'], e['time']]), [['helm', 'Update', 'v1', '2026-03-10T14:00:00Z']]);
      assert.deepEqual(entries(byAgent.body)[0]!['fieldsV1'], { 'f:data': { '.': {}, 'f:k': {} } });
      const tooLong = await call(api, 'POST', `${CONFIGMAPS}?fieldManager=${'m'.repeat(129)}`, { metadata: { name: 'b' } });
      assert.equal(tooLong.status, 422);
      assert.equal(tooLong.body.message, 'CreateOptions.meta.k8s.io "" is invalid: fieldManager: Too long: may not be more than 128 bytes');
    });
  });

  describe('updates', () => {
    it('move the changed fields to the writer, drop removed fields and empty entries, and keep unchanged entries\' times', async () => {
      await call(api, 'POST', `${CONFIGMAPS}?fieldManager=a`, { metadata: { name: 'c', labels: { x: '1' } }, data: { one: '1', two: '2' } });
      tick(10);
      const b = await call(api, 'PATCH', `${CONFIGMAPS}/c?fieldManager=b`, { data: { two: 'zwei', three: '3' } }, MERGE);
      assert.equal(owns(entryOf(b.body, 'a'), 'f:data', 'f:two'), false, 'a lost what b changed');
      assert.equal(owns(entryOf(b.body, 'a'), 'f:data', 'f:one'), true);
      assert.equal(owns(entryOf(b.body, 'b'), 'f:data', 'f:two'), true);
      assert.equal(owns(entryOf(b.body, 'b'), 'f:data', 'f:three'), true);
      assert.equal(entryOf(b.body, 'a')!['time'], '2026-03-10T14:00:00Z', 'a only lost fields: its time stays');
      assert.equal(entryOf(b.body, 'b')!['time'], '2026-03-10T14:00:10Z');

      tick(10);
      const removed = await call(api, 'PATCH', `${CONFIGMAPS}/c?fieldManager=c`, { data: { two: null, three: null } }, MERGE);
      assert.equal(entryOf(removed.body, 'b'), undefined, 'an entry left without fields goes');
      assert.equal(entryOf(removed.body, 'c'), undefined, 'a write that only removes owns nothing');

      const rv = removed.body.metadata.resourceVersion;
      tick(10);
      const noop = await call(api, 'PUT', `${CONFIGMAPS}/c?fieldManager=d`, removed.body);
      assert.equal(noop.body.metadata.resourceVersion, rv, 'a write that changes nothing is no write');
      assert.deepEqual(noop.body.metadata.managedFields, removed.body.metadata.managedFields);
    });

    it('record sets with v: and keyed lists with k:, and a new node with "."', async () => {
      const created = await call(api, 'POST', `${DEPLOYMENTS}?fieldManager=kubectl-create`, {
        ...deployment('web'),
        metadata: { name: 'web', finalizers: ['example.com/keep'] },
      });
      const e = entryOf(created.body, 'kubectl-create')!;
      assert.deepEqual(e['fieldsV1']['f:metadata'], { 'f:finalizers': { '.': {}, 'v:"example.com/keep"': {} } });
      assert.deepEqual(e['fieldsV1']['f:spec']['f:template']['f:spec'], { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:name': {} } } });
      assert.deepEqual(e['fieldsV1']['f:spec']['f:selector'], {}, 'LabelSelector is atomic');
      const ports = await call(api, 'PATCH', `${DEPLOYMENTS}/web?fieldManager=ports`, { spec: { template: { spec: { containers: [{ name: 'web', ports: [{ containerPort: 80, protocol: 'TCP' }] }] } } } }, { 'Content-Type': 'application/strategic-merge-patch+json' });
      const p = entryOf(ports.body, 'ports')!['fieldsV1']['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"web"}'];
      assert.deepEqual(p, { 'f:ports': { '.': {}, 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {}, 'f:protocol': {} } } });
    });

    it('writes through /status own status only, in an entry of their own', async () => {
      const created = await call(api, 'POST', `${DEPLOYMENTS}?fieldManager=kubectl`, deployment('s'));
      const st = await call(api, 'PUT', `${DEPLOYMENTS}/s/status?fieldManager=kube-controller-manager`, { ...created.body, status: { replicas: 1, observedGeneration: 1 } });
      const e = entryOf(st.body, 'kube-controller-manager', 'status')!;
      assert.deepEqual([e['operation'], e['apiVersion'], e['time']], ['Update', 'apps/v1', '2026-03-10T14:00:00Z']);
      assert.deepEqual(e['fieldsV1'], { 'f:status': { 'f:observedGeneration': {}, 'f:replicas': {} } });
      const main = await call(api, 'PATCH', `${DEPLOYMENTS}/s?fieldManager=sneaky`, { status: { replicas: 9 } }, MERGE);
      assert.equal(entryOf(main.body, 'sneaky'), undefined, 'status through the main resource changes nothing');
    });

    it('take the managedFields a client sends; [{}] strips them all', async () => {
      await call(api, 'POST', `${CONFIGMAPS}?fieldManager=a`, { metadata: { name: 'r' }, data: { k: 'v' } });
      const stripped = await call(api, 'PATCH', `${CONFIGMAPS}/r?fieldManager=b`, { metadata: { managedFields: [{}] } }, MERGE);
      assert.equal(stripped.body.metadata.managedFields, undefined);
      const rewritten = await call(api, 'PATCH', `${CONFIGMAPS}/r?fieldManager=b`, {
        metadata: { managedFields: [{ manager: 'imported', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:k': {} } } }] },
      }, MERGE);
      assert.deepEqual(entries(rewritten.body).map((e) => e['manager']), ['imported']);
    });

    it('keep at most 10 Update entries, the oldest merged into ancient-changes', async () => {
      await call(api, 'POST', `${CONFIGMAPS}?fieldManager=m0`, { metadata: { name: 'many' }, data: { k0: 'v' } });
      for (let i = 1; i <= 11; i++) {
        tick(1);
        await call(api, 'PATCH', `${CONFIGMAPS}/many?fieldManager=m${i}`, { data: { [`k${i}`]: 'v' } }, MERGE);
      }
      const got = (await call(api, 'GET', `${CONFIGMAPS}/many`)).body;
      assert.equal(entries(got).length, 10);
      const ancient = entryOf(got, 'ancient-changes')!;
      assert.ok(owns(ancient, 'f:data', 'f:k0') && owns(ancient, 'f:data', 'f:k1') && owns(ancient, 'f:data', 'f:k2'));
      assert.equal(entryOf(got, 'm0'), undefined);
    });
  });

  describe('server-side apply', () => {
    const yaml = (name: string, replicas: number, image = 'web:1') =>
      `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n  replicas: ${replicas}\n  selector:\n    matchLabels:\n      app: ${name}\n  template:\n    metadata:\n      labels:\n        app: ${name}\n    spec:\n      containers:\n      - name: web\n        image: ${image}\n`;

    it('needs a fieldManager; force is for apply only', async () => {
      const missing = await call(api, 'PATCH', `${DEPLOYMENTS}/a`, yaml('a', 1), APPLY);
      assert.equal(missing.status, 422);
      assert.equal(missing.body.message, 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
      const forced = await call(api, 'PATCH', `${DEPLOYMENTS}/a?force=true`, { spec: {} }, MERGE);
      assert.equal(forced.status, 422);
      assert.equal(forced.body.message, 'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch');
      const wrongVersion = await call(api, 'PATCH', `${DEPLOYMENTS}/a?fieldManager=x`, yaml('a', 1).replace('apps/v1', 'apps/v2'), APPLY);
      assert.equal(wrongVersion.status, 400);
    });

    it('records Apply entries owning exactly what was applied, conflicts (409) on another owner\'s changed field, co-owns equal values, takes fields with force', async () => {
      const created = await call(api, 'PATCH', `${DEPLOYMENTS}/a?fieldManager=gitops`, yaml('a', 1), APPLY);
      assert.equal(created.status, 201);
      const applied = entryOf(created.body, 'gitops')!;
      assert.deepEqual([applied['operation'], applied['time']], ['Apply', '2026-03-10T14:00:00Z']);
      assert.deepEqual(applied['fieldsV1']['f:spec']['f:template'], {
        'f:metadata': { 'f:labels': { 'f:app': {} } },
        'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
      }, 'an applied set has no "." on struct fields, only on list items');

      tick(5);
      await call(api, 'PATCH', `${DEPLOYMENTS}/a?fieldManager=kubectl-set`, { spec: { template: { spec: { containers: [{ name: 'web', image: 'web:2' }] } } } }, { 'Content-Type': 'application/strategic-merge-patch+json' });
      tick(5);
      const conflict = await call(api, 'PATCH', `${DEPLOYMENTS}/a?fieldManager=gitops`, yaml('a', 3, 'web:3'), APPLY);
      assert.equal(conflict.status, 409);
      assert.equal(conflict.body.reason, 'Conflict');
      assert.equal(conflict.body.message, 'Apply failed with 1 conflict: conflict with "kubectl-set" using apps/v1 at 2026-03-10T14:00:05Z: .spec.template.spec.containers[name="web"].image');
      assert.deepEqual(conflict.body.details.causes, [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl-set" using apps/v1 at 2026-03-10T14:00:05Z', field: '.spec.template.spec.containers[name="web"].image' }]);

      const same = await call(api, 'PATCH', `${DEPLOYMENTS}/a?fieldManager=other`, yaml('a', 1, 'web:2'), APPLY);
      assert.equal(same.status, 200, 'equal values are no conflict');
      assert.ok(owns(entryOf(same.body, 'other'), 'f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"web"}', 'f:image'));
      assert.ok(owns(entryOf(same.body, 'kubectl-set'), 'f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"web"}', 'f:image'), 'co-owned');
      assert.equal(entryOf(same.body, 'other')!['time'], undefined, 'an apply that changed nothing sets no time');

      const forced = await call(api, 'PATCH', `${DEPLOYMENTS}/a?fieldManager=gitops&force=true`, yaml('a', 3, 'web:3'), APPLY);
      assert.equal(forced.status, 200);
      assert.equal(forced.body.spec.template.spec.containers[0].image, 'web:3');
      assert.equal(entryOf(forced.body, 'kubectl-set'), undefined, 'forced away from its only field');
      assert.equal(owns(entryOf(forced.body, 'other'), 'f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"web"}', 'f:image'), false);
    });

    it('removes what an applier stops applying, unless someone else owns it', async () => {
      await call(api, 'PATCH', `${CONFIGMAPS}/p?fieldManager=a`, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: p\ndata:\n  mine: "1"\n  shared: "2"\n', APPLY);
      await call(api, 'PATCH', `${CONFIGMAPS}/p?fieldManager=b`, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: p\ndata:\n  shared: "2"\n', APPLY);
      const after = await call(api, 'PATCH', `${CONFIGMAPS}/p?fieldManager=a`, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: p\ndata:\n  other: "3"\n', APPLY);
      assert.deepEqual(after.body.data, { shared: '2', other: '3' });
    });
  });

  describe('the scale subresource', () => {
    it('serves a Scale; a scale through it moves spec.replicas to an untimed "scale" entry of the parent\'s apiVersion', async () => {
      const created = await call(api, 'POST', `${DEPLOYMENTS}?fieldManager=kubectl-client-side-apply`, deployment('web', 2));
      const scale = await call(api, 'GET', `${DEPLOYMENTS}/web/scale`);
      assert.deepEqual(scale.body, {
        kind: 'Scale',
        apiVersion: 'autoscaling/v1',
        metadata: { name: 'web', namespace: 'default', uid: created.body.metadata.uid, resourceVersion: created.body.metadata.resourceVersion, creationTimestamp: created.body.metadata.creationTimestamp },
        spec: { replicas: 2 },
        status: { replicas: 0, selector: 'app=web' },
      });
      tick(30);
      const scaled = await call(api, 'PATCH', `${DEPLOYMENTS}/web/scale?fieldManager=kubectl-scale`, { spec: { replicas: 5 } }, MERGE);
      assert.equal(scaled.status, 200);
      assert.equal(scaled.body.spec.replicas, 5);
      const parent = (await call(api, 'GET', `${DEPLOYMENTS}/web`)).body;
      assert.equal(parent.spec.replicas, 5);
      assert.equal(parent.metadata.generation, 2);
      const e = entryOf(parent, 'kubectl-scale', 'scale')!;
      assert.deepEqual(e, { manager: 'kubectl-scale', operation: 'Update', apiVersion: 'apps/v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } }, subresource: 'scale' }, 'no time');
      const kcsa = entryOf(parent, 'kubectl-client-side-apply')!;
      assert.equal(owns(kcsa, 'f:spec', 'f:replicas'), false, 'taken from the creator');
      assert.equal(kcsa['time'], '2026-03-10T14:00:00Z');

      const put = await call(api, 'PUT', `${DEPLOYMENTS}/web/scale?fieldManager=hpa`, { ...scale.body, spec: { replicas: 3 } });
      assert.equal(put.status, 409, 'the Scale read before is stale');
      const fresh = (await call(api, 'GET', `${DEPLOYMENTS}/web/scale`)).body;
      const replaced = await call(api, 'PUT', `${DEPLOYMENTS}/web/scale`, { ...fresh, spec: { replicas: 3 } }, { 'User-Agent': 'kube-controller-manager/v1.33.0 (linux/amd64) kubernetes/abc/horizontal-pod-autoscaler' });
      assert.equal(replaced.body.spec.replicas, 3);
      const again = (await call(api, 'GET', `${DEPLOYMENTS}/web`)).body;
      assert.deepEqual(entries(again).filter((x) => x['subresource'] === 'scale').map((x) => [x['manager'], x['time']]), [['kube-controller-manager', undefined]]);
      assert.equal((await call(api, 'PATCH', `${DEPLOYMENTS}/web/scale`, { spec: { replicas: -1 } }, MERGE)).status, 422);
      assert.equal((await call(api, 'GET', '/api/v1/namespaces/default/pods/x/scale')).status, 404, 'only scalable kinds');
    });

    it('an apply through /scale conflicts with the owner of spec.replicas, and takes it with force', async () => {
      await call(api, 'PATCH', `${DEPLOYMENTS}/web?fieldManager=apply_test`, JSON.stringify(deployment('web', 1)), APPLY);
      const body = JSON.stringify({ kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 'web', namespace: 'default' }, spec: { replicas: 17 } });
      const conflict = await call(api, 'PATCH', `${DEPLOYMENTS}/web/scale?fieldManager=apply_scale`, body, APPLY);
      assert.equal(conflict.status, 409);
      assert.match(conflict.body.message, /conflict with "apply_test"/);
      const forced = await call(api, 'PATCH', `${DEPLOYMENTS}/web/scale?fieldManager=apply_scale&force=true`, body, APPLY);
      assert.equal(forced.status, 200);
      const parent = (await call(api, 'GET', `${DEPLOYMENTS}/web`)).body;
      assert.equal(parent.spec.replicas, 17);
      const owners = entries(parent).filter((e) => owns(e, 'f:spec', 'f:replicas')).map((e) => [e['manager'], e['operation'], e['subresource']]);
      assert.deepEqual(owners, [['apply_scale', 'Apply', 'scale']]);
    });

    it('lists the subresources in discovery', async () => {
      const apps = (await call(api, 'GET', '/apis/apps/v1')).body.resources.map((r: Obj) => r['name']);
      for (const r of ['deployments/scale', 'replicasets/scale', 'statefulsets/scale']) assert.ok(apps.includes(r), r);
      const core = (await call(api, 'GET', '/api/v1')).body.resources.map((r: Obj) => r['name']);
      assert.ok(core.includes('pods/binding') && core.includes('replicationcontrollers/scale'));
    });
  });
});
