/** The queue of spans waiting for a batch: a batch leaves when `maxBatchSize` spans wait or the oldest waited `maxDelayMs`. */
import type { Clock, TimerHandle } from '../core/clock.js';
import type { SpanRecord } from '../engine/types.js';
import { RingQueue } from './queue.js';
import { backgroundTimer } from './timers.js';

interface QueuedSpan {
  record: SpanRecord;
  /** increasing in enqueue order, so "everything up to n is settled" is one comparison */
  seq: number;
  at: number;
}

export interface BatchContents {
  records: SpanRecord[];
  /** sequence number of the batch's first (oldest) span */
  firstSeq: number;
}

export class Batcher {
  private readonly queue: RingQueue<QueuedSpan>;
  private nextSeq = 0;
  private timer: TimerHandle | undefined;

  constructor(
    capacity: number,
    private readonly maxBatchSize: number,
    private readonly maxDelayMs: number,
    private readonly clock: Clock,
    /** called when the oldest span's delay is up (from a timer: must not throw) */
    private readonly onDue: () => void,
  ) {
    this.queue = new RingQueue(capacity);
  }

  get length(): number {
    return this.queue.length;
  }

  get capacity(): number {
    return this.queue.capacity;
  }

  /** The sequence number the most recently enqueued span got (-1 before any). */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /** The oldest waiting span's sequence number; +Infinity when none waits. */
  get oldestSeq(): number {
    return this.queue.peek()?.seq ?? Number.POSITIVE_INFINITY;
  }

  /** Appends; returns true when the queue was full and its oldest span was evicted. */
  push(record: SpanRecord, at: number): boolean {
    return this.queue.push({ record, seq: this.nextSeq++, at }) !== undefined;
  }

  /** A new capacity, keeping the newest spans; returns how many of the oldest did not fit. */
  resize(capacity: number): number {
    return this.queue.resize(capacity);
  }

  /** The next batch if one is due (full, the oldest waited long enough, or `urgent`: a flush waits). */
  next(urgent: boolean): BatchContents | undefined {
    const head = this.queue.peek();
    if (!head) return undefined;
    if (this.queue.length < this.maxBatchSize && !urgent && this.clock.now() - head.at < this.maxDelayMs) return undefined;
    const entries = this.queue.take(this.maxBatchSize);
    return { records: entries.map((e) => e.record), firstSeq: head.seq };
  }

  /** Calls onDue when the oldest waiting span's delay is up (replacing any earlier timer). */
  armTimer(): void {
    this.disarmTimer();
    const head = this.queue.peek();
    if (!head) return;
    const wait = Math.max(0, head.at + this.maxDelayMs - this.clock.now());
    this.timer = backgroundTimer(this.clock, () => {
      this.timer = undefined;
      this.onDue();
    }, wait);
  }

  disarmTimer(): void {
    if (this.timer === undefined) return;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Removes every waiting span (at shutdown); returns how many there were. */
  drain(): number {
    this.disarmTimer();
    return this.queue.take(this.queue.length).length;
  }
}
