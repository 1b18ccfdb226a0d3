import assert from 'node:assert/strict';
import { systemClock, type Clock } from '../../src/core/clock.js';
import { backgroundTimer, keepAliveTimer } from '../../src/export/timers.js';

describe('export timers', () => {
  it('lets the process exit with only delivery timers pending, not with a deadline someone awaits', () => {
    const background = backgroundTimer(systemClock, () => {}, 60_000) as NodeJS.Timeout;
    const awaited = keepAliveTimer(systemClock, () => {}, 60_000) as NodeJS.Timeout;
    try {
      assert.equal(background.hasRef(), false);
      assert.equal(awaited.hasRef(), true);
    } finally {
      clearTimeout(background);
      clearTimeout(awaited);
    }
  });

  it('works with clocks whose handles are not Node timers', () => {
    const clock: Clock = { now: () => 0, setTimeout: () => 7, clearTimeout: () => {}, sleep: async () => {} };
    assert.equal(backgroundTimer(clock, () => {}, 1), 7);
    assert.equal(keepAliveTimer(clock, () => {}, 1), 7);
  });
});
