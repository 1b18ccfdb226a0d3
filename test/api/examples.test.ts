import assert from 'node:assert/strict';
import { globSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { validateTraceCollector } from '../../src/api/validate.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Every TraceCollector document in examples/**\/*.yaml, with where it came from. */
function exampleTraceCollectors(): Array<{ where: string; doc: Record<string, unknown> }> {
  const found: Array<{ where: string; doc: Record<string, unknown> }> = [];
  for (const file of globSync('examples/**/*.{yaml,yml}', { cwd: root }).sort()) {
    parseAllDocuments(readFileSync(`${root}/${file}`, 'utf8')).forEach((d, i) => {
      const doc: unknown = d.toJS();
      if (doc !== null && typeof doc === 'object' && (doc as Record<string, unknown>)['kind'] === 'TraceCollector') {
        found.push({ where: `${file} (document ${i + 1})`, doc: doc as Record<string, unknown> });
      }
    });
  }
  return found;
}

describe('examples/', () => {
  it('every TraceCollector validates against the CRD schema and the semantic checks', function () {
    const examples = exampleTraceCollectors();
    if (examples.length === 0) this.skip();
    for (const { where, doc } of examples) {
      assert.equal(doc['apiVersion'], 'kspan.dev/v1alpha1', `${where}: apiVersion`);
      const result = validateTraceCollector(doc);
      assert.deepEqual(result.errors.map((e) => e.message), [], `${where} is invalid`);
    }
  });
});
