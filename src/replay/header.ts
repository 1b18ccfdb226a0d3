/**
 * A capture's header record (docs/design.md §6): what recorded it and the engine settings it ran
 * with, so that `kspan replay` replays with them unless its flags say otherwise.
 */

import { DEFAULTS, type CorrelationSpec, type OwnerKindRule, type SpansSpec } from '../api/types.js';
import type { EngineSpec } from '../engine/config.js';
import { isRecord } from '../core/records.js';

/**
 * Names the projection the object records were written with. Replay projects every record again
 * (the projection is idempotent, §2.2), so a record written with this one reads as the live cache
 * had it; another name warns that the live view may have differed.
 */
export const PROJECTION = 'engine-projection/1';

export interface CaptureHeader {
  kspanVersion: string;
  /** `kspan capture`, or an operator's own recording of a TraceCollector's input */
  recorder: 'capture' | 'operator';
  namespaces: string[];
  correlation: Required<CorrelationSpec>;
  ownerKindRules: OwnerKindRule[];
  spans: Required<SpansSpec>;
  projection: string;
  /** the TraceCollector whose pipeline recorded its input */
  collector?: { namespace: string; name: string };
  /**
   * When the recording engine's tick schedule started (RFC 3339): replay ticks on the same
   * schedule (§2.1) instead of one counted from the first record.
   */
  tickOrigin?: string;
  /** the recorded cluster: its kube-system Namespace's uid, k8s.cluster.uid on the replayed spans' resource */
  cluster?: { uid: string };
}

/** A header with the defaults filled in (a setting written is a setting replay need not guess). */
export function makeHeader(fields: {
  kspanVersion: string;
  recorder: CaptureHeader['recorder'];
  namespaces: readonly string[];
  spec?: EngineSpec;
  collector?: { namespace: string; name: string };
  tickOrigin?: number;
  /** undefined when the recorder could not read it */
  clusterUid?: string | undefined;
}): CaptureHeader {
  const c = fields.spec?.correlation ?? {};
  const header: CaptureHeader = {
    kspanVersion: fields.kspanVersion,
    recorder: fields.recorder,
    namespaces: [...fields.namespaces],
    correlation: {
      recentWindowSeconds: c.recentWindowSeconds ?? DEFAULTS.recentWindowSeconds,
      expireAfterSeconds: c.expireAfterSeconds ?? DEFAULTS.expireAfterSeconds,
      maxPendingEvents: c.maxPendingEvents ?? DEFAULTS.maxPendingEvents,
      traceContext: c.traceContext ?? DEFAULTS.traceContext,
      traceContextAnnotations: [...(c.traceContextAnnotations ?? DEFAULTS.traceContextAnnotations)],
    },
    ownerKindRules: [...(fields.spec?.ownerKindRules ?? [])],
    spans: { statusTransitions: fields.spec?.spans?.statusTransitions ?? DEFAULTS.statusTransitions },
    projection: PROJECTION,
  };
  if (fields.collector) header.collector = { ...fields.collector };
  if (fields.tickOrigin !== undefined) header.tickOrigin = new Date(fields.tickOrigin).toISOString();
  if (fields.clusterUid !== undefined) header.cluster = { uid: fields.clusterUid };
  return header;
}

/**
 * A header record's object as parsed: only the shape is checked here (a reason, or undefined
 * when it is usable); the engine validates the rules when replay builds its config.
 */
export function headerProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return 'a header record needs an "object" with the capture\'s settings';
  if (value['correlation'] !== undefined && !isRecord(value['correlation'])) return 'the header\'s "correlation" must be an object';
  if (value['ownerKindRules'] !== undefined && !Array.isArray(value['ownerKindRules'])) return 'the header\'s "ownerKindRules" must be a list';
  if (value['spans'] !== undefined && !isRecord(value['spans'])) return 'the header\'s "spans" must be an object';
  if (value['namespaces'] !== undefined && !Array.isArray(value['namespaces'])) return 'the header\'s "namespaces" must be a list';
  if (value['tickOrigin'] !== undefined && (typeof value['tickOrigin'] !== 'string' || Number.isNaN(Date.parse(value['tickOrigin'])))) return 'the header\'s "tickOrigin" must be an RFC 3339 time';
  const cluster = value['cluster'];
  if (cluster !== undefined && !(isRecord(cluster) && typeof cluster['uid'] === 'string' && cluster['uid'] !== '')) return 'the header\'s "cluster" must be an object with a "uid" string';
  return undefined;
}

/** The engine settings a header records (what is absent there: the defaults). */
export function engineSpecOf(header: Partial<CaptureHeader> | undefined): EngineSpec {
  const spec: EngineSpec = {};
  if (header?.correlation) spec.correlation = { ...header.correlation };
  if (header?.ownerKindRules) spec.ownerKindRules = [...header.ownerKindRules];
  if (header?.spans) spec.spans = { ...header.spans };
  return spec;
}
