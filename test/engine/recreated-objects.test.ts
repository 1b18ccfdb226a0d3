/**
 * A StatefulSet's rolling update deletes a Pod and makes it again under the same name, with a new
 * uid (docs/design.md §5.4): what was recorded for the old Pod is no parent for the new one's
 * events, nor the new Pod's creation for the old one's.
 */

import assert from 'node:assert/strict';
import type { KubeEvent, KubeObject } from '../../src/engine/types.js';
import { ev, harness, obj, sec, specEntry, type Harness } from './builders.js';

const OLD = 'uid-redis-1-old';
const NEW = 'uid-redis-1-new';

function pod(uid: string, deleting = false): KubeObject {
  const p = obj('Pod', 'redis-1', { owner: ['StatefulSet', 'redis'], uid });
  if (deleting) p.metadata.deletionTimestamp = sec(38);
  return p;
}

const controller = (verb: 'create' | 'delete', last: number): KubeEvent =>
  ev('StatefulSet', 'redis', { component: 'statefulset-controller', reason: verb === 'create' ? 'SuccessfulCreate' : 'SuccessfulDelete', message: `${verb} Pod redis-1 in StatefulSet redis successful`, last });

/** An event of the Pod incarnation `uid`. */
function ofPod(uid: string, e: KubeEvent): KubeEvent {
  e.involvedObject.uid = uid;
  return e;
}

const scheduled = (): KubeEvent => ofPod(NEW, ev('Pod', 'redis-1', { reporting: 'default-scheduler', reason: 'Scheduled', message: 'Successfully assigned default/redis-1 to worker-2', last: 9 }));

/** A rollout of generation 2 is under way: redis-1 deleted, its kubelet stopping it. */
function deleted(): Harness {
  const h = harness();
  h.put(obj('StatefulSet', 'redis', { gen: 2, managedFields: [specEntry('kubectl-set', sec(0))] }), pod(OLD, true));
  h.add(controller('delete', 8), 8.1);
  h.add(ofPod(OLD, ev('Pod', 'redis-1', { reason: 'Killing', message: 'Stopping container redis', host: 'worker-2', last: 8 })), 8.2);
  return h;
}

const parentMessage = (h: Harness, message: string): unknown => h.parentOf(message)?.attributes['k8s.event.message'];

describe('engine: an object made again under its name (5.4)', () => {
  it("the new Pod's Scheduled, arriving before its create, waits for it rather than joining the old Pod's deletion", () => {
    const h = deleted();
    h.arrive(pod(NEW), 9.9);
    h.add(scheduled(), 9.95);
    h.add(controller('create', 9), 9.96);
    h.flush(30);
    assert.equal(parentMessage(h, 'Stopping container redis'), 'delete Pod redis-1 in StatefulSet redis successful');
    assert.equal(parentMessage(h, 'Successfully assigned default/redis-1 to worker-2'), 'create Pod redis-1 in StatefulSet redis successful');
  });

  it('a create received while the lookup still has the terminating old Pod is the new Pod\'s all the same', () => {
    const h = deleted();
    h.add(controller('create', 9), 9.8);
    h.arrive(pod(NEW), 9.9);
    h.add(scheduled(), 9.95);
    h.flush(30);
    assert.equal(parentMessage(h, 'Successfully assigned default/redis-1 to worker-2'), 'create Pod redis-1 in StatefulSet redis successful');
  });

  it("a late event of the old Pod does not join the new Pod's create", () => {
    const h = deleted();
    h.arrive(pod(NEW), 9.9);
    h.add(controller('create', 9), 9.95);
    h.add(ofPod(OLD, ev('Pod', 'redis-1', { reason: 'Unhealthy', message: 'Readiness probe failed', type: 'Warning', host: 'worker-2', last: 9 })), 10);
    h.add(scheduled(), 10.1);
    h.flush(30);
    assert.equal(parentMessage(h, 'Successfully assigned default/redis-1 to worker-2'), 'create Pod redis-1 in StatefulSet redis successful');
    assert.notEqual(parentMessage(h, 'Readiness probe failed'), 'create Pod redis-1 in StatefulSet redis successful');
  });

  it("a held span of the old Pod, placed under the rollout's root, does not move under the new Pod's create", () => {
    const h = harness();
    h.put(obj('StatefulSet', 'redis', { gen: 2, managedFields: [specEntry('kubectl-set', sec(0))] }), pod(OLD), obj('Pod', 'redis-2', { owner: ['StatefulSet', 'redis'] }));
    h.add(ev('StatefulSet', 'redis', { component: 'statefulset-controller', reason: 'SuccessfulDelete', message: 'delete Pod redis-2 in StatefulSet redis successful', last: 1 }), 1);
    h.tick(7); // the rollout's root, made by the give-up walk
    // redis-1 deleted by hand (no controller Event): its readiness probe fails while it stops
    h.add(ofPod(OLD, ev('Pod', 'redis-1', { reason: 'Unhealthy', message: 'Readiness probe failed', type: 'Warning', host: 'worker-2', last: 8 })), 8);
    h.arrive(pod(NEW), 9.9);
    h.add(controller('create', 9), 9.95);
    h.add(scheduled(), 10);
    h.flush(30);
    const root = h.parentOf('delete Pod redis-2 in StatefulSet redis successful')!;
    assert.equal(root.parentSpanId, undefined);
    assert.equal(h.parentOf('Readiness probe failed')?.spanId, root.spanId);
    assert.equal(parentMessage(h, 'Successfully assigned default/redis-1 to worker-2'), 'create Pod redis-1 in StatefulSet redis successful');
  });
});
