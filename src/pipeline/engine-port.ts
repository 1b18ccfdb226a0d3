/**
 * The engine as the pipeline uses it. The composition root passes the real engine
 * (src/engine: Correlator, tickIntervalMs, engineConfigFromSpec); unit tests pass fakes.
 */

import type { TraceCollectorSpec } from '../api/types.js';
import type { EngineConfig, EngineStats, KubeEvent, KubeObject, ObjectLookup, SpanRecord, TraceContextNotice } from '../engine/types.js';

export interface CorrelatorLike {
  addEvent(event: KubeEvent, receivedAt: number): SpanRecord[];
  /** the lookup has a new version of `object`, which replaced `previous` */
  objectChanged(object: KubeObject, now: number, previous?: KubeObject): SpanRecord[];
  tick(now: number): SpanRecord[];
  flush(now: number): SpanRecord[];
  reconfigure(config: EngineConfig): void;
  /** the span id and start of every span still to come out (held, or of a waiting event) */
  unfinished(visit: (spanId: string, startTime: number) => void): void;
  stats(): EngineStats;
  /** malformed W3C trace contexts met since the last call, the first of each object (docs/design.md §5.13) */
  takeTraceContextNotices?(): TraceContextNotice[];
}

export interface EngineFactory {
  create(config: EngineConfig, lookup: ObjectLookup): CorrelatorLike;
  tickIntervalMs(config: EngineConfig): number;
  configFromSpec(spec: Pick<TraceCollectorSpec, 'correlation' | 'ownerKindRules' | 'spans'>): EngineConfig;
}
