/**
 * What a failed export means, from the gRPC status the OTLP exporter passes through (its gRPC
 * transport hands back grpc-js's ServiceError unchanged: numeric `code`, `details`).
 *
 * Retried (within the batch's retry deadline): the transient codes of the OTLP specification
 * (CANCELLED, DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, UNAVAILABLE, DATA_LOSS), plus
 * RESOURCE_EXHAUSTED (collectors use it for back-pressure, e.g. the memory limiter), UNKNOWN and
 * INTERNAL: grpc-js reports broken connections and proxies' odd HTTP answers with those two,
 * and a wrongly retried batch only costs time until its deadline while a wrongly dropped one
 * is lost. Errors without a gRPC code (the exporter's own failures) are retried as UNKNOWN.
 * Everything else (INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, PERMISSION_DENIED,
 * FAILED_PRECONDITION, UNIMPLEMENTED, UNAUTHENTICATED) is permanent: the batch is dropped.
 */
import { status } from '@grpc/grpc-js';

const RETRYABLE = new Set<number>([
  status.CANCELLED,
  status.UNKNOWN,
  status.DEADLINE_EXCEEDED,
  status.RESOURCE_EXHAUSTED,
  status.ABORTED,
  status.OUT_OF_RANGE,
  status.INTERNAL,
  status.UNAVAILABLE,
  status.DATA_LOSS,
]);

export interface ExportFailure {
  /** gRPC status code; UNKNOWN when the error carried none */
  code: number;
  /** e.g. UNAVAILABLE */
  codeName: string;
  details: string;
  retryable: boolean;
}

export function statusName(code: number): string {
  return (status as unknown as Record<number, string | undefined>)[code] ?? `CODE_${code}`;
}

export function classifyExportError(error: unknown): ExportFailure {
  let code: number = status.UNKNOWN;
  let details = 'export failed';
  if (typeof error === 'object' && error !== null) {
    const e = error as { code?: unknown; details?: unknown; message?: unknown };
    if (typeof e.code === 'number') code = e.code;
    if (typeof e.details === 'string' && e.details !== '') details = e.details;
    else if (typeof e.message === 'string' && e.message !== '') details = e.message;
  } else if (typeof error === 'string' && error !== '') {
    details = error;
  }
  return { code, codeName: statusName(code), details, retryable: RETRYABLE.has(code) };
}
