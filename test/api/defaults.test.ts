import assert from 'node:assert/strict';
import { resolveSpec } from '../../src/api/defaults.js';

describe('resolveSpec', () => {
  it('fills every default, the namespace list with the own namespace', () => {
    assert.deepEqual(resolveSpec({ exporter: { endpoint: 'c:4317' } }, 'team-a'), {
      namespaces: ['team-a'],
      allNamespaces: false,
      exporter: { endpoint: 'c:4317', insecure: false, compression: 'none', timeoutSeconds: 10, maxQueueSize: 50000 },
      ownerKindRules: [],
      filter: { types: ['Normal', 'Warning'], excludeReasons: [] },
      correlation: { recentWindowSeconds: 5, expireAfterSeconds: 300, maxPendingEvents: 10000 },
      spans: { statusTransitions: true },
      resourceAttributes: {},
      suspend: false,
    });
  });

  it('keeps what the spec says', () => {
    const r = resolveSpec({
      namespaces: ['b', 'a', 'b'],
      namespaceSelector: { matchLabels: { t: 'on' } },
      exporter: { endpoint: 'c:4317', insecure: true, compression: 'gzip', timeoutSeconds: 3, maxQueueSize: 50000, headersSecretRef: { name: 'h' } },
      filter: { types: ['Warning'] },
      correlation: { recentWindowSeconds: 2 },
      suspend: true,
    }, 'x');
    assert.deepEqual(r.namespaces, ['a', 'b']);
    assert.deepEqual(r.namespaceSelector, { matchLabels: { t: 'on' } });
    assert.deepEqual(r.exporter, { endpoint: 'c:4317', insecure: true, compression: 'gzip', timeoutSeconds: 3, maxQueueSize: 50000, headersSecretRef: { name: 'h' } });
    assert.deepEqual(r.filter.types, ['Warning']);
    assert.equal(r.correlation.recentWindowSeconds, 2);
    assert.equal(r.correlation.expireAfterSeconds, 300);
    assert.equal(r.suspend, true);
  });

  it('turns ["*"] into allNamespaces', () => {
    const r = resolveSpec({ namespaces: ['*'], exporter: { endpoint: 'c:4317' } }, 'x');
    assert.equal(r.allNamespaces, true);
    assert.deepEqual(r.namespaces, []);
  });
});
