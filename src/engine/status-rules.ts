/**
 * Status transitions that become spans (docs/design.md §5.10): nothing emits an Event when a Pod
 * turns Ready or a rollout completes; the objects' status says so. Each transition between two
 * projected versions of an object becomes an event of our own making, which the engine then
 * places like any other: `Pod.Ready` under the `Created pod` of that Pod, `Deployment.RolloutComplete`
 * under the root of its generation.
 */

import type { KubeEvent, KubeObject, StatusFacts } from './types.js';

/** The `kind` of the Event-shaped records made from status transitions (no Event has it). */
export const STATUS_TRANSITION_KIND = 'kspan.dev/StatusTransition';

/** Kinds whose root span stays open until their generation's rollout completes, fails or is superseded. */
export const ROLLOUT_KINDS: ReadonlySet<string> = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

/** What a transition says about the generation it belongs to. */
export type RolloutOutcome = 'complete' | 'failed';

export interface StatusTransition {
  /** the span's name is `<Kind>.<reason>` */
  reason: string;
  message: string;
  /** the transition's own time when the status records one (whole seconds since the epoch), else the receive time is used */
  time: number | undefined;
  warning: boolean;
  /** identifies this transition among the object's (with its uid, the span id) */
  key: string;
  /** set for RolloutComplete and RolloutFailed: the generation they end */
  outcome?: { result: RolloutOutcome; generation: number };
  /** a terminating Pod's NotReady: it waits for the action that deleted the Pod, like the kubelet's Killing (§5.5) */
  awaitsDeletion?: true;
}

/** Whether `facts` describe `generation` and every replica of it updated and available. */
export function rolloutComplete(kind: string, generation: number | undefined, facts: StatusFacts | undefined): boolean {
  if (facts === undefined || generation === undefined || facts.observedGeneration === undefined) return false;
  if (facts.observedGeneration < generation || facts.desired === undefined) return false;
  const d = facts.desired;
  if (facts.updated !== d || facts.available !== d || facts.current !== d) return false;
  return kind !== 'StatefulSet' || facts.revisionsMatch === true;
}

/** A Deployment whose Progressing condition went False because its progress deadline passed. */
function rolloutFailed(facts: StatusFacts | undefined): boolean {
  return facts?.condition === 'ProgressDeadlineExceeded' && facts.conditionStatus === 'False';
}

/** Whether the rollout of `object`'s generation still goes on, as its status tells (an open root waits for its end). */
export function rolloutInProgress(object: KubeObject): boolean {
  const facts = object.statusFacts;
  // Without its status (a metadata-only view), nothing says a rollout goes on.
  if (!ROLLOUT_KINDS.has(object.kind) || facts === undefined) return false;
  return !rolloutComplete(object.kind, object.metadata.generation, facts) && !rolloutFailed(facts);
}

/**
 * The transitions from `previous` to `current`, two versions of one object. Only a change seen
 * between two versions counts: an object first seen Ready (a relist after a restart) is no
 * transition.
 */
export function statusTransitions(previous: KubeObject, current: KubeObject): StatusTransition[] {
  const before = previous.statusFacts;
  const now = current.statusFacts;
  if (now === undefined || before === undefined || now === before) return [];
  if (previous.metadata.uid !== current.metadata.uid) return [];
  const out: StatusTransition[] = [];
  if (current.kind === 'Pod') {
    if (now.ready === 'True' && before.ready !== 'True') {
      out.push({ reason: 'Ready', message: 'Pod is Ready', time: now.readySince, warning: false, key: `Ready\u0000${now.readySince ?? ''}` });
    } else if (now.ready === 'False' && before.ready === 'True') {
      const notReady: StatusTransition = { reason: 'NotReady', message: 'Pod is not Ready', time: now.readySince, warning: false, key: `NotReady\u0000${now.readySince ?? ''}` };
      if (current.metadata.deletionTimestamp !== undefined) notReady.awaitsDeletion = true;
      out.push(notReady);
    }
    if ((now.restarts ?? 0) > (before.restarts ?? 0)) {
      const why = now.lastTermination ? `: ${now.lastTermination}` : '';
      out.push({ reason: 'Restarted', message: `Container restarted${why} (restarts: ${now.restarts})`, time: now.lastTerminationAt, warning: true, key: `Restarted\u0000${now.restarts}` });
    }
    return out;
  }
  if (current.kind === 'Job') {
    if (now.condition === 'Failed' && before.condition !== 'Failed') {
      const generation = current.metadata.generation ?? 0;
      out.push({ reason: 'Failed', message: now.conditionMessage ?? 'Job failed', time: now.conditionTime, warning: true, key: 'Failed', outcome: { result: 'failed', generation } });
    }
    return out;
  }
  if (!ROLLOUT_KINDS.has(current.kind)) return out;
  const generation = current.metadata.generation;
  if (generation === undefined) return out;
  const wasComplete = previous.metadata.generation === generation && rolloutComplete(previous.kind, generation, before);
  if (rolloutComplete(current.kind, generation, now) && !wasComplete) {
    // A Deployment's Progressing condition records when the new ReplicaSet became available, if it
    // changed with this version: a scale leaves the condition of an earlier rollout as it was.
    const progressed = now.condition === 'NewReplicaSetAvailable' && (before.condition !== now.condition || before.conditionTime !== now.conditionTime);
    const time = current.kind === 'Deployment' && progressed ? now.conditionTime : undefined;
    out.push({
      reason: 'RolloutComplete',
      message: `Rollout of generation ${generation} complete: ${now.desired} of ${now.desired} replicas updated and available`,
      time,
      warning: false,
      key: `RolloutComplete\u0000${generation}`,
      outcome: { result: 'complete', generation },
    });
  } else if (rolloutFailed(now) && !(previous.metadata.generation === generation && rolloutFailed(before))) {
    out.push({
      reason: 'RolloutFailed',
      message: now.conditionMessage ?? 'progress deadline exceeded',
      time: now.conditionTime,
      warning: true,
      key: `RolloutFailed\u0000${generation}`,
      outcome: { result: 'failed', generation },
    });
  }
  return out;
}

/** The Event-shaped record of a transition, so that the engine places and times it like an Event (§5.2, §5.7). */
export function transitionEvent(object: KubeObject, transition: StatusTransition): KubeEvent {
  const meta = object.metadata;
  const event: KubeEvent = {
    kind: STATUS_TRANSITION_KIND,
    metadata: { name: `${meta.name}.${transition.reason}`, uid: `status\u0000${meta.uid ?? `${meta.namespace ?? ''}/${meta.name}`}\u0000${transition.key}` },
    involvedObject: { kind: object.kind, name: meta.name },
    reason: transition.reason,
    message: transition.message,
    source: { component: object.statusFacts?.manager ?? 'unknown' },
    type: transition.warning ? 'Warning' : 'Normal',
  };
  if (meta.namespace !== undefined) {
    event.metadata.namespace = meta.namespace;
    event.involvedObject.namespace = meta.namespace;
  }
  if (meta.uid !== undefined) event.involvedObject.uid = meta.uid;
  if (object.apiVersion !== undefined) event.involvedObject.apiVersion = object.apiVersion;
  // Whole seconds, as the status wrote it: §5.2 then prefers the receive time when it is that close.
  if (transition.time !== undefined) event.eventTime = new Date(transition.time * 1000).toISOString().replace('.000Z', 'Z');
  return event;
}
