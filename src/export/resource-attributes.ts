/**
 * What a span's OTLP resource says (docs/design.md §4.6): which cluster, the collector's
 * resourceAttributes, which component. Plain data, no OpenTelemetry types, so that `kspan replay
 * --output json` shows the resource the exporter sends without loading the gRPC stack.
 */
import type { SpanRecord } from '../engine/types.js';

/** OpenTelemetry's stable semantic convention for a cluster's identity: the uid of its kube-system Namespace. */
export const K8S_CLUSTER_UID = 'k8s.cluster.uid';

/**
 * The resource attributes of a span of `service`, from lowest to highest precedence: the
 * cluster's uid, when known; the collector's resourceAttributes, so that a user who sets
 * `k8s.cluster.uid` there overrides what was read (clusters restored from one etcd backup share
 * their kube-system uid); the span's own service.name and service.instance.id, which nothing
 * overrides.
 */
export function spanResourceAttributes(
  service: SpanRecord['service'],
  collectorAttributes: Readonly<Record<string, string>>,
  clusterUid: string | undefined,
): Record<string, string> {
  const attributes: Record<string, string> = {
    ...(clusterUid === undefined ? {} : { [K8S_CLUSTER_UID]: clusterUid }),
    ...collectorAttributes,
    'service.name': service.name,
  };
  if (service.instance !== undefined && service.instance !== '') attributes['service.instance.id'] = service.instance;
  return attributes;
}
