/**
 * Exporter settings -> an OTLP/gRPC transport (@opentelemetry/exporter-trace-otlp-grpc), and a
 * promise-returning send that never rejects.
 *
 * Settings are checked here, before anything is sent: an endpoint the exporter would silently
 * rewrite, plaintext without `insecure: true`, half a client certificate, unreadable PEM, header
 * names gRPC refuses. Error messages never quote header values or key material (Secrets).
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { credentials as grpcCredentials, Metadata, type ChannelCredentials } from '@grpc/grpc-js';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { ResolvedExporterConfig } from '../pipeline/ports.js';
import type { Logger } from '../core/log.js';
import { classifyExportError, type ExportFailure } from './grpc-status.js';

/** An exporter configuration that cannot work; reported through the exporter state, never thrown out. */
export class ExporterConfigError extends Error {
  override readonly name = 'ExporterConfigError';
}

/** The OTLP/gRPC default port, used when an endpoint names none. */
export const DEFAULT_OTLP_GRPC_PORT = 4317;

export interface ParsedEndpoint {
  scheme?: 'http' | 'https';
  host: string;
  port: number;
  /** host:port, the gRPC target */
  address: string;
}

const ENDPOINT = /^(?:(?<scheme>[A-Za-z][A-Za-z0-9+.-]*):\/\/)?(?<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(?::(?<port>[0-9]{1,5}))?\/?$/;

/** `host:port`, `http://host:port` or `https://host:port` (port defaults to 4317). */
export function parseEndpoint(endpoint: string): ParsedEndpoint {
  const match = ENDPOINT.exec(endpoint.trim());
  if (!match?.groups) {
    throw new ExporterConfigError(`endpoint ${JSON.stringify(endpoint)} is not host:port or http(s)://host:port`);
  }
  const { scheme: rawScheme, host = '', port: rawPort } = match.groups;
  const scheme = rawScheme?.toLowerCase();
  if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') {
    throw new ExporterConfigError(`endpoint ${JSON.stringify(endpoint)}: scheme must be http or https, not ${rawScheme}`);
  }
  const port = rawPort === undefined ? DEFAULT_OTLP_GRPC_PORT : Number(rawPort);
  if (port < 1 || port > 65535) throw new ExporterConfigError(`endpoint ${JSON.stringify(endpoint)}: port ${port} is out of range`);
  return { ...(scheme === undefined ? {} : { scheme }), host, port, address: `${host}:${port}` };
}

export interface TransportSettings {
  endpoint: ParsedEndpoint;
  secure: boolean;
  credentials: ChannelCredentials;
  metadata: Metadata;
  compression: 'none' | 'gzip';
  timeoutMs: number;
}

// Headers gRPC itself owns; a user value would break the call or be dropped silently.
const RESERVED_HEADER = /^(grpc-.*|content-type|te|host|connection|transfer-encoding|upgrade)$/;

function buildMetadata(headers: Readonly<Record<string, string>>): Metadata {
  const metadata = new Metadata();
  for (const [rawKey, value] of Object.entries(headers)) {
    const key = rawKey.trim().toLowerCase();
    if (RESERVED_HEADER.test(key)) throw new ExporterConfigError(`header ${JSON.stringify(rawKey)} is reserved by gRPC`);
    try {
      // Binary headers (-bin) carry raw bytes; gRPC base64-encodes them on the wire.
      if (key.endsWith('-bin')) metadata.set(key, Buffer.from(value, 'utf8'));
      else metadata.set(key, value);
    } catch {
      throw new ExporterConfigError(
        `header ${JSON.stringify(rawKey)}: gRPC metadata keys are lowercase letters, digits, '-', '_' and '.', and values printable ASCII`,
      );
    }
  }
  return metadata;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Node's TLS silently ignores a CA that is not PEM; check the material ourselves. */
function parseCertificates(pem: Buffer, what: string): X509Certificate[] {
  const blocks = pem.toString('latin1').match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new ExporterConfigError(`TLS settings are unusable: the ${what} holds no PEM certificate`);
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch {
      throw new ExporterConfigError(`TLS settings are unusable: certificate ${i + 1} of the ${what} cannot be parsed`);
    }
  });
}

function checkTlsMaterial(tls: NonNullable<ResolvedExporterConfig['tls']>): void {
  if (tls.ca !== undefined) parseCertificates(tls.ca, 'CA bundle');
  if (tls.cert === undefined || tls.key === undefined) return;
  const [leaf] = parseCertificates(tls.cert, 'client certificate');
  let key;
  try {
    key = createPrivateKey(tls.key);
  } catch {
    throw new ExporterConfigError('TLS settings are unusable: the client private key cannot be parsed (PEM, unencrypted)');
  }
  if (leaf && !leaf.checkPrivateKey(key)) {
    throw new ExporterConfigError('TLS settings are unusable: the client private key does not match the client certificate');
  }
}

function buildCredentials(config: ResolvedExporterConfig, endpoint: ParsedEndpoint): { secure: boolean; credentials: ChannelCredentials } {
  const tls = config.tls ?? {};
  const hasTls = tls.ca !== undefined || tls.cert !== undefined || tls.key !== undefined;
  if (endpoint.scheme === 'http' && !config.insecure) {
    throw new ExporterConfigError(`endpoint ${config.endpoint} is plaintext (http://); set insecure: true to allow it, or use https://`);
  }
  if (config.insecure && endpoint.scheme === 'https') {
    throw new ExporterConfigError(`endpoint ${config.endpoint} asks for TLS (https://) but insecure: true asks for plaintext`);
  }
  if (config.insecure) {
    if (hasTls) throw new ExporterConfigError('insecure: true (plaintext) conflicts with the TLS settings');
    return { secure: false, credentials: grpcCredentials.createInsecure() };
  }
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    throw new ExporterConfigError('a TLS client certificate needs both a certificate and its private key');
  }
  checkTlsMaterial(tls);
  try {
    return { secure: true, credentials: grpcCredentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null) };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ExporterConfigError(`TLS settings are unusable: ${reason}`);
  }
}

/** Checks a configuration and builds what a transport needs; throws ExporterConfigError. */
export function resolveTransportSettings(config: ResolvedExporterConfig): TransportSettings {
  const endpoint = parseEndpoint(config.endpoint);
  if (!Number.isFinite(config.timeoutMs) || config.timeoutMs <= 0) {
    throw new ExporterConfigError(`timeout must be a positive number of milliseconds, not ${config.timeoutMs}`);
  }
  if (config.compression !== 'none' && config.compression !== 'gzip') {
    throw new ExporterConfigError(`compression must be none or gzip, not ${String(config.compression)}`);
  }
  const { secure, credentials } = buildCredentials(config, endpoint);
  return { endpoint, secure, credentials, metadata: buildMetadata(config.headers), compression: config.compression, timeoutMs: config.timeoutMs };
}

type OtlpGrpcConfig = NonNullable<ConstructorParameters<typeof OTLPTraceExporter>[0]>;

/** What delivery needs from a channel. Sends never reject: a failure resolves to its classification. */
export interface SpanTransport {
  /** undefined on success */
  send(spans: ReadableSpan[]): Promise<ExportFailure | undefined>;
  /** waits for the calls in flight, then closes; never rejects */
  shutdown(): Promise<void>;
}

/** Builds the channel for checked settings; the exporter's tests inject fakes through it. */
export type TransportFactory = (settings: TransportSettings, concurrencyLimit: number) => SpanTransport;

const INHERITED_HEADER_VARIABLES = ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_TRACES_HEADERS'];
let warnedAboutInheritedHeaders = false;

/**
 * The OTLP exporter adds headers from these variables to every request it sends, so in the
 * operator they would reach every collector's endpoint, whoever owns it. Say so, once.
 */
export function warnAboutInheritedHeaders(logger: Pick<Logger, 'warn'>): void {
  if (warnedAboutInheritedHeaders) return;
  const set = INHERITED_HEADER_VARIABLES.filter((name) => (process.env[name] ?? '').trim() !== '');
  if (set.length === 0) return;
  warnedAboutInheritedHeaders = true;
  logger.warn({ variables: set }, 'OTLP header environment variables are set: their headers are sent to every TraceCollector endpoint');
}

/** One OTLP/gRPC channel (@opentelemetry/exporter-trace-otlp-grpc). */
export class Transport implements SpanTransport {
  private readonly exporter: OTLPTraceExporter;

  constructor(readonly settings: TransportSettings, concurrencyLimit: number) {
    const scheme = settings.secure ? 'https' : 'http';
    this.exporter = new OTLPTraceExporter({
      url: `${scheme}://${settings.endpoint.address}`,
      credentials: settings.credentials,
      metadata: settings.metadata,
      compression: settings.compression as NonNullable<OtlpGrpcConfig['compression']>,
      timeoutMillis: settings.timeoutMs,
      concurrencyLimit,
    });
  }

  /** undefined on success. */
  send(spans: ReadableSpan[]): Promise<ExportFailure | undefined> {
    return new Promise((resolve) => {
      try {
        this.exporter.export(spans, (result) => {
          resolve(result.code === ExportResultCode.SUCCESS ? undefined : classifyExportError(result.error));
        });
      } catch (err) {
        resolve(classifyExportError(err));
      }
    });
  }

  /** Waits for the calls in flight, then closes the channel. Never rejects. */
  async shutdown(): Promise<void> {
    try {
      await this.exporter.shutdown();
    } catch {
      // a channel that fails to close has nothing left to deliver
    }
  }
}

function sameBuffer(a: Buffer | undefined, b: Buffer | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.equals(b));
}

export function sameRecord(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

/** Whether two configurations need the same channel (resourceAttributes do not matter here). */
export function sameTransportConfig(a: ResolvedExporterConfig, b: ResolvedExporterConfig): boolean {
  return (
    a.endpoint === b.endpoint &&
    a.insecure === b.insecure &&
    a.compression === b.compression &&
    a.timeoutMs === b.timeoutMs &&
    sameRecord(a.headers, b.headers) &&
    sameBuffer(a.tls?.ca, b.tls?.ca) &&
    sameBuffer(a.tls?.cert, b.tls?.cert) &&
    sameBuffer(a.tls?.key, b.tls?.key)
  );
}

/** The default factory: one OTLP/gRPC channel per settings. */
export const grpcTransportFactory: TransportFactory = (settings, concurrencyLimit) => new Transport(settings, concurrencyLimit);
