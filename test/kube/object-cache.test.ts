import assert from 'node:assert/strict';
import type { KubeObjectLike, ObjectKey } from '../../src/kube/client.js';
import { readFileSync } from 'node:fs';
import { makeRef } from '../../src/engine/refs.js';
import type { KubeObject } from '../../src/engine/types.js';
import { ObjectCache, type ObjectCacheOptions } from '../../src/kube/object-cache.js';
import { MemoryObjectLookup } from '../../src/replay/object-lookup.js';
import { DEFAULT_OWNER_RESOURCES, RESOURCES, type ResourceType } from '../../src/kube/resources.js';
import { SharedWatches } from '../../src/kube/shared-watches.js';
import { apiError, FakeApi, FakeClock, until } from './fakes.js';

describe('kube/object-cache', () => {
  let api: FakeApi;
  let clock: FakeClock;
  let watches: SharedWatches;
  let cache: ObjectCache;
  let gets: Array<{ type: string; key: ObjectKey }>;
  let getAnswer: (type: ResourceType, key: ObjectKey) => KubeObjectLike;

  const client = {
    get: async <T extends KubeObjectLike>(type: ResourceType, key: ObjectKey): Promise<T> => {
      gets.push({ type: type.plural, key });
      return getAnswer(type, key) as T;
    },
  };

  function make(options: Partial<ObjectCacheOptions> = {}): ObjectCache {
    cache = new ObjectCache({ watches, client, clock, ...options });
    return cache;
  }

  beforeEach(() => {
    api = new FakeApi();
    clock = new FakeClock();
    watches = new SharedWatches({ client: api, clock, tuning: { minWatchDurationMs: 0 } });
    gets = [];
    getAnswer = () => {
      throw apiError(404, 'get');
    };
  });

  afterEach(async () => {
    cache?.stop();
    await watches.stop();
  });

  it('serves lookups by (kind, namespace, name) case-insensitively from its watches, with no GET', async () => {
    api.for(RESOURCES.replicasets).put('Web-1', { generation: 1 }, 'shop');
    api.for(RESOURCES.pods).put('web-1-abc', { ownerReferences: [{ kind: 'ReplicaSet', name: 'web-1' }] } as never, 'shop');
    make();
    cache.retain('shop');
    assert.equal(await cache.waitForSync(), true);
    const rs = cache.get({ kind: 'replicaset', namespace: 'shop', name: 'web-1' });
    assert.equal(rs?.kind, 'ReplicaSet');
    assert.equal(rs?.metadata.name, 'Web-1');
    assert.equal(cache.get({ kind: 'Pod', namespace: 'shop', name: 'web-1-abc' })?.metadata.ownerReferences?.[0]?.name, 'web-1');
    assert.equal(cache.get({ kind: 'Pod', namespace: 'shop', name: 'nope' }), undefined);
    assert.equal(gets.length, 0, 'a miss in a synced namespace costs no GET');
    assert.ok(api.for(RESOURCES.replicasets).listCalls.every((c) => c.metadataOnly === true && c.namespace === 'shop'));
    assert.ok(api.for(RESOURCES.deployments).listCalls.every((c) => !c.metadataOnly), 'top-level kinds keep their spec');
    assert.ok(api.for(RESOURCES.pods).listCalls.every((c) => !c.metadataOnly), 'Pods keep their status facts');
    assert.equal(cache.stats().watches, 7);
  });

  it('keeps only what the engine reads: owners by kind and name, managedFields only on top-level objects', async () => {
    const managedFields = [
      { manager: 'kubectl-client-side-apply', operation: 'Update', time: '2026-03-10T14:00:00Z', fieldsV1: { 'f:metadata': { 'f:labels': {} }, 'f:spec': { 'f:replicas': {} } } },
    ];
    const meta = { labels: { app: 'web' }, annotations: { note: 'x'.repeat(1000) }, finalizers: ['f'], creationTimestamp: '2026-03-10T14:00:00Z', managedFields };
    const listed = api.for(RESOURCES.deployments).put('web', { generation: 3, ...meta } as never, 'shop');
    Object.assign(listed, { spec: { replicas: 2 }, status: { replicas: 1, conditions: [] } });
    const owner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'rs-uid', controller: true, blockOwnerDeletion: true };
    api.for(RESOURCES.pods).put('web-1-abc', { ...meta, ownerReferences: [owner] } as never, 'shop');
    make();
    cache.retain('shop');
    assert.equal(await cache.waitForSync(), true);
    const pod = cache.get({ kind: 'Pod', namespace: 'shop', name: 'web-1-abc' })!;
    assert.deepEqual(Object.keys(pod.metadata).sort(), ['createdAt', 'name', 'namespace', 'ownerReferences', 'resourceVersion', 'uid']);
    assert.deepEqual(pod.metadata.ownerReferences, [{ kind: 'ReplicaSet', name: 'web-1', controller: true }]);
    const deployment = cache.get({ kind: 'Deployment', namespace: 'shop', name: 'web' })!;
    assert.equal(deployment.metadata.generation, 3);
    assert.deepEqual(deployment.metadata.managedFields, [
      { manager: 'kubectl-client-side-apply', operation: 'Update', time: '2026-03-10T14:00:00Z', fieldsV1: { 'f:spec': { 'f:replicas': {} } } },
    ]);
    assert.equal('labels' in deployment.metadata, false);
    assert.deepEqual(deployment.spec, { replicas: 2 }, 'top-level kinds keep their spec');
    assert.equal((deployment as { status?: unknown }).status, undefined, 'but not their status');
  });

  it('keeps one owner list for the objects that name the same owners', async () => {
    const pods = api.for(RESOURCES.pods);
    const owner = (name: string) => ({ ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name, uid: `${name}-uid`, controller: true }] }) as never;
    pods.put('web-1-a', owner('web-1'), 'shop');
    pods.put('web-1-b', owner('web-1'), 'shop');
    pods.put('web-2-a', owner('web-2'), 'shop');
    make();
    cache.retain('shop');
    await cache.waitForSync();
    const owners = (name: string) => cache.get({ kind: 'Pod', namespace: 'shop', name })!.metadata.ownerReferences;
    assert.equal(owners('web-1-a'), owners('web-1-b'), 'the same array');
    assert.notEqual(owners('web-1-a'), owners('web-2-a'));
    assert.deepEqual(owners('web-2-a'), [{ kind: 'ReplicaSet', name: 'web-2', controller: true }]);
  });

  it('lets the objects of a released namespace age out like deleted ones', async () => {
    api.for(RESOURCES.deployments).put('web', { generation: 1 }, 'shop');
    api.for(RESOURCES.pods).put('web-1-a', {}, 'shop');
    make({ deletedRetentionMs: 60_000 });
    const hold = cache.retain('shop');
    await cache.waitForSync();
    hold.release();
    assert.deepEqual({ objects: cache.stats().objects, deleted: cache.stats().deleted }, { objects: 0, deleted: 2 });
    assert.ok(cache.get({ kind: 'Pod', namespace: 'shop', name: 'web-1-a' }), 'still resolvable');
    clock.time += 60_001;
    assert.equal(cache.get({ kind: 'Deployment', namespace: 'shop', name: 'web' }), undefined);
    assert.equal(cache.stats().deleted, 0);
  });

  it('keeps deleted objects resolvable for the retention period, bounded by maxDeleted', async () => {
    const pods = api.for(RESOURCES.pods);
    make({ deletedRetentionMs: 60_000, maxDeleted: 2 });
    cache.retain('default');
    await cache.waitForSync();
    await until(() => pods.openWatches === 1);
    for (const n of ['p1', 'p2', 'p3']) pods.put(n);
    for (const n of ['p1', 'p2', 'p3']) pods.remove(n);
    await until(() => cache.stats().deleted === 2, 3000, 'deletions');
    assert.equal(cache.get({ kind: 'Pod', namespace: 'default', name: 'p1' }), undefined, 'oldest evicted beyond maxDeleted');
    assert.ok(cache.get({ kind: 'Pod', namespace: 'default', name: 'p3' }));
    clock.time += 60_001;
    assert.equal(cache.get({ kind: 'Pod', namespace: 'default', name: 'p3' }), undefined, 'expired after retention');
    assert.equal(cache.stats().deleted, 0);
  });

  it('tells each holder of a namespace of every object it brings, once the object is in the cache, until released', async () => {
    const pods = api.for(RESOURCES.pods);
    pods.put('listed');
    make();
    const seen: string[] = [];
    const other: string[] = [];
    const ref = (name: string) => ({ kind: 'Pod', namespace: 'default', name });
    const one = cache.retain('default', (o) => seen.push(`${o.metadata.name}@${o.metadata.resourceVersion} cached=${cache.get(ref(o.metadata.name)) === o}`));
    cache.retain('default', (o) => {
      other.push(o.metadata.name);
      throw new Error('a failing holder');
    });
    cache.retain('default');
    await cache.waitForSync();
    await until(() => pods.openWatches === 1);
    pods.put('p1');
    pods.put('p1', { labels: { x: 'y' } });
    pods.remove('p1');
    await until(() => seen.length === 4, 3000, 'changes');
    assert.deepEqual(seen, ['listed@101 cached=true', 'p1@102 cached=true', 'p1@103 cached=true', 'p1@104 cached=true'], 'a deleted object stays resolvable');
    assert.deepEqual(other, ['listed', 'p1', 'p1', 'p1'], 'a holder that throws does not keep the object from the others');
    one.release();
    pods.put('p2');
    await until(() => other.length === 5, 3000, 'p2');
    assert.equal(seen.length, 4, 'a released holder is told nothing more');
  });

  it('tells the holders of a namespace of an object the GET fallback brought', async () => {
    for (let i = 0; i < 5; i++) api.for(RESOURCES.replicasets).listFailures.push(apiError(500, 'list', 'replicasets'));
    make();
    const told: string[] = [];
    cache.retain('shop', (o) => told.push(`shop:${o.metadata.name}`));
    cache.retain('', (o) => told.push(`*:${o.metadata.name}`));
    getAnswer = (_type, key) => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { ...key, uid: 'u1', resourceVersion: '5' } });
    assert.equal((await cache.fetch({ kind: 'ReplicaSet', namespace: 'shop', name: 'rs-1' }))?.metadata.uid, 'u1');
    assert.deepEqual(told, ['shop:rs-1', '*:rs-1']);
  });

  it('answers previousGeneration with the newest version of a lower generation', async () => {
    const deployments = api.for(RESOURCES.deployments);
    make();
    cache.retain('default');
    await cache.waitForSync();
    await until(() => deployments.openWatches === 1);
    deployments.put('web', { generation: 1 });
    deployments.put('web', { generation: 1, labels: { status: 'x' } });
    deployments.put('web', { generation: 2 });
    deployments.put('web', { generation: 2, labels: { status: 'y' } });
    await until(() => cache.get({ kind: 'Deployment', namespace: 'default', name: 'web' })?.metadata.resourceVersion === '104');
    const ref = { kind: 'Deployment', namespace: 'default', name: 'web' };
    assert.equal(cache.previousGeneration(ref, 2)?.metadata.resourceVersion, '102');
    assert.equal(cache.previousGeneration(ref, 3)?.metadata.resourceVersion, '104');
    assert.equal(cache.previousGeneration(ref, 1), undefined);
  });

  it('falls back to one rate-limited, deduplicated GET where no synced watch covers the object, caching 404s', async () => {
    make({ getFallback: { ratePerSecond: 1, burst: 2, notFoundTtlMs: 10_000 } });
    getAnswer = (_type, key) => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { ...key, uid: 'u1', resourceVersion: '5' } });
    const ref = { kind: 'ReplicaSet', namespace: 'elsewhere', name: 'rs-1' };
    assert.equal(cache.get(ref), undefined, 'sync lookups never block');
    await until(() => gets.length === 1);
    await new Promise((r) => setImmediate(r));
    assert.equal(cache.get(ref)?.metadata.uid, 'u1', 'the fetched object is cached');
    assert.equal(gets.length, 1);
    // 404s are remembered: no second GET for the same missing object within the TTL
    getAnswer = () => { throw apiError(404, 'get'); };
    const missing = { kind: 'ReplicaSet', namespace: 'elsewhere', name: 'rs-missing' };
    assert.equal(await cache.fetch(missing), undefined);
    assert.equal(await cache.fetch(missing), undefined);
    assert.equal(gets.length, 2);
    assert.equal(cache.stats().getsNotFound, 1);
    // the bucket (burst 2) is empty now
    assert.equal(await cache.fetch({ kind: 'ReplicaSet', namespace: 'elsewhere', name: 'rs-3' }), undefined);
    assert.equal(gets.length, 2);
    assert.equal(cache.stats().getsRateLimited, 1);
    clock.time += 1000;
    await cache.fetch({ kind: 'ReplicaSet', namespace: 'elsewhere', name: 'rs-3' });
    assert.equal(gets.length, 3, 'refilled after a second');
    // kinds that are not cached are never fetched
    assert.equal(await cache.fetch({ kind: 'Widget', namespace: 'elsewhere', name: 'w' }), undefined);
    assert.equal(gets.length, 3);
  });

  it('shares watches between holders of the same namespace and stops them on the last release', async () => {
    make();
    const one = cache.retain('shop');
    const two = cache.retain('shop');
    await cache.waitForSync();
    assert.equal(api.for(RESOURCES.pods).listCalls.length, 1);
    one.release();
    one.release();
    assert.equal(watches.list().length, 7);
    two.release();
    assert.equal(watches.list().length, 0);
    assert.equal(cache.stats().watches, 0);
  });

  it('watches extra kinds added later (CRD owner kinds) in every held namespace', async () => {
    const rollouts: ResourceType = { group: 'argoproj.io', version: 'v1alpha1', plural: 'rollouts', kind: 'Rollout', namespaced: true };
    api.for(rollouts).put('canary', {}, 'shop');
    make();
    cache.retain('shop');
    cache.addResource(rollouts);
    await cache.waitForSync();
    assert.equal(cache.get({ kind: 'Rollout', namespace: 'shop', name: 'canary' })?.apiVersion, 'argoproj.io/v1alpha1');
  });

  it('a new object reusing a name replaces the old one and forgets its previous versions', async () => {
    const pods = api.for(RESOURCES.pods);
    make();
    cache.retain('default');
    await cache.waitForSync();
    await until(() => pods.openWatches === 1);
    pods.put('p', { generation: 1 });
    pods.put('p', { generation: 2 });
    pods.remove('p');
    pods.put('p', { generation: 1 });
    await until(() => cache.get({ kind: 'Pod', namespace: 'default', name: 'p' })?.metadata.resourceVersion === '104');
    const ref = { kind: 'Pod', namespace: 'default', name: 'p' };
    assert.notEqual(cache.get(ref)?.metadata.uid, undefined);
    assert.equal(cache.previousGeneration(ref, 2)?.metadata.resourceVersion, '104');
    assert.equal(cache.stats().deleted, 0);
    // The old object's deletion is long past: evicting what expired leaves the new one alone.
    clock.time += 10 * 60_000 + 1;
    pods.put('q');
    pods.remove('q');
    await until(() => cache.stats().deleted === 1, 3000, 'deletion of q');
    assert.equal(cache.get(ref)?.metadata.resourceVersion, '104');
    assert.deepEqual({ objects: cache.stats().objects, deleted: cache.stats().deleted }, { objects: 1, deleted: 1 });
  });

  it('reads objects exactly as replay does (one projection), and leaves what the API returned untouched', async () => {
    const records = readFileSync(new URL('../../examples/recordings/deployment-2-pods.ndjson', import.meta.url), 'utf8')
      .split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as { kind: string; object: KubeObjectLike });
    const newest = new Map<string, KubeObjectLike>();
    for (const r of records) if (r.kind === 'object') newest.set(`${r.object.kind}/${r.object.metadata?.name}`, r.object);
    assert.ok(newest.size >= 5, 'the fixture has objects of several kinds');
    const served = [...newest.values()];
    const pristine = structuredClone(served);
    const fixtureApi = {
      list: async <T extends KubeObjectLike>(type: ResourceType) => ({ metadata: { resourceVersion: '1' }, items: served.filter((o) => o.kind === type.kind) as T[] }),
      watch: (_type: ResourceType, options: { signal?: AbortSignal }) => (async function* () {
        await new Promise((resolve) => options.signal?.addEventListener('abort', resolve, { once: true }));
      })(),
    };
    const liveWatches = new SharedWatches({ client: fixtureApi, clock, tuning: { minWatchDurationMs: 0 } });
    const live = new ObjectCache({ watches: liveWatches, clock, fullObjectKinds: DEFAULT_OWNER_RESOURCES.map((t) => t.kind) });
    try {
      live.retain('*');
      assert.equal(await live.waitForSync(), true);
      const replay = new MemoryObjectLookup();
      for (const object of served) replay.put(structuredClone(object) as KubeObject);
      for (const object of served) {
        const ref = makeRef(object.kind!, object.metadata!.namespace, object.metadata!.name!);
        assert.deepEqual(live.get(ref), replay.get(ref), `${object.kind} ${object.metadata?.name}`);
      }
      assert.deepEqual(served, pristine, 'the projection makes new objects');
    } finally {
      live.stop();
      await liveWatches.stop();
    }
  });

  it('tells holders of each version with the one it replaced, so that status transitions can be read between them', async () => {
    make();
    const told: Array<[string | undefined, string | undefined]> = [];
    cache.retain('shop', (object, previous) => told.push([object.metadata.resourceVersion, previous?.metadata.resourceVersion]));
    assert.equal(await cache.waitForSync(), true);
    await until(() => api.for(RESOURCES.pods).openWatches === 1);
    api.for(RESOURCES.pods).put('p', {}, 'shop');
    api.for(RESOURCES.pods).put('p', {}, 'shop');
    await until(() => told.length === 2);
    assert.deepEqual(told, [['101', undefined], ['102', '101']]);
  });
});
