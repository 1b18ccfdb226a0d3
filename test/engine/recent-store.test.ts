import assert from 'node:assert/strict';
import { RecentStore, type RecentEntry } from '../../src/engine/recent-store.js';
import { makeRef } from '../../src/engine/refs.js';

/** An entry for the action (none, Pod `name`) made at `at` seconds. */
function entry(name: string, at: number): RecentEntry {
  return {
    span: { traceId: 't', spanId: name, held: undefined },
    parent: undefined,
    actor: undefined,
    object: makeRef('Pod', 'shop', name),
    actorGeneration: undefined,
    objectGeneration: undefined,
    actorTopLevel: false,
    objectTopLevel: false,
    objectUid: undefined,
    deletes: false,
    lastUsed: at * 1000,
    file: 0,
    slot: 0,
    actorKey: '',
    objectKey: '',
  };
}

function store(s: RecentStore, e: RecentEntry): RecentEntry {
  s.set('', `Pod/shop/${e.span.spanId}`, e);
  return e;
}

describe('engine: recent store (5.4)', () => {
  it('drops an entry expireAfter after its last use, also when newer entries were stored before that use', () => {
    const s = new RecentStore(60_000);
    const used = store(s, entry('used', 5));
    s.touch(used, 30_000);
    store(s, entry('newer', 50));
    s.expire(66_000); // past the first entry's making, not its use: kept
    assert.equal(s.size, 2);
    assert.equal(s.peek('', 'Pod/shop/used', 66_000), used);
    s.expire(92_000); // past its use; the newer entry (made at 50 s) is not due before 110 s
    assert.equal(s.size, 1);
    s.expire(112_000);
    assert.equal(s.size, 0);
  });

  it('keeps an entry as long as it is used within expireAfter', () => {
    const s = new RecentStore(10_000);
    const e = store(s, entry('busy', 0));
    for (let t = 5; t <= 100; t += 5) {
      s.touch(e, t * 1000);
      s.expire(t * 1000 + 2500);
      assert.equal(s.size, 1, `at ${t} s`);
    }
    s.expire(112_000);
    assert.equal(s.size, 0);
  });

  it('replaces the entry of the same action, and lets the replaced one go', () => {
    const s = new RecentStore(60_000);
    store(s, entry('a', 0));
    const again = store(s, entry('a', 20));
    assert.equal(s.size, 1);
    s.expire(70_000); // the replaced entry's time is past, the new one's is not
    assert.equal(s.size, 1);
    assert.equal(s.peek('', 'Pod/shop/a', 70_000), again);
  });

  it('over its bound, lets one of the least recently used go, never the entry just stored', () => {
    const s = new RecentStore(600_000, 3);
    const first = store(s, entry('first', 1));
    store(s, entry('second', 2));
    store(s, entry('third', 3));
    s.touch(first, 4_000);
    const fourth = store(s, entry('fourth', 4));
    assert.equal(s.size, 3);
    assert.equal(s.peek('', 'Pod/shop/second', 4_000), undefined, 'the first was used since');
    assert.equal(s.peek('', 'Pod/shop/first', 4_000), first);
    assert.equal(s.peek('', 'Pod/shop/fourth', 4_000), fourth);
    const alone = new RecentStore(600_000, 0);
    const only = store(alone, entry('only', 1));
    assert.equal(alone.peek('', 'Pod/shop/only', 1_000), only, 'the entry just stored stays');
  });
});
