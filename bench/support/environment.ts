/**
 * The end-to-end benchmark environment, wired as in production:
 *
 *   bench process:    Kubernetes API test server + workload player (writes objects and events)
 *   child process:    `kspan operator` (dist/cli.js, kubeconfig) — the process being measured
 *   child process:    OTLP test receiver (decodes every request; reports spans back)
 *
 * The receiver runs in its own process so that decoding does not slow the API server down; on a
 * 2-core machine the operator then competes for CPU with the API server (which does JSON encoding
 * for every watcher, as a real one would) and with the receiver.
 */

import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubeApiServer, type KubeApiTestServer } from '../../test/support/kube-api-server/index.js';
import { OperatorProcess, type OperatorOptions } from './operator-process.js';
import { Player } from './player.js';
import { COLLECTOR_ATTRIBUTE, receiverChildPath, type SpansMessage } from './receiver-child.js';
import { Workload, type WorkloadOptions } from './workload.js';

export const OPERATOR_NAMESPACE = 'kspan-system';
const OWNER_PLURALS = ['pods', 'replicasets', 'deployments', 'statefulsets', 'daemonsets', 'jobs', 'cronjobs'];

export interface CollectorDef {
  name: string;
  /** namespace names, or ['*'] */
  namespaces: string[];
}

/** One collector's spans, by event sequence number: how many arrived, and the first one's time and parent. */
export interface ReceivedSpans {
  counts: Uint8Array;
  firstAt: Float32Array;
  /** parentTag of the first span's parent */
  parent: Uint32Array;
}

/** What the receiver got, per collector, by event sequence number. */
export class Received {
  /** wall-clock base of `firstAt` (Float32 ms offsets stay exact for hours) */
  readonly base = Date.now();
  readonly byCollector = new Map<string, ReceivedSpans>();
  rootSpans = 0;
  unknownUids = 0;
  total = 0;
  /** spans received per collector whose event uid was seen (for rates) */
  lastAt = 0;

  constructor(private readonly player: Player) {}

  collector(name: string): ReceivedSpans {
    let c = this.byCollector.get(name);
    const size = this.player.events.injectedAt.length;
    if (!c || c.counts.length < size) {
      const counts = new Uint8Array(size);
      const firstAt = new Float32Array(size).fill(Number.NaN);
      const parent = new Uint32Array(size);
      if (c) {
        counts.set(c.counts);
        firstAt.set(c.firstAt);
        parent.set(c.parent);
      }
      c = { counts, firstAt, parent };
      this.byCollector.set(name, c);
    }
    return c;
  }

  add(message: SpansMessage): void {
    const seqs = this.player.events.seqByUid;
    for (let i = 0; i < message.uids.length; i++) {
      this.total++;
      const uid = message.uids[i]!;
      const at = message.receivedAt[i]!;
      this.lastAt = Math.max(this.lastAt, at);
      if (uid === '') {
        this.rootSpans++;
        continue;
      }
      const seq = seqs.get(uid);
      if (seq === undefined) {
        this.unknownUids++;
        continue;
      }
      const c = this.collector(message.collectors[i]!);
      if (c.counts[seq] === 0) {
        c.firstAt[seq] = at - this.base;
        c.parent[seq] = message.parents[i]!;
      }
      c.counts[seq] = Math.min(255, c.counts[seq]! + 1);
    }
  }
}

export interface BenchEnvOptions {
  workload: WorkloadOptions;
  /** objects written before the operator starts (a cluster at rest) */
  population: number;
  eventTtlMs?: number;
  /** API server change history kept for watch resumption (default 300,000) */
  maxHistory?: number;
  log: (line: string) => void;
}

export class BenchEnv {
  readonly dir = mkdtempSync(join(tmpdir(), 'kspan-bench-'));
  readonly kubeconfig = join(this.dir, 'kubeconfig');
  readonly workload: Workload;
  readonly player: Player;
  readonly received: Received;
  operator: OperatorProcess | undefined;
  private readonly collectors = new Map<string, CollectorDef>();

  private constructor(
    readonly api: KubeApiTestServer,
    private readonly receiverChild: ChildProcess,
    readonly receiverEndpoint: string,
    private readonly options: BenchEnvOptions,
  ) {
    this.workload = new Workload(options.workload);
    this.player = new Player({ api, workload: this.workload, ...(options.eventTtlMs === undefined ? {} : { eventTtlMs: options.eventTtlMs }) });
    this.received = new Received(this.player);
    receiverChild.on('message', (m: { type: string }) => {
      if (m.type === 'spans') this.received.add(m as SpansMessage);
    });
    api.writeKubeconfig(this.kubeconfig);
  }

  static async start(options: BenchEnvOptions): Promise<BenchEnv> {
    // Enough change history that a watch dropped every minute resumes instead of relisting.
    const api = await startKubeApiServer({ maxHistory: options.maxHistory ?? 300_000, namespaces: ['default', 'kube-system', OPERATOR_NAMESPACE] });
    const child = fork(receiverChildPath, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const endpoint = await new Promise<string>((resolve, reject) => {
      child.once('error', reject);
      child.once('message', (m: { endpoint: string }) => resolve(m.endpoint));
    });
    const env = new BenchEnv(api, child, endpoint, options);
    const at = Date.now();
    for (const ns of env.workload.namespaceObjects(at)) api.handOver(ns);
    let n = 0;
    for (const obj of env.workload.population(options.population, at - 3_600_000)) {
      api.handOver(obj);
      n++;
    }
    options.log(`population: ${n} objects in ${env.workload.namespaces.length} namespaces (${((Date.now() - at) / 1000).toFixed(1)} s to write)`);
    return env;
  }

  /** The OTLP receiver's process (its CPU tells whether the exporter waited on a starved receiver). */
  get receiverPid(): number | undefined {
    return this.receiverChild.pid;
  }

  async startOperator(options: Omit<OperatorOptions, 'kubeconfig'> = {}): Promise<OperatorProcess> {
    this.operator = await OperatorProcess.start({ ...options, kubeconfig: this.kubeconfig });
    return this.operator;
  }

  // -------------------------------------------------------------------------------------------
  // TraceCollectors, through the API as a user would apply them

  async applyCollector(def: CollectorDef, correlation?: Record<string, number>): Promise<void> {
    const existing = this.collectors.has(def.name);
    const spec: Record<string, unknown> = {
      namespaces: def.namespaces,
      exporter: { endpoint: this.receiverEndpoint, insecure: true },
      resourceAttributes: { [COLLECTOR_ATTRIBUTE]: def.name, 'k8s.cluster.name': 'bench' },
    };
    if (correlation) spec['correlation'] = correlation;
    if (existing) await this.request('PATCH', `${tcPath()}/${def.name}`, { spec: { namespaces: def.namespaces } }, 'application/merge-patch+json');
    else await this.request('POST', tcPath(), { apiVersion: 'kspan.dev/v1alpha1', kind: 'TraceCollector', metadata: { name: def.name, namespace: OPERATOR_NAMESPACE }, spec });
    this.collectors.set(def.name, def);
  }

  async deleteCollector(name: string): Promise<void> {
    await this.request('DELETE', `${tcPath()}/${name}`);
    this.collectors.delete(name);
  }

  collectorDefs(): CollectorDef[] {
    return [...this.collectors.values()];
  }

  /** How many collectors watch each workload namespace (by index). */
  coverage(): Uint16Array {
    const cover = new Uint16Array(this.workload.namespaces.length);
    this.workload.namespaces.forEach((ns, i) => {
      for (const c of this.collectors.values()) if (c.namespaces.includes('*') || c.namespaces.includes(ns)) cover[i]!++;
    });
    return cover;
  }

  /** Waits until every collector is Ready and every owner cache watch is open. */
  async waitReady(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    const scopes = new Set<string>();
    for (const c of this.collectors.values()) for (const ns of c.namespaces) scopes.add(ns);
    const watchesPerKind = scopes.has('*') ? 1 : scopes.size;
    for (;;) {
      const counts = this.api.requestCounts();
      const cachesOpen = OWNER_PLURALS.every((p) => (counts[`watch ${p}`] ?? 0) >= watchesPerKind);
      let ready = cachesOpen;
      for (const c of this.collectors.values()) {
        if (!ready) break;
        const tc = (await this.request('GET', `${tcPath()}/${c.name}`)) as { status?: { conditions?: Array<{ type: string; status: string }> } };
        ready = tc.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') ?? false;
      }
      if (ready) return;
      if (Date.now() > until) throw new Error(`collectors not Ready within ${timeoutMs} ms (operator: ${this.operator?.problems.slice(0, 3).join(' | ') ?? 'not started'})`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Resolves after the receiver has reported everything it decoded so far. */
  flushReceiver(): Promise<void> {
    return new Promise((resolve) => {
      const onMessage = (m: { type: string }) => {
        if (m.type !== 'flushed') return;
        this.receiverChild.off('message', onMessage);
        resolve();
      };
      this.receiverChild.on('message', onMessage);
      this.receiverChild.send({ type: 'flush' });
    });
  }

  async close(): Promise<void> {
    this.player.stop();
    await this.operator?.stop();
    this.receiverChild.send({ type: 'close' });
    await new Promise<void>((resolve) => {
      if (this.receiverChild.exitCode !== null) resolve();
      else this.receiverChild.once('exit', () => resolve());
    });
    await this.api.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async request(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<unknown> {
    const res = await fetch(`${this.api.url}${path}`, {
      method,
      signal: AbortSignal.timeout(60_000),
      headers: { authorization: `Bearer ${this.api.adminToken}`, 'content-type': contentType, accept: 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : {};
  }
}

const tcPath = () => `/apis/kspan.dev/v1alpha1/namespaces/${OPERATOR_NAMESPACE}/tracecollectors`;
