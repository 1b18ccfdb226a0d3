/**
 * End-to-end harness: the Kubernetes API test server, the OTLP test receiver and the built
 * `kspan operator` process, driven the way a user would (kubeconfig, CRD and TraceCollectors
 * applied through the API).
 */

import { createInterface } from 'node:readline';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { startKubeApiServer, type KubeApiTestServer, type KubeObject } from '../support/kube-api-server/index.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver/index.js';
import type { TraceCollectorStatus } from '../../src/api/types.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = join(REPO, 'dist/cli.js');

export function fixturePath(name: string): string {
  const shared = join(REPO, '../shared/fixtures', name);
  return existsSync(shared) ? shared : join(REPO, 'examples/recordings', name);
}

export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// the environment

export interface Env {
  api: KubeApiTestServer;
  receiver: OtlpReceiver;
  dir: string;
  kubeconfig: string;
  kubectl: Kubectl;
  operators: Operator[];
  startOperator(args?: string[], options?: { env?: NodeJS.ProcessEnv; kubeconfig?: string }): Promise<Operator>;
  close(): Promise<void>;
}

export async function startEnv(): Promise<Env> {
  const api = await startKubeApiServer({ loadCrds: false, bookmarkIntervalMs: 500 });
  const receiver = await startOtlpReceiver();
  const dir = mkdtempSync(join(tmpdir(), 'kspan-e2e-'));
  const kubeconfig = join(dir, 'kubeconfig');
  api.writeKubeconfig(kubeconfig);
  const kubectl = new Kubectl(api.url, api.adminToken);
  // As a user would: kubectl apply -f crds/
  const crd = parseYaml(readFileSync(join(REPO, 'crds/tracecollectors.kspan.dev.yaml'), 'utf8')) as Record<string, unknown>;
  await kubectl.create('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
  await kubectl.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kspan-system' } });
  const operators: Operator[] = [];
  return {
    api,
    receiver,
    dir,
    kubeconfig,
    kubectl,
    operators,
    async startOperator(args = [], options = {}) {
      const op = await Operator.start([...args], { kubeconfig: options.kubeconfig ?? kubeconfig, env: options.env ?? {} });
      operators.push(op);
      return op;
    },
    async close() {
      await Promise.all(operators.map((o) => o.kill()));
      await receiver.close();
      await api.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One Env for the tests of a describe block: started before the first, closed after the last; `use` receives it. */
export function envPerSuite(use: (env: Env) => void): void {
  let env: Env | undefined;
  before(async () => {
    env = await startEnv();
    use(env);
  });
  after(async () => {
    await env?.close();
  });
}

// ---------------------------------------------------------------------------------------------
// a minimal kubectl

export class HttpStatusError extends Error {
  constructor(readonly status: number, readonly body: unknown) {
    super(`HTTP ${status}: ${JSON.stringify(body)}`);
  }
}

export class Kubectl {
  constructor(private readonly url: string, private readonly token: string) {}

  async request(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<Record<string, unknown>> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, 'content-type': contentType, accept: 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    const parsed = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
    if (!res.ok) throw new HttpStatusError(res.status, parsed);
    return parsed;
  }

  create(collectionPath: string, obj: unknown) {
    return this.request('POST', collectionPath, obj);
  }

  applyTraceCollector(namespace: string, name: string, spec: Record<string, unknown>) {
    return this.create(tcPath(namespace), { apiVersion: 'kspan.dev/v1alpha1', kind: 'TraceCollector', metadata: { name, namespace }, spec });
  }

  patchTraceCollector(namespace: string, name: string, patch: Record<string, unknown>) {
    return this.request('PATCH', `${tcPath(namespace)}/${name}`, patch, 'application/merge-patch+json');
  }

  async getTraceCollector(namespace: string, name: string): Promise<TraceCollectorView | undefined> {
    try {
      return (await this.request('GET', `${tcPath(namespace)}/${name}`)) as unknown as TraceCollectorView;
    } catch (err) {
      if (err instanceof HttpStatusError && err.status === 404) return undefined;
      throw err;
    }
  }

  deleteTraceCollector(namespace: string, name: string) {
    return this.request('DELETE', `${tcPath(namespace)}/${name}`);
  }

  createSecret(namespace: string, name: string, data: Record<string, string>) {
    const encoded = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
    return this.create(`/api/v1/namespaces/${namespace}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, data: encoded });
  }

  createNamespace(name: string, labels: Record<string, string> = {}) {
    return this.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
  }
}

function tcPath(namespace: string): string {
  return `/apis/kspan.dev/v1alpha1/namespaces/${namespace}/tracecollectors`;
}

export interface TraceCollectorView {
  metadata: { name: string; namespace: string; generation?: number; finalizers?: string[]; resourceVersion: string };
  spec: Record<string, unknown>;
  status?: TraceCollectorStatus;
}

export function condition(tc: TraceCollectorView | undefined, type: string) {
  return tc?.status?.conditions?.find((c) => c.type === type);
}

// ---------------------------------------------------------------------------------------------
// the operator process

export interface LogLine {
  level: string;
  msg: string;
  [key: string]: unknown;
}

export class Operator {
  readonly logs: LogLine[] = [];
  readonly stderr: string[] = [];
  private exit: Promise<number | null>;
  exitCode: number | null | undefined;

  private constructor(readonly child: ChildProcess) {
    if (child.stdout) {
      createInterface({ input: child.stdout }).on('line', (line) => {
        try {
          this.logs.push(JSON.parse(line) as LogLine);
        } catch {
          this.logs.push({ level: 'raw', msg: line });
        }
      });
    }
    child.stderr?.on('data', (chunk: Buffer) => this.stderr.push(chunk.toString()));
    this.exit = new Promise((resolve) =>
      child.on('exit', (code) => {
        this.exitCode = code;
        resolve(code);
      }),
    );
  }

  static async start(args: string[], options: { kubeconfig: string; env: NodeJS.ProcessEnv }): Promise<Operator> {
    const child = spawn(
      process.execPath,
      [
        CLI,
        'operator',
        '--kubeconfig',
        options.kubeconfig,
        '--metrics-bind-address',
        '127.0.0.1:0',
        '--health-bind-address',
        '127.0.0.1:0',
        '--status-interval-seconds',
        '0.3',
        '--log-level',
        'debug',
        ...args,
      ],
      {
        // A clean environment (no KUBECONFIG, POD_NAME... of the machine); c8's coverage directory passes through.
        env: {
          PATH: process.env['PATH'] ?? '',
          ...(process.env['NODE_V8_COVERAGE'] ? { NODE_V8_COVERAGE: process.env['NODE_V8_COVERAGE'] } : {}),
          ...options.env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const op = new Operator(child);
    await waitFor('the operator to serve /metrics', () => op.logs.some((l) => l.msg === 'operator started') || op.exitCode !== undefined, 10_000);
    if (op.exitCode !== undefined) throw new Error(`the operator exited with ${op.exitCode}: ${op.stderr.join('')}`);
    return op;
  }

  /** host:port of an endpoint the operator logged ('serving /metrics', 'serving /healthz and /readyz') */
  address(msg: string): string {
    const line = this.logs.find((l) => l.msg === msg);
    if (!line) throw new Error(`the operator did not log "${msg}"`);
    return String(line['address']);
  }

  async metrics(): Promise<string> {
    return (await fetch(`http://${this.address('serving /metrics')}/metrics`)).text();
  }

  async readyz(): Promise<number> {
    return (await fetch(`http://${this.address('serving /healthz and /readyz')}/readyz`)).status;
  }

  /** SIGTERM and wait for the exit code */
  async terminate(): Promise<number | null> {
    if (this.exitCode === undefined) this.child.kill('SIGTERM');
    return this.exit;
  }

  async kill(): Promise<void> {
    if (this.exitCode === undefined) this.child.kill('SIGKILL');
    await this.exit;
  }

  get exited(): Promise<number | null> {
    return this.exit;
  }

  hasLog(predicate: (l: LogLine) => boolean): boolean {
    return this.logs.some(predicate);
  }
}

// ---------------------------------------------------------------------------------------------
// recordings

interface CaptureRecord {
  at: string;
  kind: 'object' | 'event' | 'flush';
  object: Record<string, unknown>;
}

const TIME_KEYS = new Set(['lastTimestamp', 'firstTimestamp', 'eventTime', 'creationTimestamp', 'time', 'lastObservedTime', 'deletionTimestamp']);

export interface Recording {
  objects: Array<Record<string, unknown>>;
  events: Array<{ offsetMs: number; event: Record<string, unknown> }>;
}

/**
 * Loads a capture and moves it to the present: its first event (or event `alignEvent`, to play
 * the rest of a recording later) happens `leadMs` from now, later
 * records follow at their recorded distance divided by `speed`. Every timestamp is moved the same
 * way, so the pipeline sees a live rollout (with speed 1, whole seconds: formats are kept).
 */
/**
 * The spans setting of the collectors that play the shared recording and compare with its expected
 * tree: the recording holds one version of each object, taken mid-rollout, so its Deployment's
 * rollout never completes and its root would wait for it (docs/design.md §5.10). Status spans have
 * their own end-to-end test (status.test.ts).
 */
export const EVENTS_ONLY = { statusTransitions: false } as const;

/**
 * For tests that stop the operator to collect every span it made: without checkpoints SIGTERM
 * flushes what the engine holds; with them it hands that over to the next run (docs/design.md §4.7).
 */
export const FLUSH_ON_STOP = ['--checkpoint-interval-seconds', '0'] as const;

export function loadRecording(file: string, options: { speed?: number; leadMs?: number; alignEvent?: number } = {}): Recording {
  const speed = options.speed ?? 1;
  const records = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as CaptureRecord);
  // The event that happens `leadMs` from now (default the first one).
  const anchor = records.filter((r) => r.kind === 'event')[options.alignEvent ?? 0];
  if (!anchor) throw new Error(`${file} has no event record ${options.alignEvent ?? 0}`);
  const origin = Date.parse(anchor.at);
  const lead = options.leadMs ?? 500;
  // With speed 1 the shift is a whole number of seconds so second-granularity timestamps stay exact.
  const base = speed === 1 ? Math.ceil((Date.now() + lead - origin) / 1000) * 1000 + origin : Date.now() + lead;
  const move = (ms: number) => (speed === 1 ? ms + (base - origin) : base + (ms - origin) / speed);
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (value === null || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (TIME_KEYS.has(k) && typeof v === 'string' && !Number.isNaN(Date.parse(v))) out[k] = formatTime(move(Date.parse(v)), v, speed);
      else out[k] = rewrite(v);
    }
    return out;
  };
  const startAt = move(origin);
  const recording: Recording = { objects: [], events: [] };
  for (const r of records) {
    if (r.kind === 'object') recording.objects.push(rewrite(r.object) as Record<string, unknown>);
    else if (r.kind === 'event') recording.events.push({ offsetMs: move(Date.parse(r.at)) - startAt, event: rewrite(r.object) as Record<string, unknown> });
  }
  return recording;
}

function formatTime(ms: number, original: string, speed: number): string {
  const iso = new Date(Math.floor(ms)).toISOString();
  if (speed !== 1) return iso;
  const fraction = /\.(\d+)Z$/.exec(original)?.[1];
  if (!fraction) return iso.replace(/\.\d{3}Z$/, 'Z');
  // Keep the recorded precision (micro/nanoseconds): only the whole seconds moved.
  return `${iso.slice(0, 19)}.${fraction}Z`;
}

/** Puts the recording's objects into the API server (as the cluster had them). */
export function putObjects(api: KubeApiTestServer, recording: Recording): void {
  for (const obj of recording.objects) api.put(stripServerFields(obj));
}

/** Puts the recording's events at their (relative) times; resolves after the last one. */
export async function playEvents(
  api: KubeApiTestServer,
  recording: Recording,
  options: { from?: number; to?: number; onEvent?: (index: number) => void | Promise<void> } = {},
): Promise<void> {
  const start = Date.now();
  const events = recording.events.slice(options.from ?? 0, options.to);
  const offset0 = events[0]?.offsetMs ?? 0;
  for (const [i, { offsetMs, event }] of events.entries()) {
    const wait = start + (offsetMs - offset0) - Date.now();
    if (wait > 0) await sleep(wait);
    api.put(stripServerFields(event));
    await options.onEvent?.((options.from ?? 0) + i);
  }
}

function stripServerFields(obj: Record<string, unknown>): Record<string, unknown> {
  const meta = { ...(obj['metadata'] as Record<string, unknown>) };
  delete meta['resourceVersion'];
  delete meta['selfLink'];
  return { ...obj, metadata: meta };
}

// ---------------------------------------------------------------------------------------------
// trees

export interface TreeLine {
  service: string;
  name: string;
  message: string;
  parent?: string;
}

/** The expected tree file as (span, parent) signatures. */
export function expectedTree(file: string): string[] {
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const parsed = lines.map((line) => {
    const m = /^(\d+): (\S+) (\S+)(?: \((\d+)\))? ?(.*)$/.exec(line);
    if (!m) throw new Error(`bad tree line: ${line}`);
    return { service: m[2] as string, name: m[3] as string, parent: m[4] === undefined ? undefined : Number(m[4]), message: m[5] ?? '' };
  });
  const sig = (i: number) => {
    const l = parsed[i];
    return l ? `${l.service} ${l.name} ${l.message}`.trim() : '?';
  };
  return parsed.map((l, i) => `${sig(i)}  <-  ${l.parent === undefined ? '(root)' : sig(l.parent)}`).sort();
}

/** What the receiver got, in the same signature form. */
export function receivedTree(spans: readonly ReceivedSpan[]): string[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const sig = (s: ReceivedSpan) => `${String(s.resource['service.name'] ?? '')} ${s.name} ${String(s.attributes['k8s.event.message'] ?? '')}`.trim();
  return spans
    .map((s) => {
      const parent = s.parentSpanId ? byId.get(s.parentSpanId) : undefined;
      return `${sig(s)}  <-  ${s.parentSpanId === '' ? '(root)' : parent ? sig(parent) : `(missing ${s.parentSpanId})`}`;
    })
    .sort();
}

/** The tree without its parent links: which spans exist (for deliveries that may reorder events). */
export function withoutParents(tree: readonly string[]): string[] {
  return tree.map((line) => line.slice(0, line.indexOf('  <-  '))).sort();
}

export function duplicateSpanIds(spans: readonly ReceivedSpan[]): string[] {
  const seen = new Set<string>();
  const dups: string[] = [];
  for (const s of spans) {
    if (seen.has(s.spanId)) dups.push(`${s.spanId} ${s.name}`);
    seen.add(s.spanId);
  }
  return dups;
}

// ---------------------------------------------------------------------------------------------
// small synthetic activity

let eventCounter = 0;

/** A Pod (no owners) and one Normal event on it, as the kubelet would write it, happening now. */
export function podEvent(api: KubeApiTestServer, namespace: string, pod: string, reason = 'Started'): void {
  const now = new Date().toISOString();
  if (!api.get('v1', 'Pod', namespace, pod)) {
    api.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: pod, namespace, uid: `uid-${namespace}-${pod}`, creationTimestamp: now } });
  }
  eventCounter++;
  api.put({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${pod}.${eventCounter}`, namespace, uid: `event-${process.pid}-${eventCounter}`, creationTimestamp: now },
    involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace, name: pod, uid: `uid-${namespace}-${pod}` },
    reason,
    message: `${reason} on ${pod}`,
    source: { component: 'kubelet', host: 'node-1' },
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
    type: 'Normal',
  });
}

/** Spans the receiver got for involved objects in `namespace`. */
export function spansIn(receiver: OtlpReceiver, namespace: string): ReceivedSpan[] {
  return receiver.spans().filter((s) => s.attributes['k8s.namespace.name'] === namespace);
}

export async function waitForCondition(kubectl: Kubectl, namespace: string, name: string, type: string, check: (c: { status: string; reason: string; message: string; observedGeneration?: number }) => boolean, timeoutMs?: number) {
  return waitFor(
    `${namespace}/${name} condition ${type}`,
    async () => {
      const tc = await kubectl.getTraceCollector(namespace, name);
      const c = condition(tc, type);
      return c && check(c) ? { tc: tc as TraceCollectorView, condition: c } : undefined;
    },
    timeoutMs,
  );
}

let testEventSeq = 0;

/** An Event as a component posts it (second-granularity timestamps), for tests that write their own. */
export function testEvent(namespace: string, kind: string, name: string, reason: string, message: string, source: Record<string, string>, time = new Date().toISOString().replace(/\.\d+Z$/, 'Z')): KubeObject {
  testEventSeq++;
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${name}.${testEventSeq}`, namespace, uid: `test-event-${process.pid}-${testEventSeq}`, creationTimestamp: time },
    involvedObject: { apiVersion: kind === 'Pod' ? 'v1' : 'apps/v1', kind, namespace, name, uid: `uid-${kind}-${name}` },
    reason,
    message,
    source,
    firstTimestamp: time,
    lastTimestamp: time,
    count: 1,
    type: 'Normal',
  };
}

/** Applies a TraceCollector and waits until it is Ready. */
export async function applyReady(env: Env, namespace: string, name: string, spec: Record<string, unknown>): Promise<void> {
  await env.kubectl.applyTraceCollector(namespace, name, spec);
  await waitForCondition(env.kubectl, namespace, name, 'Ready', (c) => c.status === 'True');
}
