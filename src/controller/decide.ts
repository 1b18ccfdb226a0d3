/** The reconciler's pure decisions: what a TraceCollector spec allows, and the status an outcome, the pipeline's numbers and the clock call for. */

import { ConditionReason, ConditionType, setCondition, toKubeTime } from '../api/conditions.js';
import { resolveSpec, type ResolvedSpec } from '../api/defaults.js';
import type { TraceCollector, TraceCollectorSpec, TraceCollectorStatus } from '../api/types.js';
import { formatValidationErrors, validateTraceCollectorSpec } from '../api/validate.js';
import type { PipelineCounters, PipelineStats, WatchProblem } from '../pipeline/index.js';

/** What a reconcile ended with. */
export type Outcome =
  | { kind: 'invalid'; message: string }
  | { kind: 'namespaceForbidden'; message: string }
  | { kind: 'secretNotFound'; message: string }
  | { kind: 'forbidden'; message: string }
  | { kind: 'suspended' }
  | { kind: 'running'; stats: PipelineStats };

export type SpecCheck =
  | { ok: true; spec: TraceCollectorSpec; resolved: ResolvedSpec }
  | { ok: false; outcome: Outcome };

/** Validation (schema + what a schema cannot say), then the multi-tenancy lockdown. */
export function checkSpec(obj: TraceCollector, options: { noCrossNamespaceRefs: boolean }): SpecCheck {
  // The API server already pruned unknown fields; only what it cannot check matters here.
  const result = validateTraceCollectorSpec(obj.spec, { unknownFields: 'ignore' });
  if (!result.valid) return { ok: false, outcome: { kind: 'invalid', message: formatValidationErrors(result.errors) } };
  const own = obj.metadata.namespace;
  const resolved = resolveSpec(result.value, own);
  if (options.noCrossNamespaceRefs) {
    const message = lockdownViolation(resolved, own);
    if (message !== undefined) return { ok: false, outcome: { kind: 'namespaceForbidden', message } };
  }
  return { ok: true, spec: result.value, resolved };
}

function lockdownViolation(spec: ResolvedSpec, own: string): string | undefined {
  const why = `cross-namespace references are disabled (--no-cross-namespace-refs): a TraceCollector may only watch its own namespace "${own}"`;
  if (spec.allNamespaces) return `spec.namespaces: watching all namespaces ("*") is forbidden: ${why}`;
  const other = spec.namespaces.filter((n) => n !== own);
  if (other.length > 0) return `spec.namespaces: watching ${other.map((n) => `"${n}"`).join(', ')} is forbidden: ${why}`;
  if (spec.namespaceSelector !== undefined) return `spec.namespaceSelector is forbidden: ${why}`;
  return undefined;
}

/** "the operator may not list events in namespace shop (RBAC: grant list, watch on events)". */
export function describeForbidden(problem: Pick<WatchProblem, 'verb' | 'resource' | 'namespace'>): string {
  const where = problem.namespace && problem.namespace !== '*' ? ` in namespace "${problem.namespace}"` : ' cluster-wide';
  const verbs = problem.verb === 'list' || problem.verb === 'watch' ? 'list, watch' : problem.verb;
  return `the operator is forbidden to ${problem.verb} ${problem.resource}${where} (RBAC: grant ${verbs} on ${problem.resource})`;
}

/**
 * The pipeline's cumulative counters, which the status shows under the same names: the one list
 * the status, the baseline of a new pipeline and the counters carried over a stop all read. Keyed
 * by PipelineCounters so that a counter the pipeline adds fails to compile until it is listed.
 */
const COUNTER_FIELDS: Record<keyof PipelineCounters, true> = {
  eventsReceived: true,
  spansExported: true,
  spansDropped: true,
  eventsUnresolved: true,
  tracesStarted: true,
  statusSpans: true,
  ownParentsAwaited: true,
  spansUnderAncestor: true,
};
export const STATUS_COUNTERS = Object.keys(COUNTER_FIELDS) as ReadonlyArray<keyof PipelineCounters>;

/** The counters of a pipeline's stats (e.g. its final ones, to carry into the next status). */
export function countersOf(stats: PipelineCounters): PipelineCounters {
  const out: Partial<PipelineCounters> = {};
  for (const key of STATUS_COUNTERS) out[key] = stats[key];
  return out as PipelineCounters;
}

/**
 * The status a collector should show. Conditions keep their lastTransitionTime while their status
 * does not change; counters keep their last values while no pipeline runs.
 */
export function desiredStatus(obj: TraceCollector, outcome: Outcome, now: number): TraceCollectorStatus {
  const previous = obj.status ?? {};
  const generation = obj.metadata.generation;
  const gen = generation === undefined ? {} : { observedGeneration: generation };
  const [ready, exporter] = conditionsFor(outcome);
  let conditions = setCondition(previous.conditions, { type: ConditionType.Ready, ...ready, ...gen }, now);
  conditions = setCondition(conditions, { type: ConditionType.ExporterReady, ...exporter, ...gen }, now);
  const status: TraceCollectorStatus = { ...gen, conditions };
  if (outcome.kind === 'running') {
    const s = outcome.stats;
    for (const key of STATUS_COUNTERS) status[key] = s[key];
    status.pendingEvents = s.pendingEvents;
    status.watchedNamespaces = s.watchedNamespaces;
    if (s.lastExportTime !== undefined) status.lastExportTime = toKubeTime(s.lastExportTime);
    else if (previous.lastExportTime !== undefined) status.lastExportTime = previous.lastExportTime;
  } else {
    for (const key of STATUS_COUNTERS) status[key] = previous[key] ?? 0;
    status.pendingEvents = 0;
    status.watchedNamespaces = [];
    if (previous.lastExportTime !== undefined) status.lastExportTime = previous.lastExportTime;
  }
  return status;
}

type Cond = { status: 'True' | 'False' | 'Unknown'; reason: string; message: string };

function conditionsFor(outcome: Outcome): [Cond, Cond] {
  const idle = (reason: string, message: string): [Cond, Cond] => [
    { status: 'False', reason, message },
    { status: 'Unknown', reason, message: 'no pipeline is running' },
  ];
  switch (outcome.kind) {
    case 'invalid':
      return idle(ConditionReason.InvalidSpec, outcome.message);
    case 'namespaceForbidden':
      return idle(ConditionReason.NamespaceForbidden, outcome.message);
    case 'secretNotFound':
      return idle(ConditionReason.SecretNotFound, outcome.message);
    case 'forbidden':
      return idle(ConditionReason.Forbidden, outcome.message);
    case 'suspended':
      return idle(ConditionReason.Suspended, 'spec.suspend is true: not watching');
    case 'running':
      return [readyWhileRunning(outcome.stats), exporterCondition(outcome.stats)];
  }
}

function readyWhileRunning(stats: PipelineStats): Cond {
  const forbidden = stats.problems.filter((p) => p.status === 403);
  if (forbidden.length > 0) {
    return { status: 'False', reason: ConditionReason.Forbidden, message: forbidden.map(describeForbidden).join('; ') };
  }
  if (stats.problems.length > 0) {
    const p = stats.problems[0] as WatchProblem;
    const where = p.namespace ? ` in namespace "${p.namespace}"` : '';
    return { status: 'False', reason: ConditionReason.Reconciling, message: `${p.verb} ${p.resource}${where} is failing, retrying: ${p.message}` };
  }
  if (!stats.synced) return { status: 'Unknown', reason: ConditionReason.Reconciling, message: 'waiting for the watches to sync' };
  const ns = stats.watchedNamespaces;
  const what = ns.includes('*') ? 'all namespaces' : `${ns.length} namespace${ns.length === 1 ? '' : 's'}: ${ns.join(', ')}`;
  return { status: 'True', reason: ConditionReason.Ready, message: `watching ${what}` };
}

function exporterCondition(stats: PipelineStats): Cond {
  const s = stats.exporter;
  return {
    status: s.ready ? 'True' : 'False',
    reason: s.reason || (s.ready ? ConditionReason.ExportSucceeded : ConditionReason.ExporterUnavailable),
    message: s.message || (s.ready ? 'exporting' : 'the exporter is unavailable'),
  };
}

/** Counters of a previous run, to carry over into a new pipeline (operator restart, resume). */
export function baselineFrom(status: TraceCollectorStatus | undefined): Partial<PipelineCounters> {
  const out: Partial<PipelineCounters> = {};
  for (const key of STATUS_COUNTERS) {
    const v = status?.[key];
    if (typeof v === 'number') out[key] = v;
  }
  return out;
}

/** Status equality for "skip the patch when nothing changed". */
export function sameStatus(a: TraceCollectorStatus | undefined, b: TraceCollectorStatus | undefined): boolean {
  return canonical(ownFields(a)) === canonical(ownFields(b));
}

/** The fields the status write owns: the checkpoint is the pipeline's (docs/design.md §4.8). */
function ownFields(status: TraceCollectorStatus | undefined): TraceCollectorStatus {
  if (status?.checkpoint === undefined) return status ?? {};
  const own = { ...status };
  delete own.checkpoint;
  return own;
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      : v,
  );
}
