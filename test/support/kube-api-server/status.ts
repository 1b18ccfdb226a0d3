/**
 * metav1.Status error bodies, worded like the real apiserver's (clients and tests match on
 * reason and code; people read the message).
 */
import type { ResourceType } from './resources.js';

export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message: string;
  reason: string;
  details?: { name?: string; group?: string; kind?: string; causes?: StatusCause[]; retryAfterSeconds?: number };
  code: number;
}

/** An error that the router turns into a Status response. */
export class ApiError extends Error {
  constructor(readonly body: StatusBody) {
    super(body.message);
  }
  get code(): number {
    return this.body.code;
  }
}

export function status(code: number, reason: string, message: string, details?: StatusBody['details']): StatusBody {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details === undefined ? {} : { details }), code };
}

/** `pods` or `tracecollectors.kspan.dev`, as in the apiserver's messages. */
export function qualifiedResource(t: Pick<ResourceType, 'group' | 'resource'>): string {
  return t.group === '' ? t.resource : `${t.resource}.${t.group}`;
}

const details = (t: Pick<ResourceType, 'group' | 'resource'>, name: string | undefined) => ({
  ...(name === undefined ? {} : { name }),
  group: t.group,
  kind: t.resource,
});

export const errors = {
  notFound: (t: Pick<ResourceType, 'group' | 'resource'>, name: string) =>
    new ApiError(status(404, 'NotFound', `${qualifiedResource(t)} "${name}" not found`, details(t, name))),
  alreadyExists: (t: Pick<ResourceType, 'group' | 'resource'>, name: string) =>
    new ApiError(status(409, 'AlreadyExists', `${qualifiedResource(t)} "${name}" already exists`, details(t, name))),
  conflict: (t: Pick<ResourceType, 'group' | 'resource'>, name: string, why = 'the object has been modified; please apply your changes to the latest version and try again') =>
    new ApiError(status(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(t)} "${name}": ${why}`, details(t, name))),
  invalid: (t: Pick<ResourceType, 'group' | 'kind'>, name: string, causes: StatusCause[]) => {
    const what = `${t.group === '' ? t.kind : `${t.kind}.${t.group}`} "${name}" is invalid`;
    const list = causes.map((c) => (c.field === undefined || c.field === '' ? c.message : `${c.field}: ${c.message}`));
    const message = list.length === 1 ? `${what}: ${list[0]}` : `${what}: [${list.join(', ')}]`;
    return new ApiError(status(422, 'Invalid', message, { name, group: t.group, kind: t.kind, causes }));
  },
  badRequest: (message: string) => new ApiError(status(400, 'BadRequest', message)),
  unsupportedMediaType: (message: string) => new ApiError(status(415, 'UnsupportedMediaType', message)),
  unprocessable: (message: string) => new ApiError(status(422, 'Invalid', message)),
  methodNotAllowed: (message: string) => new ApiError(status(405, 'MethodNotAllowed', message)),
  pathNotFound: () => new ApiError(status(404, 'NotFound', 'the server could not find the requested resource')),
  expired: (message: string) => new ApiError(status(410, 'Expired', message)),
  unauthorized: () => new ApiError(status(401, 'Unauthorized', 'Unauthorized')),
  forbidden: (message: string, t: Pick<ResourceType, 'group' | 'resource'>, name?: string) =>
    new ApiError(status(403, 'Forbidden', message, details(t, name))),
};

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  410: 'Expired',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** An injected failure (failRequests hook). */
export function injectedFailure(code: number): ApiError {
  const reason = REASONS[code] ?? 'Unknown';
  return new ApiError(status(code, reason, `injected failure: ${code} ${reason}`, code === 429 || code === 503 ? { retryAfterSeconds: 1 } : undefined));
}
