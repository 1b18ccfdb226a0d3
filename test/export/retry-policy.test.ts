import assert from 'node:assert/strict';
import { RetryPolicy } from '../../src/export/retry-policy.js';
import type { ExportFailure } from '../../src/export/index.js';

const unavailable: ExportFailure = { code: 14, codeName: 'UNAVAILABLE', details: 'down', retryable: true };
const invalid: ExportFailure = { code: 3, codeName: 'INVALID_ARGUMENT', details: 'bad', retryable: false };
const NEVER = Number.POSITIVE_INFINITY;

describe('export retry policy', () => {
  const policy = (random: () => number, retryDeadlineMs = 300_000): RetryPolicy =>
    new RetryPolicy({ initialBackoffMs: 100, maxBackoffMs: 400, retryDeadlineMs }, random);

  it('backs off per batch from the initial delay, doubling up to the cap, with equal jitter', () => {
    const delays = (random: number): number[] =>
      [1, 2, 3, 4, 5].map((attempts) => {
        const decision = policy(() => random).decide(unavailable, attempts, 0, NEVER, NEVER);
        assert.equal(decision.kind, 'retry');
        return decision.kind === 'retry' ? decision.delayMs : -1;
      });
    assert.deepEqual(delays(0), [50, 100, 200, 200, 200], 'never less than half the delay');
    assert.deepEqual(delays(0.5), [75, 150, 300, 300, 300]);
    for (const [i, d] of delays(0.999).entries()) assert.ok(d < [100, 200, 400, 400, 400][i]!, 'always less than the delay');
  });

  it('rejects a permanent failure without drawing jitter', () => {
    let draws = 0;
    const decision = policy(() => {
      draws++;
      return 0.5;
    }).decide(invalid, 1, 0, NEVER, NEVER);
    assert.deepEqual(decision, { kind: 'rejected' });
    assert.equal(draws, 0);
  });

  it('lets a retry start at the deadline but not after it; the shutdown deadline takes precedence', () => {
    const p = policy(() => 0.5, 1000);
    const deadline = p.deadline(10_000);
    assert.equal(deadline, 11_000);
    assert.deepEqual(p.decide(unavailable, 1, deadline - 75, deadline, NEVER), { kind: 'retry', delayMs: 75 });
    assert.deepEqual(p.decide(unavailable, 1, deadline - 74, deadline, NEVER), { kind: 'expired', reason: 'retry_deadline' });
    assert.deepEqual(p.decide(unavailable, 1, deadline - 74, NEVER, deadline), { kind: 'expired', reason: 'shutdown' });
    assert.deepEqual(p.decide(unavailable, 1, deadline, deadline, deadline), { kind: 'expired', reason: 'shutdown' });
  });
});
