/**
 * src/export has no import cycle, type-only imports included: each module can be read, tested
 * and replaced knowing only the modules below it.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const dir = new URL('../../src/export/', import.meta.url).pathname;

/** module name -> the src/export modules it imports (relative specifiers only). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const { importedFiles } = ts.preProcessFile(readFileSync(join(dir, file), 'utf8'), true, true);
    const local = importedFiles
      .map((f) => f.fileName)
      .filter((name) => name.startsWith('./'))
      .map((name) => name.slice(2).replace(/\.js$/, '.ts'));
    graph.set(file, local);
  }
  return graph;
}

/** One cycle as a path (a -> b -> a), or undefined. */
function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    const at = path.indexOf(node);
    if (at >= 0) return [...path.slice(at), node];
    if (done.has(node)) return undefined;
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    done.add(node);
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

describe('src/export module graph', () => {
  it('finds a cycle when there is one', () => {
    assert.deepEqual(findCycle(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']]])), ['a', 'b', 'c', 'a']);
    assert.equal(findCycle(new Map([['a', ['b']], ['b', []]])), undefined);
  });

  it('has no import cycle, type-only imports included', () => {
    const graph = importGraph();
    assert.ok(graph.size > 5, 'the modules were found');
    for (const [file, imports] of graph) for (const name of imports) assert.ok(graph.has(name), `${file} imports ${name}, which exists`);
    const cycle = findCycle(graph);
    assert.equal(cycle, undefined, `import cycle: ${cycle?.join(' -> ')}`);
  });
});
