// §5.9: the same tree whether a ReplicaSet's new version reaches the lookup before or after the Scaled event that reports it.
import assert from 'node:assert/strict';
import { ev, harness, obj, sec, specEntry, type Harness } from './builders.js';

const RS = 'web-5d4f8c7b9';
const OLD = 'web-7c6b5a498';
const scaled = (rs: string, message: string, last: number) => ev('Deployment', 'web', { component: 'deployment-controller', reason: 'ScalingReplicaSet', message: `Scaled ${message.replace('%', `replica set ${rs}`)}`, last });
const createdPod = (pod: string, last: number) => ev('ReplicaSet', RS, { component: 'replicaset-controller', reason: 'SuccessfulCreate', message: `Created pod: ${pod}`, last });
const deletedPod = (pod: string, last: number) => ev('ReplicaSet', OLD, { component: 'replicaset-controller', reason: 'SuccessfulDelete', message: `Deleted pod: ${pod}`, last });
const deployment = (gen: number) => obj('Deployment', 'web', { gen, managedFields: [specEntry('kubectl-client-side-apply', sec(0))] });
const replicaSet = (name: string, gen: number) => obj('ReplicaSet', name, { gen, owner: ['Deployment', 'web'] });
const pod = (rs: string, name: string) => obj('Pod', name, { owner: ['ReplicaSet', rs] });

/** Parent message (or root name) of every span, by its own message. */
function parents(h: Harness): Record<string, string> {
  const byId = new Map(h.spans.map((s) => [s.spanId, s]));
  const out: Record<string, string> = {};
  for (const s of h.spans) {
    const parent = s.parentSpanId === undefined ? undefined : byId.get(s.parentSpanId);
    out[String(s.attributes['k8s.event.message'] ?? s.name)] = parent === undefined ? '(root)' : String(parent.attributes['k8s.event.message'] ?? parent.name);
  }
  return out;
}

/**
 * A Deployment made with one replica, then scaled to 2: the ReplicaSet's generation 2 arrives
 * `rsLate` (before the scale's Event, between it and the Created pod, or after both).
 */
function scaleUp(rsLate: 'before' | 'between' | 'after', message2 = `up % to 2 from 1`): Harness {
  const h = harness();
  h.arrive(deployment(1), 0);
  h.arrive(replicaSet(RS, 1), 0.001);
  h.add(scaled(RS, 'up % to 1', 0), 0.002);
  h.arrive(pod(RS, `${RS}-aaaaa`), 0.003);
  h.add(createdPod(`${RS}-aaaaa`, 0), 0.004);
  h.tick(10);
  if (rsLate === 'before') h.arrive(replicaSet(RS, 2), 20);
  h.add(scaled(RS, message2, 20), 20.001);
  if (rsLate === 'between') h.arrive(replicaSet(RS, 2), 20.002);
  h.arrive(pod(RS, `${RS}-bbbbb`), 20.003);
  h.add(createdPod(`${RS}-bbbbb`, 20), 20.004);
  if (rsLate === 'after') h.arrive(replicaSet(RS, 2), 20.005);
  h.add(ev('Pod', `${RS}-bbbbb`, { component: 'default-scheduler', reason: 'Scheduled', message: 'scheduled b', last: 20 }), 20.006);
  h.flush(40);
  return h;
}


describe('engine: a Scaled event names the generation its scale made (5.9)', () => {
  it('the Created pod goes under the scale that made it whether the ReplicaSet\'s new version came before or after the Scaled event', () => {
    const live = parents(scaleUp('before'));
    assert.equal(live[`Created pod: ${RS}-bbbbb`], `Scaled up replica set ${RS} to 2 from 1`);
    assert.deepEqual(parents(scaleUp('between')), live);
    assert.deepEqual(parents(scaleUp('after')), live);
  });

  it('without "from" (before v1.26) the lookup\'s generation decides, as before', () => {
    const late = parents(scaleUp('between', 'up % to 2'));
    assert.notEqual(late[`Created pod: ${RS}-bbbbb`], `Scaled up replica set ${RS} to 2`, 'the scale cannot be told from the version it found');
    assert.equal(parents(scaleUp('before', 'up % to 2'))[`Created pod: ${RS}-bbbbb`], `Scaled up replica set ${RS} to 2`);
  });

  it('a chain broken by a missed scale falls back to the lookup\'s generation', () => {
    const h = scaleUp('before', 'up % to 3 from 2'); // the scale to 2 was never seen
    assert.equal(parents(h)[`Created pod: ${RS}-bbbbb`], `Scaled up replica set ${RS} to 3 from 2`);
    assert.notEqual(parents(scaleUp('between', 'up % to 3 from 2'))[`Created pod: ${RS}-bbbbb`], `Scaled up replica set ${RS} to 3 from 2`);
  });

  it('a ReplicaSet made by its Scaled up event: its first version may come after the event and its Pods', () => {
    const order = (rsFirst: boolean): Record<string, string> => {
      const h = harness();
      h.arrive(deployment(1), 0);
      if (rsFirst) h.arrive(replicaSet(RS, 1), 0.001);
      h.add(scaled(RS, 'up % to 1', 0), 0.002);
      h.arrive(pod(RS, `${RS}-aaaaa`), 0.003);
      h.add(createdPod(`${RS}-aaaaa`, 0), 0.004);
      if (!rsFirst) h.arrive(replicaSet(RS, 1), 0.005);
      h.tick(10);
      h.arrive(replicaSet(RS, 2), 20);
      h.add(scaled(RS, 'up % to 2 from 1', 20), 20.001);
      h.arrive(pod(RS, `${RS}-bbbbb`), 20.003);
      h.add(createdPod(`${RS}-bbbbb`, 20), 20.004);
      h.flush(40);
      return parents(h);
    };
    const live = order(true);
    assert.equal(live[`Created pod: ${RS}-aaaaa`], `Scaled up replica set ${RS} to 1`);
    assert.equal(live[`Created pod: ${RS}-bbbbb`], `Scaled up replica set ${RS} to 2 from 1`);
    assert.deepEqual(order(false), live);
  });

  it('a Deleted pod goes under the scale-down that removed it whether the old ReplicaSet\'s version came before or after it', () => {
    const order = (rsLate: boolean): Record<string, string> => {
      const h = harness();
      h.arrive(deployment(2), 0);
      h.arrive(replicaSet(OLD, 1), 0);
      h.arrive(pod(OLD, `${OLD}-xxxxx`), 0);
      h.arrive(replicaSet(RS, 1), 0.001);
      h.add(scaled(OLD, 'up % to 2', 0), 0.0015); // from the first rollout, long before
      h.add(ev('ReplicaSet', OLD, { component: 'replicaset-controller', reason: 'SuccessfulCreate', message: `Created pod: ${OLD}-xxxxx`, last: 0 }), 0.0017);
      h.tick(10);
      h.add(scaled(RS, 'up % to 1', 20), 20.002);
      if (!rsLate) h.arrive(replicaSet(OLD, 2), 20.003);
      h.add(scaled(OLD, 'down % to 1 from 2', 20), 20.004);
      h.add(deletedPod(`${OLD}-xxxxx`, 20), 20.005);
      if (rsLate) h.arrive(replicaSet(OLD, 2), 20.006);
      h.flush(40);
      return parents(h);
    };
    const live = order(false);
    assert.equal(live[`Deleted pod: ${OLD}-xxxxx`], `Scaled down replica set ${OLD} to 1 from 2`);
    assert.deepEqual(order(true), live);
  });

  it('a Created pod that comes before its Scaled event and after the new version still waits for it', () => {
    const h = harness();
    h.arrive(deployment(1), 0);
    h.arrive(replicaSet(RS, 1), 0.001);
    h.add(scaled(RS, 'up % to 1', 0), 0.002);
    h.tick(10);
    h.arrive(replicaSet(RS, 2), 20);
    h.arrive(pod(RS, `${RS}-bbbbb`), 20.001);
    h.add(createdPod(`${RS}-bbbbb`, 20), 20.002);
    assert.equal(h.correlator.stats().pendingEvents, 1, 'the scale to 1 does not take it');
    h.add(scaled(RS, 'up % to 2 from 1', 20), 20.003);
    assert.equal(h.correlator.stats().pendingEvents, 0);
    h.flush(40);
    assert.equal(parents(h)[`Created pod: ${RS}-bbbbb`], `Scaled up replica set ${RS} to 2 from 1`);
  });
});
