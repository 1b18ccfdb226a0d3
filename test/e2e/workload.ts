/**
 * A Deployment's life as a v1.28 control plane plays it, against the API test server: the user's
 * writes through the API (managedFields as kube-apiserver writes them), the deployment- and
 * replicaset-controllers, the scheduler and the kubelet as direct writes in the order those
 * components make them (each object write before the Event that reports it), with the messages
 * they post. For tests that compare what the operator saw live with a replay.
 */

import { randomBytes } from 'node:crypto';
import type { KubeApiTestServer, KubeObject } from '../support/kube-api-server/index.js';
import { sleep, type Kubectl } from './harness.js';

const APPLY = 'fieldManager=kubectl-client-side-apply';

interface Controller {
  component: string;
  host?: string;
}
const DEPLOYMENT_CONTROLLER: Controller = { component: 'deployment-controller' };
const REPLICASET_CONTROLLER: Controller = { component: 'replicaset-controller' };
const SCHEDULER: Controller = { component: 'default-scheduler' };
const kubelet = (node: string): Controller => ({ component: 'kubelet', host: node });

const randomSuffix = (n: number): string => randomBytes(8).toString('hex').replace(/[^a-z0-9]/g, '').slice(0, n).padEnd(n, 'x');

/** Name suffixes from a seed: two runs of one workload with the same seed name everything alike. */
function seededSuffixes(seed: number): (n: number) => string {
  let state = seed >>> 0;
  return (n) => {
    let out = '';
    for (let i = 0; i < n; i++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      out += 'bcdfghjklmnpqrstvwxz2456789'[state % 27];
    }
    return out;
  };
}
/** whole seconds, as the events.k8s.io v1 -> core/v1 conversion of a controller's Event has them */
const seconds = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

export class Workload {
  private readonly replicaSets = new Map<string, { name: string; replicas: number; pods: string[] }>();
  private template = 0;
  /** ms between the steps of one controller */
  readonly step: number;
  private readonly suffix: (n: number) => string;
  /** how long a deleted Pod stays Terminating before it is gone (its grace period) */
  private readonly graceMs: number;
  private readonly removals = new Set<NodeJS.Timeout>();

  constructor(
    private readonly api: KubeApiTestServer,
    private readonly kubectl: Kubectl,
    readonly namespace: string,
    readonly name = 'web',
    options: { stepMs?: number; seed?: number; graceMs?: number } = {},
  ) {
    this.step = options.stepMs ?? 4;
    this.graceMs = options.graceMs ?? 0;
    this.suffix = options.seed === undefined ? randomSuffix : seededSuffixes(options.seed);
  }

  /** `kubectl apply` of a new Deployment, then its rollout to `replicas` ready Pods. */
  async create(replicas: number): Promise<void> {
    const ns = this.namespace;
    await this.kubectl.request('POST', `/apis/apps/v1/namespaces/${ns}/deployments?${APPLY}`, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: this.name, namespace: ns, labels: { app: this.name } },
      spec: { replicas, selector: { matchLabels: { app: this.name } }, template: this.podTemplate() },
    });
    await this.rollout(replicas);
  }

  /** `kubectl set image` (with `annotations` set in the same request, as a CI step would): a new template, rolled out one Pod at a time (maxSurge 1, maxUnavailable 0). */
  async updateImage(annotations?: Record<string, string>): Promise<void> {
    this.template++;
    const change = { ...(annotations ? { metadata: { annotations } } : {}), spec: { template: this.podTemplate() } };
    await this.kubectl.request('PATCH', `/apis/apps/v1/namespaces/${this.namespace}/deployments/${this.name}?fieldManager=kubectl-set`, change, 'application/strategic-merge-patch+json');
    await this.rollout(this.deployment().spec.replicas);
  }

  /** Removes the Pods still Terminating now (the test is over). */
  stop(): void {
    for (const timer of this.removals) clearTimeout(timer);
    this.removals.clear();
  }

  /** `kubectl scale`: the Deployment's new size, then the current ReplicaSet's. */
  async scale(replicas: number): Promise<void> {
    await this.kubectl.request('PATCH', `/apis/apps/v1/namespaces/${this.namespace}/deployments/${this.name}?fieldManager=kubectl-scale`, { spec: { replicas } }, 'application/merge-patch+json');
    await sleep(this.step);
    const current = this.current();
    await this.scaleReplicaSet(current, replicas);
    await this.deploymentStatus(true);
  }

  private podTemplate(): Record<string, unknown> {
    return { metadata: { labels: { app: this.name } }, spec: { containers: [{ name: 'app', image: `example/web:1.${this.template}` }] } };
  }

  private deployment(): KubeObject & { spec: { replicas: number } } {
    return this.api.get('apps/v1', 'Deployment', this.namespace, this.name) as KubeObject & { spec: { replicas: number } };
  }

  private current(): { name: string; replicas: number; pods: string[] } {
    return this.replicaSets.get(`t${this.template}`)!;
  }

  /** The deployment-controller's rolling update to the current template, with the replicaset-controller's Pods. */
  private async rollout(replicas: number): Promise<void> {
    await sleep(this.step);
    const deployment = this.deployment();
    const rsName = `${this.name}-${this.suffix(9)}`;
    const rs = { name: rsName, replicas: 0, pods: [] as string[] };
    this.replicaSets.set(`t${this.template}`, rs);
    const olds = [...this.replicaSets.entries()].filter(([key, r]) => key !== `t${this.template}` && r.replicas > 0).map(([, r]) => r);
    const first = olds.length === 0 ? replicas : 1;
    this.putReplicaSet(rs, first, deployment);
    await sleep(this.step);
    this.event('Deployment', this.name, 'ScalingReplicaSet', `Scaled up replica set ${rsName} to ${first}`, DEPLOYMENT_CONTROLLER);
    await this.createPods(rs, first);
    while (olds.some((o) => o.replicas > 0) || rs.replicas < replicas) {
      const old = olds.find((o) => o.replicas > 0);
      if (old) await this.scaleReplicaSet(old, old.replicas - 1);
      if (rs.replicas < replicas) await this.scaleReplicaSet(rs, rs.replicas + 1);
    }
    await this.deploymentStatus(true);
  }

  private async scaleReplicaSet(rs: { name: string; replicas: number; pods: string[] }, to: number): Promise<void> {
    const from = rs.replicas;
    this.putReplicaSet(rs, to, this.deployment());
    await sleep(this.step);
    this.event('Deployment', this.name, 'ScalingReplicaSet', `Scaled ${to > from ? 'up' : 'down'} replica set ${rs.name} to ${to} from ${from}`, DEPLOYMENT_CONTROLLER);
    if (to > from) await this.createPods(rs, to - from);
    else await this.deletePods(rs, from - to);
  }

  private putReplicaSet(rs: { name: string; replicas: number }, replicas: number, deployment: KubeObject): void {
    rs.replicas = replicas;
    const existing = this.api.get('apps/v1', 'ReplicaSet', this.namespace, rs.name);
    this.api.put({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        ...(existing?.metadata ?? {}),
        name: rs.name,
        namespace: this.namespace,
        labels: { app: this.name },
        annotations: { 'deployment.kubernetes.io/desired-replicas': String((deployment as { spec?: { replicas?: number } }).spec?.replicas ?? replicas) },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: this.name, uid: String(deployment.metadata['uid']), controller: true, blockOwnerDeletion: true }],
        generation: undefined,
      },
      spec: { replicas, selector: { matchLabels: { app: this.name } }, template: this.podTemplate() },
      status: { replicas, observedGeneration: existing?.metadata['generation'] ?? 1 },
    });
  }

  private async createPods(rs: { name: string; pods: string[] }, count: number): Promise<void> {
    const made: string[] = [];
    for (let i = 0; i < count; i++) {
      const pod = `${rs.name}-${this.suffix(5)}`;
      const owner = this.api.get('apps/v1', 'ReplicaSet', this.namespace, rs.name)!;
      this.api.put({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: pod, namespace: this.namespace, labels: { app: this.name }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.name, uid: String(owner.metadata['uid']), controller: true, blockOwnerDeletion: true }] },
        spec: { containers: [{ name: 'app', image: `example/web:1.${this.template}` }] },
        status: { phase: 'Pending' },
      });
      await sleep(1);
      this.event('ReplicaSet', rs.name, 'SuccessfulCreate', `Created pod: ${pod}`, REPLICASET_CONTROLLER);
      rs.pods.push(pod);
      made.push(pod);
    }
    await sleep(this.step);
    for (const pod of made) {
      this.patchPod(pod, (p) => ({ ...p, spec: { ...(p['spec'] as object), nodeName: 'node-1' } }));
      this.event('Pod', pod, 'Scheduled', `Successfully assigned ${this.namespace}/${pod} to node-1`, SCHEDULER);
      await sleep(1);
    }
    await sleep(this.step);
    for (const pod of made) {
      this.event('Pod', pod, 'Pulled', `Container image "example/web:1.${this.template}" already present on machine`, kubelet('node-1'));
      this.event('Pod', pod, 'Created', 'Created container app', kubelet('node-1'));
      this.event('Pod', pod, 'Started', 'Started container app', kubelet('node-1'));
      await sleep(this.step);
      const ready = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      this.patchPod(pod, (p) => ({
        ...p,
        metadata: { ...(p['metadata'] as object), managedFields: [{ manager: 'kubelet', operation: 'Update', apiVersion: 'v1', subresource: 'status', time: ready, fieldsType: 'FieldsV1', fieldsV1: { 'f:status': {} } }] },
        status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: ready }], containerStatuses: [{ name: 'app', ready: true, restartCount: 0 }] },
      }));
    }
  }

  private async deletePods(rs: { name: string; pods: string[] }, count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const pod = rs.pods.shift();
      if (pod === undefined) return;
      // The replicaset-controller's DELETE marks the Pod Terminating; the kubelet stops it, and
      // removes the object once its containers are gone (at the latest after the grace period).
      this.patchPod(pod, (p) => ({ ...p, metadata: { ...(p['metadata'] as object), deletionTimestamp: seconds(), deletionGracePeriodSeconds: Math.ceil(this.graceMs / 1000) } }));
      this.event('ReplicaSet', rs.name, 'SuccessfulDelete', `Deleted pod: ${pod}`, REPLICASET_CONTROLLER);
      await sleep(1);
      this.event('Pod', pod, 'Killing', 'Stopping container app', kubelet('node-1'));
      await sleep(this.step);
      const remove = (): void => this.api.remove('v1', 'Pod', this.namespace, pod);
      if (this.graceMs === 0) remove();
      else {
        const timer = setTimeout(() => {
          this.removals.delete(timer);
          remove();
        }, this.graceMs);
        this.removals.add(timer);
      }
    }
  }

  /** The deployment-controller's status: the current generation observed, every replica up. */
  private async deploymentStatus(complete: boolean): Promise<void> {
    await sleep(this.step);
    const d = this.deployment();
    const replicas = d.spec.replicas;
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    this.api.put({
      ...d,
      metadata: { ...d.metadata, resourceVersion: undefined },
      status: {
        observedGeneration: d.metadata['generation'],
        replicas,
        updatedReplicas: complete ? replicas : 0,
        availableReplicas: complete ? replicas : 0,
        readyReplicas: complete ? replicas : 0,
        conditions: [{ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', lastUpdateTime: now, lastTransitionTime: now, message: 'ReplicaSet has successfully progressed.' }],
      },
    });
  }

  private patchPod(name: string, change: (pod: Record<string, unknown>) => Record<string, unknown>): void {
    const pod = this.api.get('v1', 'Pod', this.namespace, name);
    if (!pod) return;
    const next = change(pod as unknown as Record<string, unknown>);
    delete (next['metadata'] as Record<string, unknown>)['resourceVersion'];
    this.api.put(next);
  }

  private event(kind: string, name: string, reason: string, message: string, source: Controller): void {
    const at = seconds();
    const involved = this.api.get(kind === 'Pod' ? 'v1' : 'apps/v1', kind, this.namespace, name);
    this.api.put({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${name}.${this.suffix(16)}`, namespace: this.namespace },
      involvedObject: { apiVersion: kind === 'Pod' ? 'v1' : 'apps/v1', kind, namespace: this.namespace, name, uid: String(involved?.metadata['uid'] ?? ''), resourceVersion: String(involved?.metadata.resourceVersion ?? '') },
      reason,
      message,
      source: source.host ? { component: source.component, host: source.host } : { component: source.component },
      firstTimestamp: at,
      lastTimestamp: at,
      count: 1,
      type: 'Normal',
      reportingComponent: source.component,
      reportingInstance: source.host ?? '',
    });
  }
}
