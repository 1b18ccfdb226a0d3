/**
 * Root attribution (docs/design.md §5.6) against managedFields the test apiserver wrote through
 * its HTTP API, as a real one would: which manager made each generation of a Deployment.
 */
import assert from 'node:assert/strict';
import { ObjectProjector } from '../../src/engine/projection.js';
import { attributeChange } from '../../src/engine/root-attribution.js';
import type { KubeObject } from '../../src/engine/types.js';
import { startKubeApiServer, type KubeApiTestServer } from '../support/kube-api-server/index.js';
import { call } from '../kube-api-server/http.js';

const DEPLOYMENTS = '/apis/apps/v1/namespaces/default/deployments';
const SMP = { 'Content-Type': 'application/strategic-merge-patch+json' };
const MERGE = { 'Content-Type': 'application/merge-patch+json' };
const KCM = 'kube-controller-manager/v1.33.0 (linux/amd64) kubernetes/abc/system:serviceaccount:kube-system:deployment-controller';

describe('root attribution of managedFields written by the test apiserver', () => {
  let api: KubeApiTestServer;
  let now = Date.parse('2026-03-10T14:00:00Z');

  beforeEach(async () => {
    api = await startKubeApiServer({ loadCrds: false, now: () => now });
  });
  afterEach(() => api.close());

  it('names the manager of each generation: create, image change, scale, apply; status writes change nothing', async () => {
    /** The last version seen of each generation, as the engine sees it (projected, like the object caches do). */
    const projector = new ObjectProjector();
    const generations = new Map<number, KubeObject>();
    const seen = (o: KubeObject) => generations.set(Number(o.metadata.generation), projector.project(o)!);
    const attribute = (gen: number) => attributeChange(generations.get(gen)!, generations.get(gen - 1));
    const status = async (replicas: number) => {
      const current = (await call(api, 'GET', `${DEPLOYMENTS}/web`)).body;
      const res = await call(api, 'PUT', `${DEPLOYMENTS}/web/status`, { ...current, status: { observedGeneration: current.metadata.generation, replicas, updatedReplicas: replicas } }, { 'User-Agent': KCM });
      assert.equal(res.status, 200);
      seen(res.body as KubeObject);
    };

    const created = await call(api, 'POST', `${DEPLOYMENTS}?fieldManager=kubectl-client-side-apply`, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'web:1' }] } } },
    });
    seen(created.body as KubeObject);
    now += 10_000;
    await status(1);

    now += 50_000;
    const image = await call(api, 'PATCH', `${DEPLOYMENTS}/web?fieldManager=kubectl-set`, { spec: { template: { spec: { containers: [{ name: 'web', image: 'web:2' }] } } } }, SMP);
    seen(image.body as KubeObject);
    now += 5_000;
    await status(1);

    now += 60_000;
    const scaled = await call(api, 'PATCH', `${DEPLOYMENTS}/web/scale?fieldManager=kubectl-scale`, { spec: { replicas: 4 } }, MERGE);
    assert.equal(scaled.status, 200);
    seen((await call(api, 'GET', `${DEPLOYMENTS}/web`)).body as KubeObject);
    now += 5_000;
    await status(4);

    now += 60_000;
    // kubectl apply again: the last-applied diff is the replicas kubectl-scale owns now
    const reapplied = await call(api, 'PATCH', `${DEPLOYMENTS}/web?fieldManager=kubectl-client-side-apply`, { spec: { replicas: 2 } }, SMP);
    seen(reapplied.body as KubeObject);
    now += 5_000;
    await status(2);

    assert.deepEqual([...generations.keys()], [1, 2, 3, 4]);
    assert.deepEqual(attribute(1), { manager: 'kubectl-client-side-apply', operation: 'Update', time: Date.parse('2026-03-10T14:00:00Z') });
    assert.deepEqual(attribute(2), { manager: 'kubectl-set', operation: 'Update', time: Date.parse('2026-03-10T14:01:00Z') });
    assert.deepEqual(attribute(3), { manager: 'kubectl-scale', operation: 'Update', subresource: 'scale' }, 'a scale through the subresource has no time');
    assert.deepEqual(attribute(4), { manager: 'kubectl-client-side-apply', operation: 'Update', time: Date.parse('2026-03-10T14:03:10Z') });

    const last = generations.get(4)!;
    const entries = (last.metadata.managedFields ?? []).map((e) => [e.manager, e.subresource, e.time]);
    assert.deepEqual(entries, [
      // kubectl-scale's only field went back to kubectl-client-side-apply: its entry is gone
      ['kubectl-set', undefined, '2026-03-10T14:01:00Z'],
      ['kubectl-client-side-apply', undefined, '2026-03-10T14:03:10Z'],
      ['kube-controller-manager', 'status', '2026-03-10T14:03:15Z'],
    ]);
  });
});
