/**
 * What an event says about causality beyond its action (docs/design.md §5.12): whether a controller
 * acted on its own schedule or signal (a new trace starts there), whether it only reports having
 * seen another component's result, and whether it deletes, or reports the deletion of, its object.
 */

import type { EventSource } from './event-facts.js';

/** Bit flags, so that an event's role costs one number on its context. */
export const ROLE_INITIATES = 1;
export const ROLE_OBSERVES = 2;
export const ROLE_DELETES = 4;
export const ROLE_AWAITS_DELETION = 8;

interface RoleRule {
  involvedKind: string;
  source: string;
  reason: string;
  role: number;
}

/**
 * A controller acting on its own schedule or signal starts a trace: the cronjob-controller creating
 * the Job of a scheduled run or deleting one past its history limit, the horizontal-pod-autoscaler
 * resizing its target. An observation (`Saw completed job`) is placed under the action it reports
 * on, but never becomes the parent of the events of that action's object: `Job completed` and
 * `Saw completed job` arrive in either order.
 */
const RULES: readonly RoleRule[] = [
  { involvedKind: 'CronJob', source: 'cronjob-controller', reason: 'SuccessfulCreate', role: ROLE_INITIATES },
  { involvedKind: 'CronJob', source: 'cronjob-controller', reason: 'SuccessfulDelete', role: ROLE_INITIATES | ROLE_DELETES },
  { involvedKind: 'CronJob', source: 'cronjob-controller', reason: 'SawCompletedJob', role: ROLE_OBSERVES },
  { involvedKind: 'HorizontalPodAutoscaler', source: 'horizontal-pod-autoscaler', reason: 'SuccessfulRescale', role: ROLE_INITIATES },
];

/**
 * The kubelet's message when it stops a Pod's containers because the Pod goes (deleted, evicted,
 * preempted); a restart after a failed probe says "Container X failed liveness probe, will be
 * restarted" instead, and no deletion is to be waited for.
 */
const STOPPING = 'Stopping container ';

/** The role flags of an event (0 for most). */
export function eventRole(involvedKind: string, source: EventSource, reason: string | undefined, message: string | undefined): number {
  if (reason === undefined) return 0;
  for (const rule of RULES) {
    if (rule.reason === reason && rule.involvedKind === involvedKind && rule.source === source.component) return rule.role;
  }
  // Every workload controller reports the Pods (and Jobs) it deletes as SuccessfulDelete.
  if (reason === 'SuccessfulDelete') return ROLE_DELETES;
  if (reason === 'Killing' && involvedKind === 'Pod' && source.component === 'kubelet' && message?.startsWith(STOPPING) === true) return ROLE_AWAITS_DELETION;
  return 0;
}

/** `New size: 5; reason: cpu resource utilization (percentage of request) above target` */
const RESCALE = /^New size: (\d+);/;

/** The size an autoscaler's rescale set, or undefined when its message does not say. */
export function rescaledTo(message: string | undefined): number | undefined {
  const m = message === undefined ? null : RESCALE.exec(message);
  return m === null ? undefined : Number(m[1]);
}
