import assert from 'node:assert/strict';
import { silentLogger } from '../../src/core/log.js';
import type { SpanRecord } from '../../src/engine/types.js';
import { decodeCheckpoint, type CheckpointRecord } from '../../src/pipeline/checkpoint.js';
import { CHECKPOINT_DEFAULTS, Delivery, type CheckpointWriter } from '../../src/pipeline/delivery.js';
import { FakeClock, settle } from '../support/fake-clock.js';
import { exporterConfig, FakeExporter } from './fakes/exporter.js';

const id = (n: number) => n.toString(16).padStart(16, '0');
function span(n: number, startTime: number): SpanRecord {
  return { traceId: 'a'.repeat(32), spanId: id(n), name: 'Pod.Started', startTime, endTime: startTime, status: { code: 'unset' }, service: { name: 'kubelet' }, attributes: {}, sequence: n };
}

/** Writes recorded with what the exporter had been handed at the time. */
class RecordingWriter implements CheckpointWriter {
  readonly writes: Array<{ record: CheckpointRecord | null; handed: number }> = [];
  fail = false;
  constructor(private readonly exporter: FakeExporter) {}
  async write(record: CheckpointRecord | null): Promise<void> {
    if (this.fail) throw new Error('403');
    this.writes.push({ record, handed: this.exporter.exported.length });
  }
}

describe('delivery in rounds, each recorded by a checkpoint (docs/design.md §4.8)', () => {
  let clock: FakeClock;
  let exporter: FakeExporter;
  let writer: RecordingWriter;
  let held: SpanRecord[];
  const make = (extra: Partial<ConstructorParameters<typeof Delivery>[0]> = {}) =>
    new Delivery({
      exporter,
      clock,
      log: silentLogger,
      checkpoints: { ...CHECKPOINT_DEFAULTS, writer },
      unfinished: (visit) => held.forEach((s) => visit(s.spanId, s.startTime)),
      eventsRead: () => new Map(),
      eventOrigin: () => undefined,
      ...extra,
    });

  beforeEach(() => {
    clock = new FakeClock();
    exporter = new FakeExporter(exporterConfig());
    writer = new RecordingWriter(exporter);
    held = [];
  });

  it('hands spans over at most once per interval, and writes the checkpoint after the endpoint took them', async () => {
    const delivery = make();
    const t = clock.now();
    delivery.add([span(1, t - 1000)]);
    await clock.advance(0);
    assert.deepEqual(exporter.calls, ['enqueue 1', 'flush']);
    assert.equal(writer.writes.length, 1);
    assert.equal(writer.writes[0]?.handed, 1, 'written once the round was handed and flushed');
    delivery.add([span(2, t + 10)]);
    delivery.add([span(3, t + 20)]);
    await clock.advance(CHECKPOINT_DEFAULTS.intervalMs - 1);
    assert.equal(exporter.exported.length, 1, 'the next round waits for the interval');
    await clock.advance(1);
    assert.deepEqual(exporter.calls, ['enqueue 1', 'flush', 'enqueue 2', 'flush']);
    const last = decodeCheckpoint(writer.writes.at(-1)?.record);
    assert.ok(last.ok);
    assert.deepEqual([...last.checkpoint.exportedAfter].sort(), [id(1), id(2), id(3)]);
  });

  it('lists what the engine still holds from before the watermark as not delivered', async () => {
    const delivery = make();
    held = [span(7, clock.now() - 60_000), span(8, clock.now())];
    delivery.add([span(1, clock.now())]);
    await clock.advance(0);
    const written = decodeCheckpoint(writer.writes[0]?.record);
    assert.ok(written.ok);
    assert.deepEqual([...written.checkpoint.unexported], [id(7)], 'the one after the watermark needs no mention');
  });

  it('a continuation does not hand over what its predecessor delivered', async () => {
    const t = clock.now();
    const continuation = { watermark: t, eventsRead: new Map<string, number>(), exportedAfter: new Set([id(2)]), unexported: new Set([id(3)]), writtenAt: t };
    const delivery = make({ continuation });
    delivery.add([span(1, t - 5), span(2, t + 5), span(3, t - 5), span(4, t + 5)]);
    await clock.advance(0);
    assert.deepEqual(exporter.exported.map((s) => s.spanId), [id(3), id(4)]);
    assert.equal(delivery.stats().spansSuppressed, 2);
  });

  it('accounts an Event\'s span by the Event read: listed undelivered while held, named in no list once delivered', async () => {
    const read = new Map([['shop', 7]]);
    const delivery = make({ eventsRead: () => read });
    delivery.eventRead(id(1));
    delivery.eventRead(id(2));
    held = [span(2, clock.now() + 60_000)]; // its time does not matter: it is an Event's
    delivery.add([span(1, clock.now() + 60_000)]);
    await clock.advance(0);
    const written = decodeCheckpoint(writer.writes[0]?.record);
    assert.ok(written.ok);
    assert.deepEqual([...written.checkpoint.unexported], [id(2)]);
    assert.deepEqual([...written.checkpoint.exportedAfter], []);
    assert.deepEqual([...written.checkpoint.eventsRead], [['shop', 7]]);
  });

  it('ends with the checkpoint its stop asks for: handed over, removed, or left as it is', async () => {
    for (const [ending, want] of [['handOver', 'record'], ['clear', null], ['keep', undefined]] as const) {
      writer = new RecordingWriter(exporter);
      const delivery = make();
      delivery.add([span(1, clock.now())]);
      await delivery.finish(clock.now() + 1000, [], ending);
      const last = writer.writes.at(-1)?.record;
      if (want === 'record') assert.ok(last && decodeCheckpoint(last).ok, ending);
      else assert.equal(last, want, ending);
    }
  });

  it('a failed write leaves delivery going and is counted', async () => {
    writer.fail = true;
    const delivery = make();
    delivery.add([span(1, clock.now())]);
    await clock.advance(0);
    delivery.add([span(2, clock.now())]);
    await clock.advance(CHECKPOINT_DEFAULTS.intervalMs);
    await settle();
    assert.equal(exporter.exported.length, 2);
    assert.equal(delivery.stats().checkpointWriteFailures, 2);
  });

  it('without a writer, spans go to the exporter as they come', () => {
    const delivery = new Delivery({ exporter, clock, log: silentLogger, unfinished: () => {}, eventsRead: () => new Map(), eventOrigin: () => undefined });
    delivery.add([span(1, clock.now())]);
    assert.deepEqual(exporter.calls, ['enqueue 1']);
    assert.equal(delivery.checkpointing, false);
  });
});
