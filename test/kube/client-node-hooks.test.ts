import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const HOOKS = fileURLToPath(new URL('../../src/kube/client-node-hooks.ts', import.meta.url));
const KUBECONFIG = fileURLToPath(new URL('../../src/kube/kubeconfig.ts', import.meta.url));
const HTTP_CLIENT = fileURLToPath(new URL('../../src/kube/http-client.ts', import.meta.url));
const CLIENT_NODE = fileURLToPath(new URL('../../src/kube/client-node.ts', import.meta.url));

interface Loaded {
  generatedApiModules: number;
  clientNodeModules: number;
  authorization: string | null;
}

/**
 * In a fresh process (hooks are per process): loads a kubeconfig and authenticates a request the
 * way HttpKubeClient does, counting the client-node modules loaded and those of its generated
 * API clients and models.
 */
function load(withHook: boolean): Loaded {
  const script = `
    import { registerHooks } from 'node:module';
    import { writeFileSync, mkdtempSync } from 'node:fs';
    import { tmpdir } from 'node:os';
    import { join } from 'node:path';
    const { leaveOutClientNodeApis } = await import(${JSON.stringify(HOOKS)});
    if (${withHook}) leaveOutClientNodeApis();
    const urls = [];
    registerHooks({ load(url, context, next) { urls.push(url); return next(url, context); } });
    const { loadKubeConfig } = await import(${JSON.stringify(KUBECONFIG)});
    await import(${JSON.stringify(HTTP_CLIENT)});
    const { RequestContext, HttpMethod } = await import(${JSON.stringify(CLIENT_NODE)});
    const path = join(mkdtempSync(join(tmpdir(), 'kspan-kc-')), 'config');
    writeFileSync(path, JSON.stringify({ apiVersion: 'v1', kind: 'Config', 'current-context': 'x',
      clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:6443' } }],
      users: [{ name: 'u', user: { token: 'secret-token' } }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }] }));
    const kc = loadKubeConfig(path);
    const request = new RequestContext('https://127.0.0.1:6443/api', HttpMethod.GET);
    await kc.applySecurityAuthentication(request);
    const ours = urls.filter((u) => u.includes('/@kubernetes/client-node/'));
    console.log(JSON.stringify({
      generatedApiModules: ours.filter((u) => /\\/gen\\/(apis|models|types)\\//.test(u)).length,
      clientNodeModules: ours.length,
      authorization: request.getHeaders()['Authorization'] ?? null,
    }));
  `;
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout.trim().split('\n').pop()!) as Loaded;
}

describe('kube/client-node-hooks', function () {
  this.timeout(120_000);

  it('KubeConfig loads and authenticates without the generated API clients and models', () => {
    const slim = load(true);
    assert.equal(slim.authorization, 'Bearer secret-token');
    assert.equal(slim.generatedApiModules, 0);
    assert.ok(slim.clientNodeModules > 0);
  });

  it('without the hook the same code loads them (what the hook saves)', () => {
    const whole = load(false);
    assert.equal(whole.authorization, 'Bearer secret-token');
    assert.ok(whole.generatedApiModules > 100, `${whole.generatedApiModules} generated modules`);
  });
});
