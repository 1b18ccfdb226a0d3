import assert from 'node:assert/strict';
import type { TraceCollector } from '../../src/api/types.js';
import { checkSpec, describeForbidden, desiredStatus, sameStatus } from '../../src/controller/index.js';
import type { PipelineStats } from '../../src/pipeline/index.js';

const T0 = Date.parse('2026-11-22T10:00:00Z');

function collector(spec: TraceCollector['spec'], status?: TraceCollector['status']): TraceCollector {
  return {
    apiVersion: 'kspan.dev/v1alpha1',
    kind: 'TraceCollector',
    metadata: { name: 'tc', namespace: 'shop', generation: 3 },
    spec,
    ...(status ? { status } : {}),
  };
}

function stats(extra: Partial<PipelineStats> = {}): PipelineStats {
  return {
    eventsReceived: 10,
    eventsUnresolved: 1,
    tracesStarted: 2,
    spansExported: 9,
    spansDropped: 0,
    statusSpans: 3,
    ownParentsAwaited: 1,
    spansUnderAncestor: 0,
    pendingEvents: 1,
    pendingOverflow: 0,
    spansQueued: 0,
    recentActions: 4,
    heldSpans: 2,
    eventsSkippedOld: 0,
    eventsFiltered: 0,
    eventsReplayed: 0,
    spansSuppressed: 0,
    checkpointsWritten: 0,
    checkpointWriteFailures: 0,
    checkpointSpansLeftOut: 0,
    checkpointsSkipped: 0,
    exporter: { ready: true, reason: 'ExportSucceeded', message: 'exported' },
    watchedNamespaces: ['shop'],
    synced: true,
    problems: [],
    lastExportTime: T0 + 1500,
    ...extra,
  };
}

describe('controller decisions (pure)', () => {
  const spec = { exporter: { endpoint: 'otel:4317' } };

  it('a running, synced pipeline: Ready=True, counters, observedGeneration, lastExportTime in metav1.Time', () => {
    const status = desiredStatus(collector(spec), { kind: 'running', stats: stats() }, T0);
    assert.equal(status.observedGeneration, 3);
    assert.deepEqual(
      status.conditions?.map((c) => [c.type, c.status, c.reason, c.observedGeneration, c.lastTransitionTime]),
      [
        ['Ready', 'True', 'Ready', 3, '2026-11-22T10:00:00Z'],
        ['ExporterReady', 'True', 'ExportSucceeded', 3, '2026-11-22T10:00:00Z'],
      ],
    );
    assert.equal(status.eventsReceived, 10);
    assert.equal(status.pendingEvents, 1);
    assert.equal(status.lastExportTime, '2026-11-22T10:00:01Z');
  });

  it('keeps lastTransitionTime while a condition keeps its status, and counters while idle', () => {
    const first = desiredStatus(collector(spec), { kind: 'running', stats: stats() }, T0);
    const later = desiredStatus(collector(spec, first), { kind: 'running', stats: stats({ eventsReceived: 11 }) }, T0 + 60_000);
    assert.equal(later.conditions?.[0]?.lastTransitionTime, '2026-11-22T10:00:00Z');
    assert.equal(sameStatus(first, later), false);
    const suspended = desiredStatus(collector(spec, later), { kind: 'suspended' }, T0 + 120_000);
    assert.equal(suspended.conditions?.[0]?.reason, 'Suspended');
    assert.equal(suspended.conditions?.[0]?.lastTransitionTime, '2026-11-22T10:02:00Z');
    assert.equal(suspended.eventsReceived, 11, 'counters stay');
    assert.equal(suspended.pendingEvents, 0);
    assert.deepEqual(suspended.watchedNamespaces, []);
    assert.ok(sameStatus(suspended, desiredStatus(collector(spec, suspended), { kind: 'suspended' }, T0 + 180_000)), 'nothing changed: skip');
  });

  it('waiting for sync is Unknown; a failing watch is Reconciling; a 403 is Forbidden naming the permission', () => {
    const ready = (s: Partial<PipelineStats>) => desiredStatus(collector(spec), { kind: 'running', stats: stats(s) }, T0).conditions?.[0];
    assert.equal(ready({ synced: false })?.status, 'Unknown');
    const failing = ready({ synced: false, problems: [{ status: 500, verb: 'list', resource: 'events', namespace: 'shop', message: 'boom' }] });
    assert.deepEqual([failing?.status, failing?.reason], ['False', 'Reconciling']);
    const forbidden = ready({ problems: [{ status: 403, verb: 'watch', resource: 'events', namespace: 'shop', message: 'no' }] });
    assert.equal(forbidden?.reason, 'Forbidden');
    assert.equal(forbidden?.message, describeForbidden({ verb: 'watch', resource: 'events', namespace: 'shop' }));
    assert.match(forbidden?.message ?? '', /forbidden to watch events in namespace "shop" \(RBAC: grant list, watch on events\)/);
    assert.match(describeForbidden({ verb: 'list', resource: 'namespaces' }), /cluster-wide/);
  });

  it('an unavailable exporter: ExporterReady=False with its reason', () => {
    const status = desiredStatus(collector(spec), { kind: 'running', stats: stats({ exporter: { ready: false, reason: 'ExporterUnavailable', message: 'connection refused' } }) }, T0);
    assert.deepEqual(status.conditions?.[1], {
      type: 'ExporterReady',
      status: 'False',
      observedGeneration: 3,
      lastTransitionTime: '2026-11-22T10:00:00Z',
      reason: 'ExporterUnavailable',
      message: 'connection refused',
    });
  });

  it('lockdown allows only the own namespace', () => {
    const check = (s: TraceCollector['spec']) => checkSpec(collector(s), { noCrossNamespaceRefs: true });
    assert.equal(check(spec).ok, true);
    assert.equal(check({ ...spec, namespaces: ['shop'] }).ok, true);
    for (const bad of [{ namespaces: ['*'] }, { namespaces: ['shop', 'web'] }, { namespaceSelector: { matchLabels: { a: 'b' } } }]) {
      const result = check({ ...spec, ...bad });
      assert.equal(result.ok, false);
      if (!result.ok) assert.equal(result.outcome.kind, 'namespaceForbidden');
    }
    assert.equal(checkSpec(collector({ ...spec, namespaces: ['web'] }), { noCrossNamespaceRefs: false }).ok, true);
  });

  it('an invalid spec is reported with field paths, never thrown', () => {
    const result = checkSpec(collector({ exporter: { endpoint: 'no-port' } } as never), { noCrossNamespaceRefs: false });
    assert.equal(result.ok, false);
    if (!result.ok && result.outcome.kind === 'invalid') assert.match(result.outcome.message, /spec\.exporter\.endpoint/);
    else assert.fail('expected invalid');
  });
});
