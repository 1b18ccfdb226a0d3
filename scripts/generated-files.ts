/**
 * The command-line side shared by the generators: `npx tsx scripts/<generator>.ts [--check]`
 * writes the generated files, or with --check exits 1 naming the stale ones (CI and tests use
 * the same comparison, so a hand edit of a generated file cannot slip through).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** The files (path relative to the repository) whose text on disk differs from `files`. */
export function staleFiles(files: ReadonlyMap<string, string>, root = repoRoot): string[] {
  const stale: string[] = [];
  for (const [path, text] of files) {
    let current: string | undefined;
    try {
      current = readFileSync(join(root, path), 'utf8');
    } catch {
      current = undefined; // missing counts as stale
    }
    if (current !== text) stale.push(path);
  }
  return stale;
}

/** Runs a generator when its module is the process's entry point; does nothing when imported. */
export function runGeneratorIfMain(moduleUrl: string, render: () => ReadonlyMap<string, string>): void {
  const script = fileURLToPath(moduleUrl);
  if (process.argv[1] === undefined || script !== process.argv[1]) return;
  const files = render();
  if (process.argv.includes('--check')) {
    const stale = staleFiles(files);
    if (stale.length > 0) {
      console.error(`stale: ${stale.join(', ')}\nrun: npx tsx scripts/${script.split('/').pop()}`);
      process.exit(1);
    }
    return;
  }
  for (const [path, text] of files) {
    mkdirSync(dirname(join(repoRoot, path)), { recursive: true });
    writeFileSync(join(repoRoot, path), text);
    console.log(`wrote ${path}`);
  }
}
