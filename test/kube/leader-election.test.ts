import assert from 'node:assert/strict';
import type { KubeObjectLike, ObjectKey } from '../../src/kube/client.js';
import { KubeApiError } from '../../src/kube/errors.js';
import { type Lease, LeaderElector, microTime } from '../../src/kube/leader-election.js';
import type { ResourceType } from '../../src/kube/resources.js';
import { FakeClock } from '../support/fake-clock.js';

/** An in-memory Lease store with resourceVersion checks, reachable through per-replica clients. */
class LeaseStore {
  lease: Lease | undefined;
  rv = 1;
  writes = 0;

  client(name: string, network: { down: boolean }) {
    const fail = (verb: 'get' | 'create' | 'update', code: number, reason: string): never => {
      throw new KubeApiError({ statusCode: code, reason, message: `${name}: ${reason}`, verb, resource: 'leases' });
    };
    return {
      get: async <T extends KubeObjectLike>(_t: ResourceType, _k: ObjectKey): Promise<T> => {
        await Promise.resolve();
        if (network.down) fail('get', 0, 'ConnectionFailed');
        if (!this.lease) fail('get', 404, 'NotFound');
        return structuredClone(this.lease) as T;
      },
      create: async <T extends KubeObjectLike>(_t: ResourceType, object: T): Promise<T> => {
        await Promise.resolve();
        if (network.down) fail('create', 0, 'ConnectionFailed');
        if (this.lease) fail('create', 409, 'AlreadyExists');
        this.writes++;
        this.lease = { ...structuredClone(object), metadata: { ...object.metadata, resourceVersion: String(++this.rv) } };
        return structuredClone(this.lease) as T;
      },
      replace: async <T extends KubeObjectLike>(_t: ResourceType, object: T): Promise<T> => {
        await Promise.resolve();
        if (network.down) fail('update', 0, 'ConnectionFailed');
        if (object.metadata?.resourceVersion !== this.lease?.metadata?.resourceVersion) fail('update', 409, 'Conflict');
        this.writes++;
        this.lease = { ...structuredClone(object), metadata: { ...object.metadata, resourceVersion: String(++this.rv) } };
        return structuredClone(this.lease) as T;
      },
    };
  }
}

describe('kube/leader-election', () => {
  let clock: FakeClock;
  let store: LeaseStore;
  const electors: LeaderElector[] = [];

  function elector(identity: string, network: { down: boolean }, log: string[]): LeaderElector {
    const e = new LeaderElector({
      client: store.client(identity, network),
      namespace: 'kspan-system',
      name: 'kspan-leader',
      identity,
      leaseDurationSeconds: 15,
      renewDeadlineSeconds: 10,
      retryPeriodSeconds: 2,
      clock,
      random: () => 0,
      onStartedLeading: () => log.push(`${identity} started`),
      onStoppedLeading: () => log.push(`${identity} stopped`),
    });
    electors.push(e);
    return e;
  }

  beforeEach(() => {
    clock = new FakeClock();
    store = new LeaseStore();
  });

  afterEach(async () => {
    await Promise.all(electors.splice(0).map((e) => e.stop()));
  });

  it('acquires an absent lease, keeps renewing it, and a standby stays a standby', async () => {
    const log: string[] = [];
    const a = elector('a', { down: false }, log);
    a.start();
    await clock.advance(100);
    assert.equal(a.isLeader, true);
    assert.equal(store.lease?.spec?.holderIdentity, 'a');
    assert.equal(store.lease?.spec?.leaseTransitions, 0);
    assert.equal(store.lease?.spec?.leaseDurationSeconds, 15);
    const b = elector('b', { down: false }, log);
    b.start();
    await clock.advance(60_000);
    assert.equal(a.isLeader, true);
    assert.equal(b.isLeader, false);
    assert.equal(b.leader, 'a');
    assert.deepEqual(log, ['a started']);
    const renewed = Date.parse(store.lease?.spec?.renewTime ?? '');
    assert.ok(clock.time - renewed <= 2100, 'renewed every retry period');
    assert.match(store.lease?.spec?.renewTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/, 'MicroTime format');
    assert.equal(microTime(0), '1970-01-01T00:00:00.000000Z');
  });

  it('fails over when the leader stops renewing: it steps down after renewDeadline, the standby takes over after leaseDuration', async () => {
    const log: string[] = [];
    const netA = { down: false };
    const a = elector('a', netA, log);
    a.start();
    await clock.advance(100);
    const b = elector('b', { down: false }, log);
    b.start();
    await clock.advance(5000);
    const cutAt = clock.time;
    netA.down = true;
    await clock.advance(11_000);
    assert.equal(a.isLeader, false, 'stepped down after the renew deadline');
    assert.equal(log.includes('a stopped'), true);
    assert.equal(b.isLeader, false, 'the lease is not expired for b yet');
    await clock.advance(8000);
    assert.equal(b.isLeader, true);
    assert.ok(clock.time - cutAt >= 15_000);
    assert.equal(store.lease?.spec?.holderIdentity, 'b');
    assert.equal(store.lease?.spec?.leaseTransitions, 1);
    assert.deepEqual(log, ['a started', 'a stopped', 'b started']);
  });

  it('releases on stop so that a standby takes over at its next retry, not after leaseDuration', async () => {
    const log: string[] = [];
    const a = elector('a', { down: false }, log);
    a.start();
    await clock.advance(100);
    const b = elector('b', { down: false }, log);
    b.start();
    await clock.advance(3000);
    await a.stop();
    assert.equal(store.lease?.spec?.holderIdentity, '');
    await clock.advance(2100);
    assert.equal(b.isLeader, true);
    assert.deepEqual(log, ['a started', 'a stopped', 'b started']);
  });

  it('steps down at once when it finds another holder with a valid lease', async () => {
    const log: string[] = [];
    const a = elector('a', { down: false }, log);
    a.start();
    await clock.advance(100);
    assert.equal(a.isLeader, true);
    store.lease = { ...store.lease!, spec: { ...store.lease!.spec, holderIdentity: 'intruder', renewTime: microTime(clock.time) }, metadata: { ...store.lease!.metadata, resourceVersion: String(++store.rv) } };
    await clock.advance(2100);
    assert.equal(a.isLeader, false);
    assert.equal(a.leader, 'intruder');
    assert.deepEqual(log, ['a started', 'a stopped']);
  });

  it('two candidates racing for an absent lease: exactly one wins (409 for the other)', async () => {
    const log: string[] = [];
    const a = elector('a', { down: false }, log);
    const b = elector('b', { down: false }, log);
    a.start();
    b.start();
    await clock.advance(10_000);
    assert.equal([a.isLeader, b.isLeader].filter(Boolean).length, 1);
    assert.equal(log.length, 1);
  });

  it('rejects inconsistent timings', () => {
    assert.throws(() => new LeaderElector({ client: store.client('x', { down: false }), namespace: 'n', name: 'l', identity: 'x', leaseDurationSeconds: 5, renewDeadlineSeconds: 10 }), /renewDeadline/);
    assert.throws(() => new LeaderElector({ client: store.client('x', { down: false }), namespace: 'n', name: 'l', identity: '' }), /identity/);
  });
});
