/**
 * Engine throughput: the cost of correlation compared with the cost of reading the same capture.
 *
 *   npm run bench -- engine [--quick]      (--quick: 20k events instead of 100k)
 *
 * What is compared (like with like):
 * - "parse": the capture reader `parseNdjson` over the whole capture — JSON.parse of every line
 *   plus the record checks and the receive-time parse, i.e. exactly the parsing the replay
 *   pipeline does. Nothing is kept.
 * - "parse + engine": `replay(parseNdjson(...))` — the same reader, the object lookup fed by the
 *   object records, and the Correlator on simulated time (same tick schedule as live); spans go
 *   to a counting sink, as they would go to the exporter.
 * The ratio is events/s of the second over the first (target >= 0.5: correlation costs no more
 * than parsing). A bare JSON.parse pass is printed for context only. The warm-up pass also checks
 * that no two spans share an id (`engine_duplicate_span_ids`; the benchmark fails otherwise).
 *
 * The capture (generated, seeded, deterministic) is shaped like a real cluster's:
 * - bench/support/workload.ts scenarios (shared with the e2e bench): Deployments created and
 *   rolled out (rolling updates through new ReplicaSets, several managers in managedFields),
 *   Jobs, Pods through scheduling, image pulls, start and termination; real-sized objects
 *   (managedFields, labels, annotations, status; Pods with what admission and the kubelet add:
 *   ~4.3 KB a Pod, 3.9 KB a Deployment, 1.2 KB an event, where the recorded fixture
 *   ../shared/fixtures/deployment-2-pods.ndjson has 3.9, 3.8 and 1.4) and events as a watch
 *   returns them (managedFields included; controller/kubelet core/v1 events, scheduler events
 *   with only reportingComponent and eventTime);
 * - plus scenarios made here that the shared ones lack: `kubectl scale` of a long-running
 *   Deployment (a generation made through the scale subresource: untimed managedFields entry),
 *   a Pod that cannot be scheduled at first (FailedScheduling warning), and a Pod that crashes
 *   and restarts (BackOff warnings and kubelet events repeated with count bumps on the same
 *   Event object, minutes apart);
 * - a realistic rate: RATE events per simulated second in total (1000: a busy large cluster),
 *   each record received a few ms to tens of ms after it happened (independent watches), so
 *   records are in receive order, not in causal order.
 * Deleted objects are not recorded (a capture has no delete records; the lookup keeps them).
 */

import { engineConfigFromSpec } from '../src/engine/config.js';
import { parseNdjson } from '../src/replay/capture.js';
import { replay } from '../src/replay/replay.js';
import {
  coreEvent,
  deployment,
  kubeTime,
  microTime,
  pod,
  replicaSet,
  schedulerEvent,
  type DeploymentState,
  type KubeJson,
  type ObjectId,
  type PodState,
  type ReplicaSetState,
} from './support/kube-objects.js';
import { Random } from './support/random.js';
import { Workload } from './support/workload.js';

const quick = process.argv.includes('--quick');
const TARGET_EVENTS = quick ? 20_000 : 100_000;
/** events per simulated second, all scenarios together */
const RATE = 1000;
/** share of that rate carried by the scale-up / crash-loop scenarios made here */
const EXTRA_SHARE = 0.2;
const BASE = Date.parse('2026-03-10T14:00:00Z');

// ---- capture generation ---------------------------------------------------------------------

interface Line {
  at: number;
  text: string;
}

const rng = new Random(4242);
/** The capture covers [START, END) of simulated time; scenarios start earlier so that it opens on a cluster in full swing. */
const START = BASE;
const END = START + (TARGET_EVENTS / RATE) * 1000;
const WARM_UP_MS = 80_000; // longer than any scenario (a crash loop lasts about 70 s)
const lines: Line[] = [];
/** objects alive at START, newest version (a capture's initial list) */
const initial = new Map<string, string>();
let events = 0;
let generatedEvents = 0;

const objectKey = (o: { kind: string; namespace: string; name: string }): string => `${o.kind}/${o.namespace}/${o.name}`;

/**
 * Records what happened at `happenedAt` as received a little later (watch delivery). Before
 * START only the objects still alive then are kept, received at START; after END nothing.
 */
function record(happenedAt: number, object: KubeJson): void {
  const isEvent = object.kind === 'Event';
  if (isEvent) generatedEvents++;
  const at = happenedAt + (isEvent ? rng.int(2, 60) : rng.int(1, 20)) + rng.next();
  if (at >= END || (isEvent && at < START)) return;
  const text = JSON.stringify({ at: microTime(Math.max(at, START)), kind: isEvent ? 'event' : 'object', object });
  if (at < START) {
    initial.set(objectKey({ kind: object.kind, namespace: object.metadata.namespace ?? '', name: object.metadata.name }), text);
    return;
  }
  lines.push({ at, text });
  if (isEvent) events++;
}

/** One occurrence of an Event object (repeats bump its count). */
interface Occurrence {
  id: { name: string; uid: string };
  message: string;
  first: number;
}

/** `kubectl scale` of a long-running Deployment; one new Pod waits for capacity, one crash-loops. */
class ExtraScenarios {
  private counter = 0;
  readonly namespaces: string[];
  readonly nodes = Array.from({ length: 40 }, (_, i) => `node-${String(i).padStart(2, '0')}`);

  constructor(namespaces: string[]) {
    this.namespaces = namespaces;
  }

  /** Records one scenario starting at `t`; returns how many events it made. */
  run(t: number): number {
    const before = generatedEvents;
    const namespace = rng.pick(this.namespaces);
    const name = `svc-${(this.counter++).toString(36)}`;
    const created = t - rng.int(3_600_000, 10 * 86_400_000);
    const d: DeploymentState = {
      namespace, name, uid: rng.uuid(), createdAt: created, generation: 1, replicas: 2, image: `registry.example.com/acme/${name}:2.${rng.int(0, 30)}.0`,
      revision: 1, changes: [{ manager: 'kubectl-client-side-apply', at: created, fields: 'all' }],
    };
    const rs: ReplicaSetState = { name: `${name}-${rng.suffix(10)}`, uid: rng.uuid(), hash: '', createdAt: created, generation: 1, replicas: 2, image: d.image, revision: 1 };
    rs.hash = rs.name.slice(-10);
    const rsId: ObjectId = { apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace, name: rs.name, uid: rs.uid };
    const labels = { app: name, 'pod-template-hash': rs.hash };
    const newPod = (at: number, node?: string): PodState => {
      const p: PodState = { name: `${rs.name}-${rng.suffix(5)}`, uid: rng.uuid(), createdAt: at, owner: rsId, labels, image: d.image, phase: node ? 'Running' : 'Pending' };
      if (node) p.node = node;
      return p;
    };
    // What the cluster already holds (a capture's initial list would carry it).
    record(t, deployment(d, created + 60_000));
    record(t, replicaSet(d, rs, created + 60_000));
    for (let i = 0; i < 2; i++) record(t, pod(newPod(created, rng.pick(this.nodes)), created + 60_000));

    // kubectl scale --replicas=4: a new generation through the scale subresource (untimed entry).
    t += rng.int(1000, 20_000);
    d.generation = 2;
    d.replicas = 4;
    d.changes.push({ manager: 'kubectl', at: t, fields: 'replicas' });
    record(t, deployment(d, t));
    t += rng.int(2, 10);
    rs.generation = 2;
    rs.replicas = 4;
    record(t, replicaSet(d, rs, t));
    const depId: ObjectId = { apiVersion: 'apps/v1', kind: 'Deployment', namespace, name, uid: d.uid };
    t += rng.int(1, 4);
    record(t, coreEvent(this.id(name), depId, 'ScalingReplicaSet', `Scaled up replica set ${rs.name} from 2 to 4`, { component: 'deployment-controller' }, t));
    const waiting = newPod((t += rng.int(2, 10)));
    const crashing = newPod((t += rng.int(2, 10)));
    for (const p of [waiting, crashing]) {
      record(p.createdAt, pod(p, p.createdAt));
      record(p.createdAt + 2, coreEvent(this.id(rs.name), rsId, 'SuccessfulCreate', `Created pod: ${p.name}`, { component: 'replicaset-controller' }, p.createdAt + 2));
    }

    // Not enough room at first: FailedScheduling (a scheduler warning), then bound a few s later.
    const wId: ObjectId = { apiVersion: 'v1', kind: 'Pod', namespace, name: waiting.name, uid: waiting.uid };
    const failedAt = waiting.createdAt + rng.int(5, 30);
    const failed = schedulerEvent(this.id(waiting.name), wId, 'FailedScheduling', '0/40 nodes are available: 40 Insufficient cpu. preemption: 0/40 nodes are available: 40 No preemption victims found for incoming pod.', failedAt);
    failed['type'] = 'Warning';
    failed['action'] = 'Scheduling';
    record(failedAt, failed);
    this.start(waiting, failedAt + rng.int(2000, 8000));

    // CrashLoopBackOff: every restart repeats the kubelet events on the same Event objects
    // (count bumps), with the back-off doubling from 10 s.
    const repeated = this.start(crashing, crashing.createdAt + rng.int(5, 30));
    const cId = { apiVersion: 'v1', kind: 'Pod', namespace, name: crashing.name, uid: crashing.uid, fieldPath: 'spec.containers{app}' };
    const kubelet = { component: 'kubelet', host: crashing.node! };
    const backOff: Occurrence = { id: this.id(crashing.name), message: `Back-off restarting failed container app in pod ${crashing.name}_${namespace}(${crashing.uid})`, first: 0 };
    let at = repeated.Started.first + rng.int(500, 3000);
    backOff.first = at;
    for (let restart = 1; restart <= 3; restart++) {
      record(at, this.bump(coreEvent(backOff.id, cId, 'BackOff', backOff.message, kubelet, at, 'Warning'), restart, backOff.first));
      at += 10_000 * 2 ** (restart - 1) + rng.int(0, 500);
      for (const reason of ['Pulled', 'Created', 'Started'] as const) {
        const r = repeated[reason];
        at += rng.int(5, 60);
        record(at, this.bump(coreEvent(r.id, cId, reason, r.message, kubelet, at), restart + 1, r.first));
      }
      at += rng.int(500, 3000);
    }
    return generatedEvents - before;
  }

  /** Scheduled, then the kubelet starts the container; returns the kubelet events it recorded. */
  private start(p: PodState, at: number): Record<'Pulled' | 'Created' | 'Started', Occurrence> {
    p.node = rng.pick(this.nodes);
    record(at, pod(p, at));
    const pId: ObjectId = { apiVersion: 'v1', kind: 'Pod', namespace: p.owner.namespace, name: p.name, uid: p.uid };
    record(at + 1, schedulerEvent(this.id(p.name), pId, 'Scheduled', `Successfully assigned ${p.owner.namespace}/${p.name} to ${p.node}`, at + 1));
    const c = { ...pId, fieldPath: 'spec.containers{app}' };
    const kubelet = { component: 'kubelet', host: p.node };
    const occurrence = (reason: string, message: string, t: number): Occurrence => {
      const o = { id: this.id(p.name), message, first: t };
      record(t, coreEvent(o.id, c, reason, message, kubelet, t));
      return o;
    };
    let t = at + rng.int(50, 300);
    const pulled = occurrence('Pulled', `Container image "${p.image}" already present on machine`, t);
    const created = occurrence('Created', 'Created container app', (t += rng.int(5, 40)));
    const started = occurrence('Started', 'Started container app', (t += rng.int(5, 60)));
    p.phase = 'Running';
    record(t + 20, pod(p, t + 20));
    return { Pulled: pulled, Created: created, Started: started };
  }

  /** A new Event object's identity; its name is the involved object's plus a hex suffix. */
  private id(involvedName: string): { name: string; uid: string } {
    return { name: `${involvedName}.${rng.hex(16)}`, uid: rng.uuid() };
  }

  /** The n-th occurrence of a repeated event: same Event object, count n, first seen at `first`. */
  private bump(e: KubeJson, count: number, first: number): KubeJson {
    e['count'] = count;
    e['firstTimestamp'] = kubeTime(first);
    return e;
  }
}

/** Generates the capture; the generator's state is garbage once it returns (not timed, not held). */
function generate(): { text: string; records: number; workloadScenarios: number; extraScenarios: number } {
  const workload = new Workload({ seed: 42, baseRate: RATE * (1 - EXTRA_SHARE) });
  const stream = workload.stream(START - WARM_UP_MS);
  while (stream.peekAt() < END) {
    const step = stream.next();
    if (step.op === 'put') record(step.at, step.build((ms) => ms));
    else if (step.at < START) initial.delete(objectKey(step));
  }
  const extras = new ExtraScenarios(workload.namespaces);
  let extraScenarios = 0;
  for (let t = START - WARM_UP_MS; t < END; extraScenarios++) t += (extras.run(t) / (RATE * EXTRA_SHARE)) * 1000;
  lines.sort((a, b) => a.at - b.at); // receive order
  lines.unshift(...[...initial.values()].map((text) => ({ at: START, text }))); // the initial list first
  initial.clear();
  const text = `${lines.map((l) => l.text).join('\n')}\n`;
  const records = lines.length;
  lines.length = 0;
  return { text, records, workloadScenarios: stream.scenarios, extraScenarios };
}
const capture = generate();
const { text } = capture;
const simulatedSeconds = (END - START) / 1000;

// ---- timed passes ---------------------------------------------------------------------------

// Each timed pass starts from a collected heap (bench/run.ts passes --expose-gc), so that one
// pass does not pay for the garbage of the previous one.
const collectGarbage = (globalThis as { gc?: () => void }).gc ?? ((): void => undefined);
const config = engineConfigFromSpec();
const FILE = 'bench.ndjson';

function time(pass: () => number): number {
  collectGarbage();
  const start = performance.now();
  const seen = pass();
  const ms = performance.now() - start;
  if (seen !== events) throw new Error(`a pass saw ${seen} events, expected ${events}`);
  return ms;
}

/** Context only: JSON.parse of every line, nothing else. */
function bareJsonParse(): number {
  let count = 0;
  for (const line of text.split('\n')) {
    if (line !== '' && (JSON.parse(line) as { kind: string }).kind === 'event') count++;
  }
  return count;
}

function parseOnly(): number {
  let count = 0;
  for (const r of parseNdjson(text, FILE)) if (r.kind === 'event') count++;
  return count;
}

let lastStats: ReturnType<typeof replay>['stats'] | undefined;
let enginePeakRss = 0;
let enginePeakHeap = 0;
function sampleMemory(): void {
  const m = process.memoryUsage();
  enginePeakRss = Math.max(enginePeakRss, m.rss);
  enginePeakHeap = Math.max(enginePeakHeap, m.heapUsed);
}
/** (trace id, span id) pairs seen twice in the warm-up pass: two spans with one id are invalid OTLP. */
let duplicateSpanIds = 0;
function parseAndEngine(checkIds = false): number {
  let spans = 0;
  let calls = 0;
  const ids = new Set<string>();
  // Spans go to a sink, as they would go to the exporter in the live pipeline; RSS is sampled
  // now and then on the way (cheap next to the work between two samples).
  const result = replay(parseNdjson(text, FILE), config, {
    onSpans: (out) => {
      spans += out.length;
      if ((++calls & 1023) === 0) sampleMemory();
      if (!checkIds) return;
      for (const span of out) {
        const id = `${span.traceId}/${span.spanId}`;
        if (ids.has(id)) duplicateSpanIds++;
        ids.add(id);
      }
    },
  });
  sampleMemory();
  if (spans !== result.stats.spansEmitted) throw new Error('span count mismatch');
  lastStats = result.stats;
  return result.stats.eventsReceived;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

collectGarbage();
const rssBefore = process.memoryUsage.rss();
const heapBefore = process.memoryUsage().heapUsed;
// Warm up every path, then alternate runs (ROUNDS of each) so that machine noise hits them alike.
time(bareJsonParse);
time(parseOnly);
time(() => parseAndEngine(true));
if (duplicateSpanIds > 0) throw new Error(`the replay made ${duplicateSpanIds} spans with an id already used`);
const runs = { bare: [] as number[], parse: [] as number[], engine: [] as number[] };
const ROUNDS = 7;
for (let i = 0; i < ROUNDS; i++) {
  runs.bare.push(time(bareJsonParse));
  runs.parse.push(time(parseOnly));
  runs.engine.push(time(parseAndEngine));
}
const rate = (ms: number): number => Math.round((events / ms) * 1000);
const bareMs = median(runs.bare);
const parseMs = median(runs.parse);
const engineMs = median(runs.engine);
const ratio = rate(engineMs) / rate(parseMs);
// The same ratio within each round (its two passes run back to back): how far one run's passes
// spread on this machine, next to the medians' ratio above.
const roundRatios = runs.parse.map((ms, i) => ms / runs.engine[i]!).sort((a, b) => a - b);
const mb = (bytes: number): string => (bytes / 1048576).toFixed(0);

const s = lastStats!;
const row = (name: string, ms: number): string => `| ${name.padEnd(34)} | ${ms.toFixed(0).padStart(9)} | ${String(rate(ms)).padStart(10)} |`;
process.stdout.write(
  [
    `capture: ${events} events, ${capture.records} records, ${(text.length / 1e6).toFixed(1)} MB, ${simulatedSeconds.toFixed(0)} simulated s (${(events / simulatedSeconds).toFixed(0)} events/s), ${capture.workloadScenarios} workload + ${capture.extraScenarios} scale/crash-loop scenarios`,
    `engine: ${s.spansEmitted} spans, ${s.tracesStarted} traces, ${s.eventsUnresolved} unresolved, ${s.pendingOverflow} given up early (pending events cap)`,
    '',
    `| ${'pass'.padEnd(34)} | median ms | events/s   |`,
    `|${'-'.repeat(36)}|-----------|------------|`,
    row('JSON.parse only (context)', bareMs),
    row('parse (capture reader)', parseMs),
    row('parse + engine (replay)', engineMs),
    '',
    `rss_before_passes_mb=${mb(rssBefore)} (the capture text, and memory the generator's garbage left mapped; heap used ${mb(heapBefore)} MB)`,
    `engine_peak_rss_mb=${mb(enginePeakRss)}`,
    `engine_peak_heap_growth_mb=${mb(enginePeakHeap - heapBefore)} (heap used above the capture's, at most, during a parse + engine pass: lookup, pending, held spans, recent store, garbage not yet collected)`,
    `peak_rss_mb=${mb(process.resourceUsage().maxRSS * 1024)}`,
    `parse_events_per_s=${rate(parseMs)}`,
    `engine_events_per_s=${rate(engineMs)}`,
    `engine_duplicate_span_ids=${duplicateSpanIds}`,
    `engine_vs_parse_ratio_by_round=${roundRatios.map((r) => r.toFixed(2)).join(',')} (lowest to highest; the line below is the ratio of the medians)`,
    `engine_vs_parse_ratio=${ratio.toFixed(2)}`,
    `target_met=${ratio >= 0.5}`,
    '',
  ].join('\n'),
);
