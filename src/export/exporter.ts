/**
 * Delivery: a bounded queue of finished spans per TraceCollector, batches, a bounded number of
 * batches in flight, retries with backoff inside a deadline, and an honest account of every span
 * (exported, dropped with a reason, or still queued).
 *
 * - enqueue() validates ids and appends; a full queue evicts its oldest spans (counted, logged at
 *   a bounded rate). Batches leave when `maxBatchSize` spans wait or the oldest waited `maxDelayMs`.
 * - Up to `maxInFlight` batches are in flight (a batch waiting to retry holds its slot). While the
 *   endpoint fails with a retryable status only one batch probes it; the others wait in the
 *   queue, which is what bounds memory during an outage.
 * - Retryable failures back off exponentially with jitter until the batch's retry deadline, then
 *   the batch is dropped; permanent failures drop the batch at once. After UNAVAILABLE the next
 *   attempt uses a fresh channel, so a collector that comes back is reached at our backoff pace
 *   rather than grpc-js's (up to 2 minutes).
 * - State: ready until a failure, ExporterUnavailable (retrying) or ExportRejected (dropped)
 *   with the gRPC status name and details, ExportSucceeded again after a success, InvalidSpec
 *   while the configuration cannot work (spans then wait in the queue for update()).
 */
import type { SpanRecord } from '../engine/types.js';
import type { ExporterState, ExporterStats, ExportRequestInfo, ResolvedExporterConfig, SpanExporterPort } from '../pipeline/ports.js';
import { ConditionReason } from '../api/conditions.js';
import { status as grpcStatus } from '@grpc/grpc-js';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { ExportFailure } from './grpc-status.js';
import { RingQueue } from './queue.js';
import { invalidRecordReason, ResourceCache, toReadableSpan } from './spans.js';
import { DropLedger, type DropReason } from './drops.js';
import { resolveOptions, type ExporterTunables, type OtlpExporterOptions } from './options.js';
import { backoffDelay } from '../core/backoff.js';
import {
  ExporterConfigError,
  resolveTransportSettings,
  sameRecord,
  sameTransportConfig,
  warnAboutInheritedHeaders,
  type SpanTransport,
  type TransportFactory,
  type TransportSettings,
} from './transport.js';


export interface OtlpExporterStats extends ExporterStats {
  spansDroppedByReason: Record<DropReason, number>;
  /** of spansQueued, those in batches being sent or waiting to retry */
  spansInFlight: number;
  exportRequests: number;
  failedExportRequests: number;
}

interface QueuedSpan {
  record: SpanRecord;
  seq: number;
  at: number;
}

interface Batch {
  records: SpanRecord[];
  /** built for the resource attributes of `resourcesVersion` */
  spans: ReadableSpan[];
  resourcesVersion: number;
  firstSeq: number;
  attempts: number;
  deadline: number;
  sending: boolean;
  timer?: unknown;
}

interface FlushWaiter {
  lastSeq: number;
  resolve: () => void;
  timer: unknown;
}

export class OtlpExporter implements SpanExporterPort {
  /** options with defaults */
  private readonly opts: ExporterTunables;
  private readonly createTransport: TransportFactory;

  private config: ResolvedExporterConfig;
  private resources: ResourceCache;
  private resourcesVersion = 0;
  private settings: TransportSettings | undefined;
  private transport: SpanTransport | undefined;
  /** the channel failed with UNAVAILABLE: open a new one for the next attempt */
  private transportStale = false;

  private readonly queue: RingQueue<QueuedSpan>;
  private readonly batches = new Set<Batch>();
  private spansInFlight = 0;
  private nextSeq = 0;
  private healthy = true;
  private pumpScheduled = false;
  private delayTimer: unknown;
  private readonly flushWaiters = new Set<FlushWaiter>();
  private closing = false;
  private shutdownDeadline = Number.POSITIVE_INFINITY;
  private shutdownDone = false;
  private shutdownPromise: Promise<void> | undefined;

  private exported = 0;
  private readonly drops: DropLedger;
  private exportRequests = 0;
  private failedExportRequests = 0;
  private lastExportTime: number | undefined;
  private state: ExporterState;
  private readonly listeners: ((state: ExporterState) => void)[] = [];
  private readonly requestListeners: ((request: ExportRequestInfo) => void)[] = [];

  constructor(config: ResolvedExporterConfig, options: OtlpExporterOptions = {}) {
    const o = resolveOptions(options);
    this.opts = o;
    this.queue = new RingQueue(config.maxQueueSize);
    this.createTransport = o.createTransport;
    this.drops = new DropLedger(o.logger, o.clock, o.dropLogIntervalMs, () => ({ endpoint: this.config.endpoint }));

    this.config = config;
    this.resources = new ResourceCache(config.resourceAttributes, this.opts.maxResources);
    this.state = { ready: true, reason: ConditionReason.Ready, message: '' };
    this.configure(config);
  }

  // ---- SpanExporterPort ----

  enqueue(spans: readonly SpanRecord[]): void {
    try {
      if (this.closing) {
        this.drop('shutdown', spans.length, 'the exporter is shut down');
        return;
      }
      const at = this.opts.clock.now();
      let evicted = 0;
      let invalid = 0;
      let firstInvalid: string | undefined;
      for (const record of spans) {
        const problem = invalidRecordReason(record);
        if (problem !== undefined) {
          invalid++;
          firstInvalid ??= `${problem} (span ${JSON.stringify((record as Partial<SpanRecord> | null)?.name)})`;
          continue;
        }
        if (this.queue.push({ record, seq: this.nextSeq++, at }) !== undefined) evicted++;
      }
      if (invalid > 0) this.drop('invalid', invalid, firstInvalid ?? 'invalid span');
      if (evicted > 0) this.drop('queue_full', evicted, `the queue is full (${this.queue.capacity} spans): oldest spans dropped`);
      this.schedulePump();
      if (evicted > 0) this.resolveFlushWaiters();
    } catch (err) {
      // Never let a bad record or a listener break the caller's loop.
      this.opts.logger.error({ err }, 'span exporter: enqueue failed');
    }
  }

  update(config: ResolvedExporterConfig): void {
    try {
      this.reconfigure(config);
    } catch (err) {
      this.opts.logger.error({ err }, 'span exporter: update failed');
    }
  }

  private reconfigure(config: ResolvedExporterConfig): void {
    if (this.closing) return;
    const previous = this.config;
    this.config = config;
    const evicted = this.queue.resize(config.maxQueueSize);
    if (evicted > 0) {
      this.drop('queue_full', evicted, `the queue was made smaller (${this.queue.capacity} spans): oldest spans dropped`);
      this.resolveFlushWaiters();
    }
    if (!sameRecord(previous.resourceAttributes, config.resourceAttributes)) {
      this.resources = new ResourceCache(config.resourceAttributes, this.opts.maxResources);
      this.resourcesVersion++;
    }
    if (this.settings !== undefined && sameTransportConfig(previous, config)) return;
    this.configure(config);
    // Waiting retries get their chance with the new settings now, with a fresh backoff.
    for (const batch of this.batches) {
      if (batch.sending) continue;
      if (batch.timer !== undefined) this.opts.clock.clearTimeout(batch.timer);
      batch.attempts = 0;
      this.attempt(batch);
    }
    this.schedulePump();
  }

  flush(deadline: number): Promise<void> {
    const lastSeq = this.nextSeq - 1;
    if (this.oldestPendingSeq() > lastSeq) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter: FlushWaiter = {
        lastSeq,
        resolve: () => {
          this.opts.clock.clearTimeout(waiter.timer);
          this.flushWaiters.delete(waiter);
          resolve();
        },
        timer: undefined,
      };
      waiter.timer = this.keepAliveTimer(() => waiter.resolve(), Math.max(0, deadline - this.opts.clock.now()));
      this.flushWaiters.add(waiter);
      this.schedulePump();
    });
  }

  shutdown(deadline: number): Promise<void> {
    this.shutdownPromise ??= this.doShutdown(deadline);
    return this.shutdownPromise;
  }

  stats(): OtlpExporterStats {
    return {
      spansExported: this.exported,
      spansDropped: this.drops.total(),
      spansQueued: this.queue.length + this.spansInFlight,
      ...(this.lastExportTime === undefined ? {} : { lastExportTime: this.lastExportTime }),
      state: { ...this.state },
      spansDroppedByReason: this.drops.byReason(),
      spansInFlight: this.spansInFlight,
      exportRequests: this.exportRequests,
      failedExportRequests: this.failedExportRequests,
    };
  }

  onStateChange(listener: (state: ExporterState) => void): void {
    this.listeners.push(listener);
  }

  onExportRequest(listener: (request: ExportRequestInfo) => void): void {
    this.requestListeners.push(listener);
  }

  /**
   * Delivery timers do not keep the process alive, but a caller awaiting flush() or shutdown()
   * does: without this, a CLI whose only pending work is a retry would exit before its deadline.
   */
  private keepAliveTimer(callback: () => void, ms: number): unknown {
    const handle = this.opts.clock.setTimeout(callback, ms);
    (handle as { ref?: () => void } | undefined)?.ref?.();
    return handle;
  }

  /** Delivery work alone never holds a process open: flush() and shutdown() decide when it ends. */
  private backgroundTimer(callback: () => void, ms: number): unknown {
    const handle = this.opts.clock.setTimeout(callback, ms);
    (handle as { unref?: () => void } | undefined)?.unref?.();
    return handle;
  }

  // ---- configuration ----

  private configure(config: ResolvedExporterConfig): void {
    const old = this.transport;
    this.transport = undefined;
    this.transportStale = false;
    if (old) void old.shutdown();
    warnAboutInheritedHeaders(this.opts.logger);
    try {
      this.settings = resolveTransportSettings(config);
      if (this.state.reason === ConditionReason.InvalidSpec || this.state.message === '') {
        this.setState({ ready: true, reason: ConditionReason.Ready, message: `ready to export to ${this.settings.endpoint.address}` });
      }
    } catch (err) {
      this.settings = undefined;
      const message = err instanceof ExporterConfigError ? err.message : `unexpected error: ${String(err)}`;
      this.setState({ ready: false, reason: ConditionReason.InvalidSpec, message: `invalid exporter configuration: ${message}` });
    }
  }

  /** The channel for the next attempt, renewed after UNAVAILABLE; undefined while the configuration is invalid. */
  private currentTransport(): SpanTransport | undefined {
    if (!this.settings) return undefined;
    if (this.transport && this.transportStale) {
      void this.transport.shutdown();
      this.transport = undefined;
    }
    this.transportStale = false;
    // The OTLP exporter's own concurrency limit is never the binding one: ours is lower.
    this.transport ??= this.createTransport(this.settings, this.opts.maxInFlight + 1);
    return this.transport;
  }

  // ---- dispatch ----

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    // After the current synchronous work, so that a burst of enqueues forms full batches.
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Runs from timers: an exception here would crash the process, so it is contained and logged. */
  private pump(): void {
    try {
      this.dispatch();
    } catch (err) {
      this.opts.logger.error({ err }, 'span exporter: internal error while dispatching');
    }
  }

  private dispatch(): void {
    if (this.shutdownDone || !this.settings) return;
    const limit = this.healthy ? this.opts.maxInFlight : 1;
    const urgent = this.flushWaiters.size > 0;
    while (this.batches.size < limit && this.queue.length > 0) {
      const head = this.queue.peek() as QueuedSpan;
      if (this.queue.length < this.opts.maxBatchSize && !urgent && this.opts.clock.now() - head.at < this.opts.maxDelayMs) break;
      this.startBatch(this.queue.take(this.opts.maxBatchSize));
    }
    this.armDelayTimer(limit);
  }

  private armDelayTimer(limit: number): void {
    if (this.delayTimer !== undefined) {
      this.opts.clock.clearTimeout(this.delayTimer);
      this.delayTimer = undefined;
    }
    const head = this.queue.peek();
    // With every slot taken, a finishing batch pumps again; no timer needed.
    if (!head || this.batches.size >= limit) return;
    const wait = Math.max(0, head.at + this.opts.maxDelayMs - this.opts.clock.now());
    this.delayTimer = this.backgroundTimer(() => {
      this.delayTimer = undefined;
      this.pump();
    }, wait);
  }

  private startBatch(entries: QueuedSpan[]): void {
    const first = entries[0];
    if (!first) return;
    const records = entries.map((e) => e.record);
    const spans = records.map((r) => toReadableSpan(r, this.resources));
    const batch: Batch = { records, spans, resourcesVersion: this.resourcesVersion, firstSeq: first.seq, attempts: 0, deadline: this.opts.clock.now() + this.opts.retryDeadlineMs, sending: false };
    this.batches.add(batch);
    this.spansInFlight += spans.length;
    this.attempt(batch);
  }

  private attempt(batch: Batch): void {
    batch.timer = undefined;
    if (!this.batches.has(batch)) return;
    const transport = this.currentTransport();
    // Invalid configuration: the batch keeps its slot until update() brings a usable one.
    if (!transport) return;
    if (batch.resourcesVersion !== this.resourcesVersion) {
      // The collector's resourceAttributes changed while this batch waited.
      batch.spans = batch.records.map((r) => toReadableSpan(r, this.resources));
      batch.resourcesVersion = this.resourcesVersion;
    }
    batch.attempts++;
    batch.sending = true;
    this.exportRequests++;
    const startedAt = this.opts.clock.now();
    void transport.send(batch.spans).then((failure) => {
      batch.sending = false;
      this.reportRequest({ durationMs: this.opts.clock.now() - startedAt, ok: failure === undefined, spans: batch.spans.length });
      try {
        this.settle(batch, failure);
      } catch (err) {
        this.opts.logger.error({ err }, 'span exporter: internal error after an export');
      }
    });
  }

  private reportRequest(request: ExportRequestInfo): void {
    for (const listener of this.requestListeners) {
      try {
        listener(request);
      } catch (err) {
        this.opts.logger.error({ err }, 'span exporter: an export request listener threw');
      }
    }
  }

  private settle(batch: Batch, failure: ExportFailure | undefined): void {
    if (!this.batches.has(batch)) return; // given up at shutdown
    const endpoint = this.settings?.endpoint.address ?? this.config.endpoint;
    if (!failure) {
      this.healthy = true;
      this.exported += batch.spans.length;
      this.lastExportTime = this.opts.clock.now();
      this.finish(batch);
      this.setState({ ready: true, reason: ConditionReason.ExportSucceeded, message: `exporting to ${endpoint}` });
    } else if (!failure.retryable) {
      this.failedExportRequests++;
      // The endpoint answered: it is reachable, only this batch is refused.
      this.healthy = true;
      this.finish(batch);
      this.drop('rejected', batch.spans.length, `${failure.codeName}: ${failure.details}`);
      this.setState({
        ready: false,
        reason: ConditionReason.ExportRejected,
        message: `${failure.codeName}: ${failure.details} (${endpoint} rejected the spans; they were dropped)`,
      });
    } else {
      this.failedExportRequests++;
      this.healthy = false;
      if (failure.code === grpcStatus.UNAVAILABLE) this.transportStale = true;
      this.setState({
        ready: false,
        reason: ConditionReason.ExporterUnavailable,
        message: `${failure.codeName}: ${failure.details} (exporting to ${endpoint}, retrying)`,
      });
      const retryAt = this.opts.clock.now() + this.backoff(batch.attempts);
      if (retryAt > batch.deadline || retryAt > this.shutdownDeadline) {
        this.finish(batch);
        const reason = retryAt > this.shutdownDeadline ? 'shutdown' : 'retry_deadline';
        this.drop(reason, batch.spans.length, `${failure.codeName}: ${failure.details}`);
      } else {
        batch.timer = this.backgroundTimer(() => this.retry(batch), retryAt - this.opts.clock.now());
      }
    }
    this.resolveFlushWaiters();
    this.pump();
  }

  private retry(batch: Batch): void {
    try {
      this.attempt(batch);
    } catch (err) {
      this.opts.logger.error({ err }, 'span exporter: internal error while retrying');
    }
  }

  private backoff(attempts: number): number {
    // Counted per batch: the first retry of every batch starts from the initial delay.
    return backoffDelay(Math.max(0, attempts - 1), { initialMs: this.opts.initialBackoffMs, maxMs: this.opts.maxBackoffMs, factor: 2 }, this.opts.random);
  }

  private finish(batch: Batch): void {
    if (batch.timer !== undefined) this.opts.clock.clearTimeout(batch.timer);
    batch.timer = undefined;
    this.batches.delete(batch);
    this.spansInFlight -= batch.spans.length;
  }

  // ---- flush / shutdown ----

  private oldestPendingSeq(): number {
    let oldest = this.queue.peek()?.seq ?? Number.POSITIVE_INFINITY;
    for (const batch of this.batches) oldest = Math.min(oldest, batch.firstSeq);
    return oldest;
  }

  private resolveFlushWaiters(): void {
    if (this.flushWaiters.size === 0) return;
    const oldest = this.oldestPendingSeq();
    for (const waiter of this.flushWaiters) if (oldest > waiter.lastSeq) waiter.resolve();
  }

  private async doShutdown(deadline: number): Promise<void> {
    this.closing = true;
    this.shutdownDeadline = deadline;
    await this.flush(deadline);
    this.shutdownDone = true;
    if (this.delayTimer !== undefined) this.opts.clock.clearTimeout(this.delayTimer);
    this.delayTimer = undefined;
    // Whatever is still here missed the deadline.
    const left = this.queue.take(this.queue.length).length;
    let inFlight = 0;
    for (const batch of [...this.batches]) {
      inFlight += batch.spans.length;
      this.finish(batch);
    }
    if (left + inFlight > 0) this.drop('shutdown', left + inFlight, 'not delivered before the shutdown deadline');
    this.drops.flushLogs();
    const transport = this.transport;
    this.transport = undefined;
    this.settings = undefined;
    if (transport) {
      // Closing waits for calls in flight; do not wait past the deadline for them.
      let timer: unknown;
      await Promise.race([
        transport.shutdown(),
        new Promise<void>((resolve) => {
          timer = this.keepAliveTimer(resolve, Math.max(0, deadline - this.opts.clock.now()));
        }),
      ]);
      this.opts.clock.clearTimeout(timer);
    }
  }

  // ---- accounting ----

  private drop(reason: DropReason, count: number, detail: string): void {
    this.drops.record(reason, count, detail);
  }

  private setState(next: ExporterState): void {
    const prev = this.state;
    if (prev.ready === next.ready && prev.reason === next.reason && prev.message === next.message) return;
    this.state = next;
    if (prev.ready !== next.ready || prev.reason !== next.reason) {
      const log = { ready: next.ready, reason: next.reason, message: next.message, endpoint: this.config.endpoint };
      if (next.ready) this.opts.logger.info(log, 'span exporter state changed');
      else this.opts.logger.warn(log, 'span exporter state changed');
    }
    for (const listener of this.listeners) {
      try {
        listener({ ...next });
      } catch (err) {
        this.opts.logger.error({ err }, 'span exporter: state listener failed');
      }
    }
  }
}
