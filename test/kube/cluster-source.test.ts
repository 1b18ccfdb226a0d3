import assert from 'node:assert/strict';
import { silentLogger } from '../../src/core/log.js';
import { ClusterSource } from '../../src/kube/cluster-source.js';
import { RESOURCES } from '../../src/kube/resources.js';
import type { NamespaceInfo, WatchProblem } from '../../src/pipeline/ports.js';
import type { KubeEvent } from '../../src/engine/types.js';
import { apiError, FakeApi, FakeClock, until } from './fakes.js';

describe('kube/cluster-source', () => {
  let api: FakeApi;
  let source: ClusterSource;

  beforeEach(() => {
    api = new FakeApi();
    source = new ClusterSource({ client: api, clock: new FakeClock(), tuning: { minWatchDurationMs: 0 } });
  });

  afterEach(async () => {
    await source.stop();
  });

  it('adapts event watches to the pipeline port: objects, deletions, sync and problems', async () => {
    const events = api.for(RESOURCES.events);
    events.put('e1', {}, 'shop');
    events.listFailures.push(apiError(403, 'list', 'events'));
    const got: string[] = [];
    const problems: WatchProblem[] = [];
    let synced = 0;
    const sub = source.watchEvents('shop', {
      onObject: (e: KubeEvent) => got.push(`+${e.metadata.name}`),
      onDelete: (e: KubeEvent) => got.push(`-${e.metadata.name}`),
      onSynced: () => synced++,
      onProblem: (p) => problems.push(p),
    });
    await until(() => synced === 1);
    assert.deepEqual(problems, [{ status: 403, verb: 'list', resource: 'events', message: 'fake 403' }]);
    await until(() => events.openWatches === 1);
    events.remove('e1', 'shop');
    await until(() => got.length === 2);
    assert.deepEqual(got, ['+e1', '-e1']);
    sub.unsubscribe();
    await until(() => events.openWatches === 0);
  });

  it('maps namespaces to name + labels from a metadata-only watch', async () => {
    const namespaces = api.for(RESOURCES.namespaces);
    namespaces.put('shop', { labels: { tracing: 'on' } }, '');
    const seen: NamespaceInfo[] = [];
    source.watchNamespaces({ onObject: (n) => seen.push(n) });
    await until(() => seen.length === 1);
    assert.deepEqual(seen, [{ name: 'shop', labels: { tracing: 'on' } }]);
    assert.equal(namespaces.listCalls[0]!.metadataOnly, true);
  });

  it('retainObjects holds the owner caches of a namespace and the lookup serves them', async () => {
    api.for(RESOURCES.jobs).put('job-1', {}, 'batch');
    const held = source.retainObjects('batch');
    await source.cache.waitForSync();
    assert.equal(source.lookup.get({ kind: 'Job', namespace: 'batch', name: 'job-1' })?.apiVersion, 'batch/v1');
    source.addOwnerKind('argoproj.io/v1alpha1', 'Rollout');
    assert.equal(source.watches.list().filter((w) => w.scope.resource.plural === 'rollouts' && w.scope.namespace === 'batch').length, 1);
    held.unsubscribe();
    assert.equal(source.watches.list().length, 0);
  });

  it('watchObjectKind logs a kind it cannot cache instead of throwing at the pipeline', () => {
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (_: object, msg?: string) => void warnings.push(msg ?? '') };
    const logged = new ClusterSource({ client: api, clock: new FakeClock(), logger });
    logged.watchObjectKind('', 'Rollout');
    assert.deepEqual(warnings, ['cannot cache this owner kind']);
  });
});
