/**
 * The apiserver's rules for a structural openAPIV3Schema (apiextensions.k8s.io/v1 rejects a CRD
 * that breaks them), as a checker returning every violation with its schema path.
 * https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#specifying-a-structural-schema
 */

type Node = Record<string, unknown>;

const TYPES = new Set(['object', 'array', 'string', 'integer', 'number', 'boolean']);
const JUNCTORS = ['allOf', 'anyOf', 'oneOf', 'not'] as const;
/** JSONSchemaProps fields apiextensions.k8s.io/v1 knows; anything else is rejected by the decoder. */
const KNOWN = new Set([
  'type', 'format', 'title', 'description', 'default', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum',
  'maxLength', 'minLength', 'pattern', 'maxItems', 'minItems', 'uniqueItems', 'multipleOf', 'enum', 'maxProperties',
  'minProperties', 'required', 'items', 'allOf', 'oneOf', 'anyOf', 'not', 'properties', 'additionalProperties',
  'patternProperties', 'dependencies', 'additionalItems', 'definitions', 'externalDocs', 'example', 'nullable',
  'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-embedded-resource', 'x-kubernetes-int-or-string',
  'x-kubernetes-list-map-keys', 'x-kubernetes-list-type', 'x-kubernetes-map-type', 'x-kubernetes-validations',
]);
/** Fields a structural schema must not use at all. */
const FORBIDDEN = ['$ref', 'patternProperties', 'dependencies', 'additionalItems', 'definitions', '$schema', 'id'];
const FORMATS = new Set([
  'bsonobjectid', 'uri', 'email', 'hostname', 'ipv4', 'ipv6', 'cidr', 'mac', 'uuid', 'uuid3', 'uuid4', 'uuid5',
  'isbn', 'isbn10', 'isbn13', 'creditcard', 'ssn', 'hexcolor', 'rgbcolor', 'byte', 'password', 'date', 'duration',
  'datetime', 'date-time', 'int32', 'int64', 'float', 'double',
]);

const isNode = (v: unknown): v is Node => v !== null && typeof v === 'object' && !Array.isArray(v);

export function structuralViolations(root: unknown): string[] {
  const problems: string[] = [];
  const report = (path: string, what: string) => problems.push(`${path}: ${what}`);

  const visit = (node: unknown, path: string, inJunctor: boolean, isMetadata: boolean): void => {
    if (!isNode(node)) {
      report(path, 'must be a schema object');
      return;
    }
    for (const key of Object.keys(node)) if (!KNOWN.has(key)) report(path, `unknown field "${key}"`);
    for (const key of FORBIDDEN) if (key in node) report(path, `${key} is forbidden in a structural schema`);

    const type = node['type'];
    const intOrString = node['x-kubernetes-int-or-string'] === true;
    const preserve = node['x-kubernetes-preserve-unknown-fields'];
    if (preserve !== undefined && preserve !== true) report(path, 'x-kubernetes-preserve-unknown-fields must be true or absent');
    if (!inJunctor) {
      if (type === undefined && !intOrString && preserve !== true) report(path, 'type is required');
      if (type !== undefined && (typeof type !== 'string' || !TYPES.has(type))) report(path, `unsupported type ${JSON.stringify(type)}`);
      if (intOrString && type !== undefined) report(path, 'x-kubernetes-int-or-string must not be combined with type');
    } else {
      for (const key of ['description', 'type', 'default', 'additionalProperties', 'nullable', 'x-kubernetes-preserve-unknown-fields']) {
        if (key in node) report(path, `${key} must not be set inside allOf/anyOf/oneOf/not`);
      }
    }
    if (typeof node['format'] === 'string' && !FORMATS.has(node['format'])) report(path, `unsupported format "${node['format']}"`);
    if (node['uniqueItems'] === true) report(path, 'uniqueItems cannot be true (use x-kubernetes-list-type: set)');
    if (node['additionalProperties'] === false) report(path, 'additionalProperties: false is not allowed (fields are pruned)');
    if (node['properties'] !== undefined && node['additionalProperties'] !== undefined) report(path, 'properties and additionalProperties are mutually exclusive');
    if ((node['properties'] !== undefined || node['additionalProperties'] !== undefined) && type !== undefined && type !== 'object') report(path, 'properties need type object');
    if (node['items'] !== undefined && type !== undefined && type !== 'array') report(path, 'items need type array');
    if (type === 'array' && node['items'] === undefined && !inJunctor) report(path, 'an array needs items');
    if (Array.isArray(node['items'])) report(path, 'items must be a single schema, not a tuple');
    if (node['x-kubernetes-embedded-resource'] === true && type !== 'object') report(path, 'x-kubernetes-embedded-resource needs type object');
    if (isMetadata) {
      const allowed = new Set(['type', 'properties', 'description']);
      for (const key of Object.keys(node)) if (!allowed.has(key)) report(path, `metadata may only restrict name and generateName (found ${key})`);
      if (isNode(node['properties'])) {
        for (const key of Object.keys(node['properties'])) if (key !== 'name' && key !== 'generateName') report(path, `metadata may only restrict name and generateName (found ${key})`);
      }
    }

    const listType = node['x-kubernetes-list-type'];
    if (listType !== undefined && type !== 'array') report(path, 'x-kubernetes-list-type needs type array');
    if (listType !== undefined && !['atomic', 'set', 'map'].includes(String(listType))) report(path, `unsupported x-kubernetes-list-type ${JSON.stringify(listType)}`);
    const mapKeys = node['x-kubernetes-list-map-keys'];
    if (mapKeys !== undefined && listType !== 'map') report(path, 'x-kubernetes-list-map-keys needs x-kubernetes-list-type: map');
    if (listType === 'map') {
      const items = node['items'];
      if (!Array.isArray(mapKeys) || mapKeys.length === 0) report(path, 'x-kubernetes-list-type: map needs x-kubernetes-list-map-keys');
      else if (!isNode(items) || items['type'] !== 'object') report(path, 'x-kubernetes-list-type: map needs object items');
      else {
        const props = isNode(items['properties']) ? items['properties'] : {};
        const required = Array.isArray(items['required']) ? items['required'] : [];
        for (const key of mapKeys as string[]) {
          const prop = props[key];
          if (!isNode(prop)) report(path, `list map key "${key}" is not a property of the items`);
          else if (!required.includes(key) && prop['default'] === undefined) report(path, `list map key "${key}" must be required or have a default`);
          else if (!['string', 'integer', 'boolean'].includes(String(prop['type']))) report(path, `list map key "${key}" must be a scalar`);
        }
      }
    }
    if (listType === 'set' && isNode(node['items']) && !['string', 'integer', 'number', 'boolean'].includes(String(node['items']['type']))) {
      report(path, 'x-kubernetes-list-type: set needs scalar items');
    }
    const mapType = node['x-kubernetes-map-type'];
    if (mapType !== undefined && (type !== 'object' || !['atomic', 'granular'].includes(String(mapType)))) report(path, 'x-kubernetes-map-type needs type object and atomic|granular');
    if (Array.isArray(node['required']) && isNode(node['properties'])) {
      for (const r of node['required']) if (!(String(r) in node['properties'])) report(path, `required field "${String(r)}" is not a property`);
    }
    const validations = node['x-kubernetes-validations'];
    if (validations !== undefined) {
      if (!Array.isArray(validations)) report(path, 'x-kubernetes-validations must be a list');
      else for (const v of validations) if (!isNode(v) || typeof v['rule'] !== 'string' || v['rule'] === '') report(path, 'every x-kubernetes-validations entry needs a rule');
    }

    if (isNode(node['properties'])) {
      for (const [key, child] of Object.entries(node['properties'])) visit(child, `${path}.properties.${key}`, inJunctor, path === '' && key === 'metadata');
    }
    if (isNode(node['additionalProperties'])) visit(node['additionalProperties'], `${path}.additionalProperties`, inJunctor, false);
    if (isNode(node['items'])) visit(node['items'], `${path}.items`, inJunctor, false);
    for (const j of JUNCTORS) {
      const sub = node[j];
      if (sub === undefined) continue;
      const list = Array.isArray(sub) ? sub : [sub];
      list.forEach((s, i) => visit(s, `${path}.${j}[${i}]`, true, false));
    }
  };

  if (!isNode(root) || root['type'] !== 'object') report('<root>', 'the root must have type object');
  visit(root, '', false, false);
  return problems;
}
