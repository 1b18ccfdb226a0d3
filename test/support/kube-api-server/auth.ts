/**
 * Bearer-token authentication and a deny-list authorizer: every token may do everything except
 * what a forbid() rule takes away, which is what tests need to provoke 401 and 403.
 */
import { randomBytes } from 'node:crypto';
import { errors, type ApiError } from './status.js';

export interface ForbidRule {
  /** only this token (any when absent) */
  token?: string;
  /** only this verb (any when absent) */
  verb?: string;
  /** resource, e.g. "events" or "tracecollectors/status" */
  resource: string;
  /**
   * only this namespace (any when absent). A rule for a namespace also denies the cluster-wide
   * form of the request (listing events in all namespaces needs rights in every namespace).
   */
  namespace?: string;
}

export interface AccessRequest {
  verb: string;
  group: string;
  /** resource with subresource, e.g. tracecollectors/status */
  resource: string;
  namespace?: string;
  name?: string;
}

export class Authorizer {
  private readonly users = new Map<string, string>();
  private readonly rules: ForbidRule[] = [];

  constructor(readonly adminToken: string) {
    this.users.set(adminToken, 'admin');
  }

  createToken(user: string): string {
    const token = `${user}-${randomBytes(12).toString('hex')}`;
    this.users.set(token, user);
    return token;
  }

  forbid(rule: ForbidRule): void {
    this.rules.push({ ...rule });
  }

  /** Lifts the forbid() rules equal to `rule` (the right comes back). */
  unforbid(rule: ForbidRule): void {
    const same = (r: ForbidRule) => r.token === rule.token && r.verb === rule.verb && r.resource === rule.resource && r.namespace === rule.namespace;
    for (let i = this.rules.length - 1; i >= 0; i--) if (same(this.rules[i] as ForbidRule)) this.rules.splice(i, 1);
  }

  /** The token's user name, or throws 401. */
  authenticate(authorization: string | undefined): { token: string; user: string } {
    const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    const token = m?.[1];
    const user = token === undefined ? undefined : this.users.get(token);
    if (token === undefined || user === undefined) throw errors.unauthorized();
    return { token, user };
  }

  /** Throws 403 when a rule denies the request. */
  authorize(token: string, user: string, req: AccessRequest): void {
    const denied = this.rules.some(
      (r) =>
        (r.token === undefined || r.token === token) &&
        (r.verb === undefined || r.verb === req.verb) &&
        r.resource === req.resource &&
        (r.namespace === undefined || req.namespace === undefined || r.namespace === req.namespace),
    );
    if (!denied) return;
    const slash = req.resource.indexOf('/');
    const base = slash < 0 ? req.resource : req.resource.slice(0, slash);
    const target = req.name === undefined ? base : `${base} "${req.name}"`;
    const scope = req.namespace === undefined ? 'at the cluster scope' : `in the namespace "${req.namespace}"`;
    const err: ApiError = errors.forbidden(
      `${target} is forbidden: User "${user}" cannot ${req.verb} resource "${req.resource}" in API group "${req.group}" ${scope}`,
      { group: req.group, resource: base },
      req.name,
    );
    throw err;
  }
}
