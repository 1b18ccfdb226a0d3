import assert from 'node:assert/strict';
import { eventSource, eventTime, occurrenceCount } from '../../src/engine/event-facts.js';
import { formatTime, parseTime } from '../../src/engine/time.js';
import { at, ev } from './builders.js';

describe('engine: event facts', () => {
  describe('parseTime', () => {
    it('keeps nanoseconds, microseconds and whole seconds apart', () => {
      assert.deepEqual(parseTime('2021-05-19T09:42:58Z'), { ms: Date.parse('2021-05-19T09:42:58Z'), subSecond: false });
      const nanos = parseTime('2021-05-19T09:42:58.640117041Z')!;
      assert.equal(nanos.subSecond, true);
      assert.ok(Math.abs(nanos.ms - (Date.parse('2021-05-19T09:42:58Z') + 640.117041)) < 1e-3);
      assert.equal(parseTime('2021-05-19T09:42:58.638469Z')!.ms, Date.parse('2021-05-19T09:42:58Z') + 638.469);
    });
    it('reads offsets', () => {
      assert.equal(parseTime('2021-05-19T11:42:58+02:00')!.ms, Date.parse('2021-05-19T09:42:58Z'));
    });
    it('rejects what is not RFC 3339', () => {
      for (const bad of ['', 'yesterday', '2021-05-19', '2021-05-19T09:42:58', '2021-13-45T99:99:99Z', null, undefined]) {
        assert.equal(parseTime(bad as string), undefined, String(bad));
      }
    });
    it('formats with microseconds', () => {
      assert.equal(formatTime(Date.parse('2021-05-19T09:42:58Z') + 638.469), '2021-05-19T09:42:58.638469Z');
      assert.equal(formatTime(Date.parse('2021-05-19T09:42:58Z')), '2021-05-19T09:42:58.000Z');
    });
  });

  describe('source (5.1)', () => {
    it('is source.component with source.host as instance', () => {
      assert.deepEqual(eventSource(ev('Pod', 'p', { component: 'kubelet', host: 'node-1' })), { component: 'kubelet', instance: 'node-1' });
    });
    it('falls back to reportingComponent/reportingInstance (scheduler events carry only these)', () => {
      assert.deepEqual(eventSource(ev('Pod', 'p', { reporting: 'default-scheduler', reportingInstance: 'default-scheduler-cp' })), {
        component: 'default-scheduler',
        instance: 'default-scheduler-cp',
      });
    });
    it('ignores an empty source.component', () => {
      const e = ev('Pod', 'p', { reporting: 'default-scheduler' });
      e.source = { component: '' };
      assert.equal(eventSource(e).component, 'default-scheduler');
    });
    it('says unknown when there is no source at all', () => {
      const e = ev('Pod', 'p');
      e.source = {};
      assert.deepEqual(eventSource(e), { component: 'unknown' });
    });
  });

  describe('time (5.2)', () => {
    it('prefers lastTimestamp, then eventTime, then firstTimestamp, then creation time', () => {
      const e = ev('Pod', 'p', { last: 10 });
      e.eventTime = '2026-03-10T14:00:05.250000Z';
      e.firstTimestamp = '2026-03-10T14:00:01Z';
      assert.equal(eventTime(e, at(30)), at(10));
      e.lastTimestamp = null;
      assert.equal(eventTime(e, at(30)), at(5.25));
      e.eventTime = null;
      assert.equal(eventTime(e, at(30)), at(1));
      e.firstTimestamp = null;
      e.metadata.creationTimestamp = '2026-03-10T14:00:02Z';
      assert.equal(eventTime(e, at(30)), at(2));
      delete e.metadata.creationTimestamp;
      assert.equal(eventTime(e, at(30)), at(30), 'receive time when the event has no time at all');
    });
    it('uses the receive time for a second-granularity time received less than 1 s after it', () => {
      assert.equal(eventTime(ev('Pod', 'p', { last: 10 }), at(10.64)), at(10.64));
      assert.equal(eventTime(ev('Pod', 'p', { last: 10 }), at(10)), at(10));
    });
    it('keeps the event time when received 1 s or more after it, or before it', () => {
      assert.equal(eventTime(ev('Pod', 'p', { last: 10 }), at(11)), at(10));
      assert.equal(eventTime(ev('Pod', 'p', { last: 10 }), at(9.5)), at(10));
    });
    it('never corrects a time that has a sub-second part', () => {
      const e = ev('Pod', 'p', { reporting: 'default-scheduler', eventTime: '2026-03-10T14:00:10.120000Z' });
      assert.equal(eventTime(e, at(10.5)), at(10.12));
    });
  });

  describe('occurrence count (5.7)', () => {
    it('is count, else series.count', () => {
      assert.equal(occurrenceCount(ev('Pod', 'p', { count: 3 })), 3);
      assert.equal(occurrenceCount(ev('Pod', 'p', { reporting: 'default-scheduler', seriesCount: 4 })), 4);
      assert.equal(occurrenceCount(ev('Pod', 'p', { reporting: 'default-scheduler' })), undefined);
    });
  });
});
