import assert from 'node:assert/strict';
import type { SpanRecord } from '../../src/engine/types.js';
import { alreadyExported, decodeCheckpoint, DeliveryLedger, encodeCheckpoint, type Checkpoint } from '../../src/pipeline/checkpoint.js';

const T0 = Date.parse('2026-12-07T10:00:00Z');
const id = (n: number) => n.toString(16).padStart(16, '0');

function span(n: number, startTime: number): SpanRecord {
  return { traceId: 'a'.repeat(32), spanId: id(n), name: 'Pod.Started', startTime, endTime: startTime, status: { code: 'unset' }, service: { name: 'kubelet' }, attributes: {}, sequence: n };
}

describe('checkpoints (docs/design.md §4.8)', () => {
  const checkpoint: Checkpoint = { watermark: T0, eventsRead: new Map([['shop', 100]]), exportedAfter: new Set([id(2)]), unexported: new Set([id(1), id(5)]), writtenAt: T0 + 5000 };

  it('covers the spans that are no Event\'s by time: before the watermark, except those listed undelivered, and those listed after it', () => {
    assert.equal(alreadyExported(checkpoint, span(9, T0 - 1), undefined), true, 'before the watermark');
    assert.equal(alreadyExported(checkpoint, span(1, T0 - 1), undefined), false, 'before, but not delivered');
    assert.equal(alreadyExported(checkpoint, span(2, T0 + 1), undefined), true, 'after, and delivered');
    assert.equal(alreadyExported(checkpoint, span(3, T0), undefined), false, 'at the watermark, not delivered');
  });

  it('covers an Event\'s span by the Event\'s place in its watch, whatever its time', () => {
    assert.equal(alreadyExported(checkpoint, span(4, T0 + 60_000), { namespace: 'shop', resourceVersion: 100 }), true, 'read, and so delivered');
    assert.equal(alreadyExported(checkpoint, span(5, T0 - 60_000), { namespace: 'shop', resourceVersion: 99 }), false, 'read, not delivered');
    assert.equal(alreadyExported(checkpoint, span(6, T0 - 60_000), { namespace: 'shop', resourceVersion: 101 }), false, 'posted late, with an old time: never read');
    assert.equal(alreadyExported(checkpoint, span(7, T0 - 60_000), { namespace: 'cart', resourceVersion: 1 }), false, 'a namespace never read');
  });

  it('survives its status form: ids packed 8 bytes each', () => {
    const record = encodeCheckpoint(checkpoint);
    assert.equal(Buffer.from(record.exportedAfter, 'base64').length, 8);
    const decoded = decodeCheckpoint(JSON.parse(JSON.stringify(record)));
    assert.ok(decoded.ok);
    assert.deepEqual(decoded.checkpoint, checkpoint);
  });

  it('says precisely what is wrong with a status that is no checkpoint', () => {
    const good = encodeCheckpoint(checkpoint);
    const problem = (raw: unknown) => {
      const d = decodeCheckpoint(raw);
      return d.ok ? 'ok' : d.problem;
    };
    assert.equal(problem('x'), 'not an object');
    assert.equal(problem({ ...good, watermark: undefined }), 'watermark is missing');
    assert.match(problem({ ...good, writtenAt: 'soon' }), /^writtenAt is not a time/);
    assert.equal(problem({ ...good, exportedAfter: '!!' }), 'exportedAfter is not base64');
    assert.equal(problem({ ...good, unexported: 'AAAA' }), 'unexported is not a list of 8-byte span ids (3 bytes)');
    assert.equal(problem({ ...good, unexported: Buffer.alloc(8).toString('base64') }), 'unexported holds an invalid span id');
    assert.equal(problem({ ...good, writtenAt: new Date(T0 - 1).toISOString() }), 'writtenAt is before watermark');
    assert.equal(problem({ ...good, eventsRead: { shop: 'v7' } }), 'eventsRead["shop"] is not a resourceVersion');
    assert.equal(problem({ ...good, exportedAfter: '', unexported: undefined }), 'ok');
  });

  it('the ledger lists what was delivered at or after the watermark, and what is still to come before it', () => {
    const ledger = new DeliveryLedger();
    const now = T0 + 10_000;
    ledger.eventRead(id(8));
    ledger.eventRead(id(9));
    ledger.delivered([span(1, now - 9000), span(2, now - 1000), span(8, now - 500)]);
    const made = ledger.checkpoint(now, 5000, 100, new Map([['shop', 42]]), (visit) => {
      visit(id(3), now - 6000); // held since before the watermark
      visit(id(4), now - 100); // waiting, after it: a successor sends it anyway
      visit(id(9), now - 100); // an Event's, waiting: listed whatever its time
    });
    assert.ok(made);
    assert.equal(made.watermark, now - 5000);
    assert.deepEqual([...made.exportedAfter], [id(2)], 'an Event\'s span delivered needs no mention');
    assert.deepEqual([...made.unexported].sort(), [id(3), id(9)]);
    assert.deepEqual([...made.eventsRead], [['shop', 42]]);
    assert.equal(alreadyExported(made, span(1, now - 9000), undefined), true);
    assert.equal(alreadyExported(made, span(3, now - 6000), undefined), false);
    assert.equal(alreadyExported(made, span(4, now - 100), undefined), false);
    assert.equal(alreadyExported(made, span(8, now - 500), { namespace: 'shop', resourceVersion: 40 }), true);
    assert.equal(alreadyExported(made, span(9, now - 100), { namespace: 'shop', resourceVersion: 41 }), false);
  });

  it('a full checkpoint leaves delivered spans out (sent again, never lost) and moves its watermark back for the undelivered', () => {
    const ledger = new DeliveryLedger();
    const now = T0 + 60_000;
    ledger.delivered([span(1, now - 3000), span(2, now - 2000), span(3, now - 1000)]);
    const full = ledger.checkpoint(now, 5000, 4, new Map(), (visit) => {
      for (let n = 10; n < 14; n++) visit(id(n), now - 50_000 + n); // four held since long before
    });
    assert.ok(full);
    // Half the ids for the undelivered: the watermark moves back to the third oldest of them.
    assert.equal(full.watermark, now - 50_000 + 12);
    assert.deepEqual([...full.unexported], [id(10), id(11)]);
    assert.deepEqual([...full.exportedAfter], [id(2), id(3)]);
    assert.equal(full.leftOut, 1);
    for (let n = 10; n < 14; n++) assert.equal(alreadyExported(full, span(n, now - 50_000 + n), undefined), false, `undelivered ${n} is sent by a successor`);
    assert.equal(alreadyExported(full, span(1, now - 3000), undefined), false, 'left out: sent again');
    assert.equal(alreadyExported(full, span(3, now - 1000), undefined), true);
  });

  it('writes no checkpoint when the undelivered spans of Events read are more than it can list', () => {
    const ledger = new DeliveryLedger();
    for (let n = 1; n <= 3; n++) ledger.eventRead(id(n));
    const visitAll = (visit: (spanId: string, startTime: number) => void) => [1, 2, 3].forEach((n) => visit(id(n), T0));
    assert.equal(ledger.checkpoint(T0, 5000, 2, new Map(), visitAll), undefined);
    assert.ok(ledger.checkpoint(T0, 5000, 3, new Map(), visitAll));
  });
});
