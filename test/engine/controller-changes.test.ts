/**
 * Issue #27 on the status captures of test/fixtures/status (written by
 * test/support/rollout-scenarios.ts; their trees are compared line for line in
 * status-goldens.test.ts): a CronJob's runs and an autoscaler's rescale start traces of their own
 * (docs/design.md §5.12), generations link to the previous one, the W3C trace context a CI step
 * set on the manifest becomes a link or the parent of the change's root (§5.13), and a Killing of a
 * Pod never seen goes under the action that deleted it (§5.5).
 */

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { engineConfigFromSpec } from '../../src/engine/config.js';
import type { EngineConfig, SpanRecord } from '../../src/engine/types.js';
import { parseCapture, type CaptureRecord } from '../../src/replay/capture.js';
import { replay, type ReplayResult } from '../../src/replay/replay.js';
import { CI_TRACEPARENT, CI_TRACEPARENT_2, MALFORMED_TRACEPARENT, statusFixturesDir } from '../support/rollout-scenarios.js';

function records(name: string): CaptureRecord[] {
  const file = path.join(statusFixturesDir, `${name}.ndjson`);
  return [...parseCapture(readFileSync(file, 'utf8'), file)];
}

const message = (s: SpanRecord): string => String(s.attributes['k8s.event.message'] ?? '');
const describe_ = (s: SpanRecord | undefined): string => (s === undefined ? '-' : `${s.name} ${message(s)}`.trim());

function parents(spans: readonly SpanRecord[]): (s: SpanRecord) => SpanRecord | undefined {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  return (s) => (s.parentSpanId === undefined ? undefined : byId.get(s.parentSpanId));
}

/** (span, parent) pairs with the run's name numbers taken out, so that two runs compare. */
function runShape(spans: readonly SpanRecord[], traceId: string): string[] {
  const parent = parents(spans);
  const anonymous = (text: string): string => text.replace(/report-\d+(-\w+)?/g, 'report-N').replace(/to worker-\d/, 'to worker-M').replace(/in [\d.]+s \([\d.]+s/, 'in Ts (Ts');
  return spans.filter((s) => s.traceId === traceId).map((s) => anonymous(`${describe_(s)} <- ${describe_(parent(s))}`)).sort();
}

function roots(spans: readonly SpanRecord[]): SpanRecord[] {
  return spans.filter((s) => s.parentSpanId === undefined).sort((a, b) => a.startTime - b.startTime);
}

describe('issue #27: one trace per change, joined to the change that caused it', () => {
  const config = engineConfigFromSpec({});

  describe('a CronJob that runs every minute (cronjob-runs)', () => {
    const capture = records('cronjob-runs');
    const spans = replay(capture, config).spans;

    it('each run is a trace of its own, rooted at the cronjob-controller creating its Job; the CronJob creation trace is not used', () => {
      const runs = roots(spans).filter((s) => s.name === 'CronJob.SuccessfulCreate');
      assert.deepEqual(runs.map(message), ['Created job report-29604000', 'Created job report-29604001']);
      assert.equal(runs[0]!.service.name, 'cronjob-controller');
      assert.notEqual(runs[0]!.traceId, runs[1]!.traceId);
      assert.deepEqual(spans.filter((s) => s.name === 'CronJob.Update'), []);
      for (const run of runs) {
        const inRun = spans.filter((s) => s.traceId === run.traceId);
        const job = message(run).replace('Created job ', '');
        assert.ok(inRun.some((s) => s.name === 'Job.Completed' && s.attributes['k8s.job.name'] === job), `${job} completes in its run's trace`);
        assert.ok(inRun.some((s) => s.name === 'Pod.Started' && String(s.attributes['k8s.pod.name']).startsWith(job)), `${job}'s Pod is in its run's trace`);
      }
    });

    it('the completion events arrived in both orders, and both runs have the same tree', () => {
      const order = (job: string): string[] => spans.filter((s) => (s.name === 'Job.Completed' && s.attributes['k8s.job.name'] === job) || (s.name === 'CronJob.SawCompletedJob' && message(s).includes(job))).sort((a, b) => a.sequence - b.sequence).map((s) => s.name);
      assert.deepEqual(order('report-29604000'), ['CronJob.SawCompletedJob', 'Job.Completed']);
      assert.deepEqual(order('report-29604001'), ['Job.Completed', 'CronJob.SawCompletedJob']);
      const [first, second] = roots(spans).filter((s) => s.name === 'CronJob.SuccessfulCreate');
      assert.deepEqual(runShape(spans, first!.traceId), runShape(spans, second!.traceId));
      const parent = parents(spans);
      for (const s of spans.filter((x) => x.name === 'Job.Completed' || x.name === 'CronJob.SawCompletedJob')) assert.equal(parent(s)?.name, 'CronJob.SuccessfulCreate', describe_(s));
    });

    it('swapping the two completion events of each run changes no parent', () => {
      const swapped = [...capture];
      for (const job of ['report-29604000', 'report-29604001']) {
        const i = swapped.findIndex((r) => r.kind === 'event' && r.object.reason === 'Completed' && r.object.involvedObject.name === job);
        const j = swapped.findIndex((r) => r.kind === 'event' && r.object.reason === 'SawCompletedJob' && String(r.object.message).includes(job));
        const [a, b] = [swapped[i]!, swapped[j]!];
        swapped[i] = { ...b, at: a.at };
        swapped[j] = { ...a, at: b.at };
      }
      const again = replay(swapped, config).spans;
      const before = new Map(spans.map((s) => [s.spanId, s.parentSpanId]));
      assert.equal(again.length, spans.length);
      for (const s of again) assert.equal(s.parentSpanId, before.get(s.spanId), describe_(s));
    });
  });

  describe('an autoscaler rescale (hpa-rescale)', () => {
    const spans = replay(records('hpa-rescale'), config).spans;

    it('roots the new generation at the rescale, named for the HPA, with the rollout inside', () => {
      const [root, ...others] = roots(spans);
      assert.deepEqual(others, []);
      assert.equal(root!.name, 'HorizontalPodAutoscaler.SuccessfulRescale');
      assert.equal(root!.service.name, 'horizontal-pod-autoscaler');
      assert.equal(root!.attributes['k8s.horizontalpodautoscaler.name'], 'api');
      assert.match(message(root!), /^New size: 4; reason: cpu resource utilization/);
      assert.ok(spans.every((s) => s.traceId === root!.traceId));
      const parent = parents(spans);
      const complete = spans.find((s) => s.name === 'Deployment.RolloutComplete');
      assert.equal(parent(complete!), root);
      assert.equal(describe_(parent(spans.find((s) => s.name === 'Deployment.ScalingReplicaSet')!)), describe_(root));
      assert.deepEqual(spans.filter((s) => s.service.name === 'kube-controller-manager' && s.name === 'Deployment.Update'), []);
    });
  });

  describe('a Deployment whose manifest carries a traceparent (deployment-traceparent)', () => {
    const capture = records('deployment-traceparent');
    const rootsOf = (result: ReplayResult): SpanRecord[] => result.spans.filter((s) => s.name === 'Deployment.Update').sort((a, b) => a.startTime - b.startTime);
    const ctx = (tp: string): { traceId: string; spanId: string } => ({ traceId: tp.split('-')[1]!, spanId: tp.split('-')[2]! });
    const linked = replay(capture, config);

    it('link mode: a trigger link where the generation set or changed it; a previous-generation link on each later generation', () => {
      const [g1, g2, g3, g4] = rootsOf(linked);
      assert.deepEqual(rootsOf(linked).map((r) => r.attributes['k8s.object.generation']), [1, 2, 3, 4]);
      const prev = (r: SpanRecord) => ({ traceId: r.traceId, spanId: r.spanId, attributes: { 'kspan.link.type': 'previous_generation' } });
      assert.deepEqual(g1!.links, [{ ...ctx(CI_TRACEPARENT), attributes: { 'kspan.link.type': 'trigger' } }]);
      assert.deepEqual(g2!.links, [prev(g1!)], 'kubectl set image left the annotation as it was: not this change\'s');
      assert.deepEqual(g3!.links, [prev(g2!)], 'a malformed traceparent is ignored');
      assert.deepEqual(g4!.links, [prev(g3!), { ...ctx(CI_TRACEPARENT_2), traceState: 'ci=run-4812', attributes: { 'kspan.link.type': 'trigger' } }]);
      assert.equal(g2!.service.name, 'kubectl-set');
      for (const r of [g1, g2, g3, g4]) assert.equal(r!.parentSpanId, undefined);
      assert.equal(new Set(rootsOf(linked).map((r) => r.traceId)).size, 4, 'four traces, each its own');
      assert.ok(linked.spans.filter((s) => s.parentSpanId !== undefined && s.name !== 'Deployment.Update').every((s) => s.links === undefined), 'only roots carry links');
    });

    it('a malformed value is counted and reported once for the object', () => {
      assert.equal(linked.stats.traceContextsInvalid, 1);
      assert.equal(linked.traceContextNotices.length, 1);
      const [notice] = linked.traceContextNotices;
      assert.deepEqual([notice!.kind, notice!.namespace, notice!.name, notice!.generation, notice!.annotation, notice!.value], ['Deployment', 'shop', 'cart', 3, 'tracing.k8s.io/traceparent', MALFORMED_TRACEPARENT]);
    });

    it('parent mode: the root of a generation the CI step changed is a child of its span, in its trace', () => {
      const parentConfig: EngineConfig = engineConfigFromSpec({ correlation: { traceContext: 'parent' } });
      const result = replay(capture, parentConfig);
      const [g1, g2, g3, g4] = rootsOf(result);
      assert.deepEqual([g1!.traceId, g1!.parentSpanId], [ctx(CI_TRACEPARENT).traceId, ctx(CI_TRACEPARENT).spanId]);
      assert.deepEqual([g4!.traceId, g4!.parentSpanId], [ctx(CI_TRACEPARENT_2).traceId, ctx(CI_TRACEPARENT_2).spanId]);
      assert.equal(g4!.links?.length, 1, 'only the previous generation is linked');
      const before = rootsOf(linked);
      assert.deepEqual([g2!.traceId, g3!.traceId, g2!.parentSpanId], [before[1]!.traceId, before[2]!.traceId, undefined]);
      assert.equal(g1!.spanId, before[0]!.spanId, 'the span id is still ours');
      // the whole change is in the caller's trace, the same tree as in link mode
      const traceOf = new Map(linked.spans.map((s) => [s.spanId, s.traceId]));
      const inG1 = result.spans.filter((s) => traceOf.get(s.spanId) === before[0]!.traceId);
      assert.ok(inG1.length > 10);
      assert.ok(inG1.every((s) => s.traceId === ctx(CI_TRACEPARENT).traceId));
    });

    it('the keys are configurable, in order, and a key the object lacks is skipped', () => {
      const other = replay(capture, engineConfigFromSpec({ correlation: { traceContextAnnotations: ['tekton.dev/deliveryTraceparent'] } }));
      assert.ok(rootsOf(other).every((r) => !(r.links ?? []).some((l) => l.attributes['kspan.link.type'] === 'trigger')));
      const both = replay(capture, engineConfigFromSpec({ correlation: { traceContextAnnotations: ['tekton.dev/deliveryTraceparent', 'tracing.k8s.io/traceparent'] } }));
      assert.deepEqual(rootsOf(both).map((r) => r.links), rootsOf(linked).map((r) => r.links));
    });
  });

  describe('a Killing of a Pod never seen (deployment-scale without the deleted Pods\' objects)', () => {
    const capture = records('deployment-scale');
    const deleted = capture.filter((r) => r.kind === 'event' && r.object.reason === 'SuccessfulDelete').map((r) => String((r as Extract<CaptureRecord, { kind: 'event' }>).object.message).replace('Deleted pod: ', ''));
    const unseen = capture.filter((r) => !(r.kind === 'object' && r.object.kind === 'Pod' && deleted.includes(r.object.metadata.name)));

    /** The capture with each deleted Pod's Killing received just before, or just after, its Deleted pod. */
    function killingAround(before: boolean): CaptureRecord[] {
      const out = [...unseen];
      for (const pod of deleted) {
        const k = out.findIndex((r) => r.kind === 'event' && r.object.reason === 'Killing' && r.object.involvedObject.name === pod);
        const [killing] = out.splice(k, 1);
        const d = out.findIndex((r) => r.kind === 'event' && r.object.message === `Deleted pod: ${pod}`);
        out.splice(before ? d : d + 1, 0, { ...killing!, at: out[d]!.at + (before ? -0.001 : 0.001) });
      }
      return out;
    }

    for (const before of [true, false]) {
      it(`goes under the Deleted pod that named it, received ${before ? 'before' : 'after'} it`, () => {
        assert.equal(deleted.length, 3);
        const result = replay(killingAround(before), config);
        const parent = parents(result.spans);
        for (const pod of deleted) {
          const killing = result.spans.find((s) => s.name === 'Pod.Killing' && s.attributes['k8s.pod.name'] === pod);
          assert.equal(describe_(parent(killing!)), `ReplicaSet.SuccessfulDelete Deleted pod: ${pod}`);
        }
        assert.equal(result.stats.eventsUnresolved, 0);
      });
    }
  });
});
