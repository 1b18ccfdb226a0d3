/** In-memory ClusterSourcePort for unit tests: tests push events and namespaces by hand. */

import type { KubeEvent, KubeObject, ObjectLookup, ObjectRef } from '../../../src/engine/types.js';
import type { ClusterSourcePort, NamespaceInfo, Subscription, WatchHandlers } from '../../../src/pipeline/ports.js';

export class FakeClusterSource implements ClusterSourcePort {
  readonly eventWatchers = new Map<string, Set<WatchHandlers<KubeEvent>>>();
  readonly namespaceWatchers = new Set<WatchHandlers<NamespaceInfo>>();
  readonly retained = new Map<string, number>();
  readonly objects = new Map<string, KubeObject>();
  readonly extraKinds = new Set<string>();
  readonly lookup: ObjectLookup = {
    get: (ref: ObjectRef) => this.objects.get(`${ref.kind}/${ref.namespace}/${ref.name}`),
  };

  watchEvents(namespace: string, handlers: WatchHandlers<KubeEvent>): Subscription {
    let set = this.eventWatchers.get(namespace);
    if (!set) this.eventWatchers.set(namespace, (set = new Set()));
    set.add(handlers);
    return { unsubscribe: () => void set.delete(handlers) };
  }

  watchObjectKind(apiVersion: string, kind: string): void {
    this.extraKinds.add(`${apiVersion}/${kind}`);
  }

  watchNamespaces(handlers: WatchHandlers<NamespaceInfo>): Subscription {
    this.namespaceWatchers.add(handlers);
    return { unsubscribe: () => void this.namespaceWatchers.delete(handlers) };
  }

  /** the retainers' object listeners, by namespace */
  readonly objectListeners = new Map<string, Set<(object: KubeObject) => void>>();

  retainObjects(namespace: string, onObject?: (object: KubeObject, previous: KubeObject | undefined) => void): Subscription {
    this.retained.set(namespace, (this.retained.get(namespace) ?? 0) + 1);
    let listeners = this.objectListeners.get(namespace);
    if (!listeners) this.objectListeners.set(namespace, (listeners = new Set()));
    const listener = onObject ? (object: KubeObject) => onObject(object, undefined) : undefined;
    if (listener) listeners.add(listener);
    let done = false;
    return {
      unsubscribe: () => {
        if (done) return;
        done = true;
        if (listener) listeners.delete(listener);
        this.retained.set(namespace, (this.retained.get(namespace) ?? 1) - 1);
      },
    };
  }

  /** Namespaces with at least one event watcher. */
  watchedNamespaces(): string[] {
    return [...this.eventWatchers].filter(([, s]) => s.size > 0).map(([ns]) => ns).sort();
  }

  /** Puts an object into the lookup and tells the namespace's retainers, like a cache watch. */
  putObject(namespace: string, object: KubeObject): void {
    this.objects.set(`${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`, object);
    for (const listener of this.objectListeners.get(namespace) ?? []) listener(object);
  }

  emitEvent(namespace: string, event: KubeEvent): void {
    for (const h of this.eventWatchers.get(namespace) ?? []) h.onObject(event);
  }

  syncEvents(namespace: string): void {
    for (const h of this.eventWatchers.get(namespace) ?? []) h.onSynced?.();
  }

  problem(namespace: string, status: number): void {
    for (const h of this.eventWatchers.get(namespace) ?? []) {
      h.onProblem?.({ status, verb: 'list', resource: 'events', namespace, message: `status ${status}` });
    }
  }

  namespace(ns: NamespaceInfo, deleted = false): void {
    for (const h of this.namespaceWatchers) (deleted ? h.onDelete : h.onObject)?.(ns);
  }

  syncNamespaces(): void {
    for (const h of this.namespaceWatchers) h.onSynced?.();
  }
}
