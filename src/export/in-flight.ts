/** Batches being sent or waiting to retry: each holds one in-flight slot until it is exported or dropped. */
import type { Clock, TimerHandle } from '../core/clock.js';
import type { SpanRecord } from '../engine/types.js';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';

export interface Batch {
  records: SpanRecord[];
  /** built for the resource attributes of `resourcesVersion` */
  spans: ReadableSpan[];
  resourcesVersion: number;
  firstSeq: number;
  attempts: number;
  /** ms since epoch after which no retry starts */
  deadline: number;
  /** a request is out; false while waiting for a retry or for a usable configuration */
  sending: boolean;
  /** the pending retry */
  timer?: TimerHandle;
}

export class InFlight {
  private readonly batches = new Set<Batch>();
  private spanCount = 0;

  constructor(private readonly clock: Clock) {}

  get size(): number {
    return this.batches.size;
  }

  /** spans in the batches held */
  get spans(): number {
    return this.spanCount;
  }

  add(batch: Batch): void {
    this.batches.add(batch);
    this.spanCount += batch.spans.length;
  }

  /** False once the batch is finished: an answer arriving after that (e.g. at shutdown) is ignored. */
  has(batch: Batch): boolean {
    return this.batches.has(batch);
  }

  /** Frees the batch's slot and cancels its pending retry. */
  finish(batch: Batch): void {
    if (batch.timer !== undefined) this.clock.clearTimeout(batch.timer);
    batch.timer = undefined;
    if (this.batches.delete(batch)) this.spanCount -= batch.spans.length;
  }

  /** The oldest sequence number among the batches held; +Infinity when none. */
  get oldestSeq(): number {
    let oldest = Number.POSITIVE_INFINITY;
    for (const batch of this.batches) oldest = Math.min(oldest, batch.firstSeq);
    return oldest;
  }

  /** A snapshot: finishing batches while iterating it is safe. */
  all(): Batch[] {
    return [...this.batches];
  }
}
