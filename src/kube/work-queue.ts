/**
 * A per-key work queue for reconcilers (client-go's workqueue semantics):
 * - a key queued several times is processed once (dedup while waiting);
 * - a key is never processed by two workers at once; added while processing, it is queued again
 *   after the running attempt finishes;
 * - failures requeue with per-key jittered exponential backoff; success forgets the key's failures;
 * - delayed adds (`addAfter`), and shutdown that can drain what is queued.
 */

import { backoffDelay } from '../core/backoff.js';
import { type Clock, type RandomSource, systemClock, type TimerHandle } from '../core/clock.js';
import { type Logger, silentLogger } from '../core/log.js';

/** What a worker may ask for after processing a key. */
export interface WorkResult {
  /** process the key again after this delay (failures are not counted) */
  requeueAfterMs?: number;
}

export type Worker<K> = (key: K) => Promise<WorkResult | void>;

export interface WorkQueueOptions {
  /** first retry delay after a failure (default 1 s) */
  baseDelayMs?: number;
  /** cap on retry delays (default 5 min) */
  maxDelayMs?: number;
  logger?: Logger;
  /** delayed adds and retries run on its timers (default: the system clock) */
  clock?: Clock;
  /** the backoff's jitter (default Math.random) */
  random?: RandomSource;
}

export interface WorkQueueStats {
  /** keys waiting to be processed */
  queued: number;
  /** keys being processed */
  processing: number;
  /** keys waiting on a delay */
  delayed: number;
  processed: number;
  failures: number;
}

export class WorkQueue<K = string> {
  private readonly queue: K[] = [];
  private readonly dirty = new Set<K>();
  private readonly processing = new Set<K>();
  private readonly failuresByKey = new Map<K, number>();
  private readonly delayed = new Map<K, { timer: TimerHandle; at: number }>();
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly random: RandomSource;
  private wakeUp: (() => void) | undefined;
  private idleWaiters: Array<() => void> = [];
  private workers: Promise<void>[] = [];
  private shuttingDown = false;
  private draining = false;
  private processedCount = 0;
  private failureCount = 0;

  constructor(options: WorkQueueOptions = {}) {
    this.baseDelayMs = options.baseDelayMs ?? 1000;
    this.maxDelayMs = options.maxDelayMs ?? 5 * 60_000;
    this.logger = options.logger ?? silentLogger;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
  }

  /** Queues a key (no-op if it is already waiting, or after shutdown). */
  add(key: K): void {
    if (this.shuttingDown) return;
    this.cancelDelay(key);
    if (this.dirty.has(key)) return;
    this.dirty.add(key);
    if (!this.processing.has(key)) {
      this.queue.push(key);
      this.wake();
    }
  }

  /** Queues a key after a delay; an earlier pending delay for the same key wins. */
  addAfter(key: K, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = this.clock.now() + delayMs;
    const pending = this.delayed.get(key);
    if (pending && pending.at <= at) return;
    if (pending) this.clock.clearTimeout(pending.timer);
    const timer = this.clock.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, delayMs);
    // A pending retry alone must not keep the process alive (the operator has servers for that);
    // the system clock's handles are Node timers, a fake clock's are not.
    (timer as { unref?: () => void } | null | undefined)?.unref?.();
    this.delayed.set(key, { timer, at });
  }

  /**
   * Queues a key after its backoff delay (base * 2^failures, capped, drawn from the upper half so
   * that keys failing together do not retry together). Counts one failure.
   */
  addRateLimited(key: K): void {
    const failures = this.failuresByKey.get(key) ?? 0;
    this.failuresByKey.set(key, failures + 1);
    this.addAfter(key, backoffDelay(failures, { initialMs: this.baseDelayMs, maxMs: this.maxDelayMs, factor: 2 }, this.random));
  }

  /** Forgets a key's failures (its next failure starts from the base delay again). */
  forget(key: K): void {
    this.failuresByKey.delete(key);
  }

  /** Consecutive failures of a key. */
  requeues(key: K): number {
    return this.failuresByKey.get(key) ?? 0;
  }

  get length(): number {
    return this.queue.length;
  }

  stats(): WorkQueueStats {
    return {
      queued: this.queue.length,
      processing: this.processing.size,
      delayed: this.delayed.size,
      processed: this.processedCount,
      failures: this.failureCount,
    };
  }

  /**
   * Runs `concurrency` workers. A worker that throws gets its key requeued with backoff; one that
   * returns normally gets its failures forgotten (and a requeue when it asks for one).
   */
  start(worker: Worker<K>, concurrency = 1): void {
    if (this.workers.length > 0) throw new Error('the work queue is already started');
    for (let i = 0; i < Math.max(1, concurrency); i++) this.workers.push(this.loop(worker));
  }

  /**
   * Stops accepting keys and cancels delayed ones. With `drain` (default true) the keys already
   * queued are still processed; otherwise only the running ones finish. Resolves when idle.
   */
  async shutdown(options: { drain?: boolean } = {}): Promise<void> {
    this.shuttingDown = true;
    this.draining = options.drain ?? true;
    for (const { timer } of this.delayed.values()) this.clock.clearTimeout(timer);
    this.delayed.clear();
    if (!this.draining) {
      for (const key of this.queue) this.dirty.delete(key);
      this.queue.length = 0;
    }
    this.wake();
    await Promise.all(this.workers);
    this.workers = [];
  }

  /** Resolves when nothing is queued, delayed or processing (for tests and graceful stops). */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.queue.length === 0 && this.processing.size === 0 && this.delayed.size === 0;
  }

  private async loop(worker: Worker<K>): Promise<void> {
    for (;;) {
      const key = this.queue.shift();
      if (key === undefined) {
        if (this.shuttingDown) return;
        await new Promise<void>((resolve) => {
          const previous = this.wakeUp;
          this.wakeUp = () => {
            previous?.();
            resolve();
          };
        });
        continue;
      }
      this.dirty.delete(key);
      this.processing.add(key);
      try {
        const result = await worker(key);
        this.processedCount += 1;
        this.forget(key);
        if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
      } catch (err) {
        this.failureCount += 1;
        this.logger.warn({ err, key: String(key), failures: this.requeues(key) + 1 }, 'work item failed: requeued with backoff');
        this.addRateLimited(key);
      } finally {
        this.processing.delete(key);
        // Added again while it was processing: it was kept out of the queue until now.
        if (this.dirty.has(key)) {
          this.queue.push(key);
          this.wake();
        }
        if (this.isIdle()) this.resolveIdle();
      }
    }
  }

  private cancelDelay(key: K): void {
    const pending = this.delayed.get(key);
    if (!pending) return;
    this.clock.clearTimeout(pending.timer);
    this.delayed.delete(key);
  }

  private wake(): void {
    const wake = this.wakeUp;
    this.wakeUp = undefined;
    wake?.();
  }

  private resolveIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
