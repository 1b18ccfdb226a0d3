/**
 * Time as an injected dependency: every timer, sleep and reading of the wall clock outside the
 * composition root goes through a Clock, so that retries, leases, ticks and retention are tested
 * with a fake clock instead of real sleeps.
 */

/** Opaque handle of a pending timer. */
export type TimerHandle = unknown;

export interface Clock {
  /** ms since the Unix epoch */
  now(): number;
  /** Calls `callback` once after `ms`. */
  setTimeout(callback: () => void, ms: number): TimerHandle;
  /** Cancels a timer; a handle that already fired or was cancelled is ignored. */
  clearTimeout(handle: TimerHandle): void;
  /**
   * Resolves after `ms`, or early (without rejecting) when `signal` aborts: loops check their own
   * stop flag after every sleep, so an abort never surfaces as an exception.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Resolves after `ms` of `clock`'s timers, or early on abort (the Clock.sleep contract). */
export function sleepOn(clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const onAbort = (): void => {
      clock.clearTimeout(timer);
      resolve();
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The process's real clock and timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  sleep: (ms, signal) => sleepOn(systemClock, ms, signal),
};

/** Returns a float in [0, 1). */
export type RandomSource = () => number;
