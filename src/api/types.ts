/**
 * The TraceCollector API (kspan.dev/v1alpha1), as TypeScript types.
 * The JSON schema in ./schema.ts is the single source of truth for validation and the CRD;
 * these types describe the same shape for the code.
 */

export const API_GROUP = 'kspan.dev';
export const API_VERSION = 'v1alpha1';
export const TRACE_COLLECTOR_KIND = 'TraceCollector';
export const TRACE_COLLECTOR_PLURAL = 'tracecollectors';
/** The operator's finalizer on TraceCollectors: their spans are flushed before they go. */
export const TRACE_COLLECTOR_FINALIZER = `${API_GROUP}/finalizer`;

export interface SecretKeyRef {
  name: string;
  key?: string;
}

export interface ExporterSpec {
  /** host:port, or http(s)://host:port */
  endpoint: string;
  insecure?: boolean;
  headersSecretRef?: { name: string };
  tls?: {
    caSecretRef?: SecretKeyRef;
    certSecretRef?: { name: string };
  };
  compression?: 'none' | 'gzip';
  timeoutSeconds?: number;
  /** spans waiting to be sent; when full, the oldest are dropped */
  maxQueueSize?: number;
}

/** Maps an event on one object to the object its message names (docs/design.md §5.3). */
export interface OwnerKindRule {
  involvedKind: string;
  /** event source component; any source when absent */
  source?: string;
  /** JavaScript regular expression; the named group `name`, else the first group, is the target's name */
  messagePattern: string;
  targetKind: string;
  targetApiVersion?: string;
}

export interface FilterSpec {
  types?: Array<'Normal' | 'Warning'>;
  excludeReasons?: string[];
}

export interface CorrelationSpec {
  recentWindowSeconds?: number;
  expireAfterSeconds?: number;
  maxPendingEvents?: number;
  /** a W3C trace context on the changed object (docs/design.md §5.13): the root links to it (default) or is its child */
  traceContext?: 'link' | 'parent';
  /** the annotations that carry that trace context, tried in order (default [tracing.k8s.io/traceparent]) */
  traceContextAnnotations?: string[];
}

/** Which spans besides those of Events are made. */
export interface SpansSpec {
  /** Pod readiness and restarts, rollouts completed or failed, Jobs failed, from object status (default true) */
  statusTransitions?: boolean;
}

/** Help for diagnosing the operator itself. */
export interface DebugSpec {
  /** record the pipeline's input to a capture file under the operator's --record-dir (docs/troubleshooting.md) */
  recordInput?: RecordInputSpec;
}

export interface RecordInputSpec {
  /** stop before the file grows past this many bytes (default 100 MiB) */
  maxBytes?: number;
  /** stop this many seconds after the recording started (default 3600) */
  maxSeconds?: number;
}

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface TraceCollectorSpec {
  namespaces?: string[];
  namespaceSelector?: LabelSelector;
  exporter: ExporterSpec;
  ownerKindRules?: OwnerKindRule[];
  filter?: FilterSpec;
  correlation?: CorrelationSpec;
  spans?: SpansSpec;
  debug?: DebugSpec;
  resourceAttributes?: Record<string, string>;
  suspend?: boolean;
}

/** metav1.Condition */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export interface TraceCollectorStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  watchedNamespaces?: string[];
  eventsReceived?: number;
  spansExported?: number;
  spansDropped?: number;
  eventsUnresolved?: number;
  tracesStarted?: number;
  statusSpans?: number;
  ownParentsAwaited?: number;
  spansUnderAncestor?: number;
  pendingEvents?: number;
  lastExportTime?: string;
  /** docs/design.md §4.8, written by the pipeline (src/pipeline/checkpoint.ts), never by the status write */
  checkpoint?: { watermark?: string; eventsRead?: Record<string, string>; exportedAfter?: string; unexported?: string; writtenAt?: string };
}

export interface TraceCollector {
  apiVersion: `${typeof API_GROUP}/${typeof API_VERSION}`;
  kind: typeof TRACE_COLLECTOR_KIND;
  metadata: {
    name: string;
    namespace: string;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
    finalizers?: string[];
    deletionTimestamp?: string;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: TraceCollectorSpec;
  status?: TraceCollectorStatus;
}

/** Defaults applied where the spec is silent (docs/design.md §3 and §5). */
export const DEFAULTS = {
  recentWindowSeconds: 5,
  expireAfterSeconds: 300,
  maxPendingEvents: 10_000,
  timeoutSeconds: 10,
  maxQueueSize: 50_000,
  compression: 'none',
  types: ['Normal', 'Warning'],
  statusTransitions: true,
  traceContext: 'link',
  traceContextAnnotations: ['tracing.k8s.io/traceparent'],
  recordMaxBytes: 104_857_600,
  recordMaxSeconds: 3600,
} as const;
