import assert from 'node:assert/strict';
import { sameTime, Workload, type Step } from '../../bench/support/workload.js';
import type { KubeJson } from '../../bench/support/kube-objects.js';

const key = (kind: string, namespace: string | undefined, name: string) => `${kind}/${namespace ?? ''}/${name}`;

function take(workload: Workload, count: number): Array<{ step: Step; object?: KubeJson }> {
  const stream = workload.stream(0);
  const out: Array<{ step: Step; object?: KubeJson }> = [];
  for (let i = 0; i < count; i++) {
    const step = stream.next();
    out.push(step.op === 'put' ? { step, object: step.build(sameTime) } : { step });
  }
  return out;
}

// Pod lifecycle order: a reason may only follow reasons of a lower or equal rank.
const POD_RANK: Record<string, number> = { SuccessfulCreate: 0, Scheduled: 1, Pulling: 2, Pulled: 3, Created: 4, Started: 5, SuccessfulDelete: 6, Killing: 7 };

describe('bench workload generator', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = take(new Workload({ seed: 7 }), 400).map((s) => JSON.stringify(s.object ?? s.step));
    const b = take(new Workload({ seed: 7 }), 400).map((s) => JSON.stringify(s.object ?? s.step));
    const c = take(new Workload({ seed: 8 }), 400).map((s) => JSON.stringify(s.object ?? s.step));
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  it('streams objects and events in causal order with intact references', () => {
    // A slow stream (few scenarios at once) so that a few thousand steps cover whole lifecycles.
    const workload = new Workload({ seed: 3, namespaces: 5, baseRate: 100 });
    const steps = take(workload, 4000);
    const live = new Map<string, KubeJson>();
    const podStage = new Map<string, number>();
    const announcedReplicaSets = new Set<string>();
    const reasons = new Map<string, number>();
    let lastAt = -Infinity;
    const liveUid = (kind: string, namespace: string, name: string) => live.get(key(kind, namespace, name))?.metadata.uid;

    for (const { step, object } of steps) {
      assert.ok(step.at >= lastAt, 'steps come in time order');
      lastAt = step.at;
      if (step.op === 'delete') {
        const k = key(step.kind, step.namespace, step.name);
        const gone = live.get(k);
        assert.ok(gone, `delete of a live object ${k}`);
        for (const o of live.values()) {
          for (const ref of (o.metadata['ownerReferences'] ?? []) as Array<{ uid: string }>) {
            assert.notEqual(ref.uid, gone.metadata.uid, `${k} deleted before its dependent ${o.metadata.name}`);
          }
        }
        live.delete(k);
        continue;
      }
      assert.ok(object);
      const ns = object.metadata.namespace ?? '';
      if (object.kind !== 'Event') {
        const previous = live.get(key(object.kind, ns, object.metadata.name));
        if (previous) assert.equal(object.metadata.uid, previous.metadata.uid, 'an update keeps the uid');
        for (const ref of (object.metadata['ownerReferences'] ?? []) as Array<{ kind: string; name: string; uid: string; controller: boolean }>) {
          assert.equal(liveUid(ref.kind, ns, ref.name), ref.uid, `owner ${ref.kind} ${ref.name} of ${object.metadata.name} exists`);
          assert.equal(ref.controller, true);
        }
        if (typeof object.metadata['generation'] === 'number' && previous) {
          assert.ok(object.metadata['generation'] >= Number(previous.metadata['generation']), 'generations never go back');
        }
        assert.ok(Array.isArray(object.metadata['managedFields']) && object.metadata['managedFields'].length > 0, 'objects carry managedFields');
        live.set(key(object.kind, ns, object.metadata.name), object);
        continue;
      }

      // Events
      const inv = object['involvedObject'] as { kind: string; name: string; namespace: string; uid: string };
      const reason = String(object['reason']);
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      assert.equal(liveUid(inv.kind, inv.namespace, inv.name), inv.uid, `${reason} on a live ${inv.kind} ${inv.name}`);
      assert.ok(object.metadata.name.startsWith(`${inv.name}.`));
      const message = String(object['message']);
      if (reason === 'Scheduled') {
        assert.equal(object['source']?.component, undefined, 'scheduler events carry no source.component');
        assert.equal(object['reportingComponent'], 'default-scheduler');
        assert.match(String(object['eventTime']), /\.\d{6}Z$/);
        assert.equal(object['lastTimestamp'], null);
      } else {
        assert.match(String(object['lastTimestamp']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        assert.ok(object['source']?.component);
      }
      const named = /^(?:Created|Deleted) pod: (\S+)$/.exec(message)?.[1];
      if (named) {
        const p = live.get(key('Pod', inv.namespace, named));
        assert.ok(p, `${message} names a live Pod`);
        assert.equal((p.metadata['ownerReferences'] as Array<{ uid: string }>)[0]?.uid, inv.uid, 'the Pod is owned by the reporting object');
        if (inv.kind === 'ReplicaSet' && reason === 'SuccessfulCreate') assert.ok(announcedReplicaSets.has(inv.uid), 'ReplicaSet scaled up before it creates Pods');
      }
      const scaled = /^Scaled (?:up|down) replica set (\S+) from \d+ to \d+$/.exec(message)?.[1];
      if (scaled) {
        const rs = live.get(key('ReplicaSet', inv.namespace, scaled));
        assert.ok(rs, `${message} names a live ReplicaSet`);
        assert.equal((rs.metadata['ownerReferences'] as Array<{ uid: string }>)[0]?.uid, inv.uid);
        announcedReplicaSets.add(rs.metadata.uid);
      }
      const podName = inv.kind === 'Pod' ? inv.name : named;
      const rank = POD_RANK[reason];
      if (podName && rank !== undefined) {
        const k = key('Pod', inv.namespace, podName);
        const stage = podStage.get(k) ?? -1;
        assert.ok(rank >= stage, `${reason} on ${podName} after stage ${stage}`);
        if (reason === 'Killing') assert.ok(stage >= POD_RANK['Started']!, 'only started Pods are killed');
        podStage.set(k, rank);
      }
    }
    for (const reason of ['ScalingReplicaSet', 'SuccessfulCreate', 'Scheduled', 'Pulling', 'Pulled', 'Created', 'Started', 'Killing', 'SuccessfulDelete', 'Completed']) {
      assert.ok((reasons.get(reason) ?? 0) > 0, `the workload has ${reason} events`);
    }
  });

  it('builds a population at rest whose owners are all present', () => {
    const objects = [...new Workload({ seed: 5 }).population(600, Date.parse('2026-11-22T00:00:00Z'))];
    assert.ok(objects.length >= 600 && objects.length < 620);
    const uids = new Set(objects.map((o) => o.metadata.uid));
    assert.equal(uids.size, objects.length, 'uids are unique');
    for (const o of objects) {
      for (const ref of (o.metadata['ownerReferences'] ?? []) as Array<{ uid: string }>) assert.ok(uids.has(ref.uid), `owner of ${o.metadata.name}`);
    }
    const kinds = new Set(objects.map((o) => o.kind));
    assert.deepEqual([...kinds].sort(), ['Deployment', 'Job', 'Pod', 'ReplicaSet']);
  });
});
