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
}

export interface MetricsSources {
  /** numbers of every running pipeline */
  collectors(): CollectorNumbers[];
  /** reconcile work queue depth */
  queueDepth(): number;
  /** running list+watches with their cumulative restart counters */
  watches?(): Array<{ key: string; resource: string; restarts: number; relists: number }>;
}

const COUNTED = ['eventsReceived', 'spansExported', 'spansDropped', 'pendingOverflow'] as const;
const LABELS = ['namespace', 'name'] as const;

export class OperatorMetrics {
  readonly registry = new Registry();
  /** observe(seconds) per export request; labels namespace, name, outcome (success|failure) */
  readonly exportLatency: Histogram<'namespace' | 'name' | 'outcome'>;
  /** watch reconnects (reason rewatch) and relists (reason relist), brought up to date at scrape time */
  readonly watchRestarts: Counter<'resource' | 'reason'>;
  private readonly counters: Record<(typeof COUNTED)[number], Counter<'namespace' | 'name'>>;
  private readonly pending: Gauge<'namespace' | 'name'>;
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
    };
    this.pending = new Gauge({ name: 'kspan_pending_events', help: 'Events waiting for their parent span.', labelNames: LABELS, registers });
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
    this.pending.reset();
    for (const c of collectors) {
      const key = `${c.namespace}/${c.name}`;
      const prev = this.last.get(key);
      const labels = { namespace: c.namespace, name: c.name };
      for (const field of COUNTED) {
        // A new pipeline (operator restart) may start below what was counted: never go backwards.
        this.counters[field].inc(labels, Math.max(0, c[field] - (prev?.[field] ?? 0)));
      }
      this.pending.set(labels, c.pendingEvents);
      this.last.set(key, { ...c, ...Object.fromEntries(COUNTED.map((f) => [f, Math.max(c[f], prev?.[f] ?? 0)])) });
    }
    for (const w of this.sources.watches?.() ?? []) {
      const prev = this.lastWatch.get(w.key) ?? { restarts: 0, relists: 0 };
      this.watchRestarts.inc({ resource: w.resource, reason: 'rewatch' }, Math.max(0, w.restarts - prev.restarts));
      this.watchRestarts.inc({ resource: w.resource, reason: 'relist' }, Math.max(0, w.relists - prev.relists));
      this.lastWatch.set(w.key, { restarts: w.restarts, relists: w.relists });
    }
    this.queueDepth.set(this.sources.queueDepth());
    this.running.set(collectors.length);
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
