/**
 * docs/design.md §4.8 end to end: operators killed and restarted in the middle of a rollout, and
 * what reaches the OTLP receiver compared, span for span, with a run that was not interrupted.
 */
import assert from 'node:assert/strict';
import type { ReceivedSpan } from '../support/otlp-receiver/index.js';
import { EVENTS_ONLY, receivedTree, sleep, startEnv, waitFor, waitForCondition, type Env, type Operator } from './harness.js';
import { Workload } from './workload.js';

const NS = 'shop';
const SEED = 2412;
/** ms between a controller's steps: a rollout of 3 Pods takes a few seconds, long enough to be cut */
const STEP_MS = 150;
/** checkpoints (docs/design.md §4.8): the default, said so that these tests keep testing them */
const CHECKPOINTS = ['--checkpoint-interval-seconds', '1'];
const LEADER_FLAGS = [...CHECKPOINTS, '--leader-elect', '--leader-election-namespace', 'kspan-system', '--lease-duration-seconds', '2', '--lease-renew-deadline-seconds', '1.5', '--lease-retry-period-seconds', '0.3'];

const COLLECTOR = (env: Env) => ({
  namespaces: [NS],
  exporter: { endpoint: env.receiver.endpoint, insecure: true },
  correlation: { recentWindowSeconds: 1 },
  spans: EVENTS_ONLY,
});

interface Outcome {
  tree: string[];
  events: number;
  /** span ids received more than once */
  duplicated: string[];
  /** Events in the API with no span at the receiver */
  lost: string[];
}

/** What the receiver got for the namespace, once every Event there has its span and nothing more came for a while. */
async function outcome(env: Env): Promise<Outcome> {
  const eventUids = () => env.api.list('v1', 'Event', NS).map((e) => String(e.metadata['uid']));
  const spans = (): ReceivedSpan[] => env.receiver.spans().filter((s) => s.attributes['k8s.namespace.name'] === NS || s.parentSpanId === '');
  await waitFor('a span for every Event', () => {
    const seen = new Set(spans().map((s) => s.attributes['k8s.event.uid']));
    return eventUids().every((uid) => seen.has(uid));
  }, 40_000);
  // Quiet: no more spans for a while (held ones released, nothing sent twice after the rest).
  for (let count = -1; count !== env.receiver.spans().length; ) {
    count = env.receiver.spans().length;
    await sleep(2500);
  }
  const all = spans();
  const counts = new Map<string, number>();
  for (const s of all) counts.set(s.spanId, (counts.get(s.spanId) ?? 0) + 1);
  const seen = new Set(all.map((s) => s.attributes['k8s.event.uid']));
  const unique = [...new Map(all.map((s) => [s.spanId, s])).values()];
  return {
    tree: receivedTree(unique),
    events: eventUids().length,
    duplicated: [...counts].filter(([, n]) => n > 1).map(([id]) => id),
    lost: eventUids().filter((uid) => !seen.has(uid)),
  };
}

/**
 * A Deployment of 3 created, then `kubectl set image`; `during` runs 1 s into the rollout, while it
 * goes on. The old Pods stay Terminating for the default grace period of 30 s (an app that does not
 * handle SIGTERM), so that a continuation lists them as a new leader on a real cluster would.
 */
async function rollout(env: Env, during: () => Promise<void>): Promise<void> {
  await env.kubectl.createNamespace(NS);
  const workload = new Workload(env.api, env.kubectl, NS, 'web', { stepMs: STEP_MS, seed: SEED, graceMs: 30_000 });
  try {
    await workload.create(3);
    await sleep(1500);
    const update = workload.updateImage();
    await sleep(1000);
    await during();
    await update;
  } finally {
    workload.stop();
  }
}

/** The TraceCollector of these tests, applied and Ready. */
async function collectorReady(env: Env): Promise<void> {
  await env.kubectl.applyTraceCollector('kspan-system', 'tc', COLLECTOR(env));
  await waitForCondition(env.kubectl, 'kspan-system', 'tc', 'Ready', (c) => c.status === 'True');
}

let reference: Outcome | undefined;

/** The same rollout with one operator that nobody interrupts. */
async function uninterrupted(): Promise<Outcome> {
  if (reference) return reference;
  const env = await startEnv();
  try {
    await env.startOperator(CHECKPOINTS);
    await collectorReady(env);
    await rollout(env, async () => {});
    reference = await outcome(env);
    return reference;
  } finally {
    await env.close();
  }
}

function assertSameAsUninterrupted(got: Outcome, want: Outcome): void {
  assert.deepEqual(got.lost, [], 'no Event without its span');
  assert.deepEqual(got.duplicated, [], 'no span received twice');
  assert.equal(got.events, want.events);
  assert.deepEqual(got.tree, want.tree, 'the same spans under the same parents as without the interruption');
}

describe('e2e: continuation from a checkpoint', function () {
  this.timeout(180_000);
  let env: Env | undefined;
  afterEach(async () => {
    await env?.close();
    env = undefined;
  });

  it('the leader SIGKILLed in the middle of a rollout: the standby continues, every Event is one span, the tree is the same', async () => {
    const want = await uninterrupted();
    env = await startEnv();
    const a = await env.startOperator(LEADER_FLAGS, { env: { POD_NAME: 'kspan-a' } });
    const b = await env.startOperator(LEADER_FLAGS, { env: { POD_NAME: 'kspan-b' } });
    const leads = (op: Operator) => op.hasLog((l) => l.msg === 'became leader');
    const leader = await waitFor('a leader', () => (leads(a) ? a : leads(b) ? b : undefined));
    const standby = leader === a ? b : a;
    await collectorReady(env);
    await rollout(env, async () => {
      await leader.kill();
    });
    await waitFor('the standby to continue', () => standby.logs.find((l) => l.msg === 'continued from the checkpoint'), 20_000);
    const got = await outcome(env);
    assertSameAsUninterrupted(got, want);
    const continued = standby.logs.find((l) => l.msg === 'continued from the checkpoint')!;
    assert.ok(Number(continued['eventsReplayed']) > 0, 'the standby replayed the listed Events');
    assert.ok(Number(continued['spansSuppressed']) > 0, 'and did not export again what the leader had');
    assert.equal(await standby.terminate(), 0);
  });

  it('a single replica SIGKILLed and restarted 10 s later: the same', async () => {
    const want = await uninterrupted();
    env = await startEnv();
    const first = await env.startOperator(CHECKPOINTS);
    await collectorReady(env);
    await rollout(env, async () => {
      await first.kill();
    });
    await sleep(10_000);
    const second = await env.startOperator(CHECKPOINTS);
    assertSameAsUninterrupted(await outcome(env), want);
    assert.ok(second.hasLog((l) => l.msg === 'continued from the checkpoint'));
    assert.equal(await second.terminate(), 0);
  });

  it('SIGTERM then a restart: what the engine held is handed over, the same tree', async () => {
    const want = await uninterrupted();
    env = await startEnv();
    const first = await env.startOperator(CHECKPOINTS);
    await collectorReady(env);
    await rollout(env, async () => {
      assert.equal(await first.terminate(), 0);
    });
    const tc = await env.kubectl.getTraceCollector('kspan-system', 'tc');
    assert.ok((tc?.status as { checkpoint?: { writtenAt?: string } } | undefined)?.checkpoint?.writtenAt, 'the last checkpoint is in the status');
    const second = await env.startOperator(CHECKPOINTS);
    assertSameAsUninterrupted(await outcome(env), want);
    assert.equal(await second.terminate(), 0);
  });

  it('a corrupt or removed checkpoint: a clear log line, no crash, and a start without it skips the old events', async () => {
    env = await startEnv();
    const op = await env.startOperator(CHECKPOINTS);
    await collectorReady(env);
    await env.kubectl.createNamespace(NS);
    const workload = new Workload(env.api, env.kubectl, NS, 'web', { seed: SEED });
    await workload.create(1);
    const checkpointed = async () => (await env!.kubectl.getTraceCollector('kspan-system', 'tc'))?.status as { checkpoint?: Record<string, string> } | undefined;
    await waitFor('a checkpoint', async () => (await checkpointed())?.checkpoint?.writtenAt);
    // What the schema lets through but is no checkpoint: ids that are not 8 bytes each.
    const corrupt = { watermark: new Date().toISOString(), exportedAfter: 'AAAA', unexported: '', writtenAt: new Date().toISOString() };
    await env.kubectl.request('PATCH', '/apis/kspan.dev/v1alpha1/namespaces/kspan-system/tracecollectors/tc/status', { status: { checkpoint: corrupt } }, 'application/merge-patch+json');
    await waitFor('the running operator says so', () => op.hasLog((l) => l.msg.startsWith('status.checkpoint was changed into something unusable') && String(l['problem']).includes('exportedAfter')));
    await env.kubectl.request('PATCH', '/apis/kspan.dev/v1alpha1/namespaces/kspan-system/tracecollectors/tc/status', { status: { checkpoint: null } }, 'application/merge-patch+json');
    await waitFor('and of a removed one', () => op.hasLog((l) => l.msg.startsWith('status.checkpoint was removed')));
    assert.equal(op.exitCode, undefined, 'still running');
    const exported = env.receiver.spans().length;
    await op.kill();

    // Corrupt while nobody runs: the next start says so and does what it did without checkpoints.
    await env.kubectl.request('PATCH', '/apis/kspan.dev/v1alpha1/namespaces/kspan-system/tracecollectors/tc/status', { status: { checkpoint: corrupt } }, 'application/merge-patch+json');
    await sleep(1500); // past the recent window: the Events so far are history
    const next = await env.startOperator(CHECKPOINTS);
    await waitFor('the unusable checkpoint said', () => next.hasLog((l) => l.msg.startsWith('status.checkpoint is unusable')));
    await waitForCondition(env.kubectl, 'kspan-system', 'tc', 'Ready', (c) => c.status === 'True');
    await workload.scale(2);
    await waitFor('spans of the scale', () => env!.receiver.spans().some((s) => String(s.attributes['k8s.event.message'] ?? '').includes('to 2 from 1')));
    await sleep(1500);
    const eventsBefore = new Set(env.receiver.spans().slice(0, exported).map((s) => s.attributes['k8s.event.uid']));
    const again = env.receiver.spans().slice(exported).filter((s) => eventsBefore.has(s.attributes['k8s.event.uid']));
    assert.deepEqual(again.map((s) => s.name), [], 'no event before the restart was exported again');
    assert.ok(!next.hasLog((l) => l.msg === 'continued from the checkpoint'));
    assert.equal(await next.terminate(), 0);
  });
});
