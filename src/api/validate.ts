/**
 * TraceCollector validation: the CRD's own schema through ajv (what the apiserver rejects at
 * apply time), then the checks a schema cannot express (regular expressions compile, label
 * selector keys are label keys, ...). Never throws: every problem becomes a FieldError with the
 * field path a user sees in kubectl, e.g. `spec.ownerKindRules[0].messagePattern`.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import { createKubeAjv } from './kube-ajv.js';
import { PATTERNS, traceCollectorSchema, traceCollectorSpecSchema, type JSONSchemaProps } from './schema.js';
import type { TraceCollector, TraceCollectorSpec } from './types.js';

/** Reasons as in the apiserver's field.ErrorType (metav1.StatusCause.reason). */
export type FieldErrorReason =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueDuplicate'
  | 'FieldValueTypeInvalid'
  | 'FieldValueForbidden'
  | 'FieldValueUnknown';

export interface FieldError {
  /** e.g. spec.exporter.endpoint */
  field: string;
  reason: FieldErrorReason;
  /** what is wrong, without the field, e.g. `Required value` */
  detail: string;
  /** `<field>: <detail>` */
  message: string;
}

export type ValidationResult<T> = { valid: true; value: T; errors: [] } | { valid: false; errors: FieldError[] };

export interface ValidateOptions {
  /** fields the schema does not declare: an error (kubectl's strict field validation, default) or ignored */
  unknownFields?: 'reject' | 'ignore';
}

// ---------------------------------------------------------------------------------------------
// ajv errors -> FieldErrors

/** JSON pointer (/spec/ownerKindRules/0) -> Kubernetes field path (spec.ownerKindRules[0]). */
export function pointerToFieldPath(pointer: string, prefix = ''): string {
  let path = prefix;
  for (const raw of pointer.split('/').slice(1)) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(segment)) path += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(segment)) path += path === '' ? segment : `.${segment}`;
    else path += `[${segment}]`;
  }
  return path;
}

function joinField(base: string, child: string): string {
  if (base === '') return child;
  return /^[A-Za-z_$][\w$]*$/.test(child) ? `${base}.${child}` : `${base}[${child}]`;
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return JSON.stringify(Array.isArray(value) ? 'array' : 'object');
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function fieldError(field: string, reason: FieldErrorReason, detail: string): FieldError {
  return { field, reason, detail, message: field === '' ? detail : `${field}: ${detail}` };
}

/** Converts ajv errors (from a validator compiled with verbose: true) to apiserver-style field errors. */
export function ajvErrorsToFieldErrors(errors: readonly ErrorObject[], prefix = ''): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    const field = pointerToFieldPath(e.instancePath, prefix);
    const params = e.params as Record<string, unknown>;
    const data: unknown = e.data;
    const inBody = `${field} in body`;
    let err: FieldError;
    switch (e.keyword) {
      case 'required':
        err = fieldError(joinField(field, String(params['missingProperty'])), 'FieldValueRequired', 'Required value');
        break;
      case 'enum': {
        const allowed = (params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ');
        err = fieldError(field, 'FieldValueNotSupported', `Unsupported value: ${show(data)}: supported values: ${allowed}`);
        break;
      }
      case 'type':
        err = fieldError(field, 'FieldValueTypeInvalid', `Invalid value: ${show(data)}: ${inBody} must be of type ${String(params['type'])}: ${JSON.stringify(typeName(data))}`);
        break;
      case 'pattern':
        err = fieldError(field, 'FieldValueInvalid', `Invalid value: ${show(data)}: ${inBody} should match '${String(params['pattern'])}'`);
        break;
      case 'format':
        err = fieldError(field, 'FieldValueInvalid', `Invalid value: ${show(data)}: ${inBody} must be of type ${String(params['format'])}: ${show(data)}`);
        break;
      case 'minimum':
        err = fieldError(field, 'FieldValueInvalid', `Invalid value: ${show(data)}: ${inBody} should be greater than or equal to ${String(params['limit'])}`);
        break;
      case 'maximum':
        err = fieldError(field, 'FieldValueInvalid', `Invalid value: ${show(data)}: ${inBody} should be less than or equal to ${String(params['limit'])}`);
        break;
      case 'minLength':
        err = fieldError(field, 'FieldValueInvalid', `Invalid value: ${show(data)}: ${inBody} should be at least ${String(params['limit'])} chars long`);
        break;
      case 'maxLength':
        err = fieldError(field, 'FieldValueTooLong', `Too long: may not be more than ${String(params['limit'])} bytes`);
        break;
      case 'minItems':
        err = fieldError(field, 'FieldValueInvalid', `Invalid value: ${(data as unknown[]).length}: ${inBody} should have at least ${String(params['limit'])} items`);
        break;
      case 'maxItems':
        err = fieldError(field, 'FieldValueTooMany', `Too many: ${(data as unknown[]).length}: must have at most ${String(params['limit'])} items`);
        break;
      case 'minProperties':
        err = fieldError(field, 'FieldValueInvalid', `Invalid value: ${Object.keys(data as object).length}: ${inBody} should have at least ${String(params['limit'])} properties`);
        break;
      case 'maxProperties':
        err = fieldError(field, 'FieldValueTooMany', `Too many: ${Object.keys(data as object).length}: must have at most ${String(params['limit'])} items`);
        break;
      case 'additionalProperties':
        err = fieldError(joinField(field, String(params['additionalProperty'])), 'FieldValueUnknown', 'Unknown field');
        break;
      case 'x-kubernetes-list-type':
        err = fieldError(`${field}[${String(params['index'])}]`, 'FieldValueDuplicate', e.message ?? 'Duplicate value');
        break;
      case 'x-kubernetes-validations': {
        const target = typeof params['fieldPath'] === 'string' ? `${field}${String(params['fieldPath'])}` : field;
        err = fieldError(target, 'FieldValueInvalid', `Invalid value: ${show(data)}: ${e.message ?? 'failed validation rule'}`);
        break;
      }
      default:
        err = fieldError(field, 'FieldValueInvalid', `Invalid value: ${show(data)}: ${e.message ?? e.keyword}`);
    }
    if (!seen.has(err.message)) {
      seen.add(err.message);
      out.push(err);
    }
  }
  return out;
}

/** All messages on one line, the way kubectl prints a 422. */
export function formatValidationErrors(errors: readonly FieldError[]): string {
  return errors.map((e) => e.message).join('; ');
}

// ---------------------------------------------------------------------------------------------
// compiled validators

/** A copy of the schema where objects with declared properties reject undeclared ones. */
function rejectingUnknownFields(schema: JSONSchemaProps): JSONSchemaProps {
  const copy: JSONSchemaProps = { ...schema };
  if (copy.properties !== undefined) {
    copy.properties = Object.fromEntries(Object.entries(copy.properties).map(([k, v]) => [k, rejectingUnknownFields(v)]));
    if (copy.additionalProperties === undefined && copy['x-kubernetes-preserve-unknown-fields'] !== true) copy.additionalProperties = false;
  }
  if (copy.items !== undefined) copy.items = rejectingUnknownFields(copy.items);
  if (typeof copy.additionalProperties === 'object') copy.additionalProperties = rejectingUnknownFields(copy.additionalProperties);
  return copy;
}

const ajv = createKubeAjv({ verbose: true });
const compiled = new Map<string, ValidateFunction>();

function validatorFor(which: 'object' | 'spec', unknownFields: 'reject' | 'ignore'): ValidateFunction {
  const key = `${which}/${unknownFields}`;
  let fn = compiled.get(key);
  if (fn === undefined) {
    const base = which === 'object' ? traceCollectorSchema : traceCollectorSpecSchema;
    fn = ajv.compile(unknownFields === 'reject' ? rejectingUnknownFields(base) : base);
    compiled.set(key, fn);
  }
  return fn;
}

// ---------------------------------------------------------------------------------------------
// checks a schema cannot express

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** How many capture groups a (compilable) JavaScript regular expression has. */
export function captureGroupCount(re: RegExp): number {
  // An alternation with the empty pattern always matches, and every group appears in the result.
  return (new RegExp(`${re.source}|`, re.flags).exec('') ?? []).length - 1;
}

/** The problem with a messagePattern, or undefined if it compiles and can capture a name. */
export function messagePatternProblem(pattern: string): string | undefined {
  let re: RegExp;
  try {
    re = new RegExp(pattern);
  } catch (err) {
    const reason = err instanceof Error ? err.message.replace(/^Invalid regular expression: /, '') : String(err);
    return `invalid regular expression: ${reason}`;
  }
  if (captureGroupCount(re) === 0) return 'must have a capture group for the target\'s name, e.g. (?<name>\\S+)';
  return undefined;
}

/** Resource attributes kspan sets per span from the event source; a collector may not override them. */
const RESERVED_ATTRIBUTES = ['service.name', 'service.instance.id'];
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const labelKeyRe = new RegExp(PATTERNS.labelKey);

function semanticErrors(spec: Obj, prefix: string): FieldError[] {
  const errors: FieldError[] = [];
  const at = (rel: string) => (prefix === '' ? rel : `${prefix}.${rel}`);

  const rules = spec['ownerKindRules'];
  if (Array.isArray(rules)) {
    rules.forEach((rule, i) => {
      if (!isObj(rule) || typeof rule['messagePattern'] !== 'string') return;
      const problem = messagePatternProblem(rule['messagePattern']);
      if (problem !== undefined) errors.push(fieldError(at(`ownerKindRules[${i}].messagePattern`), 'FieldValueInvalid', problem));
    });
  }

  const exporter = spec['exporter'];
  if (isObj(exporter) && typeof exporter['endpoint'] === 'string') {
    const endpoint = exporter['endpoint'];
    if (endpoint.startsWith('https://') && exporter['insecure'] === true) {
      errors.push(fieldError(at('exporter.insecure'), 'FieldValueInvalid', 'Invalid value: true: an https:// endpoint needs TLS; remove the scheme or set insecure to false'));
    }
    if (endpoint.startsWith('http://') && exporter['tls'] !== undefined) {
      errors.push(fieldError(at('exporter.tls'), 'FieldValueForbidden', 'Forbidden: an http:// endpoint is plaintext; use https:// or host:port with tls'));
    }
  }

  const attributes = spec['resourceAttributes'];
  if (isObj(attributes)) {
    for (const key of Object.keys(attributes)) {
      const field = at(`resourceAttributes[${key}]`);
      if (RESERVED_ATTRIBUTES.includes(key)) errors.push(fieldError(field, 'FieldValueForbidden', 'Forbidden: set by kspan from each event\'s source component'));
      else if (key.trim() === '' || key.length > 255) errors.push(fieldError(field, 'FieldValueInvalid', `Invalid value: ${JSON.stringify(key)}: an attribute name must be 1 to 255 characters, not blank`));
    }
  }

  const selector = spec['namespaceSelector'];
  if (isObj(selector) && isObj(selector['matchLabels'])) {
    for (const [key, value] of Object.entries(selector['matchLabels'])) {
      const field = at(`namespaceSelector.matchLabels[${key}]`);
      if (!labelKeyRe.test(key) || key.length > 317) errors.push(fieldError(field, 'FieldValueInvalid', `Invalid value: ${JSON.stringify(key)}: not a valid label key`));
      if (typeof value === 'string' && !LABEL_VALUE.test(value)) errors.push(fieldError(field, 'FieldValueInvalid', `Invalid value: ${JSON.stringify(value)}: not a valid label value`));
    }
  }
  if (isObj(selector) && Array.isArray(selector['matchExpressions'])) {
    selector['matchExpressions'].forEach((expr, i) => {
      if (!isObj(expr) || !Array.isArray(expr['values'])) return;
      expr['values'].forEach((value, j) => {
        if (typeof value === 'string' && !LABEL_VALUE.test(value)) {
          errors.push(fieldError(at(`namespaceSelector.matchExpressions[${i}].values[${j}]`), 'FieldValueInvalid', `Invalid value: ${JSON.stringify(value)}: not a valid label value`));
        }
      });
    });
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------
// entry points

/** Validates a TraceCollector spec; field paths start with `spec.`. */
export function validateTraceCollectorSpec(spec: unknown, options: ValidateOptions = {}): ValidationResult<TraceCollectorSpec> {
  if (!isObj(spec)) return { valid: false, errors: [fieldError('spec', spec === undefined ? 'FieldValueRequired' : 'FieldValueTypeInvalid', spec === undefined ? 'Required value' : `Invalid value: ${show(spec)}: spec in body must be of type object: ${JSON.stringify(typeName(spec))}`)] };
  const validate = validatorFor('spec', options.unknownFields ?? 'reject');
  const schemaErrors = validate(spec) ? [] : ajvErrorsToFieldErrors(validate.errors ?? [], 'spec');
  const errors = [...schemaErrors, ...semanticErrors(spec, 'spec')];
  return errors.length === 0 ? { valid: true, value: spec as unknown as TraceCollectorSpec, errors: [] } : { valid: false, errors };
}

/** Validates a whole TraceCollector object (spec and status). */
export function validateTraceCollector(obj: unknown, options: ValidateOptions = {}): ValidationResult<TraceCollector> {
  if (!isObj(obj)) return { valid: false, errors: [fieldError('', 'FieldValueTypeInvalid', `Invalid value: ${show(obj)}: a TraceCollector must be an object`)] };
  const validate = validatorFor('object', options.unknownFields ?? 'reject');
  const schemaErrors = validate(obj) ? [] : ajvErrorsToFieldErrors(validate.errors ?? []);
  const errors = [...schemaErrors, ...(isObj(obj['spec']) ? semanticErrors(obj['spec'], 'spec') : [])];
  return errors.length === 0 ? { valid: true, value: obj as unknown as TraceCollector, errors: [] } : { valid: false, errors };
}
