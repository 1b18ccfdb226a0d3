/**
 * Status writes for custom resources: a JSON merge patch (RFC 7386) of the `/status`
 * subresource, with the merge-patch content type set explicitly (client-node's generated
 * patch calls default to JSON patch).
 */

import type { KubeClient, KubeObjectLike, ObjectKey } from './client.js';
import type { ResourceType } from './resources.js';

export interface PatchStatusOptions {
  /** when set, the patch only applies to this resourceVersion (409 Conflict otherwise) */
  resourceVersion?: string;
  signal?: AbortSignal;
}

/**
 * Merge-patches `status` of one object through its status subresource and returns the updated
 * object. Merge patch semantics: fields present replace, `null` deletes, arrays (e.g.
 * `conditions`) are replaced as a whole — send the full list. Throws KubeApiError.
 */
export function patchStatus<T extends KubeObjectLike>(
  client: Pick<KubeClient, 'mergePatch'>,
  type: ResourceType,
  key: ObjectKey,
  status: Record<string, unknown>,
  options: PatchStatusOptions = {},
): Promise<T> {
  const body: Record<string, unknown> = { status };
  if (options.resourceVersion) body['metadata'] = { resourceVersion: options.resourceVersion };
  return client.mergePatch<T>(type, key, body, { subresource: 'status', ...(options.signal ? { signal: options.signal } : {}) });
}
