/**
 * OTLP/gRPC export of span records, one exporter per TraceCollector.
 *
 *   const exporter = createOtlpExporter(resolvedConfig, { logger });
 *   exporter.onStateChange((s) => ...);       // ExporterReady condition
 *   exporter.enqueue(spans);                  // never throws, never blocks
 *   exporter.update(newResolvedConfig);       // changed spec or Secret; queued spans kept
 *   await exporter.shutdown(Date.now() + 10_000);
 */
import type { ResolvedExporterConfig } from '../pipeline/ports.js';
import { OtlpExporter } from './exporter.js';
import type { OtlpExporterOptions } from './options.js';

export { OtlpExporter };
export type { OtlpExporterStats } from './stats.js';
export type { DropReason } from './drops.js';
export type { OtlpExporterOptions } from './options.js';
export { classifyExportError, statusName, type ExportFailure } from './grpc-status.js';
export { K8S_CLUSTER_UID, spanResourceAttributes } from './resource-attributes.js';
export { invalidRecordReason, isValidSpanId, isValidTraceId, ResourceCache, toHrTime, toReadableSpan } from './spans.js';
export {
  DEFAULT_OTLP_GRPC_PORT,
  ExporterConfigError,
  parseEndpoint,
  resolveTransportSettings,
  type ParsedEndpoint,
  type SpanTransport,
  type TransportFactory,
  type TransportSettings,
} from './transport.js';

/**
 * An exporter for one collector. A configuration that cannot work (e.g. plaintext without
 * `insecure: true`) does not throw: the exporter reports it in its state (InvalidSpec) and keeps
 * spans queued until update() brings a usable one. Bad tunables in `options` do throw (RangeError).
 */
export function createOtlpExporter(config: ResolvedExporterConfig, options?: OtlpExporterOptions): OtlpExporter {
  return new OtlpExporter(config, options);
}
