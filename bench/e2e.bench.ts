/**
 * End-to-end throughput, latency, memory and API load of the real `kspan operator` process.
 *
 * The Kubernetes API test server holds a cluster at rest (200,000 objects; --quick: 10,000) and
 * the player streams a realistic workload into it (bench/support/workload.ts: rollouts, Jobs,
 * their controller/scheduler/kubelet events in causal order) at a controlled rate; the operator
 * (dist/cli.js, own process, kubeconfig) turns it into spans for the OTLP test receiver (own
 * process). The rate goes up step by step until the operator falls behind. Two runs:
 *
 *   A  one TraceCollector over all namespaces ("*")
 *   B  20 TraceCollectors over overlapping sets of 8 namespaces (each namespace in 3-4 of them)
 *
 * A step is *sustained* when, at its end, the operator is less than one second of events behind
 * (events injected minus kspan_events_received_total, per collector), its pending events did not
 * pile up beyond what the window allows, nothing was dropped and the player reached >= 90% of
 * the rate. A backlog with the operator below 70% of a core, or a player short of the rate, is
 * "injector-limited": the benchmark's process (API test server + player), not the operator, was
 * short. The operator's CPU per 1,000 events says what one core of it would carry.
 *
 * Latency beyond the intentional hold: per event, receive time at the receiver minus the time
 * the engine is *due* to emit its span (see support/due-times.ts: the same run replayed offline
 * through the same Correlator with events at their injection times, one engine per collector
 * over its namespaces, ticking where its live pipeline ticks: from its start, every window/2).
 * Spans flushed at shutdown are not counted. A step's p50/p99 are over the spans *due* during it
 * (a span can be due up to 2 windows after its event, and a step's held spans would otherwise be
 * charged with the next, heavier step's backlog). An event the operator reads a little late is
 * given up on a whole tick later when its receipt crosses a tick boundary, and its trace with it
 * (bench/read-lag.bench.ts): the column "> 1 s late (after a tick)" counts the spans more than
 * 1 s late and, in brackets, those of them that left within 0.5 s after one of their pipeline's
 * ticks (a fifth would, by chance).
 *
 *   npm run bench -- e2e [--quick] [--profile] [--operator-heap-mib=N] [--operator-from=DIR]
 *
 * --profile: V8 CPU profile of the operator in the temp dir. --operator-heap-mib=N: the operator's
 * heap ceiling as a container memory limit would set it (see heapCeilingFlags). --operator-from=DIR:
 * the operator built in another checkout, against this one's injector (see operatorCli).
 */

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dueTimes, DUE_BY_TICK } from './support/due-times.js';
import { BenchEnv, type CollectorDef } from './support/environment.js';
import { ensureBuilt, exportTotals, flushOnStopFlags, meanExportMs, metricSum } from './support/operator-process.js';
import { fmt, log, machine, percentile, sortedCopy, table } from './support/report.js';
import { Workload, type WorkloadOptions } from './support/workload.js';

const quick = process.argv.includes('--quick');
const profile = process.argv.includes('--profile');

const CONFIG = quick
  ? { population: 10_000, ratesA: [2_000, 5_000, 10_000, 15_000], ratesB: [5_000], stepMs: 2_000 }
  : { population: 200_000, ratesA: [2_000, 5_000, 8_000, 10_000, 12_000, 15_000, 20_000], ratesB: [2_000, 5_000, 8_000, 10_000, 12_000, 15_000], stepMs: 15_000 };
const WORKLOAD: WorkloadOptions = { seed: 42, namespaces: 50 };
const EVENT_TTL_MS = 120_000;
/** the collectors' correlation window (the default) */
const WINDOW_MS = 5_000;
/** the pipelines' tick period (window / 2) */
const TICK_MS = WINDOW_MS / 2;

interface StepResult {
  rate: number;
  /** wall clock, ms */
  endedAt: number;
  achieved: number;
  operatorCpuPct: number;
  benchCpuPct: number;
  lag: number;
  pending: number;
  dropped: number;
  spansPerS: number;
  /** the exporters' queues (all collectors) at the fullest of the step's 1 s samples */
  exportQueueMax: number;
  /** mean duration of the export requests that finished during the step, ms */
  exportMs: number;
  rssMb: number;
  verdict: 'ok' | 'behind' | 'injector-limited';
  p50?: number;
  p99?: number;
  /** spans more than 1 s late, and how many of them left within 0.5 s after one of their pipeline's ticks */
  late: number;
  lateAfterTick: number;
}

interface RunResult {
  name: string;
  steps: StepResult[];
  peakRssMb: number;
  apiPer1k: Record<string, number>;
  events: number;
  lost: number;
  /** lost among events sent more than 3 windows before the shutdown (not in the final flush) */
  lostBeforeFlush: number;
  duplicated: number;
  unmatched: number;
  rootSpans: number;
  /** added latency by when the offline replay emitted the span, and of spans whose live parent is another */
  latencyClasses: { byEvent: number[]; byTick: number[]; otherParent: number[] };
}

async function run(name: string, collectors: CollectorDef[], rates: number[]): Promise<RunResult> {
  log(`\n### run ${name}: ${collectors.length} TraceCollector(s), ${CONFIG.population} objects at rest`);
  const env = await BenchEnv.start({ workload: WORKLOAD, population: CONFIG.population, eventTtlMs: EVENT_TTL_MS, log });
  try {
    const profileDir = profile ? mkdtempSync(join(tmpdir(), `kspan-prof-${name}-`)) : undefined;
    // Stopped at the end to count its spans: it must export what it holds then (flushOnStopFlags).
    const op = await env.startOperator({ extraArgs: flushOnStopFlags(), ...(profileDir ? { cpuProfileDir: profileDir } : {}) });
    const started = Date.now();
    for (const c of collectors) await env.applyCollector(c);
    await env.waitReady(quick ? 60_000 : 300_000);
    // Heap used beside RSS: what the caches hold, apart from V8's spaces and the runtime.
    const heapAtReady = metricSum(await op.metrics(), 'nodejs_heap_size_used_bytes') / 1048576;
    log(`operator ready (caches listed, collectors Ready) in ${((Date.now() - started) / 1000).toFixed(1)} s, RSS ${fmt(op.sample()?.rssMb ?? NaN)} MiB, heap used ${fmt(heapAtReady)} MiB`);
    env.api.resetRequestCounts();

    const coverage = env.coverage();
    const events = env.player.events;
    let expected = 0;
    let expectedUpTo = 0;
    const expectedNow = () => {
      for (; expectedUpTo < events.count; expectedUpTo++) expected += coverage[events.namespaces[expectedUpTo]!]!;
      return expected;
    };
    const meanCoverage = coverage.reduce((a, b) => a + b, 0) / coverage.length;

    const steps: StepResult[] = [];
    const runStart = Date.now();
    for (const rate of rates) {
      env.player.setRate(rate);
      const t0 = Date.now();
      const fromSeq = events.count;
      const cpu0 = op.sample()?.cpuSeconds ?? 0;
      const bench0 = process.cpuUsage();
      const spans0 = env.received.total;
      let lag = 0;
      let pending = 0;
      let dropped = 0;
      // Where spans wait on their way out: the exporter's queue, and how long its requests take.
      let exportQueueMax = 0;
      const exports0 = exportTotals(await op.metrics());
      let exports = exports0;
      while (Date.now() - t0 < CONFIG.stepMs) {
        await new Promise((r) => setTimeout(r, Math.min(1000, CONFIG.stepMs - (Date.now() - t0))));
        const m = await op.metrics();
        lag = expectedNow() - metricSum(m, 'kspan_events_received_total');
        pending = metricSum(m, 'kspan_pending_events');
        dropped = metricSum(m, 'kspan_spans_dropped_total');
        exportQueueMax = Math.max(exportQueueMax, metricSum(m, 'kspan_export_queued_spans'));
        exports = exportTotals(m);
      }
      const seconds = (Date.now() - t0) / 1000;
      const achieved = (events.count - fromSeq) / seconds;
      const benchCpu = process.cpuUsage(bench0);
      const sample = op.sample();
      const perSecond = rate * meanCoverage;
      // Events may wait (pending) for up to a window plus a tick by design; more means a backlog.
      const pendingBound = perSecond * (1 + (1.5 * WINDOW_MS) / 1000);
      const operatorCpuPct = (((sample?.cpuSeconds ?? 0) - cpu0) / seconds) * 100;
      // Behind with CPU to spare means the operator was starved of input: the API test server
      // (in the benchmark's process) could not stream the events fast enough.
      const backlog = lag > perSecond || pending > pendingBound;
      const verdict: StepResult['verdict'] = dropped > 0 || (backlog && operatorCpuPct >= 70) ? 'behind' : backlog || achieved < 0.9 * rate ? 'injector-limited' : 'ok';
      const step: StepResult = {
        rate,
        endedAt: Date.now(),
        achieved,
        operatorCpuPct,
        benchCpuPct: ((benchCpu.user + benchCpu.system) / 1e6 / seconds) * 100,
        lag,
        pending,
        dropped,
        spansPerS: (env.received.total - spans0) / seconds,
        exportQueueMax,
        exportMs: meanExportMs(exports0, exports),
        rssMb: sample?.rssMb ?? Number.NaN,
        verdict,
        late: 0,
        lateAfterTick: 0,
      };
      steps.push(step);
      log(`  ${rate} ev/s: achieved ${fmt(achieved)}, operator CPU ${fmt(step.operatorCpuPct)}%, lag ${lag}, pending ${pending}, spans/s ${fmt(step.spansPerS)}, export queue up to ${step.exportQueueMax}, requests ${fmt(step.exportMs)} ms on average, RSS ${fmt(step.rssMb)} MiB -> ${verdict}`);
      if (verdict !== 'ok') break;
    }
    env.player.stop();
    const injectSeconds = (Date.now() - runStart) / 1000;
    const peakRssMb = op.sample()?.peakRssMb ?? Number.NaN;
    const counts = env.api.requestCounts();
    const apiPer1k: Record<string, number> = {};
    for (const [k, v] of Object.entries(counts)) apiPer1k[k] = (v / events.count) * 1000;
    // An injector-limited last step leaves events the API test server has not delivered yet:
    // they are given time to reach the operator, so that a span lost below is the operator's.
    const caughtUp = await waitUntilRead(() => op.metrics().then((m) => expectedNow() - metricSum(m, 'kspan_events_received_total')), quick ? 10_000 : 60_000);
    if (caughtUp.behind > 0 || caughtUp.seconds >= 1) log(`after the last step: ${caughtUp.behind > 0 ? `still ${caughtUp.behind} events behind` : 'caught up'} in ${fmt(caughtUp.seconds, 1)} s`);
    // Let spans due soon arrive, then SIGTERM: the operator flushes everything still held. A
    // quick step (2 s) is shorter than the hold: without a window and a tick more, a collector
    // whose events all wait for the give-up walk would have no span due before the stop.
    await new Promise((r) => setTimeout(r, quick ? 1.5 * WINDOW_MS + 1000 : 5000));
    const stopAt = Date.now();
    await op.stop();
    await new Promise((r) => setTimeout(r, 300));
    await env.flushReceiver();
    log(`injected ${events.count} events (${env.player.objectWrites} object writes, ${env.player.deletes} deletes) in ${fmt(injectSeconds, 1)} s; received ${env.received.total} spans (${env.received.rootSpans} roots)`);
    if (env.player.errors > 0) log(`player: ${env.player.errors} writes refused, e.g. ${env.player.lastError}`);
    if (op.problems.length > 0) log(`operator warnings: ${op.problems.slice(0, 3).join('\n  ')}`);

    // Latency beyond the intentional hold, and loss/duplicates per collector.
    const defs = env.collectorDefs();
    const scopes = defs.map((def) => {
      const pipelineStart = op.pipelineStarts.get(def.name);
      if (pipelineStart === undefined) throw new Error(`the operator logged no "starting pipeline" line for ${def.name}`);
      return { ...def, pipelineStart };
    });
    const due = dueTimes(WORKLOAD, env.player, {}, scopes);
    const byEvent: number[] = [];
    const byTick: number[] = [];
    const otherParent: number[] = [];
    const perStep = steps.map(() => [] as number[]);
    let lost = 0;
    let lostBeforeFlush = 0;
    let duplicated = 0;
    let unmatched = 0;
    for (const def of scopes) {
      const got = env.received.collector(def.name);
      const { due: dueAt, cause, parent } = due.byCollector.get(def.name)!;
      const ns = new Set(def.namespaces);
      for (let seq = 0; seq < events.count; seq++) {
        if (!ns.has('*') && !ns.has(env.workload.namespaces[events.namespaces[seq]!]!)) continue;
        const n = got.counts[seq]!;
        if (n === 0) {
          lost++;
          if (events.injectedAt[seq]! < stopAt - 3 * WINDOW_MS) lostBeforeFlush++;
          continue;
        }
        if (n > 1) duplicated += n - 1;
        const d = dueAt[seq]!;
        if (Number.isNaN(d)) {
          unmatched++;
          continue;
        }
        if (d > stopAt) continue;
        const receivedAt = env.received.base + got.firstAt[seq]!;
        const added = Math.max(0, receivedAt - d);
        (cause[seq] === DUE_BY_TICK ? byTick : byEvent).push(added);
        if (got.parent[seq] !== parent[seq]) otherParent.push(added);
        // The step the span was due in: its load, not its event's, decides how long it takes.
        const dueIn = steps.findIndex((x) => d < x.endedAt);
        const i = dueIn === -1 ? steps.length - 1 : dueIn;
        const step = steps[i];
        if (!step) continue;
        perStep[i]!.push(added);
        if (added > 1000) {
          step.late++;
          if ((receivedAt - def.pipelineStart) % TICK_MS < 500) step.lateAfterTick++;
        }
      }
    }
    steps.forEach((s, i) => {
      const sorted = sortedCopy(perStep[i]!);
      s.p50 = percentile(sorted, 50);
      s.p99 = percentile(sorted, 99);
    });
    return { name, steps, peakRssMb, apiPer1k, events: events.count, lost, lostBeforeFlush, duplicated, unmatched, rootSpans: due.rootSpans, latencyClasses: { byEvent, byTick, otherParent } };
  } finally {
    await env.close();
  }
}

function printRun(r: RunResult): void {
  log(`\nrun ${r.name}`);
  log(
    table(
      ['target ev/s', 'achieved', 'op CPU %', 'op CPU ms/1k ev', 'bench CPU %', 'lag', 'pending', 'spans/s', 'export queue', 'export ms', 'p50 ms', 'p99 ms', '> 1 s late (after a tick)', 'RSS MiB', 'verdict'],
      r.steps.map((s) => [s.rate, fmt(s.achieved), fmt(s.operatorCpuPct), fmt(cpuPer1k(s)), fmt(s.benchCpuPct), s.lag, s.pending, fmt(s.spansPerS), s.exportQueueMax, fmt(s.exportMs), fmt(s.p50 ?? NaN), fmt(s.p99 ?? NaN), `${s.late} (${s.lateAfterTick})`, fmt(s.rssMb), s.verdict]),
    ),
  );
  const ev = sortedCopy(r.latencyClasses.byEvent);
  const tk = sortedCopy(r.latencyClasses.byTick);
  const op = sortedCopy(r.latencyClasses.otherParent);
  const summary = (xs: Float64Array) => `n=${xs.length} p50 ${fmt(percentile(xs, 50))} ms p99 ${fmt(percentile(xs, 99))} ms`;
  log(`latency beyond hold, spans due on an event: ${summary(ev)}; at a tick: ${summary(tk)}; spans whose parent differs from the offline replay's: ${summary(op)}`);
  log(`peak RSS ${fmt(r.peakRssMb)} MiB; events ${r.events}; lost ${r.lost} (of which sent more than 3 windows before SIGTERM: ${r.lostBeforeFlush}), duplicated ${r.duplicated}, not in the offline replay ${r.unmatched}`);
  const api = Object.entries(r.apiPer1k).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k} ${v.toFixed(3)}`);
  log(`API requests per 1,000 events (steady state): ${api.join(', ') || 'none'}`);
}

/** Operator CPU time per 1,000 events (ms): 1000 means one core is saturated at 1,000 events/s. */
const cpuPer1k = (s: StepResult): number => (s.operatorCpuPct * 10) / (s.achieved / 1000);

/** Polls how many events the operator has still to read until none, or `limitMs`. */
async function waitUntilRead(behind: () => Promise<number>, limitMs: number): Promise<{ behind: number; seconds: number }> {
  const start = Date.now();
  let left = await behind();
  while (left > 0 && Date.now() - start < limitMs) {
    await new Promise((r) => setTimeout(r, 500));
    left = await behind();
  }
  return { behind: left, seconds: (Date.now() - start) / 1000 };
}

function summary(r: RunResult): { eventsPerS: number; p99: number; gets: number; cpuPer1k: number } {
  const ok = r.steps.filter((s) => s.verdict === 'ok');
  const best = ok.reduce<StepResult | undefined>((a, s) => (!a || s.achieved > a.achieved ? s : a), undefined);
  const gets = Object.entries(r.apiPer1k).filter(([k]) => k.startsWith('get ')).reduce((a, [, v]) => a + v, 0);
  // CPU cost at the highest sustained rate: what one core could carry.
  return { eventsPerS: Math.round(best?.achieved ?? 0), p99: best?.p99 ?? Number.NaN, gets, cpuPer1k: best ? cpuPer1k(best) : Number.NaN };
}

async function main(): Promise<void> {
  ensureBuilt(log);
  const a = await run('A', [{ name: 'all', namespaces: ['*'] }], CONFIG.ratesA);
  printRun(a);
  // 20 windows of 8 namespaces, 5 apart: every namespace is in 3 or 4 collectors.
  const names = new Workload(WORKLOAD).namespaces;
  const collectors: CollectorDef[] = Array.from({ length: 20 }, (_, i) => ({
    name: `team-${String(i).padStart(2, '0')}`,
    namespaces: Array.from({ length: 8 }, (_, k) => names[(i * 5 + k) % names.length]!),
  }));
  const b = await run('B', collectors, CONFIG.ratesB);
  printRun(b);

  const sa = summary(a);
  const sb = summary(b);
  log('');
  machine('e2e_events_per_s', sa.eventsPerS);
  machine('e2e_latency_p99_ms', Math.round(sa.p99));
  machine('e2e_peak_rss_mb', a.peakRssMb);
  machine('api_gets_per_1k_events', Number(sa.gets.toFixed(3)));
  machine('e2e_operator_cpu_ms_per_1k_events', Math.round(sa.cpuPer1k));
  machine('e2e_operator_events_per_core_s', Math.round(1_000_000 / sa.cpuPer1k));
  machine('e2e_20_collectors_events_per_s', sb.eventsPerS);
  machine('e2e_20_collectors_latency_p99_ms', Math.round(sb.p99));
  machine('e2e_20_collectors_peak_rss_mb', b.peakRssMb);
  machine('e2e_lost_spans', a.lost + b.lost);
  machine('e2e_duplicate_spans', a.duplicated + b.duplicated);
  const targets: Array<[string, boolean]> = [
    ['>= 10,000 events/s sustained', sa.eventsPerS >= 10_000],
    ['p99 added latency <= 1 s', sa.p99 <= 1000],
    [`peak RSS <= 300 MiB with ${CONFIG.population} objects`, a.peakRssMb <= 300],
    ['<= 1 API GET per 1,000 events', sa.gets <= 1],
  ];
  log(`targets: ${targets.map(([t, ok]) => `${ok ? 'MET' : 'MISSED'} ${t}`).join('; ')}`);
}

await main();
