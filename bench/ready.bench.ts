/**
 * The real `kspan operator`'s memory once it is ready (caches listed, collectors Ready), with the
 * e2e benchmark's cluster at rest (200,000 objects; --quick: 10,000) and no workload: one
 * TraceCollector over all namespaces, then (another operator) the e2e's 20 over overlapping sets
 * of namespaces. Heap used at ready counts garbage not collected yet (the lists leave some,
 * however they are read), so the heap is also given after the full collection a heap snapshot
 * makes: what is alive. Heap used at ready depends on when V8's last full collection fell
 * against the end of the lists, so the memory is also read again once the operator has been at
 * rest for SETTLE_MS (V8 collects once the allocation stops), and the peak RSS is given: what a
 * memory limit must leave room for.
 *
 *   npm run bench -- ready [--quick] [--operator-from=DIR]
 *
 * --operator-from=DIR: the operator built in another checkout (before/after in one sitting).
 */

import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchEnv, type CollectorDef } from './support/environment.js';
import { ensureBuilt, metricSum, type OperatorProcess } from './support/operator-process.js';
import { fmt, log, machine, table } from './support/report.js';
import { Workload, type WorkloadOptions } from './support/workload.js';

const quick = process.argv.includes('--quick');
const POPULATION = quick ? 10_000 : 200_000;
const SETTLE_MS = 15_000;
/** the e2e benchmark's workload */
const WORKLOAD: WorkloadOptions = { seed: 42, namespaces: 50 };

interface Memory {
  rssMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
}

async function memory(op: OperatorProcess): Promise<Memory> {
  const m = await op.metrics();
  const mib = (name: string) => metricSum(m, name) / 1048576;
  return { rssMb: op.sample()?.rssMb ?? Number.NaN, heapUsedMb: mib('nodejs_heap_size_used_bytes'), heapTotalMb: mib('nodejs_heap_size_total_bytes'), externalMb: mib('nodejs_external_memory_bytes') };
}

/** SIGUSR2 (--heapsnapshot-signal), then waits until the snapshot file stops growing. */
async function snapshot(op: OperatorProcess, dir: string): Promise<void> {
  op.child.kill('SIGUSR2');
  let last = -1;
  for (;;) {
    await new Promise((r) => setTimeout(r, 1000));
    const size = readdirSync(dir).reduce((a, f) => a + statSync(join(dir, f)).size, 0);
    if (size > 0 && size === last) return;
    last = size;
  }
}

async function run(name: string, collectors: CollectorDef[]): Promise<{ ready: Memory; settled: Memory; live: Memory; peakRssMb: number; seconds: number; cpuSeconds: number }> {
  const env = await BenchEnv.start({ workload: WORKLOAD, population: POPULATION, log });
  const dir = mkdtempSync(join(tmpdir(), `kspan-ready-${name}-`));
  try {
    const op = await env.startOperator({ heapSnapshotDir: dir });
    const started = Date.now();
    for (const c of collectors) await env.applyCollector(c);
    await env.waitReady(quick ? 60_000 : 600_000);
    const seconds = (Date.now() - started) / 1000;
    const cpuSeconds = op.sample()?.cpuSeconds ?? Number.NaN;
    const ready = await memory(op);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const settled = await memory(op);
    const peakRssMb = op.sample()?.peakRssMb ?? Number.NaN;
    await snapshot(op, dir);
    const live = await memory(op);
    return { ready, settled, live, peakRssMb, seconds, cpuSeconds };
  } finally {
    await env.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

ensureBuilt(log);
const names = new Workload(WORKLOAD).namespaces;
const runs: Array<[string, CollectorDef[]]> = [
  ['1', [{ name: 'all', namespaces: ['*'] }]],
  // as in the e2e: 20 windows of 8 namespaces, 5 apart
  ['20', Array.from({ length: 20 }, (_, i) => ({ name: `team-${String(i).padStart(2, '0')}`, namespaces: Array.from({ length: 8 }, (_, k) => names[(i * 5 + k) % names.length]!) }))],
];
const rows: Array<Array<string | number>> = [];
for (const [name, collectors] of runs) {
  const r = await run(name, collectors);
  rows.push([name, fmt(r.seconds, 1), fmt(r.cpuSeconds, 1), fmt(r.ready.rssMb), fmt(r.ready.heapUsedMb), fmt(r.ready.heapTotalMb), fmt(r.ready.externalMb), fmt(r.settled.rssMb), fmt(r.settled.heapUsedMb), fmt(r.peakRssMb), fmt(r.live.heapUsedMb)]);
  const key = name === '1' ? 'ready' : 'ready_20_collectors';
  machine(`${key}_rss_mb`, Math.round(r.ready.rssMb));
  machine(`${key}_heap_used_mb`, Math.round(r.ready.heapUsedMb));
  machine(`${key}_settled_rss_mb`, Math.round(r.settled.rssMb));
  machine(`${key}_settled_heap_used_mb`, Math.round(r.settled.heapUsedMb));
  machine(`${key}_peak_rss_mb`, Math.round(r.peakRssMb));
  machine(`${key}_heap_live_mb`, Math.round(r.live.heapUsedMb));
}
log(`\n${POPULATION} objects at rest`);
log(table(['collectors', 'ready in s', 'CPU s', 'RSS MiB', 'heap used MiB', 'heap total MiB', 'external MiB', `RSS ${SETTLE_MS / 1000} s later`, 'heap used then', 'peak RSS MiB', 'heap alive MiB (after a full GC)'], rows));
