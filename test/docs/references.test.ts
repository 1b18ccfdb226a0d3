/**
 * Every reference in the repository resolves: design citations (`docs/design.md §N` and `§N.M`)
 * land on a heading of docs/design.md, nothing names the design by another file, and the paths
 * that Markdown documents and source comments name exist.
 *
 * What is not checked, and why:
 * - URLs (`scheme:...`): not repository paths.
 * - Paths that leave the repository (`../shared/...`): the shared fixtures live beside a clone,
 *   not in it; tests fall back to the bundled copies.
 * - Fenced code blocks in Markdown: they hold example commands, file trees and files the reader
 *   makes (a kustomize overlay), not references.
 * - Globs and placeholders (`bench/*.bench.ts`, `<name>`): patterns, not paths.
 * - `dist/`: build output, absent from a clone until `npm run build`.
 */

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const self = relative(root, fileURLToPath(import.meta.url));

/** Where references are looked for. */
const SCANNED = ['src', 'test', 'bench', 'scripts', 'crds', 'config', 'charts', 'docs', 'README.md'];
/** Top-level directories of the repository: a code span or comment token starting with one is a path. */
const TOP_DIRS = ['src', 'test', 'bench', 'scripts', 'crds', 'config', 'charts', 'docs', 'examples', '.ci'];
const DESIGN = 'docs/design.md';

function walk(path: string): string[] {
  const full = join(root, path);
  if (!existsSync(full)) return [];
  if (!statSync(full).isDirectory()) return [path];
  return readdirSync(full, { withFileTypes: true }).flatMap((e) => (e.name === 'node_modules' ? [] : walk(join(path, e.name))));
}

const read = (path: string): string => readFileSync(join(root, path), 'utf8');
const exists = (path: string): boolean => existsSync(join(root, path));
const lineOf = (text: string, index: number): number => text.slice(0, index).split('\n').length;

// ---- design citations ------------------------------------------------------------------------

/** The sections docs/design.md has: `## 5. Title` gives "5", `### 5.3 Title` gives "5.3". */
export function designSections(markdown: string): Set<string> {
  const sections = new Set<string>();
  for (const m of blankFences(markdown).matchAll(/^## (\d+)\. |^### (\d+\.\d+) /gm)) sections.add(m[1] ?? m[2]!);
  return sections;
}

export interface Citation {
  section: string;
  line: number;
}

/**
 * The sections a text cites: `docs/design.md §5.5, §5.6`, `design.md §3 and §5` (a link's text in
 * docs/), and with `bare`, every `§N` or `§N.M` (in src/ and in docs/design.md itself, where a
 * section sign only ever cites the design).
 */
export function citations(text: string, bare: boolean): Citation[] {
  const out: Citation[] = [];
  const pattern = bare ? /§(\d+(?:\.\d+)?)/g : /design\.md((?:(?:\s*,\s*|\s+and\s+|\s+)§\d+(?:\.\d+)?)+)/g;
  for (const m of text.matchAll(pattern)) {
    if (bare) {
      out.push({ section: m[1]!, line: lineOf(text, m.index) });
      continue;
    }
    for (const s of m[1]!.matchAll(/§(\d+(?:\.\d+)?)/g)) out.push({ section: s[1]!, line: lineOf(text, m.index) });
  }
  return out;
}

/**
 * Names of the design other than `docs/design.md`: any other spelling (`DESIGN.md`), and outside
 * docs/ a `design.md` without its directory. In docs/ Markdown, `design.md` is the sibling file.
 */
export function wrongDesignNames(text: string, inDocs: boolean): Array<{ name: string; line: number }> {
  const out: Array<{ name: string; line: number }> = [];
  for (const m of text.matchAll(/[\w./-]*design\.md/gi)) {
    const name = m[0];
    const file = name.slice(-'design.md'.length);
    const ok = file === 'design.md' && (name.endsWith(DESIGN) || (inDocs && (name === 'design.md' || name === './design.md')));
    if (!ok) out.push({ name, line: lineOf(text, m.index) });
  }
  return out;
}

// ---- Markdown --------------------------------------------------------------------------------

/** The text with fenced code blocks blanked (newlines kept, so line numbers stay right). */
function blankFences(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, (block) => block.replace(/[^\n]/g, ' '));
}

export interface MarkdownReferences {
  /** link targets, as written (relative to the document) */
  links: Array<{ target: string; line: number }>;
  /** code spans that are repository paths (relative to the repository root) */
  paths: Array<{ path: string; line: number }>;
}

const PATH_SPAN = new RegExp(`^(?:${TOP_DIRS.map((d) => d.replace('.', '\\.')).join('|')})/[^\\s]*$`);
const PATTERN_CHARS = /[*?<>{}[\]$]/;

export function markdownReferences(markdown: string): MarkdownReferences {
  const text = blankFences(markdown);
  const refs: MarkdownReferences = { links: [], paths: [] };
  // A code span may run over a line break, not over a blank line.
  for (const m of text.matchAll(/`((?:[^`\n]|\n(?![ \t]*\n))+)`/g)) {
    const span = m[1]!.trim().replace(/#.*$/, '').replace(/:\d+$/, '');
    if (PATH_SPAN.test(span) && !PATTERN_CHARS.test(span)) refs.paths.push({ path: span, line: lineOf(text, m.index) });
  }
  // Code spans are not links: blank them (same length) before looking for links.
  const prose = text.replace(/`(?:[^`\n]|\n(?![ \t]*\n))+`/g, (span) => span.replace(/[^\n]/g, ' '));
  for (const m of prose.matchAll(/!?\[[^\]\n]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) refs.links.push({ target: m[1]!, line: lineOf(prose, m.index) });
  return refs;
}

/** GitHub's heading anchors: lowercase, punctuation dropped, spaces to hyphens, repeats numbered. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const counts = new Map<string, number>();
  for (const m of blankFences(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const title = m[1]!.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const slug = title.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const n = counts.get(slug) ?? 0;
    counts.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

/** What is wrong with one link of `document` (repository-relative), or undefined. */
function brokenLink(document: string, target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined;
  const [path = '', anchor] = target.split('#', 2) as [string, string | undefined];
  const file = path === '' ? document : relative(root, resolve(root, dirname(document), path));
  if (file.startsWith('..')) return undefined;
  if (file.startsWith('dist/') || file === 'dist') return undefined;
  if (!exists(file)) return 'no such file';
  if (anchor !== undefined && file.endsWith('.md') && !headingAnchors(read(file)).has(anchor)) return `no heading #${anchor} in ${file}`;
  return undefined;
}

// ---- source comments -------------------------------------------------------------------------

/** The comments of a TypeScript source, found by the compiler's scanner (strings and regexes are not comments). */
export function sourceComments(file: string, text: string): Array<{ text: string; line: number }> {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
  const seen = new Set<number>();
  const out: Array<{ text: string; line: number }> = [];
  const add = (ranges: ts.CommentRange[] | undefined): void => {
    for (const r of ranges ?? []) {
      if (seen.has(r.pos)) continue;
      seen.add(r.pos);
      out.push({ text: text.slice(r.pos, r.end), line: lineOf(text, r.pos) });
    }
  };
  const visit = (node: ts.Node): void => {
    add(ts.getLeadingCommentRanges(text, node.getFullStart()));
    add(ts.getTrailingCommentRanges(text, node.getEnd()));
    node.forEachChild(visit);
  };
  visit(source);
  add(ts.getLeadingCommentRanges(text, source.endOfFileToken.getFullStart()));
  return out;
}

const TOP_DIR_TOKEN = new RegExp(`(?<![\\w./@-])(?:${TOP_DIRS.map((d) => d.replace('.', '\\.')).join('|')})/[\\w./-]*`, 'g');

/** The file paths a comment names: `.ts`/`.md` names and anything under a top-level directory. */
export function commentPaths(comment: string): string[] {
  const text = comment.replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, '');
  const out = new Set<string>();
  for (const m of text.matchAll(/(?<![\w./@-])[\w./-]*[\w-]\.(?:ts|md)(?![\w-])/g)) out.add(m[0]);
  for (const m of text.matchAll(TOP_DIR_TOKEN)) out.add(m[0].replace(/[./]+$/, ''));
  return [...out].filter((p) => !p.startsWith('dist/') && !p.startsWith('../') && !PATTERN_CHARS.test(p));
}

/**
 * Whether a path named in a comment of `file` exists: relative to the file (`./x.ts`, or a
 * neighbour's bare name), to src/ (`engine/rules.ts`) or to the repository root; a bare name may
 * also be any module of src/ (comments name well-known modules by file name).
 */
function commentPathExists(file: string, path: string, srcNames: ReadonlySet<string>): boolean {
  const candidates = [join(dirname(file), path), join('src', path), path];
  if (candidates.some(exists)) return true;
  return !path.includes('/') && srcNames.has(path);
}

// ---- the checks ------------------------------------------------------------------------------

const scanned = SCANNED.flatMap(walk).filter((f) => f !== self && statSync(join(root, f)).size < 2_000_000);
const markdown = [...walk('docs'), 'README.md'].filter((f) => f.endsWith('.md'));
const sources = walk('src').filter((f) => f.endsWith('.ts'));

describe('docs: references', () => {
  it(`every docs/design.md §N that the repository cites is a heading of ${DESIGN}`, () => {
    const sections = designSections(read(DESIGN));
    assert.ok(sections.has('5') && sections.has('5.9'), 'the design has its sections');
    const missing: string[] = [];
    let count = 0;
    for (const file of scanned) {
      const text = read(file);
      const bare = file.startsWith('src/') || file === DESIGN;
      for (const c of citations(text, bare)) {
        count++;
        if (!sections.has(c.section)) missing.push(`${file}:${c.line} cites §${c.section}`);
      }
    }
    assert.ok(count > 20, `found ${count} citations: the scan works`);
    assert.deepEqual(missing, []);
  });

  it('nothing names the design other than as docs/design.md', () => {
    const wrong = scanned.flatMap((file) =>
      wrongDesignNames(read(file), file.startsWith('docs/') && file.endsWith('.md')).map((w) => `${file}:${w.line} names ${w.name}`),
    );
    assert.deepEqual(wrong, []);
  });

  it('the links and repository paths of docs/ and README.md resolve', () => {
    const broken: string[] = [];
    let count = 0;
    for (const file of markdown) {
      const refs = markdownReferences(read(file));
      for (const link of refs.links) {
        count++;
        const problem = brokenLink(file, link.target);
        if (problem) broken.push(`${file}:${link.line} links ${link.target}: ${problem}`);
      }
      for (const p of refs.paths) {
        count++;
        if (!exists(p.path)) broken.push(`${file}:${p.line} names \`${p.path}\`: no such file`);
      }
    }
    assert.ok(count > 50, `found ${count} references: the scan works`);
    assert.deepEqual(broken, []);
  });

  it('the files that comments in src/ name exist', () => {
    const srcNames = new Set(sources.map((f) => f.slice(f.lastIndexOf('/') + 1)));
    const missing: string[] = [];
    let count = 0;
    for (const file of sources) {
      for (const comment of sourceComments(file, read(file))) {
        for (const path of commentPaths(comment.text)) {
          count++;
          if (!commentPathExists(file, path, srcNames)) missing.push(`${file}:${comment.line} names ${path}`);
        }
      }
    }
    assert.ok(count > 20, `found ${count} paths: the scan works`);
    assert.deepEqual(missing, []);
  });

  describe('the checks themselves', () => {
    const design = '# d\n\n## 5. Correlation\n\n### 5.3 Rules\n\n```\n## 7. not a heading\n```\n';

    it('find the sections and the citations, in every form', () => {
      assert.deepEqual([...designSections(design)], ['5', '5.3']);
      const cited = (text: string, bare = false) => citations(text, bare).map((c) => c.section);
      assert.deepEqual(cited('(docs/design.md §5.5, §5.6) and docs/design.md §3 and §5'), ['5.5', '5.6', '3', '5']);
      assert.deepEqual(cited('[design.md §9](design.md#9-performance)'), ['9']);
      assert.deepEqual(cited('the rule of §5.10: a status transition'), []);
      assert.deepEqual(cited('the rule of §5.10: a status transition', true), ['5.10']);
    });

    it('catch a misnamed design', () => {
      const names = (text: string, inDocs = false) => wrongDesignNames(text, inDocs).map((w) => w.name);
      assert.deepEqual(names('see docs/design.md, ../shared/DESIGN.md and Design.md'), ['../shared/DESIGN.md', 'Design.md']);
      assert.deepEqual(names('[the design](design.md)'), ['design.md']);
      assert.deepEqual(names('[the design](design.md)', true), []);
    });

    it('read links and path spans outside code blocks, and anchors the way GitHub makes them', () => {
      const refs = markdownReferences('See [x](install.md#a) and `src/kube/object-cache.ts`, `config/default`, `bench/*.bench.ts`,\n`kspan.dev/v1alpha1`, `[y](z.md)`.\n```\n`src/gone.ts` [w](gone.md)\n```\n');
      assert.deepEqual(refs.links.map((l) => l.target), ['install.md#a']);
      assert.deepEqual(refs.paths.map((p) => p.path), ['src/kube/object-cache.ts', 'config/default']);
      assert.deepEqual([...headingAnchors('## 6. Capture files and `kspan replay`\n## Sizing memory\n## Sizing memory\n')], ['6-capture-files-and-kspan-replay', 'sizing-memory', 'sizing-memory-1']);
      assert.equal(brokenLink('docs/x.md', 'design.md#5-correlation-semantics'), undefined);
      assert.equal(brokenLink('docs/x.md', 'design.md#no-such-heading'), 'no heading #no-such-heading in docs/design.md');
      assert.equal(brokenLink('docs/x.md', 'gone.md'), 'no such file');
      assert.equal(brokenLink('README.md', 'https://example.com/gone.md'), undefined);
    });

    it('read comments with the compiler, not strings, and the paths they name', () => {
      const code = "const url = 'https://x/src/a.ts'; // see notes/contracts.md\n/** from src/x/y.ts, ./z.ts and kube/ */\nconst re = /\\/\\/ src\\/fake.ts/;\n";
      const comments = sourceComments('src/a.ts', code).map((c) => c.text);
      assert.deepEqual(comments, ['// see notes/contracts.md', '/** from src/x/y.ts, ./z.ts and kube/ */']);
      assert.deepEqual(comments.flatMap(commentPaths), ['notes/contracts.md', 'src/x/y.ts', './z.ts']);
      assert.deepEqual(commentPaths('(see https://example.com/docs/a.md)'), []);
    });
  });
});
