/**
 * A small, strict renderer for the subset of Helm (Go text/template + Sprig) that charts/kspan
 * uses, so tests can render the chart without a Helm binary. It follows Go's semantics where the
 * chart depends on them: whitespace trimming with `{{-`/`-}}`, truthiness, variable scoping,
 * `define`/`include`, `range` over lists and maps, `else if`, pipelines. Anything outside the
 * subset (an unknown function, a syntax it does not know) throws instead of guessing, so a test
 * fails rather than passing on a template Helm would render differently.
 *
 * It is a test aid, not a Helm replacement: keep the templates conventional, and remember that
 * `helm lint`/`helm template` in a real pipeline remain the reference.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

type Value = unknown;
type Scope = Array<Map<string, Value>>;

type Node =
  | { type: 'text'; text: string }
  | { type: 'action'; pipe: Pipeline }
  | { type: 'if'; branches: Array<{ pipe: Pipeline; body: Node[] }>; otherwise: Node[] }
  | { type: 'range'; pipe: Pipeline; body: Node[]; otherwise: Node[] }
  | { type: 'with'; pipe: Pipeline; body: Node[]; otherwise: Node[] };

interface Pipeline {
  declare?: { names: string[]; assign: boolean };
  commands: Operand[][];
}

type Operand =
  | { kind: 'literal'; value: Value }
  | { kind: 'field'; base: 'dot' | string; path: string[] }
  | { kind: 'ident'; name: string }
  | { kind: 'sub'; pipe: Pipeline };

interface Token {
  kind: 'string' | 'number' | 'ident' | 'field' | 'var' | 'lparen' | 'rparen' | 'pipe' | 'declare' | 'assign' | 'comma';
  text: string;
}

// ------------------------------------------------------------------------------------------
// lexing and parsing

/** Splits a template into text and action pieces, applying `{{-` and `-}}` trimming. */
function pieces(source: string, file: string): Array<{ text: string } | { action: string }> {
  const out: Array<{ text: string } | { action: string }> = [];
  let rest = source;
  let trimNext = false;
  while (rest.length > 0) {
    const open = rest.indexOf('{{');
    let text = open < 0 ? rest : rest.slice(0, open);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (open < 0) {
      out.push({ text });
      break;
    }
    const close = rest.indexOf('}}', open);
    if (close < 0) throw new Error(`${file}: unclosed action`);
    let inner = rest.slice(open + 2, close);
    if (/^-\s/.test(inner)) {
      text = text.replace(/\s+$/, '');
      inner = inner.slice(1);
    }
    trimNext = /\s-$/.test(inner);
    if (trimNext) inner = inner.slice(0, -1);
    out.push({ text });
    inner = inner.trim();
    if (!(inner.startsWith('/*') && inner.endsWith('*/'))) out.push({ action: inner });
    rest = rest.slice(close + 2);
  }
  return out.filter((p) => !('text' in p) || p.text !== '');
}

function tokenize(action: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:("(?:[^"\\]|\\.)*")|(`[^`]*`)|(-?\d+(?:\.\d+)?)|(\$[A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)|((?:\.[A-Za-z_][A-Za-z0-9_]*)+|\.)|([A-Za-z_][A-Za-z0-9_]*)|(\()|(\))|(\|)|(:=)|(=)|(,))/y;
  let pos = 0;
  while (action.slice(pos).trim() !== '') {
    re.lastIndex = pos;
    const m = re.exec(action);
    if (m === null) throw new Error(`cannot tokenize {{ ${action} }} at "${action.slice(pos)}"`);
    pos = re.lastIndex;
    if (m[1] !== undefined) tokens.push({ kind: 'string', text: JSON.parse(m[1]) as string });
    else if (m[2] !== undefined) tokens.push({ kind: 'string', text: m[2].slice(1, -1) });
    else if (m[3] !== undefined) tokens.push({ kind: 'number', text: m[3] });
    else if (m[4] !== undefined) tokens.push({ kind: 'var', text: m[4] });
    else if (m[5] !== undefined) tokens.push({ kind: 'field', text: m[5] });
    else if (m[6] !== undefined) tokens.push({ kind: 'ident', text: m[6] });
    else if (m[7] !== undefined) tokens.push({ kind: 'lparen', text: '(' });
    else if (m[8] !== undefined) tokens.push({ kind: 'rparen', text: ')' });
    else if (m[9] !== undefined) tokens.push({ kind: 'pipe', text: '|' });
    else if (m[10] !== undefined) tokens.push({ kind: 'declare', text: ':=' });
    else if (m[11] !== undefined) tokens.push({ kind: 'assign', text: '=' });
    else if (m[12] !== undefined) tokens.push({ kind: 'comma', text: ',' });
  }
  return tokens;
}

function parsePipeline(tokens: Token[]): Pipeline {
  let pos = 0;
  const pipeline: Pipeline = { commands: [] };
  const declareAt = tokens.findIndex((t) => t.kind === 'declare' || t.kind === 'assign');
  if (declareAt > 0 && tokens.slice(0, declareAt).every((t) => t.kind === 'var' || t.kind === 'comma')) {
    pipeline.declare = { names: tokens.slice(0, declareAt).filter((t) => t.kind === 'var').map((t) => t.text), assign: tokens[declareAt]!.kind === 'assign' };
    pos = declareAt + 1;
  }
  const parseOperands = (stopAtParen: boolean): Pipeline => {
    const result: Pipeline = { commands: [[]] };
    while (pos < tokens.length) {
      const t = tokens[pos++]!;
      const current = result.commands.at(-1)!;
      if (t.kind === 'pipe') result.commands.push([]);
      else if (t.kind === 'rparen') {
        if (!stopAtParen) throw new Error('unexpected )');
        return result;
      } else if (t.kind === 'lparen') current.push({ kind: 'sub', pipe: parseOperands(true) });
      else if (t.kind === 'string') current.push({ kind: 'literal', value: t.text });
      else if (t.kind === 'number') current.push({ kind: 'literal', value: Number(t.text) });
      else if (t.kind === 'ident') {
        if (t.text === 'true' || t.text === 'false') current.push({ kind: 'literal', value: t.text === 'true' });
        else if (t.text === 'nil') current.push({ kind: 'literal', value: null });
        else current.push({ kind: 'ident', name: t.text });
      } else if (t.kind === 'field') current.push({ kind: 'field', base: 'dot', path: t.text === '.' ? [] : t.text.slice(1).split('.') });
      else if (t.kind === 'var') {
        const [name, ...path] = t.text.split('.');
        current.push({ kind: 'field', base: name!, path });
      } else throw new Error(`unexpected ${t.text}`);
    }
    if (stopAtParen) throw new Error('missing )');
    return result;
  };
  pipeline.commands = parseOperands(false).commands;
  if (pipeline.commands.some((c) => c.length === 0)) throw new Error('empty command in pipeline');
  return pipeline;
}

function parseTemplate(source: string, file: string, defines: Map<string, Node[]>): Node[] {
  const items = pieces(source, file);
  let i = 0;
  // Parses until one of `stops` (an action keyword) and returns the nodes and the stop action.
  const parseList = (stops: string[]): { nodes: Node[]; stop: string } => {
    const nodes: Node[] = [];
    while (i < items.length) {
      const item = items[i++]!;
      if ('text' in item) {
        nodes.push({ type: 'text', text: item.text });
        continue;
      }
      const action = item.action;
      const keyword = /^(if|else|end|range|with|define)\b/.exec(action)?.[1];
      if (keyword === 'end' || keyword === 'else') {
        if (!stops.includes(keyword)) throw new Error(`${file}: unexpected {{ ${action} }}`);
        return { nodes, stop: action };
      }
      if (keyword === 'define') {
        const name = /^define\s+"([^"]+)"$/.exec(action)?.[1];
        if (!name) throw new Error(`${file}: bad define ${action}`);
        const body = parseList(['end']);
        defines.set(name, body.nodes);
      } else if (keyword === 'if' || keyword === 'with' || keyword === 'range') {
        nodes.push(parseBlock(keyword, action.slice(keyword.length)));
      } else {
        nodes.push({ type: 'action', pipe: parsePipeline(tokenize(action)) });
      }
    }
    if (stops.length > 0) throw new Error(`${file}: missing {{ end }}`);
    return { nodes, stop: '' };
  };
  const parseBlock = (keyword: 'if' | 'with' | 'range', rest: string): Node => {
    const pipe = parsePipeline(tokenize(rest));
    const body = parseList(['end', 'else']);
    if (keyword === 'if') {
      const branches = [{ pipe, body: body.nodes }];
      let stop = body.stop;
      let otherwise: Node[] = [];
      while (stop.startsWith('else')) {
        const elseIf = /^else\s+if\s+(.*)$/s.exec(stop);
        const next = parseList(['end', 'else']);
        if (elseIf) branches.push({ pipe: parsePipeline(tokenize(elseIf[1]!)), body: next.nodes });
        else {
          if (stop.trim() !== 'else') throw new Error(`${file}: unsupported {{ ${stop} }}`);
          otherwise = next.nodes;
          if (next.stop !== 'end') throw new Error(`${file}: else after else`);
        }
        stop = next.stop;
      }
      return { type: 'if', branches, otherwise };
    }
    let otherwise: Node[] = [];
    if (body.stop.startsWith('else')) {
      if (body.stop.trim() !== 'else') throw new Error(`${file}: unsupported {{ ${body.stop} }}`);
      const next = parseList(['end']);
      otherwise = next.nodes;
    }
    return { type: keyword, pipe, body: body.nodes, otherwise };
  };
  return parseList([]).nodes;
}

// ------------------------------------------------------------------------------------------
// evaluation

const isMap = (v: Value): v is Record<string, Value> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Go template truthiness: false, 0, nil, and empty strings, lists and maps are false. */
function truthy(v: Value): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isMap(v)) return Object.keys(v).length > 0;
  return true;
}

function print(v: Value): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(print).join(' ')}]`;
  return `map[${Object.keys(v as object).sort().map((k) => `${k}:${print((v as Record<string, Value>)[k])}`).join(' ')}]`;
}

/** sigs.k8s.io/yaml output as Helm's toYaml gives it: sorted keys, sequences not indented, no trailing newline. */
function toYaml(v: Value): string {
  if (v === undefined || v === null) return 'null';
  return stringifyYaml(v, { sortMapEntries: true, indentSeq: false, lineWidth: 0, aliasDuplicateObjects: false }).replace(/\n$/, '');
}

function indentLines(spaces: number, text: string): string {
  const pad = ' '.repeat(spaces);
  return text.split('\n').map((line) => pad + line).join('\n');
}

function sprintf(format: string, args: Value[]): string {
  let i = 0;
  return format.replace(/%([sdvq%])/g, (_m, verb: string) => {
    if (verb === '%') return '%';
    const arg = args[i++];
    if (verb === 'q') return JSON.stringify(print(arg));
    if (verb === 'd') return String(Math.trunc(Number(arg)));
    return print(arg);
  });
}

function toInt(v: Value): number {
  const n = typeof v === 'string' ? Number.parseInt(v, 10) : Number(v ?? 0);
  return Number.isFinite(n) ? Math.trunc(n) : 0;
}

/** Parsed templates (name -> source); names starting with `_` only define named templates. */
export class TemplateSet {
  private readonly defines = new Map<string, Node[]>();
  private readonly templates = new Map<string, Node[]>();

  constructor(sources: Record<string, string>) {
    for (const name of Object.keys(sources).sort()) {
      const nodes = parseTemplate(sources[name]!, name, this.defines);
      if (!name.startsWith('_')) this.templates.set(name, nodes);
    }
  }

  /** Renders every template with `root` as both `.` and `$`. */
  render(root: Value): Map<string, string> {
    const out = new Map<string, string>();
    for (const [name, nodes] of this.templates) {
      try {
        out.set(name, this.exec(nodes, root, [new Map([['$', root]])]));
      } catch (err) {
        throw new Error(`${name}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
    }
    return out;
  }

  private exec(nodes: Node[], dot: Value, scope: Scope): string {
    let out = '';
    for (const node of nodes) {
      switch (node.type) {
        case 'text':
          out += node.text;
          break;
        case 'action': {
          const value = this.pipeline(node.pipe, dot, scope);
          if (!node.pipe.declare) out += print(value);
          break;
        }
        case 'if': {
          const inner: Scope = [...scope, new Map()];
          const branch = node.branches.find((b) => truthy(this.pipeline(b.pipe, dot, inner)));
          out += this.exec(branch ? branch.body : node.otherwise, dot, inner);
          break;
        }
        case 'with': {
          const inner: Scope = [...scope, new Map()];
          const value = this.pipeline(node.pipe, dot, inner);
          out += truthy(value) ? this.exec(node.body, value, inner) : this.exec(node.otherwise, dot, inner);
          break;
        }
        case 'range': {
          const declare = node.pipe.declare;
          const collection = this.pipeline({ commands: node.pipe.commands }, dot, scope);
          const entries: Array<[Value, Value]> = Array.isArray(collection)
            ? collection.map((v, i) => [i, v])
            : isMap(collection) ? Object.keys(collection).sort().map((k) => [k, collection[k]]) : [];
          if (collection !== undefined && collection !== null && !Array.isArray(collection) && !isMap(collection)) {
            throw new Error(`range over ${typeof collection}`);
          }
          if (entries.length === 0) {
            out += this.exec(node.otherwise, dot, scope);
            break;
          }
          for (const [key, value] of entries) {
            const vars = new Map<string, Value>();
            if (declare?.names.length === 1) vars.set(declare.names[0]!, value);
            if (declare?.names.length === 2) {
              vars.set(declare.names[0]!, key);
              vars.set(declare.names[1]!, value);
            }
            out += this.exec(node.body, value, [...scope, vars]);
          }
          break;
        }
      }
    }
    return out;
  }

  private pipeline(pipe: Pipeline, dot: Value, scope: Scope): Value {
    let value: Value = undefined;
    pipe.commands.forEach((command, i) => {
      value = this.command(command, dot, scope, i === 0 ? [] : [value]);
    });
    if (pipe.declare) {
      const name = pipe.declare.names[0]!;
      if (pipe.declare.assign) {
        const owner = [...scope].reverse().find((vars) => vars.has(name));
        if (!owner) throw new Error(`assignment to undeclared ${name}`);
        owner.set(name, value);
      } else {
        scope.at(-1)!.set(name, value);
      }
    }
    return value;
  }

  private command(operands: Operand[], dot: Value, scope: Scope, piped: Value[]): Value {
    const [head, ...rest] = operands;
    if (head === undefined) throw new Error('empty command');
    const args = () => [...rest.map((o) => this.operand(o, dot, scope)), ...piped];
    if (head.kind === 'ident') return this.call(head.name, args());
    const value = this.operand(head, dot, scope);
    if (typeof value === 'function') return (value as (...a: Value[]) => Value)(...args());
    if (rest.length > 0 || piped.length > 0) throw new Error('arguments to a non-function');
    return value;
  }

  private operand(operand: Operand, dot: Value, scope: Scope): Value {
    switch (operand.kind) {
      case 'literal':
        return operand.value;
      case 'sub':
        return this.pipeline(operand.pipe, dot, scope);
      case 'ident':
        return this.call(operand.name, []);
      case 'field': {
        let value: Value;
        if (operand.base === 'dot') value = dot;
        else {
          const owner = [...scope].reverse().find((vars) => vars.has(operand.base));
          if (!owner) throw new Error(`undefined variable ${operand.base}`);
          value = owner.get(operand.base);
        }
        for (const key of operand.path) {
          if (value === undefined || value === null) return undefined; // Helm: missing values are nil
          if (!isMap(value)) throw new Error(`can't evaluate field ${key} in ${typeof value}`);
          value = value[key];
        }
        return value;
      }
    }
  }

  private call(name: string, args: Value[]): Value {
    const arity = (n: number) => {
      if (args.length !== n) throw new Error(`${name}: want ${n} arguments, got ${args.length}`);
    };
    const str = (v: Value) => print(v);
    switch (name) {
      case 'include': {
        arity(2);
        const body = this.defines.get(String(args[0]));
        if (!body) throw new Error(`include of undefined template "${String(args[0])}"`);
        return this.exec(body, args[1], [new Map([['$', args[1]]])]);
      }
      case 'default':
        arity(2);
        return truthy(args[1]) ? args[1] : args[0];
      case 'trunc': {
        arity(2);
        const n = toInt(args[0]);
        const s = str(args[1]);
        return n >= 0 ? s.slice(0, n) : s.slice(n);
      }
      case 'trimSuffix':
        arity(2);
        return str(args[1]).endsWith(str(args[0])) && str(args[0]) !== '' ? str(args[1]).slice(0, -str(args[0]).length) : str(args[1]);
      case 'contains':
        arity(2);
        return str(args[1]).includes(str(args[0]));
      case 'replace':
        arity(3);
        return str(args[2]).split(str(args[0])).join(str(args[1]));
      case 'printf':
        return sprintf(str(args[0]), args.slice(1));
      case 'quote':
        return args.map((a) => JSON.stringify(str(a))).join(' ');
      case 'join':
        arity(2);
        if (!Array.isArray(args[1])) throw new Error('join: not a list');
        return args[1].map(str).join(str(args[0]));
      case 'nindent':
        arity(2);
        return `\n${indentLines(toInt(args[0]), str(args[1]))}`;
      case 'indent':
        arity(2);
        return indentLines(toInt(args[0]), str(args[1]));
      case 'toYaml':
        arity(1);
        return toYaml(args[0]);
      case 'fromYaml':
        arity(1);
        return (parseYaml(str(args[0])) as Value) ?? {};
      case 'append':
        arity(2);
        if (!Array.isArray(args[0])) throw new Error('append: not a list');
        return [...args[0], args[1]];
      case 'concat':
        return args.flatMap((a) => {
          if (!Array.isArray(a)) throw new Error('concat: not a list');
          return a;
        });
      case 'dict': {
        if (args.length % 2 !== 0) throw new Error('dict: odd number of arguments');
        const out: Record<string, Value> = {};
        for (let i = 0; i < args.length; i += 2) out[str(args[i])] = args[i + 1];
        return out;
      }
      case 'list':
        return [...args];
      case 'gt':
        arity(2);
        return Number(args[0]) > Number(args[1]);
      case 'int':
        arity(1);
        return toInt(args[0]);
      case 'add':
        return args.reduce<number>((sum, a) => sum + toInt(a), 0);
      case 'toString':
        arity(1);
        return str(args[0]);
      case 'ne':
        arity(2);
        return args[0] !== args[1];
      case 'eq':
        arity(2);
        return args[0] === args[1];
      case 'not':
        arity(1);
        return !truthy(args[0]);
      case 'and': {
        // Go's and/or return the deciding argument, not a boolean.
        for (const a of args) if (!truthy(a)) return a;
        return args.at(-1);
      }
      case 'or': {
        for (const a of args) if (truthy(a)) return a;
        return args.at(-1);
      }
      default:
        throw new Error(`function "${name}" is not supported by the test renderer`);
    }
  }
}

export interface Release {
  name: string;
  namespace: string;
}

/** A chart directory: values.yaml, Chart.yaml, templates/ and the files `.Files.Get` reads. */
export class Chart {
  readonly defaults: Record<string, Value>;
  private readonly metadata: Record<string, Value>;
  private readonly templates: TemplateSet;

  constructor(readonly dir: string) {
    this.defaults = parseYaml(readFileSync(join(dir, 'values.yaml'), 'utf8')) as Record<string, Value>;
    this.metadata = parseYaml(readFileSync(join(dir, 'Chart.yaml'), 'utf8')) as Record<string, Value>;
    const templateDir = join(dir, 'templates');
    this.templates = new TemplateSet(Object.fromEntries(readdirSync(templateDir).map((name) => [name, readFileSync(join(templateDir, name), 'utf8')])));
  }

  /** Renders every template (name -> text) with `values` (already coalesced over the defaults). */
  render(values: Record<string, Value>, release: Release): Map<string, string> {
    const chart = this.metadata;
    return this.templates.render({
      Values: values,
      Release: { Name: release.name, Namespace: release.namespace, Service: 'Helm', IsInstall: true, IsUpgrade: false, Revision: 1 },
      Chart: { Name: chart['name'], Version: chart['version'], AppVersion: chart['appVersion'], Description: chart['description'] },
      Files: { Get: (path: unknown) => readFileSync(join(this.dir, String(path)), 'utf8') },
    });
  }
}

/** Helm's coalescing of user values over the chart defaults: maps merge, anything else replaces, null deletes. */
export function coalesce(defaults: Record<string, Value>, overrides: Record<string, Value>): Record<string, Value> {
  const out: Record<string, Value> = { ...defaults };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === null) delete out[key];
    else if (isMap(value) && isMap(out[key])) out[key] = coalesce(out[key], value);
    else out[key] = value;
  }
  return out;
}

/** The Kubernetes objects of rendered manifests, as Helm splits them (on `---`, empty documents dropped). */
export function manifests(rendered: Map<string, string>): Array<Record<string, Value>> {
  const objects: Array<Record<string, Value>> = [];
  for (const [name, text] of rendered) {
    if (!name.endsWith('.yaml')) continue;
    for (const part of text.split(/^---\s*$/m)) {
      const doc = parseYaml(part, { strict: true, uniqueKeys: true }) as Value;
      if (doc === null || doc === undefined) continue;
      if (!isMap(doc)) throw new Error(`${name}: a document is not a mapping:\n${part}`);
      objects.push(doc);
    }
  }
  return objects;
}

