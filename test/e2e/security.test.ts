import assert from 'node:assert/strict';
import { join } from 'node:path';
import { podEvent, spansIn, startEnv, waitFor, waitForCondition, type Env } from './harness.js';

describe('e2e: multi-tenancy lockdown and missing permissions', function () {
  this.timeout(60_000);
  let env: Env;

  before(async () => {
    env = await startEnv();
    for (const ns of ['tenant-a', 'tenant-b', 'restricted']) await env.kubectl.createNamespace(ns);
  });
  after(async () => {
    await env?.close();
  });

  it('manages only --watch-namespaces, refuses other namespaces with --no-cross-namespace-refs and turns a 403 into a Forbidden condition, without affecting other collectors', async () => {
    // The operator's service account may not list or watch events in "restricted".
    const token = env.api.createToken('kspan-operator');
    env.api.forbid({ token, verb: 'list', resource: 'events', namespace: 'restricted' });
    env.api.forbid({ token, verb: 'watch', resource: 'events', namespace: 'restricted' });
    const kubeconfig = join(env.dir, 'kubeconfig-operator');
    env.api.writeKubeconfig(kubeconfig, token);
    const op = await env.startOperator(['--no-cross-namespace-refs', '--watch-namespaces', 'tenant-a,restricted'], { kubeconfig });
    const exporter = { endpoint: env.receiver.endpoint, insecure: true };
    const correlation = { recentWindowSeconds: 1 };

    await env.kubectl.applyTraceCollector('tenant-a', 'peek', { namespaces: ['tenant-a', 'tenant-b'], exporter, correlation });
    await env.kubectl.applyTraceCollector('tenant-a', 'all', { namespaces: ['*'], exporter, correlation });
    await env.kubectl.applyTraceCollector('tenant-a', 'own', { exporter, correlation });
    await env.kubectl.applyTraceCollector('restricted', 'tc', { exporter, correlation });
    await env.kubectl.applyTraceCollector('tenant-b', 'unmanaged', { exporter, correlation });

    const peek = await waitForCondition(env.kubectl, 'tenant-a', 'peek', 'Ready', (c) => c.reason === 'NamespaceForbidden');
    assert.equal(peek.condition.status, 'False');
    assert.match(peek.condition.message, /"tenant-b"/);
    assert.match(peek.condition.message, /--no-cross-namespace-refs/);
    const all = await waitForCondition(env.kubectl, 'tenant-a', 'all', 'Ready', (c) => c.reason === 'NamespaceForbidden');
    assert.match(all.condition.message, /all namespaces/);

    const forbidden = await waitForCondition(env.kubectl, 'restricted', 'tc', 'Ready', (c) => c.reason === 'Forbidden');
    assert.equal(forbidden.condition.status, 'False');
    assert.match(forbidden.condition.message, /forbidden to (list|watch) events in namespace "restricted" \(RBAC: grant list, watch on events\)/);

    await waitForCondition(env.kubectl, 'tenant-a', 'own', 'Ready', (c) => c.status === 'True');
    podEvent(env.api, 'tenant-a', 'a1');
    podEvent(env.api, 'tenant-b', 'b1');
    await waitFor('spans of the own namespace', () => spansIn(env.receiver, 'tenant-a').length >= 2);
    assert.equal(spansIn(env.receiver, 'tenant-b').length, 0, 'nothing from the forbidden namespace');
    assert.equal(op.exitCode, undefined, 'the operator keeps running');
    const unmanaged = await env.kubectl.getTraceCollector('tenant-b', 'unmanaged');
    assert.equal(unmanaged?.status, undefined, 'a TraceCollector outside --watch-namespaces is left alone');
    assert.equal(unmanaged?.metadata.finalizers, undefined);
    assert.equal(await op.terminate(), 0);
  });
});
