import assert from 'node:assert/strict';
import { captureGroupCount, messagePatternProblem, pointerToFieldPath, validateTraceCollector, validateTraceCollectorSpec } from '../../src/api/validate.js';

const endpoint = 'otel-collector.observability:4317';
const base = { exporter: { endpoint } };
const withSpec = (extra: Record<string, unknown>) => ({ ...base, ...extra });
const withExporter = (extra: Record<string, unknown>) => ({ exporter: { endpoint, ...extra } });

const valid: Array<[string, unknown]> = [
  ['the minimal spec', base],
  ['the full example of docs/design.md §3', {
    namespaces: ['shop', 'payments'],
    namespaceSelector: { matchLabels: { tracing: 'on' }, matchExpressions: [{ key: 'team', operator: 'In', values: ['a', 'b'] }, { key: 'kspan.dev/off', operator: 'DoesNotExist' }] },
    exporter: {
      endpoint, insecure: false, headersSecretRef: { name: 'otlp-headers' },
      tls: { caSecretRef: { name: 'otlp-ca', key: 'ca.crt' }, certSecretRef: { name: 'otlp-client' } }, compression: 'gzip', timeoutSeconds: 10, maxQueueSize: 10000,
    },
    ownerKindRules: [{ involvedKind: 'CronJob', source: 'cronjob-controller', messagePattern: 'Created job (?<name>\\S+)', targetKind: 'Job', targetApiVersion: 'batch/v1' }],
    filter: { types: ['Normal', 'Warning'], excludeReasons: [] },
    correlation: { recentWindowSeconds: 5, expireAfterSeconds: 300, maxPendingEvents: 10000 },
    resourceAttributes: { 'k8s.cluster.name': 'prod-eu-1' },
    suspend: false,
  }],
  ['all namespaces', withSpec({ namespaces: ['*'] })],
  ['an http:// endpoint with insecure', withExporter({ endpoint: 'http://localhost:4317', insecure: true })],
  ['an https:// endpoint', withExporter({ endpoint: 'https://api.honeycomb.io:443' })],
  ['an IPv4 endpoint', withExporter({ endpoint: '10.0.0.7:4317' })],
  ['an IPv6 endpoint', withExporter({ endpoint: '[::1]:4317' })],
  ['a core targetApiVersion', withSpec({ ownerKindRules: [{ involvedKind: 'Node', messagePattern: 'pod (\\S+)', targetKind: 'Pod', targetApiVersion: 'v1' }] })],
  ['the correlation bounds', withSpec({ correlation: { recentWindowSeconds: 300, expireAfterSeconds: 86400, maxPendingEvents: 1000000 } })],
  ['trace context as parent, from other tools\' keys', withSpec({ correlation: { traceContext: 'parent', traceContextAnnotations: ['tekton.dev/deliveryTraceparent', 'traceparent', 'tracing.k8s.io/traceparent'] } })],
];

/** [case, spec, field, message fragment] */
const invalid: Array<[string, unknown, string, string | RegExp]> = [
  ['no exporter', {}, 'spec.exporter', 'Required value'],
  ['no endpoint', { exporter: {} }, 'spec.exporter.endpoint', 'Required value'],
  ['an endpoint without a port', withExporter({ endpoint: 'collector' }), 'spec.exporter.endpoint', 'should match'],
  ['an endpoint with a path', withExporter({ endpoint: 'http://collector:4317/v1/traces' }), 'spec.exporter.endpoint', 'should match'],
  ['an endpoint with port 70000', withExporter({ endpoint: 'collector:70000' }), 'spec.exporter.endpoint', 'should match'],
  ['a grpc:// endpoint', withExporter({ endpoint: 'grpc://collector:4317' }), 'spec.exporter.endpoint', 'should match'],
  ['an unknown compression', withExporter({ compression: 'zstd' }), 'spec.exporter.compression', 'Unsupported value: "zstd": supported values: "none", "gzip"'],
  ['a zero timeout', withExporter({ timeoutSeconds: 0 }), 'spec.exporter.timeoutSeconds', 'greater than or equal to 1'],
  ['a timeout above 300', withExporter({ timeoutSeconds: 301 }), 'spec.exporter.timeoutSeconds', 'less than or equal to 300'],
  ['a fractional timeout', withExporter({ timeoutSeconds: 1.5 }), 'spec.exporter.timeoutSeconds', 'must be of type integer'],
  ['a string timeout', withExporter({ timeoutSeconds: '10' }), 'spec.exporter.timeoutSeconds', 'must be of type integer: "string"'],
  ['a queue below 100 spans', withExporter({ maxQueueSize: 99 }), 'spec.exporter.maxQueueSize', 'greater than or equal to 100'],
  ['a queue above a million spans', withExporter({ maxQueueSize: 1_000_001 }), 'spec.exporter.maxQueueSize', 'less than or equal to 1000000'],
  ['insecure as a string', withExporter({ insecure: 'true' }), 'spec.exporter.insecure', 'must be of type boolean'],
  ['tls with insecure', withExporter({ insecure: true, tls: {} }), 'spec.exporter', 'tls cannot be set when insecure is true'],
  ['https with insecure', withExporter({ endpoint: 'https://c:4317', insecure: true }), 'spec.exporter.insecure', 'https:// endpoint needs TLS'],
  ['http with tls', withExporter({ endpoint: 'http://c:4317', tls: { caSecretRef: { name: 'ca' } } }), 'spec.exporter.tls', 'http:// endpoint is plaintext'],
  ['a Secret ref without a name', withExporter({ headersSecretRef: {} }), 'spec.exporter.headersSecretRef.name', 'Required value'],
  ['an upper-case Secret name', withExporter({ headersSecretRef: { name: 'Headers' } }), 'spec.exporter.headersSecretRef.name', 'should match'],
  ['a bad Secret key', withExporter({ tls: { caSecretRef: { name: 'ca', key: 'ca/crt' } } }), 'spec.exporter.tls.caSecretRef.key', 'should match'],
  ['an unknown exporter field', withExporter({ headers: { a: 'b' } }), 'spec.exporter.headers', 'Unknown field'],
  ['a namespace that is not a DNS label', withSpec({ namespaces: ['Shop'] }), 'spec.namespaces[0]', 'should match'],
  ['a namespace with a dot', withSpec({ namespaces: ['a.b'] }), 'spec.namespaces[0]', 'should match'],
  ['"*" with names', withSpec({ namespaces: ['*', 'shop'] }), 'spec.namespaces', '"*" (all namespaces) cannot be combined'],
  ['a duplicate namespace', withSpec({ namespaces: ['shop', 'shop'] }), 'spec.namespaces[1]', 'Duplicate value: "shop"'],
  ['too many namespaces', withSpec({ namespaces: Array.from({ length: 257 }, (_, i) => `ns-${i}`) }), 'spec.namespaces', 'Too many: 257: must have at most 256 items'],
  ['a selector operator typo', withSpec({ namespaceSelector: { matchExpressions: [{ key: 'a', operator: 'Equals', values: ['b'] }] } }), 'spec.namespaceSelector.matchExpressions[0].operator', 'Unsupported value'],
  ['In without values', withSpec({ namespaceSelector: { matchExpressions: [{ key: 'a', operator: 'In' }] } }), 'spec.namespaceSelector.matchExpressions[0]', 'values must be non-empty for In and NotIn'],
  ['Exists with values', withSpec({ namespaceSelector: { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] } }), 'spec.namespaceSelector.matchExpressions[0]', 'empty for Exists'],
  ['a bad label key', withSpec({ namespaceSelector: { matchLabels: { 'not a key': 'x' } } }), 'spec.namespaceSelector.matchLabels[not a key]', 'not a valid label key'],
  ['a bad label value', withSpec({ namespaceSelector: { matchLabels: { tracing: 'on off' } } }), 'spec.namespaceSelector.matchLabels[tracing]', 'not a valid label value'],
  ['a rule without targetKind', withSpec({ ownerKindRules: [{ involvedKind: 'CronJob', messagePattern: 'job (\\S+)' }] }), 'spec.ownerKindRules[0].targetKind', 'Required value'],
  ['a rule without messagePattern', withSpec({ ownerKindRules: [{ involvedKind: 'CronJob', targetKind: 'Job' }] }), 'spec.ownerKindRules[0].messagePattern', 'Required value'],
  ['a lower-case kind', withSpec({ ownerKindRules: [{ involvedKind: 'cronjob', messagePattern: 'job (\\S+)', targetKind: 'Job' }] }), 'spec.ownerKindRules[0].involvedKind', 'should match'],
  ['a regex that does not compile', withSpec({ ownerKindRules: [{ involvedKind: 'CronJob', messagePattern: 'Created job (\\S+', targetKind: 'Job' }] }), 'spec.ownerKindRules[0].messagePattern', /^invalid regular expression: .*Unterminated group/],
  ['a regex without a group', withSpec({ ownerKindRules: [{ involvedKind: 'CronJob', messagePattern: 'Created job \\S+', targetKind: 'Job' }] }), 'spec.ownerKindRules[0].messagePattern', 'must have a capture group'],
  ['a bad targetApiVersion', withSpec({ ownerKindRules: [{ involvedKind: 'CronJob', messagePattern: '(x)', targetKind: 'Job', targetApiVersion: 'batch' }] }), 'spec.ownerKindRules[0].targetApiVersion', 'should match'],
  ['an unknown event type', withSpec({ filter: { types: ['Error'] } }), 'spec.filter.types[0]', 'Unsupported value: "Error"'],
  ['no event types', withSpec({ filter: { types: [] } }), 'spec.filter.types', 'should have at least 1 items'],
  ['recentWindowSeconds 0', withSpec({ correlation: { recentWindowSeconds: 0 } }), 'spec.correlation.recentWindowSeconds', 'greater than or equal to 1'],
  ['recentWindowSeconds 301', withSpec({ correlation: { recentWindowSeconds: 301 } }), 'spec.correlation.recentWindowSeconds', 'less than or equal to 300'],
  ['expireAfterSeconds 9', withSpec({ correlation: { expireAfterSeconds: 9 } }), 'spec.correlation.expireAfterSeconds', 'greater than or equal to 10'],
  ['expireAfterSeconds above a day', withSpec({ correlation: { expireAfterSeconds: 86401 } }), 'spec.correlation.expireAfterSeconds', 'less than or equal to 86400'],
  ['maxPendingEvents 0', withSpec({ correlation: { maxPendingEvents: 0 } }), 'spec.correlation.maxPendingEvents', 'greater than or equal to 1'],
  ['maxPendingEvents above a million', withSpec({ correlation: { maxPendingEvents: 1000001 } }), 'spec.correlation.maxPendingEvents', 'less than or equal to 1000000'],
  ['an unknown traceContext', withSpec({ correlation: { traceContext: 'child' } }), 'spec.correlation.traceContext', 'Unsupported value: "child"'],
  ['a trace-context key that is no traceparent', withSpec({ correlation: { traceContextAnnotations: ['example.com/trace-id'] } }), 'spec.correlation.traceContextAnnotations[0]', 'should match'],
  ['expiry shorter than the window', withSpec({ correlation: { recentWindowSeconds: 60, expireAfterSeconds: 30 } }), 'spec.correlation', 'expireAfterSeconds must not be less than recentWindowSeconds'],
  ['a non-string attribute', withSpec({ resourceAttributes: { 'k8s.cluster.name': 1 } }), 'spec.resourceAttributes[k8s.cluster.name]', 'must be of type string'],
  ['a reserved resource attribute', withSpec({ resourceAttributes: { 'service.name': 'x' } }), 'spec.resourceAttributes[service.name]', 'Forbidden: set by kspan'],
  ['a blank resource attribute name', withSpec({ resourceAttributes: { ' ': 'x' } }), 'spec.resourceAttributes[ ]', 'not blank'],
  ['suspend as a string', withSpec({ suspend: 'yes' }), 'spec.suspend', 'must be of type boolean'],
  ['a misspelt top-level field', withSpec({ namespace: ['a'] }), 'spec.namespace', 'Unknown field'],
  ['a spec that is not an object', 'exporter', 'spec', 'must be of type object'],
];

describe('validateTraceCollectorSpec', () => {
  for (const [name, spec] of valid) {
    it(`accepts ${name}`, () => {
      const result = validateTraceCollectorSpec(spec);
      assert.deepEqual(result.errors, []);
      assert.equal(result.valid, true);
    });
  }

  for (const [name, spec, field, fragment] of invalid) {
    it(`rejects ${name} at ${field}`, () => {
      const result = validateTraceCollectorSpec(spec);
      assert.equal(result.valid, false);
      const at = result.errors.filter((e) => e.field === field);
      assert.ok(at.length > 0, `no error at ${field}: ${JSON.stringify(result.errors.map((e) => e.message))}`);
      const matched = at.some((e) => (typeof fragment === 'string' ? e.detail.includes(fragment) : fragment.test(e.detail)));
      assert.ok(matched, `no error at ${field} says ${String(fragment)}: ${JSON.stringify(at.map((e) => e.detail))}`);
      for (const e of at) assert.equal(e.message, `${e.field}: ${e.detail}`);
    });
  }

  it('never throws, whatever it is given', () => {
    for (const input of [undefined, null, 0, [], 'x', { exporter: null }, { exporter: [] }, { ownerKindRules: 'x' }, { ownerKindRules: [null, 1, 'x'] }, { namespaceSelector: { matchLabels: [] } }]) {
      assert.doesNotThrow(() => validateTraceCollectorSpec(input));
      assert.equal(validateTraceCollectorSpec(input).valid, false);
    }
  });

  it('can ignore unknown fields (what a newer CRD may carry)', () => {
    assert.equal(validateTraceCollectorSpec(withSpec({ futureField: 1 }), { unknownFields: 'ignore' }).valid, true);
  });

  it('validates whole objects including status', () => {
    const obj = {
      apiVersion: 'kspan.dev/v1alpha1', kind: 'TraceCollector', metadata: { name: 'a', namespace: 'b' }, spec: base,
      status: { conditions: [{ type: 'Ready', status: 'Maybe', lastTransitionTime: 'yesterday', reason: 'Ready', message: '' }], spansExported: -1 },
    };
    const result = validateTraceCollector(obj);
    assert.equal(result.valid, false);
    const fields = result.errors.map((e) => e.field).sort();
    assert.deepEqual(fields, ['status.conditions[0].lastTransitionTime', 'status.conditions[0].status', 'status.spansExported']);
    const ok = validateTraceCollector({ ...obj, status: { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-11-22T10:00:00Z', reason: 'Ready', message: 'ok' }] } });
    assert.deepEqual(ok.errors, []);
    assert.equal(validateTraceCollector({ ...obj, spec: undefined, status: undefined }).errors[0]?.message, 'spec: Required value');
  });
});

describe('validation helpers', () => {
  it('turns JSON pointers into Kubernetes field paths', () => {
    assert.equal(pointerToFieldPath('/spec/ownerKindRules/0/messagePattern'), 'spec.ownerKindRules[0].messagePattern');
    assert.equal(pointerToFieldPath('/resourceAttributes/k8s.cluster.name', 'spec'), 'spec.resourceAttributes[k8s.cluster.name]');
    assert.equal(pointerToFieldPath('/a~1b'), '[a/b]');
  });

  it('counts capture groups and explains bad patterns', () => {
    assert.equal(captureGroupCount(/a(b)(?:c)(?<name>d)/), 2);
    assert.equal(captureGroupCount(/\(x\)/), 0);
    assert.equal(messagePatternProblem('pod: (\\S+)'), undefined);
    assert.match(messagePatternProblem('[') ?? '', /^invalid regular expression: /);
    assert.match(messagePatternProblem('(?<name>a)(?<name>b)') ?? '', /^invalid regular expression: .*[Dd]uplicate/);
  });
});
