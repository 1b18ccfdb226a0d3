/** Lists from the watch cache and from etcd, told apart and counted; a lagging cache. */
import assert from 'node:assert/strict';
import { startKubeApiServer, type KubeApiTestServer } from '../support/kube-api-server/index.js';
import { call } from './http.js';

const PODS = '/api/v1/namespaces/default/pods';

describe('lists: watch cache, consistent and exact reads', () => {
  let api: KubeApiTestServer;

  beforeEach(async () => {
    api = await startKubeApiServer({ loadCrds: false });
    for (const n of ['a', 'b', 'c']) api.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: n, namespace: 'default' } });
    api.resetListStats();
  });
  afterEach(() => api.close());

  it('counts each kind of list: 0 and NotOlderThan from the cache, unset consistent, Exact and the legacy limit rule exact, pages continued', async () => {
    const rv = api.resourceVersion();
    assert.equal((await call(api, 'GET', `${PODS}?resourceVersion=0`)).status, 200);
    await call(api, 'GET', `${PODS}?resourceVersion=${rv}&resourceVersionMatch=NotOlderThan&limit=2`);
    await call(api, 'GET', `${PODS}?resourceVersion=${rv}`);
    await call(api, 'GET', PODS);
    const page = await call(api, 'GET', `${PODS}?limit=2`);
    await call(api, 'GET', `${PODS}?limit=2&continue=${page.body.metadata.continue as string}`);
    await call(api, 'GET', `${PODS}?resourceVersion=${rv}&resourceVersionMatch=Exact`);
    await call(api, 'GET', `${PODS}?resourceVersion=${rv}&limit=2`);
    const stats = api.listStats();
    assert.deepEqual([stats.cachedLists, stats.consistentLists, stats.exactLists, stats.continuedLists], [3, 2, 2, 1]);
    assert.deepEqual(stats.log.map((r) => r.source), ['cache', 'cache', 'cache', 'consistent', 'consistent', 'continue', 'exact', 'exact']);
    assert.deepEqual(stats.log[0], { resource: 'pods', namespace: 'default', resourceVersion: '0', source: 'cache', code: 200, servedResourceVersion: rv });
    api.resetListStats();
    assert.equal(api.listStats().log.length, 0);
  });

  it('answers 410 for an exact list of a compacted version (counted, with its code) and rejects bad combinations', async () => {
    const old = api.resourceVersion();
    api.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'd', namespace: 'default' } });
    api.compact();
    const gone = await call(api, 'GET', `${PODS}?resourceVersion=${old}&resourceVersionMatch=Exact`);
    assert.equal(gone.status, 410);
    assert.equal(gone.body.reason, 'Expired');
    assert.equal((await call(api, 'GET', `${PODS}?resourceVersion=${old}&limit=500`)).status, 410, 'a non-zero resourceVersion with a limit is an exact read');
    assert.equal((await call(api, 'GET', `${PODS}?resourceVersion=${old}&resourceVersionMatch=NotOlderThan&limit=500`)).status, 200, 'the cache is newer: fine');
    assert.deepEqual(api.listStats().log.map((r) => [r.source, r.code]), [['exact', 410], ['exact', 410], ['cache', 200]]);
    assert.equal((await call(api, 'GET', `${PODS}?resourceVersionMatch=NotOlderThan`)).status, 422);
    assert.equal((await call(api, 'GET', `${PODS}?resourceVersion=0&resourceVersionMatch=Exact`)).status, 422);
    const future = await call(api, 'GET', `${PODS}?resourceVersion=999999`);
    assert.equal(future.status, 504);
    assert.match(future.body.message, /Too large resource version/);
  });

  it('serves resourceVersion=0 from a lagging cache: an older state; NotOlderThan beyond it is 504; a consistent read is current', async () => {
    const before = api.resourceVersion();
    api.setWatchCacheLag(2);
    api.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'd', namespace: 'default' } });
    api.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'e', namespace: 'default' } });
    const stale = await call(api, 'GET', `${PODS}?resourceVersion=0`);
    assert.equal(stale.body.metadata.resourceVersion, before);
    assert.deepEqual(stale.body.items.map((p: { metadata: { name: string } }) => p.metadata.name), ['a', 'b', 'c']);
    const ahead = await call(api, 'GET', `${PODS}?resourceVersion=${api.resourceVersion()}&resourceVersionMatch=NotOlderThan`);
    assert.equal(ahead.status, 504);
    assert.equal(ahead.body.message, `Too large resource version: ${api.resourceVersion()}, current: ${before}`);
    const fresh = await call(api, 'GET', PODS);
    assert.equal(fresh.body.items.length, 5);
    api.setWatchCacheLag(0);
    assert.equal((await call(api, 'GET', `${PODS}?resourceVersion=0`)).body.items.length, 5);
  });
});
