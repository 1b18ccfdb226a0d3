import assert from 'node:assert/strict';
import type { SpanRecord } from '../../src/engine/types.js';
import { alreadyExported, decodeCheckpoint, DeliveryLedger, encodeCheckpoint, type Checkpoint } from '../../src/pipeline/checkpoint.js';

const T0 = Date.parse('2026-12-07T10:00:00Z');
const id = (n: number) => n.toString(16).padStart(16, '0');

function span(n: number, startTime: number): SpanRecord {
  return { traceId: 'a'.repeat(32), spanId: id(n), name: 'Pod.Started', startTime, endTime: startTime, status: { code: 'unset' }, service: { name: 'kubelet' }, attributes: {}, sequence: n };
}

describe('checkpoints (docs/design.md §4.8)', () => {
  const checkpoint: Checkpoint = { watermark: T0, exportedAfter: new Set([id(2)]), unexported: new Set([id(1)]), writtenAt: T0 + 5000 };

  it('covers what started before the watermark, except what it lists as not delivered, and what it lists after it', () => {
    assert.equal(alreadyExported(checkpoint, span(9, T0 - 1)), true, 'before the watermark');
    assert.equal(alreadyExported(checkpoint, span(1, T0 - 1)), false, 'before, but not delivered');
    assert.equal(alreadyExported(checkpoint, span(2, T0 + 1)), true, 'after, and delivered');
    assert.equal(alreadyExported(checkpoint, span(3, T0)), false, 'at the watermark, not delivered');
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
    assert.equal(problem({ ...good, exportedAfter: '', unexported: undefined }), 'ok');
  });

  it('the ledger lists what was delivered at or after the watermark, and what is still to come before it', () => {
    const ledger = new DeliveryLedger();
    const now = T0 + 10_000;
    ledger.delivered([span(1, now - 9000), span(2, now - 1000)]);
    const made = ledger.checkpoint(now, 5000, 100, (visit) => {
      visit(id(3), now - 6000); // held since before the watermark
      visit(id(4), now - 100); // waiting, after it: a successor sends it anyway
    });
    assert.ok(made);
    assert.equal(made.watermark, now - 5000);
    assert.deepEqual([...made.exportedAfter], [id(2)]);
    assert.deepEqual([...made.unexported], [id(3)]);
    assert.equal(alreadyExported(made, span(1, now - 9000)), true);
    assert.equal(alreadyExported(made, span(3, now - 6000)), false);
    assert.equal(alreadyExported(made, span(4, now - 100)), false);
  });

  it('a full checkpoint leaves delivered spans out (sent again, never lost) and moves its watermark back for the undelivered', () => {
    const ledger = new DeliveryLedger();
    const now = T0 + 60_000;
    ledger.delivered([span(1, now - 3000), span(2, now - 2000), span(3, now - 1000)]);
    const full = ledger.checkpoint(now, 5000, 4, (visit) => {
      for (let n = 10; n < 14; n++) visit(id(n), now - 50_000 + n); // four held since long before
    });
    // Half the ids for the undelivered: the watermark moves back to the third oldest of them.
    assert.equal(full.watermark, now - 50_000 + 12);
    assert.deepEqual([...full.unexported], [id(10), id(11)]);
    assert.deepEqual([...full.exportedAfter], [id(2), id(3)]);
    assert.equal(full.leftOut, 1);
    for (let n = 10; n < 14; n++) assert.equal(alreadyExported(full, span(n, now - 50_000 + n)), false, `undelivered ${n} is sent by a successor`);
    assert.equal(alreadyExported(full, span(1, now - 3000)), false, 'left out: sent again');
    assert.equal(alreadyExported(full, span(3, now - 1000)), true);
  });
});
