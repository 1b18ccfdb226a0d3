/**
 * URL -> what is being asked for, with the apiserver's path layout:
 *   /api/v1[/namespaces/{ns}]/{resource}[/{name}[/{subresource}]]
 *   /apis/{group}/{version}[/namespaces/{ns}]/{resource}[/{name}[/{subresource}]]
 * plus discovery (/api, /apis, /apis/{group}, group versions, /version).
 */
import type { ResourceRegistry, ResourceType } from './resources.js';
import { scalable } from './scale.js';
import { errors } from './status.js';

export type Route =
  | { type: 'version' }
  | { type: 'health' }
  | { type: 'coreVersions' }
  | { type: 'groups' }
  | { type: 'group'; group: string }
  | { type: 'resources'; group: string; version: string }
  | { type: 'object'; t: ResourceType; namespace?: string; name?: string; subresource?: string; legacyWatch: boolean };

export function parseRoute(pathname: string, registry: ResourceRegistry): Route {
  const segs = pathname.split('/').filter((s) => s !== '').map(decodeURIComponent);
  const [root] = segs;
  if (root === 'version' && segs.length === 1) return { type: 'version' };
  if ((root === 'healthz' || root === 'readyz' || root === 'livez') && segs.length === 1) return { type: 'health' };

  let group: string;
  let version: string | undefined;
  let rest: string[];
  if (root === 'api') {
    if (segs.length === 1) return { type: 'coreVersions' };
    group = '';
    version = segs[1];
    rest = segs.slice(2);
  } else if (root === 'apis') {
    if (segs.length === 1) return { type: 'groups' };
    group = segs[1] ?? '';
    if (segs.length === 2) return { type: 'group', group };
    version = segs[2];
    rest = segs.slice(3);
  } else {
    throw errors.pathNotFound();
  }
  if (version === undefined) throw errors.pathNotFound();
  if (rest.length === 0) return { type: 'resources', group, version };

  let legacyWatch = false;
  if (rest[0] === 'watch') {
    legacyWatch = true;
    rest = rest.slice(1);
  }

  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3 && registry.byResource(group, version, rest[2] ?? '')?.namespaced === true) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name, subresource, ...extra] = rest;
  const t = resource === undefined ? undefined : registry.byResource(group, version, resource);
  if (t === undefined || extra.length > 0) throw errors.pathNotFound();
  if (t.namespaced !== (namespace !== undefined) && name !== undefined) throw errors.pathNotFound();
  if (subresource !== undefined && !hasSubresource(t, subresource)) throw errors.pathNotFound();
  return {
    type: 'object',
    t,
    ...(namespace === undefined ? {} : { namespace }),
    ...(name === undefined ? {} : { name }),
    ...(subresource === undefined ? {} : { subresource }),
    legacyWatch,
  };
}

function hasSubresource(t: ResourceType, subresource: string): boolean {
  if (subresource === 'status') return t.statusSubresource;
  if (subresource === 'scale') return scalable(t);
  return subresource === 'binding' && t.group === '' && t.resource === 'pods';
}
