/** Cascading deletion through ownerReferences: Background, Foreground, Orphan, as watches see them. */
import assert from 'node:assert/strict';
import { startKubeApiServer, type KubeApiTestServer } from '../support/kube-api-server/index.js';
import { call, openWatch, type OpenWatch } from './http.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const NS = '/apis/apps/v1/namespaces/default';
const PODS = '/api/v1/namespaces/default/pods';

describe('cascading deletion', () => {
  let api: KubeApiTestServer;
  const watches: OpenWatch[] = [];

  beforeEach(async () => {
    api = await startKubeApiServer({ loadCrds: false });
  });
  afterEach(async () => {
    for (const w of watches.splice(0)) w.close();
    await api.close();
  });

  const ref = (o: Obj, block = true) => ({ apiVersion: o['apiVersion'], kind: o['kind'], name: o['metadata']['name'], uid: o['metadata']['uid'], controller: true, ...(block ? { blockOwnerDeletion: true } : {}) });
  /** Deployment -> ReplicaSet -> two Pods, as the controllers would have made them. */
  const tree = async () => {
    const d = (await call(api, 'POST', `${NS}/deployments`, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } })).body;
    const rs = (await call(api, 'POST', `${NS}/replicasets`, { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-1', ownerReferences: [ref(d)] }, spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } })).body;
    const pods: Obj[] = [];
    for (const n of ['a', 'b']) pods.push((await call(api, 'POST', PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name: `web-1-${n}`, ownerReferences: [ref({ ...rs, apiVersion: 'apps/v1', kind: 'ReplicaSet' })] }, spec: { containers: [{ name: 'c', image: 'i' }] } })).body);
    return { d: { ...d, apiVersion: 'apps/v1', kind: 'Deployment' }, rs: { ...rs, apiVersion: 'apps/v1', kind: 'ReplicaSet' }, pods };
  };
  const names = (path: string) => call(api, 'GET', path).then((r) => (r.body.items as Obj[]).map((o) => o['metadata']['name'] as string));
  const watchAll = async () => {
    const rv = api.resourceVersion();
    const ws = await Promise.all([`${NS}/deployments`, `${NS}/replicasets`, PODS].map((p) => openWatch(api, `${p}?watch=true&resourceVersion=${rv}`)));
    watches.push(...ws);
    return ws;
  };

  it('Background (the default): the owner goes, then its dependents, down the chain; watches see DELETED', async () => {
    await tree();
    const [wd, wrs, wp] = await watchAll();
    const res = await call(api, 'DELETE', `${NS}/deployments/web`);
    assert.equal(res.status, 200);
    assert.deepEqual(await names(`${NS}/replicasets`), []);
    assert.deepEqual(await names(PODS), []);
    assert.deepEqual((await wd!.waitFor(1)).map((e) => e.type), ['DELETED']);
    assert.deepEqual((await wrs!.waitFor(1)).map((e) => e.type), ['DELETED']);
    assert.deepEqual((await wp!.waitFor(2)).map((e) => `${e.type} ${e.object.metadata.name as string}`), ['DELETED web-1-a', 'DELETED web-1-b']);
  });

  it('Background: a dependent with another live owner only loses the dead reference; one with finalizers waits for them', async () => {
    const { rs } = await tree();
    const other = (await call(api, 'POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'keeper' } })).body;
    await call(api, 'PATCH', `${PODS}/web-1-a`, { metadata: { ownerReferences: [ref(rs), ref({ ...other, apiVersion: 'v1', kind: 'ConfigMap' }, false)] } }, { 'Content-Type': 'application/merge-patch+json' });
    await call(api, 'PATCH', `${PODS}/web-1-b`, { metadata: { finalizers: ['example.com/hold'] } }, { 'Content-Type': 'application/merge-patch+json' });
    await call(api, 'DELETE', `${NS}/replicasets/web-1?propagationPolicy=Background`);
    const a = (await call(api, 'GET', `${PODS}/web-1-a`)).body;
    assert.deepEqual(a.metadata.ownerReferences.map((r: Obj) => r['name']), ['keeper']);
    const b = (await call(api, 'GET', `${PODS}/web-1-b`)).body;
    assert.ok(b.metadata.deletionTimestamp, 'marked, held by its finalizer');
    await call(api, 'PATCH', `${PODS}/web-1-b`, { metadata: { finalizers: null } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal((await call(api, 'GET', `${PODS}/web-1-b`)).status, 404);
  });

  it('Foreground: the owner waits with deletionTimestamp and foregroundDeletion until its blocking dependents are gone', async () => {
    await tree();
    await call(api, 'PATCH', `${PODS}/web-1-a`, { metadata: { finalizers: ['example.com/hold'] } }, { 'Content-Type': 'application/merge-patch+json' });
    const [wd, wrs] = await watchAll();
    const res = await call(api, 'DELETE', `${NS}/deployments/web`, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Foreground' });
    assert.equal(res.status, 200);
    assert.ok(res.body.metadata.deletionTimestamp);
    assert.deepEqual(res.body.metadata.finalizers, ['foregroundDeletion']);
    // The ReplicaSet is deleted in the foreground too (it has dependents) and waits for web-1-a.
    const rs = (await call(api, 'GET', `${NS}/replicasets/web-1`)).body;
    assert.deepEqual(rs.metadata.finalizers, ['foregroundDeletion']);
    assert.deepEqual(await names(PODS), ['web-1-a']);
    assert.ok((await call(api, 'GET', `${NS}/deployments/web`)).body.metadata.deletionTimestamp, 'the owner is still there');

    await call(api, 'PATCH', `${PODS}/web-1-a`, { metadata: { finalizers: null } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.deepEqual(await names(PODS), []);
    assert.deepEqual(await names(`${NS}/replicasets`), []);
    assert.deepEqual(await names(`${NS}/deployments`), []);
    assert.deepEqual((await wd!.waitFor(2)).map((e) => e.type), ['MODIFIED', 'DELETED']);
    assert.deepEqual((await wrs!.waitFor(2)).map((e) => e.type), ['MODIFIED', 'DELETED']);
  });

  it('Orphan: the dependents lose their ownerReferences and stay; core/v1 ReplicationControllers orphan by default', async () => {
    await tree();
    const res = await call(api, 'DELETE', `${NS}/replicasets/web-1?propagationPolicy=Orphan`);
    assert.deepEqual(res.body.metadata.finalizers, ['orphan']);
    assert.equal((await call(api, 'GET', `${NS}/replicasets/web-1`)).status, 404);
    for (const p of ['web-1-a', 'web-1-b']) assert.equal((await call(api, 'GET', `${PODS}/${p}`)).body.metadata.ownerReferences, undefined);

    const rc = (await call(api, 'POST', '/api/v1/namespaces/default/replicationcontrollers', { metadata: { name: 'rc' }, spec: { selector: { app: 'x' }, template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } })).body;
    await call(api, 'POST', PODS, { metadata: { name: 'rc-pod', ownerReferences: [ref({ ...rc, apiVersion: 'v1', kind: 'ReplicationController' })] } });
    await call(api, 'DELETE', '/api/v1/namespaces/default/replicationcontrollers/rc');
    assert.equal((await call(api, 'GET', `${PODS}/rc-pod`)).body.metadata.ownerReferences, undefined);
  });

  it('checks DeleteOptions like the real server', async () => {
    await tree();
    const both = await call(api, 'DELETE', `${NS}/deployments/web`, { propagationPolicy: 'Orphan', orphanDependents: true });
    assert.equal(both.status, 422);
    const bad = await call(api, 'DELETE', `${NS}/deployments/web?propagationPolicy=Sideways`);
    assert.equal(bad.status, 422);
    assert.match(bad.body.message, /propagationPolicy: Unsupported value: "Sideways": supported values: "Foreground", "Background", "Orphan"/);
    const legacy = await call(api, 'DELETE', `${NS}/deployments/web`, { orphanDependents: true });
    assert.equal(legacy.status, 200);
    assert.deepEqual(await names(`${NS}/replicasets`), ['web-1'], 'orphanDependents: true orphans');
  });

  it('deletes a namespace\'s content with its dependents', async () => {
    await call(api, 'POST', '/api/v1/namespaces', { metadata: { name: 'team' } });
    const owner = (await call(api, 'POST', '/api/v1/namespaces/team/configmaps', { metadata: { name: 'owner' } })).body;
    await call(api, 'POST', '/api/v1/namespaces/team/secrets', { metadata: { name: 'dep', ownerReferences: [ref({ ...owner, apiVersion: 'v1', kind: 'ConfigMap' })] } });
    await call(api, 'DELETE', '/api/v1/namespaces/team');
    assert.equal((await call(api, 'GET', '/api/v1/namespaces/team')).status, 404);
  });
});
