/**
 * Everything the correlator works out about an event once, when it is received: its facts,
 * its action, and the generations of the objects around it as they were then (DESIGN.md 5.9).
 */

import { eventIdentity, eventSource, eventTime, isTopLevelEvent, occurrenceCount, type EventSource } from './event-facts.js';
import type { Waiting } from './pending.js';
import { spanFacts, type EventSpanFacts } from './span-builder.js';
import { makeRef, ownerRefs, type Ref } from './refs.js';
import { actionOf, type Action, type CompiledRule } from './rules.js';
import type { KubeEvent, KubeObject, ObjectLookup } from './types.js';

export interface EventContext extends Waiting {
  readonly facts: EventSpanFacts;
  readonly time: number;
  readonly source: EventSource;
  readonly count: number | undefined;
  readonly eventId: string;
  readonly involved: Ref;
  readonly involvedKey: string;
  readonly involvedObject: KubeObject | undefined;
  readonly action: Action;
  readonly actorKey: string | undefined;
  readonly objectKey: string;
  readonly topLevelAnnotated: boolean;
  /** generation of each object on the involved object's and the action's owner chains, as seen at receipt */
  readonly generations: Map<string, number | undefined>;
  /** objects (by key) that had no owners at receipt */
  readonly topLevel: Set<string>;
}

const MAX_CHAIN = 16;

/** Records the generations along the owner chains above `start`. */
function snapshot(lookup: ObjectLookup, start: Ref, generations: Map<string, number | undefined>, topLevel: Set<string>): KubeObject | undefined {
  let first: KubeObject | undefined;
  const queue: Ref[] = [start];
  for (let i = 0; i < queue.length && i < MAX_CHAIN; i++) {
    const ref = queue[i]!;
    const key = ref.key;
    if (generations.has(key)) continue;
    const obj = lookup.get(ref);
    if (i === 0) first = obj;
    generations.set(key, obj?.metadata.generation);
    if (!obj) continue;
    const owners = ownerRefs(obj, ref.namespace);
    if (owners.length === 0) topLevel.add(key);
    else queue.push(...owners);
  }
  return first;
}

/** Undefined when the event names no involved object (nothing can be said about it). */
export function buildContext(
  event: KubeEvent,
  receivedAt: number,
  seq: number,
  rules: readonly CompiledRule[],
  lookup: ObjectLookup,
): EventContext | undefined {
  const io = event?.involvedObject;
  if (!io || typeof io.kind !== 'string' || io.kind === '' || typeof io.name !== 'string' || io.name === '') return undefined;
  const involved = makeRef(io.kind, io.namespace ?? event.metadata?.namespace, io.name);
  const source = eventSource(event);
  const action = actionOf(rules, involved, source.component, event.message);
  const generations = new Map<string, number | undefined>();
  const topLevel = new Set<string>();
  const involvedObject = snapshot(lookup, involved, generations, topLevel);
  if (action.object !== involved) snapshot(lookup, action.object, generations, topLevel);
  return {
    seq,
    receivedAt,
    watched: [],
    facts: spanFacts(event),
    time: eventTime(event, receivedAt),
    source,
    count: occurrenceCount(event),
    eventId: eventIdentity(event),
    involved,
    involvedKey: involved.key,
    involvedObject,
    action,
    actorKey: action.actor?.key,
    objectKey: action.object.key,
    topLevelAnnotated: isTopLevelEvent(event),
    generations,
    topLevel,
  };
}
