/**
 * A realistic, deterministic (seeded) cluster workload for benchmarks: Deployments rolled out and
 * updated (rolling updates through new ReplicaSets), Jobs running Pods to completion, objects
 * deleted at the end of their life — with the Events their controllers, the scheduler and the
 * kubelet emit, in causal order and with realistic timing jitter:
 *
 *   Deployment created (kubectl-client-side-apply)      ReplicaSet created, then
 *   deployment-controller  ScalingReplicaSet            "Scaled up replica set web-x from 0 to 3"
 *   replicaset-controller  SuccessfulCreate             "Created pod: web-x-abcde"   (Pod created just before)
 *   default-scheduler      Scheduled (eventTime only)   "Successfully assigned ns/web-x-abcde to node-07"
 *   kubelet                Pulling, Pulled, Created, Started
 *   ... rolling update: Scaled up new / Scaled down old / SuccessfulDelete / Killing, Pod deleted
 *   job-controller         SuccessfulCreate, Completed; Job and Pods deleted after their TTL
 *
 * Time: every scenario is generated in *virtual* milliseconds; a step's object is built only when
 * it is played, through a TimeMap from virtual to wall-clock time. The player sets the speed
 * (virtual ms per wall ms) to control the event rate without waiting for scenarios to ramp up.
 */

import { Random } from './random.js';
import {
  CONTAINER,
  coreEvent,
  deployment,
  job,
  namespaceObject,
  pod,
  replicaSet,
  sameTime,
  schedulerEvent,
  type DeploymentState,
  type EventSource,
  type JobState,
  type KubeJson,
  type ObjectId,
  type PodState,
  type ReplicaSetState,
  type TimeMap,
} from './kube-objects.js';

export interface PutStep {
  /** virtual time */
  at: number;
  op: 'put';
  /** an Event (else an object create/update) */
  event: boolean;
  build(T: TimeMap): KubeJson;
}

export interface DeleteStep {
  at: number;
  op: 'delete';
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}

export type Step = PutStep | DeleteStep;

export interface WorkloadOptions {
  /** default 1 */
  seed?: number;
  /** default 50 */
  namespaces?: number;
  /** default 40 */
  nodes?: number;
  /** share of scenarios that are Jobs (default 0.3) */
  jobShare?: number;
  /** Pods per Deployment: 1..maxReplicas (default 4) */
  maxReplicas?: number;
  /** rolling updates per Deployment: 0..maxUpdates (default 2) */
  maxUpdates?: number;
  /** events per virtual second the scenario starts are spaced for (default BASE_RATE) */
  baseRate?: number;
}

const WORDS = ['web', 'api', 'cart', 'checkout', 'search', 'auth', 'billing', 'catalog', 'worker', 'gateway', 'ledger', 'notify', 'report', 'media', 'profile', 'inventory'];
const IMAGES = ['registry.example.com/shop/web', 'registry.example.com/shop/api', 'ghcr.io/acme/worker', 'docker.io/library/nginx', 'quay.io/acme/gateway'];
const TEAMS = ['shop', 'payments', 'search', 'identity', 'data', 'platform', 'media', 'mobile', 'ads', 'growth'];
const DEPLOY_MANAGERS = ['kubectl-client-side-apply', 'kubectl-set', 'flux', 'argocd-controller', 'helm'];

/** Default events per virtual second the scenario starts are spaced for (speed 1 plays this rate). */
export const BASE_RATE = 4000;

export class Workload {
  readonly namespaces: string[];
  readonly nodes: string[];
  readonly baseRate: number;
  private rng: Random;
  /** the population's own generator state, so that the stream is the same with or without one */
  private readonly populationRng: Random;
  private readonly options: Required<WorkloadOptions>;
  private counter = 0;
  private populationCounter = 10_000_000;

  constructor(options: WorkloadOptions = {}) {
    this.options = { seed: 1, namespaces: 50, nodes: 40, jobShare: 0.3, maxReplicas: 4, maxUpdates: 2, baseRate: BASE_RATE, ...options };
    this.baseRate = this.options.baseRate;
    this.rng = new Random(this.options.seed);
    this.populationRng = new Random(this.options.seed * 7919 + 17);
    this.namespaces = Array.from({ length: this.options.namespaces }, (_, i) => `${TEAMS[i % TEAMS.length]}-${String(i).padStart(2, '0')}`);
    this.nodes = Array.from({ length: this.options.nodes }, (_, i) => `node-${String(i).padStart(2, '0')}`);
  }

  namespaceObjects(at: number): KubeJson[] {
    return this.namespaces.map((name) => namespaceObject(name, this.populationRng.uuid(), at));
  }

  /**
   * About `count` objects as a cluster at rest holds them (no Events): Deployments with their
   * current and previous ReplicaSet and running Pods, finished Jobs with their Pods.
   * Consume it completely before drawing from a stream (they take turns with the helpers' state).
   */
  *population(count: number, at: number): Generator<KubeJson> {
    const rng = this.populationRng;
    // The helpers below draw from this.rng and name with this.counter: swap in the population's
    // (its names get a separate range, so they never collide with the stream's).
    const saved = { rng: this.rng, counter: this.counter };
    this.rng = rng;
    this.counter = this.populationCounter;
    try {
      yield* this.populate(count, at);
    } finally {
      this.populationCounter = this.counter;
      this.rng = saved.rng;
      this.counter = saved.counter;
    }
  }

  private *populate(count: number, at: number): Generator<KubeJson> {
    const rng = this.rng;
    let made = 0;
    while (made < count) {
      const namespace = rng.pick(this.namespaces);
      if (rng.chance(this.options.jobShare)) {
        const j: JobState = { namespace, name: this.name('job'), uid: rng.uuid(), createdAt: at - rng.int(60_000, 3_600_000), parallelism: rng.int(1, 2), image: this.image(), done: 0 };
        j.done = j.parallelism;
        yield job(j, at);
        made++;
        const owner: ObjectId = { apiVersion: 'batch/v1', kind: 'Job', namespace, name: j.name, uid: j.uid };
        for (let i = 0; i < j.parallelism; i++, made++) yield pod(this.newPod(owner, jobLabels(j), j.image, j.createdAt, 'Succeeded'), at);
      } else {
        const d = this.newDeployment(namespace, at - rng.int(3_600_000, 30 * 86_400_000));
        d.revision = 2;
        d.generation = 2;
        d.changes.push({ manager: rng.pick(DEPLOY_MANAGERS), at: d.createdAt + rng.int(60_000, 3_600_000), fields: 'image' });
        yield deployment(d, at);
        const old = this.newReplicaSet(d, d.createdAt, 0, 1);
        old.generation = 3;
        const current = this.newReplicaSet(d, d.changes[1]?.at ?? d.createdAt, d.replicas, 2);
        yield replicaSet(d, old, at);
        yield replicaSet(d, current, at);
        made += 3;
        const owner = rsId(d, current);
        for (let i = 0; i < d.replicas; i++, made++) yield pod(this.newPod(owner, rsLabels(d, current), d.image, current.createdAt, 'Running'), at);
      }
    }
  }

  /** An endless time-ordered stream of scenarios, starting at virtual time `start`. */
  stream(start = 0): WorkloadStream {
    return new WorkloadStream(this, start);
  }

  /** One scenario's steps (sorted by time) and its event count. */
  scenario(start: number): { steps: Step[]; events: number } {
    const s = new ScenarioBuilder(this.rng);
    const namespace = this.rng.pick(this.namespaces);
    if (this.rng.chance(this.options.jobShare)) this.jobScenario(s, namespace, start);
    else this.deploymentScenario(s, namespace, start);
    s.steps.sort((a, b) => a.at - b.at);
    return { steps: s.steps, events: s.events };
  }

  // -----------------------------------------------------------------------------------------
  // scenarios

  private deploymentScenario(s: ScenarioBuilder, namespace: string, start: number): void {
    const rng = this.rng;
    const d = this.newDeployment(namespace, start);
    const dep = (): ObjectId => ({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name: d.name, uid: d.uid });
    const putDeployment = (at: number) => {
      const snap = { ...d, changes: [...d.changes] };
      s.put(at, (T) => deployment(snap, at, T));
    };
    const putRs = (rs: ReplicaSetState, at: number) => {
      const snap = { ...rs };
      const owner = { ...d, changes: [] };
      s.put(at, (T) => replicaSet(owner, snap, at, T));
    };
    let t = start;
    putDeployment(t);

    // First rollout: the ReplicaSet is created at full size.
    t += rng.int(3, 20);
    let rs = this.newReplicaSet(d, t, d.replicas, 1);
    putRs(rs, t);
    t += rng.int(1, 4);
    s.controllerEvent(t, dep(), 'ScalingReplicaSet', `Scaled up replica set ${rs.name} from 0 to ${d.replicas}`, 'deployment-controller');
    let pods: PodState[] = [];
    let ready = t;
    const replicaSets = [rs];
    for (let i = 0; i < d.replicas; i++) {
      t += rng.int(2, 15);
      const p = this.createPod(s, t, rsId(d, rs), rsLabels(d, rs), d.image, 'replicaset-controller');
      t = p.createdAt + 3;
      ready = Math.max(ready, this.podLifecycle(s, p, t));
      pods.push(p);
    }
    t = ready + rng.int(50, 500);
    putDeployment(t);

    // Rolling updates: one new Pod up, one old Pod down, until the new ReplicaSet has them all.
    const updates = rng.int(0, this.options.maxUpdates);
    for (let u = 0; u < updates; u++) {
      t += rng.int(1000, 6000);
      d.generation++;
      d.revision++;
      d.image = this.image();
      const manager = rng.pick(DEPLOY_MANAGERS);
      d.changes.push({ manager, at: t, fields: manager === 'kubectl-set' ? 'image' : 'all' });
      putDeployment(t);
      const old = rs;
      const oldPods = pods;
      pods = [];
      t += rng.int(3, 20);
      rs = this.newReplicaSet(d, t, 0, d.revision);
      replicaSets.push(rs);
      for (let k = 1; k <= d.replicas; k++) {
        t += rng.int(3, 15);
        rs.replicas = k;
        if (k > 1) rs.generation++;
        putRs(rs, t);
        t += rng.int(1, 4);
        s.controllerEvent(t, dep(), 'ScalingReplicaSet', `Scaled up replica set ${rs.name} from ${k - 1} to ${k}`, 'deployment-controller');
        t += rng.int(2, 15);
        const p = this.createPod(s, t, rsId(d, rs), rsLabels(d, rs), d.image, 'replicaset-controller');
        pods.push(p);
        t = this.podLifecycle(s, p, p.createdAt + 3) + rng.int(20, 300);
        old.replicas = d.replicas - k;
        old.generation++;
        putRs(old, t);
        t += rng.int(1, 4);
        s.controllerEvent(t, dep(), 'ScalingReplicaSet', `Scaled down replica set ${old.name} from ${d.replicas - k + 1} to ${d.replicas - k}`, 'deployment-controller');
        const victim = oldPods.shift();
        if (victim) {
          t += rng.int(2, 10);
          this.terminatePod(s, victim, t, { by: rsId(d, old), component: 'replicaset-controller' });
        }
      }
      t += rng.int(50, 500);
      putDeployment(t);
    }

    // End of life: deleted with foreground propagation (dependents first, as the GC does for
    // `kubectl delete --cascade=foreground`): Pods terminate, then ReplicaSets and the Deployment go.
    t += rng.int(2000, 10_000);
    let last = t;
    for (const p of pods) last = Math.max(last, this.terminatePod(s, p, t + rng.int(1, 20)));
    last += rng.int(5, 50);
    for (const r of replicaSets) s.remove(last, 'apps/v1', 'ReplicaSet', namespace, r.name);
    s.remove(last + rng.int(5, 50), 'apps/v1', 'Deployment', namespace, d.name);
  }

  private jobScenario(s: ScenarioBuilder, namespace: string, start: number): void {
    const rng = this.rng;
    const j: JobState = { namespace, name: this.name('job'), uid: rng.uuid(), createdAt: start, parallelism: rng.int(1, 3), image: this.image(), done: 0 };
    const putJob = (at: number) => {
      const snap = { ...j };
      s.put(at, (T) => job(snap, at, T));
    };
    const jobId: ObjectId = { apiVersion: 'batch/v1', kind: 'Job', namespace, name: j.name, uid: j.uid };
    let t = start;
    putJob(t);
    const pods: PodState[] = [];
    let finished = t;
    for (let i = 0; i < j.parallelism; i++) {
      t += rng.int(2, 10);
      const p = this.createPod(s, t, jobId, jobLabels(j), j.image, 'job-controller');
      pods.push(p);
      const running = this.podLifecycle(s, p, p.createdAt + 3);
      const done = running + rng.int(500, 5000);
      const snap = { ...p, phase: 'Succeeded' as const };
      s.put(done, (T) => pod(snap, done, T));
      finished = Math.max(finished, done);
      t = p.createdAt + 3;
    }
    t = finished + rng.int(5, 50);
    j.done = j.parallelism;
    putJob(t);
    t += rng.int(1, 5);
    s.controllerEvent(t, jobId, 'Completed', 'Job completed', 'job-controller');
    // ttlSecondsAfterFinished: the TTL controller deletes the Job (foreground: Pods first).
    t += rng.int(2000, 10_000);
    for (const p of pods) s.remove(t, 'v1', 'Pod', namespace, p.name);
    s.remove(t + rng.int(5, 50), 'batch/v1', 'Job', namespace, j.name);
  }

  /** The controller creates a Pod, then records it. Returns the Pod (createdAt = its creation). */
  private createPod(s: ScenarioBuilder, at: number, owner: ObjectId, labels: Record<string, string>, image: string, component: string): PodState {
    const p = this.newPod(owner, labels, image, at, 'Pending');
    const snap = { ...p };
    s.put(at, (T) => pod(snap, at, T));
    s.controllerEvent(at + this.rng.int(1, 3), owner, 'SuccessfulCreate', `Created pod: ${p.name}`, component);
    return p;
  }

  /** Scheduling and container start. Returns the time the Pod is Running. */
  private podLifecycle(s: ScenarioBuilder, p: PodState, from: number): number {
    const rng = this.rng;
    let t = from + rng.int(2, 30);
    p.node = rng.pick(this.nodes);
    const bound = { ...p };
    const boundAt = t;
    s.put(t, (T) => pod(bound, boundAt, T));
    t += rng.int(1, 3);
    s.schedulerEvent(t, podId(p), 'Scheduled', `Successfully assigned ${p.owner.namespace}/${p.name} to ${p.node}`);
    const container = { ...podId(p), fieldPath: `spec.containers{${CONTAINER}}` };
    const kubelet = { component: 'kubelet', host: p.node };
    if (rng.chance(0.7)) {
      t += rng.int(50, 400);
      s.kubeletEvent(t, container, 'Pulling', `Pulling image "${p.image}"`, kubelet);
      const pull = rng.int(300, 2500);
      t += pull;
      const secs = (pull / 1000).toFixed(3);
      s.kubeletEvent(t, container, 'Pulled', `Successfully pulled image "${p.image}" in ${secs}s (${secs}s including waiting). Image size: ${rng.int(5_000_000, 300_000_000)} bytes.`, kubelet);
    } else {
      t += rng.int(50, 300);
      s.kubeletEvent(t, container, 'Pulled', `Container image "${p.image}" already present on machine`, kubelet);
    }
    t += rng.int(5, 40);
    s.kubeletEvent(t, container, 'Created', `Created container ${CONTAINER}`, kubelet);
    t += rng.int(5, 60);
    s.kubeletEvent(t, container, 'Started', `Started container ${CONTAINER}`, kubelet);
    t += rng.int(5, 50);
    p.phase = 'Running';
    const running = { ...p };
    const runningAt = t;
    s.put(t, (T) => pod(running, runningAt, T));
    return t;
  }

  /** Graceful deletion: deletionTimestamp set (and recorded by the controller that asked), kubelet Killing, Pod removed. Returns when it is gone. */
  private terminatePod(s: ScenarioBuilder, p: PodState, at: number, by?: { by: ObjectId; component: string }): number {
    const rng = this.rng;
    p.deletingAt = at;
    const snap = { ...p };
    s.put(at, (T) => pod(snap, at, T));
    let t = at;
    if (by) {
      t += rng.int(1, 3);
      s.controllerEvent(t, by.by, 'SuccessfulDelete', `Deleted pod: ${p.name}`, by.component);
    }
    t += rng.int(5, 50);
    s.kubeletEvent(t, { ...podId(p), fieldPath: `spec.containers{${CONTAINER}}` }, 'Killing', `Stopping container ${CONTAINER}`, { component: 'kubelet', host: p.node ?? this.nodes[0] ?? 'node-00' });
    t += rng.int(300, 1500);
    s.remove(t, 'v1', 'Pod', p.owner.namespace, p.name);
    return t;
  }

  // -----------------------------------------------------------------------------------------
  // state

  private name(prefix: string): string {
    return `${prefix === 'job' ? `${this.rng.pick(WORDS)}-job` : this.rng.pick(WORDS)}-${(this.counter++).toString(36)}`;
  }

  private image(): string {
    return `${this.rng.pick(IMAGES)}:1.${this.rng.int(0, 40)}.${this.rng.int(0, 9)}`;
  }

  private newDeployment(namespace: string, at: number): DeploymentState {
    return {
      namespace, name: this.name('deploy'), uid: this.rng.uuid(), createdAt: at, generation: 1, replicas: this.rng.int(1, this.options.maxReplicas),
      image: this.image(), revision: 1, changes: [{ manager: 'kubectl-client-side-apply', at, fields: 'all' }],
    };
  }

  private newReplicaSet(d: DeploymentState, at: number, replicas: number, revision: number): ReplicaSetState {
    const hash = this.rng.suffix(10);
    return { name: `${d.name}-${hash}`, uid: this.rng.uuid(), hash, createdAt: at, generation: 1, replicas, image: d.image, revision };
  }

  private newPod(owner: ObjectId, labels: Record<string, string>, image: string, at: number, phase: PodState['phase']): PodState {
    const p: PodState = { name: `${owner.name}-${this.rng.suffix(5)}`, uid: this.rng.uuid(), createdAt: at, owner, labels, image, phase };
    if (phase !== 'Pending') p.node = this.rng.pick(this.nodes);
    return p;
  }
}

/** Collects one scenario's steps. */
class ScenarioBuilder {
  readonly steps: Step[] = [];
  events = 0;

  constructor(private readonly rng: Random) {}

  put(at: number, build: (T: TimeMap) => KubeJson): void {
    this.steps.push({ at, op: 'put', event: false, build });
  }

  remove(at: number, apiVersion: string, kind: string, namespace: string, name: string): void {
    this.steps.push({ at, op: 'delete', apiVersion, kind, namespace, name });
  }

  controllerEvent(at: number, involved: ObjectId, reason: string, message: string, component: string): void {
    this.event(at, (id, T) => coreEvent(id, involved, reason, message, { component }, T(at)));
  }

  kubeletEvent(at: number, involved: ObjectId & { fieldPath: string }, reason: string, message: string, source: EventSource): void {
    this.event(at, (id, T) => coreEvent(id, involved, reason, message, source, T(at)));
  }

  schedulerEvent(at: number, involved: ObjectId, reason: string, message: string): void {
    this.event(at, (id, T) => schedulerEvent(id, involved, reason, message, T(at)));
  }

  private event(at: number, make: (id: { name: string; uid: string }, T: TimeMap) => KubeJson): void {
    const id = { name: '', uid: this.rng.uuid() };
    // Event names are the involved object's name plus a hex timestamp-like suffix.
    const suffix = this.rng.hex(16);
    this.events++;
    this.steps.push({
      at,
      op: 'put',
      event: true,
      build: (T) => {
        const e = make(id, T);
        e.metadata.name = `${String(e['involvedObject']?.name)}.${suffix}`;
        return e;
      },
    });
  }
}

const rsId = (d: DeploymentState, rs: ReplicaSetState): ObjectId => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: d.namespace, name: rs.name, uid: rs.uid });
const podId = (p: PodState): ObjectId => ({ apiVersion: 'v1', kind: 'Pod', namespace: p.owner.namespace, name: p.name, uid: p.uid });
const rsLabels = (d: DeploymentState, rs: ReplicaSetState) => ({ app: d.name, 'pod-template-hash': rs.hash });
const jobLabels = (j: JobState) => ({ 'batch.kubernetes.io/controller-uid': j.uid, 'batch.kubernetes.io/job-name': j.name, 'controller-uid': j.uid, 'job-name': j.name });

/**
 * Merges scenarios into one time-ordered stream. Scenario starts are spaced so that the stream
 * carries `baseRate` events per virtual second on average; each scenario keeps its own causal order.
 */
export class WorkloadStream {
  private readonly heap = new StepHeap();
  private nextStart: number;
  scenarios = 0;
  events = 0;

  constructor(private readonly workload: Workload, start: number) {
    this.nextStart = start;
  }

  /** Virtual time of the next step. */
  peekAt(): number {
    this.fill();
    return this.heap.peek()?.at ?? this.nextStart;
  }

  next(): Step {
    this.fill();
    const step = this.heap.pop();
    if (!step) throw new Error('workload stream is empty');
    if (step.op === 'put' && step.event) this.events++;
    return step;
  }

  private fill(): void {
    while (this.heap.size === 0 || this.nextStart <= (this.heap.peek()?.at ?? Infinity)) {
      const { steps, events } = this.workload.scenario(this.nextStart);
      for (const step of steps) this.heap.push(step);
      this.scenarios++;
      this.nextStart += Math.max(1, (events / this.workload.baseRate) * 1000);
    }
  }
}

/** Binary min-heap by (time, insertion order): steps at the same time keep their order. */
class StepHeap {
  private readonly items: Array<{ step: Step; seq: number }> = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  peek(): Step | undefined {
    return this.items[0]?.step;
  }

  push(step: Step): void {
    const items = this.items;
    items.push({ step, seq: this.seq++ });
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  pop(): Step | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined) return undefined;
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < items.length && this.less(l, m)) m = l;
        if (r < items.length && this.less(r, m)) m = r;
        if (m === i) break;
        [items[i], items[m]] = [items[m]!, items[i]!];
        i = m;
      }
    }
    return top.step;
  }

  private less(a: number, b: number): boolean {
    const x = this.items[a]!;
    const y = this.items[b]!;
    return x.step.at < y.step.at || (x.step.at === y.step.at && x.seq < y.seq);
  }
}

export { sameTime };
