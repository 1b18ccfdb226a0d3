/** The operator's list+watch against the server's list counts: the watch cache first, a consistent read only after a list's 410. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKubeClient } from '../../src/kube/http-client.js';
import { ListWatch } from '../../src/kube/list-watch.js';
import { RESOURCES } from '../../src/kube/resources.js';
import { until } from '../kube/fakes.js';
import { startKubeApiServer, type KubeApiTestServer } from '../support/kube-api-server/index.js';

describe('list sources of the operator\'s list+watch', () => {
  let api: KubeApiTestServer;
  let dir: string;
  const stops: Array<() => Promise<void> | void> = [];

  beforeEach(async () => {
    api = await startKubeApiServer({ loadCrds: false, bookmarkIntervalMs: 50 });
    dir = mkdtempSync(join(tmpdir(), 'kspan-lists-'));
    for (const n of ['a', 'b']) api.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: n, namespace: 'default' } });
  });
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = () => {
    const path = join(dir, 'kubeconfig');
    api.writeKubeconfig(path);
    const lw = new ListWatch({ client: createKubeClient(path), resource: RESOURCES.pods, namespace: 'default', backoff: { initialMs: 20, maxMs: 100 }, minWatchDurationMs: 0 });
    lw.start();
    stops.push(() => lw.stop());
    return lw;
  };

  it('lists from the cache (resourceVersion 0), relists after a watch 410 from the cache too', async () => {
    const lw = start();
    await lw.waitForSync();
    await until(() => (api.requestCounts()['watch pods'] ?? 0) > 0);
    api.dropWatches(true);
    api.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'c', namespace: 'default' } });
    api.compact();
    await until(() => api.listStats().log.length === 2, 5000, 'a relist');
    const log = api.listStats().log;
    assert.deepEqual(log.map((r) => [r.source, r.resourceVersion, r.resourceVersionMatch]), [
      ['cache', '0', undefined],
      ['cache', log[1]!.resourceVersion, 'NotOlderThan'],
    ]);
    assert.equal(api.listStats().consistentLists, 0);
  });

  it('reads consistently only after a list answered 410', async () => {
    api.failRequests({ status: 410, verb: 'list', resource: 'pods', count: 1 });
    const lw = start();
    await lw.waitForSync();
    assert.deepEqual(api.listStats().log.map((r) => [r.source, r.code]), [['cache', 410], ['consistent', 200]]);
  });
});
