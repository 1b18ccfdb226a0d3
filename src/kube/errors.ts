/**
 * One typed error for every Kubernetes API failure, so that callers branch on `statusCode`
 * (403 forbidden, 404 gone, 409 conflict, 410 expired, 5xx server trouble, 0 no answer)
 * instead of parsing messages.
 */

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
