/**
 * Everything the correlator works out about an event once, when it is received: its facts,
 * its action, and the generations of the objects around it as they were then (docs/design.md §5.9).
 */

import { eventRole } from './controller-actions.js';
import { namedIncarnation } from './incarnations.js';
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
  /** whether the lookup knew the involved object at receipt (or, see catchUp, once it did) */
  involvedKnown: boolean;
  /** the involved object's `spec.nodeName` at receipt (read then, not the object: a waiting event keeps no object version alive) */
  involvedNode: string | undefined;
  readonly action: Action;
  /** the uid of the action's object as the event saw it (§5.4): its own involved object's from the event, else the lookup's */
  readonly objectUid: string | undefined;
  readonly topLevelAnnotated: boolean;
  /** what the event says of causality beyond its action (controller-actions.ts: ROLE_* flags) */
  role: number;
  /** the give-up walk is placing it: it takes what it finds, no longer waits for a better parent */
  givingUp: boolean;
  /** the objects on the involved object's and the action's owner chains, as seen at receipt */
  seen: Sightings;
  /**
   * The owners of the action's object and actor that the last parent search read (the very
   * arrays ownerRefs returned; undefined until a search read them): a change to either object
   * retries the event only when they are no longer the same (see Correlator.objectChanged).
   */
  objectOwners: readonly Ref[] | undefined;
  actorOwners: readonly Ref[] | undefined;
  /** a status transition's: the rollout generation it ends (§5.10) */
  outcome: { result: 'complete' | 'failed'; generation: number } | undefined;
  /** §5.11: an ancestor's activity was found, but the event waits for the action that made its object */
  passedAncestor: boolean;
  /** §5.11: waiting past its window, in the queue of events that expect their own parent */
  expecting: boolean;
}

/**
 * Generations (and whether they had owners) of the few objects around an event, as seen when
 * it was received: flat (key, generation, topLevel) triples. A handful of entries: an array beats
 * a Map and a Set per event, and is kept without a wrapper (most events wait a window: every
 * object they keep is promoted).
 */
export type Sightings = ReadonlyArray<string | number | boolean | undefined>;

function sightingIndex(seen: Sightings, key: string): number {
  for (let i = 0; i < seen.length; i += 3) if (seen[i] === key) return i;
  return -1;
}

export function hasSeen(seen: Sightings, key: string): boolean {
  return sightingIndex(seen, key) !== -1;
}

/** The generation seen, undefined when not seen (or the object has none). */
export function seenGeneration(seen: Sightings, key: string): number | undefined {
  const i = sightingIndex(seen, key);
  return i === -1 ? undefined : (seen[i + 1] as number | undefined);
}

/** Whether the object was seen without owners. */
export function seenTopLevel(seen: Sightings, key: string): boolean {
  const i = sightingIndex(seen, key);
  return i !== -1 && seen[i + 2] === true;
}

/** Before the first parent search: nothing read. */
const NO_READS: readonly string[] = [];
const MAX_CHAIN = 16;

// Scratch buffers for snapshot(): an event's sightings are collected here, then copied once at
// their exact size (growing a fresh array per event was a good part of the engine's garbage).
// Emptied by count, not by `length = 0`, which would give their storage back.
const triples: Array<string | number | boolean | undefined> = [];
let tripleCount = 0;
const queue: Ref[] = [];

function seenBefore(key: unknown): boolean {
  for (let i = 0; i < tripleCount; i += 3) if (triples[i] === key) return true;
  return false;
}

/** Records into `triples` the generations along the owner chains above `start`. */
function snapshot(lookup: ObjectLookup, start: Ref): KubeObject | undefined {
  let first: KubeObject | undefined;
  queue[0] = start;
  let queued = 1;
  for (let i = 0; i < queued && i < MAX_CHAIN; i++) {
    const ref = queue[i]!;
    const key = ref.key;
    if (seenBefore(key)) continue;
    const obj = lookup.get(ref);
    if (i === 0) first = obj;
    const owners = ownerRefs(obj, ref);
    triples[tripleCount++] = key;
    triples[tripleCount++] = obj?.metadata.generation;
    triples[tripleCount++] = obj !== undefined && owners.length === 0;
    for (let o = 0; o < owners.length; o++) queue[queued++] = owners[o]!;
  }
  return first;
}

function specNodeName(obj: KubeObject | undefined): string | undefined {
  const spec = obj?.spec as { nodeName?: unknown } | undefined;
  return typeof spec?.nodeName === 'string' && spec.nodeName !== '' ? spec.nodeName : undefined;
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
  const involved = makeRef(io.kind, typeof io.namespace === 'string' && io.namespace !== '' ? io.namespace : event.metadata?.namespace, io.name);
  const source = eventSource(event);
  const action = actionOf(rules, involved, source.component, event.message);
  tripleCount = 0;
  const involvedObject = snapshot(lookup, involved);
  // (snapshot gives no object for one already on the involved object's owner chain)
  const actionObject = action.object !== involved ? (snapshot(lookup, action.object) ?? lookup.get(action.object)) : undefined;
  const seen = triples.slice(0, tripleCount);
  const facts = spanFacts(event, involved);
  const role = eventRole(involved.kind, source, event.reason, event.message);
  return {
    seq,
    receivedAt,
    watched: NO_READS,
    waitingIn: undefined,
    queuedIn: 0,
    facts,
    time: eventTime(event, receivedAt),
    source,
    count: occurrenceCount(event),
    eventId: eventIdentity(event),
    involved,
    involvedKnown: involvedObject !== undefined,
    involvedNode: specNodeName(involvedObject),
    action,
    objectUid: action.object === involved ? (facts.uid ?? involvedObject?.metadata.uid) : namedIncarnation(actionObject, role),
    topLevelAnnotated: isTopLevelEvent(event),
    role,
    givingUp: false,
    seen,
    objectOwners: undefined,
    actorOwners: undefined,
    outcome: undefined,
    passedAncestor: false,
    expecting: false,
  };
}

/**
 * An event can arrive before the watch that delivers its involved object does (events and
 * objects come through separate watches): it then saw nothing of the object nor of its owners.
 * Once the lookup has the object, the event sees it, and its owner chain, as if the object had
 * arrived first; what it saw of the rest at receipt is kept.
 */
export function catchUp(ctx: EventContext, lookup: ObjectLookup): void {
  if (ctx.involvedKnown) return;
  tripleCount = 0;
  const involvedObject = snapshot(lookup, ctx.involved);
  if (involvedObject === undefined) return;
  const before = ctx.seen;
  for (let i = 0; i < before.length; i += 3) {
    if (seenBefore(before[i])) continue;
    triples[tripleCount++] = before[i];
    triples[tripleCount++] = before[i + 1];
    triples[tripleCount++] = before[i + 2];
  }
  ctx.seen = triples.slice(0, tripleCount);
  ctx.involvedKnown = true;
  ctx.involvedNode = specNodeName(involvedObject);
}
