/**
 * Status-transition scenarios (docs/design.md §5.10) as captures (§6), shaped like what the watches
 * of a v1.29 cluster deliver: a small discrete-event simulation of the API server (resource
 * versions, managedFields per manager, `subresource: status` for status writes), the
 * deployment-, replicaset-, statefulset- and daemonset-controllers (the rolling-update arithmetic
 * of kube-controller-manager, their Events and status writes), the scheduler (events.k8s.io
 * Events: reportingComponent and eventTime, no source) and a kubelet per node (Pod status through
 * PodReadyToStartContainers, Running and Ready; readiness probes; image pulls; restarts; legacy
 * Events with source.component and host and second-granularity timestamps, aggregated by count).
 *
 * Every object version is recorded when the API server wrote it plus a watch's latency (a few ms),
 * every Event when its recorder posted it plus the Event watch's latency; each watch delivers in
 * order. Status updates come a few hundred ms after what they report (the kubelet's PLEG relist,
 * the controllers' informer round trips). Deterministic: one seeded PRNG per scenario.
 *
 * `npx tsx test/support/rollout-scenarios.ts [DIR]` writes every scenario to
 * DIR/<name>.ndjson (default test/fixtures/status). `objectVersions`, `statusUpdates` and
 * `shiftStatusUpdates` move a capture's status updates in time, for arrival-order properties.
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CaptureRecord } from '../../src/replay/capture.js';
import { DEFAULT_TOLERATIONS, serviceAccountVolume } from '../../bench/support/kube-objects.js';
import { Random } from '../../bench/support/random.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

export interface CaptureLine {
  at: number;
  kind: 'object' | 'event' | 'flush';
  object?: Json;
}

// ---- randomness and time ------------------------------------------------------------------

/** The benchmarks' seeded PRNG (same seed, same scenario), with uniform reals in a range. */
export class Rng extends Random {
  between(min: number, max: number): number {
    return min + this.next() * (max - min);
  }
}

/** What Kubernetes uses for generated names and template hashes (k8s.io/apimachinery rand.SafeEncodeString). */
const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

/** A pod-template-hash / controller-revision-hash: fnv32a of the template, its decimal digits safe-encoded, as the controllers do. */
export function templateHash(template: unknown): string {
  let h = 0x811c9dc5;
  const text = JSON.stringify(template);
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return [...String(h)].map((c) => NAME_CHARS[c.charCodeAt(0) % NAME_CHARS.length]).join('');
}

/** metav1.Time: whole seconds */
export const kubeTime = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

function fraction(ms: number, digits: number): string {
  const micros = Math.round(ms * 1000);
  const seconds = Math.floor(micros / 1e6);
  const sub = String(micros - seconds * 1e6).padStart(6, '0');
  return `${new Date(seconds * 1000).toISOString().slice(0, 19)}.${digits === 9 ? `${sub}000` : sub}Z`;
}

/** metav1.MicroTime: microseconds */
export const microTime = (ms: number): string => fraction(ms, 6);
/** a capture record's receive time: nanoseconds, as `kspan capture` writes them */
export const receiveTime = (ms: number): string => fraction(ms, 9);

/** A Go duration as the kubelet prints a pull's, truncated to milliseconds ("2.034s"). */
const seconds3 = (ms: number): string => `${(Math.floor(ms) / 1000).toFixed(3).replace(/\.?0+$/, '')}s`;

// ---- the simulation core -----------------------------------------------------------------

interface Task {
  at: number;
  seq: number;
  run: () => void;
}

class Sim {
  now: number;
  private readonly tasks: Task[] = [];
  private seq = 0;
  private readonly lines: Array<CaptureLine & { seq: number }> = [];
  /** each watch (one per kind, one for Events) delivers in order */
  private readonly lastOnWatch = new Map<string, number>();

  constructor(start: number, readonly rng: Rng) {
    this.now = start;
  }

  at(at: number, run: () => void): void {
    const task = { at, seq: this.seq++, run };
    let i = this.tasks.length;
    while (i > 0 && this.tasks[i - 1]!.at > at) i--;
    this.tasks.splice(i, 0, task);
  }

  after(ms: number, run: () => void): void {
    this.at(this.now + ms, run);
  }

  /** Runs the tasks due until `until` (probes and pod syncs recur for ever). */
  run(until: number): void {
    for (let t = this.tasks.shift(); t !== undefined && t.at <= until; t = this.tasks.shift()) {
      if (t.at > this.now) this.now = t.at;
      t.run();
    }
  }

  /** What a watch delivers `latencyMs` after now (never before what it delivered earlier). */
  deliver(watch: string, kind: 'object' | 'event', object: Json, latencyMs: number): void {
    const at = Math.max(this.now + latencyMs, (this.lastOnWatch.get(watch) ?? -Infinity) + 0.05);
    this.lastOnWatch.set(watch, at);
    this.lines.push({ at, kind, object: JSON.parse(JSON.stringify(object)) as Json, seq: this.seq++ });
  }

  /** An object of the initial list, known at `at`. */
  listed(object: Json, at: number): void {
    this.lines.push({ at, kind: 'object', object: JSON.parse(JSON.stringify(object)) as Json, seq: this.seq++ });
  }

  capture(flushAfterMs: number): CaptureLine[] {
    const sorted = [...this.lines].sort((a, b) => a.at - b.at || a.seq - b.seq);
    const last = sorted.length > 0 ? sorted[sorted.length - 1]!.at : this.now;
    const out: CaptureLine[] = sorted.map(({ at, kind, object }) => (object === undefined ? { at, kind } : { at, kind, object }));
    out.push({ at: Math.ceil((last + flushAfterMs) / 1000) * 1000, kind: 'flush' });
    return out;
  }
}

interface Model {
  readonly kind: string;
  resourceVersion: string;
  toJson(): Json;
}

class Api {
  private rv: number;

  constructor(private readonly sim: Sim, firstRv: number) {
    this.rv = firstRv;
  }

  nextRv(): string {
    return String(++this.rv);
  }

  /** A write (create, update, status update): a new resourceVersion, delivered by the kind's watch a few ms later. */
  write(obj: Model): void {
    obj.resourceVersion = this.nextRv();
    this.sim.deliver(obj.kind, 'object', obj.toJson(), this.sim.rng.between(1.5, 8));
  }

  /** An object the capture's initial list holds. */
  list(obj: Model): void {
    obj.resourceVersion = this.nextRv();
    this.sim.listed(obj.toJson(), this.sim.now);
  }
}

// ---- object shapes ---------------------------------------------------------------------

interface ObjectId {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  uid: string;
}

interface Involved extends ObjectId {
  resourceVersion: string;
  fieldPath?: string;
}

const ownerReference = (o: ObjectId): Json => ({ apiVersion: o.apiVersion, blockOwnerDeletion: true, controller: true, kind: o.kind, name: o.name, uid: o.uid });

function managed(manager: string, apiVersion: string, time: number | undefined, fieldsV1: Json, subresource?: string): Json {
  const entry: Json = { manager, operation: 'Update', apiVersion };
  if (time !== undefined) entry['time'] = kubeTime(time);
  entry['fieldsType'] = 'FieldsV1';
  entry['fieldsV1'] = fieldsV1;
  if (subresource !== undefined) entry['subresource'] = subresource;
  return entry;
}

const keysOf = (obj: Json): Json => Object.fromEntries(Object.keys(obj).sort().map((k) => [`f:${k}`, {}]));
const labelFields = (labels: Record<string, string>): Json => ({ '.': {}, ...keysOf(labels) });
const ownerFields = (uid: string): Json => ({
  'f:ownerReferences': { '.': {}, [`k:{"uid":"${uid}"}`]: { '.': {}, 'f:apiVersion': {}, 'f:blockOwnerDeletion': {}, 'f:controller': {}, 'f:kind': {}, 'f:name': {}, 'f:uid': {} } },
});

interface Probe {
  path: string;
  initialDelaySeconds: number;
  periodSeconds: number;
  failureThreshold: number;
}

/** A workload's one container. */
interface App {
  container: string;
  image: string;
  port: number;
  probe?: Probe;
  requests: { cpu: string; memory: string };
  limits?: { memory: string };
  /** extra Pod spec fields of the template (DaemonSet: hostNetwork...) */
  podSpec?: Json;
  /** a Job's container: exits 0 this long after it started */
  runsForMs?: number;
}

function containerJson(app: App): Json {
  const c: Json = { name: app.container, image: app.image, imagePullPolicy: 'IfNotPresent', ports: [{ containerPort: app.port, name: 'http', protocol: 'TCP' }] };
  if (app.probe) {
    c['readinessProbe'] = {
      failureThreshold: app.probe.failureThreshold, httpGet: { path: app.probe.path, port: 'http', scheme: 'HTTP' },
      initialDelaySeconds: app.probe.initialDelaySeconds, periodSeconds: app.probe.periodSeconds, successThreshold: 1, timeoutSeconds: 1,
    };
  }
  c['resources'] = { ...(app.limits ? { limits: app.limits } : {}), requests: app.requests };
  c['terminationMessagePath'] = '/dev/termination-log';
  c['terminationMessagePolicy'] = 'File';
  return c;
}

/** The `f:` tree of the container, with or without its image (ownership of f:image moves to `kubectl set image`). */
function containerFields(app: App, withImage = true): Json {
  const fields: Json = { '.': {} };
  if (withImage) fields['f:image'] = {};
  fields['f:imagePullPolicy'] = {};
  fields['f:name'] = {};
  fields['f:ports'] = { '.': {}, [`k:{"containerPort":${app.port},"protocol":"TCP"}`]: { '.': {}, 'f:containerPort': {}, 'f:name': {}, 'f:protocol': {} } };
  if (app.probe) {
    fields['f:readinessProbe'] = {
      '.': {}, 'f:failureThreshold': {}, 'f:httpGet': { '.': {}, 'f:path': {}, 'f:port': {}, 'f:scheme': {} },
      'f:initialDelaySeconds': {}, 'f:periodSeconds': {}, 'f:successThreshold': {}, 'f:timeoutSeconds': {},
    };
  }
  fields['f:resources'] = { '.': {}, ...(app.limits ? { 'f:limits': { '.': {}, 'f:memory': {} } } : {}), 'f:requests': { '.': {}, 'f:cpu': {}, 'f:memory': {} } };
  fields['f:terminationMessagePath'] = {};
  fields['f:terminationMessagePolicy'] = {};
  return { 'f:containers': { [`k:{"name":"${app.container}"}`]: fields } };
}

function podSpecJson(app: App): Json {
  return {
    containers: [containerJson(app)], dnsPolicy: 'ClusterFirst', ...(app.podSpec ?? {}), restartPolicy: (app.podSpec?.['restartPolicy'] as string | undefined) ?? 'Always', schedulerName: 'default-scheduler',
    securityContext: {}, terminationGracePeriodSeconds: 30,
  };
}

function podSpecFields(app: App, withImage = true): Json {
  return {
    ...containerFields(app, withImage), 'f:dnsPolicy': {}, ...keysOf(app.podSpec ?? {}), 'f:restartPolicy': {}, 'f:schedulerName': {},
    'f:securityContext': {}, 'f:terminationGracePeriodSeconds': {},
  };
}

const templateJson = (labels: Record<string, string>, app: App): Json => ({ metadata: { creationTimestamp: null, labels }, spec: podSpecJson(app) });

// ---- Pods ------------------------------------------------------------------------------

type PodCondition = 'PodReadyToStartContainers' | 'Initialized' | 'Ready' | 'ContainersReady' | 'PodScheduled';
const CONDITION_ORDER: PodCondition[] = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'];

interface Condition {
  status: 'True' | 'False';
  time: number;
  reason?: string;
  message?: string;
}


/** What the DaemonSet controller adds to its Pods (pkg/controller/daemon/util). */
const DAEMON_TOLERATIONS = [
  { effect: 'NoExecute', key: 'node.kubernetes.io/not-ready', operator: 'Exists' },
  { effect: 'NoExecute', key: 'node.kubernetes.io/unreachable', operator: 'Exists' },
  { effect: 'NoSchedule', key: 'node.kubernetes.io/disk-pressure', operator: 'Exists' },
  { effect: 'NoSchedule', key: 'node.kubernetes.io/memory-pressure', operator: 'Exists' },
  { effect: 'NoSchedule', key: 'node.kubernetes.io/pid-pressure', operator: 'Exists' },
  { effect: 'NoSchedule', key: 'node.kubernetes.io/unschedulable', operator: 'Exists' },
  { effect: 'NoSchedule', key: 'node.kubernetes.io/network-unavailable', operator: 'Exists' },
];

type Owner = ObjectId & { controllerOf: Workload | Job };

class Pod implements Model {
  readonly kind = 'Pod';
  readonly apiVersion = 'v1';
  resourceVersion = '';
  node: string | undefined;
  phase: 'Pending' | 'Running' | 'Succeeded' = 'Pending';
  startTime: number | undefined;
  podIP: string | undefined;
  hostIP: string | undefined;
  readonly conditions = new Map<PodCondition, Condition>();
  /** the container's state, lastState, and the rest of its status (undefined until the kubelet reports it) */
  state: Json | undefined;
  lastState: Json = {};
  ready = false;
  started = false;
  restartCount = 0;
  containerId: string | undefined;
  imageId: string | undefined;
  /** when the kubelet last wrote the status (its managedFields entry's time) */
  kubeletWroteAt: number | undefined;
  deletionTimestamp: number | undefined;
  deleted = false;
  readySince: number | undefined;
  /** the kubelet's readiness prober: consecutive failures, and until when the app fails its probe */
  probeFailures = 0;
  failingUntil: number | undefined;
  failingFrom: number | undefined;

  constructor(
    readonly name: string,
    readonly namespace: string,
    readonly uid: string,
    readonly createdAt: number,
    readonly owner: Owner,
    readonly app: App,
    readonly labels: Record<string, string>,
    private readonly extra: { generateName?: string; spec?: Json; specFields?: Json; daemonNode?: string },
  ) {}

  /** a DaemonSet's Pod: the node its affinity names */
  get daemonNode(): string | undefined {
    return this.extra.daemonNode;
  }

  id(fieldPath?: string): Involved {
    const id: Involved = { apiVersion: 'v1', kind: 'Pod', name: this.name, namespace: this.namespace, uid: this.uid, resourceVersion: this.resourceVersion };
    if (fieldPath !== undefined) id.fieldPath = fieldPath;
    return id;
  }

  get terminating(): boolean {
    return this.deletionTimestamp !== undefined;
  }

  setCondition(type: PodCondition, status: 'True' | 'False', time: number, reason?: string, message?: string): void {
    const before = this.conditions.get(type);
    const c: Condition = { status, time: before !== undefined && before.status === status ? before.time : time };
    if (reason !== undefined) c.reason = reason;
    if (message !== undefined) c.message = message;
    this.conditions.set(type, c);
  }

  private volumeName(): string {
    return `kube-api-access-${this.uid.replace(/-/g, '').slice(0, 5)}`;
  }

  toJson(): Json {
    const managedFields: Json[] = [
      managed('kube-controller-manager', 'v1', this.createdAt, {
        'f:metadata': { ...(this.extra.generateName ? { 'f:generateName': {} } : {}), 'f:labels': labelFields(this.labels), ...ownerFields(this.owner.uid) },
        'f:spec': { ...podSpecFields(this.app), 'f:enableServiceLinks': {}, ...(this.extra.specFields ?? {}) },
      }),
    ];
    if (this.kubeletWroteAt !== undefined) managedFields.push(managed('kubelet', 'v1', this.kubeletWroteAt, { 'f:status': this.statusFields() }, 'status'));
    const metadata: Json = { name: this.name };
    if (this.extra.generateName) metadata['generateName'] = this.extra.generateName;
    metadata['namespace'] = this.namespace;
    metadata['uid'] = this.uid;
    metadata['resourceVersion'] = this.resourceVersion;
    metadata['creationTimestamp'] = kubeTime(this.createdAt);
    if (this.deletionTimestamp !== undefined) {
      metadata['deletionTimestamp'] = kubeTime(this.deletionTimestamp);
      metadata['deletionGracePeriodSeconds'] = 30;
    }
    metadata['labels'] = this.labels;
    metadata['ownerReferences'] = [ownerReference(this.owner)];
    metadata['managedFields'] = managedFields;
    const volume = this.volumeName();
    const template = podSpecJson(this.app);
    const spec: Json = {
      ...template,
      containers: (template['containers'] as Json[]).map((c) => ({ ...c, volumeMounts: [{ mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', name: volume, readOnly: true }] })),
      enableServiceLinks: true,
      ...(this.extra.spec ?? {}),
    };
    if (this.node !== undefined) spec['nodeName'] = this.node;
    spec['preemptionPolicy'] = 'PreemptLowerPriority';
    spec['priority'] = 0;
    spec['serviceAccount'] = 'default';
    spec['serviceAccountName'] = 'default';
    spec['tolerations'] = this.extra.daemonNode !== undefined ? DAEMON_TOLERATIONS : DEFAULT_TOLERATIONS;
    spec['volumes'] = [...((this.extra.spec?.['volumes'] as Json[] | undefined) ?? []), serviceAccountVolume(volume)];
    return { apiVersion: 'v1', kind: 'Pod', metadata, spec, status: this.statusJson() };
  }

  private statusJson(): Json {
    const status: Json = {};
    const conditions = CONDITION_ORDER.filter((t) => this.conditions.has(t)).map((type) => {
      const c = this.conditions.get(type)!;
      return { lastProbeTime: null, lastTransitionTime: kubeTime(c.time), ...(c.message ? { message: c.message } : {}), ...(c.reason ? { reason: c.reason } : {}), status: c.status, type };
    });
    if (conditions.length > 0) status['conditions'] = conditions;
    if (this.state !== undefined) {
      const cs: Json = {};
      if (this.containerId !== undefined) cs['containerID'] = this.containerId;
      cs['image'] = this.app.image;
      cs['imageID'] = this.imageId ?? '';
      cs['lastState'] = this.lastState;
      cs['name'] = this.app.container;
      cs['ready'] = this.ready;
      cs['restartCount'] = this.restartCount;
      cs['started'] = this.started;
      cs['state'] = this.state;
      status['containerStatuses'] = [cs];
    }
    if (this.hostIP !== undefined) {
      status['hostIP'] = this.hostIP;
      status['hostIPs'] = [{ ip: this.hostIP }];
    }
    status['phase'] = this.phase;
    if (this.podIP !== undefined) {
      status['podIP'] = this.podIP;
      status['podIPs'] = [{ ip: this.podIP }];
    }
    status['qosClass'] = 'Burstable';
    if (this.startTime !== undefined) status['startTime'] = kubeTime(this.startTime);
    return status;
  }

  private statusFields(): Json {
    const conditions: Json = { '.': {} };
    for (const type of ['ContainersReady', 'Initialized', 'PodReadyToStartContainers', 'Ready'] as const) {
      const c = this.conditions.get(type);
      if (!c) continue;
      conditions[`k:{"type":"${type}"}`] = {
        '.': {}, 'f:lastProbeTime': {}, 'f:lastTransitionTime': {}, ...(c.message ? { 'f:message': {} } : {}), ...(c.reason ? { 'f:reason': {} } : {}), 'f:status': {}, 'f:type': {},
      };
    }
    return {
      'f:conditions': conditions, 'f:containerStatuses': {}, 'f:hostIP': {}, 'f:hostIPs': {}, 'f:phase': {},
      ...(this.podIP !== undefined ? { 'f:podIP': {}, 'f:podIPs': { '.': {}, [`k:{"ip":"${this.podIP}"}`]: { '.': {}, 'f:ip': {} } } } : {}),
      'f:startTime': {},
    };
  }
}

// ---- workloads -------------------------------------------------------------------------

/** A manager's entry on a workload's spec: what it wrote, and when. */
interface SpecManager {
  manager: string;
  time: number | undefined;
  subresource?: string;
  /** 'all': the creator (kubectl apply / create) — minus what later managers took over */
  owns: 'all' | 'image' | 'replicas';
  lastApplied?: boolean;
}

abstract class Workload implements Model {
  abstract readonly kind: string;
  readonly apiVersion = 'apps/v1';
  resourceVersion = '';
  generation = 1;
  statusWrittenAt: number | undefined;
  readonly managers: SpecManager[] = [];
  queued = false;
  /** kubectl apply's annotation: what the user applied, as first applied (kubectl set changes the object, not this) */
  lastAppliedText: string | undefined;
  /** annotations the user's manifest sets (a CI step's tracing.k8s.io/traceparent), owned by the creator's entry */
  userAnnotations: Record<string, string> = {};

  constructor(readonly name: string, readonly namespace: string, readonly uid: string, readonly createdAt: number, public app: App, readonly labels: Record<string, string>) {}

  id(): Involved {
    return { apiVersion: this.apiVersion, kind: this.kind, name: this.name, namespace: this.namespace, uid: this.uid, resourceVersion: this.resourceVersion };
  }

  abstract toJson(): Json;

  /** What the user's manifest says of the spec. */
  abstract userSpec(): Json;

  /** `kubectl set image`: kubectl-set takes f:image over from the creator. */
  setImage(image: string, at: number): void {
    this.app = { ...this.app, image };
    this.generation++;
    const entry = this.managers.find((m) => m.manager === 'kubectl-set');
    if (entry) entry.time = at;
    else this.managers.push({ manager: 'kubectl-set', time: at, owns: 'image' });
  }

  /** The managedFields entries of the spec's managers; `specFields` is the creator's whole f:spec. */
  protected specEntries(specFields: (withImage: boolean, withReplicas: boolean) => Json): Json[] {
    const imageTaken = this.managers.some((m) => m.owns === 'image');
    const replicasTaken = this.managers.some((m) => m.owns === 'replicas');
    return this.managers.map((m) => {
      if (m.owns === 'all') {
        const own = keysOf(this.userAnnotations);
        const metadata: Json = m.lastApplied
          ? { 'f:metadata': { 'f:annotations': { '.': {}, 'f:kubectl.kubernetes.io/last-applied-configuration': {}, ...own }, 'f:labels': labelFields(this.labels) } }
          : { 'f:metadata': { ...(Object.keys(own).length > 0 ? { 'f:annotations': { '.': {}, ...own } } : {}), 'f:labels': labelFields(this.labels) } };
        return managed(m.manager, 'apps/v1', m.time, { ...metadata, 'f:spec': specFields(!imageTaken, !replicasTaken) }, m.subresource);
      }
      if (m.owns === 'image') return managed(m.manager, 'apps/v1', m.time, { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { [`k:{"name":"${this.app.container}"}`]: { 'f:image': {} } } } } } }, m.subresource);
      return managed(m.manager, 'apps/v1', m.time, { 'f:spec': { 'f:replicas': {} } }, m.subresource);
    });
  }

  /** Records what `kubectl apply` sent: the user's spec, without the API server's defaults. */
  applied(spec: Json): void {
    this.lastAppliedText = `${JSON.stringify({ apiVersion: 'apps/v1', kind: this.kind, metadata: { annotations: {}, labels: this.labels, name: this.name, namespace: this.namespace }, spec })}\n`;
  }

  /** The user's view of the container (what a manifest says). */
  protected appliedContainer(): Json {
    const c = containerJson(this.app);
    delete c['imagePullPolicy'];
    delete c['terminationMessagePath'];
    delete c['terminationMessagePolicy'];
    if (c['readinessProbe']) c['readinessProbe'] = { httpGet: c['readinessProbe']['httpGet'], initialDelaySeconds: c['readinessProbe']['initialDelaySeconds'], periodSeconds: c['readinessProbe']['periodSeconds'] };
    return c;
  }

  protected metadata(annotations: Json, managedFields: Json[]): Json {
    return {
      name: this.name, namespace: this.namespace, uid: this.uid, resourceVersion: this.resourceVersion, generation: this.generation,
      creationTimestamp: kubeTime(this.createdAt), labels: this.labels, annotations, managedFields,
    };
  }
}

interface DeploymentCondition {
  type: 'Available' | 'Progressing';
  status: 'True' | 'False';
  reason: string;
  message: string;
  lastUpdateTime: number;
  lastTransitionTime: number;
}

interface DeploymentStatus {
  observedGeneration?: number;
  replicas: number;
  updatedReplicas: number;
  readyReplicas: number;
  availableReplicas: number;
  unavailableReplicas: number;
}

class Deployment extends Workload {
  readonly kind = 'Deployment';
  revision = 0;
  progressDeadlineSeconds = 600;
  status: DeploymentStatus | undefined;
  conditions: DeploymentCondition[] = [];
  /** requeueStuckDeployment: a sync is due when the progress deadline passes */
  deadlineQueued = false;

  constructor(name: string, namespace: string, uid: string, createdAt: number, app: App, labels: Record<string, string>, public replicas: number) {
    super(name, namespace, uid, createdAt, app, labels);
  }

  get selector(): Record<string, string> {
    return { app: this.labels['app'] ?? this.name };
  }

  template(): Json {
    return templateJson(this.selector, this.app);
  }

  /** 25% surge (rounded up) and 25% unavailable (rounded down), never both 0 */
  get maxSurge(): number {
    const surge = Math.ceil(this.replicas * 0.25);
    return surge === 0 && Math.floor(this.replicas * 0.25) === 0 ? 1 : surge;
  }

  get maxUnavailable(): number {
    const unavailable = Math.floor(this.replicas * 0.25);
    return unavailable === 0 && Math.ceil(this.replicas * 0.25) === 0 ? 1 : unavailable;
  }

  condition(type: DeploymentCondition['type']): DeploymentCondition | undefined {
    return this.conditions.find((c) => c.type === type);
  }

  /** util.SetDeploymentCondition: no change for the same status and reason; the transition time kept for the same status. */
  setCondition(conditions: DeploymentCondition[], c: DeploymentCondition): DeploymentCondition[] {
    const current = conditions.find((x) => x.type === c.type);
    if (current && current.status === c.status && current.reason === c.reason) return conditions;
    const next = { ...c };
    if (current && current.status === c.status) next.lastTransitionTime = current.lastTransitionTime;
    return [...conditions.filter((x) => x.type !== c.type), next];
  }

  /** Through the scale subresource: `kubectl scale` (manager kubectl), or an autoscaler (kube-controller-manager). */
  scale(replicas: number, manager = 'kubectl'): void {
    this.replicas = replicas;
    this.generation++;
    // The scale subresource: an entry without a time (fieldmanager's ScaleHandler), f:replicas taken from the creator.
    if (!this.managers.some((m) => m.owns === 'replicas')) this.managers.push({ manager, time: undefined, subresource: 'scale', owns: 'replicas' });
  }

  userSpec(): Json {
    return {
      ...(this.progressDeadlineSeconds !== 600 ? { progressDeadlineSeconds: this.progressDeadlineSeconds } : {}), replicas: this.replicas, selector: { matchLabels: this.selector },
      template: { metadata: { labels: this.selector }, spec: { containers: [this.appliedContainer()] } },
    };
  }

  private spec(): Json {
    return {
      progressDeadlineSeconds: this.progressDeadlineSeconds, replicas: this.replicas, revisionHistoryLimit: 10, selector: { matchLabels: this.selector },
      strategy: { rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' }, type: 'RollingUpdate' }, template: this.template(),
    };
  }

  private specFields(withImage: boolean, withReplicas: boolean): Json {
    return {
      'f:progressDeadlineSeconds': {}, ...(withReplicas ? { 'f:replicas': {} } : {}), 'f:revisionHistoryLimit': {},
      'f:selector': {}, 'f:strategy': { 'f:rollingUpdate': { '.': {}, 'f:maxSurge': {}, 'f:maxUnavailable': {} }, 'f:type': {} },
      'f:template': { 'f:metadata': { 'f:labels': labelFields(this.selector) }, 'f:spec': podSpecFields(this.app, withImage) },
    };
  }

  toJson(): Json {
    const creator = this.managers.find((m) => m.owns === 'all');
    const annotations: Json = {};
    if (this.revision > 0) annotations['deployment.kubernetes.io/revision'] = String(this.revision);
    Object.assign(annotations, this.userAnnotations);
    if (creator?.lastApplied && this.lastAppliedText !== undefined) annotations['kubectl.kubernetes.io/last-applied-configuration'] = this.lastAppliedText;
    const managedFields = this.specEntries((i, r) => this.specFields(i, r));
    const status = this.statusJson();
    if (this.statusWrittenAt !== undefined) {
      const revision = creator?.lastApplied ? { 'f:deployment.kubernetes.io/revision': {} } : { '.': {}, 'f:deployment.kubernetes.io/revision': {} };
      const conditions: Json = { '.': {} };
      for (const c of [...this.conditions].sort((a, b) => a.type.localeCompare(b.type))) {
        conditions[`k:{"type":"${c.type}"}`] = { '.': {}, 'f:lastTransitionTime': {}, 'f:lastUpdateTime': {}, 'f:message': {}, 'f:reason': {}, 'f:status': {}, 'f:type': {} };
      }
      const statusFields: Json = keysOf(status);
      if (this.conditions.length > 0) statusFields['f:conditions'] = conditions;
      managedFields.push(managed('kube-controller-manager', 'apps/v1', this.statusWrittenAt, { 'f:metadata': { 'f:annotations': revision }, 'f:status': statusFields }, 'status'));
    }
    return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: this.metadata(annotations, managedFields), spec: this.spec(), status };
  }

  private statusJson(): Json {
    const s = this.status;
    const status: Json = {};
    if (s?.availableReplicas) status['availableReplicas'] = s.availableReplicas;
    if (this.conditions.length > 0) {
      status['conditions'] = this.conditions.map((c) => ({
        lastTransitionTime: kubeTime(c.lastTransitionTime), lastUpdateTime: kubeTime(c.lastUpdateTime), message: c.message, reason: c.reason, status: c.status, type: c.type,
      }));
    }
    if (s?.observedGeneration) status['observedGeneration'] = s.observedGeneration;
    if (s?.readyReplicas) status['readyReplicas'] = s.readyReplicas;
    if (s?.replicas) status['replicas'] = s.replicas;
    if (s?.unavailableReplicas) status['unavailableReplicas'] = s.unavailableReplicas;
    if (s?.updatedReplicas) status['updatedReplicas'] = s.updatedReplicas;
    return status;
  }
}

interface ReplicaSetStatus {
  replicas: number;
  fullyLabeledReplicas: number;
  readyReplicas: number;
  availableReplicas: number;
  observedGeneration: number;
}

class ReplicaSet implements Model {
  readonly kind = 'ReplicaSet';
  readonly apiVersion = 'apps/v1';
  resourceVersion = '';
  generation = 1;
  specWrittenAt: number;
  statusWrittenAt: number | undefined;
  status: ReplicaSetStatus = { replicas: 0, fullyLabeledReplicas: 0, readyReplicas: 0, availableReplicas: 0, observedGeneration: 0 };
  desiredAnnotation: number;
  maxAnnotation: number;
  queued = false;
  /** the controller's expectations: creations and deletions it made and has not seen yet */
  expecting = 0;

  constructor(
    readonly name: string,
    readonly deployment: Deployment,
    readonly uid: string,
    readonly createdAt: number,
    readonly hash: string,
    readonly app: App,
    public replicas: number,
    readonly revision: number,
  ) {
    this.specWrittenAt = createdAt;
    this.desiredAnnotation = deployment.replicas;
    this.maxAnnotation = deployment.replicas + deployment.maxSurge;
  }

  get namespace(): string {
    return this.deployment.namespace;
  }

  get podLabels(): Record<string, string> {
    return { ...this.deployment.selector, 'pod-template-hash': this.hash };
  }

  id(): Involved {
    return { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: this.name, namespace: this.namespace, uid: this.uid, resourceVersion: this.resourceVersion };
  }

  toJson(): Json {
    const labels = this.podLabels;
    const managedFields = [
      managed('kube-controller-manager', 'apps/v1', this.specWrittenAt, {
        'f:metadata': {
          'f:annotations': { '.': {}, 'f:deployment.kubernetes.io/desired-replicas': {}, 'f:deployment.kubernetes.io/max-replicas': {}, 'f:deployment.kubernetes.io/revision': {} },
          'f:labels': labelFields(labels), ...ownerFields(this.deployment.uid),
        },
        'f:spec': { 'f:replicas': {}, 'f:selector': {}, 'f:template': { 'f:metadata': { 'f:labels': labelFields(labels) }, 'f:spec': podSpecFields(this.app) } },
      }),
    ];
    if (this.statusWrittenAt !== undefined) {
      managedFields.push(managed('kube-controller-manager', 'apps/v1', this.statusWrittenAt, { 'f:status': { 'f:availableReplicas': {}, 'f:fullyLabeledReplicas': {}, 'f:observedGeneration': {}, 'f:readyReplicas': {}, 'f:replicas': {} } }, 'status'));
    }
    const s = this.status;
    const status: Json = {};
    if (s.availableReplicas) status['availableReplicas'] = s.availableReplicas;
    if (s.fullyLabeledReplicas) status['fullyLabeledReplicas'] = s.fullyLabeledReplicas;
    if (s.observedGeneration) status['observedGeneration'] = s.observedGeneration;
    if (s.readyReplicas) status['readyReplicas'] = s.readyReplicas;
    status['replicas'] = s.replicas;
    return {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: this.name, namespace: this.namespace, uid: this.uid, resourceVersion: this.resourceVersion, generation: this.generation, creationTimestamp: kubeTime(this.createdAt), labels,
        annotations: { 'deployment.kubernetes.io/desired-replicas': String(this.desiredAnnotation), 'deployment.kubernetes.io/max-replicas': String(this.maxAnnotation), 'deployment.kubernetes.io/revision': String(this.revision) },
        ownerReferences: [ownerReference(this.deployment.id())], managedFields,
      },
      spec: { replicas: this.replicas, selector: { matchLabels: labels }, template: templateJson(labels, this.app) },
      status,
    };
  }
}

interface StatefulSetStatus {
  observedGeneration: number;
  replicas: number;
  readyReplicas: number;
  currentReplicas: number;
  updatedReplicas: number;
  availableReplicas: number;
  currentRevision: string;
  updateRevision: string;
}

class StatefulSet extends Workload {
  readonly kind = 'StatefulSet';
  status: StatefulSetStatus | undefined;

  constructor(name: string, namespace: string, uid: string, createdAt: number, app: App, labels: Record<string, string>, readonly replicas: number) {
    super(name, namespace, uid, createdAt, app, labels);
  }

  get selector(): Record<string, string> {
    return { app: this.name };
  }

  template(): Json {
    return templateJson(this.selector, this.app);
  }

  revision(): string {
    return `${this.name}-${templateHash(this.template())}`;
  }

  userSpec(): Json {
    return {
      replicas: this.replicas, selector: { matchLabels: this.selector }, serviceName: this.name,
      template: { metadata: { labels: this.selector }, spec: { containers: [this.appliedContainer()] } },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '8Gi' } } } }],
    };
  }

  private spec(): Json {
    return {
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' }, podManagementPolicy: 'OrderedReady', replicas: this.replicas, revisionHistoryLimit: 10,
      selector: { matchLabels: this.selector }, serviceName: this.name, template: this.template(),
      updateStrategy: { rollingUpdate: { partition: 0 }, type: 'RollingUpdate' },
      volumeClaimTemplates: [{ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { creationTimestamp: null, name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '8Gi' } }, volumeMode: 'Filesystem' }, status: { phase: 'Pending' } }],
    };
  }

  toJson(): Json {
    const creator = this.managers.find((m) => m.owns === 'all');
    const annotations: Json = {};
    if (creator?.lastApplied && this.lastAppliedText !== undefined) annotations['kubectl.kubernetes.io/last-applied-configuration'] = this.lastAppliedText;
    const managedFields = this.specEntries((withImage) => ({
      'f:podManagementPolicy': {}, 'f:replicas': {}, 'f:revisionHistoryLimit': {}, 'f:selector': {}, 'f:serviceName': {},
      'f:template': { 'f:metadata': { 'f:labels': labelFields(this.selector) }, 'f:spec': podSpecFields(this.app, withImage) },
      'f:updateStrategy': { 'f:rollingUpdate': { '.': {}, 'f:partition': {} }, 'f:type': {} }, 'f:volumeClaimTemplates': {},
    }));
    const status: Json = {};
    if (this.status) {
      const s = this.status;
      if (s.availableReplicas) status['availableReplicas'] = s.availableReplicas;
      status['collisionCount'] = 0;
      if (s.currentReplicas) status['currentReplicas'] = s.currentReplicas;
      status['currentRevision'] = s.currentRevision;
      status['observedGeneration'] = s.observedGeneration;
      if (s.readyReplicas) status['readyReplicas'] = s.readyReplicas;
      status['replicas'] = s.replicas;
      status['updateRevision'] = s.updateRevision;
      if (s.updatedReplicas) status['updatedReplicas'] = s.updatedReplicas;
      managedFields.push(managed('kube-controller-manager', 'apps/v1', this.statusWrittenAt, { 'f:status': keysOf(status) }, 'status'));
    }
    return { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: this.metadata(annotations, managedFields), spec: this.spec(), status };
  }
}

interface DaemonSetStatus {
  observedGeneration: number;
  desiredNumberScheduled: number;
  currentNumberScheduled: number;
  numberReady: number;
  numberAvailable: number;
  updatedNumberScheduled: number;
}

class DaemonSet extends Workload {
  readonly kind = 'DaemonSet';
  status: DaemonSetStatus | undefined;

  get selector(): Record<string, string> {
    return { 'app.kubernetes.io/name': this.name };
  }

  template(): Json {
    return templateJson(this.selector, this.app);
  }

  revisionHash(): string {
    return templateHash(this.template());
  }

  userSpec(): Json {
    return {
      selector: { matchLabels: this.selector },
      template: { metadata: { labels: this.selector }, spec: { containers: [this.appliedContainer()], ...(this.app.podSpec ?? {}) } },
    };
  }

  private spec(): Json {
    return {
      revisionHistoryLimit: 10, selector: { matchLabels: this.selector }, template: this.template(),
      updateStrategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: 1 }, type: 'RollingUpdate' },
    };
  }

  toJson(): Json {
    const creator = this.managers.find((m) => m.owns === 'all');
    const annotations: Json = { 'deprecated.daemonset.template.generation': String(this.generation) };
    if (creator?.lastApplied && this.lastAppliedText !== undefined) annotations['kubectl.kubernetes.io/last-applied-configuration'] = this.lastAppliedText;
    const managedFields = this.specEntries((withImage) => ({
      'f:revisionHistoryLimit': {}, 'f:selector': {},
      'f:template': { 'f:metadata': { 'f:labels': labelFields(this.selector) }, 'f:spec': podSpecFields(this.app, withImage) },
      'f:updateStrategy': { 'f:rollingUpdate': { '.': {}, 'f:maxSurge': {}, 'f:maxUnavailable': {} }, 'f:type': {} },
    }));
    const status: Json = {};
    if (this.status) {
      const s = this.status;
      status['currentNumberScheduled'] = s.currentNumberScheduled;
      status['desiredNumberScheduled'] = s.desiredNumberScheduled;
      if (s.numberAvailable) status['numberAvailable'] = s.numberAvailable;
      status['numberMisscheduled'] = 0;
      status['numberReady'] = s.numberReady;
      if (s.desiredNumberScheduled > s.numberAvailable) status['numberUnavailable'] = s.desiredNumberScheduled - s.numberAvailable;
      status['observedGeneration'] = s.observedGeneration;
      if (s.updatedNumberScheduled) status['updatedNumberScheduled'] = s.updatedNumberScheduled;
      managedFields.push(managed('kube-controller-manager', 'apps/v1', this.statusWrittenAt, { 'f:metadata': { 'f:annotations': { 'f:deprecated.daemonset.template.generation': {} } }, 'f:status': keysOf(status) }, 'status'));
    }
    return { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: this.metadata(annotations, managedFields), spec: this.spec(), status };
  }
}

// ---- CronJobs and Jobs -----------------------------------------------------------------

class CronJob implements Model {
  readonly kind = 'CronJob';
  readonly apiVersion = 'batch/v1';
  resourceVersion = '';
  readonly generation = 1;
  readonly schedule = '*/1 * * * *';
  readonly successfulJobsHistoryLimit = 1;
  active: Job[] = [];
  readonly finished: Job[] = [];
  lastScheduleTime: number | undefined;
  lastSuccessfulTime: number | undefined;
  statusWrittenAt: number | undefined;

  constructor(readonly name: string, readonly namespace: string, readonly uid: string, readonly createdAt: number, readonly app: App, readonly manager: string) {}

  id(): Involved {
    return { apiVersion: this.apiVersion, kind: this.kind, name: this.name, namespace: this.namespace, uid: this.uid, resourceVersion: this.resourceVersion };
  }

  toJson(): Json {
    const managedFields: Json[] = [managed(this.manager, 'batch/v1', this.createdAt, {
      'f:spec': { 'f:concurrencyPolicy': {}, 'f:failedJobsHistoryLimit': {}, 'f:jobTemplate': { 'f:spec': { 'f:template': { 'f:spec': podSpecFields(this.app) } } }, 'f:schedule': {}, 'f:successfulJobsHistoryLimit': {}, 'f:suspend': {} },
    })];
    const status: Json = {};
    if (this.active.length > 0) status['active'] = this.active.map((j) => ({ apiVersion: 'batch/v1', kind: 'Job', name: j.name, namespace: j.namespace, resourceVersion: j.resourceVersion, uid: j.uid }));
    if (this.lastScheduleTime !== undefined) status['lastScheduleTime'] = kubeTime(this.lastScheduleTime);
    if (this.lastSuccessfulTime !== undefined) status['lastSuccessfulTime'] = kubeTime(this.lastSuccessfulTime);
    if (this.statusWrittenAt !== undefined) managedFields.push(managed('kube-controller-manager', 'batch/v1', this.statusWrittenAt, { 'f:status': keysOf(status) }, 'status'));
    return {
      apiVersion: 'batch/v1', kind: 'CronJob',
      metadata: { name: this.name, namespace: this.namespace, uid: this.uid, resourceVersion: this.resourceVersion, generation: this.generation, creationTimestamp: kubeTime(this.createdAt), managedFields },
      spec: {
        concurrencyPolicy: 'Allow', failedJobsHistoryLimit: 1,
        jobTemplate: { metadata: { creationTimestamp: null }, spec: { template: { metadata: { creationTimestamp: null }, spec: podSpecJson(this.app) } } },
        schedule: this.schedule, successfulJobsHistoryLimit: this.successfulJobsHistoryLimit, suspend: false,
      },
      status,
    };
  }
}

class Job implements Model {
  readonly kind = 'Job';
  readonly apiVersion = 'batch/v1';
  resourceVersion = '';
  readonly generation = 1;
  startTime: number | undefined;
  completionTime: number | undefined;
  active = 0;
  succeeded = 0;
  statusWrittenAt: number | undefined;
  pod: Pod | undefined;
  queued = false;
  /** extra delay of the job-controller's `Job completed` Event (which of it and `Saw completed job` arrives first) */
  completedEventDelayMs = 0;

  constructor(readonly name: string, readonly cronJob: CronJob, readonly uid: string, readonly createdAt: number, readonly scheduledAt: number) {}

  get namespace(): string {
    return this.cronJob.namespace;
  }

  get podLabels(): Record<string, string> {
    return { 'batch.kubernetes.io/controller-uid': this.uid, 'batch.kubernetes.io/job-name': this.name, 'controller-uid': this.uid, 'job-name': this.name };
  }

  get complete(): boolean {
    return this.completionTime !== undefined;
  }

  id(): Involved {
    return { apiVersion: this.apiVersion, kind: this.kind, name: this.name, namespace: this.namespace, uid: this.uid, resourceVersion: this.resourceVersion };
  }

  toJson(): Json {
    const managedFields: Json[] = [managed('kube-controller-manager', 'batch/v1', this.createdAt, {
      'f:metadata': { 'f:annotations': { '.': {}, 'f:batch.kubernetes.io/cronjob-scheduled-timestamp': {} }, ...ownerFields(this.cronJob.uid) },
      'f:spec': { 'f:backoffLimit': {}, 'f:completionMode': {}, 'f:completions': {}, 'f:parallelism': {}, 'f:suspend': {}, 'f:template': { 'f:spec': podSpecFields(this.cronJob.app) } },
    })];
    const status: Json = {};
    if (this.active > 0) status['active'] = this.active;
    if (this.completionTime !== undefined) {
      status['completionTime'] = kubeTime(this.completionTime);
      status['conditions'] = [
        { lastProbeTime: kubeTime(this.completionTime), lastTransitionTime: kubeTime(this.completionTime), message: 'Reached expected number of succeeded pods', reason: 'CompletionsReached', status: 'True', type: 'SuccessCriteriaMet' },
        { lastProbeTime: kubeTime(this.completionTime), lastTransitionTime: kubeTime(this.completionTime), message: 'Reached expected number of succeeded pods', reason: 'CompletionsReached', status: 'True', type: 'Complete' },
      ];
    }
    status['ready'] = 0;
    if (this.startTime !== undefined) status['startTime'] = kubeTime(this.startTime);
    if (this.succeeded > 0) status['succeeded'] = this.succeeded;
    status['terminating'] = 0;
    status['uncountedTerminatedPods'] = {};
    if (this.statusWrittenAt !== undefined) managedFields.push(managed('kube-controller-manager', 'batch/v1', this.statusWrittenAt, { 'f:status': keysOf(status) }, 'status'));
    return {
      apiVersion: 'batch/v1', kind: 'Job',
      metadata: {
        name: this.name, namespace: this.namespace, uid: this.uid, resourceVersion: this.resourceVersion, generation: this.generation, creationTimestamp: kubeTime(this.createdAt),
        labels: { 'batch.kubernetes.io/controller-uid': this.uid, 'batch.kubernetes.io/job-name': this.name, 'controller-uid': this.uid, 'job-name': this.name },
        annotations: { 'batch.kubernetes.io/cronjob-scheduled-timestamp': new Date(this.scheduledAt).toISOString().replace('.000Z', 'Z') },
        ownerReferences: [ownerReference(this.cronJob.id())], managedFields,
      },
      spec: {
        backoffLimit: 6, completionMode: 'NonIndexed', completions: 1, manualSelector: false, parallelism: 1, podReplacementPolicy: 'TerminatingOrFailed',
        selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': this.uid } }, suspend: false,
        template: { metadata: { creationTimestamp: null, labels: this.podLabels }, spec: podSpecJson(this.cronJob.app) },
      },
      status,
    };
  }
}

// ---- Events ----------------------------------------------------------------------------

interface Source {
  component: string;
  host?: string;
}

class Events {
  /** the recorders' aggregation: the same event (source, object, type, reason, message) again is the same Event, counted */
  private readonly byKey = new Map<string, Json>();
  /** each recorder (a component on a host) posts its Events in the order they were made */
  private readonly lastPost = new Map<string, number>();

  constructor(private readonly sim: Sim, private readonly api: Api, private readonly controlPlane: string) {}

  /** When a recorder posts an Event made now: `delayMs` later, never before the Events it made earlier. */
  private postAt(recorder: string, delayMs: number): number {
    const at = Math.max(this.sim.now + delayMs, (this.lastPost.get(recorder) ?? -Infinity) + 0.2);
    this.lastPost.set(recorder, at);
    return at;
  }

  private name(involvedName: string, at: number): string {
    return `${involvedName}.${(BigInt(Math.floor(at)) * 1_000_000n + BigInt(this.sim.rng.int(0, 999_999))).toString(16)}`;
  }

  /** A core/v1 Event of a controller or the kubelet (client-go's record package), posted a few ms later (and `extraDelayMs`). */
  legacy(source: Source, involved: Involved, type: 'Normal' | 'Warning', reason: string, message: string, extraDelayMs = 0): void {
    const at = this.sim.now;
    const io: Json = { apiVersion: involved.apiVersion, ...(involved.fieldPath ? { fieldPath: involved.fieldPath } : {}), kind: involved.kind, name: involved.name, namespace: involved.namespace, resourceVersion: involved.resourceVersion, uid: involved.uid };
    const key = [source.component, source.host ?? '', involved.uid, involved.fieldPath ?? '', type, reason, message].join('\u0000');
    const manager = source.component === 'kubelet' ? 'kubelet' : 'kube-controller-manager';
    const postDelay = (source.component === 'kubelet' ? this.sim.rng.between(4, 30) : this.sim.rng.between(2, 15)) + extraDelayMs;
    this.sim.at(this.postAt(`${source.component}/${source.host ?? ''}`, postDelay), () => {
      let event = this.byKey.get(key);
      if (event) {
        event['count']++;
        event['lastTimestamp'] = kubeTime(at);
        event['metadata']['managedFields'][0]['time'] = kubeTime(this.sim.now);
      } else {
        event = {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: {
            name: this.name(involved.name, at), namespace: involved.namespace, uid: this.sim.rng.uuid(), resourceVersion: '', creationTimestamp: kubeTime(this.sim.now),
            managedFields: [managed(manager, 'v1', this.sim.now, {
              'f:count': {}, 'f:firstTimestamp': {}, 'f:involvedObject': keysOf(io), 'f:lastTimestamp': {}, 'f:message': {}, 'f:reason': {},
              'f:reportingComponent': {}, ...(source.host ? { 'f:reportingInstance': {} } : {}), 'f:source': { 'f:component': {}, ...(source.host ? { 'f:host': {} } : {}) }, 'f:type': {},
            })],
          },
          involvedObject: io,
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
        this.byKey.set(key, event);
      }
      event['metadata']['resourceVersion'] = this.api.nextRv();
      this.sim.deliver('Event', 'event', event, this.sim.rng.between(1.5, 6));
    });
  }

  /** The scheduler's `Scheduled`: an events.k8s.io Event read through core/v1 (reportingComponent, eventTime, no source). */
  scheduled(pod: Pod, node: string): void {
    const at = this.sim.now;
    const involved = pod.id();
    this.sim.at(this.postAt('default-scheduler', this.sim.rng.between(1, 6)), () => {
      const event: Json = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: {
          name: this.name(pod.name, at), namespace: pod.namespace, uid: this.sim.rng.uuid(), resourceVersion: this.api.nextRv(), creationTimestamp: kubeTime(this.sim.now),
          managedFields: [managed('kube-scheduler', 'events.k8s.io/v1', this.sim.now, {
            'f:action': {}, 'f:eventTime': {}, 'f:note': {}, 'f:reason': {}, 'f:regarding': {}, 'f:reportingController': {}, 'f:reportingInstance': {}, 'f:type': {},
          })],
        },
        involvedObject: { apiVersion: 'v1', kind: 'Pod', name: pod.name, namespace: pod.namespace, resourceVersion: involved.resourceVersion, uid: pod.uid },
        reason: 'Scheduled',
        message: `Successfully assigned ${pod.namespace}/${pod.name} to ${node}`,
        source: {},
        firstTimestamp: null,
        lastTimestamp: null,
        type: 'Normal',
        eventTime: microTime(at),
        action: 'Binding',
        reportingComponent: 'default-scheduler',
        reportingInstance: `default-scheduler-${this.controlPlane}`,
      };
      this.sim.deliver('Event', 'event', event, this.sim.rng.between(1.5, 6));
    });
  }
}

// ---- the cluster: controllers, scheduler, kubelets --------------------------------------

interface Node {
  name: string;
  ip: string;
  podCidr: number;
  nextIp: number;
  images: Set<string>;
  /** the kubelet's crash-loop backoff per container: when it may restart it next */
  backoff: Map<string, number>;
}

interface ImageInfo {
  digest: string;
  size: number;
  pullMs: number;
}

const kubeletSource = (node: string): Source => ({ component: 'kubelet', host: node });
const DEPLOYMENT_CONTROLLER: Source = { component: 'deployment-controller' };
const REPLICASET_CONTROLLER: Source = { component: 'replicaset-controller' };
const STATEFULSET_CONTROLLER: Source = { component: 'statefulset-controller' };
const DAEMONSET_CONTROLLER: Source = { component: 'daemonset-controller' };
const CRONJOB_CONTROLLER: Source = { component: 'cronjob-controller' };
const JOB_CONTROLLER: Source = { component: 'job-controller' };
const HPA_CONTROLLER: Source = { component: 'horizontal-pod-autoscaler' };

export class Cluster {
  readonly sim: Sim;
  readonly rng: Rng;
  readonly api: Api;
  readonly events: Events;
  readonly nodes: Node[];
  readonly pods: Pod[] = [];
  readonly replicaSets: ReplicaSet[] = [];
  private readonly images = new Map<string, ImageInfo>();
  /** images that do not exist in their registry (the pull fails) */
  readonly missingImages = new Set<string>();

  private readonly startMs: number;

  constructor(start: string, seed: number, nodeCount = 3) {
    this.rng = new Rng(seed);
    this.startMs = Date.parse(start);
    this.sim = new Sim(this.startMs, this.rng);
    this.api = new Api(this.sim, 4_812_000 + this.rng.int(0, 90_000));
    this.events = new Events(this.sim, this.api, 'control-plane-1');
    this.nodes = Array.from({ length: nodeCount }, (_, i) => ({ name: `worker-${i + 1}`, ip: `10.0.1.${11 + i}`, podCidr: i + 1, nextIp: 2 + this.rng.int(0, 40), images: new Set<string>(), backoff: new Map<string, number>() }));
  }

  get now(): number {
    return this.sim.now;
  }

  /** Runs `action` `offsetMs` after the scenario's start. */
  at(offsetMs: number, action: () => void): void {
    this.sim.at(this.startMs + offsetMs, action);
  }

  node(name: string): Node {
    const node = this.nodes.find((n) => n.name === name);
    if (!node) throw new Error(`no node ${name}`);
    return node;
  }

  image(name: string): ImageInfo {
    let info = this.images.get(name);
    if (!info) this.images.set(name, (info = { digest: this.rng.hex(64), size: this.rng.int(18_000_000, 160_000_000), pullMs: this.rng.between(1400, 3800) }));
    return info;
  }

  imageId(image: string): string {
    return `${image.split(':')[0]}@sha256:${this.image(image).digest}`;
  }

  podsOf(owner: { uid: string }): Pod[] {
    return this.pods.filter((p) => p.owner.uid === owner.uid && !p.deleted);
  }

  private latency(min = 2, max = 9): number {
    return this.rng.between(min, max);
  }

  // -- users ------------------------------------------------------------------------------

  /** `kubectl apply` (kubectl-client-side-apply) or `kubectl create -f` (kubectl-create) of a new Deployment. */
  createDeployment(opts: { name: string; namespace: string; replicas: number; app: App; manager: 'kubectl-client-side-apply' | 'kubectl-create'; progressDeadlineSeconds?: number; annotations?: Record<string, string> }): Deployment {
    const d = new Deployment(opts.name, opts.namespace, this.rng.uuid(), this.now, opts.app, { app: opts.name }, opts.replicas);
    if (opts.annotations !== undefined) d.userAnnotations = { ...opts.annotations };
    if (opts.progressDeadlineSeconds !== undefined) d.progressDeadlineSeconds = opts.progressDeadlineSeconds;
    d.managers.push({ manager: opts.manager, time: this.now, owns: 'all', lastApplied: opts.manager === 'kubectl-client-side-apply' });
    if (opts.manager === 'kubectl-client-side-apply') d.applied(d.userSpec());
    this.api.write(d);
    this.enqueueDeployment(d);
    return d;
  }

  /** `kubectl set image deployment/NAME ...` */
  setDeploymentImage(d: Deployment, image: string): void {
    d.setImage(image, this.now);
    this.api.write(d);
    this.enqueueDeployment(d);
  }

  /**
   * `kubectl apply` of a changed manifest (another image, the annotations it sets now): f:image
   * goes back to the applier, whose entry's time is now.
   */
  applyDeployment(d: Deployment, image: string, annotations: Record<string, string>): void {
    d.app = { ...d.app, image };
    d.generation++;
    d.userAnnotations = { ...annotations };
    const setter = d.managers.findIndex((m) => m.manager === 'kubectl-set');
    if (setter !== -1) d.managers.splice(setter, 1);
    const creator = d.managers.find((m) => m.owns === 'all')!;
    creator.time = this.now;
    d.applied(d.userSpec());
    this.api.write(d);
    this.enqueueDeployment(d);
  }

  /** The horizontal-pod-autoscaler `hpa` resizes its Deployment through the scale subresource, then says so. */
  autoscale(d: Deployment, hpa: { name: string; uid: string }, replicas: number, reason: string): void {
    this.scaleDeployment(d, replicas, 'kube-controller-manager');
    const id: Involved = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', name: hpa.name, namespace: d.namespace, uid: hpa.uid, resourceVersion: this.api.nextRv() };
    this.events.legacy(HPA_CONTROLLER, id, 'Normal', 'SuccessfulRescale', `New size: ${replicas}; reason: ${reason}`);
  }

  /** `kubectl scale deployment/NAME --replicas=N` (the scale subresource) */
  scaleDeployment(d: Deployment, replicas: number, manager?: string): void {
    d.scale(replicas, manager);
    this.api.write(d);
    this.enqueueDeployment(d);
  }

  setStatefulSetImage(ss: StatefulSet, image: string): void {
    ss.setImage(image, this.now);
    this.api.write(ss);
    this.enqueueStatefulSet(ss);
  }

  setDaemonSetImage(ds: DaemonSet, image: string): void {
    ds.setImage(image, this.now);
    this.api.write(ds);
    this.enqueueDaemonSet(ds);
  }

  // -- objects that exist when the capture starts -------------------------------------------

  /**
   * A Deployment rolled out long ago (`createdAt` ms before now, its last change `changedAt` ms
   * before now by `manager`), with its ReplicaSet and Ready Pods, as the capture's initial list.
   */
  existingDeployment(opts: { name: string; namespace: string; replicas: number; app: App; createdAgoMs: number; changedAgoMs: number; generation: number; progressDeadlineSeconds?: number }): Deployment {
    const created = this.now - opts.createdAgoMs;
    const changed = this.now - opts.changedAgoMs;
    const d = new Deployment(opts.name, opts.namespace, this.rng.uuid(), created, opts.app, { app: opts.name }, opts.replicas);
    if (opts.progressDeadlineSeconds !== undefined) d.progressDeadlineSeconds = opts.progressDeadlineSeconds;
    d.generation = opts.generation;
    d.revision = opts.generation;
    d.managers.push({ manager: 'kubectl-client-side-apply', time: created, owns: 'all', lastApplied: true });
    d.applied(d.userSpec());
    if (opts.generation > 1) d.managers.push({ manager: 'kubectl-set', time: changed, owns: 'image' });
    const rolledOut = changed + this.rng.between(9000, 30_000);
    const rs = new ReplicaSet(`${d.name}-${templateHash(d.template())}`, d, this.rng.uuid(), changed + 20, templateHash(d.template()), d.app, d.replicas, d.revision);
    rs.specWrittenAt = rolledOut;
    rs.statusWrittenAt = rolledOut;
    rs.status = { replicas: d.replicas, fullyLabeledReplicas: d.replicas, readyReplicas: d.replicas, availableReplicas: d.replicas, observedGeneration: 1 };
    this.replicaSets.push(rs);
    d.status = { observedGeneration: d.generation, replicas: d.replicas, updatedReplicas: d.replicas, readyReplicas: d.replicas, availableReplicas: d.replicas, unavailableReplicas: 0 };
    d.conditions = [
      { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.', lastUpdateTime: created + 8000, lastTransitionTime: created + 8000 },
      { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rs.name}" has successfully progressed.`, lastUpdateTime: rolledOut, lastTransitionTime: created },
    ];
    d.statusWrittenAt = rolledOut;
    this.api.list(d);
    this.api.list(rs);
    for (let i = 0; i < d.replicas; i++) {
      const node = this.nodes[i % this.nodes.length]!;
      const pod = this.newPod(`${rs.name}-${this.rng.suffix(5)}`, d.namespace, changed + 30 + i * 900, this.rsOwner(rs), rs.app, rs.podLabels, { generateName: `${rs.name}-` });
      this.runningPod(pod, node, pod.createdAt + this.rng.between(4000, 9000));
      this.api.list(pod);
    }
    return d;
  }

  existingStatefulSet(opts: { name: string; namespace: string; replicas: number; app: App; createdAgoMs: number }): StatefulSet {
    const created = this.now - opts.createdAgoMs;
    const ss = new StatefulSet(opts.name, opts.namespace, this.rng.uuid(), created, opts.app, { app: opts.name }, opts.replicas);
    ss.managers.push({ manager: 'kubectl-client-side-apply', time: created, owns: 'all', lastApplied: true });
    ss.applied(ss.userSpec());
    const revision = ss.revision();
    ss.status = { observedGeneration: 1, replicas: ss.replicas, readyReplicas: ss.replicas, currentReplicas: ss.replicas, updatedReplicas: ss.replicas, availableReplicas: ss.replicas, currentRevision: revision, updateRevision: revision };
    ss.statusWrittenAt = created + 40_000;
    this.api.list(ss);
    for (let i = 0; i < ss.replicas; i++) {
      const pod = this.statefulPod(ss, i, created + i * 12_000);
      this.runningPod(pod, this.nodes[(this.nodes.length - 1 - i) % this.nodes.length]!, pod.createdAt + 9000);
      this.api.list(pod);
    }
    return ss;
  }

  existingDaemonSet(opts: { name: string; namespace: string; app: App; createdAgoMs: number }): DaemonSet {
    const created = this.now - opts.createdAgoMs;
    const ds = new DaemonSet(opts.name, opts.namespace, this.rng.uuid(), created, opts.app, { 'app.kubernetes.io/name': opts.name });
    ds.managers.push({ manager: 'kubectl-client-side-apply', time: created, owns: 'all', lastApplied: true });
    ds.applied(ds.userSpec());
    const n = this.nodes.length;
    ds.status = { observedGeneration: 1, desiredNumberScheduled: n, currentNumberScheduled: n, numberReady: n, numberAvailable: n, updatedNumberScheduled: n };
    ds.statusWrittenAt = created + 12_000;
    this.api.list(ds);
    for (const node of this.nodes) {
      const pod = this.daemonPod(ds, node.name, created + this.rng.between(20, 80));
      pod.node = node.name;
      this.runningPod(pod, node, pod.createdAt + 6000);
      this.api.list(pod);
    }
    return ds;
  }

  /** A CronJob made long ago (`createdAgoMs`) that runs every minute; its last run's Job, finished, is listed too. */
  existingCronJob(opts: { name: string; namespace: string; app: App; createdAgoMs: number }): CronJob {
    const cj = new CronJob(opts.name, opts.namespace, this.rng.uuid(), this.now - opts.createdAgoMs, opts.app, 'kubectl-create');
    const scheduled = Math.floor(this.now / 60_000) * 60_000;
    const last = new Job(`${cj.name}-${scheduled / 60_000}`, cj, this.rng.uuid(), scheduled + 4, scheduled);
    last.startTime = last.createdAt;
    last.succeeded = 1;
    last.completionTime = last.createdAt + 6000;
    last.statusWrittenAt = last.completionTime;
    cj.lastScheduleTime = last.scheduledAt;
    cj.lastSuccessfulTime = last.completionTime;
    cj.statusWrittenAt = last.completionTime;
    cj.finished.push(last);
    this.api.list(cj);
    this.api.list(last);
    return cj;
  }

  /** The cronjob-controller's run due at `scheduledAt`: it creates the Job a few ms after. */
  cronJobRun(cj: CronJob, completedEventDelayMs: number): void {
    const scheduledAt = Math.floor(this.now / 60_000) * 60_000;
    this.sim.after(this.latency(3, 12), () => {
      const job = new Job(`${cj.name}-${scheduledAt / 60_000}`, cj, this.rng.uuid(), this.now, scheduledAt);
      job.completedEventDelayMs = completedEventDelayMs;
      this.api.write(job);
      this.events.legacy(CRONJOB_CONTROLLER, cj.id(), 'Normal', 'SuccessfulCreate', `Created job ${job.name}`);
      cj.active.push(job);
      cj.lastScheduleTime = scheduledAt;
      cj.statusWrittenAt = this.now;
      this.sim.after(this.latency(2, 6), () => this.api.write(cj));
      this.enqueueJob(job);
    });
  }

  private enqueueJob(job: Job): void {
    if (job.queued) return;
    job.queued = true;
    this.sim.after(this.latency(2, 9), () => {
      job.queued = false;
      this.syncJob(job);
    });
  }

  /** The job-controller: one Pod per Job; when it succeeded, the Job is complete. */
  private syncJob(job: Job): void {
    if (job.pod === undefined) {
      const pod = this.newPod(`${job.name}-${this.rng.suffix(5)}`, job.namespace, this.now, { apiVersion: 'batch/v1', kind: 'Job', name: job.name, namespace: job.namespace, uid: job.uid, controllerOf: job }, job.cronJob.app, job.podLabels, {});
      job.pod = pod;
      this.created(pod);
      this.events.legacy(JOB_CONTROLLER, job.id(), 'Normal', 'SuccessfulCreate', `Created pod: ${pod.name}`);
      job.startTime = this.now;
      job.active = 1;
      job.statusWrittenAt = this.now;
      this.sim.after(this.latency(2, 6), () => this.api.write(job));
      return;
    }
    if (job.complete || job.pod.phase !== 'Succeeded') return;
    job.active = 0;
    job.succeeded = 1;
    job.completionTime = this.now;
    job.statusWrittenAt = this.now;
    this.api.write(job);
    this.events.legacy(JOB_CONTROLLER, job.id(), 'Normal', 'Completed', 'Job completed', job.completedEventDelayMs);
    // the cronjob-controller's informer sees the finished Job
    this.sim.after(this.latency(15, 40), () => this.syncCronJob(job.cronJob));
  }

  /** The cronjob-controller on a Job's change: a finished active Job is reported, then old finished Jobs go (history limit). */
  private syncCronJob(cj: CronJob): void {
    for (const job of cj.active.filter((j) => j.complete)) {
      this.events.legacy(CRONJOB_CONTROLLER, cj.id(), 'Normal', 'SawCompletedJob', `Saw completed job: ${job.name}, status: Complete`);
      cj.active = cj.active.filter((j) => j !== job);
      cj.finished.push(job);
      cj.lastSuccessfulTime = job.completionTime;
    }
    cj.statusWrittenAt = this.now;
    this.api.write(cj);
    while (cj.finished.length > cj.successfulJobsHistoryLimit) {
      const old = cj.finished.shift()!;
      this.events.legacy(CRONJOB_CONTROLLER, cj.id(), 'Normal', 'SuccessfulDelete', `Deleted job ${old.name}`);
    }
  }

  /** A Job's container exits 0: the Pod succeeded. */
  private containerExited(pod: Pod): void {
    const running = pod.state?.['running'] as Json | undefined;
    pod.state = { terminated: { containerID: pod.containerId, exitCode: 0, finishedAt: kubeTime(this.now), reason: 'Completed', startedAt: running?.['startedAt'] ?? kubeTime(pod.createdAt) } };
    pod.ready = false;
    pod.started = false;
    pod.phase = 'Succeeded';
    this.sim.after(this.rng.between(300, 900), () => {
      pod.setCondition('PodReadyToStartContainers', 'False', this.now);
      pod.setCondition('Ready', 'False', this.now, 'PodCompleted');
      pod.setCondition('ContainersReady', 'False', this.now, 'PodCompleted');
      this.writeStatus(pod);
      this.ownerChanged(pod);
    });
  }

  /** A Pod that has been Running and Ready since `readyAt` (its image on the node). */
  private runningPod(pod: Pod, node: Node, readyAt: number): void {
    pod.node = node.name;
    node.images.add(pod.app.image);
    pod.hostIP = node.ip;
    pod.podIP = `10.244.${node.podCidr}.${node.nextIp++}`;
    pod.startTime = pod.createdAt + 40;
    pod.phase = 'Running';
    const started = readyAt - (pod.app.probe ? pod.app.probe.initialDelaySeconds * 1000 + 300 : 0);
    pod.setCondition('PodScheduled', 'True', pod.createdAt + 10);
    pod.setCondition('PodReadyToStartContainers', 'True', pod.createdAt + 900);
    pod.setCondition('Initialized', 'True', pod.createdAt + 40);
    pod.setCondition('Ready', 'True', readyAt);
    pod.setCondition('ContainersReady', 'True', readyAt);
    pod.containerId = `containerd://${this.rng.hex(64)}`;
    pod.imageId = this.imageId(pod.app.image);
    pod.state = { running: { startedAt: kubeTime(started) } };
    pod.ready = true;
    pod.started = true;
    pod.readySince = readyAt;
    pod.kubeletWroteAt = readyAt;
  }

  // -- Pods -------------------------------------------------------------------------------

  private newPod(name: string, namespace: string, createdAt: number, owner: Owner, app: App, labels: Record<string, string>, extra: ConstructorParameters<typeof Pod>[7]): Pod {
    const pod = new Pod(name, namespace, this.rng.uuid(), createdAt, owner, app, labels, extra);
    this.pods.push(pod);
    return pod;
  }

  private rsOwner(rs: ReplicaSet): Owner {
    return { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.name, namespace: rs.namespace, uid: rs.uid, controllerOf: rs.deployment };
  }

  private statefulPod(ss: StatefulSet, ordinal: number, createdAt: number): Pod {
    const name = `${ss.name}-${ordinal}`;
    const labels = { ...ss.selector, 'apps.kubernetes.io/pod-index': String(ordinal), 'controller-revision-hash': ss.revision(), 'statefulset.kubernetes.io/pod-name': name };
    const owner: Owner = { apiVersion: 'apps/v1', kind: 'StatefulSet', name: ss.name, namespace: ss.namespace, uid: ss.uid, controllerOf: ss };
    return this.newPod(name, ss.namespace, createdAt, owner, ss.app, labels, {
      spec: { hostname: name, subdomain: ss.name, volumes: [{ name: 'data', persistentVolumeClaim: { claimName: `data-${name}` } }] },
      specFields: { 'f:hostname': {}, 'f:subdomain': {}, 'f:volumes': { '.': {}, 'k:{"name":"data"}': { '.': {}, 'f:name': {}, 'f:persistentVolumeClaim': { '.': {}, 'f:claimName': {} } } } },
    });
  }

  private daemonPod(ds: DaemonSet, node: string, createdAt: number): Pod {
    const labels = { ...ds.selector, 'controller-revision-hash': ds.revisionHash(), 'pod-template-generation': String(ds.generation) };
    const owner: Owner = { apiVersion: 'apps/v1', kind: 'DaemonSet', name: ds.name, namespace: ds.namespace, uid: ds.uid, controllerOf: ds };
    return this.newPod(`${ds.name}-${this.rng.suffix(5)}`, ds.namespace, createdAt, owner, ds.app, labels, {
      generateName: `${ds.name}-`,
      daemonNode: node,
      spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }] } } } },
      specFields: { 'f:affinity': { '.': {}, 'f:nodeAffinity': { '.': {}, 'f:requiredDuringSchedulingIgnoredDuringExecution': {} } }, 'f:tolerations': {} },
    });
  }

  /** A controller created `pod`: the API server's ADDED, then the scheduler binds it. */
  private created(pod: Pod, node?: string): void {
    this.api.write(pod);
    this.sim.after(this.latency(3, 14), () => this.schedule(pod, node));
  }

  /** The scheduler: spreads a workload's Pods over the nodes (a DaemonSet's Pod goes to its node). */
  private schedule(pod: Pod, wanted?: string): void {
    let node = wanted;
    if (node === undefined) {
      const count = (n: Node): number => this.pods.filter((p) => p.node === n.name && !p.deleted && !p.terminating && p.labels['app'] === pod.labels['app']).length;
      node = [...this.nodes].sort((a, b) => count(a) - count(b))[0]!.name;
    }
    pod.node = node;
    pod.setCondition('PodScheduled', 'True', this.now);
    this.api.write(pod);
    this.events.scheduled(pod, node);
    this.sim.after(this.latency(15, 60), () => this.kubeletAdmit(pod));
  }

  /** The kubelet writes a Pod's status (its own managedFields entry on the status subresource). */
  private writeStatus(pod: Pod): void {
    if (pod.deleted) return;
    pod.kubeletWroteAt = this.now;
    this.api.write(pod);
  }

  private kubeletAdmit(pod: Pod): void {
    const node = this.node(pod.node!);
    pod.startTime = this.now;
    pod.hostIP = node.ip;
    pod.setCondition('PodReadyToStartContainers', 'False', this.now);
    pod.setCondition('Initialized', 'True', this.now);
    pod.setCondition('Ready', 'False', this.now, 'ContainersNotReady', `containers with unready status: [${pod.app.container}]`);
    pod.setCondition('ContainersReady', 'False', this.now, 'ContainersNotReady', `containers with unready status: [${pod.app.container}]`);
    pod.state = { waiting: { reason: 'ContainerCreating' } };
    this.writeStatus(pod);
    this.sim.after(this.rng.between(350, 900), () => this.sandboxReady(pod));
  }

  private sandboxReady(pod: Pod): void {
    const node = this.node(pod.node!);
    pod.podIP = `10.244.${node.podCidr}.${node.nextIp++}`;
    pod.setCondition('PodReadyToStartContainers', 'True', this.now);
    this.pullAndStart(pod, 0);
  }

  private containerEvent(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.events.legacy(kubeletSource(pod.node!), pod.id(`spec.containers{${pod.app.container}}`), type, reason, message);
  }

  private pullAndStart(pod: Pod, attempt: number): void {
    if (pod.deleted || pod.terminating) return;
    const node = this.node(pod.node!);
    const image = pod.app.image;
    if (node.images.has(image)) {
      this.containerEvent(pod, 'Normal', 'Pulled', `Container image "${image}" already present on machine`);
      this.sim.after(this.latency(30, 90), () => this.createContainer(pod));
      return;
    }
    this.containerEvent(pod, 'Normal', 'Pulling', `Pulling image "${image}"`);
    if (this.missingImages.has(image)) {
      this.sim.after(this.rng.between(700, 1400), () => this.pullFailed(pod, attempt));
      return;
    }
    const pull = this.image(image).pullMs * this.rng.between(0.9, 1.1);
    this.sim.after(pull, () => {
      node.images.add(image);
      this.containerEvent(pod, 'Normal', 'Pulled', `Successfully pulled image "${image}" in ${seconds3(pull)} (${seconds3(pull)} including waiting). Image size: ${this.image(image).size} bytes.`);
      this.sim.after(this.latency(30, 90), () => this.createContainer(pod));
    });
  }

  /** An image that does not exist: ErrImagePull, then the kubelet's image backoff (10 s, doubling) with BackOff on every pod sync. */
  private pullFailed(pod: Pod, attempt: number): void {
    const image = pod.app.image;
    const [repository, tag] = image.split(':') as [string, string];
    const error = `rpc error: code = NotFound desc = failed to pull and unpack image "${image}": failed to resolve reference "${image}": ${repository}:${tag}: not found`;
    this.containerEvent(pod, 'Warning', 'Failed', `Failed to pull image "${image}": ${error}`);
    this.containerEvent(pod, 'Warning', 'Failed', 'Error: ErrImagePull');
    pod.state = { waiting: { message: error, reason: 'ErrImagePull' } };
    this.sim.after(this.rng.between(250, 700), () => this.writeStatus(pod));
    const retryAt = this.now + Math.min(300_000, 10_000 * 2 ** attempt);
    const sync = (): void => {
      if (pod.deleted || pod.terminating) return;
      if (this.now >= retryAt) {
        this.pullAndStart(pod, attempt + 1);
        return;
      }
      this.containerEvent(pod, 'Normal', 'BackOff', `Back-off pulling image "${image}"`);
      this.containerEvent(pod, 'Warning', 'Failed', 'Error: ImagePullBackOff');
      if (pod.state?.['waiting']?.['reason'] !== 'ImagePullBackOff') {
        pod.state = { waiting: { message: `Back-off pulling image "${image}"`, reason: 'ImagePullBackOff' } };
        this.sim.after(this.rng.between(200, 600), () => this.writeStatus(pod));
      }
      this.sim.after(this.rng.between(9000, 16_000), sync);
    };
    this.sim.after(this.rng.between(800, 1600), sync);
  }

  private createContainer(pod: Pod): void {
    if (pod.deleted || pod.terminating) return;
    this.containerEvent(pod, 'Normal', 'Created', `Created container ${pod.app.container}`);
    this.sim.after(this.latency(40, 110), () => {
      this.containerEvent(pod, 'Normal', 'Started', `Started container ${pod.app.container}`);
      const startedAt = this.now;
      pod.containerId = `containerd://${this.rng.hex(64)}`;
      pod.imageId = this.imageId(pod.app.image);
      pod.state = { running: { startedAt: kubeTime(startedAt) } };
      pod.started = true;
      pod.probeFailures = 0;
      // The PLEG relist sees the container running; the status goes out a few hundred ms later.
      this.sim.after(this.rng.between(300, 900), () => {
        if (pod.phase === 'Pending') pod.phase = 'Running';
        if (!pod.app.probe) this.markReady(pod);
        else this.writeStatus(pod);
      });
      if (pod.app.probe) this.sim.at(startedAt + pod.app.probe.initialDelaySeconds * 1000 + this.rng.between(50, 400), () => this.probe(pod, pod.containerId!));
      if (pod.app.runsForMs !== undefined) this.sim.after(pod.app.runsForMs, () => this.containerExited(pod));
    });
  }

  /** The kubelet's readiness prober, every periodSeconds while the container runs. */
  private probe(pod: Pod, container: string): void {
    if (pod.deleted || pod.terminating || pod.containerId !== container || pod.state?.['running'] === undefined) return;
    const probe = pod.app.probe!;
    const failing = pod.failingFrom !== undefined && this.now >= pod.failingFrom && (pod.failingUntil === undefined || this.now < pod.failingUntil);
    if (failing) {
      pod.probeFailures++;
      this.containerEvent(pod, 'Warning', 'Unhealthy', 'Readiness probe failed: HTTP probe failed with statuscode: 503');
      if (pod.ready && pod.probeFailures >= probe.failureThreshold) this.sim.after(this.latency(5, 40), () => this.markNotReady(pod));
    } else {
      pod.probeFailures = 0;
      if (!pod.ready) this.sim.after(this.latency(5, 40), () => this.markReady(pod));
    }
    this.sim.after(probe.periodSeconds * 1000 + this.rng.between(-15, 15), () => this.probe(pod, container));
  }

  private markReady(pod: Pod): void {
    if (pod.deleted || pod.terminating) return;
    pod.ready = true;
    pod.readySince = this.now;
    pod.setCondition('Ready', 'True', this.now);
    pod.setCondition('ContainersReady', 'True', this.now);
    this.writeStatus(pod);
    this.ownerChanged(pod);
  }

  private markNotReady(pod: Pod): void {
    if (pod.deleted || pod.terminating) return;
    pod.ready = false;
    const why = `containers with unready status: [${pod.app.container}]`;
    pod.setCondition('Ready', 'False', this.now, 'ContainersNotReady', why);
    pod.setCondition('ContainersReady', 'False', this.now, 'ContainersNotReady', why);
    this.writeStatus(pod);
    this.ownerChanged(pod);
  }

  /** The app fails its readiness probe from `fromMs` until `untilMs` (scenario offsets). */
  failReadiness(pod: Pod, fromMs: number, untilMs: number): void {
    pod.failingFrom = this.startMs + fromMs;
    pod.failingUntil = this.startMs + untilMs;
  }

  /**
   * The container is OOM-killed now: the PLEG relist reports it terminated; the kubelet restarts
   * it at once the first time, after a CrashLoopBackOff (10 s, doubling) when it dies again soon.
   */
  oomKill(pod: Pod): void {
    if (pod.deleted || pod.state?.['running'] === undefined) return;
    const killedAt = this.now;
    const terminated = { containerID: pod.containerId, exitCode: 137, finishedAt: kubeTime(killedAt), reason: 'OOMKilled', startedAt: pod.state['running']['startedAt'] };
    const node = this.node(pod.node!);
    const key = `${pod.uid}/${pod.app.container}`;
    const backoffUntil = node.backoff.get(key);
    const inBackoff = backoffUntil !== undefined && killedAt < backoffUntil + 600_000;
    const delay = inBackoff ? 10_000 : 0; // a crash again within the backoff window waits it out (10 s)
    node.backoff.set(key, killedAt + 10_000);
    this.sim.after(this.rng.between(250, 900), () => {
      pod.state = { terminated };
      pod.ready = false;
      pod.started = false;
      const why = `containers with unready status: [${pod.app.container}]`;
      pod.setCondition('Ready', 'False', this.now, 'ContainersNotReady', why);
      pod.setCondition('ContainersReady', 'False', this.now, 'ContainersNotReady', why);
      this.writeStatus(pod);
      this.ownerChanged(pod);
      if (inBackoff) {
        this.sim.after(this.rng.between(300, 900), () => {
          const message = `back-off 10s restarting failed container=${pod.app.container} pod=${pod.name}_${pod.namespace}(${pod.uid})`;
          this.containerEvent(pod, 'Warning', 'BackOff', `Back-off restarting failed container ${pod.app.container} in pod ${pod.name}_${pod.namespace}(${pod.uid})`);
          pod.lastState = { terminated };
          pod.state = { waiting: { message, reason: 'CrashLoopBackOff' } };
          this.writeStatus(pod);
        });
      }
      this.sim.after(delay + this.rng.between(150, 600), () => {
        pod.lastState = { terminated };
        pod.restartCount++;
        this.pullAndStart(pod, 0);
      });
    });
  }

  /** A controller deleted `pod`: graceful termination by its kubelet, then the object goes. */
  private deletePod(pod: Pod): void {
    pod.deletionTimestamp = this.now + 30_000;
    this.api.write(pod);
    this.sim.after(this.latency(10, 35), () => {
      this.containerEvent(pod, 'Normal', 'Killing', `Stopping container ${pod.app.container}`);
      this.sim.after(this.rng.between(350, 1500), () => {
        const running = pod.state?.['running'] as Json | undefined;
        pod.state = { terminated: { containerID: pod.containerId, exitCode: 0, finishedAt: kubeTime(this.now), reason: 'Completed', startedAt: running?.['startedAt'] ?? kubeTime(pod.createdAt) } };
        pod.ready = false;
        pod.started = false;
        pod.phase = 'Succeeded';
        pod.setCondition('PodReadyToStartContainers', 'False', this.now);
        pod.setCondition('Ready', 'False', this.now, 'PodCompleted');
        pod.setCondition('ContainersReady', 'False', this.now, 'PodCompleted');
        this.writeStatus(pod);
        this.ownerChanged(pod);
        // The kubelet removes the object once its containers are gone (a watch's DELETED: not part of a capture).
        this.sim.after(this.rng.between(25, 80), () => {
          pod.deleted = true;
          this.ownerChanged(pod);
        });
      });
    });
  }

  private ownerChanged(pod: Pod): void {
    const owner = pod.owner;
    if (owner.kind === 'ReplicaSet') {
      const rs = this.replicaSets.find((r) => r.uid === owner.uid);
      if (rs) this.enqueueReplicaSet(rs);
    } else if (owner.controllerOf instanceof StatefulSet) {
      this.enqueueStatefulSet(owner.controllerOf);
    } else if (owner.controllerOf instanceof DaemonSet) {
      this.enqueueDaemonSet(owner.controllerOf);
    } else if (owner.controllerOf instanceof Job) {
      this.enqueueJob(owner.controllerOf);
    }
  }

  // -- the replicaset-controller --------------------------------------------------------------

  private enqueueReplicaSet(rs: ReplicaSet): void {
    if (rs.queued) return;
    rs.queued = true;
    this.sim.after(this.latency(2, 8), () => {
      rs.queued = false;
      this.syncReplicaSet(rs);
    });
  }

  private activePods(rs: ReplicaSet): Pod[] {
    return this.podsOf(rs).filter((p) => !p.terminating && p.phase !== 'Succeeded');
  }

  private syncReplicaSet(rs: ReplicaSet): void {
    if (rs.expecting > 0) return;
    const active = this.activePods(rs);
    const diff = active.length - rs.replicas;
    if (diff < 0) {
      // slowStartBatch: 1, 2, 4, ... creations in parallel
      let remaining = -diff;
      let offset = 0;
      for (let batch = 1; remaining > 0; batch *= 2) {
        const n = Math.min(batch, remaining);
        for (let i = 0; i < n; i++) {
          const at = offset + this.latency(1, 5);
          rs.expecting++;
          this.sim.after(at, () => {
            rs.expecting--;
            const pod = this.newPod(`${rs.name}-${this.rng.suffix(5)}`, rs.namespace, this.now, this.rsOwner(rs), rs.app, rs.podLabels, { generateName: `${rs.name}-` });
            this.created(pod);
            this.events.legacy(REPLICASET_CONTROLLER, rs.id(), 'Normal', 'SuccessfulCreate', `Created pod: ${pod.name}`);
          });
        }
        remaining -= n;
        offset += this.latency(6, 12);
      }
      this.sim.after(offset + this.latency(4, 12), () => this.syncReplicaSet(rs));
      return;
    }
    if (diff > 0) {
      // getPodsToDelete: not ready before ready, the most recently ready first
      const ranked = [...active].sort((a, b) => Number(a.ready) - Number(b.ready) || (b.readySince ?? b.createdAt) - (a.readySince ?? a.createdAt));
      ranked.slice(0, diff).forEach((pod, i) => {
        rs.expecting++;
        this.sim.after(i * this.latency(1, 4), () => {
          rs.expecting--;
          this.deletePod(pod);
          this.events.legacy(REPLICASET_CONTROLLER, rs.id(), 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.name}`);
        });
      });
      this.sim.after(diff * 4 + this.latency(4, 12), () => this.syncReplicaSet(rs));
      return;
    }
    this.updateReplicaSetStatus(rs);
  }

  private updateReplicaSetStatus(rs: ReplicaSet): void {
    const active = this.activePods(rs);
    const ready = active.filter((p) => p.ready).length;
    const next: ReplicaSetStatus = { replicas: active.length, fullyLabeledReplicas: active.length, readyReplicas: ready, availableReplicas: ready, observedGeneration: rs.generation };
    if (JSON.stringify(next) === JSON.stringify(rs.status)) return;
    rs.status = next;
    rs.statusWrittenAt = this.now;
    this.api.write(rs);
    this.enqueueDeployment(rs.deployment);
  }

  // -- the deployment-controller (pkg/controller/deployment: sync, rolling, progress) ----------

  private enqueueDeployment(d: Deployment, after?: number): void {
    if (after !== undefined) {
      this.sim.after(after, () => this.enqueueDeployment(d));
      return;
    }
    if (d.queued) return;
    d.queued = true;
    this.sim.after(this.latency(2, 9), () => {
      d.queued = false;
      this.syncDeployment(d);
    });
  }

  private replicaSetsOf(d: Deployment): ReplicaSet[] {
    return this.replicaSets.filter((rs) => rs.deployment === d).sort((a, b) => a.createdAt - b.createdAt);
  }

  private syncDeployment(d: Deployment): void {
    const all = this.replicaSetsOf(d);
    const hash = templateHash(d.template());
    let newRS = all.find((rs) => rs.hash === hash);
    const old = all.filter((rs) => rs !== newRS);
    const active = all.filter((rs) => rs.replicas > 0);
    // A scaling event: the active ReplicaSets were sized for another replica count (dc.sync).
    if (newRS !== undefined && active.some((rs) => rs.desiredAnnotation !== d.replicas)) {
      const target = active.length === 1 ? active[0]! : newRS;
      this.scaleReplicaSet(d, target, d.replicas);
      this.syncDeploymentStatus(d, newRS);
      return;
    }
    if (newRS === undefined) newRS = this.createReplicaSet(d, all, hash);
    const withNew = this.replicaSetsOf(d);
    // rolloutRolling: scale the new ReplicaSet up, else the old ones down; then the rollout's status
    if (!this.reconcileNewReplicaSet(d, newRS, withNew)) this.reconcileOldReplicaSets(d, newRS, old, withNew);
    this.syncRolloutStatus(d, newRS);
  }

  /** getNewReplicaSet creating one: sized by NewRSNewReplicas, the Progressing condition NewReplicaSetCreated. */
  private createReplicaSet(d: Deployment, all: ReplicaSet[], hash: string): ReplicaSet {
    const current = all.reduce((n, rs) => n + rs.replicas, 0);
    const replicas = all.length === 0 ? d.replicas : Math.min(Math.max(0, d.replicas + d.maxSurge - current), d.replicas);
    const revision = Math.max(0, ...all.map((rs) => rs.revision)) + 1;
    const rs = new ReplicaSet(`${d.name}-${hash}`, d, this.rng.uuid(), this.now, hash, d.app, replicas, revision);
    this.replicaSets.push(rs);
    this.api.write(rs);
    this.enqueueReplicaSet(rs);
    if (replicas > 0) this.events.legacy(DEPLOYMENT_CONTROLLER, d.id(), 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${rs.name} to ${replicas}`);
    d.revision = revision;
    d.conditions = d.setCondition(d.conditions, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetCreated', message: `Created new replica set "${rs.name}"`, lastUpdateTime: this.now, lastTransitionTime: this.now });
    this.writeDeploymentStatus(d, d.status);
    return rs;
  }

  private scaleReplicaSet(d: Deployment, rs: ReplicaSet, replicas: number): boolean {
    const sized = rs.replicas !== replicas;
    if (!sized && rs.desiredAnnotation === d.replicas) return false;
    const from = rs.replicas;
    rs.replicas = replicas;
    rs.desiredAnnotation = d.replicas;
    rs.maxAnnotation = d.replicas + d.maxSurge;
    if (sized) rs.generation++;
    rs.specWrittenAt = this.now;
    this.api.write(rs);
    this.enqueueReplicaSet(rs);
    if (sized) this.events.legacy(DEPLOYMENT_CONTROLLER, d.id(), 'Normal', 'ScalingReplicaSet', `Scaled ${replicas > from ? 'up' : 'down'} replica set ${rs.name} to ${replicas} from ${from}`);
    return sized;
  }

  private reconcileNewReplicaSet(d: Deployment, newRS: ReplicaSet, all: ReplicaSet[]): boolean {
    if (newRS.replicas === d.replicas) return false;
    if (newRS.replicas > d.replicas) return this.scaleReplicaSet(d, newRS, d.replicas);
    const current = all.reduce((n, rs) => n + rs.replicas, 0);
    const maxTotal = d.replicas + d.maxSurge;
    if (current >= maxTotal) return false;
    const up = Math.min(maxTotal - current, d.replicas - newRS.replicas);
    return this.scaleReplicaSet(d, newRS, newRS.replicas + up);
  }

  private reconcileOldReplicaSets(d: Deployment, newRS: ReplicaSet, old: ReplicaSet[], all: ReplicaSet[]): boolean {
    const oldPods = old.reduce((n, rs) => n + rs.replicas, 0);
    if (oldPods === 0) return false;
    const allPods = all.reduce((n, rs) => n + rs.replicas, 0);
    const minAvailable = d.replicas - d.maxUnavailable;
    const newUnavailable = newRS.replicas - newRS.status.availableReplicas;
    let maxScaledDown = allPods - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return false;
    let scaled = false;
    // cleanupUnhealthyReplicas: old Pods that are not available go first
    for (const rs of old) {
      const unhealthy = rs.replicas - rs.status.availableReplicas;
      if (unhealthy <= 0 || maxScaledDown <= 0) continue;
      const n = Math.min(unhealthy, maxScaledDown);
      scaled = this.scaleReplicaSet(d, rs, rs.replicas - n) || scaled;
      maxScaledDown -= n;
    }
    // scaleDownOldReplicaSetsForRollingUpdate
    const available = all.reduce((n, rs) => n + rs.status.availableReplicas, 0);
    if (available <= minAvailable) return scaled;
    let total = available - minAvailable;
    for (const rs of old) {
      if (total <= 0) break;
      if (rs.replicas === 0) continue;
      const n = Math.min(rs.replicas, total);
      scaled = this.scaleReplicaSet(d, rs, rs.replicas - n) || scaled;
      total -= n;
    }
    return scaled;
  }

  private calculateStatus(d: Deployment, newRS: ReplicaSet | undefined): { status: DeploymentStatus; conditions: DeploymentCondition[] } {
    const all = this.replicaSetsOf(d);
    const available = all.reduce((n, rs) => n + rs.status.availableReplicas, 0);
    const total = all.reduce((n, rs) => n + rs.replicas, 0);
    const status: DeploymentStatus = {
      observedGeneration: d.generation,
      replicas: all.reduce((n, rs) => n + rs.status.replicas, 0),
      updatedReplicas: newRS?.status.replicas ?? 0,
      readyReplicas: all.reduce((n, rs) => n + rs.status.readyReplicas, 0),
      availableReplicas: available,
      unavailableReplicas: Math.max(0, total - available),
    };
    const ok = available >= d.replicas - d.maxUnavailable;
    const conditions = d.setCondition(d.conditions, ok
      ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.', lastUpdateTime: this.now, lastTransitionTime: this.now }
      : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.', lastUpdateTime: this.now, lastTransitionTime: this.now });
    return { status, conditions };
  }

  private syncDeploymentStatus(d: Deployment, newRS: ReplicaSet | undefined): void {
    const { status, conditions } = this.calculateStatus(d, newRS);
    if (JSON.stringify(status) === JSON.stringify(d.status) && JSON.stringify(conditions) === JSON.stringify(d.conditions)) return;
    d.conditions = conditions;
    this.writeDeploymentStatus(d, status);
  }

  /** syncRolloutStatus: the Progressing condition, checked only while the newest rollout has not completed. */
  private syncRolloutStatus(d: Deployment, newRS: ReplicaSet): void {
    const { status, conditions: withAvailable } = this.calculateStatus(d, newRS);
    let conditions = withAvailable;
    const current = d.condition('Progressing');
    const complete = status.replicas === status.updatedReplicas && current?.reason === 'NewReplicaSetAvailable';
    if (!complete) {
      const before = d.status ?? { replicas: 0, updatedReplicas: 0, readyReplicas: 0, availableReplicas: 0, unavailableReplicas: 0 };
      const done = status.updatedReplicas === d.replicas && status.replicas === d.replicas && status.availableReplicas === d.replicas && (status.observedGeneration ?? 0) >= d.generation;
      const progressed = status.updatedReplicas > before.updatedReplicas
        || status.replicas - status.updatedReplicas < before.replicas - before.updatedReplicas
        || status.readyReplicas > before.readyReplicas
        || status.availableReplicas > before.availableReplicas;
      const deadline = current !== undefined ? Math.floor(current.lastUpdateTime / 1000) * 1000 + d.progressDeadlineSeconds * 1000 : Infinity;
      if (done) {
        conditions = d.setCondition(conditions, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${newRS.name}" has successfully progressed.`, lastUpdateTime: this.now, lastTransitionTime: this.now });
      } else if (progressed) {
        const next: DeploymentCondition = { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${newRS.name}" is progressing.`, lastUpdateTime: this.now, lastTransitionTime: this.now };
        if (current?.status === 'True') next.lastTransitionTime = current.lastTransitionTime;
        conditions = [...conditions.filter((c) => c.type !== 'Progressing'), next];
      } else if (current !== undefined && current.reason !== 'ProgressDeadlineExceeded' && this.now > deadline) {
        conditions = d.setCondition(conditions, { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${newRS.name}" has timed out progressing.`, lastUpdateTime: this.now, lastTransitionTime: this.now });
      }
    }
    if (JSON.stringify(status) !== JSON.stringify(d.status) || JSON.stringify(conditions) !== JSON.stringify(d.conditions)) {
      d.conditions = conditions;
      this.writeDeploymentStatus(d, status);
    }
    // requeueStuckDeployment: look again when the deadline passes (plus a second for clock skew)
    const progressing = d.condition('Progressing');
    if (progressing !== undefined && progressing.status === 'True' && progressing.reason !== 'NewReplicaSetAvailable') {
      const due = Math.floor(progressing.lastUpdateTime / 1000) * 1000 + d.progressDeadlineSeconds * 1000 - this.now;
      if (due > 0 && !d.deadlineQueued) {
        d.deadlineQueued = true;
        this.sim.after(due + 1000, () => {
          d.deadlineQueued = false;
          this.enqueueDeployment(d);
        });
      }
    }
  }

  private writeDeploymentStatus(d: Deployment, status: DeploymentStatus | undefined): void {
    d.status = status;
    d.statusWrittenAt = this.now;
    this.api.write(d);
  }

  // -- the statefulset-controller (OrderedReady, RollingUpdate) ------------------------------

  private enqueueStatefulSet(ss: StatefulSet): void {
    if (ss.queued) return;
    ss.queued = true;
    this.sim.after(this.latency(2, 9), () => {
      ss.queued = false;
      this.syncStatefulSet(ss);
    });
  }

  private syncStatefulSet(ss: StatefulSet): void {
    const update = ss.revision();
    const status = ss.status!;
    const podAt = (i: number): Pod | undefined => this.podsOf(ss).find((p) => p.name === `${ss.name}-${i}`);
    const revisionOf = (p: Pod): string => p.labels['controller-revision-hash'] ?? '';
    const healthy = (p: Pod): boolean => p.ready && !p.terminating;
    let acted = false;
    for (let i = 0; i < ss.replicas && !acted; i++) {
      const pod = podAt(i);
      if (pod === undefined) {
        const created = this.statefulPod(ss, i, this.now);
        this.created(created);
        this.events.legacy(STATEFULSET_CONTROLLER, ss.id(), 'Normal', 'SuccessfulCreate', `create Pod ${created.name} in StatefulSet ${ss.name} successful`);
        acted = true;
      } else if (!healthy(pod)) {
        acted = true; // OrderedReady: wait for it
      }
    }
    if (!acted) {
      // the rolling update: the highest ordinal not at the update revision, once every Pod is healthy
      for (let i = ss.replicas - 1; i >= 0; i--) {
        const pod = podAt(i)!;
        if (revisionOf(pod) !== update) {
          this.deletePod(pod);
          this.events.legacy(STATEFULSET_CONTROLLER, ss.id(), 'Normal', 'SuccessfulDelete', `delete Pod ${pod.name} in StatefulSet ${ss.name} successful`);
          break;
        }
      }
    }
    const pods = this.podsOf(ss);
    const ready = pods.filter((p) => p.ready).length;
    const next: StatefulSetStatus = {
      observedGeneration: ss.generation, replicas: pods.length, readyReplicas: ready, availableReplicas: ready,
      currentReplicas: pods.filter((p) => revisionOf(p) === status.currentRevision).length,
      updatedReplicas: pods.filter((p) => revisionOf(p) === update).length,
      currentRevision: status.currentRevision, updateRevision: update,
    };
    if (next.updatedReplicas === ss.replicas && next.readyReplicas === ss.replicas && next.replicas === ss.replicas) {
      next.currentRevision = update;
      next.currentReplicas = next.updatedReplicas;
    }
    if (JSON.stringify(next) !== JSON.stringify(status)) {
      ss.status = next;
      ss.statusWrittenAt = this.now;
      this.sim.after(this.latency(2, 6), () => this.api.write(ss));
    }
  }

  // -- the daemonset-controller (RollingUpdate, maxUnavailable 1) ----------------------------

  private enqueueDaemonSet(ds: DaemonSet): void {
    if (ds.queued) return;
    ds.queued = true;
    this.sim.after(this.latency(2, 9), () => {
      ds.queued = false;
      this.syncDaemonSet(ds);
    });
  }

  private syncDaemonSet(ds: DaemonSet): void {
    const hash = ds.revisionHash();
    const onNode = (n: Node): Pod[] => this.podsOf(ds).filter((p) => (p.node ?? p.daemonNode) === n.name);
    // manage: a Pod for every node that has none (a terminating one still counts)
    for (const node of this.nodes) {
      if (onNode(node).length > 0) continue;
      const pod = this.daemonPod(ds, node.name, this.now);
      this.created(pod, node.name);
      this.events.legacy(DAEMONSET_CONTROLLER, ds.id(), 'Normal', 'SuccessfulCreate', `Created pod: ${pod.name}`);
    }
    // rollingUpdate: delete old available Pods while fewer than maxUnavailable nodes are unavailable
    const unavailable = this.nodes.filter((n) => !onNode(n).some((p) => p.ready && !p.terminating)).length;
    if (unavailable < 1) {
      const old = this.nodes.map((n) => onNode(n).find((p) => p.labels['controller-revision-hash'] !== hash && !p.terminating)).find((p) => p !== undefined);
      if (old) {
        this.deletePod(old);
        this.events.legacy(DAEMONSET_CONTROLLER, ds.id(), 'Normal', 'SuccessfulDelete', `Deleted pod: ${old.name}`);
      }
    }
    const scheduled = this.nodes.filter((n) => onNode(n).length > 0);
    const first = (n: Node): Pod | undefined => onNode(n)[0];
    const next: DaemonSetStatus = {
      observedGeneration: ds.generation, desiredNumberScheduled: this.nodes.length, currentNumberScheduled: scheduled.length,
      numberReady: scheduled.filter((n) => first(n)!.ready).length, numberAvailable: scheduled.filter((n) => first(n)!.ready).length,
      updatedNumberScheduled: scheduled.filter((n) => onNode(n).some((p) => p.labels['controller-revision-hash'] === hash && !p.terminating)).length,
    };
    if (JSON.stringify(next) !== JSON.stringify(ds.status)) {
      ds.status = next;
      ds.statusWrittenAt = this.now;
      this.sim.after(this.latency(2, 6), () => this.api.write(ds));
    }
  }

  /** Simulates `durationMs` from the start; the capture ends with a flush `flushAfterMs` after its last record. */
  run(durationMs: number, flushAfterMs = 15_000): CaptureLine[] {
    this.sim.run(this.startMs + durationMs);
    return this.sim.capture(flushAfterMs);
  }
}

// ---- arrival order -------------------------------------------------------------------------

/** What a version is apart from its status (and its resourceVersion, and who wrote what when). */
function specAndMeta(record: CaptureRecord): string {
  if (record.kind !== 'object') return '';
  const { resourceVersion: _rv, managedFields: _mf, ...meta } = record.object.metadata;
  return JSON.stringify([record.object.spec, meta]);
}

/** The versions of one object, in the order its watch delivered them; `movable` marks its status updates. */
interface ObjectVersions {
  indexes: number[];
  movable: boolean[];
}

/** Every object's versions; a status update is a version that differs from the one before only in its status. */
export function objectVersions(records: readonly CaptureRecord[]): ObjectVersions[] {
  const byObject = new Map<string, ObjectVersions>();
  records.forEach((r, i) => {
    if (r.kind !== 'object') return;
    const uid = r.object.metadata.uid ?? `${r.object.kind}/${r.object.metadata.namespace}/${r.object.metadata.name}`;
    let v = byObject.get(uid);
    if (!v) byObject.set(uid, (v = { indexes: [], movable: [] }));
    const previous = v.indexes[v.indexes.length - 1];
    v.movable.push(previous !== undefined && specAndMeta(r) === specAndMeta(records[previous]!));
    v.indexes.push(i);
  });
  return [...byObject.values()];
}

/** The indexes of the status updates, in capture order: `shiftMs[k]` applies to the k-th. */
export function statusUpdates(versions: readonly ObjectVersions[]): number[] {
  return versions.flatMap((v) => v.indexes.filter((_, k) => v.movable[k])).sort((a, b) => a - b);
}

const EPSILON_MS = 0.001;

/**
 * The capture with the k-th status update received `shiftMs[k]` later (earlier when negative),
 * kept after its object's previous version (as moved) and before its next version that does not
 * move; the rest stay where they were.
 */
export function shiftStatusUpdates(records: readonly CaptureRecord[], versions: readonly ObjectVersions[], shiftMs: readonly number[]): CaptureRecord[] {
  const shiftOf = new Map(statusUpdates(versions).map((i, k) => [i, shiftMs[k] ?? 0]));
  const at = records.map((r) => r.at);
  for (const v of versions) {
    for (let k = 1; k < v.indexes.length; k++) {
      if (!v.movable[k]) continue;
      const i = v.indexes[k]!;
      let fixed = k + 1;
      while (fixed < v.indexes.length && v.movable[fixed]) fixed++;
      const upper = fixed < v.indexes.length ? records[v.indexes[fixed]!]!.at - (fixed - k) * EPSILON_MS : Infinity;
      const lower = at[v.indexes[k - 1]!]! + EPSILON_MS;
      at[i] = Math.min(Math.max(records[i]!.at + shiftOf.get(i)!, lower), upper);
    }
  }
  const flushAt = records[records.length - 1]!.kind === 'flush' ? records[records.length - 1]!.at : Infinity;
  return records
    .map((r, i) => ({ r: { ...r, at: Math.min(at[i]!, flushAt) }, i }))
    .sort((a, b) => a.r.at - b.r.at || a.i - b.i)
    .map((x) => x.r);
}

// ---- the scenarios -----------------------------------------------------------------------

const webApp = (image: string): App => ({
  container: 'web', image, port: 8080, probe: { path: '/healthz', initialDelaySeconds: 3, periodSeconds: 5, failureThreshold: 3 },
  requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' },
});

export interface Scenario {
  name: string;
  description: string;
  lines: CaptureLine[];
}

/** (a) `kubectl apply` of a 3-replica Deployment; 15 s later `kubectl set image` rolls it (maxSurge 1, maxUnavailable 0). */
function deploymentRollout(): Scenario {
  const c = new Cluster('2026-04-14T09:30:00Z', 101);
  let d: Deployment | undefined;
  c.at(200, () => {
    d = c.createDeployment({ name: 'web', namespace: 'shop', replicas: 3, app: webApp('registry.example.com/shop/web:1.4.2'), manager: 'kubectl-client-side-apply' });
  });
  c.at(15_200, () => c.setDeploymentImage(d!, 'registry.example.com/shop/web:1.5.0'));
  return { name: 'deployment-rollout', description: 'kubectl apply of a 3-replica Deployment, then kubectl set image 15 s later', lines: c.run(90_000) };
}

/** (b) a Deployment running 3 Pods for a day: `kubectl scale --replicas=5`, then `--replicas=2`. */
function deploymentScale(): Scenario {
  const c = new Cluster('2026-04-14T11:05:00Z', 202);
  const d = c.existingDeployment({ name: 'checkout', namespace: 'shop', replicas: 3, app: { ...webApp('registry.example.com/shop/checkout:3.2.1'), container: 'checkout' }, createdAgoMs: 9 * 86_400_000, changedAgoMs: 26 * 3_600_000, generation: 4 });
  c.at(1500, () => c.scaleDeployment(d, 5));
  c.at(31_500, () => c.scaleDeployment(d, 2));
  return { name: 'deployment-scale', description: 'kubectl scale of a running Deployment from 3 to 5 replicas, then from 5 to 2', lines: c.run(90_000) };
}

/** (c) `kubectl set image` on a 3-replica StatefulSet (OrderedReady, RollingUpdate: highest ordinal first). */
function statefulSetRollingUpdate(): Scenario {
  const c = new Cluster('2026-04-14T13:20:00Z', 303);
  const app: App = { container: 'redis', image: 'registry.example.com/cache/redis:7.2.4', port: 6379, probe: { path: '/ready', initialDelaySeconds: 2, periodSeconds: 5, failureThreshold: 3 }, requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '1Gi' } };
  const ss = c.existingStatefulSet({ name: 'redis', namespace: 'cache', replicas: 3, app, createdAgoMs: 40 * 86_400_000 });
  c.at(1200, () => c.setStatefulSetImage(ss, 'registry.example.com/cache/redis:7.2.5'));
  return { name: 'statefulset-rolling-update', description: 'kubectl set image on a 3-replica OrderedReady StatefulSet: redis-2, redis-1, redis-0 replaced in turn', lines: c.run(90_000) };
}

/** (d) `kubectl set image` on a DaemonSet of 3 nodes (RollingUpdate, maxUnavailable 1). */
function daemonSetRollingUpdate(): Scenario {
  const c = new Cluster('2026-04-14T15:45:00Z', 404);
  const app: App = {
    container: 'node-exporter', image: 'quay.io/prometheus/node-exporter:v1.8.1', port: 9100, probe: { path: '/', initialDelaySeconds: 1, periodSeconds: 10, failureThreshold: 3 },
    requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' }, podSpec: { hostNetwork: true, hostPID: true },
  };
  const ds = c.existingDaemonSet({ name: 'node-exporter', namespace: 'monitoring', app, createdAgoMs: 12 * 86_400_000 });
  c.at(900, () => c.setDaemonSetImage(ds, 'quay.io/prometheus/node-exporter:v1.8.2'));
  return { name: 'daemonset-rolling-update', description: 'kubectl set image on a DaemonSet running on 3 nodes: one node at a time', lines: c.run(90_000) };
}

/** (e) `kubectl set image` to a tag that does not exist: the new Pod never becomes Ready, the progress deadline (120 s) passes. */
function deploymentProgressDeadline(): Scenario {
  const c = new Cluster('2026-04-14T17:10:00Z', 505);
  const d = c.existingDeployment({ name: 'cart', namespace: 'shop', replicas: 3, app: { ...webApp('registry.example.com/shop/cart:2.4.3'), container: 'cart' }, createdAgoMs: 20 * 86_400_000, changedAgoMs: 3 * 86_400_000, generation: 6, progressDeadlineSeconds: 120 });
  c.missingImages.add('registry.example.com/shop/cart:2.5.0-rc1');
  c.at(1000, () => c.setDeploymentImage(d, 'registry.example.com/shop/cart:2.5.0-rc1'));
  return { name: 'deployment-progress-deadline', description: 'kubectl set image to a tag that does not exist: ImagePullBackOff until ProgressDeadlineExceeded (progressDeadlineSeconds: 120)', lines: c.run(140_000) };
}

/** (f) a Pod of a long-running Deployment is OOM-killed twice: restarted at once, then after a CrashLoopBackOff. */
function podOomKilled(): Scenario {
  const c = new Cluster('2026-04-14T19:00:00Z', 606);
  const app: App = { ...webApp('registry.example.com/analytics/report-worker:5.0.2'), container: 'worker', limits: { memory: '512Mi' }, requests: { cpu: '200m', memory: '384Mi' } };
  c.existingDeployment({ name: 'report-worker', namespace: 'analytics', replicas: 3, app, createdAgoMs: 30 * 86_400_000, changedAgoMs: 2 * 86_400_000, generation: 3 });
  const pod = c.pods[1]!;
  c.at(4000, () => c.oomKill(pod));
  c.at(44_000, () => c.oomKill(pod));
  return { name: 'pod-oomkilled', description: 'a running Pod of a Deployment OOM-killed twice (restart at once, then after a 10 s CrashLoopBackOff)', lines: c.run(90_000, 20_000) };
}

/** (g) `kubectl create -f` of a 2-replica Deployment; one Pod later fails its readiness probe for ~20 s. */
function podReadinessFlap(): Scenario {
  const c = new Cluster('2026-04-14T21:15:00Z', 707);
  c.at(300, () => {
    c.createDeployment({ name: 'api', namespace: 'shop', replicas: 2, app: { ...webApp('registry.example.com/shop/api:3.1.0'), container: 'api' }, manager: 'kubectl-create' });
  });
  c.at(2000, () => {
    const pod = c.pods[1]!;
    c.failReadiness(pod, 24_000, 45_000);
  });
  return { name: 'pod-readiness-flap', description: 'kubectl create of a 2-replica Deployment; one Pod fails its readiness probe (HTTP 503) for ~20 s: Ready, NotReady, Ready', lines: c.run(90_000) };
}

/**
 * (h) a CronJob that runs every minute, two runs: in the first the job-controller's `Job completed`
 * is posted late, after the cronjob-controller's `Saw completed job`; in the second it comes first.
 * Each run deletes the Job of the run before (successfulJobsHistoryLimit 1).
 */
function cronJobRuns(): Scenario {
  const c = new Cluster('2026-04-15T07:59:50Z', 808);
  const app: App = { container: 'report', image: 'registry.example.com/batch/report:2.3.0', port: 8080, requests: { cpu: '100m', memory: '64Mi' }, podSpec: { restartPolicy: 'Never' }, runsForMs: 3200 };
  const cj = c.existingCronJob({ name: 'report', namespace: 'batch-jobs', app, createdAgoMs: 3 * 86_400_000 });
  c.at(10_000, () => c.cronJobRun(cj, 150));
  c.at(70_000, () => c.cronJobRun(cj, 0));
  return { name: 'cronjob-runs', description: 'a CronJob every minute, two runs: Saw completed job before Job completed in the first, after it in the second', lines: c.run(85_000) };
}

/** (i) the horizontal-pod-autoscaler scales a running 2-replica Deployment to 4 through the scale subresource. */
function hpaRescale(): Scenario {
  const c = new Cluster('2026-04-15T09:40:00Z', 909);
  const d = c.existingDeployment({ name: 'api', namespace: 'shop', replicas: 2, app: { ...webApp('registry.example.com/shop/api:3.1.0'), container: 'api' }, createdAgoMs: 6 * 86_400_000, changedAgoMs: 5 * 3_600_000, generation: 3 });
  const hpa = { name: 'api', uid: c.rng.uuid() };
  c.at(2000, () => c.autoscale(d, hpa, 4, 'cpu resource utilization (percentage of request) above target'));
  return { name: 'hpa-rescale', description: 'the horizontal-pod-autoscaler rescales a Deployment from 2 to 4 replicas (scale subresource, SuccessfulRescale)', lines: c.run(60_000) };
}

/** The W3C trace contexts a CI pipeline set on the manifests of deployment-traceparent. */
export const CI_TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
export const CI_TRACEPARENT_2 = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
export const MALFORMED_TRACEPARENT = '00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01';

/**
 * (j) four generations of a 2-replica Deployment: `kubectl apply` with a CI step's traceparent;
 * `kubectl set image` (the annotation left over); `kubectl apply` with a malformed traceparent
 * (upper-case hex); `kubectl apply` with a new traceparent and a tracestate.
 */
function deploymentTraceparent(): Scenario {
  const c = new Cluster('2026-04-15T11:20:00Z', 1010);
  const image = (tag: string): string => `registry.example.com/shop/cart:${tag}`;
  let d: Deployment | undefined;
  c.at(200, () => {
    d = c.createDeployment({ name: 'cart', namespace: 'shop', replicas: 2, app: { ...webApp(image('2.0.0')), container: 'cart' }, manager: 'kubectl-client-side-apply', annotations: { 'tracing.k8s.io/traceparent': CI_TRACEPARENT } });
  });
  c.at(20_200, () => c.setDeploymentImage(d!, image('2.0.1')));
  c.at(40_200, () => c.applyDeployment(d!, image('2.1.0'), { 'tracing.k8s.io/traceparent': MALFORMED_TRACEPARENT }));
  c.at(60_200, () => c.applyDeployment(d!, image('2.1.1'), { 'tracing.k8s.io/traceparent': CI_TRACEPARENT_2, 'tracing.k8s.io/tracestate': 'ci=run-4812' }));
  return { name: 'deployment-traceparent', description: 'four generations: apply with a traceparent, set image (left over), apply with a malformed one, apply with a new one and a tracestate', lines: c.run(90_000) };
}

export function scenarios(): Scenario[] {
  return [
    deploymentRollout(), deploymentScale(), statefulSetRollingUpdate(), daemonSetRollingUpdate(), deploymentProgressDeadline(), podOomKilled(), podReadinessFlap(),
    cronJobRuns(), hpaRescale(), deploymentTraceparent(),
  ];
}

/** One NDJSON line per record, `at` as a receive time with nanoseconds. */
export function toNdjson(lines: readonly CaptureLine[]): string {
  return lines.map((l) => `${JSON.stringify(l.object === undefined ? { at: receiveTime(l.at), kind: l.kind } : { at: receiveTime(l.at), kind: l.kind, object: l.object })}\n`).join('');
}

export const statusFixturesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/status');

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = path.resolve(process.argv[2] ?? statusFixturesDir);
  mkdirSync(dir, { recursive: true });
  for (const s of scenarios()) {
    writeFileSync(path.join(dir, `${s.name}.ndjson`), toNdjson(s.lines));
    process.stdout.write(`${s.name}: ${s.lines.length} records\n`);
  }
}
