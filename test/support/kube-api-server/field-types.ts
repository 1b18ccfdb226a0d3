/**
 * What the server knows of a type's structure for managedFields and strategic merge patch: which
 * lists are associative (and by which keys), sets or atomic, which maps are atomic, the patch
 * merge keys; for built-in kinds from their Go markers (listType, listMapKey, patchMergeKey,
 * patchStrategy, mapType/structType), for custom resources from the CRD's openAPIV3Schema.
 */

export interface FieldType {
  /** fields whose type is known (others are `values`, or untyped) */
  fields?: Readonly<Record<string, FieldType>>;
  /** the type of every other key; with `map` the keys are a map's, not a struct's fields */
  values?: FieldType;
  /** a map (map[string]T / additionalProperties), not a struct: every key is a node of its own */
  map?: boolean;
  /** replaced as a whole: one field for managedFields (mapType/structType=atomic) */
  atomic?: boolean;
  /** server-side apply list type: associative by these keys, a set, or atomic (the default) */
  list?: 'atomic' | 'set' | readonly string[];
  items?: FieldType;
  /** strategic merge patch: the list merges by this key (patchStrategy=merge, patchMergeKey) */
  mergeKey?: string;
  /** strategic merge patch: a list of primitives merged as a set (patchStrategy=merge, no key) */
  mergePrimitives?: boolean;
  /** strategic merge patch: $retainKeys applies (patchStrategy=retainKeys) */
  retainKeys?: boolean;
  /** no schema at all (x-kubernetes-preserve-unknown-fields): nested maps are maps, lists atomic */
  untyped?: boolean;
}

/** Anything the tables below do not describe: a struct whose lists are atomic. */
export const STRUCT: FieldType = {};
const UNTYPED: FieldType = { untyped: true, map: true };

export function fieldType(t: FieldType, name: string): FieldType {
  return t.fields?.[name] ?? t.values ?? (t.untyped === true ? UNTYPED : STRUCT);
}

export function itemType(t: FieldType): FieldType {
  return t.items ?? (t.untyped === true ? UNTYPED : STRUCT);
}

const keyed = (keys: readonly string[], mergeKey: string, items?: FieldType, extra: Partial<FieldType> = {}): FieldType => ({
  list: keys,
  mergeKey,
  ...(items === undefined ? {} : { items }),
  ...extra,
});
const byName = (items?: FieldType, extra: Partial<FieldType> = {}) => keyed(['name'], 'name', items, extra);
const stringMap: FieldType = { map: true };
const atomicMap: FieldType = { map: true, atomic: true };
const conditions = keyed(['type'], 'type');

export const OBJECT_META: FieldType = {
  fields: {
    labels: stringMap,
    annotations: stringMap,
    ownerReferences: keyed(['uid'], 'uid'),
    finalizers: { list: 'set', mergePrimitives: true },
  },
};

const container: FieldType = {
  fields: {
    ports: keyed(['containerPort', 'protocol'], 'containerPort'),
    env: byName(),
    volumeMounts: keyed(['mountPath'], 'mountPath'),
    volumeDevices: keyed(['devicePath'], 'devicePath'),
    resources: { fields: { limits: stringMap, requests: stringMap, claims: byName() } },
  },
};

const podSpec: FieldType = {
  fields: {
    containers: byName(container),
    initContainers: byName(container),
    ephemeralContainers: byName(container),
    volumes: byName(undefined, { retainKeys: true }),
    imagePullSecrets: byName(),
    hostAliases: keyed(['ip'], 'ip'),
    topologySpreadConstraints: keyed(['topologyKey', 'whenUnsatisfiable'], 'topologyKey'),
    resourceClaims: byName(undefined, { retainKeys: true }),
    schedulingGates: byName(),
    nodeSelector: atomicMap,
    overhead: stringMap,
  },
};

const podTemplate: FieldType = { fields: { metadata: OBJECT_META, spec: podSpec } };
// LabelSelector is +structType=atomic (since 1.22; recordings from 1.21 show it granular)
const labelSelector: FieldType = { atomic: true };
const statusWithConditions: FieldType = { fields: { conditions } };

const pod: FieldType = {
  fields: {
    spec: podSpec,
    status: {
      fields: {
        conditions,
        podIPs: keyed(['ip'], 'ip'),
        hostIPs: { list: 'atomic', mergeKey: 'ip' },
        resourceClaimStatuses: byName(),
      },
    },
  },
};

const workload = (spec: Record<string, FieldType> = {}, status: FieldType = statusWithConditions): FieldType => ({
  fields: { spec: { fields: { selector: labelSelector, template: podTemplate, ...spec } }, status },
});

const jobSpec: FieldType = { fields: { selector: labelSelector, template: podTemplate } };

/** Types of the built-in kinds by `<group>/<Kind>`; kinds not listed have metadata and untyped-but-struct bodies. */
const BUILTIN: Record<string, FieldType> = {
  '/Pod': pod,
  'apps/Deployment': workload({ strategy: { retainKeys: true } }),
  'apps/ReplicaSet': workload(),
  'apps/StatefulSet': workload(),
  'apps/DaemonSet': workload(),
  '/ReplicationController': { fields: { spec: { fields: { selector: atomicMap, template: podTemplate } }, status: statusWithConditions } },
  // JobStatus.conditions is patchMergeKey=type but listType=atomic
  'batch/Job': { fields: { spec: jobSpec, status: { fields: { conditions: { list: 'atomic', mergeKey: 'type' } } } } },
  'batch/CronJob': { fields: { spec: { fields: { jobTemplate: { fields: { metadata: OBJECT_META, spec: jobSpec } } } } } },
  '/Service': {
    fields: {
      spec: { fields: { ports: keyed(['port', 'protocol'], 'port'), selector: atomicMap } },
      status: statusWithConditions,
    },
  },
  '/Node': { fields: { status: { fields: { conditions, addresses: { list: 'atomic', mergeKey: 'type' }, capacity: stringMap, allocatable: stringMap } } } },
  '/Namespace': { fields: { status: statusWithConditions } },
  '/ConfigMap': { fields: { data: stringMap, binaryData: stringMap } },
  '/Secret': { fields: { data: stringMap, stringData: stringMap } },
  'autoscaling/Scale': {},
};

function withMeta(t: FieldType): FieldType {
  return { ...t, fields: { ...t.fields, metadata: OBJECT_META } };
}

const builtinTypes = new Map(Object.entries(BUILTIN).map(([k, t]) => [k, withMeta(t)]));

export function builtinType(group: string, kind: string): FieldType {
  return builtinTypes.get(`${group}/${kind}`) ?? withMeta(STRUCT);
}

type Schema = Record<string, unknown>;
const isObj = (v: unknown): v is Schema => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The structure a CRD's openAPIV3Schema declares. Unlike built-ins, a custom resource's list is
 * atomic unless it says x-kubernetes-list-type, and it has no strategic merge keys.
 */
export function typeFromOpenAPI(schema: unknown): FieldType {
  if (!isObj(schema)) return UNTYPED;
  const list = schema['x-kubernetes-list-type'];
  if (schema['type'] === 'array' || list !== undefined) {
    const keys = schema['x-kubernetes-list-map-keys'];
    return {
      list: list === 'map' && Array.isArray(keys) ? (keys as string[]) : list === 'set' ? 'set' : 'atomic',
      items: typeFromOpenAPI(schema['items']),
    };
  }
  const properties = isObj(schema['properties']) ? schema['properties'] : undefined;
  const additional = schema['additionalProperties'];
  const atomic = schema['x-kubernetes-map-type'] === 'atomic';
  if (properties === undefined && schema['x-kubernetes-preserve-unknown-fields'] === true) return { ...UNTYPED, ...(atomic ? { atomic } : {}) };
  if (properties === undefined && isObj(additional)) return { map: true, values: typeFromOpenAPI(additional), ...(atomic ? { atomic } : {}) };
  if (properties === undefined && schema['type'] !== 'object') return STRUCT;
  const fields: Record<string, FieldType> = {};
  for (const [k, v] of Object.entries(properties ?? {})) fields[k] = typeFromOpenAPI(v);
  return {
    fields,
    ...(schema['x-kubernetes-preserve-unknown-fields'] === true ? { values: UNTYPED } : {}),
    ...(atomic ? { atomic } : {}),
  };
}

/** A custom resource's type: its schema, with the server's ObjectMeta. */
export function customResourceType(openAPIV3Schema: unknown): FieldType {
  return withMeta(typeFromOpenAPI(openAPIV3Schema));
}

const template = { metadata: { creationTimestamp: null }, spec: { containers: null } };

/**
 * The nodes an empty object of the kind already has, as the Go type serializes its zero value
 * (non-pointer structs are `{}`, fields without omitempty are null). A create is recorded as an
 * update from this object: a node it already has is no member of the creator's set (no "."), a
 * node it lacks is. Leaves do not matter, so only structure is listed.
 */
const ZERO: Record<string, Record<string, unknown>> = {
  '/Pod': { spec: { containers: null }, status: {} },
  'apps/Deployment': { spec: { selector: null, template, strategy: {} }, status: {} },
  'apps/ReplicaSet': { spec: { selector: null, template }, status: {} },
  'apps/StatefulSet': { spec: { selector: null, template, updateStrategy: {} }, status: {} },
  'apps/DaemonSet': { spec: { selector: null, template, updateStrategy: {} }, status: {} },
  'batch/Job': { spec: { template }, status: {} },
  'batch/CronJob': { spec: { jobTemplate: { metadata: { creationTimestamp: null }, spec: { template } } }, status: {} },
  '/Event': { involvedObject: {}, source: {}, firstTimestamp: null, lastTimestamp: null, eventTime: null },
  '/Service': { spec: {}, status: { loadBalancer: {} } },
  '/ConfigMap': {},
  '/Secret': {},
  '/Endpoints': {},
  '/ServiceAccount': {},
  'coordination.k8s.io/Lease': { spec: {} },
  'autoscaling/Scale': { spec: {}, status: { replicas: 0 } },
};

/** The empty object a create is compared with; custom resources start from nothing (unstructured). */
export function zeroObject(group: string, kind: string, customResource: boolean): Record<string, unknown> {
  if (customResource) return {};
  return structuredClone(ZERO[`${group}/${kind}`] ?? { spec: {}, status: {} });
}
