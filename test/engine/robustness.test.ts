import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Correlator } from '../../src/engine/correlator.js';
import { engineConfigFromSpec } from '../../src/engine/config.js';
import type { KubeEvent, KubeObject } from '../../src/engine/types.js';
import { MemoryObjectLookup } from '../../src/replay/object-lookup.js';
import { at, ev, obj } from './builders.js';

describe('engine: robustness', () => {
  it('never throws on malformed events and objects, and keeps counting', () => {
    const text = fc.oneof(fc.constant('Pod'), fc.constant('web-1'), fc.string({ maxLength: 12 }), fc.constant(''));
    const value = fc.oneof(text, fc.integer(), fc.constant(null), fc.constant(undefined), fc.boolean());
    const event = fc.record(
      {
        metadata: fc.option(fc.record({ name: text, uid: value, namespace: value, annotations: fc.option(fc.dictionary(text, text), { nil: undefined }) }, { requiredKeys: [] }), { nil: undefined }),
        involvedObject: fc.option(fc.record({ kind: value, name: value, namespace: value, uid: value }, { requiredKeys: [] }), { nil: undefined }),
        reason: value,
        message: value,
        source: fc.option(fc.record({ component: value, host: value }, { requiredKeys: [] }), { nil: undefined }),
        reportingComponent: value,
        lastTimestamp: fc.oneof(value, fc.constant('2026-03-10T14:00:00Z'), fc.constant('2026-03-10T14:00:00.5Z')),
        eventTime: value,
        count: value,
        series: fc.option(fc.record({ count: value }), { nil: undefined }),
        type: fc.oneof(value, fc.constant('Warning')),
      },
      { requiredKeys: [] },
    );
    const object = fc.record({
      kind: fc.oneof(fc.constant('Pod'), fc.constant('ReplicaSet'), fc.constant('Deployment')),
      metadata: fc.record(
        {
          name: fc.oneof(fc.constant('web-1'), fc.constant('web'), fc.string({ minLength: 1, maxLength: 6 })),
          namespace: fc.constant('default'),
          generation: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
          ownerReferences: fc.option(fc.array(fc.record({ kind: value, name: value }, { requiredKeys: [] }), { maxLength: 2 }), { nil: undefined }),
          managedFields: fc.option(fc.array(fc.record({ manager: value, time: value, operation: value, fieldsV1: fc.anything() }, { requiredKeys: [] }), { maxLength: 2 }), { nil: undefined }),
        },
        { requiredKeys: ['name'] },
      ),
      spec: fc.anything(),
    });
    fc.assert(
      fc.property(fc.array(fc.oneof(event.map((e) => ({ e })), object.map((o) => ({ o }))), { maxLength: 30 }), (steps) => {
        const lookup = new MemoryObjectLookup();
        const c = new Correlator(engineConfigFromSpec({ correlation: { maxPendingEvents: 5 } }), lookup);
        let t = 0;
        let events = 0;
        for (const step of steps) {
          t += 700;
          if ('o' in step) lookup.put(step.o as unknown as KubeObject);
          else {
            events++;
            c.addEvent(step.e as unknown as KubeEvent, at(0) + t);
          }
          if (t % 2100 === 0) c.tick(at(0) + t);
        }
        const out = c.flush(at(0) + t + 1);
        for (const s of out) {
          assert.match(s.traceId, /^[0-9a-f]{32}$/);
          assert.match(s.spanId, /^[0-9a-f]{16}$/);
        }
        const stats = c.stats();
        assert.equal(stats.eventsReceived, events);
        assert.equal(stats.pendingEvents, 0);
        assert.equal(stats.heldSpans, 0);
      }),
      { numRuns: 150, seed: 7 },
    );
  });

  it('survives an ownership cycle', () => {
    const lookup = new MemoryObjectLookup();
    lookup.put(obj('ReplicaSet', 'a', { owner: ['ReplicaSet', 'b'] }));
    lookup.put(obj('ReplicaSet', 'b', { owner: ['ReplicaSet', 'a'] }));
    const c = new Correlator(engineConfigFromSpec(), lookup);
    c.addEvent(ev('ReplicaSet', 'a', { component: 'x', message: 'loop', last: 0 }), at(0.1));
    const out = c.flush(at(10));
    assert.equal(out.filter((s) => s.parentSpanId === undefined).length, 1, 'a root for the highest object reached');
    assert.equal(out.length, 2);
  });
});
