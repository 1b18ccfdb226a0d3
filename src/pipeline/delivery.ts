/**
 * Between a pipeline's engine and its exporter: with a checkpoint writer, finished spans leave in
 * rounds, and each round ends with a checkpoint that records it (docs/design.md §4.8). A round is
 * handed to the exporter, waited for until the endpoint took it, then written down, and only then
 * does the next round start: what the endpoint accepted and the checkpoint does not say is at most
 * what it accepted during that one write. Spans a predecessor's checkpoint says it delivered are
 * not handed on at all.
 */

import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { SpanRecord } from '../engine/types.js';
import { alreadyExported, DeliveryLedger, encodeCheckpoint, type Checkpoint, type CheckpointRecord, type EventOrigin } from './checkpoint.js';
import type { SpanExporterPort } from './ports.js';

/** Where a pipeline's checkpoints go (the TraceCollector's status, in the operator). */
export interface CheckpointWriter {
  /** null removes the checkpoint: the next pipeline starts afresh */
  write(record: CheckpointRecord | null): Promise<void>;
}

/**
 * What the last checkpoint of a pipeline says: `handOver`, what it delivered and what its engine
 * still holds, for a successor to continue; `clear`, nothing (a collector suspended or deleted
 * starts afresh); `keep`, the last one stands (a pipeline stopped before its own state was whole).
 */
export type LastCheckpoint = 'handOver' | 'clear' | 'keep';

export interface CheckpointSettings {
  writer: CheckpointWriter;
  /** the shortest time between two rounds (and so two writes) */
  intervalMs: number;
  /** how late an event may reach us and still be exported by a successor (the watermark lags by this) */
  lateAllowanceMs: number;
  /** span ids a checkpoint lists at most (delivered ones beyond it may be sent again by a successor) */
  maxIds: number;
  /** how long a round waits for the endpoint before its checkpoint is written regardless */
  roundTimeoutMs: number;
}

export const CHECKPOINT_DEFAULTS = { intervalMs: 1000, lateAllowanceMs: 5000, maxIds: 4096, roundTimeoutMs: 5000 } as const;

export interface DeliveryStats {
  spansSuppressed: number;
  checkpointsWritten: number;
  checkpointWriteFailures: number;
  /** delivered spans left out of checkpoints for want of room: a successor may send them again */
  checkpointSpansLeftOut: number;
  /** checkpoints not written: more spans of Events read were undelivered than one can list */
  checkpointsSkipped: number;
}

export interface DeliveryOptions {
  exporter: SpanExporterPort;
  clock: Clock;
  log: Logger;
  /** absent: no checkpoints, spans go to the exporter as they come */
  checkpoints?: CheckpointSettings;
  /** the predecessor's checkpoint: the spans it covers are not exported again */
  continuation?: Checkpoint;
  /** the spans still to come out of the engine (held, or of waiting events) */
  unfinished(visit: (spanId: string, startTime: number) => void): void;
  /** per namespace, the resourceVersion of the newest Event read */
  eventsRead(): ReadonlyMap<string, number>;
  /** the Event a span is of, among those read (for a continuation: which spans the checkpoint accounts for by Event) */
  eventOrigin(spanId: string): EventOrigin | undefined;
}

/** Spans handed to the exporter at a time by a final delivery; well below its queue bound. */
const FINAL_CHUNK = 1000;

export class Delivery {
  private readonly ledger = new DeliveryLedger();
  private outbox: SpanRecord[] = [];
  /** handed to the exporter, not settled yet (by id: a settled batch says which) */
  private readonly handed = new Map<string, SpanRecord>();
  private round: Promise<void> | undefined;
  private timer: TimerHandle | undefined;
  private lastRoundAt = Number.NEGATIVE_INFINITY;
  private stopped = false;
  private readonly counters: DeliveryStats = { spansSuppressed: 0, checkpointsWritten: 0, checkpointWriteFailures: 0, checkpointSpansLeftOut: 0, checkpointsSkipped: 0 };
  private lastProblem = '';

  constructor(private readonly options: DeliveryOptions) {
    if (options.checkpoints !== undefined) options.exporter.onSettled((spans) => this.settled(spans));
  }

  private settled(spans: readonly SpanRecord[]): void {
    for (const span of spans) this.handed.delete(span.spanId);
    this.ledger.delivered(spans);
  }

  get checkpointing(): boolean {
    return this.options.checkpoints !== undefined;
  }

  stats(): DeliveryStats {
    return { ...this.counters };
  }

  /** An Event was read, whose span will be `spanId`. */
  eventRead(spanId: string): void {
    if (this.options.checkpoints) this.ledger.eventRead(spanId);
  }

  /** Spans the engine finished. */
  add(spans: readonly SpanRecord[]): void {
    const kept = this.notDeliveredBefore(spans);
    if (kept.length === 0) return;
    const settings = this.options.checkpoints;
    if (settings === undefined) {
      this.options.exporter.enqueue(kept);
      return;
    }
    for (const span of kept) this.outbox.push(span);
    this.schedule(settings);
  }

  /**
   * Delivers what is left and `last` before `deadline`, then writes a last checkpoint (with what
   * the engine still holds listed as not delivered, for a successor). A final flush can release
   * more spans at once than the exporter's bounded queue holds (every held span of a busy
   * cluster): they are handed over in chunks, each once the one before is delivered; past the
   * deadline the rest at once, and the exporter counts what it cannot deliver.
   */
  async finish(deadline: number, last: readonly SpanRecord[] = [], ending: LastCheckpoint = 'handOver'): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.round;
    for (const span of this.notDeliveredBefore(last)) this.outbox.push(span);
    const { exporter, clock } = this.options;
    for (let first = true; this.outbox.length > 0; first = false) {
      if (!first && clock.now() < deadline) await exporter.flush(deadline);
      this.hand(this.outbox.splice(0, FINAL_CHUNK));
    }
    const settings = this.options.checkpoints;
    if (settings === undefined || ending === 'keep') return;
    if (ending === 'clear') {
      await this.write(settings, null);
      return;
    }
    if (clock.now() < deadline) await exporter.flush(deadline);
    await this.writeCheckpoint(settings);
  }

  /** Without the spans the predecessor's checkpoint says it delivered. */
  private notDeliveredBefore(spans: readonly SpanRecord[]): readonly SpanRecord[] {
    const continuation = this.options.continuation;
    if (continuation === undefined || spans.length === 0) return spans;
    const kept: SpanRecord[] = [];
    const before: SpanRecord[] = [];
    for (const span of spans) (alreadyExported(continuation, span, this.options.eventOrigin(span.spanId)) ? before : kept).push(span);
    this.counters.spansSuppressed += before.length;
    // Delivered, by the predecessor: so says this pipeline's own checkpoint too.
    if (this.options.checkpoints) this.ledger.delivered(before);
    return kept;
  }

  private schedule(settings: CheckpointSettings): void {
    if (this.stopped || this.round !== undefined || this.timer !== undefined || this.outbox.length === 0) return;
    const wait = Math.max(0, this.lastRoundAt + settings.intervalMs - this.options.clock.now());
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = undefined;
      this.round = this.runRound(settings).finally(() => {
        this.round = undefined;
        this.schedule(settings);
      });
    }, wait);
  }

  private async runRound(settings: CheckpointSettings): Promise<void> {
    const clock = this.options.clock;
    this.lastRoundAt = clock.now();
    this.hand(this.outbox);
    this.outbox = [];
    try {
      await this.options.exporter.flush(this.lastRoundAt + settings.roundTimeoutMs);
      await this.writeCheckpoint(settings);
    } catch (err) {
      this.options.log.error({ err }, 'checkpoint round failed');
    }
  }

  private hand(spans: SpanRecord[]): void {
    if (spans.length === 0) return;
    if (this.options.checkpoints !== undefined) {
      for (const span of spans) this.handed.set(span.spanId, span);
      // Bounded during an outage (the exporter's queue drops its oldest without a word): a span
      // forgotten here is neither listed as delivered nor as undelivered, which costs at most its
      // being sent again by a successor.
      const bound = 2 * this.options.checkpoints.maxIds + FINAL_CHUNK;
      for (const id of this.handed.keys()) {
        if (this.handed.size <= bound) break;
        this.handed.delete(id);
      }
    }
    this.options.exporter.enqueue(spans);
  }

  private async writeCheckpoint(settings: CheckpointSettings): Promise<void> {
    const checkpoint = this.ledger.checkpoint(this.options.clock.now(), settings.lateAllowanceMs, settings.maxIds, this.options.eventsRead(), (visit) => {
      this.options.unfinished(visit);
      for (const span of this.handed.values()) visit(span.spanId, span.startTime);
      for (const span of this.outbox) visit(span.spanId, span.startTime);
    });
    if (checkpoint === undefined) {
      this.counters.checkpointsSkipped++;
      this.problem('too_many', `more than ${settings.maxIds} spans of Events read are undelivered: no checkpoint written, the last one stands`);
      return;
    }
    this.counters.checkpointSpansLeftOut += checkpoint.leftOut;
    if (checkpoint.leftOut > 0) this.options.log.debug({ leftOut: checkpoint.leftOut, maxIds: settings.maxIds }, 'delivered spans left out of a full checkpoint: a successor may send them again');
    await this.write(settings, encodeCheckpoint(checkpoint));
  }

  private async write(settings: CheckpointSettings, record: CheckpointRecord | null): Promise<void> {
    try {
      await settings.writer.write(record);
      this.counters.checkpointsWritten++;
      this.lastProblem = '';
    } catch (err) {
      this.counters.checkpointWriteFailures++;
      this.problem('write_failed', 'cannot write the checkpoint: the last one stands', err);
    }
  }

  /** Logs a problem when it starts, not on every round it lasts. */
  private problem(kind: string, message: string, err?: unknown): void {
    if (this.lastProblem === kind) return;
    this.lastProblem = kind;
    this.options.log.warn(err === undefined ? {} : { err }, message);
  }
}
