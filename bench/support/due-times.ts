/**
 * When *should* each span have left the operator? The intentional correlation hold (events wait
 * for their parent up to the recent window, given up on at the engine's next tick, every
 * window/2; spans are held until the next span on their object or until 2 x window after they
 * end) is defined by the engine, not by the wire. To measure only the latency the operator adds
 * beyond it, the same run is replayed offline through the same Correlator, with every event
 * received at its real injection time and ticks where the live pipeline's fall (from its start,
 * every window/2): the time the engine returns a span there is its due time. A live tick is late
 * by the event loop's lateness (not cumulatively: the pipeline ticks on the same schedule, so a
 * late tick does not move the next); ticking almost continuously instead would count the
 * engine's own cadence (up to window/2 before a waiting event is given up on, p50 ~1 s with the
 * default window) as added latency.
 *
 * The workload is deterministic, so the replay regenerates the exact objects from the seed and
 * the player's recorded step times instead of keeping a copy of everything sent.
 */

import { Correlator } from '../../src/engine/correlator.js';
import { engineConfigFromSpec, tickIntervalMs, type EngineSpec } from '../../src/engine/config.js';
import type { KubeEvent, KubeObject, SpanRecord } from '../../src/engine/types.js';
import { MemoryObjectLookup } from '../../src/replay/object-lookup.js';
import type { Player } from './player.js';
import { Workload, type WorkloadOptions } from './workload.js';

export const DUE_BY_EVENT = 1;
export const DUE_BY_TICK = 2;

export interface DueTimes {
  /** by event sequence (Player.events): when the engine emits the event's span; NaN: never */
  due: Float64Array;
  /** DUE_BY_EVENT: emitted when a later event arrived; DUE_BY_TICK: emitted by a tick */
  cause: Uint8Array;
  rootSpans: number;
}

/** `pipelineStart`: when the live pipeline started (wall clock, ms); its first tick falls a tick period later. */
export function dueTimes(workloadOptions: WorkloadOptions, player: Player, spec: EngineSpec, pipelineStart: number): DueTimes {
  const config = engineConfigFromSpec(spec);
  const tickMs = tickIntervalMs(config);
  const lookup = new MemoryObjectLookup();
  const correlator = new Correlator(config, lookup);
  const log = player.events;
  const due = new Float64Array(log.count).fill(Number.NaN);
  const cause = new Uint8Array(log.count);
  let rootSpans = 0;
  const emit = (spans: SpanRecord[], at: number, why: number) => {
    for (const span of spans) {
      const uid = span.attributes['k8s.event.uid'];
      const seq = typeof uid === 'string' ? log.seqByUid.get(uid) : undefined;
      if (seq === undefined) {
        rootSpans++;
        continue;
      }
      if (Number.isNaN(due[seq]!)) {
        due[seq] = at;
        cause[seq] = why;
      }
    }
  };
  const stream = new Workload(workloadOptions).stream(0);
  let nextTick = pipelineStart + tickMs;
  let last = 0;
  for (let i = 0; i < player.steps; i++) {
    const step = stream.next();
    const at = player.stepTimes[i]!;
    if (Number.isNaN(at) || step.op === 'delete') continue; // deleted objects stay resolvable, as in the operator's cache
    for (; nextTick <= at; nextTick += tickMs) emit(correlator.tick(nextTick), nextTick, DUE_BY_TICK);
    last = at;
    const object = step.build(player.toWall);
    if (step.event) emit(correlator.addEvent(object as unknown as KubeEvent, at), at, DUE_BY_EVENT);
    else {
      lookup.put(object as unknown as KubeObject);
      emit(correlator.objectChanged(object as unknown as KubeObject, at), at, DUE_BY_EVENT);
    }
  }
  // Let the engine run its course: everything still held becomes due by the ticks.
  const end = last + 4 * config.recentWindowMs + config.expireAfterMs;
  for (; nextTick <= end; nextTick += tickMs) {
    emit(correlator.tick(nextTick), nextTick, DUE_BY_TICK);
    if (correlator.stats().pendingEvents === 0 && correlator.stats().heldSpans === 0) break;
  }
  emit(correlator.flush(nextTick), nextTick, DUE_BY_TICK);
  return { due, cause, rootSpans };
}
