import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CaptureRecorder, parseDuration } from '../../src/commands/capture.js';
import { KubeApiError } from '../../src/kube/errors.js';
import type { ResourceType } from '../../src/kube/resources.js';
import { CLI, startEnv, waitFor, type Env } from './harness.js';

describe('e2e: kspan capture', function () {
  this.timeout(30_000);
  let env: Env;
  before(async () => {
    env = await startEnv();
    await env.kubectl.createNamespace('shop');
  });
  after(async () => {
    await env?.close();
  });

  it('parses durations', () => {
    assert.equal(parseDuration('90s'), 90_000);
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration('1500ms'), 1500);
    assert.equal(parseDuration('2'), 2000);
    assert.throws(() => parseDuration('soon'), /--duration/);
  });

  it('records each object version once, skips what it cannot or must not read', async () => {
    const objects: Record<string, { metadata: Record<string, unknown> }> = {
      'Pod/p': { metadata: { name: 'p', namespace: 'ns', resourceVersion: '1', ownerReferences: [{ kind: 'ReplicaSet', name: 'gone' }] } },
    };
    const gets: string[] = [];
    const client = {
      get: async (type: ResourceType, key: { name: string }) => {
        gets.push(`${type.kind}/${key.name}`);
        const obj = objects[`${type.kind}/${key.name}`];
        if (!obj) throw new KubeApiError({ statusCode: 404, reason: 'NotFound', message: 'not found', verb: 'get', resource: type.plural });
        return obj as never;
      },
    };
    const records: Array<{ kind: string; object: unknown }> = [];
    const recorder = new CaptureRecorder(client, { write: (r) => records.push(r) }, () => 0);
    const event = (name: string, kind: string, obj: string) => ({ metadata: { name, namespace: 'ns' }, involvedObject: { kind, name: obj, namespace: 'ns' } });
    recorder.onEvent(event('e1', 'Pod', 'p'));
    recorder.onEvent(event('e2', 'Pod', 'p'));
    recorder.onEvent(event('e3', 'Secret', 's'));
    recorder.onEvent(event('e4', 'Node', 'n'));
    await recorder.drain();
    assert.deepEqual(records.map((r) => r.kind), ['object', 'event', 'event', 'event', 'event']);
    assert.ok(!gets.some((g) => g.startsWith('Secret') || g.startsWith('Node')), 'never reads Secrets or kinds it does not record');
    assert.equal(recorder.objects, 1);
    assert.equal(recorder.events, 4);
  });

  it('records new events of the chosen namespaces with their objects and owners, owners first', async () => {
    const api = env.api;
    const owner = (kind: string, name: string, uid: string) => [{ apiVersion: 'apps/v1', kind, name, uid, controller: true }];
    api.put({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop', uid: 'd1', generation: 2 }, spec: { replicas: 1 } });
    api.put({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-1', namespace: 'shop', uid: 'r1', ownerReferences: owner('Deployment', 'web', 'd1') }, spec: {} });
    api.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1-a', namespace: 'shop', uid: 'p1', ownerReferences: owner('ReplicaSet', 'web-1', 'r1') }, spec: {} });
    const event = (name: string, namespace: string, kind: string, objName: string, reason: string) => ({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace, uid: `uid-${name}` },
      involvedObject: { kind, namespace, name: objName },
      reason,
      message: reason,
      source: { component: 'kubelet' },
      lastTimestamp: new Date().toISOString(),
      type: 'Normal',
    });
    api.put(event('old', 'shop', 'Pod', 'web-1-a', 'Pulled')); // before the capture: not recorded

    const output = join(env.dir, 'capture.ndjson');
    const child = spawn(process.execPath, [CLI, 'capture', '--kubeconfig', env.kubeconfig, '-n', 'shop', '--duration', '2s', '--output', output], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await waitFor('the capture to start', () => stderr.includes('recording events'), 10_000);
    await new Promise((r) => setTimeout(r, 300));
    api.put(event('started', 'shop', 'Pod', 'web-1-a', 'Started'));
    api.put(event('elsewhere', 'default', 'Pod', 'x', 'Started')); // another namespace: not recorded
    api.put(event('scaled', 'shop', 'Deployment', 'web', 'ScalingReplicaSet'));
    assert.equal(await exited, 0, stderr);

    const records = readFileSync(output, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { at: string; kind: string; object: { kind?: string; metadata?: { name?: string } } });
    const summary = records.map((r) => `${r.kind} ${r.object.kind ?? ''} ${r.object.metadata?.name ?? ''}`.trim());
    assert.deepEqual(summary, [
      'object Deployment web',
      'object ReplicaSet web-1',
      'object Pod web-1-a',
      'event Event started',
      'event Event scaled',
      'flush',
    ]);
    assert.ok(records.every((r) => !Number.isNaN(Date.parse(r.at))));
    assert.match(stderr, /2 events, 3 objects/);

    // What was captured replays.
    const replay = spawn(process.execPath, [CLI, 'replay', output, '--output', 'tree'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let tree = '';
    replay.stdout.on('data', (c: Buffer) => (tree += c.toString()));
    assert.equal(await new Promise<number | null>((resolve) => replay.on('exit', resolve)), 0);
    assert.match(tree, /kubelet Pod\.Started/);
    assert.match(tree, /kubelet Deployment\.ScalingReplicaSet/);
  });
});
