/**
 * The TraceCollector openAPIV3Schema: the single source for the CRD (scripts/generate-crd.ts
 * writes crds/tracecollectors.kspan.dev.yaml from it) and for ajv (./validate.ts).
 *
 * It must stay a *structural* schema (every node typed, no $ref, no additionalProperties next to
 * properties) and use only regular-expression syntax that both Go's RE2 (the apiserver) and
 * JavaScript (ajv) read the same way.
 */
import { CEL_RULES, celValidation } from './cel.js';
import { DEFAULTS } from './types.js';

/** The subset of apiextensions.k8s.io/v1 JSONSchemaProps this project uses. */
export interface JSONSchemaProps {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  format?: string;
  properties?: Record<string, JSONSchemaProps>;
  additionalProperties?: JSONSchemaProps | boolean;
  items?: JSONSchemaProps;
  required?: string[];
  enum?: Array<string | number | boolean>;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  default?: unknown;
  nullable?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-validations'?: Array<{ rule: string; message?: string; fieldPath?: string; reason?: string }>;
}

// Go RE2 and JavaScript agree on this syntax (no lookaround, no backreferences, no \d in classes).
const DNS1123_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN = `${DNS1123_LABEL}(\\.${DNS1123_LABEL})*`;
const HOST_LABEL = '[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?';
const PORT = '([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])';

export const PATTERNS = {
  /** host:port or http(s)://host:port; host is a DNS name, an IPv4 address or a bracketed IPv6 address */
  endpoint: `^(https?://)?(${HOST_LABEL}(\\.${HOST_LABEL})*|\\[[0-9A-Fa-f:.]+\\]):${PORT}/?$`,
  dnsSubdomain: `^${DNS1123_SUBDOMAIN}$`,
  /** a namespace name, or "*" for every namespace */
  namespaceOrWildcard: `^(\\*|${DNS1123_LABEL})$`,
  /** a Secret data key */
  secretKey: '^[-._a-zA-Z0-9]+$',
  /** a Kubernetes kind: UpperCamelCase */
  kind: '^[A-Z][A-Za-z0-9]*$',
  /** core "v1" or "<group>/<version>" */
  apiVersion: `^(${DNS1123_SUBDOMAIN}/)?v[0-9]+((alpha|beta)[0-9]+)?$`,
  /** label key: optional DNS-subdomain prefix, then a name of up to 63 characters */
  labelKey: `^(${DNS1123_SUBDOMAIN}/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$`,
  /** metav1.Condition type and reason */
  conditionType: `^(${DNS1123_SUBDOMAIN}/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$`,
  conditionReason: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
} as const;

export const LIMITS = {
  namespaces: 256,
  ownerKindRules: 64,
  excludeReasons: 128,
  resourceAttributes: 64,
  matchExpressions: 32,
  selectorValues: 256,
  conditions: 16,
  traceContextAnnotations: 8,
} as const;

const str = (description: string, extra: Omit<JSONSchemaProps, 'type' | 'description'> = {}): JSONSchemaProps => ({
  type: 'string',
  description,
  ...extra,
});

const counter = (description: string): JSONSchemaProps => ({ type: 'integer', format: 'int64', minimum: 0, description });

const secretName = str('Name of a Secret in the TraceCollector\'s own namespace.', {
  minLength: 1,
  maxLength: 253,
  pattern: PATTERNS.dnsSubdomain,
});

const secretRef = (description: string, withKey?: string): JSONSchemaProps => ({
  type: 'object',
  description,
  required: ['name'],
  properties: {
    name: secretName,
    ...(withKey === undefined ? {} : { key: str(withKey, { minLength: 1, maxLength: 253, pattern: PATTERNS.secretKey }) }),
  },
});

const labelSelector: JSONSchemaProps = {
  type: 'object',
  description: 'Also watch the namespaces whose labels match this selector (metav1.LabelSelector); namespaces that appear or get the labels later are picked up.',
  'x-kubernetes-map-type': 'atomic',
  properties: {
    matchLabels: {
      type: 'object',
      description: 'Label key/value pairs that must all match.',
      maxProperties: 64,
      additionalProperties: { type: 'string', maxLength: 63 },
    },
    matchExpressions: {
      type: 'array',
      description: 'Label requirements that must all match.',
      maxItems: LIMITS.matchExpressions,
      'x-kubernetes-list-type': 'atomic',
      items: {
        type: 'object',
        required: ['key', 'operator'],
        'x-kubernetes-validations': [celValidation(CEL_RULES.selectorValues)],
        properties: {
          key: str('The label key.', { minLength: 1, maxLength: 317, pattern: PATTERNS.labelKey }),
          operator: str('How the key relates to the values.', { enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] }),
          values: {
            type: 'array',
            description: 'Values for In and NotIn; empty for Exists and DoesNotExist.',
            maxItems: LIMITS.selectorValues,
            'x-kubernetes-list-type': 'atomic',
            items: { type: 'string', maxLength: 63 },
          },
        },
      },
    },
  },
};

const exporter: JSONSchemaProps = {
  type: 'object',
  description: 'Where and how spans are exported (OTLP/gRPC).',
  required: ['endpoint'],
  'x-kubernetes-validations': [celValidation(CEL_RULES.tlsRequiresSecure)],
  properties: {
    endpoint: str('OTLP/gRPC endpoint: host:port or http(s)://host:port.', {
      minLength: 1,
      maxLength: 512,
      pattern: PATTERNS.endpoint,
    }),
    insecure: { type: 'boolean', description: 'Plaintext gRPC (no TLS) when true.', default: false },
    headersSecretRef: secretRef('Secret whose every key/value pair is sent as gRPC metadata (e.g. an API key header).'),
    tls: {
      type: 'object',
      description: 'TLS settings; the system roots are trusted when caSecretRef is absent.',
      properties: {
        caSecretRef: secretRef('Secret holding the CA bundle to trust.', 'Key of the CA bundle in the Secret (default ca.crt).'),
        certSecretRef: secretRef('kubernetes.io/tls Secret (tls.crt, tls.key) for mutual TLS.'),
      },
    },
    compression: str('gRPC compression.', { enum: ['none', 'gzip'], default: DEFAULTS.compression }),
    timeoutSeconds: {
      type: 'integer',
      format: 'int32',
      description: 'Timeout of one export request, in seconds.',
      minimum: 1,
      maximum: 300,
      default: DEFAULTS.timeoutSeconds,
    },
    maxQueueSize: {
      type: 'integer',
      format: 'int32',
      description:
        'Finished spans kept waiting for export (batches being sent not counted): while the endpoint is slow or down, and when the engine hands many over at once (each tick releases the spans of every event that waited its window: after a burst of events, as many spans in one go). When it is full the oldest are dropped and counted in kspan_spans_dropped_total{reason="queue_full"}. Each takes about 0.5 KB of memory until sent.',
      minimum: 100,
      maximum: 1000000,
      default: DEFAULTS.maxQueueSize,
    },
  },
};

const ownerKindRule: JSONSchemaProps = {
  type: 'object',
  description: 'An event on an object of involvedKind whose message matches messagePattern names the targetKind object the involved object acted on.',
  required: ['involvedKind', 'messagePattern', 'targetKind'],
  properties: {
    involvedKind: str('Kind of the event\'s involved object, e.g. CronJob.', { minLength: 1, maxLength: 63, pattern: PATTERNS.kind }),
    source: str('Event source component (e.g. cronjob-controller); any source when absent.', { minLength: 1, maxLength: 253 }),
    messagePattern: str('JavaScript regular expression matched against the event message; the named group "name", else the first group, captures the target\'s name.', {
      minLength: 1,
      maxLength: 1024,
    }),
    targetKind: str('Kind of the object the message names, e.g. Job.', { minLength: 1, maxLength: 63, pattern: PATTERNS.kind }),
    targetApiVersion: str('API version of the target, e.g. batch/v1.', { minLength: 1, maxLength: 253, pattern: PATTERNS.apiVersion }),
  },
};

const condition: JSONSchemaProps = {
  type: 'object',
  description: 'metav1.Condition',
  required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'],
  properties: {
    type: str('Condition type, e.g. Ready.', { maxLength: 316, pattern: PATTERNS.conditionType }),
    status: str('True, False or Unknown.', { enum: ['True', 'False', 'Unknown'] }),
    observedGeneration: { type: 'integer', format: 'int64', minimum: 0, description: 'The .metadata.generation the condition was set for.' },
    lastTransitionTime: str('When the status last changed.', { format: 'date-time' }),
    reason: str('Machine-readable reason in UpperCamelCase.', { minLength: 1, maxLength: 1024, pattern: PATTERNS.conditionReason }),
    message: str('Human-readable details.', { maxLength: 32768 }),
  },
};

export const traceCollectorSpecSchema: JSONSchemaProps = {
  type: 'object',
  description: 'Desired state: which namespaces\' events to turn into traces, and where to export them.',
  required: ['exporter'],
  properties: {
    namespaces: {
      type: 'array',
      description: 'Namespaces whose events are watched, or ["*"] for all; default: the TraceCollector\'s own namespace.',
      maxItems: LIMITS.namespaces,
      'x-kubernetes-list-type': 'set',
      'x-kubernetes-validations': [celValidation(CEL_RULES.wildcardAlone)],
      items: { type: 'string', minLength: 1, maxLength: 63, pattern: PATTERNS.namespaceOrWildcard },
    },
    namespaceSelector: labelSelector,
    exporter,
    ownerKindRules: {
      type: 'array',
      description: 'Rules that map an event on one object to the object its message names; tried in order, before the built-in ones.',
      maxItems: LIMITS.ownerKindRules,
      'x-kubernetes-list-type': 'atomic',
      items: ownerKindRule,
    },
    filter: {
      type: 'object',
      description: 'Which events become spans.',
      properties: {
        types: {
          type: 'array',
          description: 'Event types to keep; default both.',
          minItems: 1,
          maxItems: 2,
          'x-kubernetes-list-type': 'set',
          items: { type: 'string', enum: ['Normal', 'Warning'] },
        },
        excludeReasons: {
          type: 'array',
          description: 'Event reasons to drop, e.g. BackOff.',
          maxItems: LIMITS.excludeReasons,
          'x-kubernetes-list-type': 'set',
          items: { type: 'string', minLength: 1, maxLength: 128 },
        },
      },
    },
    correlation: {
      type: 'object',
      description: 'How long events wait for their parent and how long recent actions stay usable as parents.',
      'x-kubernetes-validations': [celValidation(CEL_RULES.windowWithinExpiry)],
      properties: {
        recentWindowSeconds: {
          type: 'integer',
          format: 'int32',
          minimum: 1,
          maximum: 300,
          description: 'How long an event waits for its parent before walking up the owner chain (default 5).',
        },
        expireAfterSeconds: {
          type: 'integer',
          format: 'int32',
          minimum: 10,
          maximum: 86400,
          description: 'How long a recent action can still parent new events after its last use (default 300).',
        },
        maxPendingEvents: {
          type: 'integer',
          format: 'int32',
          minimum: 1,
          maximum: 1000000,
          description: 'Bound on events waiting for a parent; the oldest give up first (default 10000).',
        },
        traceContext: {
          type: 'string',
          enum: ['link', 'parent'],
          description:
            'What the root span of a change does with the W3C trace context the changed object carries in a traceContextAnnotations annotation (KEP-5915): link to it (span link with kspan.link.type=trigger), or become a child of that span, inside the caller\'s trace (default link).',
        },
        traceContextAnnotations: {
          type: 'array',
          description:
            'Annotation keys that carry a W3C traceparent, tried in order, on the object and then on its pod template; the key ending in traceparent may have a tracestate twin (tracing.k8s.io/tracestate). Default [tracing.k8s.io/traceparent].',
          maxItems: LIMITS.traceContextAnnotations,
          'x-kubernetes-list-type': 'set',
          items: {
            type: 'string',
            minLength: 11,
            maxLength: 317,
            pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?([A-Za-z0-9][-A-Za-z0-9_.]*)?(traceparent|Traceparent|TRACEPARENT)$',
          },
        },
      },
    },
    spans: {
      type: 'object',
      description: 'Which spans are made besides those of Events.',
      properties: {
        statusTransitions: {
          type: 'boolean',
          default: true,
          description: 'Spans from object status: Pods turning Ready or NotReady and restarting, Deployment, StatefulSet and DaemonSet rollouts completed or failed, Jobs failed; a rollout\'s root span ends with its rollout (default true).',
        },
      },
    },
    debug: {
      type: 'object',
      description: 'Help for diagnosing the operator itself.',
      properties: {
        recordInput: {
          type: 'object',
          description:
            'Record the events and object versions this collector\'s pipeline feeds its engine, with their receive times, as a capture file that `kspan replay` reads (docs/troubleshooting.md). Needs the operator\'s --record-dir; the file is <record-dir>/<namespace>_<name>_<start time>.ndjson. A recording starts when the pipeline starts or when this field is set, and ends at the first bound reached, when the field is removed or changed, or when the pipeline stops.',
          properties: {
            maxBytes: {
              type: 'integer',
              format: 'int64',
              minimum: 4096,
              maximum: 10737418240,
              default: DEFAULTS.recordMaxBytes,
              description: `Stop before the file grows past this many bytes (default ${DEFAULTS.recordMaxBytes}, 100 MiB).`,
            },
            maxSeconds: {
              type: 'integer',
              format: 'int32',
              minimum: 1,
              maximum: 604800,
              default: DEFAULTS.recordMaxSeconds,
              description: `Stop this many seconds after the recording started (default ${DEFAULTS.recordMaxSeconds}).`,
            },
          },
        },
      },
    },
    resourceAttributes: {
      type: 'object',
      description:
        'Extra OpenTelemetry resource attributes on every span, e.g. k8s.cluster.name. They go beside the k8s.cluster.uid the operator reads (the uid of the kube-system Namespace) and win over it when they set k8s.cluster.uid themselves; service.name and service.instance.id are always the span\'s own.',
      maxProperties: LIMITS.resourceAttributes,
      additionalProperties: { type: 'string', maxLength: 1024 },
    },
    suspend: { type: 'boolean', description: 'Stop watching and exporting while true.', default: false },
  },
};

/** base64 of the most span ids a checkpoint lists (CHECKPOINT_DEFAULTS.maxIds, 8 bytes each), with room */
const CHECKPOINT_ID_TEXT_MAX = 65_536;

export const traceCollectorStatusSchema: JSONSchemaProps = {
  type: 'object',
  description: 'Observed state, written by the operator.',
  properties: {
    observedGeneration: { type: 'integer', format: 'int64', minimum: 0, description: 'The generation this status describes.' },
    conditions: {
      type: 'array',
      description: 'Ready and ExporterReady.',
      maxItems: LIMITS.conditions,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
      items: condition,
    },
    watchedNamespaces: {
      type: 'array',
      description: 'Namespaces currently watched.',
      'x-kubernetes-list-type': 'set',
      items: { type: 'string', maxLength: 63 },
    },
    eventsReceived: counter('Events received since the pipeline started.'),
    spansExported: counter('Spans accepted by the exporter endpoint.'),
    spansDropped: counter('Spans given up on (queue full, retries exhausted, rejected).'),
    eventsUnresolved: counter('Events whose object and actor were never seen.'),
    tracesStarted: counter('Root spans made.'),
    statusSpans: counter('Spans made from status transitions: Pods Ready, rollouts complete or failed.'),
    ownParentsAwaited: counter('Events placed under the action that made their object after waiting for it to arrive late.'),
    spansUnderAncestor: counter('Events that waited for the action that made their object in vain, placed under an ancestor.'),
    pendingEvents: counter('Events waiting for a parent now.'),
    lastExportTime: str('When spans were last exported successfully.', { format: 'date-time' }),
    checkpoint: {
      type: 'object',
      description: 'What the pipeline has delivered, for whoever runs this collector next (a new leader, a restart): it replays the Events still listed and exports only what this does not cover. Written by the operator; remove it to start without it.',
      properties: {
        watermark: str('Every span that is not an Event\'s (roots, status transitions) and starts before this was delivered, except those in unexported.', { format: 'date-time' }),
        eventsRead: {
          type: 'object',
          description: 'Per namespace, the resourceVersion of the newest Event read: the spans of the Events read up to it were delivered, except those in unexported.',
          maxProperties: 100_000,
          additionalProperties: { type: 'string', maxLength: 20 },
        },
        exportedAfter: str('Span ids (8 bytes each, base64) delivered that are not an Event\'s and start at or after the watermark.', { maxLength: CHECKPOINT_ID_TEXT_MAX }),
        unexported: str('Span ids (8 bytes each, base64) not delivered yet: of Events read, and others that start before the watermark.', { maxLength: CHECKPOINT_ID_TEXT_MAX }),
        writtenAt: str('When the checkpoint was written.', { format: 'date-time' }),
      },
    },
  },
};

/** The whole object's schema: the CRD's spec.versions[0].schema.openAPIV3Schema. */
export const traceCollectorSchema: JSONSchemaProps = {
  type: 'object',
  description: 'TraceCollector turns the Kubernetes Events of chosen namespaces into OpenTelemetry traces and exports them over OTLP/gRPC.',
  required: ['spec'],
  properties: {
    apiVersion: { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' },
    kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' },
    metadata: { type: 'object' },
    spec: traceCollectorSpecSchema,
    status: traceCollectorStatusSchema,
  },
};
