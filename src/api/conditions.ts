/**
 * TraceCollector condition types and reasons (metav1.Condition), and a pure helper that sets a
 * condition the way Kubernetes controllers do: lastTransitionTime moves only when status changes.
 */
import type { Condition } from './types.js';

export const ConditionType = {
  /** the pipeline runs as the spec asks */
  Ready: 'Ready',
  /** the last export to the endpoint succeeded */
  ExporterReady: 'ExporterReady',
} as const;
export type ConditionTypeName = (typeof ConditionType)[keyof typeof ConditionType];

export const ConditionReason = {
  Ready: 'Ready',
  InvalidSpec: 'InvalidSpec',
  SecretNotFound: 'SecretNotFound',
  NamespaceForbidden: 'NamespaceForbidden',
  Forbidden: 'Forbidden',
  Suspended: 'Suspended',
  Reconciling: 'Reconciling',
  ExporterUnavailable: 'ExporterUnavailable',
  ExportRejected: 'ExportRejected',
  ExportSucceeded: 'ExportSucceeded',
} as const;
export type ConditionReasonName = (typeof ConditionReason)[keyof typeof ConditionReason];

export type ConditionStatus = Condition['status'];

export interface ConditionUpdate {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
  observedGeneration?: number;
}

/** metav1.Time: RFC 3339 in UTC with second precision. */
export function toKubeTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Returns a new conditions list with `update` applied; the input is not modified. The condition
 * keeps its lastTransitionTime when its status does not change (reason/message/generation may).
 * `now` is ms since epoch.
 */
export function setCondition(conditions: readonly Condition[] | undefined, update: ConditionUpdate, now: number): Condition[] {
  const list = conditions ?? [];
  const existing = list.find((c) => c.type === update.type);
  const next: Condition = {
    type: update.type,
    status: update.status,
    ...(update.observedGeneration === undefined ? {} : { observedGeneration: update.observedGeneration }),
    lastTransitionTime: existing !== undefined && existing.status === update.status ? existing.lastTransitionTime : toKubeTime(now),
    reason: update.reason,
    message: update.message,
  };
  if (existing === undefined) return [...list, next];
  return list.map((c) => (c === existing ? next : c));
}

export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** True when setting `update` would change nothing (so a status patch can be skipped). */
export function conditionUnchanged(conditions: readonly Condition[] | undefined, update: ConditionUpdate): boolean {
  const c = findCondition(conditions, update.type);
  return (
    c !== undefined &&
    c.status === update.status &&
    c.reason === update.reason &&
    c.message === update.message &&
    c.observedGeneration === update.observedGeneration
  );
}
