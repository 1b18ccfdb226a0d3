/** What becomes of a batch after a failed attempt: retried after a backoff, expired past a deadline, or rejected. */
import { backoffDelay, type BackoffOptions } from '../core/backoff.js';
import type { RandomSource } from '../core/clock.js';
import type { ExportFailure } from './grpc-status.js';

export type RetryDecision =
  /** a retryable failure, and the next attempt starts within both deadlines */
  | { kind: 'retry'; delayMs: number }
  /** a retryable failure, but the next attempt would start after the batch's retry deadline or the shutdown deadline */
  | { kind: 'expired'; reason: 'retry_deadline' | 'shutdown' }
  /** a permanent failure (see grpc-status.ts): sending the same spans again cannot succeed */
  | { kind: 'rejected' };

export interface RetryPolicyOptions {
  initialBackoffMs: number;
  maxBackoffMs: number;
  retryDeadlineMs: number;
}

export class RetryPolicy {
  private readonly backoff: BackoffOptions;
  private readonly retryDeadlineMs: number;

  constructor(options: RetryPolicyOptions, private readonly random: RandomSource) {
    this.backoff = { initialMs: options.initialBackoffMs, maxMs: options.maxBackoffMs, factor: 2 };
    this.retryDeadlineMs = options.retryDeadlineMs;
  }

  /** The retry deadline of a batch formed at `now`. */
  deadline(now: number): number {
    return now + this.retryDeadlineMs;
  }

  /**
   * After the `attempts`-th failed attempt of a batch. Backoff is counted per batch, so a batch
   * formed during an outage starts from the initial delay. A retry that could only start past a
   * deadline is not scheduled: holding the batch for it would only delay the drop.
   */
  decide(failure: ExportFailure, attempts: number, now: number, batchDeadline: number, shutdownDeadline: number): RetryDecision {
    if (!failure.retryable) return { kind: 'rejected' };
    const delayMs = backoffDelay(Math.max(0, attempts - 1), this.backoff, this.random);
    const retryAt = now + delayMs;
    if (retryAt > shutdownDeadline) return { kind: 'expired', reason: 'shutdown' };
    if (retryAt > batchDeadline) return { kind: 'expired', reason: 'retry_deadline' };
    return { kind: 'retry', delayMs };
  }
}
