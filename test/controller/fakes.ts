/** In-memory API for controller tests: TraceCollectors with resourceVersion preconditions and a watch, Secrets, a fake clock. */

import type { TraceCollector, TraceCollectorSpec, TraceCollectorStatus } from '../../src/api/types.js';
import type { SecretReader, TraceCollectorChange, TraceCollectorClient } from '../../src/controller/index.js';
import type { Clock, TimerHandle } from '../../src/core/clock.js';

class HttpError extends Error {
  constructor(readonly statusCode: number, message: string) {
    super(message);
  }
}

export class FakeApi implements TraceCollectorClient {
  readonly collectors = new Map<string, TraceCollector>();
  readonly secrets = new Map<string, Record<string, Buffer>>();
  readonly statusPatches: Array<{ key: string; status: TraceCollectorStatus }> = [];
  /** every status patch tried, failed ones included */
  statusPatchAttempts = 0;
  /** the next status patches fail with these HTTP statuses, one each */
  readonly failStatusPatches: number[] = [];
  forbiddenSecrets = false;
  private rv = 1;
  private readonly watchers: Array<(change: TraceCollectorChange) => void> = [];

  /**
   * Every write is delivered to watchers like a watch would: later (on a later turn of the event
   * loop, so a writer runs on before its own change arrives), in order, as a copy.
   */
  watch(listener: (change: TraceCollectorChange) => void): void {
    this.watchers.push(listener);
  }

  /** Resolves once every change made so far has been delivered. */
  delivered(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
  }

  private emit(type: TraceCollectorChange['type'], obj: TraceCollector): void {
    const object = structuredClone(obj);
    setImmediate(() => {
      for (const w of this.watchers) w({ type, object });
    });
  }

  put(namespace: string, name: string, spec: TraceCollectorSpec, extra: Partial<TraceCollector['metadata']> = {}): TraceCollector {
    const key = `${namespace}/${name}`;
    const old = this.collectors.get(key);
    const generation = old ? (JSON.stringify(old.spec) === JSON.stringify(spec) ? old.metadata.generation : (old.metadata.generation ?? 1) + 1) : 1;
    const obj: TraceCollector = {
      apiVersion: 'kspan.dev/v1alpha1',
      kind: 'TraceCollector',
      metadata: { ...old?.metadata, name, namespace, uid: `uid-${name}`, generation: generation ?? 1, resourceVersion: String(++this.rv), ...extra },
      spec,
      ...(old?.status ? { status: old.status } : {}),
    };
    this.collectors.set(key, obj);
    this.emit(old ? 'MODIFIED' : 'ADDED', obj);
    return structuredClone(obj);
  }

  /** Like kubectl delete: with finalizers, only marks for deletion. */
  delete(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const obj = this.collectors.get(key);
    if (!obj) return;
    if ((obj.metadata.finalizers ?? []).length === 0) {
      this.collectors.delete(key);
      this.emit('DELETED', obj);
    } else {
      obj.metadata.deletionTimestamp = new Date().toISOString();
      obj.metadata.resourceVersion = String(++this.rv);
      this.emit('MODIFIED', obj);
    }
  }

  private precondition(obj: TraceCollector): TraceCollector {
    const stored = this.collectors.get(`${obj.metadata.namespace}/${obj.metadata.name}`);
    if (!stored) throw new HttpError(404, 'not found');
    if (stored.metadata.resourceVersion !== obj.metadata.resourceVersion) throw new HttpError(409, 'conflict');
    return stored;
  }

  async addFinalizer(obj: TraceCollector, finalizer: string): Promise<TraceCollector> {
    const stored = this.precondition(obj);
    stored.metadata.finalizers = [...(stored.metadata.finalizers ?? []), finalizer];
    stored.metadata.resourceVersion = String(++this.rv);
    this.emit('MODIFIED', stored);
    return structuredClone(stored);
  }

  async removeFinalizer(obj: TraceCollector, finalizer: string): Promise<void> {
    const stored = this.precondition(obj);
    stored.metadata.finalizers = (stored.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    stored.metadata.resourceVersion = String(++this.rv);
    if (stored.metadata.deletionTimestamp && stored.metadata.finalizers.length === 0) {
      this.collectors.delete(`${obj.metadata.namespace}/${obj.metadata.name}`);
      this.emit('DELETED', stored);
    } else {
      this.emit('MODIFIED', stored);
    }
  }

  async patchStatus(namespace: string, name: string, status: TraceCollectorStatus): Promise<void> {
    this.statusPatchAttempts += 1;
    const failure = this.failStatusPatches.shift();
    if (failure !== undefined) throw new HttpError(failure, `injected ${failure}`);
    const stored = this.collectors.get(`${namespace}/${name}`);
    if (!stored) throw new HttpError(404, 'not found');
    stored.status = { ...stored.status, ...structuredClone(status) };
    stored.metadata.resourceVersion = String(++this.rv);
    this.statusPatches.push({ key: `${namespace}/${name}`, status: structuredClone(status) });
    this.emit('MODIFIED', stored);
  }

  // SecretReader
  async getSecret(namespace: string, name: string): Promise<Record<string, Buffer> | undefined> {
    if (this.forbiddenSecrets) throw new HttpError(403, 'forbidden');
    return this.secrets.get(`${namespace}/${name}`);
  }
}

export function secretReader(api: FakeApi): SecretReader {
  return { get: (namespace, name) => api.getSecret(namespace, name) };
}

export async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 3000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A Clock whose timers fire only when the test advances it; it records every timer it was given. */
export class FakeClock implements Clock {
  private current = 1_700_000_000_000;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();
  /** every setTimeout call, as [delay] */
  readonly scheduled: number[] = [];

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { at: this.current + ms, callback });
    this.scheduled.push(ms);
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle as number);
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, ms));
  }

  /** Moves time on, firing the timers that fall due in order. */
  advance(ms: number): void {
    const until = this.current + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= until).sort(([, a], [, b]) => a.at - b.at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.current = due[1].at;
      due[1].callback();
    }
    this.current = until;
  }
}
