/** Every Kubernetes API failure as one typed KubeApiError, and the mapping of Kubernetes Status objects to it. */

import { isRecord } from '../core/records.js';
import type { KubeObjectLike } from './client.js';
import type { ResourceType } from './resources.js';

export type KubeVerb = 'list' | 'watch' | 'get' | 'create' | 'update' | 'patch' | 'delete';

export interface KubeApiErrorFields {
  /** HTTP status; 0 when the server never answered (connection refused, timeout, aborted) */
  statusCode: number;
  /** the Status object's `reason` (Forbidden, NotFound, Conflict, Expired, ...), or a local cause */
  reason: string;
  message: string;
  verb: KubeVerb;
  /** plural resource, e.g. `events` */
  resource: string;
  namespace?: string;
  /** the object's name, for requests on one object */
  objectName?: string;
  /** seconds the server asked us to wait (Retry-After / details.retryAfterSeconds) */
  retryAfterSeconds?: number;
}

/** The request an error is about. */
export type ErrorContext = Pick<KubeApiErrorFields, 'verb' | 'resource' | 'namespace' | 'objectName'>;

/**
 * One typed error for every Kubernetes API failure, so that callers branch on `statusCode`
 * (403 forbidden, 404 gone, 409 conflict, 410 expired, 5xx server trouble, 0 no answer)
 * instead of parsing messages.
 */
export class KubeApiError extends Error implements KubeApiErrorFields {
  readonly statusCode: number;
  readonly reason: string;
  readonly verb: KubeVerb;
  readonly resource: string;
  readonly namespace?: string;
  readonly objectName?: string;
  readonly retryAfterSeconds?: number;

  constructor(fields: KubeApiErrorFields, options?: { cause?: unknown }) {
    super(fields.message, options);
    this.name = 'KubeApiError';
    this.statusCode = fields.statusCode;
    this.reason = fields.reason;
    this.verb = fields.verb;
    this.resource = fields.resource;
    if (fields.namespace !== undefined) this.namespace = fields.namespace;
    if (fields.objectName !== undefined) this.objectName = fields.objectName;
    if (fields.retryAfterSeconds !== undefined) this.retryAfterSeconds = fields.retryAfterSeconds;
  }

  /** "list events in namespace shop" — the permission a 403 is about, for status messages. */
  describeRequest(): string {
    const where = this.namespace ? ` in namespace ${this.namespace}` : '';
    return `${this.verb} ${this.resource}${this.objectName ? ` "${this.objectName}"` : ''}${where}`;
  }

  /** Plain fields for structured logs. */
  toJSON(): KubeApiErrorFields {
    const out: KubeApiErrorFields = {
      statusCode: this.statusCode,
      reason: this.reason,
      message: this.message,
      verb: this.verb,
      resource: this.resource,
    };
    if (this.namespace !== undefined) out.namespace = this.namespace;
    if (this.objectName !== undefined) out.objectName = this.objectName;
    return out;
  }
}

/** The fields of a Kubernetes Status object (meta/v1) the mapping reads. */
export interface StatusObject {
  kind?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { retryAfterSeconds?: number };
}

/**
 * The error a Status stands for (a watch ERROR event's object, or an error response's body).
 * The Status's own code wins over `httpStatus`; without either it is a server error.
 */
export function errorFromStatus(context: ErrorContext, status: StatusObject, httpStatus?: number): KubeApiError {
  const statusCode = typeof status.code === 'number' && status.code > 0 ? status.code : (httpStatus ?? 500);
  const retryAfter = status.details?.retryAfterSeconds;
  return new KubeApiError({
    ...context,
    statusCode,
    reason: status.reason || reasonForStatus(statusCode),
    message: status.message || `${context.verb} ${context.resource}: HTTP ${statusCode}`,
    ...(typeof retryAfter === 'number' ? { retryAfterSeconds: retryAfter } : {}),
  });
}

/**
 * The error an HTTP error response stands for: its status code, and what its body says when the
 * body is a Status. A Retry-After header counts when the Status names no wait of its own.
 */
export function errorFromResponse(context: ErrorContext, httpStatus: number, body: string, retryAfterHeader?: string): KubeApiError {
  let status: StatusObject = {};
  try {
    const parsed: unknown = JSON.parse(body);
    if (isRecord(parsed)) status = parsed as StatusObject;
  } catch {
    // not a Status body (e.g. a proxy's HTML page): the HTTP status is all we have
  }
  const error = errorFromStatus(context, { ...status, code: httpStatus }, httpStatus);
  const retryAfter = Number(retryAfterHeader);
  if (error.retryAfterSeconds === undefined && Number.isFinite(retryAfter) && retryAfter > 0) {
    return new KubeApiError({ ...error.toJSON(), retryAfterSeconds: retryAfter });
  }
  return error;
}

/** The watch error the Status in an ERROR event stands for (410 Expired: relist). */
export function watchErrorFromEvent(type: ResourceType, namespace: string | undefined, status: KubeObjectLike): KubeApiError {
  return errorFromStatus(
    { verb: 'watch', resource: type.plural, ...(namespace !== undefined && namespace !== '*' ? { namespace } : {}) },
    status as StatusObject,
  );
}

/** The reason the API server gives for a status code, for answers that carry no Status. */
function reasonForStatus(code: number): string {
  switch (code) {
    case 400: return 'BadRequest';
    case 401: return 'Unauthorized';
    case 403: return 'Forbidden';
    case 404: return 'NotFound';
    case 405: return 'MethodNotAllowed';
    case 409: return 'Conflict';
    case 410: return 'Expired';
    case 422: return 'Invalid';
    case 429: return 'TooManyRequests';
    case 504: return 'Timeout';
    default: return code >= 500 ? 'InternalError' : 'Unknown';
  }
}
