/**
 * The interfaces a Pipeline needs from the edges. The composition root wires concrete
 * implementations (export/, kube/) into them; tests wire fakes or the real thing.
 */

import type { SpanRecord } from '../engine/types.js';

/** Exporter settings with Secrets already resolved (by the controller, from the collector's namespace). */
export interface ResolvedExporterConfig {
  /** host:port or http(s)://host:port, as in the spec */
  endpoint: string;
  insecure: boolean;
  /** gRPC metadata from headersSecretRef */
  headers: Readonly<Record<string, string>>;
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
  compression: 'none' | 'gzip';
  timeoutMs: number;
  /** the collector's resourceAttributes, added to every span's resource */
  resourceAttributes: Readonly<Record<string, string>>;
}

export interface ExporterState {
  /** true after the last export attempt succeeded (or before any was made) */
  ready: boolean;
  /** e.g. ExportSucceeded, ExporterUnavailable, ExportRejected */
  reason: string;
  message: string;
}

export interface ExporterStats {
  spansExported: number;
  spansDropped: number;
  spansQueued: number;
  /** ms since epoch of the last successful export */
  lastExportTime?: number;
  state: ExporterState;
}

/** One per TraceCollector. */
export interface SpanExporterPort {
  /** Queue finished spans for delivery. Never throws, never blocks; a full queue drops the oldest. */
  enqueue(spans: readonly SpanRecord[]): void;
  /** Apply new settings (endpoint, TLS, headers from a changed Secret) without losing queued spans. */
  update(config: ResolvedExporterConfig): void;
  /** Deliver everything queued, giving up at the deadline (ms since epoch). */
  flush(deadline: number): Promise<void>;
  /** Flush, then release connections. */
  shutdown(deadline: number): Promise<void>;
  stats(): ExporterStats;
  onStateChange(listener: (state: ExporterState) => void): void;
}
