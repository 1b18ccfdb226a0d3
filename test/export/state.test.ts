import assert from 'node:assert/strict';
import type { ExportFailure } from '../../src/export/index.js';
import { ExporterStatus } from '../../src/export/state.js';
import type { ExporterState } from '../../src/pipeline/ports.js';
import { memoryLogger } from './helpers.js';

const unavailable = (details: string): ExportFailure => ({ code: 14, codeName: 'UNAVAILABLE', details, retryable: true });

describe('export status', () => {
  it('tells listeners of every change, and logs only changes of readiness or reason', () => {
    const logger = memoryLogger();
    const status = new ExporterStatus(logger, () => 'collector:4317');
    const heard: ExporterState[] = [];
    status.onChange((s) => heard.push(s));
    status.configured({ ok: true, address: 'collector:4317' });
    status.unavailable(unavailable('refused'), 'collector:4317');
    status.unavailable(unavailable('refused'), 'collector:4317');
    status.unavailable(unavailable('timed out'), 'collector:4317');
    status.exported('collector:4317');
    assert.deepEqual(heard.map((s) => s.reason), ['Ready', 'ExporterUnavailable', 'ExporterUnavailable', 'ExportSucceeded']);
    assert.deepEqual(heard[2], { ready: false, reason: 'ExporterUnavailable', message: 'UNAVAILABLE: timed out (exporting to collector:4317, retrying)' });
    const logged = logger.lines.map((l) => [l.level, (l.obj as { reason: string }).reason]);
    assert.deepEqual(logged, [['warn', 'ExporterUnavailable'], ['info', 'ExportSucceeded']], 'the first Ready only gains a message');
    assert.equal((logger.lines[0]?.obj as { endpoint: string }).endpoint, 'collector:4317');
  });

  it('keeps the last outcome over a reconfiguration, but leaves InvalidSpec when the configuration works', () => {
    const status = new ExporterStatus(memoryLogger(), () => 'x');
    status.configured({ ok: true, address: 'a:1' });
    status.exported('a:1');
    status.configured({ ok: true, address: 'b:1' });
    assert.equal(status.current.reason, 'ExportSucceeded');
    status.configured({ ok: false, message: 'bad endpoint' });
    assert.deepEqual(status.current, { ready: false, reason: 'InvalidSpec', message: 'invalid exporter configuration: bad endpoint' });
    status.configured({ ok: true, address: 'b:1' });
    assert.deepEqual(status.current, { ready: true, reason: 'Ready', message: 'ready to export to b:1' });
  });

  it('survives a throwing listener, logging it', () => {
    const logger = memoryLogger();
    const status = new ExporterStatus(logger, () => 'x');
    status.onChange(() => {
      throw new Error('listener bug');
    });
    const later: string[] = [];
    status.onChange((s) => later.push(s.reason));
    status.rejected({ code: 3, codeName: 'INVALID_ARGUMENT', details: 'too long', retryable: false }, 'a:1');
    assert.deepEqual(later, ['ExportRejected']);
    assert.ok(logger.lines.some((l) => l.level === 'error' && l.msg === 'span exporter: state listener failed'));
    const copy = status.current;
    copy.reason = 'changed';
    assert.equal(status.current.reason, 'ExportRejected', 'current is a copy');
  });
});
