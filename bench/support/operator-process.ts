/**
 * The built `kspan operator` as the benchmarks run it: `dist/cli.js operator` in its own process
 * with a kubeconfig, exactly as a user would start it. Reads its memory and CPU from /proc and
 * its /metrics over HTTP. `npm run build` runs first when dist/ is missing or older than src/.
 */

import { createInterface } from 'node:readline';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(REPO, 'dist/cli.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds dist/ when it is missing or older than a source file. */
export function ensureBuilt(log: (line: string) => void): void {
  if (existsSync(CLI) && statSync(CLI).mtimeMs >= newestMtime(join(REPO, 'src'))) return;
  log('dist/ is missing or stale: npm run build');
  const result = spawnSync('npm', ['run', 'build'], { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) {
    if (!existsSync(CLI)) throw new Error('npm run build failed and there is no dist/cli.js');
    log('npm run build failed: using the existing dist/');
  }
}

export interface ProcSample {
  /** resident set size now, MiB */
  rssMb: number;
  /** peak resident set size (VmHWM), MiB */
  peakRssMb: number;
  /** user + system CPU time so far, seconds */
  cpuSeconds: number;
}

export function procSample(pid: number): ProcSample | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    // /proc/<pid>/stat: fields 14 and 15 (utime, stime) in clock ticks, after the ")" of the name.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024, cpuSeconds: ticks / 100 };
  } catch {
    return undefined;
  }
}

const readDockerfile = (): string => readFileSync(join(REPO, 'Dockerfile'), 'utf8');

/** The image's runtime stage: the Dockerfile's lines after its last FROM, trimmed. */
function runtimeStage(dockerfile: string): string[] {
  const lines = dockerfile.split('\n').map((l) => l.trim());
  return lines.slice(lines.findLastIndex((l) => /^FROM\s/i.test(l)));
}

/**
 * The Node.js runtime flags of the image's ENTRYPOINT (what comes between node and the script):
 * the benchmarks measure the operator as it runs in a cluster.
 */
export function imageNodeFlags(dockerfile = readDockerfile()): string[] {
  const line = runtimeStage(dockerfile).filter((l) => /^ENTRYPOINT\s+\[/.test(l)).at(-1);
  if (!line) throw new Error('the Dockerfile has no exec-form ENTRYPOINT');
  const argv = JSON.parse(line.replace(/^ENTRYPOINT\s+/, '')) as string[];
  const script = argv.findIndex((a, i) => i > 0 && !a.startsWith('-'));
  return argv.slice(1, script === -1 ? argv.length : script);
}

/**
 * The environment the image's runtime stage sets (`ENV` lines, `KEY=VALUE` form), which the
 * benchmarks give the operator beside PATH: e.g. glibc's malloc settings shape its RSS as much as
 * the Node.js flags do.
 */
export function imageEnv(dockerfile = readDockerfile()): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of runtimeStage(dockerfile)) {
    const match = /^ENV\s+(.*)$/i.exec(line);
    if (!match) continue;
    for (const pair of match[1]!.trim().split(/\s+/)) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new Error(`the Dockerfile's ENV ${pair}: only the KEY=VALUE form is read`);
      env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return env;
}

/**
 * `--operator-heap-mib=N` on the benchmark's command line: the operator also gets
 * `--max-old-space-size=N`, the heap ceiling it has in a container with a memory limit (Node.js
 * sizes its heap from the cgroup's limit). Without it the ceiling comes from this machine's
 * 24 GiB, which no pod has.
 */
export function heapCeilingFlags(argv: readonly string[] = process.argv): string[] {
  const arg = argv.find((a) => a.startsWith('--operator-heap-mib='));
  if (arg === undefined) return [];
  const mib = Number(arg.slice('--operator-heap-mib='.length));
  if (!Number.isInteger(mib) || mib <= 0) throw new Error(`${arg}: expected a whole number of MiB`);
  return [`--max-old-space-size=${mib}`];
}

/**
 * `--operator-from=DIR` on the benchmark's command line: run the operator built in another
 * checkout (DIR/dist/cli.js, built there), against this checkout's API test server and workload,
 * so that two versions of the operator are compared with the same injector in one sitting.
 */
export function operatorCli(argv: readonly string[] = process.argv): string {
  const arg = argv.find((a) => a.startsWith('--operator-from='));
  if (arg === undefined) return CLI;
  const cli = join(arg.slice('--operator-from='.length), 'dist/cli.js');
  if (!existsSync(cli)) throw new Error(`${arg}: no ${cli} (npm run build there first)`);
  return cli;
}

/**
 * The flags that make the operator export everything it holds when it is stopped (SIGTERM): with
 * checkpoints (docs/design.md §4.8) it hands what it holds over to the next leader instead, and a
 * benchmark that stops it to count its spans has no next leader. Empty for an operator (from
 * --operator-from) older than checkpoints, which always flushes.
 */
export function flushOnStopFlags(): string[] {
  // One operator per benchmark process: its --help is read once.
  if (flushFlags === undefined) {
    const help = spawnSync(process.execPath, [operatorCli(), 'operator', '--help'], { encoding: 'utf8' });
    flushFlags = `${help.stdout}${help.stderr}`.includes('--checkpoint-interval-seconds') ? ['--checkpoint-interval-seconds', '0'] : [];
  }
  return flushFlags;
}
let flushFlags: string[] | undefined;

export interface OperatorOptions {
  kubeconfig: string;
  /** write a V8 CPU profile to this directory (node --cpu-prof), sampled every 10 ms, and the operator's log beside it */
  cpuProfileDir?: string;
  /** write a heap snapshot to this directory on SIGUSR2 (node --heapsnapshot-signal) */
  heapSnapshotDir?: string;
  extraArgs?: string[];
  /** node runtime flags (default: the image's, imageNodeFlags()) */
  nodeFlags?: string[];
}

/** A running operator process. */
export class OperatorProcess {
  readonly problems: string[] = [];
  /** when each collector's pipeline started (its log line), by collector name: its engine ticks from then on, every window/2 */
  readonly pipelineStarts = new Map<string, number>();
  /** with --leader-elect: when it became leader */
  ledAt: number | undefined;
  /** its pipelines' `continued from the checkpoint` lines (docs/design.md §4.8), by collector name */
  readonly continuations = new Map<string, { at: number; eventsReplayed: number; spansSuppressed: number }>();
  private metricsAddress: string | undefined;
  private exitCode: number | null | undefined;
  private readonly exit: Promise<number | null>;

  private constructor(
    readonly child: ChildProcess,
    /** the Node.js runtime flags it was started with */
    readonly nodeFlags: readonly string[],
    /** every log line, to read beside a CPU profile */
    logCopy: Writable | undefined,
  ) {
    if (child.stdout) {
      createInterface({ input: child.stdout }).on('line', (line) => {
        logCopy?.write(`${line}\n`);
        this.onLog(line);
      });
    }
    child.stderr?.on('data', (chunk: Buffer) => {
      if (this.problems.length < 50) this.problems.push(chunk.toString().trim());
    });
    this.exit = new Promise((resolve) =>
      child.on('exit', (code) => {
        logCopy?.end();
        this.exitCode = code;
        resolve(code);
      }),
    );
  }

  static async start(options: OperatorOptions): Promise<OperatorProcess> {
    const nodeArgs: string[] = [...(options.nodeFlags ?? imageNodeFlags()), ...heapCeilingFlags()];
    // 10 ms samples: a 20-minute soak stays a profile of tens of MB, and stalls of seconds still show
    if (options.cpuProfileDir) nodeArgs.push('--cpu-prof', '--cpu-prof-interval', '10000', '--cpu-prof-dir', options.cpuProfileDir);
    if (options.heapSnapshotDir) nodeArgs.push('--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${options.heapSnapshotDir}`);
    const child = spawn(
      process.execPath,
      [...nodeArgs, operatorCli(), 'operator', '--kubeconfig', options.kubeconfig, '--metrics-bind-address', '127.0.0.1:0', '--health-bind-address', '0', '--log-level', 'info', ...(options.extraArgs ?? [])],
      { env: { PATH: process.env['PATH'] ?? '', ...imageEnv() }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const op = new OperatorProcess(child, nodeArgs, options.cpuProfileDir ? createWriteStream(join(options.cpuProfileDir, 'operator.log')) : undefined);
    const until = Date.now() + 20_000;
    while (!op.metricsAddress) {
      if (op.exitCode !== undefined) throw new Error(`the operator exited with ${op.exitCode}: ${op.problems.join('\n')}`);
      if (Date.now() > until) throw new Error('the operator did not start within 20 s');
      await new Promise((r) => setTimeout(r, 20));
    }
    return op;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get exited(): boolean {
    return this.exitCode !== undefined;
  }

  sample(): ProcSample | undefined {
    return procSample(this.pid);
  }

  /** Prometheus text from /metrics, parsed into name{labels} -> value. */
  /**
   * The operator's /metrics. A reset connection (a kept-alive socket the server closed as it was
   * reused) is retried once on a new one; a dead operator is reported with its exit code.
   */
  async metrics(): Promise<Map<string, number>> {
    const get = async () => (await fetch(`http://${this.metricsAddress}/metrics`, { signal: AbortSignal.timeout(60_000) })).text();
    let text: string;
    try {
      text = await get();
    } catch (err) {
      if (this.exitCode !== undefined) throw new Error(`the operator exited with ${this.exitCode}: ${this.problems.slice(-3).join('\n')}`);
      this.problems.push(`metrics request failed, retried: ${String((err as { cause?: unknown }).cause ?? err)}`);
      text = await get();
    }
    const out = new Map<string, number>();
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      const space = line.lastIndexOf(' ');
      out.set(line.slice(0, space), Number(line.slice(space + 1)));
    }
    return out;
  }

  /** SIGTERM (flushes), then wait for the exit; SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 15_000): Promise<number | null> {
    if (this.exitCode === undefined) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exit;
    clearTimeout(timer);
    return code;
  }

  /** SIGKILL, as a node loss: no flush, no Lease release. */
  async kill(): Promise<void> {
    if (this.exitCode === undefined) this.child.kill('SIGKILL');
    await this.exit;
  }

  private onLog(line: string): void {
    let parsed: { level?: number | string; msg?: string; address?: string; time?: string; collector?: { name?: string }; eventsReplayed?: number; spansSuppressed?: number };
    try {
      parsed = JSON.parse(line) as typeof parsed;
    } catch {
      return;
    }
    if (parsed.msg === 'serving /metrics' && parsed.address) this.metricsAddress = parsed.address;
    if (parsed.msg === 'starting pipeline' && typeof parsed.time === 'string' && typeof parsed.collector?.name === 'string') {
      this.pipelineStarts.set(parsed.collector.name, Date.parse(parsed.time));
    }
    if (parsed.msg === 'became leader') this.ledAt = Date.now();
    if (parsed.msg === 'continued from the checkpoint' && typeof parsed.collector?.name === 'string') {
      this.continuations.set(parsed.collector.name, { at: Date.now(), eventsReplayed: Number(parsed.eventsReplayed), spansSuppressed: Number(parsed.spansSuppressed) });
    }
    const level = typeof parsed.level === 'number' ? parsed.level : { warn: 40, error: 50, fatal: 60 }[String(parsed.level)] ?? 30;
    if (level >= 40 && this.problems.length < 50) this.problems.push(line.slice(0, 500));
  }
}

/** Sum of a metric over every label set (e.g. kspan_events_received_total over all collectors). */
export function metricSum(metrics: Map<string, number>, name: string): number {
  let sum = 0;
  for (const [key, value] of metrics) if (key === name || key.startsWith(`${name}{`)) sum += value;
  return sum;
}

/** Export requests finished so far and their total duration, from kspan_export_duration_seconds; `sum` picks the series (default: every collector's). */
export function exportTotals(metrics: Map<string, number>, sum = metricSum): { seconds: number; count: number } {
  return { seconds: sum(metrics, 'kspan_export_duration_seconds_sum'), count: sum(metrics, 'kspan_export_duration_seconds_count') };
}

/** Mean duration, ms, of the export requests finished between two exportTotals; NaN when none finished. */
export function meanExportMs(before: { seconds: number; count: number }, after: { seconds: number; count: number }): number {
  const requests = after.count - before.count;
  return requests > 0 ? ((after.seconds - before.seconds) / requests) * 1000 : Number.NaN;
}

export function metricMax(metrics: Map<string, number>, name: string): number {
  let max = 0;
  for (const [key, value] of metrics) if (key === name || key.startsWith(`${name}{`)) max = Math.max(max, value);
  return max;
}
