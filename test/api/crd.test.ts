import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { renderCrd } from '../../scripts/generate-crd.js';
import { celRuleFor } from '../../src/api/cel.js';
import { CRD_FILE } from '../../src/api/crd.js';
import { createKubeAjv } from '../../src/api/kube-ajv.js';
import { traceCollectorSchema, type JSONSchemaProps } from '../../src/api/schema.js';
import { structuralViolations } from './structural.js';

const crdPath = fileURLToPath(new URL(`../../${CRD_FILE}`, import.meta.url));

/** Every schema node with its path. */
function nodes(schema: JSONSchemaProps, path = ''): Array<[string, JSONSchemaProps]> {
  const out: Array<[string, JSONSchemaProps]> = [[path || '<root>', schema]];
  for (const [k, v] of Object.entries(schema.properties ?? {})) out.push(...nodes(v, `${path}.${k}`));
  if (typeof schema.additionalProperties === 'object') out.push(...nodes(schema.additionalProperties, `${path}.*`));
  if (schema.items !== undefined) out.push(...nodes(schema.items, `${path}[]`));
  return out;
}

describe('TraceCollector CRD', () => {
  const crd = parse(readFileSync(crdPath, 'utf8')) as {
    metadata: { name: string };
    spec: { group: string; scope: string; names: Record<string, unknown>; versions: Array<Record<string, unknown>> };
  };
  const version = crd.spec.versions[0] as {
    name: string; served: boolean; storage: boolean; subresources: unknown;
    additionalPrinterColumns: Array<{ name: string; type: string; jsonPath: string }>;
    schema: { openAPIV3Schema: unknown };
  };

  it('is exactly what scripts/generate-crd.ts produces from src/api/schema.ts (no drift)', () => {
    assert.equal(readFileSync(crdPath, 'utf8'), renderCrd(), `${CRD_FILE} is stale: run npx tsx scripts/generate-crd.ts`);
    assert.deepEqual(version.schema.openAPIV3Schema, JSON.parse(JSON.stringify(traceCollectorSchema)));
  });

  it('declares kspan.dev/v1alpha1 TraceCollector, namespaced, tc, status subresource and printer columns', () => {
    assert.equal(crd.metadata.name, 'tracecollectors.kspan.dev');
    assert.equal(crd.spec.group, 'kspan.dev');
    assert.equal(crd.spec.scope, 'Namespaced');
    assert.deepEqual(crd.spec.names, {
      kind: 'TraceCollector', listKind: 'TraceCollectorList', plural: 'tracecollectors', singular: 'tracecollector', shortNames: ['tc'], categories: ['kspan'],
    });
    assert.equal(crd.spec.versions.length, 1);
    assert.equal(version.name, 'v1alpha1');
    assert.equal(version.served, true);
    assert.equal(version.storage, true);
    assert.deepEqual(version.subresources, { status: {} });
    assert.deepEqual(version.additionalPrinterColumns.map((c) => [c.name, c.type, c.jsonPath]), [
      ['Ready', 'string', '.status.conditions[?(@.type=="Ready")].status'],
      ['Endpoint', 'string', '.spec.exporter.endpoint'],
      ['Spans', 'integer', '.status.spansExported'],
      ['Age', 'date', '.metadata.creationTimestamp'],
    ]);
  });

  it('has a structural schema', () => {
    assert.deepEqual(structuralViolations(version.schema.openAPIV3Schema), []);
  });

  it('the structural checker catches what the apiserver would reject', () => {
    const bad = {
      type: 'object',
      properties: {
        metadata: { type: 'object', properties: { labels: { type: 'object' } } },
        a: { description: 'untyped' },
        b: { type: 'object', properties: { x: { type: 'string' } }, additionalProperties: { type: 'string' } },
        c: { type: 'array', uniqueItems: true, items: { type: 'string' } },
        d: { $ref: '#/definitions/x' },
        e: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['k'], items: { type: 'object', properties: { k: { type: 'string' } } } },
        f: { type: 'object', additionalProperties: false },
        g: { type: 'array' },
      },
    };
    const problems = structuralViolations(bad).join('\n');
    for (const expected of [
      '.properties.metadata: metadata may only restrict name and generateName',
      '.properties.a: type is required',
      '.properties.b: properties and additionalProperties are mutually exclusive',
      '.properties.c: uniqueItems cannot be true',
      '.properties.d: $ref is forbidden',
      '.properties.e: list map key "k" must be required or have a default',
      '.properties.f: additionalProperties: false is not allowed',
      '.properties.g: an array needs items',
    ]) assert.ok(problems.includes(expected), `missing: ${expected}\n${problems}`);
  });

  it('gives every string, list and map a bound, and every default validates against its own schema', () => {
    const ajv = createKubeAjv();
    for (const [path, node] of nodes(traceCollectorSchema)) {
      if (node.default !== undefined) assert.ok(ajv.validate(node, node.default), `${path}: default does not validate: ${ajv.errorsText()}`);
      // CEL cost estimation needs bounds on what rules iterate over
      if (node['x-kubernetes-validations'] !== undefined && node.type === 'array') assert.ok(node.maxItems !== undefined, `${path}: maxItems needed for CEL`);
    }
    const spec = nodes(traceCollectorSchema).filter(([p]) => p.startsWith('.spec'));
    for (const [path, node] of spec) {
      if (node.type === 'string' && node.enum === undefined) assert.ok(node.maxLength !== undefined, `${path}: string without maxLength`);
      if (node.type === 'array') assert.ok(node.maxItems !== undefined, `${path}: list without maxItems`);
      if (node.type === 'object' && typeof node.additionalProperties === 'object') assert.ok(node.maxProperties !== undefined, `${path}: map without maxProperties`);
    }
  });

  it('uses only CEL rules that validate.ts enforces too, and regular expressions RE2 understands', () => {
    for (const [path, node] of nodes(traceCollectorSchema)) {
      for (const v of node['x-kubernetes-validations'] ?? []) assert.ok(celRuleFor(v.rule), `${path}: CEL rule without a JavaScript twin: ${v.rule}`);
      if (node.pattern !== undefined) {
        assert.doesNotThrow(() => new RegExp(node.pattern ?? '', 'u'), `${path}: pattern does not compile`);
        assert.doesNotMatch(node.pattern, /\(\?[=!<]|\\[1-9]|\\k</, `${path}: lookaround or backreference (RE2 has none)`);
      }
    }
  });
});
