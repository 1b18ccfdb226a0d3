/**
 * When `Correlator.tick` runs, shared by the live pipeline and replay so that both behave the
 * same: the first tick one interval after the first input, then every interval. Replay asks
 * which ticks are due before each record (by the record's time); the live pipeline can ask the
 * same question from a timer.
 */

export class TickSchedule {
  private nextAt: number | undefined;

  constructor(private intervalMs: number) {
    if (!(intervalMs > 0)) throw new RangeError(`tick interval must be positive, got ${intervalMs}`);
  }

  /** The time of the next tick, once started. */
  get next(): number | undefined {
    return this.nextAt;
  }

  /** Starts the schedule at `now` unless already started: the first tick falls one interval later. */
  start(now: number): void {
    this.nextAt ??= now + this.intervalMs;
  }

  /**
   * Calls `fire` for every tick at or before `now`, in order (starting the schedule first if
   * needed). Returns how many fired.
   */
  runDue(now: number, fire: (tickAt: number) => void): number {
    this.start(now);
    let fired = 0;
    while (this.nextAt! <= now) {
      const at = this.nextAt!;
      this.nextAt = at + this.intervalMs;
      fire(at);
      fired++;
    }
    return fired;
  }

  /** A new interval (spec change) applies from the next tick on. */
  setInterval(intervalMs: number): void {
    if (!(intervalMs > 0)) throw new RangeError(`tick interval must be positive, got ${intervalMs}`);
    this.intervalMs = intervalMs;
  }
}
