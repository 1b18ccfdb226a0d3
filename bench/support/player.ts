/**
 * Plays a workload stream into the Kubernetes API test server at a controlled event rate.
 *
 * The stream is in virtual time; the player paces it by events: it writes the stream's steps in
 * order until the number of events written reaches rate x elapsed time, so the wanted rate holds
 * from the first second (no ramp-up while scenarios start to overlap) and a rate change takes
 * effect at once. Virtual time is mapped to wall-clock time as it is played (each step is
 * stamped with the moment it is written) and every object is built at that moment — the
 * operator sees live objects and events with current timestamps. Events expire after `eventTtlMs` like the API server's
 * --event-ttl (deleted, watchers see DELETED).
 *
 * For every event it records the injection time (the moment of the write) by the event's uid, so
 * that what the receiver gets can be matched against what was sent.
 */

import type { KubeApiTestServer } from '../../test/support/kube-api-server/index.js';
import type { KubeJson } from './kube-objects.js';
import type { Step, Workload, WorkloadStream } from './workload.js';

/** Injection records of every event, by sequence number. */
export class EventLog {
  readonly seqByUid = new Map<string, number>();
  namespaces: Uint16Array = new Uint16Array(1 << 16);
  injectedAt: Float64Array = new Float64Array(1 << 16);
  count = 0;

  add(uid: string, namespace: number, at: number): void {
    if (this.count === this.injectedAt.length) {
      const grow = <T extends Float64Array | Uint16Array>(a: T, make: (n: number) => T): T => {
        const b = make(a.length * 2);
        b.set(a);
        return b;
      };
      this.injectedAt = grow(this.injectedAt, (n) => new Float64Array(n));
      this.namespaces = grow(this.namespaces, (n) => new Uint16Array(n));
    }
    this.seqByUid.set(uid, this.count);
    this.injectedAt[this.count] = at;
    this.namespaces[this.count] = namespace;
    this.count++;
  }
}

export interface PlayerOptions {
  api: KubeApiTestServer;
  workload: Workload;
  /** events are deleted this long after their write (default: never) */
  eventTtlMs?: number;
  /** called for every step written (after the write) with its wall time */
  onStep?: (step: Step, wallAt: number, object: KubeJson | undefined) => void;
}

export class Player {
  readonly events = new EventLog();
  /** wall time of every step written, in stream order (to replay the same run offline) */
  stepTimes: Float64Array = new Float64Array(1 << 16);
  steps = 0;
  readonly stream: WorkloadStream;
  objectWrites = 0;
  deletes = 0;
  /** writes that the API server refused (should stay 0) */
  errors = 0;
  lastError: string | undefined;
  /** (virtual, wall) anchors of what was played, for toWall() */
  private anchorsVirtual: Float64Array = new Float64Array(1 << 12);
  private anchorsWall: Float64Array = new Float64Array(1 << 12);
  private anchors = 0;
  private rate = 0;
  /** events owed before the current rate started, and when it started */
  private owed = 0;
  private rateSince = 0;
  private readonly nsIndex: Map<string, number>;
  private readonly expiring: Array<{ at: number; namespace: string; name: string }> = [];
  private expireHead = 0;
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(private readonly options: PlayerOptions) {
    this.stream = options.workload.stream(0);
    this.nsIndex = new Map(options.workload.namespaces.map((n, i) => [n, i]));
  }

  /**
   * Virtual -> wall time for times already played: the wall time of the anchor at or before it
   * (the step being written is anchored just before it is built, so this is "now" for it, and
   * the same value when the run is replayed offline).
   */
  readonly toWall = (virtual: number): number => {
    let lo = 0;
    let hi = this.anchors - 1;
    if (hi < 0) return Date.now();
    if (virtual >= this.anchorsVirtual[hi]!) return this.anchorsWall[hi]!;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.anchorsVirtual[mid]! <= virtual) lo = mid;
      else hi = mid - 1;
    }
    return this.anchorsWall[lo]!;
  };

  /** Sets the event rate (events/s); starts playing on the first call. */
  setRate(eventsPerSecond: number): void {
    const now = Date.now();
    this.owed = this.target(now);
    this.rateSince = now;
    this.rate = eventsPerSecond;
    if (!this.running) {
      this.running = true;
      this.loop();
    }
  }

  private target(now: number): number {
    return this.owed + ((now - this.rateSince) / 1000) * this.rate;
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
  }

  /** Writes everything due now. */
  private loop = (): void => {
    if (!this.running) return;
    const started = Date.now();
    const target = this.target(started);
    // Bounded batches keep the event loop (watch writes to sockets) moving.
    for (let n = 0; n < 2000 && this.events.count < target; n++) {
      this.anchor(this.stream.peekAt(), Date.now());
      this.apply(this.stream.next());
    }
    this.expire(started);
    this.timer = setTimeout(this.loop, this.events.count < this.target(Date.now()) ? 0 : 1);
  };

  private anchor(virtual: number, wall: number): void {
    const last = this.anchors - 1;
    if (last >= 0 && this.anchorsWall[last] === wall) return; // one anchor per ms is enough
    if (this.anchors === this.anchorsVirtual.length) {
      const v = new Float64Array(this.anchors * 2);
      const w = new Float64Array(this.anchors * 2);
      v.set(this.anchorsVirtual);
      w.set(this.anchorsWall);
      this.anchorsVirtual = v;
      this.anchorsWall = w;
    }
    this.anchorsVirtual[this.anchors] = virtual;
    this.anchorsWall[this.anchors] = wall;
    this.anchors++;
  }

  private apply(step: Step): void {
    const api = this.options.api;
    if (this.steps === this.stepTimes.length) {
      const grown = new Float64Array(this.stepTimes.length * 2);
      grown.set(this.stepTimes);
      this.stepTimes = grown;
    }
    // Written before the step (NaN if it threw) so that indexes stay aligned with the stream.
    this.stepTimes[this.steps++] = Number.NaN;
    try {
      if (step.op === 'delete') {
        api.remove(step.apiVersion, step.kind, step.namespace, step.name);
        this.stepTimes[this.steps - 1] = Date.now();
        this.deletes++;
        this.options.onStep?.(step, Date.now(), undefined);
        return;
      }
      const object = step.build(this.toWall);
      api.handOver(object);
      const at = Date.now();
      this.stepTimes[this.steps - 1] = at;
      if (step.event) {
        const namespace = object.metadata.namespace ?? '';
        this.events.add(object.metadata.uid, this.nsIndex.get(namespace) ?? 0, at);
        if (this.options.eventTtlMs !== undefined) this.expiring.push({ at: at + this.options.eventTtlMs, namespace, name: object.metadata.name });
      } else {
        this.objectWrites++;
      }
      this.options.onStep?.(step, at, object);
    } catch (err) {
      this.errors++;
      this.lastError = err instanceof Error ? err.message : String(err);
    }
  }

  private expire(now: number): void {
    while (this.expireHead < this.expiring.length && this.expiring[this.expireHead]!.at <= now) {
      const e = this.expiring[this.expireHead++]!;
      try {
        this.options.api.remove('v1', 'Event', e.namespace, e.name);
      } catch {
        // already gone (namespace deleted): nothing to expire
      }
    }
    if (this.expireHead > 100_000) {
      this.expiring.splice(0, this.expireHead);
      this.expireHead = 0;
    }
  }
}
