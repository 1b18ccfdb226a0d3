/** A fake `Clock` (src/core/clock.ts) for tests: time moves only when the test moves it. */

import { type Clock, sleepOn, type TimerHandle } from '../../src/core/clock.js';

export interface FakeClockOptions {
  /** ms since the Unix epoch at the start (default 1_700_000_000_000) */
  start?: number;
  /**
   * Sleeps return at once (on the next macrotask), moving time on by their length: for retry
   * loops whose pauses are not what a test waits on, only what it checks (`sleeps`).
   * Otherwise a sleep is a timer like any other and ends when the test advances past it.
   */
  instantSleeps?: boolean;
}

interface Timer {
  at: number;
  callback: () => void;
}

/** Lets promise chains and setImmediate continuations run, so that loops reach their next wait. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export class FakeClock implements Clock {
  /** the current time; tests may set it directly (time jumps without firing timers) */
  time: number;
  /** every sleep asked for, in ms, in order */
  readonly sleeps: number[] = [];
  /** every setTimeout asked for, in ms, in order (sleeps on timers included) */
  readonly scheduled: number[] = [];
  private readonly instantSleeps: boolean;
  private readonly timers = new Map<number, Timer>();
  private nextId = 1;

  constructor(options: FakeClockOptions = {}) {
    this.time = options.start ?? 1_700_000_000_000;
    this.instantSleeps = options.instantSleeps ?? false;
  }

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + Math.max(0, ms), callback });
    this.scheduled.push(ms);
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle as number);
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    if (!this.instantSleeps) return sleepOn(this, ms, signal);
    if (signal?.aborted) return;
    this.fireUntil(this.time + Math.max(0, ms));
    await settle(1);
  }

  /** Delays from now of the pending timers, soonest first. */
  pending(): number[] {
    return [...this.timers.values()].map((t) => t.at - this.time).sort((a, b) => a - b);
  }

  /**
   * Moves time on by `ms`. Each timer falling due fires at its own due time, in order, and async
   * work settles after each, so that a loop which waits again gets its next timer in before time
   * moves past it.
   */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (let timer = this.takeDue(end); timer; timer = this.takeDue(end)) {
      this.time = Math.max(this.time, timer.at);
      timer.callback();
      await settle();
    }
    this.time = Math.max(this.time, end);
    await settle();
  }

  /**
   * Fires pending timers in due order, moving time to each, until `condition` holds. Throws when
   * no timer is left, or after `limitMs` of fake time, with the condition still false.
   */
  async advanceUntil(condition: () => boolean, limitMs = 24 * 3_600_000): Promise<void> {
    const limit = this.time + limitMs;
    await settle();
    while (!condition()) {
      const timer = this.takeDue(limit);
      if (!timer) throw new Error(`fake clock: condition still false with ${this.timers.size} timers pending`);
      this.time = Math.max(this.time, timer.at);
      timer.callback();
      await settle();
    }
  }

  /**
   * Fires the soonest pending timer without moving time: a timer that runs late (the test set
   * `time` past it) or a little early, as real timers do. Returns false when none is pending.
   */
  fireNext(): boolean {
    const timer = this.takeDue(Infinity);
    timer?.callback();
    return timer !== undefined;
  }

  /** Synchronously fires, at their due times, the timers due by `end`; time ends at `end`. */
  private fireUntil(end: number): void {
    for (let timer = this.takeDue(end); timer; timer = this.takeDue(end)) {
      this.time = Math.max(this.time, timer.at);
      timer.callback();
    }
    this.time = Math.max(this.time, end);
  }

  /** Removes and returns the soonest timer due by `end` (the earliest set first on a tie). */
  private takeDue(end: number): Timer | undefined {
    let soonest: [number, Timer] | undefined;
    for (const entry of this.timers) {
      if (entry[1].at <= end && (!soonest || entry[1].at < soonest[1].at)) soonest = entry;
    }
    if (!soonest) return undefined;
    this.timers.delete(soonest[0]);
    return soonest[1];
  }
}
