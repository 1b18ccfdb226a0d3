/**
 * ajv configured to read Kubernetes openAPIV3Schemas the way the apiserver does: the
 * x-kubernetes-* extensions are known vocabulary (list-type set/map uniqueness and the CEL rules
 * this project knows are enforced), and the formats Kubernetes recognises are registered.
 * Shared by ./validate.ts and the test apiserver, so both report the same errors.
 */
import { Ajv, type ErrorObject, type Options } from 'ajv';
import { celRuleFor } from './cel.js';

export type KubeAjvError = ErrorObject;

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

const checkedFormats: Record<string, RegExp | ((v: unknown) => boolean)> = {
  'date-time': RFC3339,
  datetime: RFC3339,
  date: /^\d{4}-\d{2}-\d{2}$/,
  byte: /^[A-Za-z0-9+/]*={0,2}$/,
  int32: (v) => typeof v === 'number' && Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31,
  int64: (v) => typeof v === 'number' && Number.isInteger(v),
  uuid: /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/,
  ipv4: /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/,
};
// Formats Kubernetes accepts in a schema whose checks the project does not need: accepted as-is.
const acceptedFormats = [
  'float', 'double', 'password', 'uri', 'email', 'hostname', 'ipv6', 'cidr', 'mac', 'duration',
  'uuid3', 'uuid4', 'uuid5', 'isbn', 'isbn10', 'isbn13', 'creditcard', 'ssn', 'hexcolor', 'rgbcolor',
  'bsonobjectid',
];

function uniqueOrDuplicate(items: unknown[], keyOf: (item: unknown) => string): number | undefined {
  const seen = new Set<string>();
  for (const [i, item] of items.entries()) {
    const key = keyOf(item);
    if (seen.has(key)) return i;
    seen.add(key);
  }
  return undefined;
}

function listMapKey(item: unknown, keys: string[]): string {
  const obj = item !== null && typeof item === 'object' ? (item as Record<string, unknown>) : {};
  return JSON.stringify(keys.map((k) => obj[k] ?? null));
}

type KeywordFn = ((schema: unknown, data: unknown, parentSchema?: Record<string, unknown>) => boolean) & {
  errors?: Array<Partial<ErrorObject>>;
};

const listType: KeywordFn = (schema, data, parentSchema) => {
  if (!Array.isArray(data) || (schema !== 'set' && schema !== 'map')) return true;
  const mapKeys = (parentSchema?.['x-kubernetes-list-map-keys'] as string[] | undefined) ?? [];
  const keyOf = schema === 'set' ? (v: unknown) => JSON.stringify(v) : (v: unknown) => listMapKey(v, mapKeys);
  const dup = uniqueOrDuplicate(data, keyOf);
  if (dup === undefined) return true;
  const shown = schema === 'set' ? data[dup] : Object.fromEntries(mapKeys.map((k) => [k, (data[dup] as Record<string, unknown>)[k]]));
  listType.errors = [{ keyword: 'x-kubernetes-list-type', message: `Duplicate value: ${JSON.stringify(shown)}`, params: { index: dup } }];
  return false;
};

const celValidations: KeywordFn = (schema, data) => {
  if (!Array.isArray(schema)) return true;
  const errors: Array<Partial<ErrorObject>> = [];
  for (const entry of schema as Array<{ rule?: string; message?: string; fieldPath?: string }>) {
    // A rule this project has no JavaScript twin for is left to the real apiserver.
    const known = typeof entry.rule === 'string' ? celRuleFor(entry.rule) : undefined;
    if (known === undefined || known.check(data)) continue;
    errors.push({
      keyword: 'x-kubernetes-validations',
      message: entry.message ?? `failed rule: ${entry.rule}`,
      params: { rule: entry.rule, ...(entry.fieldPath === undefined ? {} : { fieldPath: entry.fieldPath }) },
    });
  }
  celValidations.errors = errors;
  return errors.length === 0;
};

/** A new ajv instance (strict, all errors) that understands Kubernetes schemas. */
export function createKubeAjv(options: Options = {}): Ajv {
  const ajv = new Ajv({ strict: true, allErrors: true, ...options });
  for (const [name, check] of Object.entries(checkedFormats)) {
    ajv.addFormat(name, typeof check === 'function' ? { type: 'number', validate: check } : check);
  }
  for (const name of acceptedFormats) ajv.addFormat(name, true);
  ajv.addVocabulary([
    'x-kubernetes-preserve-unknown-fields',
    'x-kubernetes-int-or-string',
    'x-kubernetes-embedded-resource',
    'x-kubernetes-list-map-keys',
    'x-kubernetes-map-type',
    // OpenAPI keywords a CRD may carry that JSON Schema draft-07 does not know (ajv knows nullable)
    'example',
    'externalDocs',
  ]);
  ajv.addKeyword({ keyword: 'x-kubernetes-list-type', type: 'array', schemaType: 'string', validate: listType, errors: true });
  ajv.addKeyword({ keyword: 'x-kubernetes-validations', schemaType: 'array', validate: celValidations, errors: true });
  return ajv;
}
