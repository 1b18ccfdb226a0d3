import assert from 'node:assert/strict';
import { ConditionReason, ConditionType, conditionUnchanged, findCondition, setCondition, toKubeTime } from '../../src/api/conditions.js';
import type { Condition } from '../../src/api/types.js';

const T0 = Date.parse('2026-11-22T10:00:00.750Z');
const T1 = T0 + 60_000;

describe('conditions', () => {
  it('formats metav1.Time with second precision', () => {
    assert.equal(toKubeTime(T0), '2026-11-22T10:00:00Z');
  });

  it('adds a condition with the clock time as lastTransitionTime', () => {
    const list = setCondition(undefined, { type: ConditionType.Ready, status: 'False', reason: ConditionReason.Reconciling, message: 'starting', observedGeneration: 1 }, T0);
    assert.deepEqual(list, [{ type: 'Ready', status: 'False', observedGeneration: 1, lastTransitionTime: '2026-11-22T10:00:00Z', reason: 'Reconciling', message: 'starting' }]);
  });

  it('keeps lastTransitionTime while the status stays, moves it when the status changes', () => {
    const first = setCondition([], { type: 'Ready', status: 'False', reason: 'SecretNotFound', message: 'a', observedGeneration: 1 }, T0);
    const same = setCondition(first, { type: 'Ready', status: 'False', reason: 'InvalidSpec', message: 'b', observedGeneration: 2 }, T1);
    assert.equal(same[0]?.lastTransitionTime, '2026-11-22T10:00:00Z');
    assert.equal(same[0]?.reason, 'InvalidSpec');
    assert.equal(same[0]?.observedGeneration, 2);
    const flipped = setCondition(same, { type: 'Ready', status: 'True', reason: 'Ready', message: 'running' }, T1);
    assert.equal(flipped[0]?.lastTransitionTime, '2026-11-22T10:01:00Z');
    assert.equal(first[0]?.reason, 'SecretNotFound', 'the input is not modified');
  });

  it('replaces in place and keeps the other conditions', () => {
    const list: Condition[] = [
      { type: 'Ready', status: 'True', lastTransitionTime: 't', reason: 'Ready', message: '' },
      { type: 'ExporterReady', status: 'True', lastTransitionTime: 't', reason: 'ExportSucceeded', message: '' },
    ];
    const next = setCondition(list, { type: 'ExporterReady', status: 'False', reason: 'ExporterUnavailable', message: 'down' }, T0);
    assert.deepEqual(next.map((c) => `${c.type}=${c.status}`), ['Ready=True', 'ExporterReady=False']);
    assert.equal(findCondition(next, 'ExporterReady')?.message, 'down');
    assert.equal(conditionUnchanged(next, { type: 'ExporterReady', status: 'False', reason: 'ExporterUnavailable', message: 'down' }), true);
    assert.equal(conditionUnchanged(next, { type: 'ExporterReady', status: 'False', reason: 'ExporterUnavailable', message: 'still down' }), false);
    assert.equal(conditionUnchanged(next, { type: 'Other', status: 'False', reason: 'X', message: '' }), false);
  });
});
