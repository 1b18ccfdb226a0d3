/** Counts of export requests and exported spans, and the per-request listeners (export latency). */
import type { Logger } from '../core/log.js';
import type { ExporterStats, ExportRequestInfo } from '../pipeline/ports.js';
import type { DropReason } from './drops.js';

export interface OtlpExporterStats extends ExporterStats {
  spansDroppedByReason: Record<DropReason, number>;
  /** of spansQueued, those in batches being sent or waiting to retry */
  spansInFlight: number;
  exportRequests: number;
  failedExportRequests: number;
}

export class DeliveryCounters {
  spansExported = 0;
  exportRequests = 0;
  failedExportRequests = 0;
  /** ms since epoch of the last successful export */
  lastExportTime: number | undefined;
  private readonly listeners: ((request: ExportRequestInfo) => void)[] = [];

  constructor(private readonly logger: Logger) {}

  onRequest(listener: (request: ExportRequestInfo) => void): void {
    this.listeners.push(listener);
  }

  /** After every answer, before it is acted on; a throwing listener costs only its own call. */
  answered(request: ExportRequestInfo): void {
    for (const listener of this.listeners) {
      try {
        listener(request);
      } catch (err) {
        this.logger.error({ err }, 'span exporter: an export request listener threw');
      }
    }
  }
}
