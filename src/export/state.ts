/** The exporter's condition (the ExporterReady reason and message): told to listeners, logged on transitions. */
import { ConditionReason } from '../api/conditions.js';
import type { Logger } from '../core/log.js';
import type { ExporterState } from '../pipeline/ports.js';
import type { ExportFailure } from './grpc-status.js';
import type { ConfigureResult } from './channel.js';

/**
 * Ready until a failure; ExporterUnavailable (retrying) or ExportRejected (dropped) with the gRPC
 * status name and details; ExportSucceeded again after a success; InvalidSpec while the
 * configuration cannot work. Listeners hear of every change of reason or message; the log only
 * of changes of readiness or reason, so a retry loop with varying details does not flood it.
 */
export class ExporterStatus {
  private state: ExporterState = { ready: true, reason: ConditionReason.Ready, message: '' };
  private readonly listeners: ((state: ExporterState) => void)[] = [];

  constructor(
    private readonly logger: Logger,
    /** the endpoint as configured, for log lines */
    private readonly endpoint: () => string,
  ) {}

  /** a copy */
  get current(): ExporterState {
    return { ...this.state };
  }

  onChange(listener: (state: ExporterState) => void): void {
    this.listeners.push(listener);
  }

  configured(result: ConfigureResult): void {
    if (!result.ok) {
      this.set({ ready: false, reason: ConditionReason.InvalidSpec, message: `invalid exporter configuration: ${result.message}` });
    } else if (this.state.reason === ConditionReason.InvalidSpec || this.state.message === '') {
      // A working configuration's outcome (succeeded, unavailable) stands until the next export says otherwise.
      this.set({ ready: true, reason: ConditionReason.Ready, message: `ready to export to ${result.address}` });
    }
  }

  exported(address: string): void {
    this.set({ ready: true, reason: ConditionReason.ExportSucceeded, message: `exporting to ${address}` });
  }

  rejected(failure: ExportFailure, address: string): void {
    this.set({
      ready: false,
      reason: ConditionReason.ExportRejected,
      message: `${failure.codeName}: ${failure.details} (${address} rejected the spans; they were dropped)`,
    });
  }

  unavailable(failure: ExportFailure, address: string): void {
    this.set({
      ready: false,
      reason: ConditionReason.ExporterUnavailable,
      message: `${failure.codeName}: ${failure.details} (exporting to ${address}, retrying)`,
    });
  }

  private set(next: ExporterState): void {
    const prev = this.state;
    if (prev.ready === next.ready && prev.reason === next.reason && prev.message === next.message) return;
    this.state = next;
    if (prev.ready !== next.ready || prev.reason !== next.reason) {
      const log = { ready: next.ready, reason: next.reason, message: next.message, endpoint: this.endpoint() };
      if (next.ready) this.logger.info(log, 'span exporter state changed');
      else this.logger.warn(log, 'span exporter state changed');
    }
    for (const listener of this.listeners) {
      try {
        listener({ ...next });
      } catch (err) {
        this.logger.error({ err }, 'span exporter: state listener failed');
      }
    }
  }
}
