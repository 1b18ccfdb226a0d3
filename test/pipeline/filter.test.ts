import assert from 'node:assert/strict';
import type { KubeEvent } from '../../src/engine/types.js';
import { SeenEvents } from '../../src/pipeline/filter.js';

const event = (uid: string, resourceVersion = '1'): KubeEvent => ({
  metadata: { name: uid, namespace: 'ns', uid, resourceVersion },
  involvedObject: { kind: 'Pod', name: 'p', namespace: 'ns' },
});

describe('SeenEvents', () => {
  it('passes a (uid, resourceVersion) pair once, a new resourceVersion again', () => {
    const seen = new SeenEvents();
    assert.equal(seen.firstTime(event('a')), true);
    assert.equal(seen.firstTime(event('a')), false);
    assert.equal(seen.firstTime(event('a', '2')), true, 'a count bump is a new observation');
    assert.equal(seen.firstTime({ ...event('b'), metadata: { name: 'b', namespace: 'ns' } }), true);
    assert.equal(seen.firstTime({ ...event('b'), metadata: { name: 'b', namespace: 'ns' } }), true, 'without uid it cannot tell');
  });

  it('forgets the oldest pairs first, past its capacity, round after round', () => {
    const seen = new SeenEvents(3);
    for (const uid of ['a', 'b', 'c', 'd']) assert.equal(seen.firstTime(event(uid)), true);
    assert.equal(seen.firstTime(event('a')), true, 'a was forgotten for d (and now pushes b out)');
    assert.equal(seen.firstTime(event('d')), false);
    assert.equal(seen.firstTime(event('c')), false);
    assert.equal(seen.firstTime(event('b')), true);
    for (let i = 0; i < 10; i++) seen.firstTime(event(`x${i}`));
    assert.deepEqual(['x7', 'x8', 'x9', 'x6'].map((uid) => seen.firstTime(event(uid))), [false, false, false, true]);
  });
});
