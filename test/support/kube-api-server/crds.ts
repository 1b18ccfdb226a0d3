/**
 * CustomResourceDefinitions: creating one makes its resource served (with its schema enforced),
 * deleting it removes the resource and its objects. Also reads CRD files from a directory.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { compileSchema } from './crd-schema.js';
import type { ResourceType } from './resources.js';
import { errors } from './status.js';
import type { KubeObject } from './store.js';
import { isObj } from './objects.js';

interface CrdVersion {
  name: string;
  served?: boolean;
  schema?: { openAPIV3Schema?: Record<string, unknown> };
  subresources?: { status?: unknown };
}

/** The resource types a CRD defines (one per served version). Throws 422 when it is malformed. */
export function resourceTypesOfCrd(crd: KubeObject): ResourceType[] {
  const spec = crd['spec'] as Record<string, unknown> | undefined;
  const names = (spec?.['names'] ?? {}) as Record<string, unknown>;
  const group = spec?.['group'];
  const plural = names['plural'];
  const kind = names['kind'];
  const t = { group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition' };
  const problems: Array<{ reason: string; message: string; field: string }> = [];
  if (typeof group !== 'string' || group === '') problems.push({ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.group' });
  if (typeof plural !== 'string' || plural === '') problems.push({ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.names.plural' });
  if (typeof kind !== 'string' || kind === '') problems.push({ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.names.kind' });
  if (problems.length === 0 && crd.metadata.name !== `${String(plural)}.${String(group)}`) {
    problems.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(crd.metadata.name)}: must be spec.names.plural+"."+spec.group`, field: 'metadata.name' });
  }
  const versions = (Array.isArray(spec?.['versions']) ? spec['versions'] : []) as CrdVersion[];
  if (versions.length === 0) problems.push({ reason: 'FieldValueRequired', message: 'Required value: must have exactly one version marked as storage version', field: 'spec.versions' });
  if (problems.length > 0) throw errors.invalid(t, crd.metadata.name, problems);

  const scope = spec?.['scope'];
  return versions
    .filter((v) => v.served !== false)
    .map((v, i) => {
      const openAPIV3Schema = v.schema?.openAPIV3Schema;
      let schema: ResourceType['schema'];
      if (openAPIV3Schema !== undefined) {
        try {
          schema = compileSchema(openAPIV3Schema);
        } catch (err) {
          throw errors.invalid(t, crd.metadata.name, [{
            reason: 'FieldValueInvalid',
            message: `Invalid value: "object": ${err instanceof Error ? err.message : String(err)}`,
            field: `spec.versions[${i}].schema.openAPIV3Schema`,
          }]);
        }
      }
      return {
        group: String(group),
        version: v.name,
        resource: String(plural),
        singular: typeof names['singular'] === 'string' ? names['singular'] : String(kind).toLowerCase(),
        kind: String(kind),
        namespaced: scope !== 'Cluster',
        ...(Array.isArray(names['shortNames']) ? { shortNames: names['shortNames'] as string[] } : {}),
        ...(Array.isArray(names['categories']) ? { categories: names['categories'] as string[] } : {}),
        statusSubresource: isObj(v.subresources) && v.subresources.status !== undefined,
        generation: true,
        fields: [],
        ...(schema === undefined ? {} : { schema }),
        crd: crd.metadata.name,
      } satisfies ResourceType;
    });
}

/** The status a CRD gets once its names are accepted and it is established. */
export function establishedStatus(crd: KubeObject, now: string): Record<string, unknown> {
  const spec = (crd['spec'] ?? {}) as Record<string, unknown>;
  const condition = (type: string, reason: string, message: string) => ({ type, status: 'True', lastTransitionTime: now, reason, message });
  return {
    acceptedNames: spec['names'],
    conditions: [
      condition('NamesAccepted', 'NoConflicts', 'no conflicts found'),
      condition('Established', 'InitialNamesAccepted', 'the initial names have been accepted'),
    ],
    storedVersions: ((spec['versions'] ?? []) as Array<{ name: string; storage?: boolean }>).filter((v) => v.storage === true).map((v) => v.name),
  };
}

/** Every CustomResourceDefinition document in the YAML files of a directory. */
export function readCrdDir(dir: string): KubeObject[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort();
  } catch {
    return [];
  }
  const crds: KubeObject[] = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      const obj: unknown = doc.toJS();
      if (isObj(obj) && obj['kind'] === 'CustomResourceDefinition') crds.push(obj as KubeObject);
    }
  }
  return crds;
}
