/** OtlpExporter: one TraceCollector's span delivery, composed from the modules beside it. */
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { SpanRecord } from '../engine/types.js';
import type { ExporterState, ExportRequestInfo, ResolvedExporterConfig, SpanExporterPort } from '../pipeline/ports.js';
import { Batcher, type BatchContents } from './batcher.js';
import { Channel } from './channel.js';
import { DropLedger, type DropReason } from './drops.js';
import { FlushWaiters } from './flush-waiters.js';
import type { ExportFailure } from './grpc-status.js';
import { InFlight, type Batch } from './in-flight.js';
import { resolveOptions, type OtlpExporterOptions } from './options.js';
import { RetryPolicy } from './retry-policy.js';
import { invalidRecordReason, ResourceCache, toReadableSpan } from './spans.js';
import { ExporterStatus } from './state.js';
import { DeliveryCounters, type OtlpExporterStats } from './stats.js';
import { backgroundTimer, keepAliveTimer } from './timers.js';
import { sameRecord, sameTransportConfig } from './transport.js';

export type { OtlpExporterStats } from './stats.js';

/**
 * Delivery: a bounded queue of finished spans, batches, a bounded number of batches in flight,
 * retries with backoff inside a deadline, and an account of every span (exported, dropped with a
 * reason, or still queued: spansQueued counts waiting and in-flight spans alike).
 *
 * - enqueue() validates ids and appends; a full queue evicts its oldest spans.
 * - Up to `maxInFlight` batches are in flight (a batch waiting to retry holds its slot). While the
 *   endpoint fails with a retryable status only one batch probes it; the others wait in the
 *   queue, which is what bounds memory during an outage.
 * - Nothing thrown inside (a bad record, a listener, a bug) reaches the caller or a timer: the
 *   SpanExporterPort promises never to throw, and a timer's exception would end the process.
 */
export class OtlpExporter implements SpanExporterPort {
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly maxInFlight: number;
  private readonly maxResources: number;
  private readonly clusterUid: string | undefined;

  private config: ResolvedExporterConfig;
  private resources: ResourceCache;
  /** bumped with each new resourceAttributes, so a batch waiting to retry rebuilds its spans */
  private resourcesVersion = 0;

  private readonly batcher: Batcher;
  private readonly inFlight: InFlight;
  private readonly retryPolicy: RetryPolicy;
  private readonly channel: Channel;
  private readonly flushWaiters: FlushWaiters;
  private readonly status: ExporterStatus;
  private readonly counters: DeliveryCounters;
  private readonly drops: DropLedger;

  /** false after a retryable failure until the next answer from the endpoint */
  private healthy = true;
  private pumpScheduled = false;
  private closing = false;
  private shutdownDeadline = Number.POSITIVE_INFINITY;
  private shutdownDone = false;
  private shutdownPromise: Promise<void> | undefined;
  private readonly settledListeners: Array<(spans: readonly SpanRecord[]) => void> = [];

  constructor(config: ResolvedExporterConfig, options: OtlpExporterOptions = {}) {
    const o = resolveOptions(options);
    this.logger = o.logger;
    this.clock = o.clock;
    this.maxInFlight = o.maxInFlight;
    this.maxResources = o.maxResources;
    this.clusterUid = o.clusterUid;
    this.config = config;
    this.resources = new ResourceCache(config.resourceAttributes, o.maxResources, o.clusterUid);

    this.batcher = new Batcher(config.maxQueueSize, o.maxBatchSize, o.maxDelayMs, o.clock, () => this.pump());
    this.inFlight = new InFlight(o.clock);
    this.retryPolicy = new RetryPolicy(o, o.random);
    // The OTLP exporter's own concurrency limit must never be the binding one: ours is lower.
    this.channel = new Channel(o.createTransport, o.maxInFlight + 1, o.logger);
    this.flushWaiters = new FlushWaiters(o.clock);
    this.status = new ExporterStatus(o.logger, () => this.config.endpoint);
    this.counters = new DeliveryCounters(o.logger);
    this.drops = new DropLedger(o.logger, o.clock, o.dropLogIntervalMs, () => ({ endpoint: this.config.endpoint }));

    this.status.configured(this.channel.configure(config));
  }

  // ---- SpanExporterPort ----

  enqueue(spans: readonly SpanRecord[]): void {
    try {
      if (this.closing) {
        this.drop('shutdown', spans.length, 'the exporter is shut down');
        return;
      }
      const at = this.clock.now();
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
        if (this.batcher.push(record, at)) evicted++;
      }
      if (invalid > 0) this.drop('invalid', invalid, firstInvalid ?? 'invalid span');
      if (evicted > 0) this.drop('queue_full', evicted, `the queue is full (${this.batcher.capacity} spans): oldest spans dropped`);
      this.schedulePump();
      if (evicted > 0) this.releaseFlushWaiters();
    } catch (err) {
      this.logger.error({ err }, 'span exporter: enqueue failed');
    }
  }

  update(config: ResolvedExporterConfig): void {
    try {
      this.reconfigure(config);
    } catch (err) {
      this.logger.error({ err }, 'span exporter: update failed');
    }
  }

  flush(deadline: number): Promise<void> {
    const lastSeq = this.batcher.lastSeq;
    if (this.oldestPendingSeq() > lastSeq) return Promise.resolve();
    const done = this.flushWaiters.wait(lastSeq, deadline);
    this.schedulePump();
    return done;
  }

  shutdown(deadline: number): Promise<void> {
    this.shutdownPromise ??= this.doShutdown(deadline);
    return this.shutdownPromise;
  }

  stats(): OtlpExporterStats {
    const { spansExported, exportRequests, failedExportRequests, lastExportTime } = this.counters;
    return {
      spansExported,
      spansDropped: this.drops.total(),
      spansQueued: this.batcher.length + this.inFlight.spans,
      ...(lastExportTime === undefined ? {} : { lastExportTime }),
      state: this.status.current,
      spansDroppedByReason: this.drops.byReason(),
      spansInFlight: this.inFlight.spans,
      exportRequests,
      failedExportRequests,
    };
  }

  onStateChange(listener: (state: ExporterState) => void): void {
    this.status.onChange(listener);
  }

  onSettled(listener: (spans: readonly SpanRecord[]) => void): void {
    this.settledListeners.push(listener);
  }

  onExportRequest(listener: (request: ExportRequestInfo) => void): void {
    this.counters.onRequest(listener);
  }

  // ---- configuration ----

  private reconfigure(config: ResolvedExporterConfig): void {
    if (this.closing) return;
    const previous = this.config;
    this.config = config;
    const evicted = this.batcher.resize(config.maxQueueSize);
    if (evicted > 0) {
      this.drop('queue_full', evicted, `the queue was made smaller (${this.batcher.capacity} spans): oldest spans dropped`);
      this.releaseFlushWaiters();
    }
    if (!sameRecord(previous.resourceAttributes, config.resourceAttributes)) {
      this.resources = new ResourceCache(config.resourceAttributes, this.maxResources, this.clusterUid);
      this.resourcesVersion++;
    }
    if (this.channel.usable && sameTransportConfig(previous, config)) return;
    this.status.configured(this.channel.configure(config));
    // Waiting retries get their chance with the new settings now, with a fresh backoff.
    for (const batch of this.inFlight.all()) {
      if (batch.sending) continue;
      if (batch.timer !== undefined) this.clock.clearTimeout(batch.timer);
      batch.attempts = 0;
      this.attempt(batch);
    }
    this.schedulePump();
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

  /** Runs from timers and immediates, so it contains and logs what it throws. */
  private pump(): void {
    try {
      this.dispatch();
    } catch (err) {
      this.logger.error({ err }, 'span exporter: internal error while dispatching');
    }
  }

  private dispatch(): void {
    if (this.shutdownDone || !this.channel.usable) return;
    const limit = this.healthy ? this.maxInFlight : 1;
    const urgent = this.flushWaiters.waiting;
    while (this.inFlight.size < limit) {
      const contents = this.batcher.next(urgent);
      if (!contents) break;
      this.startBatch(contents);
    }
    // With every slot taken, a finishing batch pumps again; no timer needed.
    if (this.inFlight.size >= limit) this.batcher.disarmTimer();
    else this.batcher.armTimer();
  }

  private startBatch({ records, firstSeq }: BatchContents): void {
    if (records.length === 0) return;
    const spans = records.map((r) => toReadableSpan(r, this.resources));
    const batch: Batch = {
      records,
      spans,
      resourcesVersion: this.resourcesVersion,
      firstSeq,
      attempts: 0,
      deadline: this.retryPolicy.deadline(this.clock.now()),
      sending: false,
    };
    this.inFlight.add(batch);
    this.attempt(batch);
  }

  private attempt(batch: Batch): void {
    batch.timer = undefined;
    if (!this.inFlight.has(batch)) return;
    const transport = this.channel.current();
    // Invalid configuration: the batch keeps its slot until update() brings a usable one.
    if (!transport) return;
    if (batch.resourcesVersion !== this.resourcesVersion) {
      batch.spans = batch.records.map((r) => toReadableSpan(r, this.resources));
      batch.resourcesVersion = this.resourcesVersion;
    }
    batch.attempts++;
    batch.sending = true;
    this.counters.exportRequests++;
    const startedAt = this.clock.now();
    void transport.send(batch.spans).then((failure) => {
      batch.sending = false;
      this.counters.answered({ durationMs: this.clock.now() - startedAt, ok: failure === undefined, spans: batch.spans.length });
      try {
        this.settle(batch, failure);
      } catch (err) {
        this.logger.error({ err }, 'span exporter: internal error after an export');
      }
    });
  }

  private settle(batch: Batch, failure: ExportFailure | undefined): void {
    if (!this.inFlight.has(batch)) return; // given up at shutdown
    const address = this.channel.address ?? this.config.endpoint;
    if (!failure) {
      this.healthy = true;
      this.counters.spansExported += batch.spans.length;
      this.counters.lastExportTime = this.clock.now();
      this.inFlight.finish(batch);
      this.status.exported(address);
      this.tellSettled(batch);
    } else {
      this.counters.failedExportRequests++;
      const decision = this.retryPolicy.decide(failure, batch.attempts, this.clock.now(), batch.deadline, this.shutdownDeadline);
      if (decision.kind === 'rejected') {
        // The endpoint answered: it is reachable, only this batch is refused.
        this.healthy = true;
        this.inFlight.finish(batch);
        this.drop('rejected', batch.spans.length, `${failure.codeName}: ${failure.details}`);
        this.status.rejected(failure, address);
        this.tellSettled(batch);
      } else {
        this.healthy = false;
        this.channel.noteFailure(failure);
        this.status.unavailable(failure, address);
        if (decision.kind === 'retry') {
          batch.timer = backgroundTimer(this.clock, () => this.retry(batch), decision.delayMs);
        } else {
          this.inFlight.finish(batch);
          this.drop(decision.reason, batch.spans.length, `${failure.codeName}: ${failure.details}`);
          this.tellSettled(batch);
        }
      }
    }
    this.releaseFlushWaiters();
    this.pump();
  }

  private tellSettled(batch: Batch): void {
    for (const listener of this.settledListeners) {
      try {
        listener(batch.records);
      } catch (err) {
        this.logger.error({ err }, 'span exporter: settled listener failed');
      }
    }
  }

  private retry(batch: Batch): void {
    try {
      this.attempt(batch);
    } catch (err) {
      this.logger.error({ err }, 'span exporter: internal error while retrying');
    }
  }

  // ---- flush / shutdown ----

  private oldestPendingSeq(): number {
    return Math.min(this.batcher.oldestSeq, this.inFlight.oldestSeq);
  }

  private releaseFlushWaiters(): void {
    if (this.flushWaiters.waiting) this.flushWaiters.release(this.oldestPendingSeq());
  }

  private async doShutdown(deadline: number): Promise<void> {
    this.closing = true;
    this.shutdownDeadline = deadline;
    await this.flush(deadline);
    this.shutdownDone = true;
    // Whatever is still here missed the deadline.
    const left = this.batcher.drain();
    let inFlight = 0;
    for (const batch of this.inFlight.all()) {
      inFlight += batch.spans.length;
      this.inFlight.finish(batch);
    }
    if (left + inFlight > 0) this.drop('shutdown', left + inFlight, 'not delivered before the shutdown deadline');
    this.drops.flushLogs();
    const transport = this.channel.release();
    if (transport) {
      // Closing waits for calls in flight; do not wait past the deadline for them.
      let timer: TimerHandle;
      await Promise.race([
        transport.shutdown(),
        new Promise<void>((resolve) => {
          timer = keepAliveTimer(this.clock, resolve, Math.max(0, deadline - this.clock.now()));
        }),
      ]);
      this.clock.clearTimeout(timer);
    }
  }

  private drop(reason: DropReason, count: number, detail: string): void {
    this.drops.record(reason, count, detail);
  }
}
