/** `kspan replay --otlp-endpoint`: send the replayed spans to an OTLP/gRPC endpoint, like the operator. */

import type { SpanRecord } from '../engine/types.js';

export interface OtlpReplayTarget {
  endpoint: string;
  insecure: boolean;
  timeoutMs: number;
  /** the recorded cluster's uid (the capture header's), k8s.cluster.uid on every span's resource */
  clusterUid?: string | undefined;
}

export interface OtlpReplayResult {
  exported: number;
  dropped: number;
  /** why spans were not delivered, when some were not */
  problem?: string;
}

/** Exports `spans` and waits (at most timeoutMs) until they are delivered or given up on. */
export async function exportSpans(spans: readonly SpanRecord[], target: OtlpReplayTarget): Promise<OtlpReplayResult> {
  // Loaded on demand: the gRPC stack is only needed when exporting.
  const { createOtlpExporter } = await import('../export/index.js');
  const exporter = createOtlpExporter({
    endpoint: target.endpoint,
    insecure: target.insecure,
    headers: {},
    compression: 'none',
    timeoutMs: target.timeoutMs,
    // every span is queued at once: the queue must hold them all
    maxQueueSize: Math.max(1, spans.length),
    resourceAttributes: {},
  }, { clusterUid: target.clusterUid });
  exporter.enqueue(spans);
  await exporter.shutdown(Date.now() + target.timeoutMs);
  const stats = exporter.stats();
  const result: OtlpReplayResult = { exported: stats.spansExported, dropped: spans.length - stats.spansExported };
  if (result.dropped > 0) result.problem = stats.state.message || stats.state.reason;
  return result;
}
