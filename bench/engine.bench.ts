/**
 * Engine throughput: replays a large generated capture (realistic rollouts of many Deployments:
 * objects with managedFields, events as a watch returns them) through the full replay pipeline
 * (capture parsing + validation + the Correlator on simulated time), and in the same run parses
 * the same lines alone with JSON.parse. Target: engine_vs_parse_ratio >= 0.5.
 *
 *   npm run bench -- engine [--quick]      (--quick: 20k events instead of 100k)
 */

import { engineConfigFromSpec } from '../src/engine/config.js';
import { parseNdjson } from '../src/replay/capture.js';
import { replay } from '../src/replay/replay.js';

const quick = process.argv.includes('--quick');
const targetEvents = quick ? 20_000 : 100_000;
const BASE = Date.parse('2026-03-10T14:00:00Z');

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, (_, f: string) => `.${f}${String(Math.floor((ms * 1000) % 1000)).padStart(3, '0')}000Z`);
}
function second(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
function hex(n: number, width: number): string {
  return (n >>> 0).toString(16).padStart(width, '0').slice(-width);
}
let uidCounter = 0;
function uid(): string {
  uidCounter++;
  const a = Math.imul(uidCounter, 2654435761);
  return `${hex(a, 8)}-${hex(uidCounter, 4)}-4${hex(a >>> 8, 3)}-a${hex(uidCounter * 7, 3)}-${hex(a ^ 0x5bd1e995, 8)}${hex(uidCounter, 4)}`;
}
function name5(n: number): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let s = '';
  for (let i = 0; i < 5; i++) {
    s += alphabet[n % alphabet.length];
    n = Math.floor(n / alphabet.length) + i * 7;
  }
  return s;
}

const lines: string[] = [];
let events = 0;
let rv = 100000;
const record = (at: number, kind: 'object' | 'event', object: unknown): void => {
  lines.push(JSON.stringify({ at: iso(at), kind, object }));
  if (kind === 'event') events++;
};
const eventMeta = (ns: string, objName: string, at: number) => ({
  name: `${objName}.${hex(uidCounter * 2654435761, 8)}${hex(at, 8)}`,
  namespace: ns,
  uid: uid(),
  resourceVersion: String(rv++),
  creationTimestamp: second(at),
  managedFields: [{ apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:count': {}, 'f:firstTimestamp': {}, 'f:involvedObject': {}, 'f:lastTimestamp': {}, 'f:message': {}, 'f:reason': {}, 'f:source': { 'f:component': {} }, 'f:type': {} }, manager: 'kube-controller-manager', operation: 'Update', time: second(at) }],
});
function event(at: number, ns: string, kind: string, objName: string, objUid: string, reason: string, message: string, component: string, host?: string): void {
  record(at, 'event', {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: eventMeta(ns, objName, at),
    involvedObject: { apiVersion: kind === 'Pod' ? 'v1' : 'apps/v1', kind, name: objName, namespace: ns, uid: objUid, resourceVersion: String(rv) },
    reason,
    message,
    source: host ? { component, host } : { component },
    firstTimestamp: second(at),
    lastTimestamp: second(at),
    count: 1,
    type: 'Normal',
    eventTime: null,
    reportingComponent: '',
    reportingInstance: '',
  });
}
function scheduled(at: number, ns: string, pod: string, podUid: string, node: string): void {
  record(at, 'event', {
    apiVersion: 'v1',
    kind: 'Event',
    action: 'Binding',
    metadata: eventMeta(ns, pod, at),
    involvedObject: { apiVersion: 'v1', kind: 'Pod', name: pod, namespace: ns, uid: podUid, resourceVersion: String(rv) },
    reason: 'Scheduled',
    message: `Successfully assigned ${ns}/${pod} to ${node}`,
    source: {},
    eventTime: iso(at - 12),
    firstTimestamp: null,
    lastTimestamp: null,
    reportingComponent: 'default-scheduler',
    reportingInstance: 'default-scheduler-control-plane',
    type: 'Normal',
  });
}
const containerFields = (c: string) => ({ 'f:template': { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } }, 'f:spec': { 'f:containers': { [`k:{"name":"${c}"}`]: { '.': {}, 'f:image': {}, 'f:name': {}, 'f:ports': {}, 'f:resources': {} } } } } });
function podSpec(c: string, image: string, node?: string) {
  return { containers: [{ name: c, image, imagePullPolicy: 'IfNotPresent', ports: [{ containerPort: 8080, protocol: 'TCP' }], resources: { requests: { cpu: '100m', memory: '128Mi' } } }], restartPolicy: 'Always', schedulerName: 'default-scheduler', ...(node ? { nodeName: node } : {}) };
}

interface App {
  ns: string;
  name: string;
  uid: string;
  gen: number;
  rs?: { name: string; uid: string; gen: number; pods: Array<{ name: string; uid: string; node: string }> };
}

const namespaces = Array.from({ length: 40 }, (_, i) => `team-${i}`);
const apps: App[] = Array.from({ length: 800 }, (_, i) => ({ ns: namespaces[i % namespaces.length]!, name: `svc-${i}`, uid: uid(), gen: 0 }));
const REPLICAS = 3;
let t = BASE;
let n = 0;
while (events < targetEvents) {
  const app = apps[n % apps.length]!;
  n++;
  t += 40; // a rollout starts every 40 ms somewhere in the cluster
  const { ns, name } = app;
  app.gen++;
  const image = `registry.example.com/${name}:1.${app.gen}.0`;
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name, namespace: ns, uid: app.uid, generation: app.gen, resourceVersion: String(rv++), creationTimestamp: second(BASE - 86400000),
      managedFields: [
        { apiVersion: 'apps/v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {}, 'f:selector': {}, ...containerFields(name) } }, manager: 'kubectl-client-side-apply', operation: 'Update', time: second(t) },
        { apiVersion: 'apps/v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:status': { 'f:observedGeneration': {}, 'f:replicas': {} } }, manager: 'kube-controller-manager', operation: 'Update', subresource: 'status', time: second(t) },
      ],
    },
    spec: { replicas: REPLICAS, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: podSpec(name, image) } },
  };
  record(t, 'object', deployment);
  const hash = hex(Math.imul(n, 0x9e3779b1), 10).replace(/^[0-9]/, 'a');
  const rs = { name: `${name}-${hash}`, uid: uid(), gen: 1, pods: [] as Array<{ name: string; uid: string; node: string }> };
  const rsObject = (replicas: number, r: typeof rs) => ({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: r.name, namespace: ns, uid: r.uid, generation: r.gen, resourceVersion: String(rv++), ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name, uid: app.uid, controller: true, blockOwnerDeletion: true }], managedFields: [{ apiVersion: 'apps/v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {}, ...containerFields(name) } }, manager: 'kube-controller-manager', operation: 'Update', time: second(t) }] },
    spec: { replicas, template: { spec: podSpec(name, image) } },
  });
  let at = t + 5;
  record(at, 'object', rsObject(REPLICAS, rs));
  event(at + 3, ns, 'Deployment', name, app.uid, 'ScalingReplicaSet', `Scaled up replica set ${rs.name} to ${REPLICAS}`, 'deployment-controller');
  for (let p = 0; p < REPLICAS; p++) {
    const pod = { name: `${rs.name}-${name5(n * 7 + p)}`, uid: uid(), node: `worker-${(n + p) % 50}` };
    rs.pods.push(pod);
    at += 6;
    record(at, 'object', {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: pod.name, namespace: ns, uid: pod.uid, resourceVersion: String(rv++), ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.name, uid: rs.uid, controller: true, blockOwnerDeletion: true }] },
      spec: podSpec(name, image, pod.node),
    });
    event(at + 2, ns, 'ReplicaSet', rs.name, rs.uid, 'SuccessfulCreate', `Created pod: ${pod.name}`, 'replicaset-controller');
    scheduled(at + 20, ns, pod.name, pod.uid, pod.node);
    event(at + 600, ns, 'Pod', pod.name, pod.uid, 'Pulled', `Container image "${image}" already present on machine`, 'kubelet', pod.node);
    event(at + 640, ns, 'Pod', pod.name, pod.uid, 'Created', `Created container ${name}`, 'kubelet', pod.node);
    event(at + 720, ns, 'Pod', pod.name, pod.uid, 'Started', `Started container ${name}`, 'kubelet', pod.node);
  }
  const old = app.rs;
  if (old) {
    old.gen++;
    at += 900;
    record(at, 'object', rsObject(0, old));
    event(at + 4, ns, 'Deployment', name, app.uid, 'ScalingReplicaSet', `Scaled down replica set ${old.name} to 0 from ${REPLICAS}`, 'deployment-controller');
    for (const pod of old.pods) {
      event(at + 9, ns, 'ReplicaSet', old.name, old.uid, 'SuccessfulDelete', `Deleted pod: ${pod.name}`, 'replicaset-controller');
      event(at + 30, ns, 'Pod', pod.name, pod.uid, 'Killing', `Stopping container ${name}`, 'kubelet', pod.node);
    }
  }
  app.rs = rs;
}
// Records are generated per rollout; a capture is in receive order.
const text = `${lines
  .map((l) => ({ l, at: Date.parse(JSON.parse(l).at as string) }))
  .sort((a, b) => a.at - b.at)
  .map((x) => x.l)
  .join('\n')}\n`;
const recordCount = lines.length;
lines.length = 0;

// Each timed pass starts from a collected heap (bench/run.ts passes --expose-gc), so that one
// pass does not pay for the garbage of the previous one.
const collectGarbage = (globalThis as { gc?: () => void }).gc ?? ((): void => undefined);

const config = engineConfigFromSpec();

function parseOnly(): number {
  collectGarbage();
  const start = performance.now();
  let count = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const r = JSON.parse(line) as { kind: string };
    if (r.kind === 'event') count++;
  }
  const ms = performance.now() - start;
  if (count !== events) throw new Error(`parse saw ${count} events, expected ${events}`);
  return ms;
}

let lastStats: ReturnType<typeof replay>['stats'] | undefined;
function parseAndEngine(): number {
  collectGarbage();
  const start = performance.now();
  let spans = 0;
  // Spans go to a sink, as they would go to the exporter in the live pipeline.
  const result = replay(parseNdjson(text, 'bench.ndjson'), config, { onSpans: (out) => (spans += out.length) });
  if (spans !== result.stats.spansEmitted) throw new Error('span count mismatch');
  const ms = performance.now() - start;
  lastStats = result.stats;
  if (result.stats.eventsReceived !== events) throw new Error(`engine saw ${result.stats.eventsReceived} events, expected ${events}`);
  return ms;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

// Warm up both paths, then alternate runs so that machine noise hits both alike.
parseOnly();
parseAndEngine();
const parseRuns: number[] = [];
const engineRuns: number[] = [];
for (let i = 0; i < 3; i++) {
  parseRuns.push(parseOnly());
  engineRuns.push(parseAndEngine());
}
const parseMs = median(parseRuns);
const engineMs = median(engineRuns);
const parseRate = Math.round((events / parseMs) * 1000);
const engineRate = Math.round((events / engineMs) * 1000);
const ratio = engineRate / parseRate;
const rssMb = process.resourceUsage().maxRSS / 1024;

const s = lastStats!;
process.stdout.write(
  [
    `capture: ${events} events, ${recordCount} records, ${(text.length / 1e6).toFixed(1)} MB, ${apps.length} Deployments, ${n} rollouts`,
    `engine: ${s.spansEmitted} spans, ${s.tracesStarted} traces, ${s.eventsUnresolved} unresolved, ${s.pendingOverflow ?? 0} pending overflow`,
    '',
    '| pass           | median ms | events/s   |',
    '|----------------|-----------|------------|',
    `| parse          | ${parseMs.toFixed(0).padStart(9)} | ${String(parseRate).padStart(10)} |`,
    `| parse + engine | ${engineMs.toFixed(0).padStart(9)} | ${String(engineRate).padStart(10)} |`,
    '',
    `peak_rss_mb=${rssMb.toFixed(0)}`,
    `parse_events_per_s=${parseRate}`,
    `engine_events_per_s=${engineRate}`,
    `engine_vs_parse_ratio=${ratio.toFixed(2)}`,
    `target_met=${ratio >= 0.5}`,
    '',
  ].join('\n'),
);
