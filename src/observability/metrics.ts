/**
 * Prometheus metrics. Per-collector numbers are read from the pipelines at scrape time (their
 * counters are cumulative already), so the event path does no metrics work.
 */

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface CollectorNumbers {
  namespace: string;
  name: string;
  eventsReceived: number;
  spansExported: number;
  spansDropped: number;
  pendingEvents: number;
  pendingOverflow: number;
  statusSpans: number;
  ownParentsAwaited: number;
  spansUnderAncestor: number;
  /** docs/design.md §4.8: Events fed again by a continuation, spans not sent again, checkpoint writes */
  eventsReplayed: number;
  spansSuppressed: number;
  checkpointsWritten: number;
  checkpointWriteFailures: number;
  checkpointSpansLeftOut: number;
  /** actions in the engine's recent store (kept for expireAfterSeconds after their last use) */
  recentActions: number;
  /** spans the engine holds until their end is known */
  heldSpans: number;
  /** spans in the exporter's queue */
  spansQueued: number;
}

/** The owner object cache's size and its GET fallback (cumulative), shared by every collector. */
export interface ObjectCacheNumbers {
  objects: number;
  /** deleted objects kept resolvable for a while */
  deleted: number;
  /** GET requests made by the fallback */
  gets: number;
}

export interface MetricsSources {
  /** numbers of every running pipeline */
  collectors(): CollectorNumbers[];
  /** reconcile work queue depth */
  queueDepth(): number;
  /** running list+watches with their cumulative restart counters */
  watches?(): Array<{ key: string; resource: string; restarts: number; relists: number }>;
  objectCache?(): ObjectCacheNumbers;
}

const COUNTED = [
  'eventsReceived',
  'spansExported',
  'spansDropped',
  'pendingOverflow',
  'statusSpans',
  'ownParentsAwaited',
  'spansUnderAncestor',
  'eventsReplayed',
  'spansSuppressed',
  'checkpointsWritten',
  'checkpointWriteFailures',
  'checkpointSpansLeftOut',
] as const;
const LABELS = ['namespace', 'name'] as const;

export class OperatorMetrics {
  readonly registry = new Registry();
  /** observe(seconds) per export request; labels namespace, name, outcome (success|failure) */
  readonly exportLatency: Histogram<'namespace' | 'name' | 'outcome'>;
  /** watch reconnects (reason rewatch) and relists (reason relist), brought up to date at scrape time */
  readonly watchRestarts: Counter<'resource' | 'reason'>;
  private readonly counters: Record<(typeof COUNTED)[number], Counter<'namespace' | 'name'>>;
  /** per-collector sizes of what the engine and exporter keep in memory, set at scrape time */
  private readonly sizes: Record<'pendingEvents' | 'recentActions' | 'heldSpans' | 'spansQueued', Gauge<'namespace' | 'name'>>;
  private readonly cachedObjects: Gauge<'state'>;
  private readonly objectGets: Counter;
  private lastGets = 0;
  private readonly queueDepth: Gauge;
  private readonly running: Gauge;
  private readonly last = new Map<string, CollectorNumbers>();
  private readonly lastWatch = new Map<string, { restarts: number; relists: number }>();
  private sources: MetricsSources = { collectors: () => [], queueDepth: () => 0 };

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.counters = {
      eventsReceived: new Counter({ name: 'kspan_events_received_total', help: 'Events fed to the correlation engine.', labelNames: LABELS, registers }),
      spansExported: new Counter({ name: 'kspan_spans_exported_total', help: 'Spans delivered to the OTLP endpoint.', labelNames: LABELS, registers }),
      spansDropped: new Counter({ name: 'kspan_spans_dropped_total', help: 'Spans given up on (queue full, rejected, retries exhausted).', labelNames: LABELS, registers }),
      // Not a loss: these events are placed, but before their window ended (raise maxPendingEvents).
      pendingOverflow: new Counter({ name: 'kspan_pending_overflow_total', help: 'Events given up waiting on early because maxPendingEvents was reached.', labelNames: LABELS, registers }),
      statusSpans: new Counter({ name: 'kspan_status_spans_total', help: 'Spans made from status transitions (Pods Ready, rollouts complete or failed).', labelNames: LABELS, registers }),
      ownParentsAwaited: new Counter({ name: 'kspan_own_parents_awaited_total', help: 'Events placed under the action that made their object after waiting for it.', labelNames: LABELS, registers }),
      spansUnderAncestor: new Counter({ name: 'kspan_spans_under_ancestor_total', help: 'Events that waited for the action that made their object in vain, placed under an ancestor.', labelNames: LABELS, registers }),
      eventsReplayed: new Counter({ name: 'kspan_events_replayed_total', help: 'Events fed again when continuing from a checkpoint, to rebuild what the previous run held.', labelNames: LABELS, registers }),
      spansSuppressed: new Counter({ name: 'kspan_spans_suppressed_total', help: 'Spans a checkpoint says the previous run delivered: not exported again.', labelNames: LABELS, registers }),
      checkpointsWritten: new Counter({ name: 'kspan_checkpoint_writes_total', help: 'Checkpoints written to the TraceCollector status.', labelNames: LABELS, registers }),
      checkpointWriteFailures: new Counter({ name: 'kspan_checkpoint_write_failures_total', help: 'Checkpoint writes that failed (the last checkpoint stands).', labelNames: LABELS, registers }),
      checkpointSpansLeftOut: new Counter({ name: 'kspan_checkpoint_spans_left_out_total', help: 'Delivered spans a full checkpoint could not list: a successor may send them again.', labelNames: LABELS, registers }),
    };
    this.sizes = {
      pendingEvents: new Gauge({ name: 'kspan_pending_events', help: 'Events waiting for their parent span.', labelNames: LABELS, registers }),
      recentActions: new Gauge({ name: 'kspan_recent_actions', help: 'Actions remembered for parent search (until expireAfterSeconds after their last use).', labelNames: LABELS, registers }),
      heldSpans: new Gauge({ name: 'kspan_held_spans', help: 'Spans held until their end is known.', labelNames: LABELS, registers }),
      spansQueued: new Gauge({ name: 'kspan_export_queued_spans', help: 'Spans waiting in the exporter queue.', labelNames: LABELS, registers }),
    };
    this.cachedObjects = new Gauge({ name: 'kspan_cached_objects', help: 'Owner objects in the cache, live and deleted (kept resolvable for a while).', labelNames: ['state'], registers });
    this.objectGets = new Counter({ name: 'kspan_object_gets_total', help: 'GET requests for owner objects missing from the cache.', registers });
    this.queueDepth = new Gauge({ name: 'kspan_reconcile_queue_depth', help: 'TraceCollectors waiting for or in reconciliation.', registers });
    this.running = new Gauge({ name: 'kspan_collectors_running', help: 'TraceCollectors with a running pipeline.', registers });
    this.exportLatency = new Histogram({
      name: 'kspan_export_duration_seconds',
      help: 'Duration of OTLP export requests.',
      labelNames: ['namespace', 'name', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.watchRestarts = new Counter({
      name: 'kspan_watch_restarts_total',
      help: 'Watch reconnects and relists, by resource and reason.',
      labelNames: ['resource', 'reason'],
      registers,
    });
  }

  setSources(sources: MetricsSources): void {
    this.sources = sources;
  }

  /** The exposition text; brings the per-collector counters up to the pipelines' numbers first. */
  async render(): Promise<{ contentType: string; body: string }> {
    const collectors = this.sources.collectors();
    // Reset, so that a collector that stopped leaves no series behind.
    for (const gauge of Object.values(this.sizes)) gauge.reset();
    for (const c of collectors) {
      const key = `${c.namespace}/${c.name}`;
      const prev = this.last.get(key);
      const labels = { namespace: c.namespace, name: c.name };
      for (const field of COUNTED) {
        // A new pipeline (operator restart) may start below what was counted: never go backwards.
        this.counters[field].inc(labels, Math.max(0, c[field] - (prev?.[field] ?? 0)));
      }
      for (const [field, gauge] of Object.entries(this.sizes)) gauge.set(labels, c[field as keyof typeof this.sizes]);
      this.last.set(key, { ...c, ...Object.fromEntries(COUNTED.map((f) => [f, Math.max(c[f], prev?.[f] ?? 0)])) });
    }
    for (const w of this.sources.watches?.() ?? []) {
      const prev = this.lastWatch.get(w.key) ?? { restarts: 0, relists: 0 };
      this.watchRestarts.inc({ resource: w.resource, reason: 'rewatch' }, Math.max(0, w.restarts - prev.restarts));
      this.watchRestarts.inc({ resource: w.resource, reason: 'relist' }, Math.max(0, w.relists - prev.relists));
      this.lastWatch.set(w.key, { restarts: w.restarts, relists: w.relists });
    }
    const cache = this.sources.objectCache?.();
    if (cache) {
      this.cachedObjects.set({ state: 'live' }, cache.objects);
      this.cachedObjects.set({ state: 'deleted' }, cache.deleted);
      this.objectGets.inc(Math.max(0, cache.gets - this.lastGets));
      this.lastGets = Math.max(cache.gets, this.lastGets);
    }
    this.queueDepth.set(this.sources.queueDepth());
    this.running.set(collectors.length);
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
