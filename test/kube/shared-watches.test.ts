import assert from 'node:assert/strict';
import type { KubeObjectLike } from '../../src/kube/client.js';
import type { ChangeEvent } from '../../src/kube/list-watch.js';
import { RESOURCES } from '../../src/kube/resources.js';
import { SharedWatches, watchKey } from '../../src/kube/shared-watches.js';
import { FakeClock, FakeCluster, until } from './fakes.js';

type Ev = ChangeEvent<KubeObjectLike>;
const names = (events: Ev[]): string[] => events.map((e) => `${e.type} ${e.object.metadata?.name}`);

describe('kube/shared-watches', () => {
  let cluster: FakeCluster;
  let registry: SharedWatches;

  beforeEach(() => {
    cluster = new FakeCluster();
    registry = new SharedWatches({ client: cluster, clock: new FakeClock(), tuning: { minWatchDurationMs: 0 } });
  });

  afterEach(async () => {
    await registry.stop();
  });

  it('shares one watch between subscribers of the same scope; the last unsubscribe stops it', async () => {
    cluster.put('a');
    const one: Ev[] = [];
    const two: Ev[] = [];
    const s1 = registry.subscribe({ resource: RESOURCES.events, namespace: 'default' }, { onEvent: (e) => one.push(e) });
    const s2 = registry.subscribe({ resource: RESOURCES.events, namespace: 'default' }, { onEvent: (e) => two.push(e) });
    assert.equal(await s1.waitForSync(), true);
    await until(() => cluster.openWatches === 1);
    assert.equal(cluster.listCalls.length, 1);
    assert.equal(registry.list().length, 1);
    assert.equal(registry.list()[0]!.subscribers, 2);
    cluster.put('b');
    await until(() => one.length === 2 && two.length === 2);
    s1.unsubscribe();
    s1.unsubscribe(); // idempotent
    cluster.put('c');
    await until(() => two.length === 3);
    assert.equal(one.length, 2, 'no delivery after unsubscribe');
    assert.equal(cluster.openWatches, 1);
    s2.unsubscribe();
    await until(() => cluster.openWatches === 0, 3000, 'watch stopped');
    assert.equal(registry.list().length, 0);
  });

  it('applies a declared transform before the store: its subscribers, late ones included, see the transformed view and others the objects as received', async () => {
    const previousSeen: Array<string | undefined> = [];
    const withoutLabels = {
      name: 'without-labels',
      apply: (object: KubeObjectLike, previous: KubeObjectLike | undefined): KubeObjectLike => {
        previousSeen.push(previous?.metadata?.resourceVersion);
        const { labels: _labels, ...metadata } = object.metadata ?? {};
        return { ...object, metadata };
      },
    };
    cluster.put('a', { labels: { app: 'web' } } as never);
    const plain: Ev[] = [];
    const trimmed: Ev[] = [];
    const plainSub = registry.subscribe({ resource: RESOURCES.events, namespace: 'default' }, { onEvent: (e) => plain.push(e) });
    const trimmedSub = registry.subscribe({ resource: RESOURCES.events, namespace: 'default', transform: withoutLabels }, { onEvent: (e) => trimmed.push(e) });
    await plainSub.waitForSync();
    await trimmedSub.waitForSync();
    assert.equal(registry.list().length, 2, 'another view is another watch');
    assert.notEqual(watchKey({ resource: RESOURCES.events, transform: withoutLabels }), watchKey({ resource: RESOURCES.events }));
    await until(() => cluster.openWatches === 2);
    cluster.put('a', { labels: { app: 'web', tier: 'front' } } as never);
    await until(() => plain.length === 2 && trimmed.length === 2);
    assert.deepEqual(plain.map((e) => e.object.metadata?.['labels']), [{ app: 'web' }, { app: 'web', tier: 'front' }], 'untouched by the other watch');
    assert.deepEqual(trimmed.map((e) => e.object.metadata?.['labels']), [undefined, undefined]);
    assert.deepEqual(previousSeen, [undefined, '101'], 'the transform is given the version it kept before');
    const late: Ev[] = [];
    registry.subscribe({ resource: RESOURCES.events, namespace: 'default', transform: withoutLabels }, { onEvent: (e) => late.push(e) });
    assert.deepEqual(late.map((e) => [e.type, e.object.metadata?.['labels'], e.object.metadata?.resourceVersion]), [['ADDED', undefined, '102']], 'a late subscriber gets the stored, transformed version');
  });

  it('gives a late subscriber the current objects as ADDED, then only changes (or nothing with replay: false)', async () => {
    cluster.put('a');
    cluster.put('b');
    const early = registry.subscribe({ resource: RESOURCES.events, namespace: 'default' }, {});
    await early.waitForSync();
    await until(() => cluster.openWatches === 1);
    cluster.remove('b');
    await until(() => early.stats().resourceVersion === '103');
    const late: Ev[] = [];
    let lateSynced = false;
    registry.subscribe({ resource: RESOURCES.events, namespace: 'default' }, { onEvent: (e) => late.push(e), onSynced: () => (lateSynced = true) });
    const quiet: Ev[] = [];
    registry.subscribe({ resource: RESOURCES.events, namespace: 'default' }, { onEvent: (e) => quiet.push(e) }, { replay: false });
    assert.deepEqual(names(late), ['ADDED a']);
    assert.equal(lateSynced, true);
    cluster.put('c');
    await until(() => late.length === 2);
    assert.deepEqual(names(late), ['ADDED a', 'ADDED c']);
    assert.deepEqual(names(quiet), ['ADDED c']);
    assert.equal(cluster.listCalls.length, 1);
  });

  it('keys watches by resource, namespace, selectors and metadata mode', () => {
    const base = { resource: RESOURCES.pods, namespace: 'a' };
    const keys = new Set([
      watchKey(base),
      watchKey({ ...base, namespace: 'b' }),
      watchKey({ ...base, namespace: '*' }),
      watchKey({ ...base, labelSelector: 'x=1' }),
      watchKey({ ...base, fieldSelector: 'spec.nodeName=n' }),
      watchKey({ ...base, metadataOnly: true }),
      watchKey({ resource: RESOURCES.events, namespace: 'a' }),
    ]);
    assert.equal(keys.size, 7);
    assert.equal(watchKey({ resource: RESOURCES.pods }), watchKey({ resource: RESOURCES.pods, namespace: '*' }));
  });

  it('isolates a throwing subscriber from the others', async () => {
    cluster.put('a');
    const good: Ev[] = [];
    registry.subscribe({ resource: RESOURCES.events, namespace: 'default' }, { onEvent: () => { throw new Error('bad subscriber'); } });
    registry.subscribe({ resource: RESOURCES.events, namespace: 'default' }, { onEvent: (e) => good.push(e) });
    await until(() => good.length === 1);
    // and a late one that throws during replay does not break subscribe()
    assert.doesNotThrow(() => registry.subscribe({ resource: RESOURCES.events, namespace: 'default' }, { onEvent: () => { throw new Error('x'); } }));
  });
});
