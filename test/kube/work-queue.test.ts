import assert from 'node:assert/strict';
import { WorkQueue } from '../../src/kube/work-queue.js';
import { FakeClock } from '../support/fake-clock.js';
import { until } from './fakes.js';

const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('kube/work-queue', () => {
  let queue: WorkQueue<string>;
  let clock: FakeClock;

  beforeEach(() => {
    clock = new FakeClock();
  });

  afterEach(async () => {
    await queue?.shutdown({ drain: false });
  });

  it('deduplicates keys waiting to be processed', async () => {
    queue = new WorkQueue({ clock });
    const seen: string[] = [];
    queue.add('a');
    queue.add('a');
    queue.add('b');
    queue.add('a');
    assert.equal(queue.length, 2);
    queue.start(async (k) => { seen.push(k); });
    await queue.whenIdle();
    assert.deepEqual(seen, ['a', 'b']);
  });

  it('never runs one key on two workers at once; a key added while processing runs once more after', async () => {
    queue = new WorkQueue({ clock });
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    queue.start(async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      runs++;
      if (runs === 1) await gate;
      running--;
    }, 4);
    queue.add('k');
    await until(() => runs === 1);
    queue.add('k');
    queue.add('k');
    await tick(5);
    assert.equal(runs, 1, 'not started again while processing');
    release();
    await until(() => runs === 2);
    await queue.whenIdle();
    assert.equal(maxRunning, 1);
    assert.equal(runs, 2);
  });

  it('requeues failures with per-key exponential backoff and forgets on success', async () => {
    // The top of the jitter range, so that the gaps show the exponential growth.
    queue = new WorkQueue({ baseDelayMs: 5, maxDelayMs: 40, clock, random: () => 0.95 });
    const times: number[] = [];
    queue.start(async () => {
      times.push(clock.now());
      if (times.length < 4) throw new Error('not yet');
    });
    queue.add('k');
    await clock.advanceUntil(() => times.length === 4);
    await queue.whenIdle();
    assert.equal(queue.requeues('k'), 0, 'forgotten after success');
    assert.equal(queue.stats().failures, 3);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    assert.ok(gaps[0]! >= 4 && gaps[1]! >= 9 && gaps[2]! >= 19, `gaps ${gaps}`);
  });

  it('supports delayed adds (earliest wins) and worker-requested requeues', async () => {
    queue = new WorkQueue({ clock });
    const seen: string[] = [];
    queue.start(async (k) => {
      seen.push(k);
      return k === 'again' && seen.filter((s) => s === 'again').length === 1 ? { requeueAfterMs: 5 } : undefined;
    });
    queue.addAfter('late', 10_000);
    queue.addAfter('late', 5);
    queue.add('again');
    await clock.advanceUntil(() => seen.length === 3, 3000);
    assert.deepEqual([...seen].sort(), ['again', 'again', 'late']);
  });

  it('shutdown drains queued keys by default and ignores later adds', async () => {
    queue = new WorkQueue({ clock });
    const seen: string[] = [];
    queue.start(async (k) => {
      await tick(1);
      seen.push(k);
    });
    queue.add('a');
    queue.add('b');
    queue.add('c');
    queue.addAfter('delayed', 50);
    await queue.shutdown();
    queue.add('d');
    assert.deepEqual(seen, ['a', 'b', 'c']);
    assert.equal(queue.stats().delayed, 0);
  });

  it('shutdown without drain only waits for the running key', async () => {
    queue = new WorkQueue({ clock });
    const seen: string[] = [];
    queue.start(async (k) => {
      await tick(2);
      seen.push(k);
    });
    queue.add('a');
    queue.add('b');
    await tick(0);
    await queue.shutdown({ drain: false });
    assert.deepEqual(seen, ['a']);
  });
});
