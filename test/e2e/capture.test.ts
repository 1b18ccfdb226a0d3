import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseDuration } from '../../src/commands/capture.js';
import type { SpanRecord } from '../../src/engine/types.js';
import { parseCapture, readHeader } from '../../src/replay/capture.js';
import { engineSpecOf } from '../../src/replay/header.js';
import { replay } from '../../src/replay/replay.js';
import { engineConfigFromSpec } from '../../src/engine/config.js';
import { CLI, condition, receivedTree, sleep, spansIn, startEnv, waitFor, type Env, FLUSH_ON_STOP } from './harness.js';
import { Workload } from './workload.js';

/** Replayed spans as (span, parent) signatures, in the form receivedTree gives the receiver's. */
export function replayedTree(spans: readonly SpanRecord[]): string[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const sig = (s: SpanRecord) => `${s.service.name} ${s.name} ${String(s.attributes['k8s.event.message'] ?? '')}`.trim();
  return spans
    .map((s) => {
      const parent = s.parentSpanId !== undefined ? byId.get(s.parentSpanId) : undefined;
      return `${sig(s)}  <-  ${s.parentSpanId === undefined ? '(root)' : parent ? sig(parent) : `(missing ${s.parentSpanId})`}`;
    })
    .sort();
}

/** The capture FILE replayed as `kspan replay FILE` would: with its header's settings. */
export function replayFileTree(file: string): { tree: string[]; events: number; bytes: number } {
  const text = readFileSync(file, 'utf8');
  const config = engineConfigFromSpec(engineSpecOf(readHeader(text, file)?.header));
  const records = [...parseCapture(text, file)];
  return { tree: replayedTree(replay(records, config).spans), events: records.filter((r) => r.kind === 'event').length, bytes: statSync(file).size };
}

/** How many of `live`'s (span, parent) pairs `replayed` has too (a multiset intersection). */
export function agreement(live: readonly string[], replayed: readonly string[]): number {
  const left = new Map<string, number>();
  for (const l of replayed) left.set(l, (left.get(l) ?? 0) + 1);
  let same = 0;
  for (const l of live) {
    const n = left.get(l) ?? 0;
    if (n > 0) {
      same++;
      left.set(l, n - 1);
    }
  }
  return same;
}

function startCapture(env: Env, args: string[]): { child: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI, 'capture', '--kubeconfig', env.kubeconfig, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdout!.resume();
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { child, stderr: () => stderr, exited };
}

const WINDOW_SECONDS = 2;

const kubeSystemUid = (env: Env): unknown => env.api.get('v1', 'Namespace', undefined, 'kube-system')?.metadata['uid'];

/** A create of 3 replicas, a rollout and a scale to 5, each given a window and a tick to settle. */
async function createRolloutScale(env: Env, ns: string): Promise<void> {
  const workload = new Workload(env.api, env.kubectl, ns);
  await workload.create(3);
  await sleep(WINDOW_SECONDS * 1000 + 1500);
  await workload.updateImage();
  await sleep(WINDOW_SECONDS * 1000 + 1500);
  await workload.scale(5);
  await sleep(WINDOW_SECONDS * 1000 + 1000);
}

describe('e2e: kspan capture', function () {
  this.timeout(120_000);
  let env: Env;
  before(async () => {
    env = await startEnv();
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

  it('a capture beside the operator over a create, a rollout and a scale replays to the trees the operator made', async () => {
    const ns = 'shop';
    await env.kubectl.createNamespace(ns);
    // Before the capture: not recorded as events, but the objects are listed.
    env.api.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bystander', namespace: ns }, spec: { nodeName: 'node-1' } });
    env.api.put({ apiVersion: 'v1', kind: 'Event', metadata: { name: 'old', namespace: ns }, involvedObject: { kind: 'Pod', namespace: ns, name: 'bystander' }, reason: 'Old', message: 'before', source: { component: 'kubelet' }, lastTimestamp: new Date(Date.now() - 3_600_000).toISOString(), type: 'Normal' });
    const op = await env.startOperator([...FLUSH_ON_STOP]);
    await env.kubectl.applyTraceCollector('kspan-system', 'shop', {
      namespaces: [ns],
      exporter: { endpoint: env.receiver.endpoint, insecure: true },
      correlation: { recentWindowSeconds: WINDOW_SECONDS },
    });
    await waitFor('Ready=True', async () => condition(await env.kubectl.getTraceCollector('kspan-system', ns), 'Ready')?.status === 'True');
    const output = join(env.dir, 'capture.ndjson');
    const capture = startCapture(env, ['-n', ns, '--window', String(WINDOW_SECONDS), '--duration', '120s', '--output', output]);
    await waitFor('the capture to record events', () => capture.stderr().includes('recording events'), 15_000);
    await sleep(300);

    await createRolloutScale(env, ns);

    capture.child.kill('SIGINT');
    assert.equal(await capture.exited, 0, capture.stderr());
    assert.equal(await op.terminate(), 0); // flushes what it still holds
    const live = receivedTree(spansIn(env.receiver, ns));

    const lines = readFileSync(output, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; object: Record<string, unknown> });
    assert.equal(lines[0]?.kind, 'header');
    assert.deepEqual(lines[0]?.object['namespaces'], [ns]);
    assert.deepEqual(lines[0]?.object['cluster'], { uid: kubeSystemUid(env) }, 'which cluster: the uid replay puts on the resource');
    assert.deepEqual(lines[0]?.object['correlation'], { recentWindowSeconds: WINDOW_SECONDS, expireAfterSeconds: 300, maxPendingEvents: 10_000, traceContext: 'link', traceContextAnnotations: ['tracing.k8s.io/traceparent'] });
    assert.equal(lines.at(-1)?.kind, 'flush');
    const firstEvent = lines.findIndex((l) => l.kind === 'event');
    assert.ok(lines.slice(1, firstEvent).some((l) => (l.object['metadata'] as { name?: string }).name === 'bystander'), 'the listed objects come before the first Event');
    assert.ok(!lines.some((l) => l.kind === 'event' && (l.object['metadata'] as { name?: string }).name === 'old'), 'no Event from before the capture');
    assert.ok(lines.every((l) => l.kind !== 'object' || (l.object['status'] === undefined && (l.object['metadata'] as Record<string, unknown>)['labels'] === undefined)), 'objects as the operator projects them');

    const replayed = replayFileTree(output);
    const same = agreement(live, replayed.tree);
    process.stderr.write(`      capture: ${same}/${live.length} spans with the live parent; ${replayed.events} events, ${replayed.bytes} bytes (${Math.round((replayed.bytes / replayed.events) * 1000)} bytes per 1,000 events)\n`);
    assert.ok(live.length >= 60, `a create, a rollout and a scale make many spans (${live.length})`);
    assert.deepEqual(replayed.tree, live);
  });

  it('an operator with --record-dir records what its pipeline fed the engine, and that replays to the trees it made', async () => {
    const ns = 'cart';
    await env.kubectl.createNamespace(ns);
    env.api.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bystander', namespace: ns }, spec: { nodeName: 'node-1' } });
    const dir = join(env.dir, 'recordings');
    const op = await env.startOperator([...FLUSH_ON_STOP, '--record-dir', dir]);
    await env.kubectl.applyTraceCollector('kspan-system', ns, {
      namespaces: [ns],
      exporter: { endpoint: env.receiver.endpoint, insecure: true },
      correlation: { recentWindowSeconds: WINDOW_SECONDS },
      debug: { recordInput: { maxSeconds: 600 } },
    });
    await waitFor('Ready=True', async () => condition(await env.kubectl.getTraceCollector('kspan-system', ns), 'Ready')?.status === 'True');
    await waitFor('the recording to start', () => op.hasLog((l) => l.msg === 'recording the input'));

    await createRolloutScale(env, ns);
    assert.equal(await op.terminate(), 0);
    const live = receivedTree(spansIn(env.receiver, ns));

    const files = readdirSync(dir);
    assert.equal(files.length, 1, files.join(', '));
    assert.match(files[0]!, /^kspan-system_cart_\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z\.ndjson$/);
    const file = join(dir, files[0]!);
    const header = readHeader(readFileSync(file, 'utf8'), file)?.header;
    assert.equal(header?.recorder, 'operator');
    assert.deepEqual(header?.collector, { namespace: 'kspan-system', name: ns });
    assert.equal(header?.correlation?.recentWindowSeconds, WINDOW_SECONDS);
    assert.ok(header?.tickOrigin);
    assert.deepEqual(header?.cluster, { uid: kubeSystemUid(env) });
    const replayed = replayFileTree(file);
    process.stderr.write(`      operator recording: ${agreement(live, replayed.tree)}/${live.length} spans with the live parent; ${replayed.events} events, ${replayed.bytes} bytes\n`);
    assert.deepEqual(replayed.tree, live);
  });

  it('a collector asking for a recording from an operator without --record-dir says so in the log, and still runs', async () => {
    const op = await env.startOperator([...FLUSH_ON_STOP]);
    await env.kubectl.applyTraceCollector('kspan-system', 'norecord', {
      namespaces: ['default'],
      exporter: { endpoint: env.receiver.endpoint, insecure: true },
      debug: { recordInput: {} },
    });
    await waitFor('Ready=True', async () => condition(await env.kubectl.getTraceCollector('kspan-system', 'norecord'), 'Ready')?.status === 'True');
    await waitFor('the warning', () => op.hasLog((l) => l.level === 'warn' && /without --record-dir/.test(l.msg)));
    assert.equal(await op.terminate(), 0);
  });

  it('refuses a recording bound out of range at apply time', async () => {
    await assert.rejects(
      env.kubectl.applyTraceCollector('kspan-system', 'badrecord', { exporter: { endpoint: env.receiver.endpoint, insecure: true }, debug: { recordInput: { maxBytes: 10 } } }),
      (err: unknown) => err instanceof Error && /maxBytes/.test(err.message),
    );
  });
});
