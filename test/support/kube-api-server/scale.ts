/**
 * The scale subresource of Deployments, ReplicaSets, StatefulSets and ReplicationControllers: an
 * autoscaling/v1 Scale made from the parent, and a write to it turned back into the parent's
 * spec.replicas and managedFields (the Scale's own field manager, then ScaleHandler.ToParent).
 */
import { builtinType } from './field-types.js';
import { fromScaleEntries, recordApply, recordUpdate, toScaleEntries, type ManagedEntry } from './managed-fields.js';
import { apiVersionOf, type ResourceType } from './resources.js';
import { errors } from './status.js';
import type { KubeObject } from './store.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

const SCALABLE = new Set(['apps/deployments', 'apps/replicasets', 'apps/statefulsets', '/replicationcontrollers']);
const SCALE_TYPE = builtinType('autoscaling', 'Scale');
export const SCALE_API_VERSION = 'autoscaling/v1';

export function scalable(t: Pick<ResourceType, 'group' | 'resource' | 'crd'>): boolean {
  return t.crd === undefined && SCALABLE.has(`${t.group}/${t.resource}`);
}

/** The label selector in query syntax, as LabelSelectorAsSelector(...).String() prints it. */
function selectorString(t: ResourceType, parent: KubeObject): string {
  const spec = isObj(parent['spec']) ? parent['spec'] : {};
  const selector = isObj(spec['selector']) ? spec['selector'] : {};
  // A ReplicationController's selector is a plain map.
  const labels = t.resource === 'replicationcontrollers' ? selector : isObj(selector['matchLabels']) ? selector['matchLabels'] : {};
  const reqs: Array<[string, string]> = Object.entries(labels).map(([k, v]) => [k, `${k}=${String(v)}`]);
  const expressions = t.resource === 'replicationcontrollers' || !Array.isArray(selector['matchExpressions']) ? [] : selector['matchExpressions'];
  for (const e of expressions) {
    if (!isObj(e)) continue;
    const key = String(e['key']);
    const values = (Array.isArray(e['values']) ? e['values'].map(String) : []).sort().join(',');
    const op = e['operator'];
    reqs.push([key, op === 'In' ? `${key} in (${values})` : op === 'NotIn' ? `${key} notin (${values})` : op === 'Exists' ? key : `!${key}`]);
  }
  return reqs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, s]) => s).join(',');
}

const replicasOf = (obj: Obj, part: 'spec' | 'status'): number => {
  const p = obj[part];
  return isObj(p) && typeof p['replicas'] === 'number' ? p['replicas'] : part === 'spec' ? 1 : 0;
};

/** The Scale of a parent, as GET .../scale answers. */
export function scaleOf(t: ResourceType, parent: KubeObject): KubeObject {
  const m = parent.metadata;
  return {
    kind: 'Scale',
    apiVersion: SCALE_API_VERSION,
    metadata: {
      name: m.name,
      ...(m.namespace === undefined ? {} : { namespace: m.namespace }),
      uid: m['uid'],
      ...(m.resourceVersion === undefined ? {} : { resourceVersion: m.resourceVersion }),
      creationTimestamp: m['creationTimestamp'],
    },
    spec: { replicas: replicasOf(parent, 'spec') },
    status: { replicas: replicasOf(parent, 'status'), selector: selectorString(t, parent) },
  };
}

/** What the write to the Scale was: a whole Scale (PUT or a patched one), or an apply configuration. */
export type ScaleWrite = { kind: 'update'; scale: unknown } | { kind: 'apply'; config: Obj; force: boolean };

/**
 * The parent after a write through /scale: spec.replicas from the new Scale, the Scale's
 * managers moved back onto the parent. Only spec.replicas of a Scale is written (its status is
 * the parent's).
 */
export function scaleParent(t: ResourceType, parent: KubeObject, write: ScaleWrite, manager: string, now: string, parentEntries: ManagedEntry[]): { next: KubeObject; entries: ManagedEntry[] } {
  const name = parent.metadata.name;
  const before: Obj = { spec: { replicas: replicasOf(parent, 'spec') } };
  const ctx = { manager, apiVersion: SCALE_API_VERSION, subresource: 'scale', now, type: SCALE_TYPE };
  const scaleEntries = toScaleEntries(parentEntries);
  let after: Obj;
  let entries: ManagedEntry[];
  if (write.kind === 'update') {
    const scale = write.scale;
    if (!isObj(scale)) throw errors.badRequest('the body of the request must be a Scale object');
    if (scale['kind'] !== undefined && scale['kind'] !== 'Scale') throw errors.badRequest(`the kind of the object (${String(scale['kind'])}) does not match Scale`);
    const meta = isObj(scale['metadata']) ? scale['metadata'] : {};
    if (meta['name'] !== undefined && meta['name'] !== name) throw errors.badRequest(`the name of the object (${String(meta['name'])}) does not match the name on the URL (${name})`);
    const rv = meta['resourceVersion'];
    if (typeof rv === 'string' && rv !== '' && rv !== parent.metadata.resourceVersion) throw errors.conflict(t, name);
    // Scale.spec.replicas is an int32 without a pointer: absent is 0.
    after = { spec: { replicas: (isObj(scale['spec']) ? scale['spec']['replicas'] : undefined) ?? 0 } };
    entries = recordUpdate(scaleEntries, before, after, ctx);
  } else {
    const config = write.config;
    if (config['apiVersion'] !== SCALE_API_VERSION || config['kind'] !== 'Scale') {
      throw errors.badRequest(`Incorrect version specified in apply patch. Specified patch version: ${String(config['apiVersion'] ?? '')}, expected: ${SCALE_API_VERSION}`);
    }
    const applied = { spec: isObj(config['spec']) ? { replicas: config['spec']['replicas'] } : {} };
    const result = recordApply(scaleEntries, before, applied, { ...ctx, force: write.force, statusSubresource: false }, (merged) => merged);
    after = result.object;
    entries = result.entries;
  }
  const replicas = isObj(after['spec']) ? after['spec']['replicas'] : undefined;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw errors.invalid({ group: 'autoscaling', kind: 'Scale' }, name, [{ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(replicas ?? null)}: must be greater than or equal to 0`, field: 'spec.replicas' }]);
  }
  const next = structuredClone(parent);
  next['spec'] = { ...(isObj(next['spec']) ? next['spec'] : {}), replicas };
  return { next, entries: fromScaleEntries(parentEntries, entries, apiVersionOf(t)) };
}
