/**
 * The resource types the test apiserver serves: the built-ins kspan touches, plus custom
 * resources registered when a CustomResourceDefinition is created.
 */
import type { ValidateFunction } from 'ajv';

export interface ResourceType {
  group: string; // '' for core
  version: string;
  /** plural, e.g. pods */
  resource: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  /** writes to the main resource ignore status, /status writes ignore the rest */
  statusSubresource: boolean;
  /** metadata.generation is maintained (set to 1, bumped on spec changes) */
  generation: boolean;
  /** field selector fields beyond metadata.name and metadata.namespace */
  fields: string[];
  /** custom resources: the CRD schema, compiled (validate without defaults, apply defaults) */
  schema?: { validate: ValidateFunction; applyDefaults: ValidateFunction; openAPIV3Schema: Record<string, unknown> };
  /** the CRD that defines it (name), for custom resources */
  crd?: string;
}

export const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export function apiVersionOf(t: Pick<ResourceType, 'group' | 'version'>): string {
  return t.group === '' ? t.version : `${t.group}/${t.version}`;
}

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

function builtin(
  group: string,
  version: string,
  resource: string,
  kind: string,
  namespaced: boolean,
  extra: Partial<ResourceType> = {},
): ResourceType {
  return {
    group,
    version,
    resource,
    singular: kind.toLowerCase(),
    kind,
    namespaced,
    statusSubresource: false,
    generation: false,
    fields: [],
    ...extra,
  };
}

const workload = { statusSubresource: true, generation: true };

export function builtinResourceTypes(): ResourceType[] {
  return [
    builtin('', 'v1', 'namespaces', 'Namespace', false, { shortNames: ['ns'], statusSubresource: true, fields: ['status.phase'] }),
    builtin('', 'v1', 'events', 'Event', true, {
      shortNames: ['ev'],
      fields: [
        'involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid',
        'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath',
        'reason', 'reportingComponent', 'source', 'type',
      ],
    }),
    builtin('', 'v1', 'pods', 'Pod', true, { shortNames: ['po'], statusSubresource: true, fields: ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'status.phase', 'status.podIP', 'status.nominatedNodeName'] }),
    builtin('', 'v1', 'secrets', 'Secret', true, { fields: ['type'] }),
    // kinds a recording may hold (owners, involved objects) without kspan watching them itself
    builtin('', 'v1', 'nodes', 'Node', false, { shortNames: ['no'], statusSubresource: true, fields: ['spec.unschedulable'] }),
    builtin('', 'v1', 'services', 'Service', true, { shortNames: ['svc'], statusSubresource: true }),
    builtin('', 'v1', 'endpoints', 'Endpoints', true, { shortNames: ['ep'] }),
    builtin('', 'v1', 'configmaps', 'ConfigMap', true, { shortNames: ['cm'] }),
    builtin('', 'v1', 'serviceaccounts', 'ServiceAccount', true, { shortNames: ['sa'] }),
    builtin('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', true, { shortNames: ['pvc'], statusSubresource: true }),
    builtin('', 'v1', 'persistentvolumes', 'PersistentVolume', false, { shortNames: ['pv'], statusSubresource: true }),
    builtin('', 'v1', 'replicationcontrollers', 'ReplicationController', true, { ...workload, shortNames: ['rc'] }),
    builtin('apps', 'v1', 'controllerrevisions', 'ControllerRevision', true),
    builtin('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice', true),
    builtin('autoscaling', 'v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', true, { shortNames: ['hpa'], statusSubresource: true }),
    builtin('policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget', true, { shortNames: ['pdb'], statusSubresource: true, generation: true }),
    builtin('apps', 'v1', 'replicasets', 'ReplicaSet', true, { ...workload, shortNames: ['rs'], fields: ['status.replicas'] }),
    builtin('apps', 'v1', 'deployments', 'Deployment', true, { ...workload, shortNames: ['deploy'] }),
    builtin('apps', 'v1', 'statefulsets', 'StatefulSet', true, { ...workload, shortNames: ['sts'] }),
    builtin('apps', 'v1', 'daemonsets', 'DaemonSet', true, { ...workload, shortNames: ['ds'] }),
    builtin('batch', 'v1', 'jobs', 'Job', true, { ...workload, fields: ['status.successful'] }),
    builtin('batch', 'v1', 'cronjobs', 'CronJob', true, { ...workload, shortNames: ['cj'] }),
    builtin('coordination.k8s.io', 'v1', 'leases', 'Lease', true),
    builtin('apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', false, {
      shortNames: ['crd', 'crds'],
      statusSubresource: true,
      generation: true,
    }),
  ];
}

/** Lookup of resource types by (group, version, resource) and by (apiVersion, kind). */
export class ResourceRegistry {
  private readonly byPath = new Map<string, ResourceType>();
  private readonly byKind = new Map<string, ResourceType>();

  constructor(types: ResourceType[] = builtinResourceTypes()) {
    for (const t of types) this.add(t);
  }

  add(t: ResourceType): void {
    this.byPath.set(`${t.group}/${t.version}/${t.resource}`, t);
    this.byKind.set(`${apiVersionOf(t)}/${t.kind}`, t);
  }

  remove(t: ResourceType): void {
    this.byPath.delete(`${t.group}/${t.version}/${t.resource}`);
    this.byKind.delete(`${apiVersionOf(t)}/${t.kind}`);
  }

  byResource(group: string, version: string, resource: string): ResourceType | undefined {
    return this.byPath.get(`${group}/${version}/${resource}`);
  }

  byApiVersionKind(apiVersion: string, kind: string): ResourceType | undefined {
    return this.byKind.get(`${apiVersion}/${kind}`);
  }

  all(): ResourceType[] {
    return [...this.byPath.values()];
  }

  /** Types defined by the named CRD. */
  ofCrd(crdName: string): ResourceType[] {
    return this.all().filter((t) => t.crd === crdName);
  }
}

/** Storage key of a resource, shared by every version of the same group/resource. */
export function storageKey(t: Pick<ResourceType, 'group' | 'resource'>): string {
  return `${t.group}/${t.resource}`;
}
