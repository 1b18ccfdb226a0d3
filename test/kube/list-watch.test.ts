import assert from 'node:assert/strict';
import type { KubeObjectLike } from '../../src/kube/client.js';
import { KubeApiError } from '../../src/kube/errors.js';
import { type ChangeEvent, ListWatch, type ListWatchOptions } from '../../src/kube/list-watch.js';
import { RESOURCES } from '../../src/kube/resources.js';
import { apiError, FakeClock, FakeCluster, recordingLogger, until } from './fakes.js';

type Ev = ChangeEvent<KubeObjectLike>;

function summary(events: Ev[]): string[] {
  return events.map((e) => `${e.type}${e.synthetic ? '*' : ''} ${e.object.metadata?.name}@${e.object.metadata?.resourceVersion}`);
}

describe('kube/list-watch', () => {
  let cluster: FakeCluster;
  let clock: FakeClock;
  let events: Ev[];
  let errors: KubeApiError[];
  let lw: ListWatch;
  const logger = recordingLogger();

  function start(options: Partial<ListWatchOptions> = {}): ListWatch {
    lw = new ListWatch({
      client: cluster,
      resource: RESOURCES.pods,
      namespace: 'default',
      clock,
      random: () => 0.5,
      logger,
      minWatchDurationMs: 0,
      ...options,
    });
    lw.addListener({ onEvent: (e) => events.push(e), onError: (e) => errors.push(e) });
    lw.start();
    return lw;
  }

  beforeEach(() => {
    cluster = new FakeCluster();
    clock = new FakeClock();
    events = [];
    errors = [];
    logger.lines.length = 0;
  });

  afterEach(async () => {
    await lw?.stop();
  });

  it('lists, delivers ADDED, then watches from the list resourceVersion with bookmarks and a randomised timeout', async () => {
    cluster.put('a');
    cluster.put('b');
    start({ watchTimeoutSeconds: { min: 300, max: 600 } });
    assert.equal(await lw.waitForSync(), true);
    assert.deepEqual(summary(events), ['ADDED a@101', 'ADDED b@102']);
    await until(() => cluster.watchCalls.length === 1);
    const watch = cluster.watchCalls[0]!;
    assert.equal(watch.resourceVersion, '102');
    assert.equal(watch.allowWatchBookmarks, true);
    assert.equal(watch.timeoutSeconds, 450); // random 0.5 -> middle of [300, 600]
    assert.equal(watch.namespace, 'default');
  });

  it('delivers watch events, advances the resourceVersion on bookmarks without delivering them', async () => {
    start();
    await lw.waitForSync();
    await until(() => cluster.openWatches === 1);
    cluster.put('a');
    cluster.put('a', { labels: { x: '1' } });
    cluster.bookmark();
    await until(() => lw.stats().resourceVersion === '103', 3000, 'bookmark rv');
    assert.deepEqual(summary(events), ['ADDED a@101', 'MODIFIED a@102']);
    cluster.remove('a');
    await until(() => events.length === 3);
    assert.deepEqual(summary(events).at(-1), 'DELETED a@104');
  });

  it('lets the event loop run while it reads a backlog, not only once it is read', async () => {
    start();
    await lw.waitForSync();
    await until(() => cluster.openWatches === 1);
    // ~0.1 ms of work per event: the backlog below takes ~100 ms to read
    const work = (): void => {
      const end = performance.now() + 0.1;
      while (performance.now() < end) {
        // busy, as parsing and correlating are
      }
    };
    lw.addListener({ onEvent: work });
    for (let i = 0; i < 1000; i++) cluster.put(`p${i}`);
    let readWhenTimerRan: number | undefined;
    setTimeout(() => (readWhenTimerRan = events.length), 0);
    await until(() => events.length === 1000, 10_000, 'the backlog read');
    assert.ok(readWhenTimerRan !== undefined && readWhenTimerRan < 1000, `a timer ran after ${readWhenTimerRan} of 1000 events`);
  });

  it('re-watches from the last seen resourceVersion after a dropped watch, without duplicates or loss', async () => {
    cluster.put('a');
    start();
    await lw.waitForSync();
    await until(() => cluster.openWatches === 1);
    cluster.put('b');
    await until(() => events.length === 2);
    cluster.dropWatches();
    cluster.quietly(() => cluster.put('c')); // happens while disconnected: the resume must see it
    await until(() => events.length === 3);
    assert.equal(cluster.watchCalls.length, 2);
    assert.equal(cluster.watchCalls[1]!.resourceVersion, '102');
    assert.equal(cluster.listCalls.length, 1, 'a resume does not relist');
    assert.deepEqual(summary(events), ['ADDED a@101', 'ADDED b@102', 'ADDED c@103']);
    assert.equal(lw.stats().restarts, 1);
  });

  it('never delivers the same (uid, resourceVersion) twice', async () => {
    start();
    await lw.waitForSync();
    await until(() => cluster.openWatches === 1);
    const a = cluster.put('a');
    cluster.send({ type: 'MODIFIED', object: a });
    cluster.send({ type: 'ADDED', object: a });
    cluster.put('b');
    await until(() => events.length >= 2);
    await until(() => lw.stats().resourceVersion === '102');
    assert.deepEqual(summary(events), ['ADDED a@101', 'ADDED b@102']);
  });

  it('relists on 410 Gone and delivers only real changes, with synthetic DELETED for the gap', async () => {
    cluster.put('same');
    cluster.put('changed');
    cluster.put('gone');
    start();
    await lw.waitForSync();
    await until(() => cluster.openWatches === 1);
    cluster.dropWatches();
    cluster.quietly(() => {
      cluster.put('changed', { labels: { v: '2' } });
      cluster.remove('gone');
      cluster.put('new');
      cluster.compact();
    });
    await until(() => events.length === 6, 3000, 'relist deliveries');
    assert.deepEqual(summary(events).slice(3), ['MODIFIED changed@104', 'ADDED new@106', 'DELETED* gone@103']);
    assert.equal(cluster.listCalls.length, 2);
    assert.equal(lw.stats().relists, 1);
    await until(() => cluster.watchCalls.length === 3);
    assert.equal(cluster.watchCalls[2]!.resourceVersion, '106', 'watches again from the new list');
  });

  it('lists from the watch cache (resourceVersion 0, then not older than the last seen) and reads consistently only after the cache answered 410', async () => {
    cluster.put('a');
    start();
    await lw.waitForSync();
    await until(() => cluster.openWatches === 1);
    const versions = () => cluster.listCalls.map((c) => [c.resourceVersion, c.resourceVersionMatch]);
    assert.deepEqual(versions(), [['0', undefined]], 'the first list is served from the cache');
    cluster.listFailures.push(apiError(410, 'list'));
    cluster.failWatches(apiError(410, 'watch'));
    await until(() => cluster.listCalls.length === 3, 3000, 'relisted twice');
    assert.deepEqual(versions().slice(1), [['101', 'NotOlderThan'], [undefined, undefined]], 'not older than what was seen; after a 410 list, from etcd');
    await until(() => cluster.openWatches === 1);
    cluster.listFailures.push(new KubeApiError({ statusCode: 504, reason: 'Timeout', message: 'Too large resource version: 200, current: 150', verb: 'list', resource: 'pods' }));
    cluster.failWatches(apiError(410, 'watch'));
    await until(() => cluster.listCalls.length === 5, 5000, 'relisted twice more');
    assert.deepEqual(versions().slice(3), [['101', 'NotOlderThan'], [undefined, undefined]], 'a cache behind the version asked for: from etcd');
  });

  it('relists on a watch ERROR event with code 410', async () => {
    cluster.put('a');
    start();
    await lw.waitForSync();
    await until(() => cluster.openWatches === 1);
    cluster.errorEvent(410);
    await until(() => cluster.listCalls.length === 2);
    await until(() => cluster.openWatches === 1);
    assert.deepEqual(summary(events), ['ADDED a@101'], 'nothing re-delivered');
    assert.equal(errors.length, 0, '410 is not reported as a problem');
  });

  it('slows down a 410 loop: the first relist is immediate, repeated ones back off', async () => {
    cluster.put('a');
    start({ backoff: { initialMs: 100, maxMs: 10_000 } });
    await lw.waitForSync();
    for (let i = 0; i < 3; i++) cluster.watchFailures.push(apiError(410, 'watch'));
    await until(() => cluster.openWatches === 1);
    cluster.dropWatches();
    await until(() => cluster.listCalls.length === 4 && cluster.openWatches === 1, 3000, 'relists');
    assert.deepEqual(clock.sleeps, [75, 150]);
    assert.equal(events.length, 1, 'nothing re-delivered by the relists');
  });

  it('waits at least as long as the server asks (Retry-After)', async () => {
    cluster.listFailures.push(new KubeApiError({ statusCode: 429, reason: 'TooManyRequests', message: 'slow down', verb: 'list', resource: 'pods', retryAfterSeconds: 7 }));
    start({ backoff: { initialMs: 100 } });
    await lw.waitForSync();
    assert.deepEqual(clock.sleeps, [7000]);
  });

  it('backs off with capped, growing, jittered delays on errors, reports them, then recovers and resets', async () => {
    cluster.put('a');
    for (let i = 0; i < 5; i++) cluster.listFailures.push(apiError(500));
    let synced = 0;
    start({ backoff: { initialMs: 100, maxMs: 1000 } });
    lw.addListener({ onSynced: () => synced++ });
    await lw.waitForSync();
    // equal jitter with random 0.5: 3/4 of min(max, 100 * 2^n)
    assert.deepEqual(clock.sleeps, [75, 150, 300, 600, 750]);
    assert.equal(errors.length, 5);
    assert.equal(errors[0]!.statusCode, 500);
    assert.equal(lw.stats().errors, 5);
    assert.equal(synced, 1);
    await until(() => cluster.openWatches === 1);
    cluster.failWatches(apiError(503, 'watch'));
    await until(() => cluster.openWatches === 1);
    assert.equal(clock.sleeps.at(-1), 75, 'backoff was reset by the successful list');
    assert.equal(cluster.watchCalls.at(-1)!.resourceVersion, '101');
  });

  it('keeps backing off while every watch answers with an ERROR event (no reset, no false recovery)', async () => {
    start({ backoff: { initialMs: 100, maxMs: 10_000 } });
    let synced = 0;
    lw.addListener({ onSynced: () => synced++ });
    await lw.waitForSync();
    for (let i = 0; i < 3; i++) {
      await until(() => cluster.openWatches === 1);
      cluster.errorEvent(500);
      await until(() => errors.length === i + 1);
    }
    assert.deepEqual(clock.sleeps, [75, 150, 300]);
    assert.ok(errors.every((e) => e.statusCode === 500 && e.verb === 'watch'));
    assert.equal(synced, 1, 'the first sync only: an ERROR event is no recovery');
    await until(() => cluster.openWatches === 1);
    cluster.put('x');
    await until(() => synced === 2, 3000, 'recovery on the first real event');
  });

  it('surfaces 403 as a typed error and keeps retrying without throwing', async () => {
    for (let i = 0; i < 3; i++) cluster.listFailures.push(apiError(403));
    start();
    const seen: Array<number | undefined> = [];
    lw.addListener({ onError: () => seen.push(lw.stats().lastError?.statusCode) });
    await until(() => errors.length === 3);
    assert.ok(errors.every((e) => e instanceof KubeApiError && e.statusCode === 403 && e.verb === 'list'));
    assert.deepEqual(seen, [403, 403, 403]);
    assert.equal(await lw.waitForSync(), true);
    assert.equal(lw.stats().lastError, undefined);
  });

  it('catches exceptions thrown by listeners and keeps delivering', async () => {
    cluster.put('a');
    const other: string[] = [];
    start();
    lw.addListener({ onEvent: () => { throw new Error('boom'); } });
    lw.addListener({ onEvent: (e) => other.push(e.object.metadata!.name!) });
    await lw.waitForSync();
    await until(() => cluster.openWatches === 1);
    cluster.put('b');
    await until(() => other.length === 2);
    assert.deepEqual(other, ['a', 'b']);
    assert.ok(logger.lines.some((l) => l.level === 'error' && l.msg === 'list+watch listener threw'));
  });

  it('pages the list with limit/continue and uses the first page resourceVersion', async () => {
    for (const n of ['a', 'b', 'c', 'd', 'e']) cluster.put(n);
    start({ pageSize: 2 });
    await lw.waitForSync();
    assert.deepEqual(cluster.listCalls.map((c) => [c.limit, c.continue]), [[2, undefined], [2, '2'], [2, '4']]);
    assert.equal(events.length, 5);
  });

  it('treats an immediately closed empty watch as a failure (backoff, no busy loop)', async () => {
    start({ minWatchDurationMs: 1000 });
    await lw.waitForSync();
    await until(() => cluster.openWatches === 1);
    cluster.dropWatches();
    await until(() => clock.sleeps.length === 1);
    assert.ok(clock.sleeps[0]! > 0);
  });

  it('stop() aborts the in-flight watch and ends the loop', async () => {
    start();
    await lw.waitForSync();
    await until(() => cluster.openWatches === 1);
    await lw.stop();
    assert.equal(cluster.openWatches, 0);
    const calls = cluster.watchCalls.length;
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(cluster.watchCalls.length, calls);
  });

  it('waitForSync resolves false when stopped before the first list', async () => {
    cluster.listFailures.push(apiError(500), apiError(500), apiError(500));
    start();
    const waiting = lw.waitForSync();
    await lw.stop();
    assert.equal(await waiting, false);
  });
});
