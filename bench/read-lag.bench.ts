/**
 * How much latency a late read costs: the e2e workload replayed offline through the Correlator,
 * first with every record received when it was written, then with every record received `lag`
 * ms later (an operator that reads its watches late: busy with a tick, a collection, a large
 * object), on the live pipeline's tick schedule (every window/2 from the start).
 *
 *   npm run bench -- read-lag [--quick]      (--quick: 20k events instead of 60k)
 *
 * Waiting events are given up on at the first tick at least a window after they were received
 * (docs/design.md §5.6), and a new trace's root is made then, so the rest of the trace waits for that
 * tick too. An event received `lag` ms late is given up on a whole tick (window/2) later when its
 * receipt crosses a tick boundary, which happens to about lag/(window/2) of the traces: a
 * small lag becomes a large added latency for a few spans, which is what a p99 shows. The e2e's
 * "spans more than 1 s late ... left after a tick" line is the live side of this.
 */

import { Correlator } from '../src/engine/correlator.js';
import { engineConfigFromSpec, tickIntervalMs } from '../src/engine/config.js';
import type { KubeEvent, KubeObject, SpanRecord } from '../src/engine/types.js';
import { MemoryObjectLookup } from '../src/replay/object-lookup.js';
import { fmt, log, machine, percentile, sortedCopy, table } from './support/report.js';
import { BASE_RATE, Workload } from './support/workload.js';

const quick = process.argv.includes('--quick');
const EVENTS = quick ? 20_000 : 60_000;
/** the e2e's first step */
const RATE = 2_000;
const LAGS_MS = [0, 10, 25, 50, 100, 250];

/** One write of the workload: an Event or an object, at its wall time (ms) */
interface Write {
  at: number;
  event: boolean;
  json: unknown;
}

/** The workload's writes on wall time at RATE events/s, built once (deleted objects stay in the lookup, as in the operator's cache). */
function writes(): { list: Write[]; events: number } {
  const speed = RATE / BASE_RATE;
  const toWall = (virtual: number) => virtual / speed;
  const stream = new Workload({ seed: 42, namespaces: 50 }).stream(0);
  const list: Write[] = [];
  let events = 0;
  while (events < EVENTS) {
    const step = stream.next();
    if (step.op === 'delete') continue;
    list.push({ at: toWall(step.at), event: step.event, json: step.build(toWall) });
    if (step.event) events++;
  }
  return { list, events };
}

/** When each event's span leaves the engine (by k8s.event.uid) with every record received `lag` ms late. */
function release(list: readonly Write[], lag: number): Map<string, number> {
  const config = engineConfigFromSpec({});
  const tickMs = tickIntervalMs(config);
  const lookup = new MemoryObjectLookup();
  const correlator = new Correlator(config, lookup);
  const out = new Map<string, number>();
  const take = (spans: SpanRecord[], at: number) => {
    for (const span of spans) {
      const uid = span.attributes['k8s.event.uid'];
      if (typeof uid === 'string' && !out.has(uid)) out.set(uid, at);
    }
  };
  let nextTick = tickMs;
  for (const w of list) {
    const at = w.at + lag;
    for (; nextTick <= at; nextTick += tickMs) take(correlator.tick(nextTick), nextTick);
    if (w.event) {
      take(correlator.addEvent(w.json as KubeEvent, at), at);
    } else {
      const version = lookup.record(w.json as KubeObject);
      if (version) take(correlator.objectChanged(version.current, at, version.previous), at);
    }
  }
  take(correlator.flush(nextTick), nextTick);
  return out;
}

function main(): void {
  const { list, events } = writes();
  const tickMs = tickIntervalMs(engineConfigFromSpec({}));
  log(`workload: ${events} events, ${list.length - events} object writes, ${RATE} events/s, ticks every ${tickMs} ms`);
  const onTime = release(list, 0);
  const rows: Array<Array<string | number>> = [];
  let at50 = { p99: Number.NaN, share: Number.NaN };
  for (const lag of LAGS_MS) {
    const late = lag === 0 ? onTime : release(list, lag);
    const added: number[] = [];
    let overOneSecond = 0;
    for (const [uid, at] of onTime) {
      const lateAt = late.get(uid);
      if (lateAt === undefined) continue;
      const d = lateAt - at;
      added.push(d);
      if (d > 1000) overOneSecond++;
    }
    const sorted = sortedCopy(added);
    const share = (overOneSecond / added.length) * 100;
    rows.push([lag, fmt(percentile(sorted, 50)), fmt(percentile(sorted, 99)), fmt(share, 2), fmt((lag / tickMs) * 100, 2)]);
    if (lag === 50) at50 = { p99: percentile(sorted, 99), share };
  }
  log(table(['read lag ms', 'added p50 ms', 'added p99 ms', 'spans > 1 s later %', 'lag / tick %'], rows));
  machine('read_lag_50ms_p99_added_ms', Math.round(at50.p99));
  machine('read_lag_50ms_spans_over_1s_later_pct', Number(at50.share.toFixed(2)));
}

main();
