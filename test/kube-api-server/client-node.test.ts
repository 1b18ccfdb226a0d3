/**
 * The test apiserver proven with the client kspan uses: @kubernetes/client-node 2.x against a
 * kubeconfig written by writeKubeconfig().
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  Watch,
  type KubernetesObject,
  type V1Pod,
} from '@kubernetes/client-node';
import { startKubeApiServer, type KubeApiTestServer } from '../support/kube-api-server/index.js';

const GROUP = 'kspan.dev';
const VERSION = 'v1alpha1';
const PLURAL = 'tracecollectors';

function tc(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'TraceCollector',
    metadata: { name, ...extra },
    spec: { exporter: { endpoint: 'otel-collector.observability:4317' } },
  };
}

function pod(name: string, labels: Record<string, string> = {}): V1Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
}

async function rejection(p: Promise<unknown>): Promise<ApiException<unknown>> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApiException, `expected ApiException, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the request to fail');
}

function bodyText(err: ApiException<unknown>): string {
  return typeof err.body === 'string' ? err.body : JSON.stringify(err.body);
}

/** Resolves when `predicate` holds, polling; fails after `ms`. */
async function eventually(predicate: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) assert.fail('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('kube-api-server with @kubernetes/client-node', () => {
  let api: KubeApiTestServer;
  let dir: string;
  let kc: KubeConfig;
  let core: CoreV1Api;
  let custom: CustomObjectsApi;
  const aborts: AbortController[] = [];

  beforeEach(async () => {
    api = await startKubeApiServer({ bookmarkIntervalMs: 50 });
    dir = mkdtempSync(join(tmpdir(), 'kspan-kube-'));
    const path = join(dir, 'kubeconfig');
    api.writeKubeconfig(path);
    kc = new KubeConfig();
    kc.loadFromFile(path);
    core = kc.makeApiClient(CoreV1Api);
    custom = kc.makeApiClient(CustomObjectsApi);
  });

  afterEach(async () => {
    for (const a of aborts.splice(0)) a.abort();
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves CoreV1Api create/get/list with label and field selectors, 404 and 409', async () => {
    await core.createNamespace({ body: { metadata: { name: 'shop' } } });
    const created = await core.createNamespacedPod({ namespace: 'shop', body: pod('web-1', { app: 'web' }) });
    assert.equal(created.metadata?.namespace, 'shop');
    assert.match(created.metadata?.uid ?? '', /^[0-9a-f-]{36}$/);
    await core.createNamespacedPod({ namespace: 'shop', body: pod('db-1', { app: 'db' }) });

    const web = await core.listNamespacedPod({ namespace: 'shop', labelSelector: 'app in (web,api)' });
    assert.deepEqual(web.items.map((p) => p.metadata?.name), ['web-1']);
    const byName = await core.listPodForAllNamespaces({ fieldSelector: 'metadata.name=db-1' });
    assert.deepEqual(byName.items.map((p) => p.metadata?.name), ['db-1']);
    assert.match(web.metadata?.resourceVersion ?? '', /^\d+$/);

    const got = await core.readNamespacedPod({ namespace: 'shop', name: 'web-1' });
    assert.equal(got.spec?.containers[0]?.image, 'nginx');

    const missing = await rejection(core.readNamespacedPod({ namespace: 'shop', name: 'nope' }));
    assert.equal(missing.code, 404);
    assert.match(bodyText(missing), /pods \\?"nope\\?" not found/);
    const dup = await rejection(core.createNamespacedPod({ namespace: 'shop', body: pod('web-1') }));
    assert.equal(dup.code, 409);
    assert.match(bodyText(dup), /AlreadyExists/);
  });

  it('enforces the TraceCollector CRD schema and serves the status subresource through CustomObjectsApi', async () => {
    const bad = await rejection(custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: 'default', plural: PLURAL, body: { ...tc('bad'), spec: { exporter: { compression: 'zstd' } } } }));
    assert.equal(bad.code, 422);
    assert.match(bodyText(bad), /spec\.exporter\.endpoint: Required value/);
    assert.match(bodyText(bad), /spec\.exporter\.compression: Unsupported value: \\"zstd\\"/);

    const created = (await custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: 'default', plural: PLURAL, body: tc('main') })) as KubernetesObject & { spec: { exporter: Record<string, unknown> } };
    assert.equal(created.metadata?.generation, 1);
    assert.equal(created.spec.exporter['compression'], 'none', 'schema defaults are applied');

    const withStatus = (await custom.patchNamespacedCustomObjectStatus(
      { group: GROUP, version: VERSION, namespace: 'default', plural: PLURAL, name: 'main', body: { status: { spansExported: 7 }, spec: { suspend: true } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as KubernetesObject & { spec: { suspend?: boolean }; status: { spansExported: number } };
    assert.equal(withStatus.status.spansExported, 7);
    assert.equal(withStatus.spec.suspend, false, '/status ignores spec');
    assert.equal(withStatus.metadata?.generation, 1, 'status writes do not bump generation');

    const suspended = (await custom.patchNamespacedCustomObject(
      { group: GROUP, version: VERSION, namespace: 'default', plural: PLURAL, name: 'main', body: { spec: { suspend: true }, status: { spansExported: 0 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as KubernetesObject & { spec: { suspend?: boolean }; status: { spansExported: number } };
    assert.equal(suspended.spec.suspend, true);
    assert.equal(suspended.status.spansExported, 7, 'the main resource ignores status');
    assert.equal(suspended.metadata?.generation, 2);

    const stale = { ...created, metadata: { ...created.metadata } };
    const conflict = await rejection(custom.replaceNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: 'default', plural: PLURAL, name: 'main', body: stale }));
    assert.equal(conflict.code, 409);
    assert.match(bodyText(conflict), /the object has been modified/);
  });

  it('resolves resources through discovery for the generic KubernetesObjectApi', async () => {
    const objects = KubernetesObjectApi.makeApiClient(kc);
    const spec = { ...tc('generic'), metadata: { name: 'generic', namespace: 'default' } } as KubernetesObject;
    const created = await objects.create(spec);
    assert.equal(created.metadata?.generation, 1);
    const read = await objects.read({ apiVersion: 'kspan.dev/v1alpha1', kind: 'TraceCollector', metadata: { name: 'generic', namespace: 'default' } });
    assert.equal(read.metadata?.uid, created.metadata?.uid);
    const patched = await objects.patch(
      { apiVersion: 'kspan.dev/v1alpha1', kind: 'TraceCollector', metadata: { name: 'generic', namespace: 'default', labels: { a: 'b' } } },
      undefined, undefined, undefined, undefined, PatchStrategy.MergePatch,
    );
    assert.deepEqual(patched.metadata?.labels, { a: 'b' });
    const list = await objects.list('kspan.dev/v1alpha1', 'TraceCollector', 'default');
    assert.deepEqual(list.items.map((o) => o.metadata?.name), ['generic']);
    await objects.delete(read);
    assert.equal(api.get('kspan.dev/v1alpha1', 'TraceCollector', 'default', 'generic'), undefined);
  });

  it('holds deletion for finalizers and completes it when the last one is removed', async () => {
    await custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: 'default', plural: PLURAL, body: tc('fin', { finalizers: ['kspan.dev/finalizer'] }) });
    await custom.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: 'default', plural: PLURAL, name: 'fin' });
    const deleting = api.get(`${GROUP}/${VERSION}`, 'TraceCollector', 'default', 'fin');
    assert.ok(deleting?.metadata['deletionTimestamp'], 'deletionTimestamp is set');
    const rv = deleting.metadata.resourceVersion ?? '';

    await custom.patchNamespacedCustomObject(
      {
        group: GROUP, version: VERSION, namespace: 'default', plural: PLURAL, name: 'fin',
        body: [{ op: 'test', path: '/metadata/resourceVersion', value: rv }, { op: 'remove', path: '/metadata/finalizers/0' }],
      },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    assert.equal(api.get(`${GROUP}/${VERSION}`, 'TraceCollector', 'default', 'fin'), undefined);
  });

  it('streams watch events from a resourceVersion, with bookmarks, and 410 after compaction', async () => {
    const list = await core.listNamespacedPod({ namespace: 'default' });
    const events: Array<{ type: string; name?: string; rv?: string }> = [];
    const watch = new Watch(kc);
    let ended = false;
    aborts.push(await watch.watch(
      '/api/v1/namespaces/default/pods',
      { resourceVersion: list.metadata?.resourceVersion, allowWatchBookmarks: true },
      (type, obj: KubernetesObject) => events.push({ type, ...(obj.metadata?.name ? { name: obj.metadata.name } : {}), ...(obj.metadata?.resourceVersion ? { rv: obj.metadata.resourceVersion } : {}) }),
      () => { ended = true; },
    ));
    api.put(pod('a') as Record<string, unknown>);
    await core.patchNamespacedPod({ namespace: 'default', name: 'a', body: { metadata: { labels: { x: 'y' } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    await core.deleteNamespacedPod({ namespace: 'default', name: 'a' });
    await eventually(() => events.some((e) => e.type === 'DELETED') && events.some((e) => e.type === 'BOOKMARK'));
    assert.deepEqual(events.filter((e) => e.type !== 'BOOKMARK').map((e) => `${e.type} ${e.name}`), ['ADDED a', 'MODIFIED a', 'DELETED a']);
    const bookmark = events.find((e) => e.type === 'BOOKMARK');
    assert.equal(bookmark?.rv, api.resourceVersion());

    api.dropWatches();
    await eventually(() => ended);

    api.compact();
    let errorStatus: { code?: number; reason?: string } | undefined;
    aborts.push(await watch.watch(
      '/api/v1/namespaces/default/pods',
      { resourceVersion: list.metadata?.resourceVersion },
      (type, obj: { code?: number; reason?: string }) => { if (type === 'ERROR') errorStatus = obj; },
      () => undefined,
    ));
    await eventually(() => errorStatus !== undefined);
    assert.equal(errorStatus?.code, 410);
    assert.equal(errorStatus?.reason, 'Expired');
  });

  it('feeds a client-node informer (list+watch) that survives dropped watches', async () => {
    const informer = makeInformer(kc, '/api/v1/namespaces/default/pods', () => core.listNamespacedPod({ namespace: 'default' }));
    const added: string[] = [];
    informer.on('add', (p: V1Pod) => added.push(p.metadata?.name ?? ''));
    api.put(pod('before') as Record<string, unknown>);
    await informer.start();
    await eventually(() => added.includes('before'));
    api.put(pod('during') as Record<string, unknown>);
    await eventually(() => added.includes('during'));
    api.dropWatches();
    await new Promise((r) => setTimeout(r, 50));
    api.put(pod('after') as Record<string, unknown>);
    await eventually(() => added.includes('after'));
    assert.deepEqual(added, ['before', 'during', 'after']);
    assert.deepEqual(informer.list().map((p) => p.metadata?.name).sort(), ['after', 'before', 'during']);
    await informer.stop();
  });

  it('answers 401 for an unknown token and 403 with the real message for a forbidden one', async () => {
    const path = join(dir, 'limited');
    const token = api.createToken('alice');
    api.forbid({ token, verb: 'list', resource: 'events', namespace: 'payments' });
    api.writeKubeconfig(path, token);
    const limited = new KubeConfig();
    limited.loadFromFile(path);
    const alice = limited.makeApiClient(CoreV1Api);

    await alice.listNamespacedEvent({ namespace: 'shop' });
    const denied = await rejection(alice.listNamespacedEvent({ namespace: 'payments' }));
    assert.equal(denied.code, 403);
    assert.match(bodyText(denied), /events is forbidden: User \\"alice\\" cannot list resource \\"events\\" in API group \\"\\" in the namespace \\"payments\\"/);

    api.writeKubeconfig(path, 'not-a-token');
    const nobody = new KubeConfig();
    nobody.loadFromFile(path);
    const unauth = await rejection(nobody.makeApiClient(CoreV1Api).listNamespace());
    assert.equal(unauth.code, 401);
  });

  it('fails injected requests and counts requests by verb and resource', async () => {
    api.resetRequestCounts();
    api.failRequests({ status: 500, count: 1, verb: 'list', resource: 'pods' });
    const failed = await rejection(core.listNamespacedPod({ namespace: 'default' }));
    assert.equal(failed.code, 500);
    await core.listNamespacedPod({ namespace: 'default' });
    await core.readNamespace({ name: 'default' });
    assert.deepEqual(api.requestCounts(), { 'list pods': 2, 'get namespaces': 1 });
  });
});
