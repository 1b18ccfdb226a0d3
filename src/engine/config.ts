/** Engine settings from a TraceCollector spec, with the defaults of docs/design.md §3 and §5. */

import { DEFAULTS, type CorrelationSpec, type OwnerKindRule, type SpansSpec } from '../api/types.js';
import { compileRules } from './rules.js';
import type { EngineConfig } from './types.js';

export interface EngineSpec {
  correlation?: CorrelationSpec;
  ownerKindRules?: OwnerKindRule[];
  spans?: SpansSpec;
}

function positive(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
}

/**
 * The engine configuration for a spec. Throws `InvalidRuleError` (message names the rule and
 * the reason) when an owner-kind rule cannot be used, e.g. a pattern that is not a valid regex.
 */
export function engineConfigFromSpec(spec?: EngineSpec): EngineConfig {
  const c = spec?.correlation ?? {};
  const ownerKindRules = spec?.ownerKindRules ?? [];
  compileRules(ownerKindRules); // fail early, with the rule's index, rather than in the Correlator
  return {
    recentWindowMs: positive(c.recentWindowSeconds, DEFAULTS.recentWindowSeconds) * 1000,
    expireAfterMs: positive(c.expireAfterSeconds, DEFAULTS.expireAfterSeconds) * 1000,
    maxPendingEvents: Math.floor(positive(c.maxPendingEvents, DEFAULTS.maxPendingEvents)),
    ownerKindRules,
    statusTransitions: spec?.spans?.statusTransitions ?? DEFAULTS.statusTransitions,
    traceContext: c.traceContext ?? DEFAULTS.traceContext,
    traceContextAnnotations: c.traceContextAnnotations ?? DEFAULTS.traceContextAnnotations,
  };
}

/** How often to call `Correlator.tick`: half the recent window (docs/design.md §5.6). */
export function tickIntervalMs(config: EngineConfig): number {
  return config.recentWindowMs / 2;
}
