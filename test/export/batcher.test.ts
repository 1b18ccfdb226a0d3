import assert from 'node:assert/strict';
import { Batcher } from '../../src/export/batcher.js';
import { FakeClock, spanRecord } from './helpers.js';

describe('export batcher', () => {
  let clock: FakeClock;
  let due: number;
  const make = (capacity = 100, maxBatchSize = 3, maxDelayMs = 1000): Batcher => new Batcher(capacity, maxBatchSize, maxDelayMs, clock, () => due++);

  beforeEach(() => {
    clock = new FakeClock();
    due = 0;
  });

  const names = (b: Batcher, urgent = false): string[] | undefined => b.next(urgent)?.records.map((r) => r.name);

  it('lets a batch leave when it is full, or when its oldest span waited maxDelayMs', async () => {
    const b = make();
    for (let n = 0; n < 5; n++) b.push(spanRecord(n), clock.now());
    assert.deepEqual(names(b), ['Pod.Event0', 'Pod.Event1', 'Pod.Event2']);
    assert.equal(b.next(false), undefined, 'two spans, not due yet');
    await clock.advance(999);
    assert.equal(b.next(false), undefined);
    await clock.advance(1);
    assert.deepEqual(names(b), ['Pod.Event3', 'Pod.Event4']);
    assert.equal(b.next(true), undefined, 'nothing left');
  });

  it('lets a partial batch leave at once when urgent (a flush waits)', () => {
    const b = make();
    b.push(spanRecord(0), clock.now());
    assert.deepEqual(names(b, true), ['Pod.Event0']);
  });

  it('numbers spans in enqueue order; a batch carries its first number', () => {
    const b = make();
    assert.equal(b.lastSeq, -1);
    assert.equal(b.oldestSeq, Number.POSITIVE_INFINITY);
    for (let n = 0; n < 4; n++) b.push(spanRecord(n), clock.now());
    assert.equal(b.lastSeq, 3);
    assert.equal(b.next(false)?.firstSeq, 0);
    assert.equal(b.oldestSeq, 3);
    assert.equal(b.next(true)?.firstSeq, 3);
  });

  it('evicts the oldest span when full, and says so', () => {
    const b = make(2);
    assert.equal(b.push(spanRecord(0), 0), false);
    assert.equal(b.push(spanRecord(1), 0), false);
    assert.equal(b.push(spanRecord(2), 0), true);
    assert.equal(b.oldestSeq, 1);
    assert.equal(b.resize(1), 1);
    assert.equal(b.capacity, 1);
    assert.equal(b.oldestSeq, 2);
  });

  it('arms one timer for the oldest span, replacing an earlier one; drain cancels it', async () => {
    const b = make();
    b.push(spanRecord(0), clock.now());
    await clock.advance(400);
    b.push(spanRecord(1), clock.now());
    b.armTimer();
    b.armTimer();
    assert.deepEqual(clock.pending(), [600], 'due when the oldest span has waited maxDelayMs');
    await clock.advance(600);
    assert.equal(due, 1);
    b.armTimer();
    assert.deepEqual(clock.pending(), [0], 'already due: at once');
    assert.equal(b.drain(), 2);
    assert.deepEqual(clock.pending(), []);
    assert.equal(b.length, 0);
    b.armTimer();
    assert.deepEqual(clock.pending(), [], 'no timer for an empty queue');
  });
});
