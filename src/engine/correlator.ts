/**
 * The correlation engine (docs/design.md §5): events in, span records out. Pure and
 * deterministic: time only comes in through the arguments, and the same calls give the same spans.
 */

import { ROLE_AWAITS_DELETION, ROLE_DELETES, ROLE_INITIATES, ROLE_OBSERVES, rescaledTo } from './controller-actions.js';
import { buildContext, catchUp, hasSeen, seenGeneration, seenTopLevel, type EventContext, type Sightings } from './context.js';
import { HeldSpans } from './held-spans.js';
import { otherIncarnation } from './incarnations.js';
import { eventSpanId, eventTraceId, rootSpanId, rootTraceId } from './ids.js';
import { ANY_ACTOR, ArrivalHeap, PendingQueue, Reads } from './pending.js';
import { RecentStore, type RecentEntry } from './recent-store.js';
import { Rescales } from './rescales.js';
import { keyOf, ownerRefs, refKey, type Ref } from './refs.js';
import { attributeChange } from './root-attribution.js';
import { compileRules, type CompiledRule } from './rules.js';
import { eventSpan, rootSpan, type SpanHandle } from './span-builder.js';
import { rolloutComplete, rolloutInProgress, ROLLOUT_KINDS, statusTransitions, transitionEvent, type StatusTransition } from './status-rules.js';
import { DEFAULT_TRACE_CONTEXT_ANNOTATIONS, triggerContext, type TraceContext } from './trace-context.js';
import type { EngineConfig, EngineStats, KubeEvent, KubeObject, ObjectLookup, ObjectRef, SpanLink, SpanRecord, TraceContextNotice } from './types.js';

/** A parent search found a recent entry that belongs to another generation (5.9). */
const STALE = Symbol('stale');

/** The recent store's actor key under which the root of a generation is remembered (no object key starts with NUL). */
const rootActorKey = (generation: number | undefined): string => `\u0000root\u0000${generation ?? ''}`;

/**
 * How long a root waits for its rollout at most (§5.10): past a Deployment's default progress
 * deadline (10 min), so that a RolloutFailed still finds its root held.
 */
export const OPEN_ROOT_MAX_HOLD_MS = 15 * 60_000;

/** Roots remembered by (object, generation), so that one made again after its recent entries expired keeps its ids and is not emitted twice. */
const MAX_REMEMBERED_ROOTS = 20_000;

/**
 * §5.11: how long an event on an object made moments ago waits for the action that made it (a
 * `Created pod` posted seconds late by a rate-limited controller) rather than being placed under
 * an ancestor's activity. Past it the event goes under the ancestor, counted.
 */
export const EXPECTED_PARENT_WAIT_MS = 20_000;

/** Objects whose ended rollouts are remembered (so that a generation ends once); the oldest are forgotten first. */
const MAX_ENDED_ROLLOUTS = 100_000;

/** ReplicaSets whose scale-ups and -downs are remembered (§5.9); the oldest are forgotten first. */
const MAX_SCALED_REPLICA_SETS = 100_000;

/** The deployment-controller's message for a ReplicaSet it created (`to N`) or scaled (`to N from M`, since v1.26). */
const SCALED_REPLICA_SET = /^Scaled (up|down) replica set (\S+) to (\d+)(?: from (\d+))?$/;

/** Objects whose malformed trace context was reported (once per object, §5.13); the oldest are forgotten first. */
const MAX_NOTICED_OBJECTS = 10_000;

/** Notices kept until taken: a pipeline that never takes them holds no more (the counter still counts). */
const MAX_PENDING_NOTICES = 100;

/** How many generations back a root looks for the previous generation's root to link to (§5.12). */
const MAX_GENERATIONS_BACK = 64;

/** How far the give-up walk climbs owner chains (guards against ownership cycles). */
const MAX_WALK_DEPTH = 16;

/**
 * A parent found by the search. `indirect` marks a hit through (none, owner): the activity of an
 * ancestor, not an action on the event's own objects.
 */
interface Hit {
  parent: SpanHandle;
  indirect?: true;
}

type Search = Hit | 'top' | undefined;

export class Correlator {
  private config: EngineConfig;
  private rules: CompiledRule[];
  private readonly recent: RecentStore;
  private readonly pending = new PendingQueue<EventContext>();
  /** §5.11: events past their window that still wait for the action that made their object */
  private readonly expecting = new PendingQueue<EventContext>();
  /** `<owner kind>\0<object kind>` for every rule's involved and target kinds: owners that make their objects with an Event */
  private creators: ReadonlySet<string>;
  private readonly retries = new ArrivalHeap<EventContext>(1);
  private readonly deferred = new ArrivalHeap<EventContext>(2);
  private readonly held = new HeldSpans();
  private out: SpanRecord[] = [];
  private draining = false;
  private readonly enqueueRetry = (p: EventContext): void => this.retries.push(p);
  /** objectChanged's visitor, one for all calls (no closure allocated per object change): the key is `changedKey` */
  private changedKey = '';
  private readonly retryIfChangeMatters = (p: EventContext): void => {
    if (this.mayPlaceAfterChange(p, this.changedKey)) this.retries.push(p);
  };
  /** What the current parent search read (see findParent): most searches place their event and need no record. */
  private readonly reads = new Reads();
  private now = -Infinity;
  private seq = 0;
  private readonly counters = {
    eventsReceived: 0,
    eventsUnresolved: 0,
    pendingOverflow: 0,
    tracesStarted: 0,
    spansEmitted: 0,
    statusSpans: 0,
    ownParentsAwaited: 0,
    underAncestor: 0,
    traceContextsInvalid: 0,
  };
  /** §5.12: autoscaler rescales waiting for the generation they made */
  private readonly rescales: Rescales;
  /** §5.13: objects (by uid or key) whose malformed trace context was reported, and the notices not yet taken */
  private readonly noticed = new Set<string>();
  private notices: TraceContextNotice[] = [];
  /** per object uid, the newest generation whose rollout ended (RolloutComplete or RolloutFailed made) */
  private readonly endedRollouts = new Map<string, number>();
  /** every root made, by `<object id>\0<generation>` (bounded; oldest forgotten first) */
  private readonly roots = new Map<string, SpanHandle>();
  /**
   * §5.9: per ReplicaSet key, the generation its newest `Scaled ... replica set` Event reported
   * (counted from the scale before it) and the size it scaled to (bounded; oldest forgotten first)
   */
  private readonly scaled = new Map<string, { generation: number; size: number }>();
  /** the generation a `Scaled ... replica set` event's entry belongs to, by the event's context */
  private readonly scaleGenerations = new WeakMap<EventContext, number>();

  constructor(config: EngineConfig, private readonly lookup: ObjectLookup) {
    this.config = config;
    this.rules = compileRules(config.ownerKindRules);
    this.creators = creatorKinds(this.rules);
    this.recent = new RecentStore(config.expireAfterMs);
    this.rescales = new Rescales(config.expireAfterMs);
  }

  /** Takes one event received at `receivedAt`; returns the spans that became final. */
  addEvent(event: KubeEvent, receivedAt: number): SpanRecord[] {
    this.advance(receivedAt);
    this.counters.eventsReceived++;
    this.accept(event, receivedAt, undefined);
    return this.takeOut();
  }

  /** Places an event, or makes it wait for its parent. */
  private accept(event: KubeEvent, receivedAt: number, outcome: StatusTransition['outcome'], awaitsDeletion = false): void {
    const ctx = buildContext(event, receivedAt, this.seq++, this.rules, this.lookup);
    if (!ctx) {
      this.counters.eventsUnresolved++;
      return;
    }
    if (awaitsDeletion) ctx.role |= ROLE_AWAITS_DELETION;
    if (this.scaled.size > 0) ctx.seen = this.liftScaled(ctx.seen);
    if (outcome === undefined) this.noteScale(ctx, event.message);
    if (outcome !== undefined) ctx.outcome = outcome;
    const found = this.search(ctx);
    if (found === 'top') {
      this.place(ctx, undefined);
    } else if (found && !(found.indirect && this.awaitsOwnParent(ctx))) {
      this.place(ctx, found.parent, found.indirect === true);
    } else {
      ctx.watched = this.reads.copy();
      this.pending.add(ctx);
      while (this.pending.size + this.expecting.size > this.config.maxPendingEvents) {
        this.counters.pendingOverflow++;
        this.giveUp(this.oldestWaiting()!);
      }
    }
  }

  /**
   * Call when the lookup has a new version of `object` (a watch delivered it, a capture recorded
   * it): the events waiting on an action on it that the new version can place are retried. Events
   * and objects come through separate watches, so an event can arrive before its involved object;
   * it would otherwise wait for another span on that object, or for the give-up walk (up to a
   * window and a tick later), to see the object, and its owners, that were there all along.
   */
  objectChanged(object: KubeObject, now: number, previous?: KubeObject): SpanRecord[] {
    this.advance(now);
    if (this.pending.size > 0 || this.expecting.size > 0) {
      this.changedKey = keyOf(object.kind, object.metadata.namespace, object.metadata.name);
      this.pending.forEachWatchingObject(this.changedKey, this.retryIfChangeMatters);
      this.expecting.forEachWatchingObject(this.changedKey, this.retryIfChangeMatters);
      this.retryWaiting();
    }
    if (this.config.statusTransitions !== false) {
      if (previous !== undefined) this.statusChanged(previous, object);
      // A generation seen complete has ended, whether or not its RolloutComplete was made here (an
      // object first seen after its rollout): a later dip in availability and recovery is no rollout.
      if (ROLLOUT_KINDS.has(object.kind) && rolloutComplete(object.kind, object.metadata.generation, object.statusFacts)) {
        this.endRollout(object, object.metadata.generation!);
      }
    }
    return this.takeOut();
  }

  /** §5.10: each status transition from `previous` to `current` is placed like an event. */
  private statusChanged(previous: KubeObject, current: KubeObject): void {
    const transitions = statusTransitions(previous, current);
    for (let i = 0; i < transitions.length; i++) {
      const t = transitions[i]!;
      if (t.outcome !== undefined && !this.endRollout(current, t.outcome.generation)) continue;
      this.counters.statusSpans++;
      this.accept(transitionEvent(current, t), this.now, t.outcome, t.awaitsDeletion === true);
    }
  }

  /** Records that `object`'s rollout of `generation` ended; false when it had already. */
  private endRollout(object: KubeObject, generation: number): boolean {
    const id = object.metadata.uid || keyOf(object.kind, object.metadata.namespace, object.metadata.name);
    const ended = this.endedRollouts.get(id);
    if (ended !== undefined && ended >= generation) return false;
    this.endedRollouts.delete(id);
    this.endedRollouts.set(id, generation);
    if (this.endedRollouts.size > MAX_ENDED_ROLLOUTS) this.endedRollouts.delete(this.endedRollouts.keys().next().value!);
    return true;
  }

  /**
   * Whether a change to the object at `key` can let the waiting event `p` find a parent. A parent
   * search reads the lookup in three ways: the involved object once known (catchUp), the owners of
   * the action's object and actor, and generations, which only ever make entries stale, so a new
   * generation can take a parent away but never give one. Most changes (a Pod's status, a
   * ReplicaSet's replica counts) alter none of what a waiting event read: retrying the events
   * they touch would repeat a search that cannot succeed, and was half of all searches.
   */
  private mayPlaceAfterChange(p: EventContext, key: string): boolean {
    if (!p.involvedKnown) return true;
    const { actor, object } = p.action;
    if (key === object.key && ownerRefs(this.lookup.get(object), object) !== p.objectOwners) return true;
    return actor !== undefined && key === actor.key && ownerRefs(this.lookup.get(actor), actor) !== p.actorOwners;
  }

  /** Call every `tickIntervalMs(config)`: gives up waiting on old events, expires, releases spans. */
  tick(now: number): SpanRecord[] {
    this.advance(now);
    this.recent.expire(this.now);
    this.pending.compact();
    this.expecting.compact();
    for (let p = this.pending.oldest(); p && this.now - p.receivedAt >= this.config.recentWindowMs; p = this.pending.oldest()) {
      if (this.expectsOwnParent(p)) {
        // §5.11: its window is over, but its own parent is still expected: it waits on, apart.
        this.pending.remove(p);
        p.expecting = true;
        this.expecting.add(p);
      } else {
        this.giveUp(p);
      }
    }
    for (let p = this.expecting.oldest(); p && !this.expectsOwnParent(p); p = this.expecting.oldest()) this.giveUp(p);
    const window = this.config.recentWindowMs;
    const holdLimit = Math.max(this.config.expireAfterMs, 4 * window);
    this.held.releaseOld(this.now - 2 * window, this.now - holdLimit, this.now - Math.max(holdLimit, OPEN_ROOT_MAX_HOLD_MS), this.out);
    return this.takeOut();
  }

  /** Gives up waiting on every pending event and returns every held span. */
  flush(now: number): SpanRecord[] {
    this.advance(now);
    for (let p = this.oldestWaiting(); p; p = this.oldestWaiting()) this.giveUp(p);
    this.held.releaseAll(this.out);
    return this.takeOut();
  }

  /**
   * Visits the span id and start of every span still to come out: held spans (open roots among
   * them) and the spans of waiting events, whose ids are known before they are placed. A
   * checkpoint lists them as not yet exported (docs/design.md §4.8).
   */
  unfinished(visit: (spanId: string, startTime: number) => void): void {
    this.held.forEach((span) => visit(span.handle.spanId, span.startTime));
    const waiting = (ctx: EventContext): void => visit(eventSpanId(ctx.eventId, ctx.count), ctx.time);
    this.pending.forEach(waiting);
    this.expecting.forEach(waiting);
  }

  /** Applies a changed spec; pending events, held spans and recent actions are kept. */
  reconfigure(config: EngineConfig): void {
    this.rules = compileRules(config.ownerKindRules);
    this.creators = creatorKinds(this.rules);
    this.config = config;
    this.recent.setExpireAfter(config.expireAfterMs);
    this.rescales.setMaxAge(config.expireAfterMs);
  }

  /** §5.13: the malformed trace contexts met since the last call, the first of each object only, for the pipeline to log. */
  takeTraceContextNotices(): TraceContextNotice[] {
    const notices = this.notices;
    if (notices.length > 0) this.notices = [];
    return notices;
  }

  stats(): EngineStats {
    return {
      ...this.counters,
      pendingEvents: this.pending.size + this.expecting.size,
      recentEntries: this.recent.size,
      heldSpans: this.held.size,
    };
  }

  // ---- parent search (5.5) ------------------------------------------------------------------

  /** A parent search whose reads are left in `this.reads`. */
  private search(ctx: EventContext): Search {
    return this.findParent(ctx, this.reads.clear());
  }

  /** `watched` collects the actions read, as (actor key or '', object key) pairs, flat. */
  private findParent(ctx: EventContext, watched: Reads): Search {
    const { actor, object } = ctx.action;
    // §5.12: a controller acting on its own schedule or signal starts a trace.
    if ((ctx.role & ROLE_INITIATES) !== 0) return 'top';
    if (actor) {
      // a. a repeat of the same action is a sibling; else what the actor itself is part of. A
      // report of having seen the action's result goes under the action itself.
      const same = this.probe(actor.key, object.key, ctx, watched);
      if (same && same !== STALE && (ctx.role & ROLE_OBSERVES) !== 0) return this.use(same, same.span);
      if (same && same !== STALE && same.parent) return this.use(same, same.parent);
      const ofActor = this.probe('', actor.key, ctx, watched);
      if (ofActor && ofActor !== STALE) return this.use(ofActor, ofActor.span);
    }
    if (ctx.topLevelAnnotated) return 'top'; // b.
    ctx.objectOwners = ownerRefs(this.lookup.get(object), object);
    const fromObject = this.fromObject(object, ctx.objectOwners, ctx, watched); // c.
    if (fromObject || !actor) return fromObject;
    ctx.actorOwners = ownerRefs(this.lookup.get(actor), actor);
    return this.fromObject(actor, ctx.actorOwners, ctx, watched); // d.
  }

  /**
   * Step c for one object, `ref` owned by `owners`. A stale entry stops the search at that owner.
   * An event that reports its object's deletion (the kubelet's `Killing`) takes only the action
   * that deleted it until it gives up waiting (§5.5).
   */
  private fromObject(ref: Ref, owners: readonly Ref[], ctx: EventContext, watched: Reads): Hit | undefined {
    const key = ref.key;
    const deletion = (ctx.role & ROLE_AWAITS_DELETION) !== 0 && !ctx.givingUp;
    if (owners.length === 0) {
      const e = this.probe('', key, ctx, watched);
      if (e && e !== STALE) return this.use(e, e.span);
      // An object never seen (deleted before the cache saw it, missing from a capture): the action
      // that deleted it, which named it; any action that named it once the event gives up waiting.
      return ref === ctx.involved && !ctx.involvedKnown && (deletion || ctx.givingUp) ? this.namedBy(key, deletion, watched) : undefined;
    }
    for (let i = 0; i < owners.length; i++) {
      const owner = owners[i]!;
      const byOwner = this.probe(owner.key, key, ctx, watched);
      if (byOwner === STALE) continue;
      if (byOwner && !(deletion && !byOwner.deletes)) return this.use(byOwner, byOwner.span);
      if (deletion) return undefined;
      const none = this.probe('', key, ctx, watched);
      if (none === STALE) continue;
      if (none?.parent) return this.use(none, none.parent);
      const ofOwner = this.probe('', owner.key, ctx, watched);
      if (ofOwner === STALE) continue;
      if (ofOwner) {
        this.recent.touch(ofOwner, this.now);
        return { parent: ofOwner.span, indirect: true };
      }
    }
    return undefined;
  }

  /** The recent action of any actor on the object at `key` (a deletion only when `deletion`). */
  private namedBy(key: string, deletion: boolean, watched: Reads): Hit | undefined {
    watched.add(ANY_ACTOR, key);
    const e = this.recent.newestByActor(key, this.now, deletion);
    return e === undefined ? undefined : this.use(e, e.span);
  }

  private probe(actorKey: string, objectKey: string, ctx: EventContext, watched: Reads): RecentEntry | typeof STALE | undefined {
    watched.add(actorKey, objectKey);
    const entry = this.recent.peek(actorKey, objectKey, this.now);
    if (!entry) return undefined;
    return this.isStale(entry, ctx) ? STALE : entry;
  }

  private use(entry: RecentEntry, parent: SpanHandle): Hit {
    this.recent.touch(entry, this.now);
    return { parent };
  }

  /**
   * 5.9: an entry is stale for an event that sees another generation of a top-level object of
   * the entry, or of the event's own involved object; §5.4: or another incarnation (uid) of its
   * involved object.
   */
  private isStale(entry: RecentEntry, ctx: EventContext): boolean {
    // A StatefulSet's Pod made again under its name: the old Pod's deletion is no parent for the
    // new one's `Scheduled`, which waits for the `create Pod` instead.
    if (entry.objectKey === ctx.involved.key && otherIncarnation(entry.objectUid, ctx.facts.uid)) return true;
    if (entry.actor) {
      const actorKey = refKey(entry.actor);
      if ((entry.actorTopLevel || actorKey === ctx.involved.key) && this.movedOn(entry.actor, actorKey, entry.actorGeneration, ctx)) return true;
    }
    const objectKey = refKey(entry.object);
    return (entry.objectTopLevel || objectKey === ctx.involved.key) && this.movedOn(entry.object, objectKey, entry.objectGeneration, ctx);
  }

  private movedOn(ref: ObjectRef, key: string, remembered: number | undefined, ctx: EventContext): boolean {
    if (remembered === undefined) return false;
    const seen = hasSeen(ctx.seen, key) ? seenGeneration(ctx.seen, key) : this.scaledGeneration(key, this.lookup.get(ref)?.metadata.generation);
    return seen !== undefined && seen !== remembered;
  }

  /**
   * §5.9: a `Scaled up/down replica set R to N [from M]` Event reports the generation of R that
   * its scale made, whether or not that version of R has reached the lookup (R's watch and the
   * Events watch are separate streams; the live cache watches R metadata-only, without
   * spec.replicas, so the version cannot tell which scale it is). Each scale changes R's spec
   * once, so it made the generation after the one the previous scale made when it scaled from
   * the size that one scaled to (`from M` = the previous `to N`); a ReplicaSet not yet seen at
   * all that is `Scaled up ... to N` without `from` was made by this scale (generation 1). Else (the first scale seen of R, a scale
   * missed, a message from before v1.26), the lookup's generation, as before. The entry belongs
   * to that generation or to the lookup's, if newer; and from now on an event sees R at least at
   * that generation (liftScaled), so that the events after it see the same generation of R
   * whichever of R's new version and this Event arrived first.
   */
  private noteScale(ctx: EventContext, message: string | undefined): void {
    const { actor, object } = ctx.action;
    if (actor?.kind !== 'Deployment' || object.kind !== 'ReplicaSet' || message === undefined) return;
    const m = SCALED_REPLICA_SET.exec(message);
    if (m === null || m[2]!.toLowerCase() !== object.name) return;
    const size = Number(m[3]);
    const from = m[4] === undefined ? undefined : Number(m[4]);
    const inLookup = this.lookup.get(object)?.metadata.generation;
    const before = this.scaled.get(object.key);
    let generation: number | undefined;
    if (from !== undefined) generation = before !== undefined && before.size === from ? before.generation + 1 : inLookup;
    else generation = inLookup ?? (m[1] === 'up' ? 1 : undefined);
    if (generation === undefined) return;
    this.scaled.delete(object.key);
    this.scaled.set(object.key, { generation, size });
    if (this.scaled.size > MAX_SCALED_REPLICA_SETS) this.scaled.delete(this.scaled.keys().next().value!);
    this.scaleGenerations.set(ctx, Math.max(generation, inLookup ?? generation));
  }

  /** The generation of the object at `key` as events see it: at least what a scale reported of it (noteScale). */
  private scaledGeneration(key: string, generation: number | undefined): number | undefined {
    const reported = this.scaled.get(key)?.generation;
    return reported === undefined || (generation !== undefined && generation >= reported) ? generation : reported;
  }

  /** `seen` with each ReplicaSet a scale reported on at least at the generation reported. */
  private liftScaled(seen: Sightings): Sightings {
    let lifted: Array<string | number | boolean | undefined> | undefined;
    for (let i = 0; i < seen.length; i += 3) {
      const generation = seen[i + 1] as number | undefined;
      const effective = this.scaledGeneration(seen[i] as string, generation);
      if (effective === generation) continue;
      lifted ??= [...seen];
      lifted[i + 1] = effective;
    }
    return lifted ?? seen;
  }

  // ---- spans --------------------------------------------------------------------------------

  /**
   * Makes the event's span under `parent` (a new trace without one), stores and holds it.
   * `viaAncestor`: the parent is an ancestor's activity, not an action on the event's own objects.
   */
  private place(ctx: EventContext, parent: SpanHandle | undefined, viaAncestor = false): void {
    const handle: SpanHandle = {
      traceId: parent ? parent.traceId : eventTraceId(ctx.eventId, ctx.count),
      spanId: eventSpanId(ctx.eventId, ctx.count),
      held: undefined,
    };
    if (!parent) this.counters.tracesStarted++;
    if ((ctx.passedAncestor || ctx.expecting) && (ctx.role & ROLE_AWAITS_DELETION) === 0) {
      if (viaAncestor || !parent) this.counters.underAncestor++;
      else this.counters.ownParentsAwaited++;
    }
    const span = eventSpan({
      facts: ctx.facts,
      source: ctx.source,
      time: ctx.time,
      count: ctx.count,
      handle,
      parent,
      sequence: ctx.seq,
      involvedNode: ctx.involvedNode,
    });
    // Only an event about its object (no actor) waits for an action on it to adopt it.
    span.viaAncestor = viaAncestor && ctx.action.actor === undefined;
    const { actor, object } = ctx.action;
    const initiates = parent === undefined && (ctx.role & ROLE_INITIATES) !== 0;
    // A run's root is held apart from its controller's other spans (the next one would end it), like a root (5.8).
    this.held.hold(initiates ? `trigger|${object.key}` : ctx.involved.key, span, this.now, this.out);
    if (initiates && ctx.involved.kind === 'HorizontalPodAutoscaler') {
      const size = rescaledTo(ctx.facts.message);
      if (size !== undefined) this.rescales.note(ctx.involved.namespace, ctx.involved.name, size, handle, this.now);
    }
    if (ctx.outcome !== undefined && parent !== undefined) endRootOf(parent, ctx.outcome.result, ctx.facts.message);
    // An observation parents nothing: the action it reports on keeps its entry (§5.12).
    if ((ctx.role & ROLE_OBSERVES) !== 0 && parent !== undefined) return;
    // A top-level action that got a real parent is not stored, so the root stays reachable (5.7).
    const topLevelAction = !actor && (seenTopLevel(ctx.seen, object.key) || !ctx.involvedKnown);
    if (parent && topLevelAction) return;
    const entry: RecentEntry = {
      span: handle,
      parent,
      actor,
      object,
      actorGeneration: actor ? seenGeneration(ctx.seen, actor.key) : undefined,
      objectGeneration: (this.scaled.size > 0 ? this.scaleGenerations.get(ctx) : undefined) ?? seenGeneration(ctx.seen, object.key),
      actorTopLevel: actor !== undefined && seenTopLevel(ctx.seen, actor.key),
      objectTopLevel: seenTopLevel(ctx.seen, object.key),
      objectUid: ctx.objectUid,
      deletes: (ctx.role & ROLE_DELETES) !== 0,
      lastUsed: this.now,
      file: 0,
      slot: 0,
      actorKey: '',
      objectKey: '',
    };
    this.store(actor?.key ?? '', object.key, entry);
  }

  /** Stores an entry and retries the events waiting on its key. */
  private store(actorKey: string, objectKey: string, entry: RecentEntry): void {
    this.recent.set(actorKey, objectKey, entry);
    if (actorKey !== '') this.adoptUnderOwnParent(objectKey, entry);
    this.pending.forEachWatching(actorKey, objectKey, this.enqueueRetry);
    this.expecting.forEachWatching(actorKey, objectKey, this.enqueueRetry);
    this.retryWaiting();
  }

  /**
   * Retries the queued events (and those the spans they make wake up), oldest first, until none
   * can move. Within a pass an event that would only land on an ancestor's activity (an indirect
   * hit) lets the other waiting events go first: one of them may be the action that made its
   * object (a `Created pod` retried with the `Scaled up replica set` that caused it), so the
   * parents do not depend on which of the two arrived first.
   */
  private retryWaiting(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      for (;;) {
        let p = this.retries.pop();
        const fromDeferred = p === undefined;
        if (p === undefined) p = this.deferred.pop();
        if (p === undefined) break;
        if (!this.queueOf(p).has(p)) continue;
        const seenBefore = p.seen;
        catchUp(p, this.lookup);
        if (p.seen !== seenBefore && this.scaled.size > 0) p.seen = this.liftScaled(p.seen);
        const found = this.search(p);
        const indirect = found !== undefined && found !== 'top' && found.indirect === true;
        if (found === undefined || (indirect && fromDeferred && this.awaitsOwnParent(p))) {
          this.queueOf(p).rewatch(p, this.reads);
        } else if (indirect && !fromDeferred) {
          this.deferred.push(p);
        } else {
          this.unqueue(p);
          this.place(p, found === 'top' ? undefined : found.parent, indirect);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  // ---- giving up waiting (5.6) --------------------------------------------------------------

  /**
   * Also the way out of a full pending queue: an event given up early is placed like any other,
   * so the cap bounds memory without losing an event.
   */
  private giveUp(p: EventContext): void {
    p.givingUp = true;
    const { actor, object } = p.action;
    let ref: Ref = object;
    let obj = this.lookup.get(object);
    if (!obj && !actor && !p.involvedKnown) {
      const named = this.namedBy(object.key, false, this.reads.clear());
      if (named) {
        this.unqueue(p);
        this.place(p, named.parent);
        return;
      }
    }
    if (!obj && actor) {
      ref = actor;
      obj = this.lookup.get(actor);
    }
    if (!obj) {
      this.unqueue(p);
      this.counters.eventsUnresolved++;
      this.place(p, undefined);
      return;
    }
    const visited = new Set<string>();
    for (let depth = 0; depth < MAX_WALK_DEPTH; depth++) {
      visited.add(ref.key);
      const owners = ownerRefs(obj, ref);
      const hit = this.fromObject(ref, owners, p, this.reads.clear());
      if (hit) {
        this.unqueue(p);
        this.place(p, hit.parent, depth > 0 || hit.indirect === true);
        return;
      }
      const next: Ref | undefined = owners.find((o) => !visited.has(o.key));
      if (!next) break;
      const nextObj = this.lookup.get(next);
      if (!nextObj) {
        // An owner never seen: its own recent activity can still take the event; else the
        // root is the highest object we know.
        const ownerHit = this.fromObject(next, ownerRefs(nextObj, next), p, this.reads.clear());
        if (ownerHit) {
          this.unqueue(p);
          this.place(p, ownerHit.parent, true);
          return;
        }
        break;
      }
      ref = next;
      obj = nextObj;
    }
    const root = this.makeRoot(ref, obj, p);
    if (this.queueOf(p).has(p)) {
      this.unqueue(p);
      this.place(p, root, ref !== object);
    }
  }

  /**
   * The root span for the generation of `obj` that `p` saw: emitted first and stored as
   * (none, obj), once per generation. Its ids come from (uid, generation), so a second root for
   * the same generation would be a second span with the same id: a straggler of an older
   * generation can have stored its own root as (none, obj) meanwhile, so each root is also
   * remembered under its generation, and (none, obj) is never taken back by an older generation.
   */
  private makeRoot(ref: Ref, current: KubeObject, p: EventContext): SpanHandle {
    const key = ref.key;
    const generation = hasSeen(p.seen, key) ? seenGeneration(p.seen, key) : current.metadata.generation;
    const ofGeneration = rootActorKey(generation);
    const made = this.recent.peek(ofGeneration, key, this.now);
    if (made) {
      this.recent.touch(made, this.now);
      return made.span;
    }
    const obj = this.versionAt(ref, current, generation);
    const id = obj.metadata.uid || key;
    const rootKey = `${id}\u0000${generation ?? ''}`;
    const known = this.roots.get(rootKey);
    if (known !== undefined) {
      // Made before, and its recent entries expired: the same span again (held or already emitted), not a second one.
      this.rememberRoot(ref, ofGeneration, generation, known);
      return known;
    }
    const previous = generation !== undefined ? this.lookup.previousGeneration?.(ref, generation) : undefined;
    const change = attributeChange(obj, previous);
    const links = this.previousGenerationLink(id, generation);
    // §5.12: a generation an autoscaler made through the scale subresource is rooted at its rescale.
    const rescale = change?.subresource === 'scale' && change.manager === 'kube-controller-manager' ? this.rescaleOf(ref, obj) : undefined;
    if (rescale !== undefined) {
      this.rememberRootSpan(rootKey, rescale);
      if (rescale.held !== undefined && links.length > 0) rescale.held.links = [...(rescale.held.links ?? []), ...links];
      if (ROLLOUT_KINDS.has(obj.kind) && generation !== undefined) this.supersede(key, generation, rescale.held?.startTime ?? p.time);
      this.rememberRoot(ref, ofGeneration, generation, rescale);
      return rescale;
    }
    const caller = this.callerOf(obj, previous);
    const asChild = caller !== undefined && this.config.traceContext === 'parent';
    if (caller !== undefined && !asChild) links.push(callerLink(caller));
    const handle: SpanHandle = { traceId: asChild ? caller.traceId : rootTraceId(id, generation), spanId: rootSpanId(id, generation), held: undefined };
    this.rememberRootSpan(rootKey, handle);
    const time = change?.time ?? p.time;
    const span = rootSpan({
      object: obj,
      manager: change?.manager ?? 'unknown',
      operation: change?.operation ?? 'Update',
      time,
      handle,
      sequence: p.seq,
      open: this.config.statusTransitions !== false && obj.metadata.generation === generation && rolloutInProgress(obj) && !this.rolloutEnded(id, generation),
      links: links.length > 0 ? links : undefined,
      remoteParent: asChild ? caller.spanId : undefined,
    });
    if (ROLLOUT_KINDS.has(obj.kind) && generation !== undefined) this.supersede(key, generation, time);
    this.counters.tracesStarted++;
    this.held.hold(`root|${key}`, span, this.now, this.out);
    this.rememberRoot(ref, ofGeneration, generation, handle);
    return handle;
  }

  private rememberRootSpan(rootKey: string, handle: SpanHandle): void {
    this.roots.set(rootKey, handle);
    if (this.roots.size > MAX_REMEMBERED_ROOTS) this.roots.delete(this.roots.keys().next().value!);
  }

  /** §5.12: a link to the root of the newest earlier generation of the object that had one. */
  private previousGenerationLink(id: string, generation: number | undefined): SpanLink[] {
    if (generation === undefined) return [];
    for (let g = generation - 1; g >= 0 && g >= generation - MAX_GENERATIONS_BACK; g--) {
      const root = this.roots.get(`${id}\u0000${g}`);
      if (root !== undefined) return [{ traceId: root.traceId, spanId: root.spanId, attributes: PREVIOUS_GENERATION }];
    }
    return [];
  }

  /** §5.12: the autoscaler's rescale, still remembered, that set the object's replicas to what this version has. */
  private rescaleOf(ref: Ref, obj: KubeObject): SpanHandle | undefined {
    const replicas = (obj.spec as { replicas?: unknown } | undefined)?.replicas;
    return typeof replicas === 'number' ? this.rescales.take(ref.namespace, ref.name, replicas, this.now) : undefined;
  }

  /** §5.13: the W3C trace context set with this generation; a malformed one is counted, and reported once per object. */
  private callerOf(obj: KubeObject, previous: KubeObject | undefined): TraceContext | undefined {
    const found = triggerContext(obj, previous, this.config.traceContextAnnotations ?? DEFAULT_TRACE_CONTEXT_ANNOTATIONS);
    if (found === undefined) return undefined;
    if ('context' in found) return found.context;
    this.counters.traceContextsInvalid++;
    const meta = obj.metadata;
    const id = meta.uid || keyOf(obj.kind, meta.namespace, meta.name);
    if (!this.noticed.has(id)) {
      this.noticed.add(id);
      if (this.noticed.size > MAX_NOTICED_OBJECTS) this.noticed.delete(this.noticed.values().next().value!);
      if (this.notices.length < MAX_PENDING_NOTICES) this.notices.push({ kind: obj.kind, namespace: meta.namespace, name: meta.name, uid: meta.uid, generation: meta.generation, annotation: found.invalid.key, value: found.invalid.value });
    }
    return undefined;
  }

  /** Stores a root as (none, object), and under its generation (see makeRoot). */
  private rememberRoot(ref: Ref, ofGeneration: string, generation: number | undefined, handle: SpanHandle): void {
    const key = ref.key;
    const entry: RecentEntry = {
      span: handle,
      parent: undefined,
      actor: undefined,
      object: ref,
      actorGeneration: undefined,
      objectGeneration: generation,
      actorTopLevel: false,
      objectTopLevel: true,
      objectUid: undefined,
      deletes: false,
      lastUsed: this.now,
      file: 0,
      slot: 0,
      actorKey: '',
      objectKey: '',
    };
    this.recent.set(ofGeneration, key, { ...entry });
    const latest = this.recent.peek('', key, this.now);
    const newer = latest?.objectGeneration !== undefined && generation !== undefined && latest.objectGeneration > generation;
    if (!newer) this.store('', key, entry);
  }

  /**
   * §5.11: the action on an object (`Created pod: X`) arrived after the object's newest span was
   * placed under an ancestor's activity; while that span is still held, it moves under the action,
   * and so do the events that later find their parent through it. Only inside the same trace and
   * the same incarnation of the object: its held descendants keep their trace id, and a span
   * already exported stays where it is.
   */
  private adoptUnderOwnParent(objectKey: string, action: RecentEntry): void {
    const parent = action.span;
    const span = this.held.newestOn(objectKey);
    if (span === undefined || !span.viaAncestor || span.parent === parent || span.handle.traceId !== parent.traceId) return;
    // §5.4: the `create Pod` of a Pod made again under its name is not the old Pod's parent.
    if (otherIncarnation(action.objectUid, span.facts?.uid)) return;
    // Never under one of its own descendants.
    let up: SpanHandle | undefined = parent;
    for (let depth = 0; up !== undefined && depth < MAX_WALK_DEPTH * 4; depth++) {
      if (up === span.handle) return;
      up = up.held?.parent;
    }
    span.parent = parent;
    span.viaAncestor = false;
    this.held.extendParents(span);
    this.counters.ownParentsAwaited++;
    const ofObject = this.recent.peek('', objectKey, this.now);
    if (ofObject?.span === span.handle) ofObject.parent = parent;
  }

  /**
   * §5.11: whether `p`, on an object whose controller makes such objects with an Event (a Pod of a
   * ReplicaSet: `Created pod`), made less than EXPECTED_PARENT_WAIT_MS before it was received, is
   * still to wait for that action rather than go under an ancestor's activity. Marks it as having
   * passed an ancestor by.
   */
  private awaitsOwnParent(p: EventContext): boolean {
    if (!this.expectsOwnParent(p)) return false;
    p.passedAncestor = true;
    return true;
  }

  private expectsOwnParent(p: EventContext): boolean {
    if (p.action.actor !== undefined || this.now - p.receivedAt >= EXPECTED_PARENT_WAIT_MS) return false;
    // §5.5: the deletion a Killing reports may itself wait a window for its own parent (the root of
    // a scale-down), and be given up on after it.
    if ((p.role & ROLE_AWAITS_DELETION) !== 0) return true;
    const obj = this.lookup.get(p.action.object);
    const created = obj?.metadata.createdAt;
    if (obj === undefined || created === undefined || p.receivedAt - created * 1000 >= EXPECTED_PARENT_WAIT_MS) return false;
    const owners = obj.metadata.ownerReferences;
    const owner = owners?.find((o) => o.controller === true) ?? owners?.[0];
    return owner !== undefined && this.creators.has(`${owner.kind}\u0000${obj.kind}`);
  }

  private queueOf(p: EventContext): PendingQueue<EventContext> {
    return p.expecting ? this.expecting : this.pending;
  }

  private unqueue(p: EventContext): void {
    this.queueOf(p).remove(p);
  }

  /** The waiting event that arrived first, in either queue. */
  private oldestWaiting(): EventContext | undefined {
    const a = this.pending.oldest();
    const b = this.expecting.oldest();
    if (a === undefined || b === undefined) return a ?? b;
    return a.seq < b.seq ? a : b;
  }

  private rolloutEnded(id: string, generation: number | undefined): boolean {
    const ended = this.endedRollouts.get(id);
    return ended !== undefined && generation !== undefined && ended >= generation;
  }

  /** A new generation's root ends the older generation's root still waiting for its rollout (§5.10). */
  private supersede(key: string, generation: number, at: number): void {
    const latest = this.recent.peek('', key, this.now);
    const older = latest?.span.held;
    if (!older?.open || latest!.objectGeneration === undefined || latest!.objectGeneration >= generation) return;
    older.open = false;
    older.supersededBy = generation;
    if (older.endTime < at) older.endTime = at;
  }

  /** The version of the object at `generation` when the lookup still has it, else the newest. */
  private versionAt(ref: ObjectRef, current: KubeObject, generation: number | undefined): KubeObject {
    if (generation === undefined || current.metadata.generation === generation) return current;
    const older = this.lookup.previousGeneration?.(ref, generation + 1);
    return older?.metadata.generation === generation ? older : current;
  }

  // ---- plumbing -----------------------------------------------------------------------------

  private advance(now: number): void {
    if (Number.isFinite(now) && now > this.now) this.now = now;
  }

  private takeOut(): SpanRecord[] {
    const out = this.out;
    if (out.length === 0) return [];
    this.out = [];
    this.counters.spansEmitted += out.length;
    return out;
  }
}

const PREVIOUS_GENERATION: SpanLink['attributes'] = Object.freeze({ 'kspan.link.type': 'previous_generation' });
const TRIGGER: SpanLink['attributes'] = Object.freeze({ 'kspan.link.type': 'trigger' });

function callerLink(caller: TraceContext): SpanLink {
  const link: SpanLink = { traceId: caller.traceId, spanId: caller.spanId, attributes: TRIGGER };
  return caller.traceState !== undefined ? { ...link, traceState: caller.traceState } : link;
}

/**
 * The root above `parent`, still held, learns how its generation's rollout ended: it waits no
 * longer, and a failure is its ERROR status.
 */
function endRootOf(parent: SpanHandle, result: 'complete' | 'failed', message: string): void {
  let draft = parent.held;
  for (let depth = 0; draft?.parent !== undefined && depth < MAX_WALK_DEPTH * 4; depth++) draft = draft.parent.held;
  if (draft === undefined || draft.facts !== undefined || draft.outcome !== undefined) return;
  draft.open = false;
  draft.outcome = result;
  if (result === 'failed') draft.failure = message;
}

/** Which owners make which objects with an Event: every rule's (involved kind, target kind). */
function creatorKinds(rules: readonly CompiledRule[]): ReadonlySet<string> {
  return new Set(rules.map((r) => `${r.involvedKind}\u0000${r.targetKind}`));
}
