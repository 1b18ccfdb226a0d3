/**
 * Sets of field paths, as structured-merge-diff keeps them for managedFields: a tree of path
 * elements (`f:name`, `k:{"name":"x"}`, `v:"x"`), each node a member of the set or only on the way
 * to members; with the FieldsV1 encoding (`"."` marks a node that is itself a member).
 */

/** A path element as FieldsV1 spells it: `f:<field>`, `k:<key fields as JSON>`, `v:<value as JSON>`. */
export type PathElement = string;

export const fieldElement = (name: string): PathElement => `f:${name}`;
export const valueElement = (value: unknown): PathElement => `v:${stableJson(value)}`;
/** The key fields of an associative list item, sorted by name as structured-merge-diff sorts them. */
export const keyElement = (fields: Record<string, unknown>): PathElement => `k:${stableJson(fields)}`;

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

// FieldsV1 orders children by kind of element (fields, then keys, then values), then by text.
const RANK: Record<string, number> = { f: 0, k: 1, v: 2, i: 3 };
function compareElements(a: string, b: string): number {
  const ra = RANK[a[0] ?? ''] ?? 4;
  const rb = RANK[b[0] ?? ''] ?? 4;
  if (ra !== rb) return ra - rb;
  return a < b ? -1 : a > b ? 1 : 0;
}

export class FieldSet {
  member = false;
  readonly children = new Map<PathElement, FieldSet>();

  static of(...paths: PathElement[][]): FieldSet {
    const set = new FieldSet();
    for (const p of paths) set.insert(p);
    return set;
  }

  insert(path: readonly PathElement[]): void {
    path.reduce<FieldSet>((node, pe) => node.child(pe), this).member = true;
  }

  child(pe: PathElement): FieldSet {
    let c = this.children.get(pe);
    if (c === undefined) this.children.set(pe, (c = new FieldSet()));
    return c;
  }

  get(path: readonly PathElement[]): FieldSet | undefined {
    return path.reduce<FieldSet | undefined>((node, pe) => node?.children.get(pe), this);
  }

  has(path: readonly PathElement[]): boolean {
    return this.get(path)?.member === true;
  }

  empty(): boolean {
    return !this.member && this.children.size === 0;
  }

  clone(): FieldSet {
    return this.union(new FieldSet());
  }

  union(other: FieldSet): FieldSet {
    const out = new FieldSet();
    out.member = this.member || other.member;
    for (const [pe, c] of this.children) out.children.set(pe, c.union(other.children.get(pe) ?? EMPTY));
    for (const [pe, c] of other.children) if (!this.children.has(pe)) out.children.set(pe, c.union(EMPTY));
    return out;
  }

  difference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    out.member = this.member && !other.member;
    for (const [pe, c] of this.children) {
      const o = other.children.get(pe);
      const d = o === undefined ? c.clone() : c.difference(o);
      if (!d.empty()) out.children.set(pe, d);
    }
    return out;
  }

  intersection(other: FieldSet): FieldSet {
    const out = new FieldSet();
    out.member = this.member && other.member;
    for (const [pe, c] of this.children) {
      const o = other.children.get(pe);
      if (o === undefined) continue;
      const i = c.intersection(o);
      if (!i.empty()) out.children.set(pe, i);
    }
    return out;
  }

  /** Every member path, depth first. */
  paths(prefix: PathElement[] = []): PathElement[][] {
    const out: PathElement[][] = this.member ? [prefix] : [];
    for (const pe of [...this.children.keys()].sort(compareElements)) out.push(...this.children.get(pe)!.paths([...prefix, pe]));
    return out;
  }

  /** The FieldsV1 JSON tree. */
  toFieldsV1(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (this.member && this.children.size > 0) out['.'] = {};
    for (const pe of [...this.children.keys()].sort(compareElements)) out[pe] = this.children.get(pe)!.toFieldsV1();
    return out;
  }

  static fromFieldsV1(tree: unknown): FieldSet {
    const set = new FieldSet();
    const walk = (node: FieldSet, value: unknown): void => {
      const entries = value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.entries(value as Record<string, unknown>) : [];
      // `{}` is a member leaf; a node with children is a member only when it says so with "."
      if (entries.length === 0) node.member = true;
      for (const [pe, sub] of entries) {
        if (pe === '.') node.member = true;
        else walk(node.child(pe), sub);
      }
    };
    for (const [pe, sub] of Object.entries(isRecord(tree) ? tree : {})) {
      if (pe === '.') continue;
      walk(set.child(pe), sub);
    }
    return set;
  }
}

const EMPTY = new FieldSet();

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A path as structured-merge-diff prints it in conflicts: `.spec.template.spec.containers[name="web"].image`. */
export function pathString(path: readonly PathElement[]): string {
  return path
    .map((pe) => {
      const body = pe.slice(2);
      if (pe.startsWith('f:')) return `.${body}`;
      if (pe.startsWith('v:')) return `[=${body}]`;
      if (pe.startsWith('k:')) {
        const fields = JSON.parse(body) as Record<string, unknown>;
        return `[${Object.entries(fields).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`;
      }
      return `[${body}]`;
    })
    .join('');
}
