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

/** Removes what the schema does not declare (in place), as structural pruning does. */
export function prune(value: unknown, schema: Schema | undefined, isRoot = false): void {
  if (schema === undefined || schema['x-kubernetes-preserve-unknown-fields'] === true) return;
  if (Array.isArray(value)) {
    const items = schema['items'];
    if (isObj(items)) for (const item of value) prune(item, items);
    return;
  }
  if (!isObj(value)) return;
  const properties = isObj(schema['properties']) ? (schema['properties'] as Record<string, Schema>) : undefined;
  const additional = schema['additionalProperties'];
  for (const key of Object.keys(value)) {
    // apiVersion, kind and metadata always survive at the root
    if (isRoot && (key === 'apiVersion' || key === 'kind' || key === 'metadata')) continue;
    if (properties !== undefined && Object.hasOwn(properties, key)) prune(value[key], properties[key]);
    else if (isObj(additional)) prune(value[key], additional);
    else if (additional === true) continue;
    else delete value[key];
  }
}

/**
 * Prunes and defaults `obj` in place, then validates it. Throws a 422 ApiError listing every
 * problem with its field path.
 */
export function admitCustomResource(t: ResourceType, obj: KubeObject): void {
  if (t.schema === undefined) return;
  const name = obj.metadata.name;
  prune(obj, t.schema.openAPIV3Schema, true);
  t.schema.applyDefaults(obj);
  if (t.schema.validate(obj)) return;
  const fieldErrors = ajvErrorsToFieldErrors(t.schema.validate.errors ?? []);
  throw errors.invalid(t, name, fieldErrors.map((e) => ({ reason: e.reason, message: e.detail, field: e.field })));
}
