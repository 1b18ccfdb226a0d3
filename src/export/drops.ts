/**
 * Every span the exporter gives up on is counted under a reason, and summarised in the log at
 * most once per interval per reason (the count since the previous line, and the total).
 */
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';

export type DropReason = 'queue_full' | 'invalid' | 'rejected' | 'retry_deadline' | 'shutdown';
export const DROP_REASONS: readonly DropReason[] = ['queue_full', 'invalid', 'rejected', 'retry_deadline', 'shutdown'];

const zeroes = (): Record<DropReason, number> => ({ queue_full: 0, invalid: 0, rejected: 0, retry_deadline: 0, shutdown: 0 });

export class DropLedger {
  private readonly dropped = zeroes();
  private readonly unlogged = zeroes();
  private readonly lastLog: Partial<Record<DropReason, number>> = {};

  constructor(
    private readonly logger: Logger,
    private readonly clock: Pick<Clock, 'now'>,
    private readonly intervalMs: number,
    /** fields added to each log line (e.g. the endpoint) */
    private readonly context: () => object,
  ) {}

  record(reason: DropReason, count: number, detail: string): void {
    if (count <= 0) return;
    this.dropped[reason] += count;
    this.unlogged[reason] += count;
    const now = this.clock.now();
    const last = this.lastLog[reason];
    if (last === undefined || now - last >= this.intervalMs) {
      this.lastLog[reason] = now;
      this.log(reason, { detail });
    }
  }

  /** Log what the rate limit held back (at shutdown). */
  flushLogs(): void {
    for (const reason of DROP_REASONS) if (this.unlogged[reason] > 0) this.log(reason, {});
  }

  total(): number {
    return DROP_REASONS.reduce((sum, r) => sum + this.dropped[r], 0);
  }

  byReason(): Record<DropReason, number> {
    return { ...this.dropped };
  }

  private log(reason: DropReason, extra: object): void {
    this.logger.warn(
      { reason, dropped: this.unlogged[reason], droppedTotal: this.dropped[reason], ...this.context(), ...extra },
      'span exporter dropped spans',
    );
    this.unlogged[reason] = 0;
  }
}
