/**
 * Cascading deletion through ownerReferences, as the registry and kube-controller-manager's
 * garbage collector do it between them: Background (the owner goes, then its dependents),
 * Foreground (the owner waits with deletionTimestamp and the foregroundDeletion finalizer until
 * its blocking dependents are gone) and Orphan (the dependents lose their ownerReferences).
 * Run synchronously within the request, in the order the real components would write.
 */
import type { ResourceType } from './resources.js';
import { errors } from './status.js';
import type { KubeObject } from './store.js';

export type Propagation = 'Background' | 'Foreground' | 'Orphan';

export const FOREGROUND_FINALIZER = 'foregroundDeletion';
export const ORPHAN_FINALIZER = 'orphan';
const POLICIES: readonly string[] = ['Foreground', 'Background', 'Orphan'];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

interface OwnerRef {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  blockOwnerDeletion?: boolean;
}

export function ownerRefs(obj: Readonly<KubeObject>): OwnerRef[] {
  const refs = obj.metadata['ownerReferences'];
  return Array.isArray(refs) ? refs.filter((r): r is OwnerRef => isObj(r) && typeof r['uid'] === 'string') : [];
}

const finalizersOf = (obj: Readonly<KubeObject>): string[] => (Array.isArray(obj.metadata['finalizers']) ? (obj.metadata['finalizers'] as string[]) : []);

/**
 * The policy of a DELETE: DeleteOptions' propagationPolicy or orphanDependents (body, else query),
 * else the resource's default (Orphan for core/v1 ReplicationControllers, for compatibility;
 * Background for everything else).
 */
export function propagationOf(t: ResourceType, q: URLSearchParams, options: unknown): Propagation {
  const body = isObj(options) ? options : {};
  let policy: unknown = body['propagationPolicy'] ?? q.get('propagationPolicy') ?? undefined;
  let orphan: unknown = body['orphanDependents'] ?? q.get('orphanDependents') ?? undefined;
  if (orphan === 'true') orphan = true;
  else if (orphan === 'false') orphan = false;
  if (policy === '') policy = undefined;
  const invalid = (message: string, field: string) =>
    errors.invalid({ group: 'meta.k8s.io', kind: 'DeleteOptions' }, '', [{ reason: 'FieldValueInvalid', message, field }]);
  if (policy !== undefined && orphan !== undefined) throw invalid(`Invalid value: "${String(policy)}": orphanDependents and deletionPropagation cannot be both set`, 'propagationPolicy');
  if (policy !== undefined) {
    if (typeof policy !== 'string' || !POLICIES.includes(policy)) {
      throw invalid(`Unsupported value: ${JSON.stringify(policy)}: supported values: "Foreground", "Background", "Orphan"`, 'propagationPolicy');
    }
    return policy as Propagation;
  }
  if (orphan === true) return 'Orphan';
  if (orphan === false) return 'Background';
  return t.group === '' && t.resource === 'replicationcontrollers' ? 'Orphan' : 'Background';
}

/** What the collector needs of the server. */
export interface GcHost {
  typeOf(apiVersion: string, kind: string): ResourceType | undefined;
  peek(t: ResourceType, namespace: string | undefined, name: string): Readonly<KubeObject> | undefined;
  /** every stored object with its type: of one namespace, or all */
  objects(namespace: string | undefined): Iterable<{ t: ResourceType; obj: Readonly<KubeObject> }>;
  /** stores an updated object (a deletion completes when its last finalizer goes) */
  update(t: ResourceType, existing: KubeObject, next: KubeObject): void;
  /** deletes an object with a policy (marking it when it has finalizers) */
  delete(t: ResourceType, obj: KubeObject, policy: Propagation): void;
}

type Owner = 'solid' | 'dangling' | 'waiting';

export class GarbageCollector {
  constructor(private readonly host: GcHost) {}

  /** An object is gone: its dependents may be garbage, and owners waiting for it may go now. */
  removed(t: ResourceType, gone: Readonly<KubeObject>): void {
    for (const dep of this.dependents(t, gone)) this.attemptToDelete(dep.t, dep.obj);
    this.unblockOwnersOf(gone);
  }

  /** An owner was marked for foreground deletion: its dependents go first (the blocking ones hold it). */
  deletingDependents(t: ResourceType, owner: Readonly<KubeObject>): void {
    for (const dep of this.dependents(t, owner)) this.attemptToDelete(dep.t, dep.obj);
    this.finishForeground(t, owner);
  }

  /** An owner was marked for orphaning: its dependents lose their reference to it, then it loses the orphan finalizer. */
  orphanDependents(t: ResourceType, owner: Readonly<KubeObject>): void {
    const uid = owner.metadata['uid'];
    for (const dep of this.dependents(t, owner)) this.removeRefs(dep.t, dep.obj, new Set([String(uid)]));
    this.removeFinalizer(t, owner, ORPHAN_FINALIZER);
  }

  private dependents(t: ResourceType, owner: Readonly<KubeObject>): Array<{ t: ResourceType; obj: Readonly<KubeObject> }> {
    const uid = owner.metadata['uid'];
    if (typeof uid !== 'string') return [];
    // A namespaced owner has dependents in its namespace only; a cluster-scoped one anywhere.
    const namespace = t.namespaced ? owner.metadata.namespace : undefined;
    const out: Array<{ t: ResourceType; obj: Readonly<KubeObject> }> = [];
    for (const entry of this.host.objects(namespace)) if (ownerRefs(entry.obj).some((r) => r.uid === uid)) out.push(entry);
    return out;
  }

  private ownerState(dep: Readonly<KubeObject>, ref: OwnerRef): Owner {
    const t = this.host.typeOf(ref.apiVersion, ref.kind);
    // An owner of a kind the server does not serve cannot be looked up: it is kept, as the collector keeps it.
    if (t === undefined) return 'solid';
    const owner = this.host.peek(t, t.namespaced ? dep.metadata.namespace : undefined, ref.name);
    if (owner === undefined || owner.metadata['uid'] !== ref.uid) return 'dangling';
    if (owner.metadata['deletionTimestamp'] !== undefined && finalizersOf(owner).includes(FOREGROUND_FINALIZER)) return 'waiting';
    return 'solid';
  }

  /** The collector's attemptToDeleteItem: a dependent with a live owner loses its dead references, one without goes. */
  private attemptToDelete(t: ResourceType, dep: Readonly<KubeObject>): void {
    const current = this.host.peek(t, dep.metadata.namespace, dep.metadata.name);
    if (current === undefined || current.metadata['uid'] !== dep.metadata['uid']) return;
    const refs = ownerRefs(current);
    const states = refs.map((r) => this.ownerState(current, r));
    if (states.includes('solid')) {
      const dead = new Set(refs.filter((_, i) => states[i] !== 'solid').map((r) => r.uid));
      if (dead.size > 0) this.removeRefs(t, current, dead);
      return;
    }
    if (current.metadata['deletionTimestamp'] !== undefined) return;
    const finalizers = finalizersOf(current);
    let policy: Propagation = 'Background';
    if (states.includes('waiting') && this.dependents(t, current).length > 0) policy = 'Foreground';
    else if (finalizers.includes(ORPHAN_FINALIZER)) policy = 'Orphan';
    else if (finalizers.includes(FOREGROUND_FINALIZER)) policy = 'Foreground';
    this.host.delete(t, structuredClone(current) as KubeObject, policy);
  }

  private removeRefs(t: ResourceType, dep: Readonly<KubeObject>, uids: Set<string>): void {
    const current = this.host.peek(t, dep.metadata.namespace, dep.metadata.name);
    if (current === undefined) return;
    const next = structuredClone(current) as KubeObject;
    const kept = ownerRefs(current).filter((r) => !uids.has(r.uid));
    if (kept.length === 0) delete next.metadata['ownerReferences'];
    else next.metadata['ownerReferences'] = kept;
    this.host.update(t, structuredClone(current) as KubeObject, next);
    this.unblockOwnersOf(current);
  }

  /** Owners in foreground deletion that `obj` (now gone or no longer theirs) may have been holding. */
  private unblockOwnersOf(obj: Readonly<KubeObject>): void {
    for (const ref of ownerRefs(obj)) {
      const t = this.host.typeOf(ref.apiVersion, ref.kind);
      if (t === undefined) continue;
      const owner = this.host.peek(t, t.namespaced ? obj.metadata.namespace : undefined, ref.name);
      if (owner !== undefined && owner.metadata['uid'] === ref.uid) this.finishForeground(t, owner);
    }
  }

  /** A foreground owner goes once no dependent with blockOwnerDeletion is left. */
  private finishForeground(t: ResourceType, owner: Readonly<KubeObject>): void {
    const current = this.host.peek(t, owner.metadata.namespace, owner.metadata.name);
    if (current === undefined || current.metadata['deletionTimestamp'] === undefined || !finalizersOf(current).includes(FOREGROUND_FINALIZER)) return;
    const uid = current.metadata['uid'];
    const blocking = this.dependents(t, current).some(({ obj }) => ownerRefs(obj).some((r) => r.uid === uid && r.blockOwnerDeletion === true));
    if (!blocking) this.removeFinalizer(t, current, FOREGROUND_FINALIZER);
  }

  private removeFinalizer(t: ResourceType, obj: Readonly<KubeObject>, finalizer: string): void {
    const current = this.host.peek(t, obj.metadata.namespace, obj.metadata.name);
    if (current === undefined || !finalizersOf(current).includes(finalizer)) return;
    const next = structuredClone(current) as KubeObject;
    const rest = finalizersOf(current).filter((f) => f !== finalizer);
    if (rest.length === 0) delete next.metadata['finalizers'];
    else next.metadata['finalizers'] = rest;
    this.host.update(t, structuredClone(current) as KubeObject, next);
  }
}
