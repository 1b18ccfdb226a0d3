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
import type { ExporterState, ExporterStats, ResolvedExporterConfig, SpanExporterPort } from '../pipeline/ports.js';
import { ConditionReason } from '../api/conditions.js';
import { status as grpcStatus } from '@grpc/grpc-js';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { ExportFailure } from './grpc-status.js';
import { RingQueue } from './queue.js';
import { invalidRecordReason, ResourceCache, toReadableSpan } from './spans.js';
import { ExporterConfigError, resolveTransportSettings, Transport, type SpanTransport, type TransportFactory, type TransportSettings } from './transport.js';

/** pino-compatible; the exporter logs only transitions and rate-limited drop summaries. */
export interface ExportLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ExportTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface OtlpExporterOptions {
  /** spans per export request (default 512) */
  maxBatchSize?: number;
  /** longest a span waits for its batch to fill (default 1000 ms) */
  maxDelayMs?: number;
  /** spans waiting to be sent, batches in flight not included (default 10,000) */
  maxQueueSize?: number;
  /** export requests in flight, retries waiting included (default 4, at most 25: the OTLP exporter refuses a 31st) */
  maxInFlight?: number;
  /** first retry delay (default 500 ms), doubled per attempt up to maxBackoffMs (default 30 s), with jitter */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** how long one batch is retried before it is dropped (default 5 min) */
  retryDeadlineMs?: number;
  /** at most one drop summary per reason per interval (default 10 s) */
  dropLogIntervalMs?: number;
  /** distinct (service, instance) Resources kept (default 1000) */
  maxResources?: number;
  logger?: ExportLogger;
  /** clock, ms since epoch (default Date.now); deadlines passed to flush/shutdown use it */
  now?: () => number;
  /** in [0, 1) (default Math.random), for backoff jitter */
  random?: () => number;
  timers?: ExportTimers;
  /** builds the channel for checked settings (default: OTLP/gRPC); for tests */
  createTransport?: TransportFactory;
}

export type DropReason = 'queue_full' | 'invalid' | 'rejected' | 'retry_deadline' | 'shutdown';
const DROP_REASONS: readonly DropReason[] = ['queue_full', 'invalid', 'rejected', 'retry_deadline', 'shutdown'];

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

const MAX_IN_FLIGHT_LIMIT = 25;

const noopLogger: ExportLogger = { warn() {}, info() {}, error() {} };

const defaultTimers: ExportTimers = {
  setTimeout(callback, ms) {
    const t = setTimeout(callback, ms);
    // Delivery timers must not keep a process alive on their own; flush/shutdown drive the end.
    t.unref();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

function positiveInt(value: number | undefined, fallback: number, name: string, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > max) throw new RangeError(`${name} must be an integer in [1, ${max}], not ${value}`);
  return value;
}

function nonNegative(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a non-negative number, not ${value}`);
  return value;
}

function sameBuffer(a: Buffer | undefined, b: Buffer | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.equals(b));
}

function sameRecord(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

function sameTransportConfig(a: ResolvedExporterConfig, b: ResolvedExporterConfig): boolean {
  return (
    a.endpoint === b.endpoint &&
    a.insecure === b.insecure &&
    a.compression === b.compression &&
    a.timeoutMs === b.timeoutMs &&
    sameRecord(a.headers, b.headers) &&
    sameBuffer(a.tls?.ca, b.tls?.ca) &&
    sameBuffer(a.tls?.cert, b.tls?.cert) &&
    sameBuffer(a.tls?.key, b.tls?.key)
  );
}

const INHERITED_HEADER_VARIABLES = ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_TRACES_HEADERS'];
let warnedAboutInheritedHeaders = false;

/**
 * The OTLP exporter adds headers from these variables to every request it sends, so in the
 * operator they would reach every collector's endpoint, whoever owns it. Say so, once.
 */
function warnAboutInheritedHeaders(logger: ExportLogger): void {
  if (warnedAboutInheritedHeaders) return;
  const set = INHERITED_HEADER_VARIABLES.filter((name) => (process.env[name] ?? '').trim() !== '');
  if (set.length === 0) return;
  warnedAboutInheritedHeaders = true;
  logger.warn({ variables: set }, 'OTLP header environment variables are set: their headers are sent to every TraceCollector endpoint');
}

export class OtlpExporter implements SpanExporterPort {
  private readonly maxBatchSize: number;
  private readonly maxDelayMs: number;
  private readonly maxInFlight: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly retryDeadlineMs: number;
  private readonly dropLogIntervalMs: number;
  private readonly maxResources: number;
  private readonly logger: ExportLogger;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly timers: ExportTimers;
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
  private readonly dropped: Record<DropReason, number> = { queue_full: 0, invalid: 0, rejected: 0, retry_deadline: 0, shutdown: 0 };
  private readonly unloggedDrops: Record<DropReason, number> = { queue_full: 0, invalid: 0, rejected: 0, retry_deadline: 0, shutdown: 0 };
  private readonly lastDropLog: Partial<Record<DropReason, number>> = {};
  private exportRequests = 0;
  private failedExportRequests = 0;
  private lastExportTime: number | undefined;
  private state: ExporterState;
  private readonly listeners: ((state: ExporterState) => void)[] = [];

  constructor(config: ResolvedExporterConfig, options: OtlpExporterOptions = {}) {
    this.maxBatchSize = positiveInt(options.maxBatchSize, 512, 'maxBatchSize');
    this.maxDelayMs = nonNegative(options.maxDelayMs, 1000, 'maxDelayMs');
    this.maxInFlight = positiveInt(options.maxInFlight, 4, 'maxInFlight', MAX_IN_FLIGHT_LIMIT);
    this.initialBackoffMs = nonNegative(options.initialBackoffMs, 500, 'initialBackoffMs');
    this.maxBackoffMs = Math.max(this.initialBackoffMs, nonNegative(options.maxBackoffMs, 30_000, 'maxBackoffMs'));
    this.retryDeadlineMs = nonNegative(options.retryDeadlineMs, 300_000, 'retryDeadlineMs');
    this.dropLogIntervalMs = nonNegative(options.dropLogIntervalMs, 10_000, 'dropLogIntervalMs');
    this.maxResources = positiveInt(options.maxResources, 1000, 'maxResources');
    this.queue = new RingQueue(positiveInt(options.maxQueueSize, 10_000, 'maxQueueSize'));
    this.logger = options.logger ?? noopLogger;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.timers = options.timers ?? defaultTimers;
    this.createTransport = options.createTransport ?? ((settings, limit) => new Transport(settings, limit));

    this.config = config;
    this.resources = new ResourceCache(config.resourceAttributes, this.maxResources);
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
      const at = this.now();
      let evicted = 0;
      let invalid = 0;
      let firstInvalid: string | undefined;
      for (const record of spans) {
        const problem = invalidRecordReason(record);
        if (problem !== undefined) {
          invalid++;
          firstInvalid ??= `${problem} (span ${JSON.stringify(record.name)})`;
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

  private reconfigure(config: ResolvedExporterConfig): void {
    if (this.closing) return;
    const previous = this.config;
    this.config = config;
    if (!sameRecord(previous.resourceAttributes, config.resourceAttributes)) {
      this.resources = new ResourceCache(config.resourceAttributes, this.maxResources);
      this.resourcesVersion++;
    }
    if (this.settings !== undefined && sameTransportConfig(previous, config)) return;
    this.configure(config);
    // Waiting retries get their chance with the new settings now, with a fresh backoff.
    for (const batch of this.batches) {
      if (batch.sending) continue;
      if (batch.timer !== undefined) this.timers.clearTimeout(batch.timer);
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
          this.timers.clearTimeout(waiter.timer);
          this.flushWaiters.delete(waiter);
          resolve();
        },
        timer: undefined,
      };
      waiter.timer = this.keepAliveTimer(() => waiter.resolve(), Math.max(0, deadline - this.now()));
      this.flushWaiters.add(waiter);
      this.schedulePump();
    });
  }

  shutdown(deadline: number): Promise<void> {
    this.shutdownPromise ??= this.doShutdown(deadline);
    return this.shutdownPromise;
  }

  stats(): OtlpExporterStats {
    const spansDropped = DROP_REASONS.reduce((sum, r) => sum + this.dropped[r], 0);
    return {
      spansExported: this.exported,
      spansDropped,
      spansQueued: this.queue.length + this.spansInFlight,
      ...(this.lastExportTime === undefined ? {} : { lastExportTime: this.lastExportTime }),
      state: { ...this.state },
      spansDroppedByReason: { ...this.dropped },
      spansInFlight: this.spansInFlight,
      exportRequests: this.exportRequests,
      failedExportRequests: this.failedExportRequests,
    };
  }

  onStateChange(listener: (state: ExporterState) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Delivery timers do not keep the process alive, but a caller awaiting flush() or shutdown()
   * does: without this, a CLI whose only pending work is a retry would exit before its deadline.
   */
  private keepAliveTimer(callback: () => void, ms: number): unknown {
    const handle = this.timers.setTimeout(callback, ms);
    (handle as { ref?: () => void } | undefined)?.ref?.();
    return handle;
  }

  // ---- configuration ----

  private configure(config: ResolvedExporterConfig): void {
    const old = this.transport;
    this.transport = undefined;
    this.transportStale = false;
    if (old) void old.shutdown();
    warnAboutInheritedHeaders(this.logger);
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
    this.transport ??= this.createTransport(this.settings, this.maxInFlight + 1);
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
      this.logger.error({ err }, 'span exporter: internal error while dispatching');
    }
  }

  private dispatch(): void {
    if (this.shutdownDone || !this.settings) return;
    const limit = this.healthy ? this.maxInFlight : 1;
    const urgent = this.flushWaiters.size > 0;
    while (this.batches.size < limit && this.queue.length > 0) {
      const head = this.queue.peek() as QueuedSpan;
      if (this.queue.length < this.maxBatchSize && !urgent && this.now() - head.at < this.maxDelayMs) break;
      this.startBatch(this.queue.take(this.maxBatchSize));
    }
    this.armDelayTimer(limit);
  }

  private armDelayTimer(limit: number): void {
    if (this.delayTimer !== undefined) {
      this.timers.clearTimeout(this.delayTimer);
      this.delayTimer = undefined;
    }
    const head = this.queue.peek();
    // With every slot taken, a finishing batch pumps again; no timer needed.
    if (!head || this.batches.size >= limit) return;
    const wait = Math.max(0, head.at + this.maxDelayMs - this.now());
    this.delayTimer = this.timers.setTimeout(() => {
      this.delayTimer = undefined;
      this.pump();
    }, wait);
  }

  private startBatch(entries: QueuedSpan[]): void {
    const first = entries[0];
    if (!first) return;
    const records = entries.map((e) => e.record);
    const spans = records.map((r) => toReadableSpan(r, this.resources));
    const batch: Batch = { records, spans, resourcesVersion: this.resourcesVersion, firstSeq: first.seq, attempts: 0, deadline: this.now() + this.retryDeadlineMs, sending: false };
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
    void transport.send(batch.spans).then((failure) => {
      batch.sending = false;
      try {
        this.settle(batch, failure);
      } catch (err) {
        this.logger.error({ err }, 'span exporter: internal error after an export');
      }
    });
  }

  private settle(batch: Batch, failure: ExportFailure | undefined): void {
    if (!this.batches.has(batch)) return; // given up at shutdown
    const endpoint = this.settings?.endpoint.address ?? this.config.endpoint;
    if (!failure) {
      this.healthy = true;
      this.exported += batch.spans.length;
      this.lastExportTime = this.now();
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
      const retryAt = this.now() + this.backoff(batch.attempts);
      if (retryAt > batch.deadline || retryAt > this.shutdownDeadline) {
        this.finish(batch);
        const reason = retryAt > this.shutdownDeadline ? 'shutdown' : 'retry_deadline';
        this.drop(reason, batch.spans.length, `${failure.codeName}: ${failure.details}`);
      } else {
        batch.timer = this.timers.setTimeout(() => this.retry(batch), retryAt - this.now());
      }
    }
    this.resolveFlushWaiters();
    this.pump();
  }

  private retry(batch: Batch): void {
    try {
      this.attempt(batch);
    } catch (err) {
      this.logger.error({ err }, 'span exporter: internal error while retrying');
    }
  }

  private backoff(attempts: number): number {
    const base = Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** Math.max(0, attempts - 1));
    // "Equal jitter": half fixed, half random, so retries of many exporters spread out.
    return base / 2 + (base / 2) * this.random();
  }

  private finish(batch: Batch): void {
    if (batch.timer !== undefined) this.timers.clearTimeout(batch.timer);
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
    if (this.delayTimer !== undefined) this.timers.clearTimeout(this.delayTimer);
    this.delayTimer = undefined;
    // Whatever is still here missed the deadline.
    const left = this.queue.take(this.queue.length).length;
    let inFlight = 0;
    for (const batch of [...this.batches]) {
      inFlight += batch.spans.length;
      this.finish(batch);
    }
    if (left + inFlight > 0) this.drop('shutdown', left + inFlight, 'not delivered before the shutdown deadline');
    this.flushDropLogs();
    const transport = this.transport;
    this.transport = undefined;
    this.settings = undefined;
    if (transport) {
      // Closing waits for calls in flight; do not wait past the deadline for them.
      let timer: unknown;
      await Promise.race([
        transport.shutdown(),
        new Promise<void>((resolve) => {
          timer = this.keepAliveTimer(resolve, Math.max(0, deadline - this.now()));
        }),
      ]);
      this.timers.clearTimeout(timer);
    }
  }

  // ---- accounting ----

  private drop(reason: DropReason, count: number, detail: string): void {
    if (count <= 0) return;
    this.dropped[reason] += count;
    this.unloggedDrops[reason] += count;
    const now = this.now();
    const last = this.lastDropLog[reason];
    if (last === undefined || now - last >= this.dropLogIntervalMs) {
      this.lastDropLog[reason] = now;
      this.logger.warn(
        { reason, dropped: this.unloggedDrops[reason], droppedTotal: this.dropped[reason], endpoint: this.config.endpoint, detail },
        'span exporter dropped spans',
      );
      this.unloggedDrops[reason] = 0;
    }
  }

  private flushDropLogs(): void {
    for (const reason of DROP_REASONS) {
      if (this.unloggedDrops[reason] === 0) continue;
      this.logger.warn(
        { reason, dropped: this.unloggedDrops[reason], droppedTotal: this.dropped[reason], endpoint: this.config.endpoint },
        'span exporter dropped spans',
      );
      this.unloggedDrops[reason] = 0;
    }
  }

  private setState(next: ExporterState): void {
    const prev = this.state;
    if (prev.ready === next.ready && prev.reason === next.reason && prev.message === next.message) return;
    this.state = next;
    if (prev.ready !== next.ready || prev.reason !== next.reason) {
      const log = { ready: next.ready, reason: next.reason, message: next.message, endpoint: this.config.endpoint };
      if (next.ready) this.logger.info(log, 'span exporter state changed');
      else this.logger.warn(log, 'span exporter state changed');
    }
    for (const listener of this.listeners) {
      try {
        listener({ ...next });
      } catch (err) {
        this.logger.error({ err }, 'span exporter: state listener failed');
      }
    }
  }
}
