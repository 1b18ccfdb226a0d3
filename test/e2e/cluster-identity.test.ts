import assert from 'node:assert/strict';
import { join } from 'node:path';
import { applyReady, podEvent, spansIn, startEnv, waitFor, type Env } from './harness.js';

// Which cluster a span comes from (docs/design.md §4.6): the operator reads the uid of the
// kube-system Namespace once at start and puts it on every span's resource as k8s.cluster.uid,
// under the collector's resourceAttributes.

describe('e2e: k8s.cluster.uid on every span\'s resource', function () {
  this.timeout(60_000);
  let env: Env;
  let clusterUid: string;

  before(async () => {
    env = await startEnv();
    clusterUid = String(env.api.get('v1', 'Namespace', undefined, 'kube-system')?.metadata['uid']);
    for (const ns of ['fleet-a', 'fleet-b', 'denied']) await env.kubectl.createNamespace(ns);
  });
  after(async () => {
    await env?.close();
  });

  /** The kubelet's span of podEvent's Started event (the Pod's root is another span). */
  const startedIn = (namespace: string) => spansIn(env.receiver, namespace).find((s) => s.name === 'Pod.Started');

  it('carries the kube-system Namespace\'s uid beside k8s.cluster.name, and a uid set in resourceAttributes wins', async () => {
    const op = await env.startOperator();
    const exporter = { endpoint: env.receiver.endpoint, insecure: true };
    const correlation = { recentWindowSeconds: 1 };
    await applyReady(env, 'fleet-a', 'named', { exporter, correlation, resourceAttributes: { 'k8s.cluster.name': 'eu-1' } });
    await applyReady(env, 'fleet-b', 'pinned', { exporter, correlation, resourceAttributes: { 'k8s.cluster.uid': 'pinned-by-the-user' } });
    podEvent(env.api, 'fleet-a', 'a1');
    podEvent(env.api, 'fleet-b', 'b1');
    const a = await waitFor('the span of fleet-a', () => startedIn('fleet-a'));
    const b = await waitFor('the span of fleet-b', () => startedIn('fleet-b'));
    assert.match(clusterUid, /^[0-9a-f-]{36}$/);
    assert.deepEqual(a?.resource, { 'k8s.cluster.uid': clusterUid, 'k8s.cluster.name': 'eu-1', 'service.name': 'kubelet', 'service.instance.id': 'node-1' });
    assert.deepEqual(b?.resource, { 'k8s.cluster.uid': 'pinned-by-the-user', 'service.name': 'kubelet', 'service.instance.id': 'node-1' });
    assert.ok(op.hasLog((l) => l.msg === 'cluster identified' && l['k8s.cluster.uid'] === clusterUid));
    assert.equal(env.api.requestCounts()['get namespaces'], 1, 'read once');
    assert.equal(await op.terminate(), 0);
  });

  it('without the right to get namespaces: one warning naming it, and spans without the attribute', async () => {
    const token = env.api.createToken('kspan-no-namespace-get');
    env.api.forbid({ token, verb: 'get', resource: 'namespaces' });
    const kubeconfig = join(env.dir, 'kubeconfig-no-namespace-get');
    env.api.writeKubeconfig(kubeconfig, token);
    const op = await env.startOperator([], { kubeconfig });
    await applyReady(env, 'denied', 'tc', { exporter: { endpoint: env.receiver.endpoint, insecure: true }, correlation: { recentWindowSeconds: 1 } });
    podEvent(env.api, 'denied', 'd1');
    const span = await waitFor('the span of denied', () => startedIn('denied'));
    assert.deepEqual(span?.resource, { 'service.name': 'kubelet', 'service.instance.id': 'node-1' });
    const warnings = op.logs.filter((l) => l.level === 'warn' && /k8s\.cluster\.uid/.test(l.msg));
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.match(warnings[0]!.msg, /^spans carry no k8s\.cluster\.uid: forbidden to get namespaces "kube-system" \(RBAC: grant get on namespaces\)/);
    assert.equal(op.exitCode, undefined, 'the operator runs on');
    assert.equal(await op.terminate(), 0);
  });
});
