/** The cluster's uid (k8s.cluster.uid) as read from the API test server, and each way the read fails. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubeconfigYaml, startKubeApiServer, type KubeApiTestServer } from '../support/kube-api-server/index.js';
import { readClusterUid } from '../../src/kube/cluster-identity.js';
import { createKubeClient } from '../../src/kube/http-client.js';

describe('readClusterUid', function () {
  this.timeout(20_000);
  let dir: string;
  const servers: KubeApiTestServer[] = [];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kspan-cluster-uid-'));
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  async function server(namespaces?: string[]): Promise<KubeApiTestServer> {
    const api = await startKubeApiServer({ loadCrds: false, ...(namespaces ? { namespaces } : {}) });
    servers.push(api);
    return api;
  }

  function client(api: KubeApiTestServer, token?: string) {
    const path = join(dir, `kubeconfig-${servers.indexOf(api)}-${token ?? 'admin'}`);
    api.writeKubeconfig(path, token);
    return createKubeClient(path);
  }

  it('is the uid of the kube-system Namespace', async () => {
    const api = await server();
    const uid = api.get('v1', 'Namespace', undefined, 'kube-system')?.metadata['uid'];
    assert.equal(typeof uid, 'string');
    assert.deepEqual(await readClusterUid(client(api)), { uid });
    assert.equal(api.requestCounts()['get namespaces'], 1, 'one GET');
  });

  it('names the missing permission on a 403', async () => {
    const api = await server();
    const token = api.createToken('kspan');
    api.forbid({ token, verb: 'get', resource: 'namespaces' });
    assert.deepEqual(await readClusterUid(client(api, token)), { problem: 'forbidden to get namespaces "kube-system" (RBAC: grant get on namespaces)' });
  });

  it('says so when the cluster has no kube-system Namespace', async () => {
    const api = await server(['default']);
    assert.deepEqual(await readClusterUid(client(api)), { problem: 'the cluster has no kube-system Namespace' });
  });

  it('gives up on an API server that does not answer', async () => {
    // Accepts connections and never answers, as behind a black-holed route.
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as { port: number };
      const path = join(dir, 'kubeconfig-silent');
      writeFileSync(path, kubeconfigYaml(`http://127.0.0.1:${port}`, 'token'));
      const started = Date.now();
      assert.deepEqual(await readClusterUid(createKubeClient(path), 300), { problem: 'no answer to get namespaces "kube-system" within 300 ms' });
      assert.ok(Date.now() - started < 5000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('reports a connection failure in one line', async () => {
    const path = join(dir, 'kubeconfig-dead');
    writeFileSync(path, kubeconfigYaml('http://127.0.0.1:1', 'token'));
    const result = await readClusterUid(createKubeClient(path));
    assert.ok('problem' in result);
    assert.match(result.problem, /^cannot read the kube-system Namespace: get namespaces: /);
    assert.doesNotMatch(result.problem, /\n/);
  });
});
