/**
 * Lease-based leader election (coordination.k8s.io/v1), the protocol client-go's
 * leaderelection package speaks, so kspan replicas elect one leader through a Lease:
 *
 * - a candidate takes the Lease when it is absent, released (empty holderIdentity) or expired —
 *   expiry judged by the candidate's own clock from when it last saw the record change, so clock
 *   skew between nodes does not matter;
 * - the leader renews every retryPeriod; if it cannot renew for renewDeadline it stops leading
 *   (before the lease expires for others, so two leaders never overlap if renewDeadline <
 *   leaseDuration);
 * - every write carries the resourceVersion read: a concurrent writer gets 409 and tries later;
 * - stop() releases the Lease (empty holderIdentity) so a standby takes over at once.
 */

import { type Clock, type RandomSource, systemClock } from '../core/clock.js';
import { type Logger, silentLogger } from '../core/log.js';
import type { KubeClient, KubeObjectLike } from './client.js';
import { KubeApiError } from './errors.js';
import { RESOURCES } from './resources.js';

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease extends KubeObjectLike {
  spec?: LeaseSpec;
}

export interface LeaderElectionOptions {
  client: Pick<KubeClient, 'get' | 'create' | 'replace'>;
  namespace: string;
  /** Lease name */
  name: string;
  /** this replica's identity ($POD_NAME, else hostname + pid) */
  identity: string;
  /** how long a lease is valid without renewal (default 15 s) */
  leaseDurationSeconds?: number;
  /** the leader gives up when it could not renew for this long (default 10 s) */
  renewDeadlineSeconds?: number;
  /** pause between attempts (default 2 s, jittered up to +20% for candidates) */
  retryPeriodSeconds?: number;
  onStartedLeading?(): void;
  onStoppedLeading?(): void;
  /** the observed holder changed (undefined: nobody holds it) */
  onNewLeader?(identity: string | undefined): void;
  clock?: Clock;
  logger?: Logger;
  random?: RandomSource;
}

export class LeaderElector {
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly random: RandomSource;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  private stopped = false;
  private leading = false;
  private lastRenew = 0;
  private observedRecord = '';
  private observedTime = 0;
  private observedHolder: string | undefined;

  constructor(private readonly options: LeaderElectionOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.random = options.random ?? Math.random;
    this.leaseDurationMs = (options.leaseDurationSeconds ?? 15) * 1000;
    this.renewDeadlineMs = (options.renewDeadlineSeconds ?? 10) * 1000;
    this.retryPeriodMs = (options.retryPeriodSeconds ?? 2) * 1000;
    if (!options.identity) throw new Error('leader election needs a non-empty identity');
    if (this.renewDeadlineMs >= this.leaseDurationMs) throw new Error('leader election: renewDeadline must be shorter than leaseDuration');
    if (this.retryPeriodMs >= this.renewDeadlineMs) throw new Error('leader election: retryPeriod must be shorter than renewDeadline');
  }

  /** Starts campaigning (idempotent). */
  start(): void {
    if (this.running || this.stopped) return;
    this.running = this.run().catch((err: unknown) => {
      this.logger.error({ err }, 'leader election loop failed unexpectedly');
    });
  }

  /** Stops campaigning; a leader releases the Lease, then onStoppedLeading is called. */
  async stop(): Promise<void> {
    if (this.stopped) return this.running;
    this.stopped = true;
    this.abort.abort();
    await this.running;
    if (this.leading) {
      await this.release();
      this.setLeading(false);
    }
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** The holder last observed (ourselves included). */
  get leader(): string | undefined {
    return this.observedHolder;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const outcome = await this.tryAcquireOrRenew();
      if (this.stopped) break;
      const now = this.clock.now();
      if (outcome === 'held') {
        this.lastRenew = now;
        if (!this.leading) this.setLeading(true);
      } else if (outcome === 'taken' && this.leading) {
        // Someone else holds a valid lease: never keep acting as leader alongside them.
        this.logger.warn({ lease: this.leaseName(), holder: this.observedHolder }, 'the leader lease is held by another replica: stepping down');
        this.setLeading(false);
      } else if (this.leading && now - this.lastRenew >= this.renewDeadlineMs) {
        this.logger.warn({ lease: this.leaseName() }, 'could not renew the leader lease in time: stepping down');
        this.setLeading(false);
      }
      const pause = this.leading ? this.retryPeriodMs : this.retryPeriodMs * (1 + 0.2 * this.random());
      await this.clock.sleep(pause, this.abort.signal);
    }
  }

  private setLeading(leading: boolean): void {
    if (this.leading === leading) return;
    this.leading = leading;
    this.logger.info({ lease: this.leaseName(), identity: this.options.identity }, leading ? 'became leader' : 'stopped leading');
    try {
      if (leading) this.options.onStartedLeading?.();
      else this.options.onStoppedLeading?.();
    } catch (err) {
      this.logger.error({ err }, 'leader election callback threw');
    }
  }

  /** One attempt: 'held' (we hold it now), 'taken' (another holder's lease is valid), 'failed'. Never throws. */
  private async tryAcquireOrRenew(): Promise<'held' | 'taken' | 'failed'> {
    const { client, namespace, name, identity } = this.options;
    const now = this.clock.now();
    let lease: Lease;
    try {
      lease = await client.get<Lease>(RESOURCES.leases, { namespace, name });
    } catch (err) {
      if (err instanceof KubeApiError && err.statusCode === 404) return (await this.createLease(now)) ? 'held' : 'failed';
      this.logFailure(err, 'get');
      return 'failed';
    }
    const spec = lease.spec ?? {};
    const record = JSON.stringify([spec.holderIdentity ?? '', spec.renewTime ?? '', spec.leaseTransitions ?? 0, spec.leaseDurationSeconds ?? 0]);
    if (record !== this.observedRecord) {
      this.observedRecord = record;
      this.observedTime = now;
      this.observe(spec.holderIdentity || undefined);
    }
    const holder = spec.holderIdentity || '';
    const durationMs = (spec.leaseDurationSeconds ?? this.leaseDurationMs / 1000) * 1000;
    if (holder && holder !== identity && now < this.observedTime + durationMs) return 'taken';
    const mine = holder === identity;
    const next: LeaseSpec = {
      holderIdentity: identity,
      leaseDurationSeconds: this.leaseDurationMs / 1000,
      acquireTime: mine && spec.acquireTime ? spec.acquireTime : microTime(now),
      renewTime: microTime(now),
      leaseTransitions: mine ? (spec.leaseTransitions ?? 0) : (spec.leaseTransitions ?? 0) + 1,
    };
    try {
      const written = await client.replace<Lease>(RESOURCES.leases, { ...lease, spec: next });
      this.remember(written, now);
      return 'held';
    } catch (err) {
      this.logFailure(err, 'update');
      return 'failed';
    }
  }

  private async createLease(now: number): Promise<boolean> {
    const { client, namespace, name, identity } = this.options;
    try {
      const created = await client.create<Lease>(RESOURCES.leases, {
        metadata: { name, namespace },
        spec: {
          holderIdentity: identity,
          leaseDurationSeconds: this.leaseDurationMs / 1000,
          acquireTime: microTime(now),
          renewTime: microTime(now),
          leaseTransitions: 0,
        },
      });
      this.remember(created, now);
      return true;
    } catch (err) {
      this.logFailure(err, 'create');
      return false;
    }
  }

  private remember(lease: Lease, now: number): void {
    const spec = lease.spec ?? {};
    this.observedRecord = JSON.stringify([spec.holderIdentity ?? '', spec.renewTime ?? '', spec.leaseTransitions ?? 0, spec.leaseDurationSeconds ?? 0]);
    this.observedTime = now;
    this.observe(spec.holderIdentity || undefined);
  }

  private observe(holder: string | undefined): void {
    if (holder === this.observedHolder) return;
    this.observedHolder = holder;
    try {
      this.options.onNewLeader?.(holder);
    } catch (err) {
      this.logger.error({ err }, 'leader election callback threw');
    }
  }

  /** Empties holderIdentity so a standby acquires without waiting for expiry. Best effort. */
  private async release(): Promise<void> {
    const { client, namespace, name, identity } = this.options;
    try {
      const lease = await client.get<Lease>(RESOURCES.leases, { namespace, name });
      if (lease.spec?.holderIdentity !== identity) return;
      const now = this.clock.now();
      await client.replace<Lease>(RESOURCES.leases, {
        ...lease,
        spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(now) },
      });
      this.logger.info({ lease: this.leaseName() }, 'released the leader lease');
    } catch (err) {
      this.logFailure(err, 'release');
    }
  }

  private logFailure(err: unknown, step: string): void {
    if (err instanceof KubeApiError && err.statusCode === 409) {
      this.logger.debug({ lease: this.leaseName(), step }, 'lease changed concurrently (409): will retry');
      return;
    }
    const detail = err instanceof KubeApiError ? err.toJSON() : err;
    this.logger.warn({ lease: this.leaseName(), step, err: detail }, 'leader election request failed');
  }

  private leaseName(): string {
    return `${this.options.namespace}/${this.options.name}`;
  }
}

/** metav1.MicroTime: RFC 3339 with microseconds. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
