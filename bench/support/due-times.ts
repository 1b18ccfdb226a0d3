/**
 * When *should* each span have left the operator? The intentional correlation hold (events wait
 * for their parent up to the recent window, given up on at the engine's next tick, every
 * window/2; spans are held until the next span on their object or until 2 x window after they
 * end) is defined by the engine, not by the wire. To measure only the latency the operator adds
 * beyond it, the same run is replayed offline through the same Correlator, with every event
 * received at its real injection time and ticks where the live pipeline's fall (from its start,
 * every window/2): the time the engine returns a span there is its due time. Each collector is
 * replayed with an engine of its own over its namespaces, ticking from its own pipeline's start.
 * A live tick is late by the event loop's lateness (not cumulatively: the pipeline ticks on the
 * same schedule, so a late tick does not move the next); ticking almost continuously instead
 * would count the engine's own cadence (up to window/2 before a waiting event is given up on,
 * p50 ~1 s with the default window) as added latency.
 *
 * The workload is deterministic, so the replay regenerates the exact objects from the seed and
 * the player's recorded step times instead of keeping a copy of everything sent.
 */

import { Correlator } from '../../src/engine/correlator.js';
import { engineConfigFromSpec, tickIntervalMs, type EngineSpec } from '../../src/engine/config.js';
import type { KubeEvent, KubeObject, SpanRecord } from '../../src/engine/types.js';
import { MemoryObjectLookup } from '../../src/replay/object-lookup.js';
import type { Player } from './player.js';
import { parentTag } from './receiver-child.js';
import { Workload, type WorkloadOptions } from './workload.js';

export const DUE_BY_EVENT = 1;
export const DUE_BY_TICK = 2;

/** One TraceCollector as the live operator ran it: its namespaces and when its pipeline started. */
export interface CollectorScope {
  name: string;
  /** namespace names, or ['*'] */
  namespaces: readonly string[];
  /** when the live pipeline started (wall clock, ms); its first tick falls a tick period later */
  pipelineStart: number;
}

export interface CollectorDueTimes {
  /** by event sequence (Player.events): when the engine emits the event's span; NaN: never, or not the collector's */
  due: Float64Array;
  /** DUE_BY_EVENT: emitted on a later write (event or object); DUE_BY_TICK: emitted by a tick */
  cause: Uint8Array;
  /** parentTag of the span's parent, to compare with the live span's */
  parent: Uint32Array;
}

export interface DueTimes {
  byCollector: Map<string, CollectorDueTimes>;
  rootSpans: number;
}

/** A collector's own engine, as its pipeline runs it: its namespaces only, its own tick schedule. */
interface Replayed extends CollectorDueTimes {
  scope: CollectorScope;
  all: boolean;
  namespaces: ReadonlySet<string>;
  correlator: Correlator;
  nextTick: number;
}

/**
 * Each collector is replayed with an engine of its own over its own namespaces, like the
 * operator's pipelines: one engine over everything would reach the pending-events bound that
 * twenty engines over a few namespaces each do not, and give its oldest events up early.
 */
export function dueTimes(workloadOptions: WorkloadOptions, player: Player, spec: EngineSpec, collectors: readonly CollectorScope[]): DueTimes {
  const config = engineConfigFromSpec(spec);
  const tickMs = tickIntervalMs(config);
  // Objects are shared: every engine reads the objects of its own namespaces only.
  const lookup = new MemoryObjectLookup();
  const log = player.events;
  const replayed: Replayed[] = collectors.map((scope) => ({
    scope,
    all: scope.namespaces.includes('*'),
    namespaces: new Set(scope.namespaces),
    correlator: new Correlator(config, lookup),
    nextTick: scope.pipelineStart + tickMs,
    due: new Float64Array(log.count).fill(Number.NaN),
    cause: new Uint8Array(log.count),
    parent: new Uint32Array(log.count),
  }));
  let rootSpans = 0;
  const emit = (r: Replayed, spans: SpanRecord[], at: number, why: number) => {
    for (const span of spans) {
      const uid = span.attributes['k8s.event.uid'];
      const seq = typeof uid === 'string' ? log.seqByUid.get(uid) : undefined;
      if (seq === undefined) {
        rootSpans++;
        continue;
      }
      if (Number.isNaN(r.due[seq]!)) {
        r.due[seq] = at;
        r.cause[seq] = why;
        r.parent[seq] = parentTag(span.parentSpanId);
      }
    }
  };
  const covers = (r: Replayed, namespace: string | undefined) => r.all || r.namespaces.has(namespace ?? '');
  const stream = new Workload(workloadOptions).stream(0);
  let last = 0;
  for (let i = 0; i < player.steps; i++) {
    const step = stream.next();
    const at = player.stepTimes[i]!;
    if (Number.isNaN(at) || step.op === 'delete') continue; // deleted objects stay resolvable, as in the operator's cache
    for (const r of replayed) for (; r.nextTick <= at; r.nextTick += tickMs) emit(r, r.correlator.tick(r.nextTick), r.nextTick, DUE_BY_TICK);
    last = at;
    const object = step.build(player.toWall);
    const namespace = object.metadata.namespace;
    if (step.event) {
      for (const r of replayed) if (covers(r, namespace)) emit(r, r.correlator.addEvent(object as unknown as KubeEvent, at), at, DUE_BY_EVENT);
    } else {
      // As the live cache does: the projected version, with the one it replaced (status transitions).
      const version = lookup.record(object as unknown as KubeObject);
      if (version) for (const r of replayed) if (covers(r, namespace)) emit(r, r.correlator.objectChanged(version.current, at, version.previous), at, DUE_BY_EVENT);
    }
  }
  // Let the engines run their course: everything still held becomes due by the ticks.
  const end = last + 4 * config.recentWindowMs + config.expireAfterMs;
  for (const r of replayed) {
    for (; r.nextTick <= end; r.nextTick += tickMs) {
      emit(r, r.correlator.tick(r.nextTick), r.nextTick, DUE_BY_TICK);
      const stats = r.correlator.stats();
      if (stats.pendingEvents === 0 && stats.heldSpans === 0) break;
    }
    emit(r, r.correlator.flush(r.nextTick), r.nextTick, DUE_BY_TICK);
  }
  return { byCollector: new Map(replayed.map((r) => [r.scope.name, { due: r.due, cause: r.cause, parent: r.parent }])), rootSpans };
}
