/**
 * The kube layer against the Kubernetes API test server (real HTTP, real client-node auth path).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type KubeApiTestServer, startKubeApiServer } from '../support/kube-api-server/index.js';
import { TRACE_COLLECTOR_FINALIZER } from '../../src/api/types.js';
import { ClusterSource } from '../../src/kube/cluster-source.js';
import type { KubeObjectLike } from '../../src/kube/client.js';
import { createKubeClient, type HttpKubeClient } from '../../src/kube/http-client.js';
import { loadKubeConfig } from '../../src/kube/kubeconfig.js';
import { KubeApiError } from '../../src/kube/errors.js';
import { addFinalizer, removeFinalizer } from '../../src/kube/finalizers.js';
import { LeaderElector } from '../../src/kube/leader-election.js';
import { type ChangeEvent, ListWatch, type ListWatchOptions } from '../../src/kube/list-watch.js';
import { RESOURCES } from '../../src/kube/resources.js';
import { patchStatus } from '../../src/kube/status.js';
import { until } from './fakes.js';

type Ev = ChangeEvent<KubeObjectLike>;
const summary = (events: Ev[]): string[] => events.map((e) => `${e.type}${e.synthetic ? '*' : ''} ${e.object.metadata?.name}`);

function pod(name: string, namespace = 'default', extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, ...extra }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
}

function collector(name: string, namespace = 'default'): Record<string, unknown> {
  return { apiVersion: 'kspan.dev/v1alpha1', kind: 'TraceCollector', metadata: { name, namespace }, spec: { exporter: { endpoint: 'otel:4317' } } };
}

describe('kube layer against the API test server', function () {
  this.timeout(20_000);
  let api: KubeApiTestServer;
  let dir: string;
  let client: HttpKubeClient;
  const stops: Array<() => Promise<void> | void> = [];

  function clientWithToken(token: string): HttpKubeClient {
    const path = join(dir, `kubeconfig-${Math.random().toString(36).slice(2)}`);
    api.writeKubeconfig(path, token);
    return createKubeClient(path);
  }

  function listWatch(options: Partial<ListWatchOptions> & Pick<ListWatchOptions, 'resource'>, events: Ev[], errors: KubeApiError[] = []): ListWatch {
    const lw = new ListWatch({ client, namespace: 'default', backoff: { initialMs: 20, maxMs: 200 }, minWatchDurationMs: 0, ...options });
    lw.addListener({ onEvent: (e) => events.push(e), onError: (e) => errors.push(e) });
    lw.start();
    stops.push(() => lw.stop());
    return lw;
  }

  before(async () => {
    api = await startKubeApiServer({ bookmarkIntervalMs: 50 });
    api.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kspan-system' } });
    dir = mkdtempSync(join(tmpdir(), 'kspan-kube-'));
    const path = join(dir, 'kubeconfig');
    api.writeKubeconfig(path);
    client = createKubeClient(path);
  });

  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  });

  after(async () => {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('client', () => {
    it('loads --kubeconfig, else $KUBECONFIG, else fails clearly without a cluster', () => {
      const path = join(dir, 'kubeconfig');
      assert.equal(loadKubeConfig(path, {}).getCurrentCluster()?.server, api.url);
      assert.throws(() => loadKubeConfig(undefined, {}), /--kubeconfig/);
    });

    it('lists with kind restored, gets, and types API errors (404, 403) with verb, resource and namespace', async () => {
      api.put(pod('typed-1'));
      const list = await client.list(RESOURCES.pods, { namespace: 'default' });
      const found = list.items.find((p) => p.metadata?.name === 'typed-1');
      assert.equal(found?.kind, 'Pod');
      assert.ok(list.metadata.resourceVersion);
      const got = await client.get(RESOURCES.pods, { namespace: 'default', name: 'typed-1' }, { metadataOnly: true });
      assert.equal(got.kind, 'Pod');
      assert.equal(got['spec'], undefined, 'metadata only');
      await assert.rejects(client.get(RESOURCES.pods, { namespace: 'default', name: 'missing' }), (err: unknown) =>
        err instanceof KubeApiError && err.statusCode === 404 && err.verb === 'get' && err.resource === 'pods' && err.objectName === 'missing' && err.namespace === 'default');
      const token = api.createToken('limited');
      api.forbid({ token, verb: 'list', resource: 'events', namespace: 'shop' });
      const limited = clientWithToken(token);
      await assert.rejects(limited.list(RESOURCES.events, { namespace: 'shop' }), (err: unknown) => {
        assert.ok(err instanceof KubeApiError);
        assert.equal(err.statusCode, 403);
        assert.equal(err.reason, 'Forbidden');
        assert.equal(err.describeRequest(), 'list events in namespace shop');
        return true;
      });
    });

    it('reports a server that does not answer as statusCode 0', async () => {
      const dead = join(dir, 'dead');
      const { writeFileSync } = await import('node:fs');
      writeFileSync(dead, `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:1", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`);
      await assert.rejects(createKubeClient(dead).list(RESOURCES.pods, {}), (err: unknown) => err instanceof KubeApiError && err.statusCode === 0);
    });
  });

  describe('list+watch', () => {
    it('asks for bookmarks and advances its resourceVersion from them without delivering anything', async () => {
      api.put(pod('bm-1'));
      const events: Ev[] = [];
      const lw = listWatch({ resource: RESOURCES.pods, fieldSelector: 'metadata.name=bm-1' }, events);
      await lw.waitForSync();
      const listed = Number(lw.stats().resourceVersion);
      api.put(pod('elsewhere', 'kube-public'));
      await until(() => Number(lw.stats().resourceVersion) > listed, 5000, 'bookmark');
      assert.deepEqual(summary(events), ['ADDED bm-1']);
      assert.ok((api.requestCounts()['watch pods'] ?? 0) >= 1);
    });

    it('re-watches from its resourceVersion when the server-side watch timeout ends a watch', async () => {
      api.put(pod('timeout-1', 'timeouts'));
      const events: Ev[] = [];
      const lw = listWatch({ resource: RESOURCES.pods, namespace: 'timeouts', watchTimeoutSeconds: { min: 1, max: 1 } }, events);
      await lw.waitForSync();
      await until(() => lw.stats().restarts >= 1, 5000, 'a re-watch after the timeout');
      api.put(pod('timeout-2', 'timeouts'));
      await until(() => events.length === 2);
      assert.equal(lw.stats().relists, 0);
      assert.equal(lw.stats().errors, 0);
      assert.deepEqual(summary(events), ['ADDED timeout-1', 'ADDED timeout-2']);
    });

    it('resumes a dropped watch from the last resourceVersion: no duplicates, no loss, no relist', async () => {
      api.put(pod('drop-1', 'drop'));
      const events: Ev[] = [];
      const lw = listWatch({ resource: RESOURCES.pods, namespace: 'drop' }, events);
      await lw.waitForSync();
      await until(() => lw.stats().resourceVersion !== '' && (api.requestCounts()['watch pods'] ?? 0) > 0);
      api.put(pod('drop-2', 'drop'));
      await until(() => events.length === 2);
      api.resetRequestCounts();
      api.dropWatches();
      api.put(pod('drop-3', 'drop'));
      api.dropWatches(true);
      api.put(pod('drop-4', 'drop'));
      await until(() => events.length === 4, 5000, 'events after drops');
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(summary(events), ['ADDED drop-1', 'ADDED drop-2', 'ADDED drop-3', 'ADDED drop-4']);
      assert.equal(api.requestCounts()['list pods'] ?? 0, 0, 'resumed without relisting');
      assert.ok(lw.stats().restarts >= 1);
    });

    it('relists after compaction (410) with only real changes and synthetic DELETED for the gap', async () => {
      for (const n of ['same', 'changed', 'gone']) api.put(pod(n, 'compact'));
      const events: Ev[] = [];
      const errors: KubeApiError[] = [];
      const lw = listWatch({ resource: RESOURCES.pods, namespace: 'compact' }, events, errors);
      await lw.waitForSync();
      await until(() => (api.requestCounts()['watch pods'] ?? 0) > 0);
      api.resetRequestCounts();
      // Disconnect, change things nobody watches, and compact: the resume must get 410.
      api.dropWatches(true);
      api.put(pod('changed', 'compact', { labels: { v: '2' } }));
      api.remove('v1', 'Pod', 'compact', 'gone');
      api.put(pod('new', 'compact'));
      api.compact();
      await until(() => events.length === 6, 5000, 'relist deliveries');
      assert.deepEqual(summary(events).slice(3).sort(), ['ADDED new', 'DELETED* gone', 'MODIFIED changed']);
      assert.equal(api.requestCounts()['list pods'], 1);
      assert.equal(lw.stats().relists, 1);
      assert.equal(errors.length, 0, '410 is handled, not reported');
      api.put(pod('after', 'compact'));
      await until(() => events.length === 7);
      assert.equal(summary(events)[6], 'ADDED after');
    });

    it('backs off through a run of 500s and recovers', async () => {
      api.put(pod('flaky-1', 'flaky'));
      api.failRequests({ status: 500, count: 3, verb: 'list', resource: 'pods' });
      const events: Ev[] = [];
      const errors: KubeApiError[] = [];
      const lw = listWatch({ resource: RESOURCES.pods, namespace: 'flaky' }, events, errors);
      assert.equal(await lw.waitForSync(), true);
      assert.deepEqual(errors.map((e) => e.statusCode), [500, 500, 500]);
      assert.deepEqual(summary(events), ['ADDED flaky-1']);
      assert.equal(lw.stats().errors, 3);
      api.failRequests({ status: 503, count: 2, verb: 'watch', resource: 'pods' });
      api.dropWatches();
      api.put(pod('flaky-2', 'flaky'));
      await until(() => events.length === 2, 5000, 'recovery after watch 503s');
      assert.ok(errors.length >= 4);
    });

    it('surfaces 403 as a typed error while retrying, never crashing', async () => {
      const token = api.createToken('no-secrets');
      api.forbid({ token, verb: 'list', resource: 'secrets' });
      const events: Ev[] = [];
      const errors: KubeApiError[] = [];
      const lw = new ListWatch({ client: clientWithToken(token), resource: RESOURCES.secrets, namespace: 'default', backoff: { initialMs: 10, maxMs: 20 } });
      lw.addListener({ onEvent: (e) => events.push(e), onError: (e) => errors.push(e) });
      lw.start();
      stops.push(() => lw.stop());
      await until(() => errors.length >= 2);
      assert.equal(errors[0]!.statusCode, 403);
      assert.equal(errors[0]!.verb, 'list');
      assert.equal(errors[0]!.resource, 'secrets');
      assert.equal(lw.synced, false);
    });
  });

  describe('status and finalizers', () => {
    it('merge-patches /status without touching spec', async () => {
      api.put(collector('status-1'));
      api.resetRequestCounts();
      const updated = await patchStatus<KubeObjectLike>(client, RESOURCES.tracecollectors, { namespace: 'default', name: 'status-1' }, { eventsReceived: 7, watchedNamespaces: ['a'] });
      assert.deepEqual((updated['status'] as Record<string, unknown>)['eventsReceived'], 7);
      await patchStatus(client, RESOURCES.tracecollectors, { namespace: 'default', name: 'status-1' }, { spansExported: 3 });
      const stored = api.get('kspan.dev/v1alpha1', 'TraceCollector', 'default', 'status-1') as unknown as { spec: unknown; status: Record<string, unknown> };
      assert.deepEqual(stored.status, { eventsReceived: 7, watchedNamespaces: ['a'], spansExported: 3 }, 'merged, not replaced');
      assert.equal((stored.spec as { exporter: { endpoint: string } }).exporter.endpoint, 'otel:4317');
      assert.equal(api.requestCounts()['patch tracecollectors/status'], 2);
    });

    it('adds/removes only our finalizer; a stale resourceVersion gets 409 and a retry on fresh data', async () => {
      api.put({ ...collector('fin-1'), metadata: { name: 'fin-1', namespace: 'default', finalizers: ['other.io/keep'] } });
      const stale = await client.get<KubeObjectLike>(RESOURCES.tracecollectors, { namespace: 'default', name: 'fin-1' });
      // someone else writes meanwhile
      const current = api.get('kspan.dev/v1alpha1', 'TraceCollector', 'default', 'fin-1')!;
      api.put({ ...current, metadata: { ...current.metadata, finalizers: ['other.io/keep', 'third.io/x'] } });
      api.resetRequestCounts();
      const updated = await addFinalizer(client, RESOURCES.tracecollectors, stale, TRACE_COLLECTOR_FINALIZER);
      assert.deepEqual(updated.metadata?.finalizers, ['other.io/keep', 'third.io/x', TRACE_COLLECTOR_FINALIZER]);
      assert.equal(api.requestCounts()['patch tracecollectors'], 2, 'first patch rejected with 409, second applied');
      assert.equal(api.requestCounts()['get tracecollectors'], 1);
      const removed = await removeFinalizer(client, RESOURCES.tracecollectors, updated, TRACE_COLLECTOR_FINALIZER);
      assert.deepEqual(removed?.metadata?.finalizers, ['other.io/keep', 'third.io/x']);
    });
  });

  describe('leader election', () => {
    function elector(name: string, token: string, lease: string, timings: { lease: number; renew: number; retry: number }, log: string[]): LeaderElector {
      const e = new LeaderElector({
        client: clientWithToken(token),
        namespace: 'kspan-system',
        name: lease,
        identity: name,
        leaseDurationSeconds: timings.lease,
        renewDeadlineSeconds: timings.renew,
        retryPeriodSeconds: timings.retry,
        onStartedLeading: () => log.push(`${name} started`),
        onStoppedLeading: () => log.push(`${name} stopped`),
      });
      stops.push(() => e.stop());
      return e;
    }

    it('fails over when the leader cannot renew any more', async () => {
      const log: string[] = [];
      const tokenA = api.createToken('replica-a');
      const fast = { lease: 2, renew: 1.5, retry: 0.2 };
      const a = elector('a', tokenA, 'failover', fast, log);
      a.start();
      await until(() => a.isLeader, 5000, 'a leads');
      const b = elector('b', api.createToken('replica-b'), 'failover', fast, log);
      b.start();
      await until(() => b.leader === 'a', 5000, 'b sees a');
      api.forbid({ token: tokenA, resource: 'leases' }); // a stops renewing
      await until(() => b.isLeader, 8000, 'b takes over');
      assert.equal(a.isLeader, false);
      assert.deepEqual(log, ['a started', 'a stopped', 'b started']);
      const lease = api.get('coordination.k8s.io/v1', 'Lease', 'kspan-system', 'failover') as unknown as { spec: { holderIdentity: string; leaseTransitions: number } };
      assert.equal(lease.spec.holderIdentity, 'b');
      assert.equal(lease.spec.leaseTransitions, 1);
    });

    it('releases the lease on stop so that a standby takes over without waiting for expiry', async () => {
      const log: string[] = [];
      // a 60 s lease: only a release lets the standby in within this test's timeout
      const slow = { lease: 60, renew: 40, retry: 0.2 };
      const a = elector('a', api.createToken('rel-a'), 'release', slow, log);
      a.start();
      await until(() => a.isLeader, 5000, 'a leads');
      const b = elector('b', api.createToken('rel-b'), 'release', slow, log);
      b.start();
      await until(() => b.leader === 'a', 5000, 'b sees a');
      await a.stop();
      await until(() => b.isLeader, 5000, 'b takes over after release');
      assert.deepEqual(log, ['a started', 'a stopped', 'b started']);
    });
  });

  describe('object caches', () => {
    it('serve owner lookups with zero GETs in the steady state', async () => {
      api.put({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-1', namespace: 'shop', generation: 1 }, spec: { replicas: 1 } });
      api.put(pod('web-1-a', 'shop', { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'x', controller: true }] }));
      const source = new ClusterSource({ client });
      stops.push(() => source.stop());
      const held = source.retainObjects('shop');
      stops.push(() => held.unsubscribe());
      assert.equal(await source.cache.waitForSync(), true);
      api.resetRequestCounts();
      for (let i = 0; i < 50; i++) {
        assert.equal(source.lookup.get({ kind: 'Pod', namespace: 'shop', name: 'web-1-a' })?.metadata.ownerReferences?.[0]?.name, 'web-1');
        assert.equal(source.lookup.get({ kind: 'ReplicaSet', namespace: 'shop', name: 'web-1' })?.kind, 'ReplicaSet');
        assert.equal(source.lookup.get({ kind: 'Pod', namespace: 'shop', name: `nope-${i}` }), undefined);
      }
      api.put(pod('web-1-b', 'shop'));
      api.remove('v1', 'Pod', 'shop', 'web-1-a');
      await until(() => source.lookup.get({ kind: 'Pod', namespace: 'shop', name: 'web-1-b' }) !== undefined);
      await until(() => source.cache.stats().deleted === 1);
      assert.ok(source.lookup.get({ kind: 'Pod', namespace: 'shop', name: 'web-1-a' }), 'deleted pod still resolvable');
      // top-level kinds keep spec (root attribution) but not status; previous generations are kept
      const deployment = (replicas: number, generation: number): Record<string, unknown> => ({
        apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop', generation },
        spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
        status: { replicas },
      });
      api.put(deployment(1, 1));
      api.put(deployment(3, 2));
      const ref = { kind: 'Deployment', namespace: 'shop', name: 'web' };
      await until(() => source.lookup.get(ref)?.metadata.generation === 2);
      assert.equal((source.lookup.get(ref)?.spec as { replicas: number }).replicas, 3);
      assert.equal((source.lookup.get(ref) as unknown as Record<string, unknown>)['status'], undefined);
      assert.equal((source.lookup.previousGeneration?.(ref, 2)?.spec as { replicas: number }).replicas, 1);
      const gets = Object.entries(api.requestCounts()).filter(([k]) => k.startsWith('get ') || k.startsWith('list '));
      assert.deepEqual(gets, [], 'no GET or LIST in the steady state');
      assert.equal(source.cache.stats().gets, 0);
    });

    it('share one events watch between two subscribers of a namespace', async () => {
      const source = new ClusterSource({ client });
      stops.push(() => source.stop());
      api.resetRequestCounts();
      const got: string[][] = [[], []];
      const subs = [0, 1].map((i) => source.watchEvents('share', { onObject: (e) => got[i]!.push(e.metadata.name) }));
      stops.push(() => subs.forEach((s) => s.unsubscribe()));
      await until(() => (api.requestCounts()['watch events'] ?? 0) === 1);
      api.put({ apiVersion: 'v1', kind: 'Event', metadata: { name: 'e1', namespace: 'share' }, involvedObject: { kind: 'Pod', name: 'p', namespace: 'share' }, reason: 'Started' });
      await until(() => got[0]!.length === 1 && got[1]!.length === 1);
      assert.equal(api.requestCounts()['list events'], 1);
      assert.equal(api.requestCounts()['watch events'], 1);
    });
  });
});
