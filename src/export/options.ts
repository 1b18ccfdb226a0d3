/**
 * Exporter tunables and injectables, with their defaults and checks (a bad tunable is a
 * programming error: RangeError at construction, unlike a bad exporter configuration).
 */
import { systemClock, type Clock, type RandomSource } from '../core/clock.js';
import { silentLogger, type Logger } from '../core/log.js';
import { grpcTransportFactory, type TransportFactory } from './transport.js';

export interface OtlpExporterOptions {
  /** spans per export request (default 512) */
  maxBatchSize?: number;
  /**
   * longest a span waits for its batch to fill (default 200 ms, as the OpenTelemetry Collector's
   * batch processor): at a busy cluster's rates batches fill by size first; at quieter ones this
   * is what a span waits on top of the correlation hold
   */
  maxDelayMs?: number;
  /** export requests in flight, retries waiting included (default 4, at most 25: the OTLP exporter refuses a 31st) */
  maxInFlight?: number;
  /** first retry delay (default 500 ms), doubled per attempt up to maxBackoffMs (default 30 s), with jitter */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** how long one batch is retried before it is dropped (default 5 min) */
  retryDeadlineMs?: number;
  /** at most one drop summary per reason per interval (default 10 s) */
  dropLogIntervalMs?: number;
  /** distinct (service, instance) Resources kept (default 1000) */
  maxResources?: number;
  /** k8s.cluster.uid on every span's resource, unless the collector's resourceAttributes set it (default: none) */
  clusterUid?: string | undefined;
  /** the exporter logs only state transitions, rate-limited drop summaries and its own faults */
  logger?: Logger;
  /** time and timers (default the system clock); deadlines passed to flush/shutdown are read on it */
  clock?: Clock;
  /** for backoff jitter (default Math.random) */
  random?: RandomSource;
  /** builds the channel for checked settings (default: OTLP/gRPC); for tests */
  createTransport?: TransportFactory;
}

/** Options with defaults applied. */
export interface ExporterTunables {
  maxBatchSize: number;
  maxDelayMs: number;
  maxInFlight: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  retryDeadlineMs: number;
  dropLogIntervalMs: number;
  maxResources: number;
  clusterUid: string | undefined;
  logger: Logger;
  clock: Clock;
  random: RandomSource;
  createTransport: TransportFactory;
}

const MAX_IN_FLIGHT_LIMIT = 25;

function positiveInt(value: number | undefined, fallback: number, name: string, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > max) throw new RangeError(`${name} must be an integer in [1, ${max}], not ${value}`);
  return value;
}

function nonNegative(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a non-negative number, not ${value}`);
  return value;
}

export function resolveOptions(options: OtlpExporterOptions = {}): ExporterTunables {
  const initialBackoffMs = nonNegative(options.initialBackoffMs, 500, 'initialBackoffMs');
  return {
    maxBatchSize: positiveInt(options.maxBatchSize, 512, 'maxBatchSize'),
    maxDelayMs: nonNegative(options.maxDelayMs, 200, 'maxDelayMs'),
    maxInFlight: positiveInt(options.maxInFlight, 4, 'maxInFlight', MAX_IN_FLIGHT_LIMIT),
    initialBackoffMs,
    maxBackoffMs: Math.max(initialBackoffMs, nonNegative(options.maxBackoffMs, 30_000, 'maxBackoffMs')),
    retryDeadlineMs: nonNegative(options.retryDeadlineMs, 300_000, 'retryDeadlineMs'),
    dropLogIntervalMs: nonNegative(options.dropLogIntervalMs, 10_000, 'dropLogIntervalMs'),
    maxResources: positiveInt(options.maxResources, 1000, 'maxResources'),
    clusterUid: options.clusterUid,
    logger: options.logger ?? silentLogger,
    clock: options.clock ?? systemClock,
    random: options.random ?? Math.random,
    createTransport: options.createTransport ?? grpcTransportFactory,
  };
}
