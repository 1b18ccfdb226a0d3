import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const src = join(root, 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** Each source file's relative imports (type-only ones included: a circle through types is still a circle of modules). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sources(src)) {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'(\.[^']+)'/gm)].map((m) => resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts')));
    graph.set(file, targets);
  }
  return graph;
}

/** The pure layers of src/, with the layers and packages each may import (docs/design.md §2). */
const LAYERS: Record<string, { layers: readonly string[]; packages: readonly string[] }> = {
  core: { layers: [], packages: [] },
  api: { layers: ['core'], packages: ['ajv'] },
  engine: { layers: ['core', 'api'], packages: [] },
};

describe('architecture', () => {
  it('src/ has no import circle', () => {
    const graph = importGraph();
    const state = new Map<string, 'open' | 'done'>();
    const circles: string[] = [];
    const visit = (file: string, path: string[]): void => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        circles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(root, f)).join(' -> '));
        return;
      }
      state.set(file, 'open');
      for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file, []);
    assert.deepEqual(circles, []);
  });

  it('the pure layers import only the layers below them (the engine has no I/O)', () => {
    const wrong: string[] = [];
    for (const [file, targets] of importGraph()) {
      const layer = relative(src, file).split('/')[0]!;
      const allowed = LAYERS[layer];
      if (!allowed) continue;
      for (const target of targets) {
        const targetLayer = relative(src, target).split('/')[0]!;
        if (targetLayer !== layer && !allowed.layers.includes(targetLayer)) wrong.push(`${relative(root, file)} -> ${relative(root, target)}`);
      }
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/from\s+'((?:node:)?[a-z@][^']*)'/g)) {
        if (!allowed.packages.some((p) => m[1] === p || m[1]!.startsWith(`${p}/`))) wrong.push(`${relative(root, file)} -> ${m[1]}`);
      }
    }
    assert.deepEqual(wrong, []);
  });
});
