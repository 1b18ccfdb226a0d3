/**
 * A per-key work queue: a key is processed by at most one worker at a time, adding a key that is
 * already waiting does nothing, a key added while it is being processed runs once more afterwards,
 * failures are retried with capped exponential backoff. (The shape of client-go's workqueue.)
 */

export interface KeyedQueueOptions {
  concurrency?: number;
  /** backoff after a failure: min(initial * 2^failures, max) */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  onError?: (key: string, err: unknown) => void;
}

export class KeyedQueue {
  private readonly waiting: string[] = [];
  private readonly queued = new Set<string>();
  private readonly active = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly delayed = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly failures = new Map<string, number>();
  private readonly idleWaiters: Array<() => void> = [];
  private running = 0;
  private stopped = false;

  constructor(
    private readonly worker: (key: string) => Promise<void>,
    private readonly options: KeyedQueueOptions = {},
  ) {}

  /** Queue `key` now, or after `delayMs` (the earliest of several delayed adds wins). */
  add(key: string, delayMs = 0): void {
    if (this.stopped) return;
    if (delayMs > 0) {
      const at = Date.now() + delayMs;
      const existing = this.delayed.get(key);
      if (existing && existing.at <= at) return;
      if (existing) clearTimeout(existing.timer);
      const timer = setTimeout(() => {
        this.delayed.delete(key);
        this.add(key);
      }, delayMs);
      timer.unref?.();
      this.delayed.set(key, { at, timer });
      return;
    }
    if (this.active.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.waiting.push(key);
    this.pump();
  }

  /** Keys waiting or being processed (for the queue depth metric). */
  get depth(): number {
    return this.waiting.length + this.active.size;
  }

  /** Stop accepting work; resolves once the keys being processed are done. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const { timer } of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    this.waiting.length = 0;
    this.queued.clear();
    if (this.running > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    const concurrency = this.options.concurrency ?? 4;
    while (!this.stopped && this.running < concurrency && this.waiting.length > 0) {
      const key = this.waiting.shift() as string;
      this.queued.delete(key);
      this.active.add(key);
      this.running++;
      void this.process(key);
    }
  }

  private async process(key: string): Promise<void> {
    try {
      await this.worker(key);
      this.failures.delete(key);
    } catch (err) {
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      this.options.onError?.(key, err);
      const initial = this.options.initialBackoffMs ?? 500;
      const max = this.options.maxBackoffMs ?? 60_000;
      this.add(key, Math.min(max, initial * 2 ** (n - 1)));
    } finally {
      this.active.delete(key);
      this.running--;
      if (this.dirty.delete(key)) this.add(key);
      if (this.running === 0) for (const w of this.idleWaiters.splice(0)) w();
      this.pump();
    }
  }
}
