/**
 * A TraceCollector spec with every default filled in (DEFAULTS in ./types.ts), so code
 * downstream of validation never has to repeat a fallback.
 */
import { DEFAULTS, type ExporterSpec, type TraceCollectorSpec } from './types.js';

export interface ResolvedSpec {
  /** explicit namespace names (sorted, unique); empty when allNamespaces */
  namespaces: string[];
  allNamespaces: boolean;
  namespaceSelector?: NonNullable<TraceCollectorSpec['namespaceSelector']>;
  exporter: Required<Pick<ExporterSpec, 'endpoint' | 'insecure' | 'compression' | 'timeoutSeconds' | 'maxQueueSize'>> &
    Pick<ExporterSpec, 'headersSecretRef' | 'tls'>;
  ownerKindRules: NonNullable<TraceCollectorSpec['ownerKindRules']>;
  filter: { types: Array<'Normal' | 'Warning'>; excludeReasons: string[] };
  correlation: { recentWindowSeconds: number; expireAfterSeconds: number; maxPendingEvents: number };
  spans: { statusTransitions: boolean };
  resourceAttributes: Record<string, string>;
  suspend: boolean;
}

/** Fills the defaults of a (validated) spec; `ownNamespace` is the TraceCollector's namespace. */
export function resolveSpec(spec: TraceCollectorSpec, ownNamespace: string): ResolvedSpec {
  // docs/design.md §3: the selector adds namespaces to the list, which defaults to the own namespace.
  const names = spec.namespaces === undefined || spec.namespaces.length === 0 ? [ownNamespace] : spec.namespaces;
  const allNamespaces = names.includes('*');
  const { exporter } = spec;
  return {
    namespaces: allNamespaces ? [] : [...new Set(names)].sort(),
    allNamespaces,
    ...(spec.namespaceSelector === undefined ? {} : { namespaceSelector: spec.namespaceSelector }),
    exporter: {
      endpoint: exporter.endpoint,
      insecure: exporter.insecure ?? false,
      compression: exporter.compression ?? DEFAULTS.compression,
      timeoutSeconds: exporter.timeoutSeconds ?? DEFAULTS.timeoutSeconds,
      maxQueueSize: exporter.maxQueueSize ?? DEFAULTS.maxQueueSize,
      ...(exporter.headersSecretRef === undefined ? {} : { headersSecretRef: exporter.headersSecretRef }),
      ...(exporter.tls === undefined ? {} : { tls: exporter.tls }),
    },
    ownerKindRules: spec.ownerKindRules ?? [],
    filter: {
      types: spec.filter?.types ?? [...DEFAULTS.types],
      excludeReasons: spec.filter?.excludeReasons ?? [],
    },
    correlation: {
      recentWindowSeconds: spec.correlation?.recentWindowSeconds ?? DEFAULTS.recentWindowSeconds,
      expireAfterSeconds: spec.correlation?.expireAfterSeconds ?? DEFAULTS.expireAfterSeconds,
      maxPendingEvents: spec.correlation?.maxPendingEvents ?? DEFAULTS.maxPendingEvents,
    },
    spans: { statusTransitions: spec.spans?.statusTransitions ?? DEFAULTS.statusTransitions },
    resourceAttributes: spec.resourceAttributes ?? {},
    suspend: spec.suspend ?? false,
  };
}
