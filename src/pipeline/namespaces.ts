/** Which namespaces a TraceCollector watches (pure). */

import type { LabelSelector, TraceCollectorSpec } from '../api/types.js';
import { ALL_NAMESPACES, type NamespaceInfo } from './ports.js';

/** The namespaces to watch: every namespace, or a set of names. */
export type NamespaceScope = { all: true } | { all: false; names: string[] };

/** True when the spec needs the cluster's Namespace objects (a selector). */
export function needsNamespaceWatch(spec: Pick<TraceCollectorSpec, 'namespaces' | 'namespaceSelector'>): boolean {
  return spec.namespaceSelector !== undefined && !(spec.namespaces ?? []).includes(ALL_NAMESPACES);
}

/**
 * Explicit names (default: the collector's own namespace), plus every known namespace that the
 * selector matches. `"*"` among the names means every namespace.
 */
export function resolveNamespaces(
  spec: Pick<TraceCollectorSpec, 'namespaces' | 'namespaceSelector'>,
  ownNamespace: string,
  known: readonly NamespaceInfo[],
): NamespaceScope {
  const listed = spec.namespaces && spec.namespaces.length > 0 ? spec.namespaces : [ownNamespace];
  if (listed.includes(ALL_NAMESPACES)) return { all: true };
  const names = new Set(listed);
  if (spec.namespaceSelector) {
    for (const ns of known) if (selectorMatches(spec.namespaceSelector, ns.labels)) names.add(ns.name);
  }
  return { all: false, names: [...names].sort() };
}

/** metav1.LabelSelector semantics; an empty selector matches everything. */
export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const req of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, req.key);
    const value = labels[req.key];
    const values = req.values ?? [];
    switch (req.operator) {
      case 'In':
        if (!has || !values.includes(value as string)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(value as string)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}
