/** Callers of flush(): each waits until every span enqueued before its call is settled, or its deadline. */
import type { Clock, TimerHandle } from '../core/clock.js';
import { keepAliveTimer } from './timers.js';

interface Waiter {
  /** settled once no span with a sequence number up to this one is pending */
  lastSeq: number;
  resolve: () => void;
  timer: TimerHandle;
}

export class FlushWaiters {
  private readonly waiters = new Set<Waiter>();

  constructor(private readonly clock: Clock) {}

  /** Someone waits: batches should leave now rather than after their delay. */
  get waiting(): boolean {
    return this.waiters.size > 0;
  }

  /**
   * Resolves once release() reports every span up to `lastSeq` settled, or at `deadline` (ms since
   * epoch, on the clock). Never rejects.
   */
  wait(lastSeq: number, deadline: number): Promise<void> {
    return new Promise((resolve) => {
      const waiter: Waiter = {
        lastSeq,
        resolve: () => {
          this.clock.clearTimeout(waiter.timer);
          this.waiters.delete(waiter);
          resolve();
        },
        timer: undefined,
      };
      waiter.timer = keepAliveTimer(this.clock, () => waiter.resolve(), Math.max(0, deadline - this.clock.now()));
      this.waiters.add(waiter);
    });
  }

  /** Resolves the waiters whose spans are all settled: none pending has a sequence number up to theirs. */
  release(oldestPendingSeq: number): void {
    for (const waiter of this.waiters) if (oldestPendingSeq > waiter.lastSeq) waiter.resolve();
  }
}
