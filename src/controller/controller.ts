/** The TraceCollector reconciler: one pipeline per collector, converged to its spec from the watched object, its status patched at most once per reconcile. */

import { TRACE_COLLECTOR_FINALIZER, type TraceCollector, type TraceCollectorStatus } from '../api/types.js';
import { systemClock, type Clock } from '../core/clock.js';
import { silentLogger, type Logger } from '../core/log.js';
import type { PipelineCounters } from '../pipeline/index.js';
import { baselineFrom, checkSpec, countersOf, desiredStatus, sameStatus, type Outcome } from './decide.js';
import type { PipelineFactory, PipelineHandle, SecretReader, TraceCollectorChange, TraceCollectorClient } from './ports.js';
import { statusCodeOf, type WorkQueuePort } from './ports.js';
import { resolveExporterConfig } from './secrets.js';
import { decodeCheckpoint, type Checkpoint } from '../pipeline/checkpoint.js';

export interface ControllerOptions {
  /** lockdown: a TraceCollector may only watch its own namespace */
  noCrossNamespaceRefs: boolean;
  /**
   * at most one status patch per collector per interval (default 5 s); a running pipeline's
   * counters move without any change to the object, so it is reconciled again after each
   */
  statusIntervalMs?: number;
  /** every collector is converged again after this (re-reads Secrets; default 5 min) */
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
  /** per-key work queue (src/kube WorkQueue): started by start(), shut down by stop(); it owns every timer */
  queue: WorkQueuePort;
  options: ControllerOptions;
  log?: Logger;
  clock?: Clock;
}

type IdleOutcome = Exclude<Outcome, { kind: 'running' }>;

interface Entry {
  namespace: string;
  name: string;
  log: Logger;
  pipeline?: PipelineHandle;
  /** why no pipeline runs, when none does */
  idle?: IdleOutcome;
  /** uid and generation the pipeline (or the idle outcome) was converged from */
  converged?: string;
  /** when the next converge is due even without a spec change (Secrets are read again) */
  resyncAt: number;
  /** the status last patched (ahead of the watched object's until the watch catches up) */
  lastWritten?: TraceCollectorStatus;
  /** final counters of a stopped pipeline, carried into the next status and the next pipeline */
  carried?: PipelineCounters;
  /** of the last successful patch: a failed one does not count, the queue's backoff paces retries */
  lastWriteAt: number;
  /** the last reconcile threw: the queue's backoff owns the next attempt, state changes must not cut it short */
  failing: boolean;
}

export class TraceCollectorController {
  /** the latest object per key as the TraceCollector watch delivered it; absent means deleted */
  private readonly store = new Map<string, TraceCollector>();
  private readonly entries = new Map<string, Entry>();
  /** keys with a successful reconcile since start (readiness) */
  private readonly reconciled = new Set<string>();
  private readonly queue: WorkQueuePort;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly statusIntervalMs: number;
  private readonly resyncIntervalMs: number;
  private readonly flushTimeoutMs: number;
  private started = false;
  private stopped = false;

  /** Inert until start(): a standby replica keeps its store current without reconciling. */
  constructor(private readonly deps: ControllerDeps) {
    this.log = deps.log ?? silentLogger;
    this.clock = deps.clock ?? systemClock;
    this.statusIntervalMs = deps.options.statusIntervalMs ?? 5_000;
    this.resyncIntervalMs = deps.options.resyncIntervalMs ?? 300_000;
    this.flushTimeoutMs = deps.options.flushTimeoutMs ?? 10_000;
    this.queue = deps.queue;
  }

  /** Start reconciling: every collector seen so far is queued. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.queue.start((key) => this.work(key), this.deps.options.concurrency ?? 4);
    for (const key of this.store.keys()) this.queue.add(key);
  }

  /**
   * A change from the TraceCollector watch. The store always takes it (status patches need the
   * newest version); a reconcile is queued only for what a reconcile acts on, so that the watch
   * echoing our own status patches does not loop.
   */
  observe(change: TraceCollectorChange): void {
    const key = keyOf(change.object);
    const previous = this.store.get(key);
    if (change.type === 'DELETED') this.store.delete(key);
    else this.store.set(key, change.object);
    if (change.type !== 'DELETED' && this.entries.get(key)?.pipeline) noteCheckpointChange(this.entries.get(key)!.log, previous, change.object);
    if (!this.started || this.stopped) return;
    if (change.type === 'DELETED' || previous === undefined || reconcileRelevant(previous) !== reconcileRelevant(change.object)) {
      this.queue.add(key);
    }
  }

  /** Collectors with a running pipeline, for metrics. */
  pipelines(): Array<{ namespace: string; name: string; pipeline: PipelineHandle }> {
    const out: Array<{ namespace: string; name: string; pipeline: PipelineHandle }> = [];
    for (const e of this.entries.values()) if (e.pipeline) out.push({ namespace: e.namespace, name: e.name, pipeline: e.pipeline });
    return out;
  }

  /** Collectors the watch delivered that have not been reconciled successfully yet (readiness). */
  unreconciled(): number {
    let n = 0;
    for (const key of this.store.keys()) if (!this.reconciled.has(key)) n += 1;
    return n;
  }

  get queueDepth(): number {
    const s = this.queue.stats();
    return s.queued + s.processing;
  }

  /** Stop reconciling; flush every pipeline and write a last status, all before the deadline. */
  async stop(deadline: number): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.queue.shutdown({ drain: false });
    await Promise.all(
      [...this.entries.entries()].map(async ([key, entry]) => {
        const pipeline = entry.pipeline;
        if (!pipeline) return;
        try {
          await pipeline.stop({ flush: true, deadline, handOver: true });
          const { spansExported, spansQueued } = pipeline.stats();
          entry.log.info({ spansExported, spansUndelivered: spansQueued }, 'pipeline flushed on shutdown');
          const obj = this.store.get(key);
          // Still "running", and not rate-limited: the last status shows what the final flush reached.
          if (obj) await this.writeStatus(entry, obj, { now: true });
        } catch (err) {
          entry.log.warn({ err: errorFields(err) }, 'flush on shutdown failed');
        }
        delete entry.pipeline;
      }),
    );
  }

  /**
   * One reconcile of one key, from the watched object: finalizer first, then the deletion branch,
   * then converge (when the spec changed or a resync is due), then the status, patched once at
   * the end. Throws — the queue retries with backoff — when any step fails, the status patch
   * included. Asks to be queued again for the next resync, the next status refresh of a running
   * pipeline, or a status change the rate limit held back, whichever comes first.
   */
  async reconcile(key: string): Promise<{ requeueAfterMs?: number }> {
    if (this.stopped) return {};
    const obj = this.store.get(key);
    // Gone (with our finalizer removed, or without it, e.g. removed by hand): stop what runs.
    if (obj === undefined) return this.gone(key);
    const entry = this.entry(key);
    if (obj.metadata.deletionTimestamp) return this.finalize(entry, key, obj);
    const current = await this.ensureFinalizer(entry, key, obj);
    if (current === undefined) return this.gone(key);
    let failure: { err: unknown } | undefined;
    try {
      await this.convergeIfDue(entry, current);
    } catch (err) {
      failure = { err };
    }
    // The status is written even after a failed converge (what runs still runs, its counters
    // still move); the converge's error is the one reported when both fail.
    let heldBackMs: number | undefined;
    try {
      heldBackMs = await this.writeStatus(entry, current, { now: false });
    } catch (err) {
      failure ??= { err };
    }
    if (failure) throw failure.err;
    const now = this.clock.now();
    let requeueAfterMs = Math.max(0, entry.resyncAt - now);
    if (entry.pipeline) requeueAfterMs = Math.min(requeueAfterMs, this.statusIntervalMs);
    if (heldBackMs !== undefined) requeueAfterMs = Math.min(requeueAfterMs, heldBackMs);
    return { requeueAfterMs };
  }

  private async work(key: string): Promise<{ requeueAfterMs?: number }> {
    try {
      const result = await this.reconcile(key);
      const entry = this.entries.get(key);
      if (entry) entry.failing = false;
      if (this.store.has(key)) this.reconciled.add(key);
      return result;
    } catch (err) {
      const entry = this.entries.get(key);
      if (entry) entry.failing = true;
      (entry?.log ?? this.log).warn({ err: errorFields(err) }, 'reconcile failed, retrying with backoff');
      throw err;
    }
  }

  private async gone(key: string): Promise<{ requeueAfterMs?: number }> {
    const entry = this.entries.get(key);
    if (entry) await this.stopPipeline(entry, 'deleted');
    this.forget(key);
    return {};
  }

  /** Deletion: flush what runs, then let the object go by removing only our finalizer. */
  private async finalize(entry: Entry, key: string, obj: TraceCollector): Promise<{ requeueAfterMs?: number }> {
    await this.stopPipeline(entry, 'deleting');
    if (obj.metadata.finalizers?.includes(TRACE_COLLECTOR_FINALIZER)) {
      try {
        await this.deps.client.removeFinalizer(obj, TRACE_COLLECTOR_FINALIZER);
        entry.log.info({}, 'finalizer removed');
      } catch (err) {
        if (statusCodeOf(err) !== 404) throw err;
      }
    }
    this.forget(key);
    return {};
  }

  /** The object with our finalizer on it, or undefined when it went away before we could add it. */
  private async ensureFinalizer(entry: Entry, key: string, obj: TraceCollector): Promise<TraceCollector | undefined> {
    if (obj.metadata.finalizers?.includes(TRACE_COLLECTOR_FINALIZER)) return obj;
    let updated: TraceCollector;
    try {
      updated = await this.deps.client.addFinalizer(obj, TRACE_COLLECTOR_FINALIZER);
    } catch (err) {
      // Deleted between the watch event and the patch (it had no finalizer yet): nothing to retry.
      if (statusCodeOf(err) === 404) return undefined;
      throw err;
    }
    entry.log.debug({}, 'finalizer added');
    // The patch was conditional on obj's resourceVersion, so `updated` is the version right after
    // it. While the store still holds obj, it is safe to advance it: a reconcile before the watch
    // delivers our write then patches from the newest version instead of a stale one.
    if (this.store.get(key)?.metadata.resourceVersion === obj.metadata.resourceVersion) this.store.set(key, updated);
    return updated;
  }

  private async convergeIfDue(entry: Entry, obj: TraceCollector): Promise<void> {
    const from = `${obj.metadata.uid ?? ''}/${obj.metadata.generation ?? ''}`;
    if (entry.converged === from && this.clock.now() < entry.resyncAt) return;
    await this.converge(entry, obj);
    entry.converged = from;
    entry.resyncAt = this.clock.now() + this.resyncIntervalMs;
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
        const continueFrom = usableCheckpoint(entry.log, obj);
        entry.pipeline = this.deps.pipelines.create({
          collector: { namespace: entry.namespace, name: entry.name },
          settings,
          baseline: baselineFrom({ ...(entry.lastWritten ?? obj.status ?? {}), ...entry.carried }),
          onStateChange: () => this.stateChanged(key),
          ...(continueFrom ? { continueFrom } : {}),
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
    await pipeline.stop({ flush: true, deadline: this.clock.now() + this.flushTimeoutMs });
    // Keep the final counters: the status written next shows what the flush delivered.
    entry.carried = countersOf(pipeline.stats());
  }

  /**
   * The one status write, for reconciles and the last write on shutdown alike: the status the
   * outcome calls for, patched unless it equals the last one (an idle collector costs no writes)
   * and at most once per status interval (a busy pipeline never costs a write per event), unless
   * `now`. Resolves to how long a changed status is held back by that limit, if it is; rejects
   * when the patch fails, except with 404 (the watch's DELETED follows).
   */
  private async writeStatus(entry: Entry, obj: TraceCollector, options: { now: boolean }): Promise<number | undefined> {
    const outcome: Outcome | undefined = entry.pipeline ? { kind: 'running', stats: entry.pipeline.stats() } : entry.idle;
    if (!outcome) return undefined;
    const now = this.clock.now();
    const written = entry.lastWritten ?? obj.status ?? {};
    const status = desiredStatus({ ...obj, status: { ...written, ...entry.carried } }, outcome, now);
    if (sameStatus(status, written)) return undefined;
    const wait = entry.lastWriteAt + this.statusIntervalMs - now;
    if (wait > 0 && !options.now) return wait;
    try {
      await this.deps.client.patchStatus(entry.namespace, entry.name, status);
    } catch (err) {
      if (statusCodeOf(err) === 404) return undefined;
      throw err;
    }
    entry.lastWriteAt = now;
    entry.lastWritten = status;
    return undefined;
  }

  /** The pipeline's sync, watch problems or exporter state changed: a reconcile writes it (rate-limited). */
  private stateChanged(key: string): void {
    const entry = this.entries.get(key);
    if (!entry || !this.started || this.stopped || entry.failing) return;
    this.queue.add(key);
  }

  private forget(key: string): void {
    this.entries.delete(key);
    this.reconciled.delete(key);
  }

  private entry(key: string): Entry {
    let entry = this.entries.get(key);
    if (!entry) {
      const slash = key.indexOf('/');
      const namespace = key.slice(0, slash);
      const name = key.slice(slash + 1);
      entry = { namespace, name, lastWriteAt: 0, resyncAt: 0, failing: false, log: this.log.child({ collector: { namespace, name } }) };
      this.entries.set(key, entry);
    }
    return entry;
  }
}

/** The checkpoint a new pipeline continues from, if the status has a usable one (docs/design.md §4.8). */
function usableCheckpoint(log: Logger, obj: TraceCollector): Checkpoint | undefined {
  const raw = obj.status?.checkpoint;
  if (raw === undefined) return undefined;
  const decoded = decodeCheckpoint(raw);
  if (decoded.ok) return decoded.checkpoint;
  log.warn({ problem: decoded.problem }, 'status.checkpoint is unusable: starting without it, events older than the window are skipped');
  return undefined;
}

/** A running pipeline only writes its checkpoint; one changed into something unusable by someone else is said. */
function noteCheckpointChange(log: Logger, previous: TraceCollector | undefined, current: TraceCollector): void {
  const before = previous?.status?.checkpoint;
  const now = current.status?.checkpoint;
  if (before === undefined || JSON.stringify(before) === JSON.stringify(now)) return;
  if (now === undefined) {
    log.warn({}, 'status.checkpoint was removed: the pipeline writes a new one with its next delivery');
    return;
  }
  const decoded = decodeCheckpoint(now);
  if (!decoded.ok) log.warn({ problem: decoded.problem }, 'status.checkpoint was changed into something unusable: the pipeline overwrites it with its next delivery');
}

function keyOf(obj: TraceCollector): string {
  return `${obj.metadata.namespace}/${obj.metadata.name}`;
}

/** What a reconcile acts on: identity, spec (generation), deletion, finalizers; not the status. */
function reconcileRelevant(obj: TraceCollector): string {
  const m = obj.metadata;
  return JSON.stringify([m.uid, m.generation, m.deletionTimestamp, m.finalizers]);
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
