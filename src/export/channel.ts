/** The gRPC channel for the current configuration, replaced by a fresh one after UNAVAILABLE. */
import { status as grpcStatus } from '@grpc/grpc-js';
import type { Logger } from '../core/log.js';
import type { ResolvedExporterConfig } from '../pipeline/ports.js';
import type { ExportFailure } from './grpc-status.js';
import {
  ExporterConfigError,
  resolveTransportSettings,
  warnAboutInheritedHeaders,
  type SpanTransport,
  type TransportFactory,
  type TransportSettings,
} from './transport.js';

export type ConfigureResult = { ok: true; address: string } | { ok: false; message: string };

export class Channel {
  private settings: TransportSettings | undefined;
  private transport: SpanTransport | undefined;
  /** the channel failed with UNAVAILABLE: open a new one for the next attempt */
  private stale = false;

  constructor(
    private readonly createTransport: TransportFactory,
    /** passed to each transport; must exceed the exporter's own in-flight limit so that ours binds */
    private readonly concurrencyLimit: number,
    private readonly logger: Logger,
  ) {}

  /** Whether the configuration is usable (false while it is invalid, and after close()). */
  get usable(): boolean {
    return this.settings !== undefined;
  }

  /** host:port of the endpoint, while usable */
  get address(): string | undefined {
    return this.settings?.endpoint.address;
  }

  /** Checks a configuration and closes the old channel; the next attempt opens one for the new settings. */
  configure(config: ResolvedExporterConfig): ConfigureResult {
    const old = this.transport;
    this.transport = undefined;
    this.stale = false;
    if (old) void old.shutdown();
    warnAboutInheritedHeaders(this.logger);
    try {
      this.settings = resolveTransportSettings(config);
      return { ok: true, address: this.settings.endpoint.address };
    } catch (err) {
      this.settings = undefined;
      return { ok: false, message: err instanceof ExporterConfigError ? err.message : `unexpected error: ${String(err)}` };
    }
  }

  /** The channel for the next attempt; undefined while the configuration is invalid. */
  current(): SpanTransport | undefined {
    if (!this.settings) return undefined;
    if (this.transport && this.stale) {
      void this.transport.shutdown();
      this.transport = undefined;
    }
    this.stale = false;
    this.transport ??= this.createTransport(this.settings, this.concurrencyLimit);
    return this.transport;
  }

  /**
   * After UNAVAILABLE the next attempt uses a fresh channel: grpc-js's own reconnect backoff (up
   * to 2 minutes) would otherwise decide when a collector that came back is reached, not ours.
   * Other failures came over a working connection, which is kept.
   */
  noteFailure(failure: ExportFailure): void {
    if (failure.code === grpcStatus.UNAVAILABLE) this.stale = true;
  }

  /** Stops using the channel (at shutdown) and hands it over to be closed; no channel opens after this. */
  release(): SpanTransport | undefined {
    const transport = this.transport;
    this.transport = undefined;
    this.settings = undefined;
    return transport;
  }
}
