/**
 * The TraceCollector reconciler. Level-based and idempotent, in the shape of Flux's
 * source-controller: finalizer first, then the deletion branch, then converge the running
 * pipeline to the spec; the status is computed purely (decide.ts) and written at a bounded rate.
 */

import type { TraceCollector, TraceCollectorStatus } from '../api/types.js';
import { silentLog, type Log } from '../pipeline/index.js';
import { baselineFrom, checkSpec, desiredStatus, sameStatus, type Outcome } from './decide.js';
import type { PipelineFactory, PipelineHandle, SecretReader, TraceCollectorClient } from './ports.js';
import { statusCodeOf, type WorkQueuePort } from './ports.js';
import { resolveExporterConfig } from './secrets.js';

export const FINALIZER = 'kspan.dev/finalizer';

export interface ControllerOptions {
  /** lockdown: a TraceCollector may only watch its own namespace */
  noCrossNamespaceRefs: boolean;
  /** at most one status patch per collector per interval (default 5 s) */
  statusIntervalMs?: number;
  /** every collector is reconciled again after this (re-reads Secrets; default 5 min) */
  resyncIntervalMs?: number;
  /** how long deletion/suspension may take to flush a pipeline (default 10 s) */
  flushTimeoutMs?: number;
  /** reconciles running at once (default 4) */
  concurrency?: number;
}

export interface ControllerDeps {
  client: TraceCollectorClient;
  secrets: SecretReader;
  pipelines: PipelineFactory;
  /** per-key work queue (src/kube WorkQueue); the controller starts and shuts it down */
  queue: WorkQueuePort;
  options: ControllerOptions;
  log?: Log;
  now?: () => number;
  /** called after each successful reconcile of a key (readiness: every collector seen once) */
  onReconciled?: (key: string) => void;
}

type IdleOutcome = Exclude<Outcome, { kind: 'running' }>;

interface Entry {
  namespace: string;
  name: string;
  log: Log;
  obj?: TraceCollector;
  pipeline?: PipelineHandle;
  /** why no pipeline runs, when none does */
  idle?: IdleOutcome;
  /** the status last patched (ahead of obj.status until the watch catches up) */
  lastWritten?: TraceCollectorStatus;
  /** final counters of a stopped pipeline, carried into the next status and the next pipeline */
  carried?: Partial<TraceCollectorStatus>;
  lastWriteAt: number;
  statusTimer?: NodeJS.Timeout;
  writing?: Promise<void>;
}

export class TraceCollectorController {
  private readonly entries = new Map<string, Entry>();
  private readonly queue: WorkQueuePort;
  private readonly log: Log;
  private readonly now: () => number;
  private readonly statusIntervalMs: number;
  private readonly resyncIntervalMs: number;
  private readonly flushTimeoutMs: number;
  private refreshTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly deps: ControllerDeps) {
    this.log = deps.log ?? silentLog;
    this.now = deps.now ?? Date.now;
    this.statusIntervalMs = deps.options.statusIntervalMs ?? 5_000;
    this.resyncIntervalMs = deps.options.resyncIntervalMs ?? 300_000;
    this.flushTimeoutMs = deps.options.flushTimeoutMs ?? 10_000;
    this.queue = deps.queue;
    this.queue.start(async (key) => {
      try {
        const result = await this.reconcile(key);
        this.deps.onReconciled?.(key);
        return result;
      } catch (err) {
        this.entries.get(key)?.log.warn({ err: errorFields(err) }, 'reconcile failed, retrying with backoff');
        throw err;
      }
    }, deps.options.concurrency ?? 4);
    // Counters move without any change to the object: refresh the status of running pipelines.
    this.refreshTimer = setInterval(() => {
      for (const [key, entry] of this.entries) if (entry.pipeline) this.scheduleStatus(key);
    }, this.statusIntervalMs);
  }

  /** A TraceCollector was added, changed or deleted (from the watch), or needs another look. */
  enqueue(namespace: string, name: string): void {
    this.queue.add(`${namespace}/${name}`);
  }

  /** Collectors with a running pipeline, for metrics. */
  pipelines(): Array<{ namespace: string; name: string; pipeline: PipelineHandle }> {
    const out: Array<{ namespace: string; name: string; pipeline: PipelineHandle }> = [];
    for (const e of this.entries.values()) if (e.pipeline) out.push({ namespace: e.namespace, name: e.name, pipeline: e.pipeline });
    return out;
  }

  get queueDepth(): number {
    const s = this.queue.stats();
    return s.queued + s.processing;
  }

  /** Stop reconciling; flush every pipeline and write a last status, all before the deadline. */
  async stop(deadline: number): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    await this.queue.shutdown({ drain: false });
    await Promise.all(
      [...this.entries.entries()].map(async ([key, entry]) => {
        if (entry.statusTimer) clearTimeout(entry.statusTimer);
        if (!entry.pipeline) return;
        try {
          await entry.pipeline.stop({ flush: true, deadline });
          const { spansExported, spansQueued } = entry.pipeline.stats();
          entry.log.info({ spansExported, spansUndelivered: spansQueued }, 'pipeline flushed on shutdown');
          await this.writeStatus(key, true);
        } catch (err) {
          entry.log.warn({ err: errorFields(err) }, 'flush on shutdown failed');
        }
        delete entry.pipeline;
      }),
    );
  }

  /** One reconcile of one key; throws to be retried with backoff. */
  async reconcile(key: string): Promise<{ requeueAfterMs?: number }> {
    if (this.stopped) return {};
    const entry = this.entry(key);
    const obj = await this.deps.client.get(entry.namespace, entry.name);
    // Gone without our finalizer (e.g. removed by hand): stop what runs, forget it.
    if (obj === undefined) return this.gone(entry, key);
    if (obj.metadata.deletionTimestamp) {
      await this.stopPipeline(entry, 'deleting');
      if (obj.metadata.finalizers?.includes(FINALIZER)) {
        await this.deps.client.removeFinalizer(obj, FINALIZER);
        entry.log.info({}, 'finalizer removed');
      }
      this.forget(key);
      return {};
    }
    let current = obj;
    if (!obj.metadata.finalizers?.includes(FINALIZER)) {
      try {
        current = await this.deps.client.addFinalizer(obj, FINALIZER);
      } catch (err) {
        // Deleted between the read and the patch (it had no finalizer yet): nothing to retry.
        if (statusCodeOf(err) === 404) return this.gone(entry, key);
        throw err;
      }
      entry.log.debug({}, 'finalizer added');
    }
    entry.obj = current;
    await this.converge(entry, current);
    this.scheduleStatus(key);
    // Periodic resync: Secrets are read again, so a rotated Secret is picked up.
    return { requeueAfterMs: this.resyncIntervalMs };
  }

  private async gone(entry: Entry, key: string): Promise<{ requeueAfterMs?: number }> {
    await this.stopPipeline(entry, 'deleted');
    this.forget(key);
    return {};
  }

  private async converge(entry: Entry, obj: TraceCollector): Promise<void> {
    const checked = checkSpec(obj, { noCrossNamespaceRefs: this.deps.options.noCrossNamespaceRefs });
    if (!checked.ok) return this.idle(entry, checked.outcome as IdleOutcome);
    if (checked.resolved.suspend) return this.idle(entry, { kind: 'suspended' });
    const secrets = await resolveExporterConfig(checked.resolved, entry.namespace, this.deps.secrets);
    if (!secrets.ok) return this.idle(entry, secrets.outcome as IdleOutcome);
    const settings = { spec: checked.spec, exporter: secrets.config };
    try {
      if (entry.pipeline) {
        entry.pipeline.update(settings);
      } else {
        entry.log.info({ generation: obj.metadata.generation }, 'starting pipeline');
        const key = `${entry.namespace}/${entry.name}`;
        entry.pipeline = this.deps.pipelines.create({
          collector: { namespace: entry.namespace, name: entry.name },
          settings,
          baseline: baselineFrom({ ...(entry.lastWritten ?? obj.status ?? {}), ...entry.carried }),
          onStateChange: () => this.scheduleStatus(key),
        });
        delete entry.carried;
      }
    } catch (err) {
      // Validation passed but the engine or exporter refuses the spec: a spec problem, not a
      // transient one, so say so instead of retrying forever.
      const message = `the pipeline cannot run this spec: ${err instanceof Error ? err.message : String(err)}`;
      return this.idle(entry, { kind: 'invalid', message });
    }
    delete entry.idle;
  }

  private async idle(entry: Entry, outcome: IdleOutcome): Promise<void> {
    if (entry.idle?.kind !== outcome.kind || ('message' in outcome && 'message' in entry.idle && entry.idle.message !== outcome.message)) {
      entry.log.info({ reason: outcome.kind, ...('message' in outcome ? { detail: outcome.message } : {}) }, 'not running');
    }
    entry.idle = outcome;
    await this.stopPipeline(entry, outcome.kind);
  }

  private async stopPipeline(entry: Entry, why: string): Promise<void> {
    const pipeline = entry.pipeline;
    if (!pipeline) return;
    delete entry.pipeline;
    entry.log.info({ why }, 'stopping pipeline, flushing spans');
    await pipeline.stop({ flush: true, deadline: this.now() + this.flushTimeoutMs });
    // Keep the final counters: the status written next shows what the flush delivered.
    entry.carried = countersOf(pipeline.stats());
  }

  private forget(key: string): void {
    const entry = this.entries.get(key);
    if (entry?.statusTimer) clearTimeout(entry.statusTimer);
    this.entries.delete(key);
  }

  private entry(key: string): Entry {
    let entry = this.entries.get(key);
    if (!entry) {
      const slash = key.indexOf('/');
      const namespace = key.slice(0, slash);
      const name = key.slice(slash + 1);
      entry = { namespace, name, lastWriteAt: 0, log: this.log.child({ collector: { namespace, name } }) };
      this.entries.set(key, entry);
    }
    return entry;
  }

  /** Write the desired status now if the rate allows, else once the interval has passed. */
  private scheduleStatus(key: string): void {
    const entry = this.entries.get(key);
    if (!entry || this.stopped || entry.statusTimer) return;
    const wait = entry.lastWriteAt + this.statusIntervalMs - this.now();
    if (wait > 0) {
      entry.statusTimer = setTimeout(() => {
        delete entry.statusTimer;
        this.scheduleStatus(key);
      }, wait);
      return;
    }
    void this.writeStatus(key, false);
  }

  private async writeStatus(key: string, force: boolean): Promise<void> {
    const entry = this.entries.get(key);
    if (!entry?.obj || (this.stopped && !force)) return;
    if (entry.writing) await entry.writing;
    const outcome: Outcome | undefined = entry.pipeline ? { kind: 'running', stats: entry.pipeline.stats() } : entry.idle;
    if (!outcome) return;
    const written = entry.lastWritten ?? entry.obj.status ?? {};
    const previous = { ...written, ...entry.carried };
    const status = desiredStatus({ ...entry.obj, status: previous }, outcome, this.now());
    if (sameStatus(status, written)) return;
    entry.lastWriteAt = this.now();
    const write = this.deps.client
      .patchStatus(entry.namespace, entry.name, status)
      .then(() => {
        entry.lastWritten = status;
      })
      .catch((err: unknown) => {
        if (statusCodeOf(err) !== 404) entry.log.warn({ err: errorFields(err) }, 'status patch failed');
      });
    entry.writing = write;
    await write;
    delete entry.writing;
  }
}

function countersOf(s: { eventsReceived: number; spansExported: number; spansDropped: number; eventsUnresolved: number; tracesStarted: number }) {
  return {
    eventsReceived: s.eventsReceived,
    spansExported: s.spansExported,
    spansDropped: s.spansDropped,
    eventsUnresolved: s.eventsUnresolved,
    tracesStarted: s.tracesStarted,
  };
}

/** Error fields for logs (never a Secret's content: API errors carry none). */
export function errorFields(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const out: Record<string, unknown> = { message: err.message, name: err.name };
    const code = statusCodeOf(err);
    if (code !== undefined) out['statusCode'] = code;
    return out;
  }
  return { message: String(err) };
}
