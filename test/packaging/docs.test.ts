import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { ConditionReason, ConditionType } from '../../src/api/conditions.js';
import { traceCollectorSpecSchema, type JSONSchemaProps } from '../../src/api/schema.js';
import { OperatorMetrics } from '../../src/observability/index.js';
import { REFERENCE_DOC, renderReferenceDocs } from '../../scripts/generate-reference-docs.js';
import { RBAC_RULES, parseRbacRules } from '../../scripts/sync-packaging.js';
import { fromRepo } from './support.js';

const doc = (path: string) => readFileSync(fromRepo(path), 'utf8');

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : markdownFiles(path);
    return entry.name.endsWith('.md') ? [path] : [];
  });
}

/** Markdown without fenced blocks and code spans, where brackets and parentheses are not links. */
function withoutCode(markdown: string): string {
  return markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
}

function specPaths(node: JSONSchemaProps, path: string): string[] {
  const object = node.type === 'array' ? node.items : node;
  const prefix = node.type === 'array' ? `${path}[]` : path;
  return [path, ...Object.entries(object?.properties ?? {}).flatMap(([name, child]) => specPaths(child, `${prefix}.${name}`))];
}

describe('docs', () => {
  it(`${REFERENCE_DOC} is generated from the schema (run \`npx tsx scripts/generate-reference-docs.ts\`)`, () => {
    assert.equal(doc(REFERENCE_DOC), renderReferenceDocs());
  });

  it('the reference lists every spec field with its default', () => {
    const text = doc(REFERENCE_DOC);
    for (const path of specPaths(traceCollectorSpecSchema, 'spec')) assert.ok(text.includes(`| \`${path}\` |`), `${path} is missing`);
    const row = (path: string) => text.split('\n').find((line) => line.startsWith(`| \`${path}\` |`)) ?? '';
    assert.match(row('spec.correlation.recentWindowSeconds'), /\| `5` \|/);
    assert.match(row('spec.exporter.compression'), /\| `none` \|/);
    assert.match(row('spec.exporter.timeoutSeconds'), /\| 1–300 \|/);
  });

  it('troubleshooting explains every condition type and reason', () => {
    const text = doc('docs/troubleshooting.md');
    for (const type of Object.values(ConditionType)) assert.ok(text.includes(`**${type}**`), `condition ${type}`);
    for (const reason of Object.values(ConditionReason)) assert.ok(text.includes(`| \`${reason}\` |`), `reason ${reason}`);
  });

  it('metrics.md lists exactly the metrics the operator registers', async () => {
    const metrics = new OperatorMetrics({ defaultMetrics: false });
    const registered = (await metrics.registry.getMetricsAsJSON()).map((m) => m.name).sort();
    assert.ok(registered.length > 0);
    const documented = [...doc('docs/metrics.md').matchAll(/^\| `(kspan_[a-z_]+)` \|/gm)].map((m) => m[1]!).sort();
    assert.deepEqual(documented, registered);
  });

  it('security.md covers every resource the RBAC rules grant', () => {
    const text = doc('docs/security.md');
    const rules = parseRbacRules(doc(RBAC_RULES));
    for (const rule of Object.values(rules).flat()) {
      for (const resource of rule.resources) assert.ok(text.includes(`\`${resource}\``), `${resource} is not explained`);
    }
  });

  it('install.md documents Helm, kustomize and the manual CRD upgrade, with paths that exist', () => {
    const text = doc('docs/install.md');
    assert.match(text, /helm install kspan charts\/kspan/);
    assert.match(text, /kubectl apply -k config\/default/);
    assert.match(text, /kubectl apply --server-side -f charts\/kspan\/crds\//);
    for (const path of ['charts/kspan', 'config/default', 'config/samples', 'charts/kspan/crds']) assert.ok(existsSync(fromRepo(path)), path);
  });

  it('relative links in docs/, examples/ and charts/ resolve', () => {
    const files = [...markdownFiles(fromRepo('docs')), ...markdownFiles(fromRepo('examples')), ...markdownFiles(fromRepo('charts'))];
    assert.ok(files.length >= 6);
    const broken: string[] = [];
    for (const file of files) {
      for (const match of withoutCode(readFileSync(file, 'utf8')).matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        const target = match[1]!;
        if (/^[a-z]+:/.test(target)) continue;
        if (!existsSync(join(dirname(file), target))) broken.push(`${relative(fromRepo(''), file)} -> ${target}`);
      }
    }
    assert.deepEqual(broken, []);
  });
});
