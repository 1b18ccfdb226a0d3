/** A trivial engine for pipeline/controller unit tests: one root span per event, held until flush or tick. */

import type { EngineConfig, EngineStats, KubeEvent, KubeObject, SpanRecord, TraceContextNotice } from '../../../src/engine/types.js';
import type { CorrelatorLike, EngineFactory } from '../../../src/pipeline/engine-port.js';

export class FakeCorrelator implements CorrelatorLike {
  readonly events: KubeEvent[] = [];
  held: SpanRecord[] = [];
  reconfigured: EngineConfig[] = [];
  ticks = 0;
  /** the `now` of every tick */
  tickTimes: number[] = [];
  /** what takeTraceContextNotices hands out next */
  notices: TraceContextNotice[] = [];

  takeTraceContextNotices(): TraceContextNotice[] {
    const notices = this.notices;
    this.notices = [];
    return notices;
  }

  constructor(public config: EngineConfig) {}

  /** objects the pipeline passed on, with the time */
  readonly objectsChanged: Array<{ object: KubeObject; now: number }> = [];

  objectChanged(object: KubeObject, now: number): SpanRecord[] {
    this.objectsChanged.push({ object, now });
    return [];
  }

  addEvent(event: KubeEvent, receivedAt: number): SpanRecord[] {
    this.events.push(event);
    this.held.push({
      traceId: '1'.repeat(32),
      spanId: (this.events.length.toString(16)).padStart(16, '0'),
      name: `${event.involvedObject.kind}.${event.reason}`,
      startTime: receivedAt,
      endTime: receivedAt,
      status: { code: 'unset' },
      service: { name: 'test' },
      attributes: {},
      sequence: this.events.length,
    });
    return [];
  }

  tick(now: number): SpanRecord[] {
    this.ticks++;
    this.tickTimes.push(now);
    return this.take();
  }

  flush(): SpanRecord[] {
    return this.take();
  }

  reconfigure(config: EngineConfig): void {
    this.config = config;
    this.reconfigured.push(config);
  }

  unfinished(visit: (spanId: string, startTime: number) => void): void {
    for (const span of this.held) visit(span.spanId, span.startTime);
  }

  stats(): EngineStats {
    return {
      eventsReceived: this.events.length,
      eventsUnresolved: 0,
      pendingOverflow: 0,
      statusSpans: 0,
      ownParentsAwaited: 0,
      underAncestor: 0,
      traceContextsInvalid: 0,
      tracesStarted: this.events.length > 0 ? 1 : 0,
      spansEmitted: this.events.length - this.held.length,
      pendingEvents: this.held.length,
      recentEntries: 0,
      heldSpans: this.held.length,
    };
  }

  private take(): SpanRecord[] {
    const out = this.held;
    this.held = [];
    return out;
  }
}

/** Creates FakeCorrelators; `holdTicks` keeps spans until flush (ticks export nothing). */
export function fakeEngine(options: { holdTicks?: boolean } = {}): EngineFactory & { created: FakeCorrelator[] } {
  const created: FakeCorrelator[] = [];
  return {
    created,
    create(config) {
      const c = new FakeCorrelator(config);
      if (options.holdTicks) c.tick = (now) => (c.ticks++, c.tickTimes.push(now), []);
      created.push(c);
      return c;
    },
    tickIntervalMs: (config) => config.recentWindowMs / 2,
    configFromSpec: (spec) => ({
      recentWindowMs: (spec.correlation?.recentWindowSeconds ?? 5) * 1000,
      expireAfterMs: (spec.correlation?.expireAfterSeconds ?? 300) * 1000,
      maxPendingEvents: spec.correlation?.maxPendingEvents ?? 10_000,
      ownerKindRules: spec.ownerKindRules ?? [],
    }),
  };
}
