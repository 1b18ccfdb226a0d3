/** Discovery documents (the legacy, unaggregated JSON form every client understands). */
import { apiVersionOf, VERBS, type ResourceRegistry } from './resources.js';
import { scalable } from './scale.js';
import { errors } from './status.js';

export const SERVER_VERSION = {
  major: '1',
  minor: '33',
  gitVersion: 'v1.33.0-kspan-test',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.24.0',
  compiler: 'gc',
  platform: 'linux/amd64',
};

export function coreVersions(serverAddress: string): unknown {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function groupVersions(registry: ResourceRegistry): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const t of registry.all()) {
    if (t.group === '') continue;
    const versions = groups.get(t.group) ?? [];
    if (!versions.includes(t.version)) versions.push(t.version);
    groups.set(t.group, versions);
  }
  return groups;
}

function groupDoc(name: string, versions: string[]): unknown {
  const list = versions.map((version) => ({ groupVersion: `${name}/${version}`, version }));
  return { name, versions: list, preferredVersion: list[0] };
}

export function apiGroupList(registry: ResourceRegistry): unknown {
  const groups = [...groupVersions(registry)].sort(([a], [b]) => a.localeCompare(b)).map(([name, versions]) => groupDoc(name, versions));
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

export function apiGroup(registry: ResourceRegistry, group: string): unknown {
  const versions = groupVersions(registry).get(group);
  if (versions === undefined) throw errors.pathNotFound();
  return { kind: 'APIGroup', apiVersion: 'v1', ...(groupDoc(group, versions) as object) };
}

export function apiResourceList(registry: ResourceRegistry, group: string, version: string): unknown {
  const types = registry.all().filter((t) => t.group === group && t.version === version);
  if (types.length === 0) throw errors.pathNotFound();
  const resources = types.flatMap((t) => {
    const main = {
      name: t.resource,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: VERBS,
      ...(t.shortNames === undefined ? {} : { shortNames: t.shortNames }),
      ...(t.categories === undefined ? {} : { categories: t.categories }),
    };
    const status = { name: `${t.resource}/status`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: ['get', 'patch', 'update'] };
    const scale = { name: `${t.resource}/scale`, singularName: '', namespaced: t.namespaced, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] };
    const binding = { name: 'pods/binding', singularName: '', namespaced: true, kind: 'Binding', verbs: ['create'] };
    return [
      main,
      ...(t.group === '' && t.resource === 'pods' ? [binding] : []),
      ...(scalable(t) ? [scale] : []),
      ...(t.statusSubresource ? [status] : []),
    ];
  });
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf({ group, version }), resources };
}
