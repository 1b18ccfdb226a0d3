/** The one retry backoff of the project: watches, leases, the work queue and the exporter use it. */

import type { RandomSource } from './clock.js';

export interface BackoffOptions {
  /** first delay (default 500 ms) */
  initialMs?: number;
  /** cap (default 30 s) */
  maxMs?: number;
  /** growth per failure (default 2) */
  factor?: number;
}

/**
 * Capped exponential backoff with "equal jitter": the n-th delay is uniformly drawn from
 * [d/2, d) with d = min(max, initial * factor^n). Jitter spreads retry storms when many clients
 * fail together (an API server or collector restart); the lower bound keeps a minimum pause.
 */
export class Backoff {
  private failures = 0;
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;

  constructor(options: BackoffOptions = {}, private readonly random: RandomSource = Math.random) {
    this.initialMs = options.initialMs ?? 500;
    this.maxMs = options.maxMs ?? 30_000;
    this.factor = options.factor ?? 2;
  }

  /** The delay before the next attempt; each call counts one more failure. */
  next(): number {
    const delay = backoffDelay(this.failures, this, this.random);
    this.failures += 1;
    return delay;
  }

  /** After a success: the next failure starts again from the initial delay. */
  reset(): void {
    this.failures = 0;
  }

  get attempts(): number {
    return this.failures;
  }
}

/**
 * The delay after `failures` earlier failures (0 for the first retry), for callers that keep
 * their own count per item (the work queue per key, the exporter per batch).
 */
export function backoffDelay(failures: number, options: BackoffOptions, random: RandomSource): number {
  const initial = options.initialMs ?? 500;
  const ceiling = Math.min(options.maxMs ?? 30_000, initial * (options.factor ?? 2) ** Math.min(failures, 64));
  return ceiling / 2 + random() * (ceiling / 2);
}
