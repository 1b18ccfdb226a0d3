/** A recording SpanExporterPort for unit tests. */

import type { SpanRecord } from '../../../src/engine/types.js';
import type { ExporterState, ExporterStats, ResolvedExporterConfig, SpanExporterPort } from '../../../src/pipeline/ports.js';

export class FakeExporter implements SpanExporterPort {
  readonly exported: SpanRecord[] = [];
  /** what happened, in order: `enqueue <n>` and `flush` */
  readonly calls: string[] = [];
  readonly updates: ResolvedExporterConfig[] = [];
  shutdownCalls = 0;
  state: ExporterState = { ready: true, reason: 'ExportSucceeded', message: '' };
  private listeners: Array<(s: ExporterState) => void> = [];

  constructor(public config: ResolvedExporterConfig) {}

  enqueue(spans: readonly SpanRecord[]): void {
    this.calls.push(`enqueue ${spans.length}`);
    this.exported.push(...spans);
    for (const listener of this.settledListeners) listener(spans);
  }
  private readonly settledListeners: Array<(spans: readonly SpanRecord[]) => void> = [];
  onSettled(listener: (spans: readonly SpanRecord[]) => void): void {
    this.settledListeners.push(listener);
  }
  update(config: ResolvedExporterConfig): void {
    this.config = config;
    this.updates.push(config);
  }
  async flush(): Promise<void> {
    this.calls.push('flush');
  }
  async shutdown(): Promise<void> {
    this.shutdownCalls++;
  }
  stats(): ExporterStats {
    const stats: ExporterStats = { spansExported: this.exported.length, spansDropped: 0, spansQueued: 0, state: this.state };
    if (this.exported.length > 0) stats.lastExportTime = Date.parse('2026-01-01T00:00:00Z');
    return stats;
  }
  onStateChange(listener: (state: ExporterState) => void): void {
    this.listeners.push(listener);
  }
  setState(state: ExporterState): void {
    this.state = state;
    for (const l of this.listeners) l(state);
  }
}

export function exporterConfig(endpoint = '127.0.0.1:4317'): ResolvedExporterConfig {
  return { endpoint, insecure: true, headers: {}, compression: 'none', timeoutMs: 1000, maxQueueSize: 10_000, resourceAttributes: {} };
}
