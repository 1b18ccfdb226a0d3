/**
 * Writes docs/tracecollector-reference.md from the TraceCollector schema (src/api/schema.ts), the
 * same source as the CRD, so the reference lists every field, type, default and validation the
 * apiserver enforces.
 * Usage: npx tsx scripts/generate-reference-docs.ts [--check]   (--check: exit 1 if stale)
 */
import { traceCollectorSpecSchema, traceCollectorStatusSchema, type JSONSchemaProps } from '../src/api/schema.js';
import { ConditionReason, ConditionType } from '../src/api/conditions.js';
import { API_GROUP, API_VERSION, DEFAULTS, TRACE_COLLECTOR_KIND } from '../src/api/types.js';
import { runGeneratorIfMain } from './generated-files.js';

export const REFERENCE_DOC = 'docs/tracecollector-reference.md';

/** Defaults the operator applies (src/api/types.ts DEFAULTS) that the schema does not declare. */
const OPERATOR_DEFAULTS: Record<string, unknown> = {
  'spec.namespaces': 'the TraceCollector\'s own namespace',
  'spec.exporter.tls.caSecretRef.key': 'ca.crt',
  'spec.exporter.compression': DEFAULTS.compression,
  'spec.exporter.timeoutSeconds': DEFAULTS.timeoutSeconds,
  'spec.filter.types': DEFAULTS.types,
  'spec.correlation.recentWindowSeconds': DEFAULTS.recentWindowSeconds,
  'spec.correlation.expireAfterSeconds': DEFAULTS.expireAfterSeconds,
  'spec.correlation.maxPendingEvents': DEFAULTS.maxPendingEvents,
};

interface Row {
  path: string;
  type: string;
  required: boolean;
  defaultValue: string;
  validation: string[];
  description: string;
}

function typeOf(node: JSONSchemaProps): string {
  if (node.type === 'array') return `[]${node.items ? typeOf(node.items) : 'any'}`;
  if (node.type === 'object' && node.properties === undefined && typeof node.additionalProperties === 'object') {
    return `map[string]${typeOf(node.additionalProperties)}`;
  }
  if (node.type === 'integer' && node.format) return `integer (${node.format})`;
  if (node.type === 'string' && node.format) return `string (${node.format})`;
  return node.type ?? 'any';
}

const code = (value: unknown) => `\`${typeof value === 'string' ? value : JSON.stringify(value)}\``;

function validationsOf(node: JSONSchemaProps): string[] {
  const out: string[] = [];
  if (node.enum) out.push(`one of ${node.enum.map(code).join(', ')}`);
  if (node.minimum !== undefined && node.maximum !== undefined) out.push(`${node.minimum}–${node.maximum}`);
  else if (node.minimum !== undefined) out.push(`≥ ${node.minimum}`);
  else if (node.maximum !== undefined) out.push(`≤ ${node.maximum}`);
  const range = (min: number | undefined, max: number | undefined, unit: string) => {
    if (min !== undefined && max !== undefined) out.push(`${min}–${max} ${unit}`);
    else if (min !== undefined) out.push(`at least ${min} ${unit}`);
    else if (max !== undefined) out.push(`at most ${max} ${unit}`);
  };
  range(node.minLength, node.maxLength, 'characters');
  range(node.minItems, node.maxItems, 'items');
  range(node.minProperties, node.maxProperties, 'entries');
  if (node.type === 'object' && typeof node.additionalProperties === 'object') {
    const value = node.additionalProperties;
    if (value.maxLength !== undefined) out.push(`values at most ${value.maxLength} characters`);
  }
  if (node['x-kubernetes-list-type'] === 'set') out.push('unique items');
  if (node['x-kubernetes-list-type'] === 'map') out.push(`unique by ${(node['x-kubernetes-list-map-keys'] ?? []).join(', ')}`);
  if (node.items?.pattern) out.push(`items match ${code(node.items.pattern)}`);
  if (node.items?.enum) out.push(`items one of ${node.items.enum.map(code).join(', ')}`);
  if (node.items?.maxLength !== undefined && node.items.type === 'string') out.push(`items at most ${node.items.maxLength} characters`);
  if (node.pattern) out.push(`matches ${code(node.pattern)}`);
  for (const rule of node['x-kubernetes-validations'] ?? []) out.push(`rule: ${rule.message ?? rule.rule}`);
  return out;
}

function defaultOf(path: string, node: JSONSchemaProps): string {
  if (node.default !== undefined) return code(node.default);
  const operatorDefault = OPERATOR_DEFAULTS[path];
  if (operatorDefault === undefined) return '';
  return typeof operatorDefault === 'string' && !/^[a-z0-9.]+$/.test(operatorDefault) ? operatorDefault : code(operatorDefault);
}

function rowsOf(node: JSONSchemaProps, path: string, required: boolean): Row[] {
  const rows: Row[] = [{
    path,
    type: typeOf(node),
    required,
    defaultValue: defaultOf(path, node),
    validation: validationsOf(node),
    description: node.description ?? '',
  }];
  const object = node.type === 'array' ? node.items : node;
  const prefix = node.type === 'array' ? `${path}[]` : path;
  if (node.type === 'array' && object?.['x-kubernetes-validations']) rows[0]!.validation.push(...validationsOf({ 'x-kubernetes-validations': object['x-kubernetes-validations'] }));
  for (const [name, child] of Object.entries(object?.properties ?? {})) {
    rows.push(...rowsOf(child, `${prefix}.${name}`, object?.required?.includes(name) ?? false));
  }
  return rows;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function table(rows: Row[], withDefaults: boolean): string {
  const header = withDefaults
    ? '| Field | Type | Required | Default | Validation | Description |\n| --- | --- | --- | --- | --- | --- |'
    : '| Field | Type | Description |\n| --- | --- | --- |';
  const lines = rows.map((r) =>
    withDefaults
      ? `| \`${r.path}\` | ${cell(r.type)} | ${r.required ? 'yes' : ''} | ${cell(r.defaultValue)} | ${cell(r.validation.join('; '))} | ${cell(r.description)} |`
      : `| \`${r.path}\` | ${cell(r.type)} | ${cell(r.description)} |`,
  );
  return [header, ...lines].join('\n');
}

/** The reference document's exact text. */
export function renderReferenceDocs(): string {
  const spec = rowsOf(traceCollectorSpecSchema, 'spec', true);
  const status = rowsOf(traceCollectorStatusSchema, 'status', false).slice(1);
  return `<!-- Generated by scripts/generate-reference-docs.ts from src/api/schema.ts. Do not edit by hand. -->
# TraceCollector reference

\`${API_GROUP}/${API_VERSION}\`, kind \`${TRACE_COLLECTOR_KIND}\`, namespaced, short name \`tc\`.
A TraceCollector turns the Kubernetes Events of chosen namespaces into OpenTelemetry traces and
exports them over OTLP/gRPC. The apiserver enforces every validation below when the object is
applied (\`kubectl apply\` fails with the field and the reason); the operator checks the same schema
again, plus what a schema cannot express, and reports a spec it cannot run as \`Ready=False\` with
reason \`${ConditionReason.InvalidSpec}\` and the offending field in the message:

- \`ownerKindRules[].messagePattern\` must compile as a JavaScript regular expression and have a
  capture group (the named group \`name\`, else the first group, is the target's name);
- an \`https://\` endpoint cannot be \`insecure\`, and an \`http://\` endpoint cannot have \`tls\`;
- \`namespaceSelector\` label keys and values must be valid Kubernetes label keys and values.

Secrets named in the spec are read from the TraceCollector's own namespace only.

Examples: [examples/](../examples/). What the conditions mean: [troubleshooting.md](troubleshooting.md).

## spec

Fields with \`[]\` are list items. Defaults in the table are applied by the operator when the field
is absent; they are not written back into the object.

${table(spec, true)}

## status

Written by the operator (status subresource); counters count since the pipeline last started.

${table(status, false)}

Conditions (\`status.conditions[].type\`): ${Object.values(ConditionType).map(code).join(', ')}.
Reasons: ${Object.values(ConditionReason).map(code).join(', ')}.

## kubectl columns

\`kubectl get tracecollectors\` shows READY (the Ready condition's status), ENDPOINT
(\`spec.exporter.endpoint\`), SPANS (\`status.spansExported\`) and AGE.
`;
}

runGeneratorIfMain(import.meta.url, () => new Map([[REFERENCE_DOC, renderReferenceDocs()]]));
