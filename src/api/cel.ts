/**
 * The CEL rules (x-kubernetes-validations) used in the TraceCollector schema, each paired with a
 * JavaScript predicate that means the same thing. A real apiserver evaluates the `rule`; ajv (the
 * operator's own validation and the test apiserver) evaluates `check`. Keeping both in one table
 * is what stops them from drifting apart.
 */

export interface CelRule {
  /** CEL expression as the apiserver evaluates it; `self` is the value at the schema node */
  rule: string;
  message: string;
  /** set when the error belongs to a child field (Kubernetes >= 1.28 supports fieldPath) */
  fieldPath?: string;
  /** the same rule in JavaScript; `self` is the already type-checked value */
  check: (self: unknown) => boolean;
}

type Obj = Record<string, unknown>;
const asObj = (v: unknown): Obj => (v !== null && typeof v === 'object' ? (v as Obj) : {});

export const CEL_RULES = {
  tlsRequiresSecure: {
    rule: '!has(self.tls) || !has(self.insecure) || !self.insecure',
    message: 'tls cannot be set when insecure is true',
    check: (self) => {
      const o = asObj(self);
      return o['tls'] === undefined || o['insecure'] !== true;
    },
  },
  wildcardAlone: {
    rule: "!self.exists(n, n == '*') || self.size() == 1",
    message: '"*" (all namespaces) cannot be combined with namespace names',
    check: (self) => !Array.isArray(self) || !self.includes('*') || self.length === 1,
  },
  windowWithinExpiry: {
    rule: '!has(self.recentWindowSeconds) || !has(self.expireAfterSeconds) || self.expireAfterSeconds >= self.recentWindowSeconds',
    message: 'expireAfterSeconds must not be less than recentWindowSeconds',
    check: (self) => {
      const o = asObj(self);
      const recent = o['recentWindowSeconds'];
      const expire = o['expireAfterSeconds'];
      return typeof recent !== 'number' || typeof expire !== 'number' || expire >= recent;
    },
  },
  selectorValues: {
    rule: "self.operator in ['In', 'NotIn'] ? (has(self.values) && self.values.size() > 0) : (!has(self.values) || self.values.size() == 0)",
    message: 'values must be non-empty for In and NotIn, and empty for Exists and DoesNotExist',
    check: (self) => {
      const o = asObj(self);
      const values = Array.isArray(o['values']) ? o['values'] : [];
      return o['operator'] === 'In' || o['operator'] === 'NotIn' ? values.length > 0 : values.length === 0;
    },
  },
} satisfies Record<string, CelRule>;

const byRule = new Map<string, CelRule>(Object.values(CEL_RULES).map((r: CelRule) => [r.rule, r]));

/** The JavaScript equivalent of a CEL rule string, if this module knows it. */
export function celRuleFor(rule: string): CelRule | undefined {
  return byRule.get(rule);
}

/** The schema form of a rule: what goes into x-kubernetes-validations. */
export function celValidation(r: CelRule): { rule: string; message: string; fieldPath?: string } {
  return r.fieldPath === undefined ? { rule: r.rule, message: r.message } : { rule: r.rule, message: r.message, fieldPath: r.fieldPath };
}
