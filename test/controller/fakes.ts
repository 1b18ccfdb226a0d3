/** In-memory API for controller tests: TraceCollectors with resourceVersion preconditions, Secrets. */

import type { TraceCollector, TraceCollectorSpec, TraceCollectorStatus } from '../../src/api/types.js';
import type { SecretReader, TraceCollectorClient } from '../../src/controller/index.js';

class HttpError extends Error {
  constructor(readonly statusCode: number, message: string) {
    super(message);
  }
}

export class FakeApi implements TraceCollectorClient {
  readonly collectors = new Map<string, TraceCollector>();
  readonly secrets = new Map<string, Record<string, Buffer>>();
  readonly statusPatches: Array<{ key: string; status: TraceCollectorStatus }> = [];
  forbiddenSecrets = false;
  private rv = 1;

  put(namespace: string, name: string, spec: TraceCollectorSpec, extra: Partial<TraceCollector['metadata']> = {}): TraceCollector {
    const key = `${namespace}/${name}`;
    const old = this.collectors.get(key);
    const generation = old ? (JSON.stringify(old.spec) === JSON.stringify(spec) ? old.metadata.generation : (old.metadata.generation ?? 1) + 1) : 1;
    const obj: TraceCollector = {
      apiVersion: 'kspan.dev/v1alpha1',
      kind: 'TraceCollector',
      metadata: { ...old?.metadata, name, namespace, uid: `uid-${name}`, generation: generation ?? 1, resourceVersion: String(++this.rv), ...extra },
      spec,
      ...(old?.status ? { status: old.status } : {}),
    };
    this.collectors.set(key, obj);
    return structuredClone(obj);
  }

  /** Like kubectl delete: with finalizers, only marks for deletion. */
  delete(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const obj = this.collectors.get(key);
    if (!obj) return;
    if ((obj.metadata.finalizers ?? []).length === 0) this.collectors.delete(key);
    else obj.metadata.deletionTimestamp = new Date().toISOString();
  }

  async get(namespace: string, name: string): Promise<TraceCollector | undefined> {
    const obj = this.collectors.get(`${namespace}/${name}`);
    return obj && structuredClone(obj);
  }

  private precondition(obj: TraceCollector): TraceCollector {
    const stored = this.collectors.get(`${obj.metadata.namespace}/${obj.metadata.name}`);
    if (!stored) throw new HttpError(404, 'not found');
    if (stored.metadata.resourceVersion !== obj.metadata.resourceVersion) throw new HttpError(409, 'conflict');
    return stored;
  }

  async addFinalizer(obj: TraceCollector, finalizer: string): Promise<TraceCollector> {
    const stored = this.precondition(obj);
    stored.metadata.finalizers = [...(stored.metadata.finalizers ?? []), finalizer];
    stored.metadata.resourceVersion = String(++this.rv);
    return structuredClone(stored);
  }

  async removeFinalizer(obj: TraceCollector, finalizer: string): Promise<void> {
    const stored = this.precondition(obj);
    stored.metadata.finalizers = (stored.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    stored.metadata.resourceVersion = String(++this.rv);
    if (stored.metadata.deletionTimestamp && stored.metadata.finalizers.length === 0) {
      this.collectors.delete(`${obj.metadata.namespace}/${obj.metadata.name}`);
    }
  }

  async patchStatus(namespace: string, name: string, status: TraceCollectorStatus): Promise<void> {
    const stored = this.collectors.get(`${namespace}/${name}`);
    if (!stored) throw new HttpError(404, 'not found');
    stored.status = { ...stored.status, ...structuredClone(status) };
    stored.metadata.resourceVersion = String(++this.rv);
    this.statusPatches.push({ key: `${namespace}/${name}`, status: structuredClone(status) });
  }

  // SecretReader
  async getSecret(namespace: string, name: string): Promise<Record<string, Buffer> | undefined> {
    if (this.forbiddenSecrets) throw new HttpError(403, 'forbidden');
    return this.secrets.get(`${namespace}/${name}`);
  }
}

export function secretReader(api: FakeApi): SecretReader {
  return { get: (namespace, name) => api.getSecret(namespace, name) };
}

export async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 3000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
