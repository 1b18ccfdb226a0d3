/**
 * Finalizer add/remove that changes only our finalizer and never loses someone else's (the
 * operator's is TRACE_COLLECTOR_FINALIZER, src/api/types.ts: one name for the API and the code).
 *
 * Each write is a merge patch of `metadata.finalizers` (the whole list, as merge patch replaces
 * arrays) together with `metadata.resourceVersion` of the version the list was computed from: the
 * API server rejects it with 409 Conflict if anything changed meanwhile (the optimistic lock
 * controller-runtime's MergeFromWithOptimisticLock uses). On 409 we re-read and recompute.
 */

import type { KubeClient, KubeObjectLike } from './client.js';
import { KubeApiError } from './errors.js';
import type { ResourceType } from './resources.js';

export interface FinalizerOptions {
  /** attempts before the last 409 is thrown (default 5) */
  maxAttempts?: number;
  signal?: AbortSignal;
}

export function hasFinalizer(object: KubeObjectLike, finalizer: string): boolean {
  return object.metadata?.finalizers?.includes(finalizer) ?? false;
}

/**
 * Ensures `finalizer` is on the object; returns the object as written (or as it was, when the
 * finalizer was already there). Throws KubeApiError (404 if the object is gone, 409 after
 * `maxAttempts` conflicts, ...).
 */
export async function addFinalizer<T extends KubeObjectLike>(
  client: Pick<KubeClient, 'get' | 'mergePatch'>,
  type: ResourceType,
  object: T,
  finalizer: string,
  options: FinalizerOptions = {},
): Promise<T> {
  const result = await updateFinalizers(client, type, object, options, (list) =>
    list.includes(finalizer) ? undefined : [...list, finalizer],
  );
  if (!result) {
    const namespace = object.metadata?.namespace;
    throw new KubeApiError({
      statusCode: 404,
      reason: 'NotFound',
      message: `${type.plural} "${object.metadata?.name}" not found`,
      verb: 'patch',
      resource: type.plural,
      ...(namespace ? { namespace } : {}),
      ...(object.metadata?.name ? { objectName: object.metadata.name } : {}),
    });
  }
  return result;
}

/**
 * Ensures `finalizer` is not on the object, leaving every other finalizer in place. Returns the
 * object as written, or undefined when the object is already gone (removing our finalizer may
 * have let the API server delete it). Throws KubeApiError otherwise.
 */
export function removeFinalizer<T extends KubeObjectLike>(
  client: Pick<KubeClient, 'get' | 'mergePatch'>,
  type: ResourceType,
  object: T,
  finalizer: string,
  options: FinalizerOptions = {},
): Promise<T | undefined> {
  return updateFinalizers(client, type, object, options, (list) =>
    list.includes(finalizer) ? list.filter((f) => f !== finalizer) : undefined,
  );
}

/** `change` returns the new list, or undefined when the object is already as wanted. */
async function updateFinalizers<T extends KubeObjectLike>(
  client: Pick<KubeClient, 'get' | 'mergePatch'>,
  type: ResourceType,
  object: T,
  options: FinalizerOptions,
  change: (list: readonly string[]) => string[] | undefined,
): Promise<T | undefined> {
  const name = object.metadata?.name;
  if (!name) throw new Error(`finalizer update on ${type.plural}: the object has no metadata.name`);
  const key = object.metadata?.namespace ? { name, namespace: object.metadata.namespace } : { name };
  const requestOptions = options.signal ? { signal: options.signal } : {};
  const maxAttempts = Math.max(1, options.maxAttempts ?? 5);
  let current: T = object;
  for (let attempt = 1; ; attempt++) {
    const next = change(current.metadata?.finalizers ?? []);
    if (!next) return current;
    const resourceVersion = current.metadata?.resourceVersion;
    if (!resourceVersion) throw new Error(`finalizer update on ${type.plural} "${name}": the object has no resourceVersion`);
    try {
      return await client.mergePatch<T>(type, key, { metadata: { resourceVersion, finalizers: next } }, requestOptions);
    } catch (err) {
      if (!(err instanceof KubeApiError)) throw err;
      if (err.statusCode === 404) return undefined;
      if (err.statusCode !== 409 || attempt >= maxAttempts) throw err;
    }
    // Conflict: someone else wrote the object; recompute from the fresh version.
    try {
      current = await client.get<T>(type, key, requestOptions);
    } catch (err) {
      if (err instanceof KubeApiError && err.statusCode === 404) return undefined;
      throw err;
    }
  }
}
