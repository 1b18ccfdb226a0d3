/** The test apiserver's semantics, checked on the wire. */
import assert from 'node:assert/strict';
import { startKubeApiServer, type KubeApiTestServer } from '../support/kube-api-server/index.js';
import { call, openWatch, type OpenWatch } from './http.js';

const TC_PATH = '/apis/kspan.dev/v1alpha1/namespaces/default/tracecollectors';
const MERGE = { 'Content-Type': 'application/merge-patch+json' };
const JSON_PATCH = { 'Content-Type': 'application/json-patch+json' };
const PARTIAL = { Accept: 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json' };
const PARTIAL_LIST = { Accept: 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json' };

const tc = (name: string, metadata: Record<string, unknown> = {}) => ({
  apiVersion: 'kspan.dev/v1alpha1',
  kind: 'TraceCollector',
  metadata: { name, ...metadata },
  spec: { exporter: { endpoint: 'collector:4317' } },
});

const event = (name: string, involved: Record<string, string>, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name, namespace: 'default' },
  involvedObject: involved,
  reason: 'Created',
  message: 'hello',
  type: 'Normal',
  source: { component: 'kubelet' },
  ...extra,
});

describe('kube-api-server semantics', () => {
  let api: KubeApiTestServer;
  const watches: OpenWatch[] = [];

  beforeEach(async () => {
    api = await startKubeApiServer({ bookmarkIntervalMs: 30 });
  });

  afterEach(async () => {
    for (const w of watches.splice(0)) w.close();
    await api.close();
  });

  const watch = async (path: string, headers: Record<string, string> = {}) => {
    const w = await openWatch(api, path, headers);
    watches.push(w);
    return w;
  };

  describe('discovery', () => {
    it('serves /api, /apis, group and resource lists and /version', async () => {
      assert.deepEqual((await call(api, 'GET', '/api')).body.versions, ['v1']);
      const groups = (await call(api, 'GET', '/apis')).body.groups.map((g: { name: string }) => g.name);
      for (const g of ['apps', 'batch', 'coordination.k8s.io', 'apiextensions.k8s.io', 'kspan.dev']) assert.ok(groups.includes(g), g);
      const apps = await call(api, 'GET', '/apis/apps');
      assert.equal(apps.body.preferredVersion.groupVersion, 'apps/v1');
      const core = (await call(api, 'GET', '/api/v1')).body;
      const events = core.resources.find((r: { name: string }) => r.name === 'events');
      assert.equal(events.namespaced, true);
      assert.ok(events.verbs.includes('watch'));
      assert.ok(core.resources.some((r: { name: string }) => r.name === 'pods/status'));
      const kspan = (await call(api, 'GET', '/apis/kspan.dev/v1alpha1')).body;
      assert.deepEqual(kspan.resources.map((r: { name: string }) => r.name), ['tracecollectors', 'tracecollectors/status']);
      assert.deepEqual(kspan.resources[0].shortNames, ['tc']);
      assert.equal((await call(api, 'GET', '/version')).body.major, '1');
      assert.equal((await call(api, 'GET', '/apis/nope.example.com/v1')).status, 404);
      assert.equal((await call(api, 'GET', '/api/v1/nothings')).status, 404);
    });
  });

  describe('reads', () => {
    it('lists with a global resourceVersion, selectors, limit/continue and 410 for expired continue tokens', async () => {
      for (const n of ['a', 'b', 'c']) api.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: n, namespace: 'default', labels: { tier: n === 'c' ? 'db' : 'web' } } });
      const all = await call(api, 'GET', '/api/v1/namespaces/default/pods');
      assert.equal(all.body.kind, 'PodList');
      assert.equal(all.body.metadata.resourceVersion, api.resourceVersion());
      assert.equal(all.body.items[0].kind, undefined, 'built-in list items carry no kind, like the real server');

      const web = await call(api, 'GET', '/api/v1/pods?labelSelector=tier%3Dweb,!missing');
      assert.deepEqual(web.body.items.map((p: { metadata: { name: string } }) => p.metadata.name), ['a', 'b']);
      const notWeb = await call(api, 'GET', '/api/v1/pods?labelSelector=tier%20notin%20(web)');
      assert.deepEqual(notWeb.body.items.map((p: { metadata: { name: string } }) => p.metadata.name), ['c']);
      assert.equal((await call(api, 'GET', '/api/v1/pods?labelSelector=%3D%3Dx')).status, 400);
      assert.equal((await call(api, 'GET', '/api/v1/pods?fieldSelector=spec.bogus%3Dx')).status, 400);

      const page1 = await call(api, 'GET', '/api/v1/namespaces/default/pods?limit=2');
      assert.deepEqual(page1.body.items.map((p: { metadata: { name: string } }) => p.metadata.name), ['a', 'b']);
      assert.equal(page1.body.metadata.remainingItemCount, 1);
      const page2 = await call(api, 'GET', `/api/v1/namespaces/default/pods?limit=2&continue=${page1.body.metadata.continue as string}`);
      assert.deepEqual(page2.body.items.map((p: { metadata: { name: string } }) => p.metadata.name), ['c']);
      assert.equal(page2.body.metadata.continue, undefined);

      api.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'd', namespace: 'default' } });
      api.compact();
      const stale = await call(api, 'GET', `/api/v1/namespaces/default/pods?limit=2&continue=${page1.body.metadata.continue as string}`);
      assert.equal(stale.status, 410);
      assert.equal(stale.body.reason, 'Expired');
      const exact = await call(api, 'GET', `/api/v1/pods?resourceVersion=${all.body.metadata.resourceVersion as string}&resourceVersionMatch=Exact`);
      assert.equal(exact.status, 410);
      assert.equal((await call(api, 'GET', '/api/v1/pods?resourceVersion=abc')).status, 400);
    });

    it('pages through a list in key order, every object once, remainingItemCount only without selectors', async () => {
      // Namespaces where one is a prefix of another, names whose locale and code-unit orders differ.
      const namespaces = ['a', 'a-b', 'B'];
      const names = ['web-1', 'web1', 'Web-2', 'web_3', 'x'];
      for (const ns of namespaces) api.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
      for (const ns of namespaces) for (const n of names) api.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: n, namespace: ns, labels: { tier: n === 'x' ? 'db' : 'web' } } });
      const expected = namespaces.flatMap((ns) => names.map((n) => `${ns}/${n}`)).sort();
      const pageThrough = async (query: string) => {
        const got: string[] = [];
        const remaining: unknown[] = [];
        let token: string | undefined;
        do {
          const page = await call(api, 'GET', `/api/v1/pods?limit=4${query}${token ? `&continue=${token}` : ''}`);
          assert.equal(page.status, 200);
          got.push(...page.body.items.map((p: { metadata: { namespace: string; name: string } }) => `${p.metadata.namespace}/${p.metadata.name}`));
          token = page.body.metadata.continue as string | undefined;
          remaining.push(page.body.metadata.remainingItemCount);
        } while (token);
        return { got, remaining };
      };
      const plain = await pageThrough('');
      assert.deepEqual(plain.got, expected);
      assert.deepEqual(plain.remaining, [11, 7, 3, undefined]);
      const web = await pageThrough('&labelSelector=tier%3Dweb');
      assert.deepEqual(web.got, expected.filter((k) => !k.endsWith('/x')));
      assert.ok(web.remaining.every((r) => r === undefined), 'no remainingItemCount with a selector');
    });

    it('serves exact snapshots: consistent pages, resourceVersionMatch=Exact, the legacy limit rule', async () => {
      const names = (r: { body: { items: Array<{ metadata: { name: string } }> } }) => r.body.items.map((p) => p.metadata.name);
      for (const n of ['a', 'b', 'c']) api.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: n, namespace: 'default' } });
      const rv = api.resourceVersion();
      const page1 = await call(api, 'GET', '/api/v1/pods?limit=2');
      api.remove('v1', 'Pod', 'default', 'c');
      api.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bb', namespace: 'default' } });
      api.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', namespace: 'default', labels: { changed: 'yes' } } });
      const page2 = await call(api, 'GET', `/api/v1/pods?limit=2&continue=${page1.body.metadata.continue as string}`);
      assert.deepEqual([...names(page1), ...names(page2)], ['a', 'b', 'c'], 'pages come from the first page snapshot');
      assert.equal(page2.body.metadata.resourceVersion, rv);

      const exact = await call(api, 'GET', `/api/v1/namespaces/default/pods?resourceVersion=${rv}&resourceVersionMatch=Exact`);
      assert.deepEqual(names(exact), ['a', 'b', 'c']);
      assert.equal(exact.body.items[0].metadata.labels, undefined);
      assert.equal(exact.body.metadata.resourceVersion, rv);
      const legacy = await call(api, 'GET', `/api/v1/pods?resourceVersion=${rv}&limit=10`);
      assert.deepEqual(names(legacy), ['a', 'b', 'c']);
      const notOlder = await call(api, 'GET', `/api/v1/pods?resourceVersion=${rv}`);
      assert.deepEqual(names(notOlder), ['a', 'b', 'bb'], 'without a limit the newest state is served');
      assert.equal(notOlder.body.metadata.resourceVersion, api.resourceVersion());

      const future = await call(api, 'GET', `/api/v1/pods?resourceVersion=${Number(api.resourceVersion()) + 100}`);
      assert.equal(future.status, 504);
      assert.match(future.body.message, /^Too large resource version/);
      api.compact();
      assert.equal((await call(api, 'GET', `/api/v1/pods?resourceVersion=${rv}&limit=10`)).status, 410);
      assert.equal((await call(api, 'GET', `/api/v1/pods?resourceVersion=${rv}`)).status, 200);
    });

    it('selects events by involvedObject fields', async () => {
      api.put(event('e1', { kind: 'Pod', name: 'web-1', namespace: 'default', uid: 'u1' }));
      api.put(event('e2', { kind: 'ReplicaSet', name: 'web', namespace: 'default', uid: 'u2' }, { type: 'Warning' }));
      const pods = await call(api, 'GET', '/api/v1/namespaces/default/events?fieldSelector=involvedObject.kind%3DPod,involvedObject.name%3Dweb-1');
      assert.deepEqual(pods.body.items.map((e: { metadata: { name: string } }) => e.metadata.name), ['e1']);
      const warnings = await call(api, 'GET', '/api/v1/events?fieldSelector=type!%3DNormal');
      assert.deepEqual(warnings.body.items.map((e: { metadata: { name: string } }) => e.metadata.name), ['e2']);
      const bySource = await call(api, 'GET', '/api/v1/events?fieldSelector=source%3Dkubelet');
      assert.equal(bySource.body.items.length, 2);
    });

    it('answers PartialObjectMetadata and PartialObjectMetadataList when asked', async () => {
      api.put({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-1', namespace: 'default', ownerReferences: [{ kind: 'Deployment', name: 'web', uid: 'd1', apiVersion: 'apps/v1' }] }, spec: { replicas: 2 } });
      const one = await call(api, 'GET', '/apis/apps/v1/namespaces/default/replicasets/web-1', undefined, PARTIAL);
      assert.equal(one.body.kind, 'PartialObjectMetadata');
      assert.equal(one.body.apiVersion, 'meta.k8s.io/v1');
      assert.equal(one.body.metadata.ownerReferences[0].name, 'web');
      assert.equal(one.body.spec, undefined);
      const list = await call(api, 'GET', '/apis/apps/v1/replicasets', undefined, PARTIAL_LIST);
      assert.equal(list.body.kind, 'PartialObjectMetadataList');
      assert.equal(list.body.items[0].metadata.name, 'web-1');
      assert.equal(list.body.items[0].spec, undefined);

      const w = await watch('/apis/apps/v1/namespaces/default/replicasets?watch=true&allowWatchBookmarks=true', PARTIAL);
      const [added] = await w.waitFor(1, (e) => e.type === 'ADDED');
      assert.equal(added?.object.kind, 'PartialObjectMetadata');
      assert.equal(added?.object.spec, undefined);
      const [bookmark] = await w.waitFor(1, (e) => e.type === 'BOOKMARK');
      assert.equal(bookmark?.object.kind, 'PartialObjectMetadata');
    });
  });

  describe('watch', () => {
    it('starts with the current state as ADDED without a resourceVersion, then streams changes', async () => {
      api.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'old', namespace: 'default' } });
      const w = await watch('/api/v1/namespaces/default/pods?watch=1');
      api.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'new', namespace: 'default' } });
      const events = await w.waitFor(2);
      assert.deepEqual(events.map((e) => `${e.type} ${e.object.metadata.name as string}`), ['ADDED old', 'ADDED new']);
      assert.equal(events[1]?.object.kind, 'Pod');
      assert.equal(events[1]?.object.apiVersion, 'v1');
    });

    it('replays the changes after a resourceVersion, in order, and nothing before it', async () => {
      api.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', namespace: 'default' } });
      const rv = api.resourceVersion();
      api.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'b', namespace: 'default' } });
      api.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', namespace: 'default', labels: { x: 'y' } } });
      api.remove('v1', 'Pod', 'default', 'b');
      const w = await watch(`/api/v1/pods?watch=true&resourceVersion=${rv}`);
      const events = await w.waitFor(3);
      assert.deepEqual(events.map((e) => `${e.type} ${e.object.metadata.name as string}`), ['ADDED b', 'MODIFIED a', 'DELETED b']);
      const rvs = events.map((e) => Number(e.object.metadata.resourceVersion));
      assert.deepEqual(rvs, [...rvs].sort((x, y) => x - y));
      assert.ok((rvs[0] ?? 0) > Number(rv));
    });

    it('turns selector transitions into ADDED/DELETED like the real watch cache', async () => {
      const w = await watch('/api/v1/namespaces/default/pods?watch=true&labelSelector=app%3Dweb&resourceVersion=' + api.resourceVersion());
      api.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', labels: { app: 'db' } } });
      api.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', labels: { app: 'web' } } });
      api.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', labels: { app: 'web', v: '2' } } });
      api.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', labels: { app: 'db' } } });
      const events = await w.waitFor(3);
      assert.deepEqual(events.map((e) => e.type), ['ADDED', 'MODIFIED', 'DELETED']);
    });

    it('sends BOOKMARKs with the current resourceVersion only when asked', async () => {
      const plain = await watch(`/api/v1/namespaces/default/pods?watch=true&resourceVersion=${api.resourceVersion()}`);
      const w = await watch(`/api/v1/namespaces/default/pods?watch=true&allowWatchBookmarks=true&resourceVersion=${api.resourceVersion()}`);
      api.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'elsewhere' } });
      const [bookmark] = await w.waitFor(1, (e) => e.type === 'BOOKMARK' && e.object.metadata.resourceVersion === api.resourceVersion());
      assert.deepEqual(bookmark?.object, { apiVersion: 'v1', kind: 'Pod', metadata: { resourceVersion: api.resourceVersion() } });
      assert.deepEqual(plain.events, []);
    });

    it('closes after timeoutSeconds', async () => {
      const w = await watch('/api/v1/pods?watch=true&timeoutSeconds=1');
      await w.ended;
      assert.equal(w.status, 200);
    });

    it('answers an expired resourceVersion with an ERROR event carrying 410 Expired', async () => {
      const rv = api.resourceVersion();
      api.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', namespace: 'default' } });
      api.compact();
      const w = await watch(`/api/v1/pods?watch=true&resourceVersion=${rv}`);
      const [error] = await w.waitFor(1);
      await w.ended;
      assert.equal(error?.type, 'ERROR');
      assert.equal(error?.object.kind, 'Status');
      assert.equal(error?.object.code, 410);
      assert.equal(error?.object.reason, 'Expired');
      assert.match(error?.object.message as string, /too old resource version/);
      const fresh = await watch(`/api/v1/pods?watch=true&resourceVersion=${api.resourceVersion()}`);
      api.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'b', namespace: 'default' } });
      assert.equal((await fresh.waitFor(1))[0]?.type, 'ADDED');
    });

    it('expires resourceVersions that fell out of the bounded history', async () => {
      const small = await startKubeApiServer({ maxHistory: 3, loadCrds: false });
      try {
        const rv = small.resourceVersion();
        for (const n of ['a', 'b', 'c', 'd']) small.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: n, namespace: 'default' } });
        const w = await openWatch(small, `/api/v1/pods?watch=true&resourceVersion=${rv}`);
        const [error] = await w.waitFor(1);
        assert.equal(error?.object.code, 410);
        w.close();
      } finally {
        await small.close();
      }
    });

    it('supports the legacy /watch/ path, a single named object and dropWatches', async () => {
      const w = await watch(`/api/v1/watch/namespaces/default/pods/one?resourceVersion=${api.resourceVersion()}`);
      api.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'two', namespace: 'default' } });
      api.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'one', namespace: 'default' } });
      const events = await w.waitFor(1);
      assert.deepEqual(events.map((e) => e.object.metadata.name), ['one']);
      api.dropWatches();
      await w.ended;
    });
  });

  describe('writes', () => {
    it('creates with generateName, uid, creationTimestamp; 409 on duplicates; 404 in a missing namespace', async () => {
      const created = await call(api, 'POST', '/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { generateName: 'web-' }, status: { phase: 'Running' } });
      assert.equal(created.status, 201);
      assert.match(created.body.metadata.name, /^web-[a-z0-9]{5}$/);
      assert.match(created.body.metadata.uid, /^[0-9a-f-]{36}$/);
      assert.match(created.body.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.deepEqual(created.body.status, { phase: 'Pending', qosClass: 'BestEffort' }, 'create resets the status of a resource with a status subresource to the registry\'s');
      const again = await call(api, 'POST', '/api/v1/namespaces/default/pods', { metadata: { name: created.body.metadata.name } });
      assert.equal(again.status, 409);
      assert.equal(again.body.reason, 'AlreadyExists');
      const nowhere = await call(api, 'POST', '/api/v1/namespaces/nowhere/pods', { metadata: { name: 'x' } });
      assert.equal(nowhere.status, 404);
      assert.equal(nowhere.body.message, 'namespaces "nowhere" not found');
      const badName = await call(api, 'POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'Bad_Name' } });
      assert.equal(badName.status, 422);
      assert.equal(badName.body.details.causes[0].field, 'metadata.name');
      const wrongNs = await call(api, 'POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'x', namespace: 'other' } });
      assert.equal(wrongNs.status, 400);
    });

    it('rejects an invalid TraceCollector with a 422 Status like the real apiserver', async () => {
      const res = await call(api, 'POST', TC_PATH, { ...tc('bad'), spec: { exporter: { endpoint: 'collector:4317', timeoutSeconds: 0 }, namespaces: ['Bad'] } });
      assert.equal(res.status, 422);
      assert.equal(res.body.kind, 'Status');
      assert.equal(res.body.reason, 'Invalid');
      assert.equal(res.body.details.kind, 'TraceCollector');
      assert.equal(res.body.details.group, 'kspan.dev');
      assert.match(res.body.message, /^TraceCollector\.kspan\.dev "bad" is invalid: \[/);
      const fields = res.body.details.causes.map((c: { field: string }) => c.field).sort();
      assert.deepEqual(fields, ['spec.exporter.timeoutSeconds', 'spec.namespaces[0]']);
      const missing = await call(api, 'POST', TC_PATH, { ...tc('nospec'), spec: undefined });
      assert.equal(missing.status, 422);
      assert.equal(missing.body.message, 'TraceCollector.kspan.dev "nospec" is invalid: spec: Required value');
    });

    it('prunes unknown fields and applies schema defaults on custom resources', async () => {
      const res = await call(api, 'POST', TC_PATH, { ...tc('p'), spec: { exporter: { endpoint: 'c:4317', bogus: 1 }, alsoBogus: true }, extra: 1 });
      assert.equal(res.status, 201);
      assert.deepEqual(res.body.spec, { exporter: { endpoint: 'c:4317', insecure: false, compression: 'none', timeoutSeconds: 10, maxQueueSize: 50000 }, suspend: false });
      assert.equal(res.body.extra, undefined);
      assert.equal(res.headers['warning'], '299 - "unknown field \\"extra\\"", 299 - "unknown field \\"spec.alsoBogus\\"", 299 - "unknown field \\"spec.exporter.bogus\\""');
      const strict = await call(api, 'POST', `${TC_PATH}?fieldValidation=Strict`, { ...tc('q'), spec: { exporter: { endpoint: 'c:4317' }, namespace: ['typo'] } });
      assert.equal(strict.status, 400);
      assert.equal(strict.body.message, 'TraceCollector in version "v1alpha1" cannot be handled as a TraceCollector: strict decoding error: unknown field "spec.namespace"');
      const quiet = await call(api, 'POST', `${TC_PATH}?fieldValidation=Ignore`, { ...tc('r'), spec: { exporter: { endpoint: 'c:4317' }, namespace: ['typo'] } });
      assert.equal(quiet.status, 201);
      assert.equal(quiet.headers['warning'], undefined);
    });

    it('bumps generation on spec changes only; no-op writes keep the resourceVersion', async () => {
      const created = (await call(api, 'POST', TC_PATH, tc('g'))).body;
      const labelled = await call(api, 'PATCH', `${TC_PATH}/g`, { metadata: { labels: { a: 'b' } } }, MERGE);
      assert.equal(labelled.body.metadata.generation, 1);
      assert.notEqual(labelled.body.metadata.resourceVersion, created.metadata.resourceVersion);
      const status = await call(api, 'PUT', `${TC_PATH}/g/status`, { ...labelled.body, status: { eventsReceived: 3 } });
      assert.equal(status.body.metadata.generation, 1);
      const spec = await call(api, 'PATCH', `${TC_PATH}/g`, { spec: { exporter: { compression: 'gzip' } } }, MERGE);
      assert.equal(spec.body.metadata.generation, 2);
      const same = await call(api, 'PATCH', `${TC_PATH}/g`, { spec: { exporter: { compression: 'gzip' } } }, MERGE);
      assert.equal(same.body.metadata.resourceVersion, spec.body.metadata.resourceVersion);
      const sameStatus = await call(api, 'PATCH', `${TC_PATH}/g/status`, { status: { eventsReceived: 3 } }, MERGE);
      assert.equal(sameStatus.body.metadata.resourceVersion, spec.body.metadata.resourceVersion);
    });

    it('splits built-in workloads into main resource and /status too', async () => {
      api.put({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' }, spec: { replicas: 1 }, status: { replicas: 1 } });
      const main = await call(api, 'PATCH', '/apis/apps/v1/namespaces/default/deployments/web', { spec: { replicas: 3 }, status: { replicas: 9 } }, MERGE);
      assert.equal(main.body.spec.replicas, 3);
      assert.equal(main.body.status.replicas, 1);
      assert.equal(main.body.metadata.generation, 2);
      const status = await call(api, 'PATCH', '/apis/apps/v1/namespaces/default/deployments/web/status', { spec: { replicas: 5 }, status: { replicas: 3 } }, MERGE);
      assert.equal(status.body.spec.replicas, 3);
      assert.equal(status.body.status.replicas, 3);
      assert.equal(status.body.metadata.generation, 2);
      assert.equal((await call(api, 'GET', '/api/v1/namespaces/default/secrets/x/status')).status, 404, 'no status subresource on secrets');
    });

    it('answers 409 Conflict for a stale resourceVersion on update and merge patch', async () => {
      const created = (await call(api, 'POST', TC_PATH, tc('c'))).body;
      await call(api, 'PATCH', `${TC_PATH}/c`, { metadata: { labels: { a: 'b' } } }, MERGE);
      const put = await call(api, 'PUT', `${TC_PATH}/c`, created);
      assert.equal(put.status, 409);
      assert.equal(put.body.reason, 'Conflict');
      assert.equal(put.body.message, 'Operation cannot be fulfilled on tracecollectors.kspan.dev "c": the object has been modified; please apply your changes to the latest version and try again');
      const patch = await call(api, 'PATCH', `${TC_PATH}/c/status`, { metadata: { resourceVersion: created.metadata.resourceVersion }, status: { eventsReceived: 1 } }, MERGE);
      assert.equal(patch.status, 409);
      assert.equal((await call(api, 'PUT', `${TC_PATH}/missing`, tc('missing'))).status, 404);
      assert.equal((await call(api, 'PUT', `${TC_PATH}/c`, tc('other'))).status, 400);
    });

    it('applies JSON patches, with test preconditions failing as 422', async () => {
      await call(api, 'POST', TC_PATH, tc('j', { finalizers: ['a', 'kspan.dev/finalizer'] }));
      const ok = await call(api, 'PATCH', `${TC_PATH}/j`, [
        { op: 'test', path: '/metadata/finalizers/1', value: 'kspan.dev/finalizer' },
        { op: 'remove', path: '/metadata/finalizers/1' },
        { op: 'add', path: '/metadata/labels', value: { x: 'y' } },
        { op: 'replace', path: '/spec/exporter/endpoint', value: 'other:4317' },
      ], JSON_PATCH);
      assert.equal(ok.status, 200);
      assert.deepEqual(ok.body.metadata.finalizers, ['a']);
      assert.equal(ok.body.spec.exporter.endpoint, 'other:4317');
      const failed = await call(api, 'PATCH', `${TC_PATH}/j`, [{ op: 'test', path: '/metadata/finalizers/0', value: 'b' }, { op: 'remove', path: '/metadata/finalizers/0' }], JSON_PATCH);
      assert.equal(failed.status, 422);
      assert.deepEqual(api.get('kspan.dev/v1alpha1', 'TraceCollector', 'default', 'j')?.metadata['finalizers'], ['a']);
      const invalid = await call(api, 'PATCH', `${TC_PATH}/j`, [{ op: 'replace', path: '/spec/exporter/endpoint', value: 'nope' }], JSON_PATCH);
      assert.equal(invalid.status, 422, 'the schema applies to patched objects');
      assert.equal((await call(api, 'PATCH', `${TC_PATH}/j`, { spec: {} }, { 'Content-Type': 'application/strategic-merge-patch+json' })).status, 415, 'no strategic merge patch for custom resources');
      assert.equal((await call(api, 'PATCH', `${TC_PATH}/j`, { spec: {} }, { 'Content-Type': 'text/plain' })).status, 415);
    });

    it('treats server-side apply as a create-or-merge with a fieldManager', async () => {
      const yamlBody = 'apiVersion: kspan.dev/v1alpha1\nkind: TraceCollector\nmetadata:\n  name: ssa\nspec:\n  exporter:\n    endpoint: c:4317\n';
      const headers = { 'Content-Type': 'application/apply-patch+yaml' };
      assert.equal((await call(api, 'PATCH', `${TC_PATH}/ssa`, yamlBody, headers)).status, 422);
      const created = await call(api, 'PATCH', `${TC_PATH}/ssa?fieldManager=kubectl`, yamlBody, headers);
      assert.equal(created.status, 201);
      const updated = await call(api, 'PATCH', `${TC_PATH}/ssa?fieldManager=kubectl`, yamlBody.replace('c:4317', 'd:4317'), headers);
      assert.equal(updated.status, 200);
      assert.equal(updated.body.spec.exporter.endpoint, 'd:4317');
    });

    it('holds deletion while finalizers remain, forbids new ones, deletes on the last removal', async () => {
      await call(api, 'POST', TC_PATH, tc('f', { finalizers: ['kspan.dev/finalizer'] }));
      const w = await watch(`${TC_PATH}?watch=true&resourceVersion=${api.resourceVersion()}`);
      const deleting = await call(api, 'DELETE', `${TC_PATH}/f`);
      assert.equal(deleting.status, 200);
      assert.ok(deleting.body.metadata.deletionTimestamp);
      assert.equal(deleting.body.metadata.generation, 2, 'marking for deletion bumps generation, like the real registry');
      const again = await call(api, 'DELETE', `${TC_PATH}/f`);
      assert.equal(again.body.metadata.resourceVersion, deleting.body.metadata.resourceVersion, 'a second delete changes nothing');
      const added = await call(api, 'PATCH', `${TC_PATH}/f`, { metadata: { finalizers: ['kspan.dev/finalizer', 'other'] } }, MERGE);
      assert.equal(added.status, 422);
      const removed = await call(api, 'PATCH', `${TC_PATH}/f`, { metadata: { finalizers: null } }, MERGE);
      assert.equal(removed.status, 200);
      assert.equal((await call(api, 'GET', `${TC_PATH}/f`)).status, 404);
      const events = await w.waitFor(2);
      assert.deepEqual(events.map((e) => e.type), ['MODIFIED', 'DELETED']);
      // as in the real apiserver, the emptying update is not stored: DELETED shows the last stored state
      assert.deepEqual(events[1]?.object.metadata.finalizers, ['kspan.dev/finalizer']);
      assert.ok(events[1]?.object.metadata.deletionTimestamp);
    });

    it('checks delete preconditions', async () => {
      const created = (await call(api, 'POST', TC_PATH, tc('d'))).body;
      await call(api, 'PATCH', `${TC_PATH}/d`, { metadata: { labels: { a: 'b' } } }, MERGE);
      const stale = await call(api, 'DELETE', `${TC_PATH}/d`, { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { resourceVersion: created.metadata.resourceVersion } });
      assert.equal(stale.status, 409);
      const ok = await call(api, 'DELETE', `${TC_PATH}/d`, { preconditions: { uid: created.metadata.uid } });
      assert.equal(ok.status, 200);
      assert.equal((await call(api, 'DELETE', `${TC_PATH}/d`)).status, 404);
    });

    it('terminates a namespace: content first (respecting finalizers), then the namespace', async () => {
      await call(api, 'POST', '/api/v1/namespaces', { metadata: { name: 'team' } });
      assert.equal(api.get('v1', 'Namespace', undefined, 'team')?.['status'].phase, 'Active');
      api.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'team' } });
      await call(api, 'POST', '/apis/kspan.dev/v1alpha1/namespaces/team/tracecollectors', tc('t', { finalizers: ['kspan.dev/finalizer'] }));
      const res = await call(api, 'DELETE', '/api/v1/namespaces/team');
      assert.equal(res.body.status.phase, 'Terminating');
      assert.equal(api.get('v1', 'Pod', 'team', 'p'), undefined);
      assert.ok(api.get('kspan.dev/v1alpha1', 'TraceCollector', 'team', 't')?.metadata['deletionTimestamp']);
      const refused = await call(api, 'POST', '/api/v1/namespaces/team/pods', { metadata: { name: 'q' } });
      assert.equal(refused.status, 403);
      assert.match(refused.body.message, /because it is being terminated/);
      await call(api, 'PATCH', '/apis/kspan.dev/v1alpha1/namespaces/team/tracecollectors/t', { metadata: { finalizers: [] } }, MERGE);
      assert.equal(api.get('v1', 'Namespace', undefined, 'team'), undefined);
    });

    it('deletes collections by selector', async () => {
      for (const n of ['a', 'b']) api.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: n, namespace: 'default', labels: { del: n } } });
      const res = await call(api, 'DELETE', '/api/v1/namespaces/default/pods?labelSelector=del%3Da');
      assert.equal(res.status, 200);
      assert.deepEqual(api.list('v1', 'Pod', 'default').map((p) => p.metadata.name), ['b']);
    });
  });

  describe('CustomResourceDefinitions', () => {
    const widgetCrd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Cluster',
        names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
        versions: [{
          name: 'v1', served: true, storage: true,
          schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', required: ['size'], properties: { size: { type: 'integer', minimum: 1 } } } } } },
        }],
      },
    };

    it('serves a new resource once its CRD is created, and stops when it is deleted', async () => {
      const api2 = await startKubeApiServer({ loadCrds: false });
      try {
        assert.equal((await call(api2, 'GET', '/apis/kspan.dev/v1alpha1')).status, 404, 'loadCrds: false installs nothing');
        const created = await call(api2, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', widgetCrd);
        assert.equal(created.status, 201);
        assert.ok(created.body.status.conditions.some((c: { type: string; status: string }) => c.type === 'Established' && c.status === 'True'));
        assert.equal((await call(api2, 'POST', '/apis/example.com/v1/widgets', { metadata: { name: 'w' }, spec: { size: 0 } })).status, 422);
        const w = await call(api2, 'POST', '/apis/example.com/v1/widgets', { metadata: { name: 'w' }, spec: { size: 2 } });
        assert.equal(w.status, 201);
        assert.equal(w.body.metadata.namespace, undefined);
        assert.equal(w.body.metadata.generation, 1);
        assert.equal((await call(api2, 'GET', '/apis/example.com/v1/widgets')).body.items[0].kind, 'Widget');
        assert.equal((await call(api2, 'DELETE', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com')).status, 200);
        assert.equal((await call(api2, 'GET', '/apis/example.com/v1/widgets')).status, 404);
        const badName = await call(api2, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { ...widgetCrd, metadata: { name: 'wrong.example.com' } });
        assert.equal(badName.status, 422);
      } finally {
        await api2.close();
      }
    });
  });

  describe('auth and hooks', () => {
    it('401 without a token; 403 naming verb, resource, group and scope', async () => {
      const res = await fetch(`${api.url}/api/v1/pods`);
      assert.equal(res.status, 401);
      assert.equal(((await res.json()) as { reason: string }).reason, 'Unauthorized');
      const token = api.createToken('operator');
      api.forbid({ token, resource: 'tracecollectors/status', verb: 'patch' });
      api.forbid({ token, resource: 'events', namespace: 'secret' });
      const as = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
        fetch(api.url + path, { method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      await call(api, 'POST', TC_PATH, tc('s'));
      const patch = await as('PATCH', `${TC_PATH}/s/status`, { status: {} }, MERGE);
      assert.equal(patch.status, 403);
      assert.equal(((await patch.json()) as { message: string }).message, 'tracecollectors "s" is forbidden: User "operator" cannot patch resource "tracecollectors/status" in API group "kspan.dev" in the namespace "default"');
      assert.equal((await as('GET', '/api/v1/namespaces/default/events')).status, 200);
      const all = await as('GET', '/api/v1/events');
      assert.equal(all.status, 403, 'a namespace rule also denies the cluster-wide list');
      assert.match(((await all.json()) as { message: string }).message, /cannot list resource "events" in API group "" at the cluster scope/);
      assert.equal((await as('GET', '/api/v1/namespaces/secret/events?watch=true')).status, 403);
      api.unforbid({ token, resource: 'events', namespace: 'secret' });
      assert.equal((await as('GET', '/api/v1/events')).status, 200);
      assert.equal((await as('PATCH', `${TC_PATH}/s/status`, { status: {} }, MERGE)).status, 403, 'other rules stay');
    });

    it('put() keeps recorded metadata, bumps generation on spec changes, and feeds watches', async () => {
      const w = await watch(`/apis/apps/v1/replicasets?watch=true&resourceVersion=${api.resourceVersion()}`);
      const managedFields = [{ manager: 'kube-controller-manager', operation: 'Update', time: '2026-11-22T10:00:00Z' }];
      const first = api.put({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'rs', namespace: 'default', uid: 'fixed-uid', managedFields }, spec: { replicas: 1 } });
      assert.equal(first.metadata['uid'], 'fixed-uid');
      assert.equal(first.metadata['generation'], 1);
      assert.deepEqual(first.metadata['managedFields'], managedFields);
      const second = api.put({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'rs', namespace: 'default' }, spec: { replicas: 2 } });
      assert.equal(second.metadata['uid'], 'fixed-uid');
      assert.equal(second.metadata['generation'], 2);
      const recorded = api.put({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'rs', namespace: 'default', generation: 7 }, spec: { replicas: 3 } });
      assert.equal(recorded.metadata['generation'], 7);
      assert.deepEqual((await w.waitFor(3)).map((e) => e.type), ['ADDED', 'MODIFIED', 'MODIFIED']);
      assert.throws(() => api.put({ apiVersion: 'example.com/v1', kind: 'Nope', metadata: { name: 'x' } }), /no resource serves example.com\/v1 Nope/);
    });

    it('fails chosen requests, watches included, then recovers', async () => {
      api.failRequests({ status: 503, count: 2, verb: 'watch' });
      assert.equal((await call(api, 'GET', '/api/v1/pods?watch=true')).status, 503);
      assert.equal((await call(api, 'GET', '/api/v1/pods')).status, 200, 'other verbs are not affected');
      const second = await call(api, 'GET', '/api/v1/pods?watch=true');
      assert.equal(second.body.reason, 'ServiceUnavailable');
      const w = await watch('/api/v1/pods?watch=true');
      assert.equal(w.status, 200);
      assert.deepEqual(api.requestCounts(), { 'watch pods': 3, 'list pods': 1 });
    });
  });
});
