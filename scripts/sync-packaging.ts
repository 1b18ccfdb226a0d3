/**
 * Keeps the packaging copies in step with their single sources:
 *   crds/tracecollectors.kspan.dev.yaml  -> charts/kspan/crds/, config/crd/bases/  (identical copies)
 *   the CRD's spec schema                -> charts/kspan/values.schema.json traceCollector.spec
 *   charts/kspan/files/rbac-rules.yaml   -> config/rbac/role.yaml, config/rbac/leader_election_role.yaml
 *
 * Usage: npx tsx scripts/sync-packaging.ts [--check]   (--check: exit 1 and name the stale files)
 * test/packaging fails on drift, so run this after changing a source.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { repoRoot, runGeneratorIfMain, staleFiles as staleGeneratedFiles } from './generated-files.js';

export const CRD_SOURCE = 'crds/tracecollectors.kspan.dev.yaml';
export const CRD_COPIES = ['charts/kspan/crds/tracecollectors.kspan.dev.yaml', 'config/crd/bases/tracecollectors.kspan.dev.yaml'];
export const RBAC_RULES = 'charts/kspan/files/rbac-rules.yaml';
export const VALUES_SCHEMA = 'charts/kspan/values.schema.json';
export const KUSTOMIZE_ROLE = 'config/rbac/role.yaml';
export const KUSTOMIZE_LEADER_ELECTION_ROLE = 'config/rbac/leader_election_role.yaml';

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** The groups of charts/kspan/files/rbac-rules.yaml. */
export interface RbacRules {
  cluster: PolicyRule[];
  namespaced: PolicyRule[];
  secrets: PolicyRule[];
  leaderElection: PolicyRule[];
}

type Schema = Record<string, unknown>;

export function parseRbacRules(text: string): RbacRules {
  const doc = parse(text) as Partial<Record<keyof RbacRules, unknown>> | null;
  const group = (key: keyof RbacRules): PolicyRule[] => {
    const rules = doc?.[key];
    if (!Array.isArray(rules) || rules.length === 0) throw new Error(`${RBAC_RULES}: "${key}" must be a non-empty list of rules`);
    return rules as PolicyRule[];
  };
  return { cluster: group('cluster'), namespaced: group('namespaced'), secrets: group('secrets'), leaderElection: group('leaderElection') };
}

/** Everything the operator's ServiceAccount gets cluster-wide with the chart's default values. */
export function defaultClusterWideRules(rules: RbacRules): PolicyRule[] {
  return [...rules.cluster, ...rules.namespaced, ...rules.secrets];
}

/**
 * The CRD's spec schema as plain JSON Schema for Helm's values validation: Kubernetes extensions
 * (x-kubernetes-*) and the int32/int64 formats dropped, and unknown keys rejected in every object
 * that lists its properties (a structural schema prunes them silently instead).
 */
export function valuesSpecSchema(crdText: string): Schema {
  const crd = parse(crdText) as { spec?: { versions?: Array<{ schema?: { openAPIV3Schema?: Schema } }> } };
  const root = crd.spec?.versions?.[0]?.schema?.openAPIV3Schema;
  const spec = (root?.['properties'] as Record<string, Schema> | undefined)?.['spec'];
  if (spec === undefined) throw new Error(`${CRD_SOURCE}: no spec.versions[0].schema.openAPIV3Schema.properties.spec`);
  return toPlainJsonSchema(spec);
}

function toPlainJsonSchema(node: unknown): Schema {
  const out: Schema = {};
  for (const [key, value] of Object.entries(node as Schema)) {
    if (key.startsWith('x-kubernetes-') || key === 'format') continue;
    if (key === 'properties') {
      out[key] = Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, toPlainJsonSchema(v)]));
    } else if ((key === 'items' || key === 'additionalProperties') && typeof value === 'object' && value !== null) {
      out[key] = toPlainJsonSchema(value);
    } else {
      out[key] = value;
    }
  }
  if (out['properties'] !== undefined && out['additionalProperties'] === undefined) out['additionalProperties'] = false;
  return out;
}

/** values.schema.json with its traceCollector.spec replaced by the CRD's spec schema. */
export function renderValuesSchema(currentText: string, crdText: string): string {
  const schema = JSON.parse(currentText) as Schema;
  const traceCollector = (schema['properties'] as Record<string, Schema> | undefined)?.['traceCollector'];
  const properties = traceCollector?.['properties'] as Record<string, unknown> | undefined;
  if (traceCollector === undefined || properties === undefined) throw new Error(`${VALUES_SCHEMA}: no properties.traceCollector.properties`);
  // The chart's default spec is empty (Helm merges default maps into the user's), so what the CRD
  // requires at the top of the spec is required only when the TraceCollector is created.
  const { required, ...spec } = valuesSpecSchema(crdText);
  properties['spec'] = { ...spec, description: `The TraceCollector spec; generated from ${CRD_SOURCE} by scripts/sync-packaging.ts.` };
  traceCollector['if'] = { type: 'object', properties: { create: { const: true } }, required: ['create'] };
  traceCollector['then'] = { type: 'object', properties: { spec: { type: 'object', required } } };
  return `${JSON.stringify(schema, null, 2)}\n`;
}

function generatedHeader(source: string): string {
  return `# Generated by scripts/sync-packaging.ts from ${source}. Do not edit by hand.\n`;
}

function renderRole(kind: 'ClusterRole' | 'Role', name: string, rules: PolicyRule[]): string {
  const manifest = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind,
    metadata: { name, labels: { 'app.kubernetes.io/name': 'kspan', 'app.kubernetes.io/part-of': 'kspan' } },
    rules,
  };
  return generatedHeader(RBAC_RULES) + stringify(manifest, { lineWidth: 0, aliasDuplicateObjects: false });
}

/** Every generated file (path relative to the repository -> exact text), from the sources under `root`. */
export function generatedFiles(root: string): Map<string, string> {
  const read = (relative: string) => readFileSync(join(root, relative), 'utf8');
  const crd = read(CRD_SOURCE);
  const rules = parseRbacRules(read(RBAC_RULES));
  const files = new Map<string, string>();
  for (const copy of CRD_COPIES) files.set(copy, crd);
  files.set(VALUES_SCHEMA, renderValuesSchema(read(VALUES_SCHEMA), crd));
  files.set(KUSTOMIZE_ROLE, renderRole('ClusterRole', 'manager-role', defaultClusterWideRules(rules)));
  files.set(KUSTOMIZE_LEADER_ELECTION_ROLE, renderRole('Role', 'leader-election-role', rules.leaderElection));
  return files;
}

/** The generated files whose content on disk differs from what the sources give. */
export function staleFiles(root: string): string[] {
  return staleGeneratedFiles(generatedFiles(root), root);
}

runGeneratorIfMain(import.meta.url, () => generatedFiles(repoRoot));
