import assert from 'node:assert/strict';
import { ArrivalHeap } from '../../src/engine/pending.js';

interface Item {
  seq: number;
  queuedIn: number;
}

const item = (seq: number): Item => ({ seq, queuedIn: 0 });

function drain(heap: ArrivalHeap<Item>): number[] {
  const out: number[] = [];
  for (let i = heap.pop(); i; i = heap.pop()) out.push(i.seq);
  return out;
}

describe('engine: retry heap', () => {
  it('pops in arrival order whatever the push order', () => {
    const heap = new ArrivalHeap<Item>(1);
    for (const seq of [5, 1, 9, 3, 7, 2]) heap.push(item(seq));
    assert.deepEqual(drain(heap), [1, 2, 3, 5, 7, 9]);
  });

  it('queues an item once until it is popped, then again', () => {
    const heap = new ArrivalHeap<Item>(1);
    const a = item(1);
    heap.push(a);
    heap.push(a);
    assert.deepEqual(drain(heap), [1]);
    assert.equal(a.queuedIn, 0, 'unmarked once popped');
    heap.push(a);
    assert.deepEqual(drain(heap), [1]);
  });

  it('lets one item wait in two heaps, each with its own mark', () => {
    const retries = new ArrivalHeap<Item>(1);
    const deferred = new ArrivalHeap<Item>(2);
    const a = item(1);
    retries.push(a);
    deferred.push(a);
    assert.equal(a.queuedIn, 3);
    assert.deepEqual(drain(retries), [1]);
    deferred.push(a);
    assert.deepEqual(drain(deferred), [1], 'still queued once in the other heap');
    assert.equal(a.queuedIn, 0);
  });
});
