/**
 * Export throughput: span records like the engine's (13 attributes, 8 service resources) through
 * createOtlpExporter over loopback OTLP/gRPC to the test receiver, which runs in a child process
 * and fully decodes every request (so the figure is end to end, and the receiver's CPU is not
 * charged to the exporter's event loop). Spans are fed as fast as the queue takes them without
 * overflowing; the clock stops when the receiver has decoded the last one.
 *
 *   export_spans_per_s   spans delivered per second
 *   export_peak_rss_mb   peak RSS of the exporting process
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createOtlpExporter } from '../src/export/index.js';
import type { SpanRecord } from '../src/engine/types.js';
import { childReceiverPath } from '../test/support/otlp-receiver/child.js';

const quick = process.argv.includes('--quick');
// Quick still runs long enough (a few seconds) for the JIT to settle on both sides.
const TOTAL = quick ? 100_000 : 300_000;
const CHUNK = 500;
const QUEUE = 20_000;
// Feed up to this many waiting spans: enough to keep every in-flight slot busy, no more.
const FEED_LIMIT = 4_096;

interface CountReply { type: 'count'; spans: number; maxRssMb: number; cpuSeconds: number }

function startChild(): Promise<{ child: ChildProcess; endpoint: string }> {
  const child = fork(childReceiverPath, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`receiver exited (${code})`)));
    child.once('message', (m: { type: string; endpoint: string }) => resolve({ child, endpoint: m.endpoint }));
  });
}

function count(child: ChildProcess): Promise<CountReply> {
  return new Promise((resolve) => {
    child.once('message', (m: CountReply) => resolve(m));
    child.send({ type: 'count' });
  });
}

const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');
const services = Array.from({ length: 8 }, (_, i) => (i < 5 ? { name: 'kubelet', instance: `node-${i}` } : { name: ['default-scheduler', 'replicaset-controller', 'deployment-controller'][i - 5] ?? 'x' }));

function record(n: number): SpanRecord {
  const root = n - (n % 20);
  return {
    traceId: `c0ffee${hex(Math.floor(n / 20) + 1, 26)}`,
    spanId: `5a${hex(n + 1, 14)}`,
    ...(n === root ? {} : { parentSpanId: `5a${hex(root + 1, 14)}` }),
    name: n % 2 ? 'Pod.Pulled' : 'Pod.Scheduled',
    startTime: 1_763_800_000_000 + n * 3.25,
    endTime: 1_763_800_000_000 + n * 3.25 + 1200.5,
    status: n % 50 === 0 ? { code: 'error', message: 'Back-off restarting failed container' } : { code: 'unset' },
    service: services[n % services.length] ?? { name: 'kubelet' },
    attributes: {
      'k8s.namespace.name': 'shop',
      'k8s.pod.name': `web-7d9f8c6b5-${hex(n % 4096, 5)}`,
      'k8s.pod.uid': `3f1c2b4e-9a7d-4c1e-8f00-${hex(n, 12)}`,
      'k8s.object.kind': 'Pod',
      'k8s.object.name': `web-7d9f8c6b5-${hex(n % 4096, 5)}`,
      'k8s.object.uid': `3f1c2b4e-9a7d-4c1e-8f00-${hex(n, 12)}`,
      'k8s.object.api_version': 'v1',
      'k8s.event.reason': n % 2 ? 'Pulled' : 'Scheduled',
      'k8s.event.message': n % 2 ? 'Successfully pulled image "registry.example.com/shop/web:1.42.0" in 1.203s (1.203s including waiting)' : `Successfully assigned shop/web-7d9f8c6b5-${hex(n % 4096, 5)} to node-${n % 5}`,
      'k8s.event.uid': `e1b2c3d4-0000-4000-8000-${hex(n, 12)}`,
      'k8s.event.count': 1 + (n % 3),
      'k8s.event.type': 'Normal',
      'k8s.node.name': `node-${n % 5}`,
    },
    sequence: n,
  };
}

async function main(): Promise<void> {
  const { child, endpoint } = await startChild();
  const exporter = createOtlpExporter(
    // The production defaults (batches of 512, 4 in flight), with room to feed.
    { endpoint, insecure: true, headers: {}, compression: 'none', timeoutMs: 10_000, maxQueueSize: QUEUE, resourceAttributes: { 'k8s.cluster.name': 'bench' } },
  );
  let peakRss = process.memoryUsage.rss();
  let peakHeap = 0;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed + m.external);
  }, 20);

  const receiverCpuBefore = (await count(child)).cpuSeconds;
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  let next = 0;
  while (next < TOTAL) {
    if (exporter.stats().spansQueued > FEED_LIMIT - CHUNK) {
      await new Promise((r) => setTimeout(r, 1));
      continue;
    }
    const chunk: SpanRecord[] = [];
    for (let i = 0; i < CHUNK && next < TOTAL; i++) chunk.push(record(next++));
    exporter.enqueue(chunk);
    await new Promise((r) => setImmediate(r));
  }
  await exporter.flush(Date.now() + 60_000);
  let received = await count(child);
  while (received.spans < TOTAL && exporter.stats().spansExported + exporter.stats().spansDropped >= TOTAL) {
    // The client saw OK: the receiver has it decoded already; this only covers IPC ordering.
    received = await count(child);
    if (received.spans < TOTAL) await new Promise((r) => setTimeout(r, 5));
    if (received.spans < TOTAL && process.hrtime.bigint() - started > 120_000_000_000n) break;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  const exporterCpu = (cpu.user + cpu.system) / 1e6;
  const receiverCpu = received.cpuSeconds - receiverCpuBefore;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage.rss(), process.resourceUsage().maxRSS * 1024);
  const stats = exporter.stats();
  await exporter.shutdown(Date.now() + 5000);
  child.send({ type: 'close' });

  const spansPerS = Math.round(received.spans / seconds);
  const rows: [string, string][] = [
    ['spans sent', String(TOTAL)],
    ['spans decoded by receiver', String(received.spans)],
    ['spans dropped', String(stats.spansDropped)],
    ['export requests', String(stats.exportRequests)],
    ['elapsed', `${seconds.toFixed(2)} s`],
    ['throughput', `${spansPerS} spans/s`],
    ['exporter CPU', `${exporterCpu.toFixed(2)} s (${((exporterCpu / TOTAL) * 1e6).toFixed(1)} µs/span)`],
    ['receiver CPU', `${receiverCpu.toFixed(2)} s (${((receiverCpu / TOTAL) * 1e6).toFixed(1)} µs/span)`],
    ['exporter peak RSS', `${(peakRss / 1024 / 1024).toFixed(1)} MB`],
    ['exporter peak heap+external', `${(peakHeap / 1024 / 1024).toFixed(1)} MB`],
    ['receiver peak RSS', `${received.maxRssMb.toFixed(1)} MB`],
  ];
  for (const [k, v] of rows) process.stdout.write(`${k.padEnd(28)}${v}\n`);
  process.stdout.write(`export_spans_per_s=${spansPerS}\n`);
  process.stdout.write(`export_peak_rss_mb=${(peakRss / 1024 / 1024).toFixed(1)}\n`);
  if (received.spans !== TOTAL || stats.spansDropped !== 0) {
    process.stdout.write('export bench: not every span arrived\n');
    process.exitCode = 1;
  }
}

await main();
