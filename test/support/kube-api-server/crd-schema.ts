/**
 * What the apiserver does with a custom resource's openAPIV3Schema on every write: prune fields
 * the schema does not declare, apply `default`s, then validate (types, required, enums, patterns,
 * ranges, list-type, and the CEL rules this project has JavaScript twins for) -> 422 Invalid.
 */
import { createKubeAjv } from '../../../src/api/kube-ajv.js';
import { ajvErrorsToFieldErrors } from '../../../src/api/validate.js';
import type { ResourceType } from './resources.js';
import { errors } from './status.js';
import type { KubeObject } from './store.js';

type Schema = Record<string, unknown>;

const validating = createKubeAjv({ verbose: true });
const defaulting = createKubeAjv({ useDefaults: true, allErrors: true });

/** The compiled form of a CRD version's schema. */
export function compileSchema(openAPIV3Schema: Schema): NonNullable<ResourceType['schema']> {
  // metadata is validated by the server itself, not by the CRD schema
  const forValidation = { ...openAPIV3Schema };
  return {
    validate: validating.compile(forValidation),
    applyDefaults: defaulting.compile(structuredClone(forValidation)),
    openAPIV3Schema,
  };
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Removes what the schema does not declare (in place), as structural pruning does; returns the
 * paths of the removed fields (e.g. `spec.foo`).
 */
export function prune(value: unknown, schema: Schema | undefined, path = ''): string[] {
  if (schema === undefined || schema['x-kubernetes-preserve-unknown-fields'] === true) return [];
  if (Array.isArray(value)) {
    const items = schema['items'];
    return isObj(items) ? value.flatMap((item, i) => prune(item, items, `${path}[${i}]`)) : [];
  }
  if (!isObj(value)) return [];
  const removed: string[] = [];
  const properties = isObj(schema['properties']) ? (schema['properties'] as Record<string, Schema>) : undefined;
  const additional = schema['additionalProperties'];
  for (const key of Object.keys(value)) {
    const at = path === '' ? key : `${path}.${key}`;
    // apiVersion, kind and metadata always survive at the root
    if (path === '' && (key === 'apiVersion' || key === 'kind' || key === 'metadata')) continue;
    if (properties !== undefined && Object.hasOwn(properties, key)) removed.push(...prune(value[key], properties[key], at));
    else if (isObj(additional)) removed.push(...prune(value[key], additional, at));
    else if (additional === true) continue;
    else {
      delete value[key];
      removed.push(at);
    }
  }
  return removed;
}

/** The fieldValidation query parameter: what to do about fields the schema does not declare. */
export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/**
 * Prunes and defaults `obj` in place, then validates it. Unknown fields fail the request (400)
 * under Strict and become warnings under Warn; schema violations are a 422 listing every problem
 * with its field path. Returns the warnings.
 */
export function admitCustomResource(t: ResourceType, obj: KubeObject, fieldValidation: FieldValidation = 'Warn'): string[] {
  if (t.schema === undefined) return [];
  const name = obj.metadata.name;
  const unknown = prune(obj, t.schema.openAPIV3Schema).sort().map((path) => `unknown field "${path}"`);
  if (unknown.length > 0 && fieldValidation === 'Strict') {
    throw errors.badRequest(`${t.kind} in version "${t.version}" cannot be handled as a ${t.kind}: strict decoding error: ${unknown.join(', ')}`);
  }
  t.schema.applyDefaults(obj);
  if (!t.schema.validate(obj)) {
    const fieldErrors = ajvErrorsToFieldErrors(t.schema.validate.errors ?? []);
    throw errors.invalid(t, name, fieldErrors.map((e) => ({ reason: e.reason, message: e.detail, field: e.field })));
  }
  return fieldValidation === 'Warn' ? unknown : [];
}
