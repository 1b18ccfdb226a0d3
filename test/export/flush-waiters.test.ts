import assert from 'node:assert/strict';
import { FlushWaiters } from '../../src/export/flush-waiters.js';
import { InFlight, type Batch } from '../../src/export/in-flight.js';
import { FakeClock } from './helpers.js';

describe('export flush waiters', () => {
  let clock: FakeClock;
  beforeEach(() => {
    clock = new FakeClock();
  });

  const track = (p: Promise<void>): { done: boolean } => {
    const state = { done: false };
    void p.then(() => (state.done = true));
    return state;
  };

  it('resolves a waiter once nothing up to its last span is pending', async () => {
    const waiters = new FlushWaiters(clock);
    const a = track(waiters.wait(4, clock.now() + 10_000));
    const b = track(waiters.wait(9, clock.now() + 10_000));
    assert.equal(waiters.waiting, true);
    waiters.release(4);
    await clock.advance(0);
    assert.deepEqual([a.done, b.done], [false, false], 'span 4 is still pending');
    waiters.release(5);
    await clock.advance(0);
    assert.deepEqual([a.done, b.done], [true, false]);
    waiters.release(Number.POSITIVE_INFINITY);
    await clock.advance(0);
    assert.equal(b.done, true);
    assert.equal(waiters.waiting, false);
    assert.deepEqual(clock.pending(), [], 'their deadline timers are cancelled');
  });

  it('resolves at the deadline whatever is pending', async () => {
    const waiters = new FlushWaiters(clock);
    const a = track(waiters.wait(0, clock.now() + 300));
    await clock.advance(299);
    assert.equal(a.done, false);
    await clock.advance(1);
    assert.equal(a.done, true);
    assert.equal(waiters.waiting, false);
  });
});

describe('export in-flight batches', () => {
  const batch = (firstSeq: number, spans: number): Batch => ({
    records: [],
    spans: new Array(spans).fill(undefined) as Batch['spans'],
    resourcesVersion: 0,
    firstSeq,
    attempts: 0,
    deadline: 0,
    sending: false,
  });

  it('counts the spans held, knows the oldest sequence number, and cancels a retry when a batch finishes', () => {
    const clock = new FakeClock();
    const inFlight = new InFlight(clock);
    assert.equal(inFlight.oldestSeq, Number.POSITIVE_INFINITY);
    const a = batch(10, 3);
    const b = batch(20, 2);
    inFlight.add(b);
    inFlight.add(a);
    assert.equal(inFlight.size, 2);
    assert.equal(inFlight.spans, 5);
    assert.equal(inFlight.oldestSeq, 10);
    a.timer = clock.setTimeout(() => assert.fail('a finished batch is not retried'), 100);
    inFlight.finish(a);
    inFlight.finish(a);
    assert.equal(inFlight.has(a), false);
    assert.equal(inFlight.spans, 2, 'finishing twice counts once');
    assert.equal(inFlight.oldestSeq, 20);
    assert.deepEqual(clock.pending(), []);
    for (const held of inFlight.all()) inFlight.finish(held);
    assert.equal(inFlight.size, 0);
  });
});
