/**
 * Time, randomness and logging as injectable dependencies, so that retry loops, leases and
 * retention can be tested deterministically (fake clocks) without real sleeps.
 */

/** pino-compatible structured logger (the subset the kube layer uses). */
export interface KubeLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** A logger that drops everything (default when none is injected). */
export const silentLogger: KubeLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

export interface Clock {
  /** ms since the Unix epoch */
  now(): number;
  /**
   * Resolves after `ms`, or early (without rejecting) when `signal` aborts: loops check their
   * own stop flag after every sleep, so an abort never surfaces as an exception.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) {
        resolve();
        return;
      }
      const onAbort = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, Math.max(0, ms));
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/** Returns a float in [0, 1). */
export type RandomSource = () => number;

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
 * [d/2, d) with d = min(max, initial * factor^n). Jitter spreads reconnect storms when many
 * watches fail together (API server restart); the lower bound keeps a minimum pause.
 */
export class Backoff {
  private failures = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;

  constructor(options: BackoffOptions = {}, private readonly random: RandomSource = Math.random) {
    this.initialMs = options.initialMs ?? 500;
    this.maxMs = options.maxMs ?? 30_000;
    this.factor = options.factor ?? 2;
  }

  /** The delay before the next attempt; each call counts one more failure. */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.initialMs * this.factor ** Math.min(this.failures, 64));
    this.failures += 1;
    return ceiling / 2 + this.random() * (ceiling / 2);
  }

  /** After a success: the next failure starts again from the initial delay. */
  reset(): void {
    this.failures = 0;
  }

  get attempts(): number {
    return this.failures;
  }
}
