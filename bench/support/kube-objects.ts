/**
 * Kubernetes objects and Events shaped like a real cluster's (1.29-ish): ownerReferences with
 * controller/blockOwnerDeletion, generations, managedFields per manager, the annotations and
 * labels the controllers set, and Events in the three shapes that occur (legacy core/v1 events
 * of the controllers and the kubelet, events.k8s.io events of the scheduler that carry only
 * reportingComponent and eventTime).
 */

/** A Kubernetes object as JSON. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type KubeJson = Record<string, any> & { apiVersion: string; kind: string; metadata: Meta };

export interface Meta {
  name: string;
  namespace?: string;
  uid: string;
  [key: string]: unknown;
}

/** What an ownerReference / involvedObject needs to know about an object. */
export interface ObjectId {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  uid: string;
}

export const idOf = (o: KubeJson): ObjectId => ({
  apiVersion: o.apiVersion,
  kind: o.kind,
  namespace: o.metadata.namespace ?? '',
  name: o.metadata.name,
  uid: o.metadata.uid,
});

/** RFC 3339 with whole seconds, as metav1.Time serializes */
export const kubeTime = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
/** RFC 3339 with microseconds, as metav1.MicroTime serializes */
export const microTime = (ms: number): string => {
  const whole = Math.floor(ms);
  const micros = Math.floor((ms - whole) * 1000);
  return new Date(whole).toISOString().replace(/\.(\d{3})Z$/, (_m, milli: string) => `.${milli}${String(micros).padStart(3, '0')}Z`);
};

export const CONTAINER = 'app';

/** Maps the generator's virtual times to wall-clock ms (the player compresses or stretches time). */
export type TimeMap = (virtualMs: number) => number;
export const sameTime: TimeMap = (ms) => ms;

function ownerRef(owner: ObjectId): Record<string, unknown> {
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.name, uid: owner.uid, controller: true, blockOwnerDeletion: true };
}

const ownerRefFields = (uid: string) => ({
  'f:ownerReferences': { '.': {}, [`k:{"uid":"${uid}"}`]: { '.': {}, 'f:apiVersion': {}, 'f:blockOwnerDeletion': {}, 'f:controller': {}, 'f:kind': {}, 'f:name': {}, 'f:uid': {} } },
});

const containerFields = {
  'f:containers': {
    [`k:{"name":"${CONTAINER}"}`]: {
      '.': {}, 'f:image': {}, 'f:imagePullPolicy': {}, 'f:name': {}, 'f:ports': {}, 'f:resources': { '.': {}, 'f:limits': {}, 'f:requests': {} },
      'f:terminationMessagePath': {}, 'f:terminationMessagePolicy': {},
    },
  },
  'f:dnsPolicy': {}, 'f:restartPolicy': {}, 'f:schedulerName': {}, 'f:securityContext': {}, 'f:terminationGracePeriodSeconds': {},
};

function managed(manager: string, apiVersion: string, at: number | undefined, fieldsV1: unknown, subresource?: string): Record<string, unknown> {
  const entry: Record<string, unknown> = { manager, operation: 'Update', apiVersion, fieldsType: 'FieldsV1', fieldsV1 };
  if (at !== undefined) entry['time'] = kubeTime(at);
  if (subresource) entry['subresource'] = subresource;
  return entry;
}

function podTemplate(labels: Record<string, string>, image: string, restartPolicy = 'Always'): Record<string, unknown> {
  return {
    metadata: { creationTimestamp: null, labels },
    spec: {
      containers: [{
        name: CONTAINER, image, imagePullPolicy: 'IfNotPresent', ports: [{ containerPort: 8080, protocol: 'TCP' }],
        resources: { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } },
        terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File',
      }],
      dnsPolicy: 'ClusterFirst', restartPolicy, schedulerName: 'default-scheduler', securityContext: {}, terminationGracePeriodSeconds: 30,
    },
  };
}

export interface DeploymentState {
  namespace: string;
  name: string;
  uid: string;
  createdAt: number;
  generation: number;
  replicas: number;
  image: string;
  revision: number;
  /** the manager and time of each spec change so far, oldest first */
  changes: Array<{ manager: string; at: number; fields: 'all' | 'image' | 'replicas' }>;
}

const deploymentConditionFields = { '.': {}, 'f:lastTransitionTime': {}, 'f:lastUpdateTime': {}, 'f:message': {}, 'f:reason': {}, 'f:status': {}, 'f:type': {} };

export function deployment(d: DeploymentState, at: number, T: TimeMap = sameTime): KubeJson {
  const labels = { app: d.name };
  const spec = {
    progressDeadlineSeconds: 600, replicas: d.replicas, revisionHistoryLimit: 10, selector: { matchLabels: labels },
    strategy: { rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' }, type: 'RollingUpdate' },
    template: podTemplate(labels, d.image),
  };
  const lastApplied = JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { annotations: {}, name: d.name, namespace: d.namespace }, spec: { replicas: d.replicas, selector: spec.selector, template: { metadata: { labels }, spec: { containers: [{ name: CONTAINER, image: d.image }] } } } });
  const managedFields: Record<string, unknown>[] = [];
  for (const c of d.changes) {
    const specFields = c.fields === 'replicas'
      ? { 'f:replicas': {} }
      : c.fields === 'image'
        ? { 'f:template': { 'f:spec': { 'f:containers': { [`k:{"name":"${CONTAINER}"}`]: { 'f:image': {} } } } } }
        : { 'f:progressDeadlineSeconds': {}, 'f:replicas': {}, 'f:revisionHistoryLimit': {}, 'f:selector': {}, 'f:strategy': { 'f:rollingUpdate': { '.': {}, 'f:maxSurge': {}, 'f:maxUnavailable': {} }, 'f:type': {} }, 'f:template': { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } }, 'f:spec': containerFields } };
    const meta = c.fields === 'all' ? { 'f:metadata': { 'f:annotations': { '.': {}, 'f:kubectl.kubernetes.io/last-applied-configuration': {} } } } : {};
    // One entry per manager (the API server merges a manager's updates into its entry).
    const existing = managedFields.findIndex((e) => e['manager'] === c.manager);
    const entry = managed(c.manager, 'apps/v1', c.fields === 'replicas' && c.manager !== 'kubectl-client-side-apply' ? undefined : T(c.at), { ...meta, 'f:spec': specFields });
    if (existing >= 0) managedFields[existing] = entry;
    else managedFields.push(entry);
  }
  managedFields.push(managed('kube-controller-manager', 'apps/v1', T(at), { 'f:metadata': { 'f:annotations': { 'f:deployment.kubernetes.io/revision': {} } }, 'f:status': { 'f:availableReplicas': {}, 'f:conditions': { '.': {}, 'k:{"type":"Available"}': deploymentConditionFields, 'k:{"type":"Progressing"}': deploymentConditionFields }, 'f:observedGeneration': {}, 'f:readyReplicas': {}, 'f:replicas': {}, 'f:updatedReplicas': {} } }, 'status'));
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: d.name, namespace: d.namespace, uid: d.uid, generation: d.generation, creationTimestamp: kubeTime(T(d.createdAt)), labels,
      annotations: { 'deployment.kubernetes.io/revision': String(d.revision), 'kubectl.kubernetes.io/last-applied-configuration': `${lastApplied}\n` },
      managedFields,
    },
    spec,
    status: {
      observedGeneration: d.generation, replicas: d.replicas, updatedReplicas: d.replicas, readyReplicas: d.replicas, availableReplicas: d.replicas,
      conditions: [
        { lastTransitionTime: kubeTime(T(d.createdAt)), lastUpdateTime: kubeTime(T(d.createdAt)), message: 'Deployment has minimum availability.', reason: 'MinimumReplicasAvailable', status: 'True', type: 'Available' },
        { lastTransitionTime: kubeTime(T(d.createdAt)), lastUpdateTime: kubeTime(T(at)), message: `Deployment "${d.name}" has successfully progressed.`, reason: 'NewReplicaSetAvailable', status: 'True', type: 'Progressing' },
      ],
    },
  };
}

export interface ReplicaSetState {
  name: string;
  uid: string;
  hash: string;
  createdAt: number;
  generation: number;
  replicas: number;
  image: string;
  revision: number;
}

export function replicaSet(owner: DeploymentState, rs: ReplicaSetState, at: number, T: TimeMap = sameTime): KubeJson {
  const labels = { app: owner.name, 'pod-template-hash': rs.hash };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: rs.name, namespace: owner.namespace, uid: rs.uid, generation: rs.generation, creationTimestamp: kubeTime(T(rs.createdAt)), labels,
      annotations: { 'deployment.kubernetes.io/desired-replicas': String(owner.replicas), 'deployment.kubernetes.io/max-replicas': String(owner.replicas + 1), 'deployment.kubernetes.io/revision': String(rs.revision) },
      ownerReferences: [ownerRef({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: owner.namespace, name: owner.name, uid: owner.uid })],
      managedFields: [
        managed('kube-controller-manager', 'apps/v1', T(at), {
          'f:metadata': { 'f:annotations': { '.': {}, 'f:deployment.kubernetes.io/desired-replicas': {}, 'f:deployment.kubernetes.io/max-replicas': {}, 'f:deployment.kubernetes.io/revision': {} }, 'f:labels': { '.': {}, 'f:app': {}, 'f:pod-template-hash': {} }, ...ownerRefFields(owner.uid) },
          'f:spec': { 'f:replicas': {}, 'f:selector': {}, 'f:template': { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {}, 'f:pod-template-hash': {} } }, 'f:spec': containerFields } },
        }),
        managed('kube-controller-manager', 'apps/v1', T(at), { 'f:status': { 'f:availableReplicas': {}, 'f:fullyLabeledReplicas': {}, 'f:observedGeneration': {}, 'f:readyReplicas': {}, 'f:replicas': {} } }, 'status'),
      ],
    },
    spec: { replicas: rs.replicas, selector: { matchLabels: labels }, template: podTemplate(labels, rs.image) },
    status: { observedGeneration: rs.generation, replicas: rs.replicas, fullyLabeledReplicas: rs.replicas, readyReplicas: rs.replicas, availableReplicas: rs.replicas },
  };
}

export interface JobState {
  namespace: string;
  name: string;
  uid: string;
  createdAt: number;
  parallelism: number;
  image: string;
  done: number;
}

export function job(j: JobState, at: number, T: TimeMap = sameTime): KubeJson {
  const labels = { 'batch.kubernetes.io/controller-uid': j.uid, 'batch.kubernetes.io/job-name': j.name, 'controller-uid': j.uid, 'job-name': j.name };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: j.name, namespace: j.namespace, uid: j.uid, generation: 1, creationTimestamp: kubeTime(T(j.createdAt)), labels,
      managedFields: [
        managed('kubectl-create', 'batch/v1', T(j.createdAt), { 'f:spec': { 'f:backoffLimit': {}, 'f:completionMode': {}, 'f:completions': {}, 'f:parallelism': {}, 'f:suspend': {}, 'f:template': { 'f:spec': containerFields }, 'f:ttlSecondsAfterFinished': {} } }),
        managed('kube-controller-manager', 'batch/v1', T(at), { 'f:status': { 'f:active': {}, 'f:ready': {}, 'f:startTime': {}, 'f:succeeded': {}, 'f:uncountedTerminatedPods': {} } }, 'status'),
      ],
    },
    spec: {
      backoffLimit: 6, completionMode: 'NonIndexed', completions: j.parallelism, parallelism: j.parallelism, suspend: false, ttlSecondsAfterFinished: 10,
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': j.uid } },
      template: podTemplate(labels, j.image, 'Never'),
    },
    status: { active: j.parallelism - j.done, succeeded: j.done, startTime: kubeTime(T(j.createdAt)) },
  };
}

export interface PodState {
  name: string;
  uid: string;
  createdAt: number;
  owner: ObjectId;
  labels: Record<string, string>;
  image: string;
  node?: string;
  phase: 'Pending' | 'Running' | 'Succeeded';
  deletingAt?: number;
}

/** The token volume the ServiceAccount admission plugin mounts into every Pod (1.22+: projected). */
export function serviceAccountVolume(name: string): Record<string, unknown> {
  return {
    name,
    projected: {
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { items: [{ key: 'ca.crt', path: 'ca.crt' }], name: 'kube-root-ca.crt' } },
        { downwardAPI: { items: [{ fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' }, path: 'namespace' }] } },
      ],
    },
  };
}

/** The tolerations the DefaultTolerationSeconds admission plugin adds to every Pod. */
export const DEFAULT_TOLERATIONS = [
  { effect: 'NoExecute', key: 'node.kubernetes.io/not-ready', operator: 'Exists', tolerationSeconds: 300 },
  { effect: 'NoExecute', key: 'node.kubernetes.io/unreachable', operator: 'Exists', tolerationSeconds: 300 },
];

const conditionFields = { '.': {}, 'f:lastProbeTime': {}, 'f:lastTransitionTime': {}, 'f:status': {}, 'f:type': {} };

/**
 * What the kubelet reports of a Pod on its node: conditions, the container's status (waiting while
 * it is created, then running, or terminated for a finished Job's Pod), host and Pod IPs.
 */
function kubeletStatus(p: PodState, time: string): Record<string, unknown> {
  const running = p.phase === 'Running';
  const started = p.phase !== 'Pending';
  // 64 hex digits from the uid: container ids and image digests have that length
  const hex = p.uid.replace(/-/g, '').repeat(2);
  const containerId = `containerd://${hex}`;
  const unready = p.phase === 'Succeeded' ? { reason: 'PodCompleted' } : { reason: 'ContainersNotReady', message: `containers with unready status: [${CONTAINER}]` };
  const condition = (type: string, ok: boolean, whyNot?: Record<string, string>): Record<string, unknown> => ({
    lastProbeTime: null, lastTransitionTime: time, status: ok ? 'True' : 'False', type, ...(ok ? {} : whyNot),
  });
  const state = running
    ? { running: { startedAt: time } }
    : p.phase === 'Succeeded'
      ? { terminated: { containerID: containerId, exitCode: 0, finishedAt: time, reason: 'Completed', startedAt: time } }
      : { waiting: { reason: 'ContainerCreating' } };
  return {
    conditions: [
      condition('PodReadyToStartContainers', started),
      condition('Initialized', true),
      condition('Ready', running, unready),
      condition('ContainersReady', running, unready),
      condition('PodScheduled', true),
    ],
    containerStatuses: [{
      ...(started ? { containerID: containerId } : {}),
      image: p.image, imageID: started ? `${p.image.split(':')[0]}@sha256:${hex}` : '',
      lastState: {}, name: CONTAINER, ready: running, restartCount: 0, started: running, state,
    }],
    hostIP: '10.0.0.1', hostIPs: [{ ip: '10.0.0.1' }],
    ...(started ? { podIP: '10.244.1.2', podIPs: [{ ip: '10.244.1.2' }] } : {}),
    startTime: time,
  };
}

/**
 * A Pod as the API server returns it: what its controller asked for, what admission added (the
 * ServiceAccount token volume and its mount, the default tolerations), and once it is on a node
 * what the kubelet reports (sizes in line with Pods recorded from a real cluster, ~4 KB).
 */
export function pod(p: PodState, at: number, T: TimeMap = sameTime): KubeJson {
  const generatedFrom = `${p.owner.name}-`;
  const managedFields = [
    managed('kube-controller-manager', 'v1', T(p.createdAt), { 'f:metadata': { 'f:generateName': {}, 'f:labels': Object.fromEntries([['.', {}], ...Object.keys(p.labels).map((k) => [`f:${k}`, {}])]), ...ownerRefFields(p.owner.uid) }, 'f:spec': { ...containerFields, 'f:enableServiceLinks': {} } }),
  ];
  if (p.node) {
    managedFields.push(managed('kubelet', 'v1', T(at), {
      'f:status': {
        'f:conditions': Object.fromEntries(['ContainersReady', 'Initialized', 'PodReadyToStartContainers', 'Ready'].map((type) => [`k:{"type":"${type}"}`, conditionFields])),
        'f:containerStatuses': {}, 'f:hostIP': {}, 'f:hostIPs': {}, 'f:phase': {}, 'f:startTime': {},
        ...(p.phase !== 'Pending' ? { 'f:podIP': {}, 'f:podIPs': { '.': {}, 'k:{"ip":"10.244.1.2"}': { '.': {}, 'f:ip': {} } } } : {}),
      },
    }, 'status'));
  }
  const volume = `kube-api-access-${p.uid.slice(0, 5)}`;
  const template = podTemplate(p.labels, p.image, p.owner.kind === 'Job' ? 'Never' : 'Always')['spec'] as Record<string, unknown>;
  const containers = (template['containers'] as Array<Record<string, unknown>>).map((c) => ({ ...c, volumeMounts: [{ mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', name: volume, readOnly: true }] }));
  const spec: Record<string, unknown> = {
    ...template, containers, enableServiceLinks: true, preemptionPolicy: 'PreemptLowerPriority', priority: 0,
    serviceAccount: 'default', serviceAccountName: 'default', tolerations: DEFAULT_TOLERATIONS, volumes: [serviceAccountVolume(volume)],
  };
  if (p.node) spec['nodeName'] = p.node;
  const metadata: Meta = {
    name: p.name, generateName: generatedFrom, namespace: p.owner.namespace, uid: p.uid, creationTimestamp: kubeTime(T(p.createdAt)), labels: p.labels,
    ownerReferences: [ownerRef(p.owner)], managedFields,
  };
  if (p.deletingAt !== undefined) {
    metadata['deletionTimestamp'] = kubeTime(T(p.deletingAt) + 30_000);
    metadata['deletionGracePeriodSeconds'] = 30;
  }
  const status = p.node ? { phase: p.phase, ...kubeletStatus(p, kubeTime(T(at))), qosClass: 'Burstable' } : { phase: p.phase, qosClass: 'Burstable' };
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec, status };
}

export interface EventSource {
  component: string;
  host?: string;
}

/** The managedFields of an event's involvedObject: one field per key it has, as a recorded event lists them. */
function involvedObjectFields(involvedObject: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(involvedObject).sort().map((key) => [`f:${key}`, {}]));
}

/** A legacy core/v1 Event as the controllers and the kubelet write them (second-granularity times). */
export function coreEvent(
  id: { name: string; uid: string },
  involved: ObjectId & { fieldPath?: string },
  reason: string,
  message: string,
  source: EventSource,
  at: number,
  type: 'Normal' | 'Warning' = 'Normal',
): KubeJson {
  const involvedObject: Record<string, unknown> = { apiVersion: involved.apiVersion, kind: involved.kind, name: involved.name, namespace: involved.namespace, uid: involved.uid };
  if (involved.fieldPath) involvedObject['fieldPath'] = involved.fieldPath;
  const manager = source.component === 'kubelet' ? 'kubelet' : 'kube-controller-manager';
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {
      name: id.name, namespace: involved.namespace, uid: id.uid, creationTimestamp: kubeTime(at),
      managedFields: [managed(manager, 'v1', at, { 'f:count': {}, 'f:firstTimestamp': {}, 'f:involvedObject': involvedObjectFields(involvedObject), 'f:lastTimestamp': {}, 'f:message': {}, 'f:reason': {}, 'f:reportingComponent': {}, 'f:reportingInstance': {}, 'f:source': { 'f:component': {}, ...(source.host ? { 'f:host': {} } : {}) }, 'f:type': {} })],
    },
    involvedObject,
    reason,
    message,
    source: source.host ? { component: source.component, host: source.host } : { component: source.component },
    firstTimestamp: kubeTime(at),
    lastTimestamp: kubeTime(at),
    count: 1,
    type,
    eventTime: null,
    reportingComponent: source.component,
    reportingInstance: source.host ?? '',
  };
}

/** An events.k8s.io Event read through core/v1, as the scheduler writes them: reportingComponent and eventTime only. */
export function schedulerEvent(id: { name: string; uid: string }, involved: ObjectId, reason: string, message: string, at: number): KubeJson {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {
      name: id.name, namespace: involved.namespace, uid: id.uid, creationTimestamp: kubeTime(at),
      managedFields: [managed('kube-scheduler', 'events.k8s.io/v1', at, { 'f:action': {}, 'f:eventTime': {}, 'f:note': {}, 'f:reason': {}, 'f:regarding': {}, 'f:reportingController': {}, 'f:reportingInstance': {}, 'f:type': {} })],
    },
    involvedObject: { apiVersion: involved.apiVersion, kind: involved.kind, name: involved.name, namespace: involved.namespace, uid: involved.uid },
    action: 'Binding',
    reason,
    message,
    source: {},
    firstTimestamp: null,
    lastTimestamp: null,
    eventTime: microTime(at),
    reportingComponent: 'default-scheduler',
    reportingInstance: 'default-scheduler-control-plane-1',
    type: 'Normal',
  };
}

export function namespaceObject(name: string, uid: string, at: number): KubeJson {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, uid, creationTimestamp: kubeTime(at), labels: { 'kubernetes.io/metadata.name': name } }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } };
}
