import assert from 'node:assert/strict';
import { TRACE_COLLECTOR_FINALIZER } from '../../src/api/types.js';
import type { KubeObjectLike, ObjectKey, RequestOptions } from '../../src/kube/client.js';
import { KubeApiError } from '../../src/kube/errors.js';
import { addFinalizer, hasFinalizer, removeFinalizer } from '../../src/kube/finalizers.js';
import { RESOURCES, type ResourceType } from '../../src/kube/resources.js';
import { patchStatus } from '../../src/kube/status.js';

/** One object; merge patches honour a metadata.resourceVersion precondition like the API server. */
class OneObject {
  object: KubeObjectLike | undefined = {
    apiVersion: 'kspan.dev/v1alpha1',
    kind: 'TraceCollector',
    metadata: { name: 'tc', namespace: 'ns', resourceVersion: '1', finalizers: ['other.io/keep'] },
  };
  patches: Array<{ patch: Record<string, unknown>; options: RequestOptions | undefined }> = [];
  /** runs before the next patch is applied (a concurrent writer) */
  beforePatch: (() => void) | undefined;

  bump(change: (o: KubeObjectLike) => void): void {
    change(this.object!);
    this.object!.metadata!.resourceVersion = String(Number(this.object!.metadata!.resourceVersion) + 1);
  }

  client = {
    get: async <T extends KubeObjectLike>(_t: ResourceType, _k: ObjectKey): Promise<T> => {
      if (!this.object) throw new KubeApiError({ statusCode: 404, reason: 'NotFound', message: 'gone', verb: 'get', resource: 'tracecollectors' });
      return structuredClone(this.object) as T;
    },
    mergePatch: async <T extends KubeObjectLike>(_t: ResourceType, _k: ObjectKey, patch: object, options?: RequestOptions): Promise<T> => {
      this.patches.push({ patch: structuredClone(patch) as Record<string, unknown>, options });
      const hook = this.beforePatch;
      this.beforePatch = undefined;
      hook?.();
      if (!this.object) throw new KubeApiError({ statusCode: 404, reason: 'NotFound', message: 'gone', verb: 'patch', resource: 'tracecollectors' });
      const meta = (patch as { metadata?: { resourceVersion?: string; finalizers?: string[] } }).metadata;
      if (meta?.resourceVersion && meta.resourceVersion !== this.object.metadata?.resourceVersion) {
        throw new KubeApiError({ statusCode: 409, reason: 'Conflict', message: 'stale', verb: 'patch', resource: 'tracecollectors' });
      }
      this.bump((o) => {
        if (meta?.finalizers) o.metadata!.finalizers = meta.finalizers;
        const status = (patch as { status?: unknown }).status;
        if (status) (o as Record<string, unknown>)['status'] = status;
      });
      return structuredClone(this.object) as T;
    },
  };
}

describe('kube/finalizers and status', () => {
  it('adds only our finalizer, with the resourceVersion as precondition', async () => {
    const server = new OneObject();
    const updated = await addFinalizer(server.client, RESOURCES.tracecollectors, server.object!, TRACE_COLLECTOR_FINALIZER);
    assert.deepEqual(updated.metadata?.finalizers, ['other.io/keep', TRACE_COLLECTOR_FINALIZER]);
    assert.deepEqual(server.patches[0]!.patch, { metadata: { resourceVersion: '1', finalizers: ['other.io/keep', TRACE_COLLECTOR_FINALIZER] } });
    // already there: no write
    await addFinalizer(server.client, RESOURCES.tracecollectors, updated, TRACE_COLLECTOR_FINALIZER);
    assert.equal(server.patches.length, 1);
    assert.equal(hasFinalizer(updated, TRACE_COLLECTOR_FINALIZER), true);
  });

  it('on a concurrent change (409) re-reads and keeps the other writer’s finalizer', async () => {
    const server = new OneObject();
    const stale = structuredClone(server.object!);
    server.beforePatch = () => server.bump((o) => o.metadata!.finalizers!.push('third.io/added'));
    const updated = await addFinalizer(server.client, RESOURCES.tracecollectors, stale, TRACE_COLLECTOR_FINALIZER);
    assert.equal(server.patches.length, 2);
    assert.deepEqual(updated.metadata?.finalizers, ['other.io/keep', 'third.io/added', TRACE_COLLECTOR_FINALIZER]);
  });

  it('removes only our finalizer; a vanished object is fine; conflicts give up after maxAttempts', async () => {
    const server = new OneObject();
    server.bump((o) => o.metadata!.finalizers!.push(TRACE_COLLECTOR_FINALIZER));
    const removed = await removeFinalizer(server.client, RESOURCES.tracecollectors, server.object!, TRACE_COLLECTOR_FINALIZER);
    assert.deepEqual(removed?.metadata?.finalizers, ['other.io/keep']);

    server.bump((o) => o.metadata!.finalizers!.push(TRACE_COLLECTOR_FINALIZER));
    const snapshot = structuredClone(server.object!);
    server.object = undefined;
    assert.equal(await removeFinalizer(server.client, RESOURCES.tracecollectors, snapshot, TRACE_COLLECTOR_FINALIZER), undefined);

    const busy = new OneObject();
    busy.bump((o) => o.metadata!.finalizers!.push(TRACE_COLLECTOR_FINALIZER));
    const always = (): void => {
      busy.bump(() => undefined);
      busy.beforePatch = always;
    };
    busy.beforePatch = always;
    await assert.rejects(
      removeFinalizer(busy.client, RESOURCES.tracecollectors, busy.object!, TRACE_COLLECTOR_FINALIZER, { maxAttempts: 3 }),
      (err: unknown) => err instanceof KubeApiError && err.statusCode === 409,
    );
    assert.equal(busy.patches.length, 3);
  });

  it('patchStatus sends a merge patch of status to the status subresource', async () => {
    const server = new OneObject();
    await patchStatus(server.client, RESOURCES.tracecollectors, { namespace: 'ns', name: 'tc' }, { eventsReceived: 3 }, { resourceVersion: '1' });
    assert.deepEqual(server.patches[0], { patch: { status: { eventsReceived: 3 }, metadata: { resourceVersion: '1' } }, options: { subresource: 'status' } });
  });
});
