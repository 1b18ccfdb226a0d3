/**
 * Which cluster this is: the uid of its kube-system Namespace, OpenTelemetry's `k8s.cluster.uid`
 * (docs/design.md §4.6). Read once at start by the operator and by `kspan capture`; a cluster
 * where it cannot be read is still traced, its spans only lack the attribute.
 */

import type { KubeClient } from './client.js';
import { KubeApiError } from './errors.js';
import { RESOURCES } from './resources.js';

export const CLUSTER_UID_NAMESPACE = 'kube-system';

/** Longest the read may delay a start: an API server that does not answer now fails the watches too. */
const READ_TIMEOUT_MS = 10_000;

export type ClusterUidResult = { uid: string } | { problem: string };

/** The uid, or why it could not be read (one line, naming the missing permission). Never throws. */
export async function readClusterUid(client: Pick<KubeClient, 'get'>, timeoutMs = READ_TIMEOUT_MS): Promise<ClusterUidResult> {
  try {
    const namespace = await client.get(RESOURCES.namespaces, { name: CLUSTER_UID_NAMESPACE }, { metadataOnly: true, signal: AbortSignal.timeout(timeoutMs) });
    const uid = namespace.metadata?.uid;
    if (typeof uid === 'string' && uid !== '') return { uid };
    return { problem: `the ${CLUSTER_UID_NAMESPACE} Namespace has no uid` };
  } catch (err) {
    if (!(err instanceof KubeApiError)) return { problem: `cannot read the ${CLUSTER_UID_NAMESPACE} Namespace: ${err instanceof Error ? err.message : String(err)}` };
    if (err.statusCode === 403) return { problem: `forbidden to get namespaces "${CLUSTER_UID_NAMESPACE}" (RBAC: grant get on namespaces)` };
    if (err.statusCode === 404) return { problem: `the cluster has no ${CLUSTER_UID_NAMESPACE} Namespace` };
    if (err.statusCode === 0 && err.reason === 'Aborted') return { problem: `no answer to get namespaces "${CLUSTER_UID_NAMESPACE}" within ${timeoutMs} ms` };
    return { problem: `cannot read the ${CLUSTER_UID_NAMESPACE} Namespace: ${err.message}` };
  }
}
