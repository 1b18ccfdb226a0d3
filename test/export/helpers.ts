import assert from 'node:assert/strict';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { sleepOn, type Clock } from '../../src/core/clock.js';
import type { SpanRecord } from '../../src/engine/types.js';
import type { ExporterState, ResolvedExporterConfig } from '../../src/pipeline/ports.js';
import type { Logger } from '../../src/core/log.js';
import type { ExportFailure, OtlpExporterOptions, SpanTransport, TransportSettings } from '../../src/export/index.js';

/** Unique, valid ids derived from a number. */
export const traceIdOf = (n: number): string => `7a${n.toString(16).padStart(30, '0')}`;
export const spanIdOf = (n: number): string => `5b${n.toString(16).padStart(14, '0')}`;

/** A span record shaped like the engine's (about a dozen attributes). */
export function spanRecord(n: number, overrides: Partial<SpanRecord> = {}): SpanRecord {
  return {
    traceId: traceIdOf(Math.floor(n / 10)),
    spanId: spanIdOf(n),
    ...(n % 10 === 0 ? {} : { parentSpanId: spanIdOf(n - (n % 10)) }),
    name: `Pod.Event${n}`,
    startTime: 1_763_800_000_000 + n + 0.123456,
    endTime: 1_763_800_000_000 + n + 5.5,
    status: n % 7 === 3 ? { code: 'error', message: `Back-off ${n}` } : { code: 'unset' },
    service: n % 3 === 0 ? { name: 'kubelet', instance: 'node-a' } : n % 3 === 1 ? { name: 'kubelet', instance: 'node-b' } : { name: 'default-scheduler' },
    attributes: {
      'k8s.namespace.name': 'shop',
      'k8s.pod.name': `web-${n}`,
      'k8s.pod.uid': `uid-${n}`,
      'k8s.object.kind': 'Pod',
      'k8s.object.name': `web-${n}`,
      'k8s.object.uid': `uid-${n}`,
      'k8s.object.api_version': 'v1',
      'k8s.event.reason': `Event${n}`,
      'k8s.event.message': `Successfully assigned shop/web-${n} to node-a`,
      'k8s.event.uid': `event-uid-${n}`,
      'k8s.event.count': n,
      'k8s.event.type': 'Normal',
      'k8s.node.name': 'node-a',
    },
    sequence: n,
    ...overrides,
  };
}

export const records = (from: number, count: number): SpanRecord[] => Array.from({ length: count }, (_, i) => spanRecord(from + i));

export function plaintextConfig(endpoint: string, overrides: Partial<ResolvedExporterConfig> = {}): ResolvedExporterConfig {
  return { endpoint, insecure: true, headers: {}, compression: 'none', timeoutMs: 5000, maxQueueSize: 10_000, resourceAttributes: {}, ...overrides };
}

/** Small batches, short delays and backoffs: each test runs in well under a second of waiting. */
export const fastOptions: OtlpExporterOptions = {
  maxBatchSize: 50,
  maxDelayMs: 5,
  initialBackoffMs: 20,
  maxBackoffMs: 100,
  retryDeadlineMs: 20_000,
};

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: object;
  msg: string;
}

/** Keeps every line; a child's lines carry its bindings and land in the same list. */
export function memoryLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const make = (bindings: Record<string, unknown>): Logger => {
    const at = (level: LogLine['level']) => (obj: object, msg?: string): void => {
      lines.push({ level, obj: { ...bindings, ...obj }, msg: msg ?? '' });
    };
    return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (more) => make({ ...bindings, ...more }) };
  };
  return Object.assign(make({}), { lines });
}

export function stateRecorder(): { states: ExporterState[]; listener: (s: ExporterState) => void } {
  const states: ExporterState[] = [];
  return { states, listener: (s) => states.push(s) };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Nanoseconds since the epoch of a record time in ms, to the microsecond (what the receiver should see). */
export function nanos(ms: number): bigint {
  const seconds = Math.floor(ms / 1000);
  return BigInt(seconds) * 1_000_000_000n + BigInt(Math.round((ms - seconds * 1000) * 1000)) * 1000n;
}

/** Lets promise callbacks and immediates (the exporter's pump) run. */
export const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** Time stands still until advance(), which fires due timers in order. */
export class FakeClock implements Clock {
  time = 1_000_000;
  private nextId = 0;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();
  readonly now = (): number => this.time;
  readonly sleep = (ms: number, signal?: AbortSignal): Promise<void> => sleepOn(this, ms, signal);

  setTimeout(callback: () => void, ms: number): unknown {
    const id = ++this.nextId;
    this.timers.set(id, { at: this.time + ms, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** delays from now of the pending timers, soonest first */
  pending(): number[] {
    return [...this.timers.values()].map((t) => t.at - this.time).sort((a, b) => a - b);
  }

  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.time = due[1].at;
      due[1].callback();
      await settle();
    }
    this.time = end;
    await settle();
  }
}

export interface Call {
  spans: ReadableSpan[];
  transport: number;
  answer(failure?: ExportFailure): void;
}

/** Transports whose sends stay open until the test answers them. */
export class FakeTransports {
  readonly calls: Call[] = [];
  created = 0;
  shutDown = 0;
  /** the concurrency limit each transport was built with */
  readonly limits: number[] = [];
  readonly factory = (_settings: TransportSettings, concurrencyLimit: number): SpanTransport => {
    this.limits.push(concurrencyLimit);
    const id = ++this.created;
    return {
      send: (spans) =>
        new Promise<ExportFailure | undefined>((resolve) => {
          this.calls.push({ spans, transport: id, answer: resolve });
        }),
      shutdown: async () => {
        this.shutDown++;
      },
    };
  };

  /** calls not answered yet */
  open(): Call[] {
    return this.calls.filter((c) => !(c as { done?: boolean }).done);
  }

  async answer(call: Call | undefined, failure?: ExportFailure): Promise<void> {
    assert.ok(call, 'a call to answer');
    (call as { done?: boolean }).done = true;
    call.answer(failure);
    await settle();
  }
}
