/**
 * One Pipeline per TraceCollector: shared watches -> filters -> engine -> exporter.
 * The pipeline owns the engine's tick timer (the only timers of the event path).
 */

import { DEFAULTS, type RecordInputSpec, type TraceCollectorSpec } from '../api/types.js';
import { type Clock, systemClock, type TimerHandle } from '../core/clock.js';
import { type Logger, silentLogger } from '../core/log.js';
import { TickSchedule } from '../engine/schedule.js';
import type { EngineConfig, KubeEvent, KubeObject, ObjectLookup, SpanRecord } from '../engine/types.js';
import { spanIdOfEvent } from '../engine/ids.js';
import { alreadyExported, revision, type Checkpoint, type EventOrigin } from './checkpoint.js';
import { Delivery, type CheckpointSettings, type DeliveryStats } from './delivery.js';
import type { CorrelatorLike, EngineFactory } from './engine-port.js';
import { eventTimeMs, passesFilter, SeenEvents } from './filter.js';
import { needsNamespaceWatch, resolveNamespaces, type NamespaceScope } from './namespaces.js';
import {
  ALL_NAMESPACES,
  type ClusterSourcePort,
  type ExporterState,
  type NamespaceInfo,
  type ResolvedExporterConfig,
  type SpanExporterPort,
  type Subscription,
  type WatchProblem,
} from './ports.js';

/** Events whose origin a continuation remembers (their spans may come out long after they were read). */
const MAX_ORIGINS = 200_000;

/**
 * How long a continuation waits for its watches to list before it replays what it has (the rest
 * is then fed as it comes, and what the checkpoint covers is still not sent again). Listing every
 * Event of a busy cluster takes a while; a watch that cannot list (403) must not hold the
 * collector up for good.
 */
const CATCH_UP_TIMEOUT_MS = 120_000;

export interface PipelineSettings {
  spec: TraceCollectorSpec;
  exporter: ResolvedExporterConfig;
}

/** Cumulative counters a pipeline reports (status fields of the same name). */
export interface PipelineCounters {
  eventsReceived: number;
  eventsUnresolved: number;
  tracesStarted: number;
  spansExported: number;
  spansDropped: number;
  /** spans made from status transitions (docs/design.md §5.10) */
  statusSpans: number;
  /** events placed under the action that made their object after waiting for it (§5.11) */
  ownParentsAwaited: number;
  /** events that waited for that action in vain, placed under an ancestor (§5.11) */
  spansUnderAncestor: number;
}

export interface PipelineStats extends PipelineCounters, DeliveryStats {
  /** events a continuation fed again from the list, to rebuild what its predecessor had (this run) */
  eventsReplayed: number;
  pendingEvents: number;
  /** events given up on before their window because maxPendingEvents was reached (this run) */
  pendingOverflow: number;
  /** spans waiting in the exporter's queue */
  spansQueued: number;
  /** actions in the engine's recent store */
  recentActions: number;
  /** spans the engine holds until their end is known */
  heldSpans: number;
  /** events skipped because they happened before (start - window): already handled before a restart */
  eventsSkippedOld: number;
  /** events the spec's filter excluded */
  eventsFiltered: number;
  lastExportTime?: number;
  exporter: ExporterState;
  /** sorted names, or ["*"] */
  watchedNamespaces: string[];
  /** every watch the pipeline needs has listed at least once */
  synced: boolean;
  /** current watch problems (e.g. 403), one per failing watch */
  problems: WatchProblem[];
}

/**
 * Where a pipeline writes what it feeds its engine, when its spec asks (spec.debug.recordInput):
 * the capture format of docs/design.md §6, written by the composition root's implementation.
 */
export interface InputRecorder {
  /** false once it writes no more (a bound reached, the file failed) */
  readonly open: boolean;
  event(event: KubeEvent, at: number): void;
  /** an object version received at `at`; without `at`, one the engine read that was known before the next record */
  object(object: KubeObject, at?: number): void;
  close(): void;
}

export interface InputRecorderRequest {
  collector: { namespace: string; name: string };
  spec: TraceCollectorSpec;
  limits: Required<RecordInputSpec>;
  /** when the pipeline's tick schedule started */
  tickOrigin: number;
  /** when the recording starts */
  now: number;
}

export interface PipelineOptions {
  collector: { namespace: string; name: string };
  settings: PipelineSettings;
  source: ClusterSourcePort;
  engine: EngineFactory;
  createExporter(config: ResolvedExporterConfig): SpanExporterPort;
  /** counters carried over from a previous run (the collector's status), added to this run's */
  baseline?: Partial<PipelineCounters>;
  /** called when watch problems, sync state or the exporter state change */
  onStateChange?: () => void;
  log?: Logger;
  /** the time and the tick timer (default: the system clock) */
  clock?: Clock;
  /** records the engine's input for spec.debug.recordInput; absent: the operator runs without --record-dir */
  createRecorder?: (request: InputRecorderRequest) => InputRecorder;
  /** write checkpoints of what was delivered (docs/design.md §4.8); absent: none are written */
  checkpoints?: CheckpointSettings;
  /** a predecessor's checkpoint: replay the Events still listed back to it, export only what it did not */
  continueFrom?: Checkpoint;
}

/** A continuation's input until its event watches have listed: replayed in their original order. */
interface CatchUp {
  from: Checkpoint;
  events: KubeEvent[];
  objects: Array<[KubeObject, KubeObject | undefined]>;
  timer: TimerHandle;
}

interface EventWatch {
  subscription: Subscription;
  objects: Subscription;
}

export class Pipeline {
  private readonly startedAt: number;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly correlator: CorrelatorLike;
  private readonly exporter: SpanExporterPort;
  private readonly delivery: Delivery;
  private catchUp: CatchUp | undefined;
  private eventsReplayed = 0;
  /** per namespace, the resourceVersion of the newest Event read (checkpoints account for Events' spans by it) */
  private readonly eventsRead = new Map<string, number>();
  /** a continuation's: the Event each span read is of */
  private readonly origins = new Map<string, EventOrigin>();
  /** of the events replayed, those whose span the checkpoint covers: its writer counted them already */
  private eventsReceivedBefore = 0;
  private readonly seen = new SeenEvents();
  private readonly watches = new Map<string, EventWatch>();
  private readonly synced = new Set<string>();
  private readonly problems = new Map<string, WatchProblem>();
  private readonly knownNamespaces = new Map<string, NamespaceInfo>();
  private namespaceWatch: Subscription | undefined;
  private namespacesSynced = false;
  private settings: PipelineSettings;
  private engineConfig: EngineConfig;
  private scope: NamespaceScope = { all: false, names: [] };
  private readonly ticks: TickSchedule;
  private tickTimer: TimerHandle;
  private stopped = false;
  private eventsSkippedOld = 0;
  private eventsFiltered = 0;
  private recorder: InputRecorder | undefined;
  /** the object versions the recording has (projected versions are never changed in place) */
  private recorded = new WeakSet<KubeObject>();
  /** what the current recording was started for (see record) */
  private recording = '';

  constructor(private readonly options: PipelineOptions) {
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? silentLogger;
    this.settings = options.settings;
    this.startedAt = this.clock.now();
    this.engineConfig = options.engine.configFromSpec(this.settings.spec);
    this.ticks = new TickSchedule(this.tickInterval());
    this.ticks.start(this.startedAt);
    this.correlator = options.engine.create(this.engineConfig, this.recordingLookup(options.source.lookup));
    this.exporter = options.createExporter(this.settings.exporter);
    this.exporter.onStateChange(() => this.changed());
    this.delivery = new Delivery({
      exporter: this.exporter,
      clock: this.clock,
      log: this.log,
      ...(options.checkpoints ? { checkpoints: options.checkpoints } : {}),
      ...(options.continueFrom ? { continuation: options.continueFrom } : {}),
      unfinished: (visit) => this.correlator.unfinished(visit),
      eventsRead: () => this.eventsRead,
      eventOrigin: (spanId) => this.origins.get(spanId),
    });
    if (options.continueFrom) {
      const from = options.continueFrom;
      this.catchUp = { from, events: [], objects: [], timer: this.clock.setTimeout(() => this.finishCatchUp('timeout'), CATCH_UP_TIMEOUT_MS) };
    }
    this.record();
    this.watchRuleTargets();
    this.applyScope();
    this.scheduleTick();
  }

  /**
   * Apply a new spec or exporter config in place: pending and held spans are kept. Throws, changing
   * nothing, when the engine refuses the spec.
   */
  update(settings: PipelineSettings): void {
    if (this.stopped) return;
    const previous = this.settings;
    // Computed first: a spec the engine refuses throws here, before anything has changed.
    const engineChanged = !sameJson(engineInputs(previous.spec), engineInputs(settings.spec));
    const engineConfig = engineChanged ? this.options.engine.configFromSpec(settings.spec) : this.engineConfig;
    this.settings = settings;
    if (engineChanged) {
      this.engineConfig = engineConfig;
      this.correlator.reconfigure(engineConfig);
      this.ticks.setInterval(this.tickInterval());
    }
    if (!sameJson(previous.exporter, settings.exporter)) this.exporter.update(settings.exporter);
    this.record();
    this.watchRuleTargets();
    this.applyScope();
  }

  /**
   * Stop watching; with flush, deliver what is finished before the deadline and give up waiting on
   * the rest, delivering that too. With handOver, when checkpoints are written, what the engine
   * still holds is left to the successor instead: the last checkpoint lists it as not delivered,
   * and the successor's replay makes the same spans, placed as they would have been. Without
   * handOver (the collector is suspended, deleted, or cannot run) the checkpoint is removed: what
   * happens until it runs again is not traced, as before checkpoints.
   */
  async stop(options: { flush: boolean; deadline: number; handOver?: boolean }): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.tickTimer !== undefined) this.clock.clearTimeout(this.tickTimer);
    if (this.catchUp) this.clock.clearTimeout(this.catchUp.timer);
    this.namespaceWatch?.unsubscribe();
    this.namespaceWatch = undefined;
    for (const watch of this.watches.values()) {
      watch.subscription.unsubscribe();
      watch.objects.unsubscribe();
    }
    this.watches.clear();
    this.recorder?.close();
    this.recorder = undefined;
    if (options.flush) {
      // Stopped before its replay was fed, the engine holds less than the checkpoint it started from.
      const ending = this.catchUp !== undefined ? 'keep' : options.handOver === true ? 'handOver' : 'clear';
      const handOver = ending === 'handOver' && this.delivery.checkpointing;
      await this.delivery.finish(options.deadline, handOver ? [] : this.correlator.flush(this.clock.now()), ending);
    }
    await this.exporter.shutdown(options.flush ? options.deadline : this.clock.now());
  }

  get running(): boolean {
    return !this.stopped;
  }

  stats(): PipelineStats {
    const engine = this.correlator.stats();
    const exporter = this.exporter.stats();
    const base = this.options.baseline ?? {};
    const stats: PipelineStats = {
      ...this.delivery.stats(),
      eventsReplayed: this.eventsReplayed,
      eventsReceived: (base.eventsReceived ?? 0) + engine.eventsReceived - this.eventsReceivedBefore,
      eventsUnresolved: (base.eventsUnresolved ?? 0) + engine.eventsUnresolved,
      tracesStarted: (base.tracesStarted ?? 0) + engine.tracesStarted,
      spansExported: (base.spansExported ?? 0) + exporter.spansExported,
      spansDropped: (base.spansDropped ?? 0) + exporter.spansDropped,
      statusSpans: (base.statusSpans ?? 0) + engine.statusSpans,
      ownParentsAwaited: (base.ownParentsAwaited ?? 0) + engine.ownParentsAwaited,
      spansUnderAncestor: (base.spansUnderAncestor ?? 0) + engine.underAncestor,
      pendingEvents: engine.pendingEvents,
      pendingOverflow: engine.pendingOverflow,
      spansQueued: exporter.spansQueued,
      recentActions: engine.recentEntries,
      heldSpans: engine.heldSpans,
      eventsSkippedOld: this.eventsSkippedOld,
      eventsFiltered: this.eventsFiltered,
      exporter: exporter.state,
      watchedNamespaces: this.scope.all ? [ALL_NAMESPACES] : [...this.scope.names],
      synced: this.isSynced(),
      problems: [...this.problems.values()],
    };
    if (exporter.lastExportTime !== undefined) stats.lastExportTime = exporter.lastExportTime;
    return stats;
  }

  private isSynced(): boolean {
    if (this.namespaceWatch && !this.namespacesSynced) return false;
    for (const key of this.watches.keys()) if (!this.synced.has(key)) return false;
    return true;
  }

  /** Objects an ownerKindRule names (e.g. custom resources) must be in the caches to be resolved. */
  private watchRuleTargets(): void {
    for (const rule of this.settings.spec.ownerKindRules ?? []) {
      if (rule.targetApiVersion) this.options.source.watchObjectKind?.(rule.targetApiVersion, rule.targetKind);
    }
  }

  private applyScope(): void {
    const spec = this.settings.spec;
    if (needsNamespaceWatch(spec)) {
      this.namespaceWatch ??= this.options.source.watchNamespaces({
        onObject: (ns) => {
          this.knownNamespaces.set(ns.name, ns);
          if (this.namespacesSynced) this.applyScope();
        },
        onDelete: (ns) => {
          this.knownNamespaces.delete(ns.name);
          if (this.namespacesSynced) this.applyScope();
        },
        onSynced: () => {
          this.problems.delete('namespaces');
          const first = !this.namespacesSynced;
          this.namespacesSynced = true;
          if (first) this.applyScope();
          this.changed();
        },
        onProblem: (problem) => this.problem('namespaces', problem),
      });
    } else if (this.namespaceWatch) {
      this.namespaceWatch.unsubscribe();
      this.namespaceWatch = undefined;
      this.namespacesSynced = false;
      this.knownNamespaces.clear();
      this.problems.delete('namespaces');
    }
    const scope = resolveNamespaces(spec, this.options.collector.namespace, [...this.knownNamespaces.values()]);
    const wanted = scope.all ? [ALL_NAMESPACES] : scope.names;
    const before = JSON.stringify(this.scope);
    this.scope = scope;
    for (const [namespace, watch] of this.watches) {
      if (wanted.includes(namespace)) continue;
      watch.subscription.unsubscribe();
      watch.objects.unsubscribe();
      this.watches.delete(namespace);
      this.synced.delete(namespace);
      this.problems.delete(namespace);
    }
    for (const namespace of wanted) {
      if (!this.watches.has(namespace)) this.watchNamespace(namespace);
    }
    if (before !== JSON.stringify(scope)) {
      this.log.info({ watchedNamespaces: wanted }, 'watched namespaces changed');
      this.changed();
    }
  }

  private watchNamespace(namespace: string): void {
    const watch: EventWatch = { objects: { unsubscribe: () => {} }, subscription: { unsubscribe: () => {} } };
    this.watches.set(namespace, watch);
    // Retain the object caches first so owner lookups are served when the first events arrive.
    watch.objects = this.options.source.retainObjects(namespace, (object, previous) => {
      if (this.watches.get(namespace) === watch) this.onObject(object, previous);
    });
    watch.subscription = this.options.source.watchEvents(namespace, {
      onObject: (event) => {
        if (this.watches.get(namespace) === watch) this.onEvent(event);
      },
      onSynced: () => {
        if (this.watches.get(namespace) !== watch) return;
        this.synced.add(namespace);
        this.problems.delete(namespace);
        if (this.catchUp && this.isSynced()) this.finishCatchUp('synced');
        this.changed();
      },
      onProblem: (problem) => {
        if (this.watches.get(namespace) === watch) this.problem(namespace, problem);
      },
    });
  }

  private problem(key: string, problem: WatchProblem): void {
    const previous = this.problems.get(key);
    this.problems.set(key, problem);
    if (!previous || previous.status !== problem.status || previous.message !== problem.message) {
      this.log.warn({ problem }, 'watch problem');
      this.changed();
    }
  }

  /**
   * Starts, ends or restarts the recording of the engine's input as the spec asks: a recording's
   * header names the engine settings, so a change of them starts a new file.
   */
  private record(): void {
    const spec = this.settings.spec;
    const asked = spec.debug?.recordInput;
    const wanted = asked === undefined ? '' : JSON.stringify([asked, engineInputs(spec), spec.spans ?? null]);
    if (wanted === this.recording) return;
    this.recording = wanted;
    this.recorder?.close();
    this.recorder = undefined;
    if (asked === undefined) return;
    if (!this.options.createRecorder) {
      this.log.warn({}, 'spec.debug.recordInput is set, but the operator runs without --record-dir: the input is not recorded');
      return;
    }
    this.recorded = new WeakSet();
    try {
      this.recorder = this.options.createRecorder({
        collector: this.options.collector,
        spec,
        limits: { maxBytes: asked.maxBytes ?? DEFAULTS.recordMaxBytes, maxSeconds: asked.maxSeconds ?? DEFAULTS.recordMaxSeconds },
        tickOrigin: this.startedAt,
        now: this.clock.now(),
      });
    } catch (err) {
      this.log.error({ err }, 'cannot record the input');
    }
  }

  /** The recorder while it still writes. */
  private writing(): InputRecorder | undefined {
    const recorder = this.recorder;
    if (recorder === undefined || recorder.open) return recorder;
    this.recorder = undefined;
    return undefined;
  }

  /**
   * The engine's lookup, telling the recording of each object version the engine reads that it
   * does not have yet: one the cache had before this pipeline (or this recording) started, or that
   * a watch shared with another collector delivered before this one held it. Written as known
   * before the record that follows, so a replay has it when the engine reads it.
   */
  private recordingLookup(lookup: ObjectLookup): ObjectLookup {
    const seen = (object: KubeObject | undefined): KubeObject | undefined => {
      if (object !== undefined && this.recorder !== undefined && !this.recorded.has(object)) {
        this.recorded.add(object);
        this.writing()?.object(object);
      }
      return object;
    };
    const wrapped: ObjectLookup = { get: (ref) => seen(lookup.get(ref)) };
    const previousGeneration = lookup.previousGeneration?.bind(lookup);
    if (previousGeneration) wrapped.previousGeneration = (ref, generation) => seen(previousGeneration(ref, generation));
    return wrapped;
  }

  private onEvent(event: KubeEvent): void {
    if (this.stopped || !this.seen.firstTime(event)) return;
    const at = eventTimeMs(event);
    // After a restart the list returns events handled before. Without a checkpoint they are
    // skipped (not emitted again); a continuation replays them back to the recent store's horizon
    // before its checkpoint, so as to rebuild what its predecessor had.
    const from = this.options.continueFrom;
    const oldBefore = from ? from.watermark - this.engineConfig.expireAfterMs : this.startedAt - this.engineConfig.recentWindowMs;
    if (at !== undefined && at < oldBefore) {
      this.eventsSkippedOld++;
      return;
    }
    if (!passesFilter(event, this.settings.spec.filter)) {
      this.eventsFiltered++;
      return;
    }
    if (this.catchUp) {
      this.catchUp.events.push(event);
      return;
    }
    this.feed(event, this.clock.now());
  }

  /** The Event's span id when checkpoints account for it (see noteRead). */
  private feed(event: KubeEvent, now: number): string | undefined {
    const spanId = this.noteRead(event);
    try {
      this.export(this.correlator.addEvent(event, now));
    } catch (err) {
      // An engine bug on one event must not stop the stream (nor other collectors on the watch).
      this.log.error({ err, event: { namespace: event.metadata.namespace, name: event.metadata.name } }, 'engine failed on an event');
    }
    // After the engine took it: the versions it read for the first time come before it.
    this.writing()?.event(event, now);
    return spanId;
  }

  /**
   * An object reached the lookup: events that arrived before it (separate watches) can go on now,
   * and its status transitions from `previous` become spans.
   */
  private onObject(object: KubeObject, previous: KubeObject | undefined): void {
    if (this.stopped) return;
    if (this.catchUp) {
      this.catchUp.objects.push([object, previous]);
      return;
    }
    const now = this.clock.now();
    const recorder = this.writing();
    // Written once the engine has it, after what the engine read for the first time meanwhile.
    if (recorder) this.recorded.add(object);
    try {
      this.export(this.correlator.objectChanged(object, now, previous));
    } catch (err) {
      this.log.error({ err, object: { kind: object.kind, namespace: object.metadata.namespace, name: object.metadata.name } }, 'engine failed on an object');
    }
    if (recorder) {
      // Replay reads status transitions between the versions it has: it needs the one replaced.
      if (previous !== undefined && !this.recorded.has(previous)) {
        this.recorded.add(previous);
        recorder.object(previous);
      }
      recorder.object(object, now);
    }
  }

  /**
   * A continuation's replay: the events listed, in the order the API server wrote them (their
   * resourceVersions), each at its own time as if just received, with the engine's ticks in
   * between; then the object changes that came meanwhile, now. The engine then holds what its
   * predecessor held, and the spans the checkpoint covers are not exported again (Delivery).
   */
  private finishCatchUp(why: 'synced' | 'timeout'): void {
    const catchUp = this.catchUp;
    if (catchUp === undefined || this.stopped) return;
    this.catchUp = undefined;
    this.clock.clearTimeout(catchUp.timer);
    const now = this.clock.now();
    const events = catchUp.events.sort(writeOrder);
    const interval = this.tickInterval();
    let at = Number.NEGATIVE_INFINITY;
    let nextTick = Number.POSITIVE_INFINITY;
    for (const event of events) {
      // Never ahead of now, never back in time: the engine's clock only moves forward.
      at = Math.max(at, Math.min(now, eventTimeMs(event) ?? now));
      if (nextTick === Number.POSITIVE_INFINITY) nextTick = at + interval;
      for (; nextTick <= at; nextTick += interval) this.export(this.correlator.tick(nextTick));
      const spanId = this.feed(event, at) ?? spanIdOfEvent(event);
      if (alreadyExported(catchUp.from, { spanId, startTime: at }, this.origins.get(spanId))) this.eventsReceivedBefore++;
    }
    this.eventsReplayed += events.length;
    for (const [object, previous] of catchUp.objects) this.onObject(object, previous);
    this.export(this.correlator.tick(now));
    const { spansSuppressed } = this.delivery.stats();
    const level = why === 'timeout' ? 'warn' : 'info';
    this.log[level](
      { checkpoint: { watermark: new Date(catchUp.from.watermark).toISOString(), writtenAt: new Date(catchUp.from.writtenAt).toISOString() }, eventsReplayed: events.length, spansSuppressed, why },
      why === 'timeout' ? 'continued from the checkpoint before every watch listed' : 'continued from the checkpoint',
    );
    this.changed();
  }

  /**
   * Accounts an Event read for checkpoints, before the engine can make its span: its watch
   * delivers in resourceVersion order, so it is the newest of its namespace read. Gives the
   * Event's span id, undefined when nothing is accounted (no checkpoints, no continuation).
   */
  private noteRead(event: KubeEvent): string | undefined {
    if (!this.delivery.checkpointing && this.options.continueFrom === undefined) return undefined;
    const spanId = spanIdOfEvent(event);
    this.delivery.eventRead(spanId);
    const rv = revision(event.metadata.resourceVersion);
    if (rv === undefined) return spanId;
    const namespace = event.metadata.namespace ?? '';
    if (rv > (this.eventsRead.get(namespace) ?? -1)) this.eventsRead.set(namespace, rv);
    if (this.options.continueFrom === undefined) return spanId;
    this.origins.set(spanId, { namespace, resourceVersion: rv });
    if (this.origins.size > MAX_ORIGINS) this.origins.delete(this.origins.keys().next().value!);
    return spanId;
  }

  private tickInterval(): number {
    return Math.max(10, this.options.engine.tickIntervalMs(this.engineConfig));
  }

  /**
   * Ticks fall on the schedule replay uses (from the start, every interval), so that a capture
   * replays with the spans leaving at the ticks they left at live. Each timer aims at the next
   * scheduled tick rather than one interval after the last: a late timer or a long tick delays
   * that tick only, never the later ones. Ticks missed during a stall run as one, now.
   */
  private scheduleTick(): void {
    if (this.stopped) return;
    this.tickTimer = this.clock.setTimeout(
      () => {
        const now = this.clock.now();
        // A continuation's engine runs on its replay's clock until the replay is done.
        if (this.ticks.runDue(now, NO_TICK) > 0 && this.catchUp === undefined) {
          try {
            this.export(this.correlator.tick(now));
          } catch (err) {
            this.log.error({ err }, 'engine tick failed');
          }
        }
        this.scheduleTick();
      },
      Math.max(0, this.ticks.next! - this.clock.now()),
    );
  }

  private export(spans: readonly SpanRecord[]): void {
    if (spans.length > 0) this.delivery.add(spans);
    // Roots are made while the engine places events: what it met on the way is logged here, once per object.
    const notices = this.correlator.takeTraceContextNotices?.();
    if (notices === undefined || notices.length === 0) return;
    for (const n of notices) {
      this.log.warn({ object: { kind: n.kind, namespace: n.namespace, name: n.name, uid: n.uid, generation: n.generation }, annotation: n.annotation, value: n.value }, 'ignored a malformed W3C traceparent (docs/design.md §5.13)');
    }
  }

  private changed(): void {
    if (this.stopped) return;
    try {
      this.options.onStateChange?.();
    } catch (err) {
      this.log.error({ err }, 'state change listener failed');
    }
  }
}

const NO_TICK = (): void => undefined;

/** The API server's write order: resourceVersions are etcd revisions, compared as numbers when they are. */
function writeOrder(a: KubeEvent, b: KubeEvent): number {
  const x = Number(a.metadata.resourceVersion);
  const y = Number(b.metadata.resourceVersion);
  if (Number.isFinite(x) && Number.isFinite(y) && x !== y) return x - y;
  return (eventTimeMs(a) ?? 0) - (eventTimeMs(b) ?? 0);
}

function engineInputs(spec: TraceCollectorSpec): unknown {
  return { correlation: spec.correlation, ownerKindRules: spec.ownerKindRules };
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
