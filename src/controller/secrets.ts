/** Exporter settings with Secrets resolved from the collector's own namespace. */

import type { ResolvedSpec } from '../api/defaults.js';
import type { ResolvedExporterConfig } from '../pipeline/index.js';
import type { Outcome } from './decide.js';
import { statusCodeOf, type SecretReader } from './ports.js';

export type SecretsResult = { ok: true; config: ResolvedExporterConfig } | { ok: false; outcome: Outcome };

const DEFAULT_CA_KEY = 'ca.crt';

export async function resolveExporterConfig(spec: ResolvedSpec, namespace: string, secrets: SecretReader): Promise<SecretsResult> {
  const cache = new Map<string, Record<string, Buffer> | undefined>();
  const read = async (name: string, field: string): Promise<{ data: Record<string, Buffer> } | { outcome: Outcome }> => {
    if (!cache.has(name)) {
      try {
        cache.set(name, await secrets.get(namespace, name));
      } catch (err) {
        if (statusCodeOf(err) === 403) {
          const message = `${field}: the operator is forbidden to get secrets in namespace "${namespace}" (RBAC: grant get on secrets)`;
          return { outcome: { kind: 'forbidden', message } };
        }
        throw err;
      }
    }
    const data = cache.get(name);
    if (data === undefined) return { outcome: { kind: 'secretNotFound', message: `${field}: Secret "${name}" not found in namespace "${namespace}"` } };
    return { data };
  };
  const missingKey = (field: string, name: string, key: string): Outcome => ({
    kind: 'secretNotFound',
    message: `${field}: Secret "${name}" in namespace "${namespace}" has no key "${key}"`,
  });

  const { exporter } = spec;
  const headers: Record<string, string> = {};
  if (exporter.headersSecretRef) {
    const data = await read(exporter.headersSecretRef.name, 'spec.exporter.headersSecretRef');
    if ('outcome' in data) return { ok: false, outcome: data.outcome };
    for (const [key, value] of Object.entries(data.data)) headers[key.toLowerCase()] = value.toString('utf8').trim();
  }
  const tls: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {};
  if (exporter.tls?.caSecretRef) {
    const ref = exporter.tls.caSecretRef;
    const data = await read(ref.name, 'spec.exporter.tls.caSecretRef');
    if ('outcome' in data) return { ok: false, outcome: data.outcome };
    const key = ref.key ?? DEFAULT_CA_KEY;
    const ca = data.data[key];
    if (!ca) return { ok: false, outcome: missingKey('spec.exporter.tls.caSecretRef', ref.name, key) };
    tls.ca = ca;
  }
  if (exporter.tls?.certSecretRef) {
    const ref = exporter.tls.certSecretRef;
    const data = await read(ref.name, 'spec.exporter.tls.certSecretRef');
    if ('outcome' in data) return { ok: false, outcome: data.outcome };
    for (const key of ['tls.crt', 'tls.key'] as const) {
      if (!data.data[key]) return { ok: false, outcome: missingKey('spec.exporter.tls.certSecretRef', ref.name, key) };
    }
    tls.cert = data.data['tls.crt'] as Buffer;
    tls.key = data.data['tls.key'] as Buffer;
  }
  const config: ResolvedExporterConfig = {
    endpoint: exporter.endpoint,
    insecure: exporter.insecure,
    headers,
    compression: exporter.compression,
    timeoutMs: exporter.timeoutSeconds * 1000,
    maxQueueSize: exporter.maxQueueSize,
    resourceAttributes: spec.resourceAttributes,
  };
  if (exporter.tls) config.tls = tls;
  return { ok: true, config };
}
