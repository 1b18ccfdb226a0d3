/** Which exporter timers may hold a process open: only those a caller awaits (flush, shutdown). */
import type { Clock, TimerHandle } from '../core/clock.js';

/**
 * Delivery work (batch delays, retries) never keeps a process alive on its own: a CLI that
 * enqueued spans and exits without flushing must not hang for a 5-minute retry deadline.
 */
export function backgroundTimer(clock: Clock, callback: () => void, ms: number): TimerHandle {
  const handle = clock.setTimeout(callback, ms);
  (handle as { unref?: () => void } | undefined)?.unref?.();
  return handle;
}

/**
 * A timer someone awaits (a flush or shutdown deadline) does keep the process alive: otherwise a
 * process whose only pending work is a retry would exit with the caller's promise unsettled.
 */
export function keepAliveTimer(clock: Clock, callback: () => void, ms: number): TimerHandle {
  const handle = clock.setTimeout(callback, ms);
  (handle as { ref?: () => void } | undefined)?.ref?.();
  return handle;
}
