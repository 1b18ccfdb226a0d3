/**
 * Kubernetes resource types the operator reads and writes, and REST path building.
 * Paths are built here once so that list, watch, get and patch agree on them.
 */

import { API_GROUP, API_VERSION, TRACE_COLLECTOR_KIND, TRACE_COLLECTOR_PLURAL } from '../api/types.js';

export interface ResourceType {
  /** API group; '' for the core group */
  group: string;
  version: string;
  /** plural resource name, as in URLs and RBAC rules */
  plural: string;
  kind: string;
  namespaced: boolean;
}

/** `v1` or `apps/v1`. */
export function apiVersionOf(type: ResourceType): string {
  return type.group === '' ? type.version : `${type.group}/${type.version}`;
}

function core(plural: string, kind: string, namespaced = true): ResourceType {
  return { group: '', version: 'v1', plural, kind, namespaced };
}

function grouped(group: string, version: string, plural: string, kind: string, namespaced = true): ResourceType {
  return { group, version, plural, kind, namespaced };
}

/** Well-known resource types. */
export const RESOURCES = {
  events: core('events', 'Event'),
  namespaces: core('namespaces', 'Namespace', false),
  pods: core('pods', 'Pod'),
  secrets: core('secrets', 'Secret'),
  replicasets: grouped('apps', 'v1', 'replicasets', 'ReplicaSet'),
  deployments: grouped('apps', 'v1', 'deployments', 'Deployment'),
  statefulsets: grouped('apps', 'v1', 'statefulsets', 'StatefulSet'),
  daemonsets: grouped('apps', 'v1', 'daemonsets', 'DaemonSet'),
  jobs: grouped('batch', 'v1', 'jobs', 'Job'),
  cronjobs: grouped('batch', 'v1', 'cronjobs', 'CronJob'),
  leases: grouped('coordination.k8s.io', 'v1', 'leases', 'Lease'),
  tracecollectors: grouped(API_GROUP, API_VERSION, TRACE_COLLECTOR_PLURAL, TRACE_COLLECTOR_KIND),
} as const satisfies Record<string, ResourceType>;

/** The owner kinds the object caches watch by default (docs/design.md §4). */
export const DEFAULT_OWNER_RESOURCES: readonly ResourceType[] = [
  RESOURCES.pods,
  RESOURCES.replicasets,
  RESOURCES.deployments,
  RESOURCES.statefulsets,
  RESOURCES.daemonsets,
  RESOURCES.jobs,
  RESOURCES.cronjobs,
];

/**
 * A resource type for a custom owner kind given as apiVersion + kind (e.g. from an
 * ownerKindRule's targetApiVersion). The plural is guessed the way kubectl's default
 * RESTMapper does for regular nouns; pass `plural` when it is irregular.
 */
export function customResource(apiVersion: string, kind: string, plural?: string, namespaced = true): ResourceType {
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  if (!version || !kind) throw new Error(`invalid resource: apiVersion "${apiVersion}", kind "${kind}"`);
  return { group, version, kind, namespaced, plural: plural ?? guessPlural(kind) };
}

function guessPlural(kind: string): string {
  const lower = kind.toLowerCase();
  if (/(s|x|z|ch|sh)$/.test(lower)) return `${lower}es`;
  if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  return `${lower}s`;
}

/**
 * REST path of a collection (no name) or of one object. `namespace` is ignored for cluster-scoped
 * types; for namespaced types an absent namespace (or '*') means "all namespaces" (lists only).
 */
export function resourcePath(type: ResourceType, namespace?: string, name?: string, subresource?: string): string {
  const base = type.group === '' ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
  const ns = type.namespaced && namespace && namespace !== '*' ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  if (name === undefined) return `${base}${ns}/${type.plural}`;
  if (type.namespaced && !ns) throw new Error(`${type.plural} "${name}": a namespace is required`);
  const sub = subresource ? `/${subresource}` : '';
  return `${base}${ns}/${type.plural}/${encodeURIComponent(name)}${sub}`;
}

/**
 * List items carry no apiVersion/kind, and metadata-only responses say PartialObjectMetadata:
 * puts the resource's own back so that consumers always see e.g. `apps/v1 ReplicaSet`.
 */
export function restoreTypeMeta(object: { kind?: string; apiVersion?: string } | undefined, type: ResourceType): void {
  if (!object || typeof object !== 'object') return;
  if (!object.kind || object.kind === 'PartialObjectMetadata') {
    object.kind = type.kind;
    object.apiVersion = apiVersionOf(type);
  }
}

/** Short human form for logs and errors: `apps/v1 replicasets`. */
export function describeResource(type: ResourceType): string {
  return `${apiVersionOf(type)} ${type.plural}`;
}
