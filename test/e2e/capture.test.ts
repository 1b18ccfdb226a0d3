import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseDuration } from '../../src/commands/capture.js';
import type { SpanRecord } from '../../src/engine/types.js';
import { parseCapture, readHeader } from '../../src/replay/capture.js';
import { engineSpecOf } from '../../src/replay/header.js';
import { replay } from '../../src/replay/replay.js';
import { engineConfigFromSpec } from '../../src/engine/config.js';
import { CLI, condition, receivedTree, sleep, spansIn, startEnv, waitFor, type Env } from './harness.js';
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
    env.api.put({ apiVersion: 'v1', kind: 'Event', metadata: { name: 'old', namespace: ns }, involvedObject: { kind: 'Pod', namespace: ns, name: 'bystander' }, reason: 'Old', message: 'before', source: { component: 'kubelet' }, lastTimestamp: new Date().toISOString(), type: 'Normal' });
    const op = await env.startOperator();
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

    const workload = new Workload(env.api, env.kubectl, ns);
    await workload.create(3);
    await sleep(WINDOW_SECONDS * 1000 + 1500);
    await workload.updateImage();
    await sleep(WINDOW_SECONDS * 1000 + 1500);
    await workload.scale(5);
    await sleep(WINDOW_SECONDS * 1000 + 1000);

    capture.child.kill('SIGINT');
    assert.equal(await capture.exited, 0, capture.stderr());
    assert.equal(await op.terminate(), 0); // flushes what it still holds
    const live = receivedTree(spansIn(env.receiver, ns));

    const lines = readFileSync(output, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; object: Record<string, unknown> });
    assert.equal(lines[0]?.kind, 'header');
    assert.deepEqual(lines[0]?.object['namespaces'], [ns]);
    assert.deepEqual(lines[0]?.object['correlation'], { recentWindowSeconds: WINDOW_SECONDS, expireAfterSeconds: 300, maxPendingEvents: 10_000 });
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
});
