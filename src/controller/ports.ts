/** What the reconciler needs from the edges: the composition root adapts the kube layer to these, unit tests use fakes. */

import type { TraceCollector, TraceCollectorStatus } from '../api/types.js';
import type { Checkpoint } from '../pipeline/checkpoint.js';
import type { PipelineCounters, PipelineSettings, PipelineStats } from '../pipeline/index.js';

/**
 * The reconciler's writes to TraceCollectors. There is no read: reconciles read the objects the
 * TraceCollector watch delivered (TraceCollectorController.observe), which a running watch keeps
 * current at no request cost.
 */
export interface TraceCollectorClient {
  /**
   * Add `finalizer` with the object's resourceVersion as precondition (a 409 rejects);
   * resolves to the updated object.
   */
  addFinalizer(obj: TraceCollector, finalizer: string): Promise<TraceCollector>;
  /** Remove only `finalizer`, with the object's resourceVersion as precondition. */
  removeFinalizer(obj: TraceCollector, finalizer: string): Promise<void>;
  /**
   * Merge-patch of the status subresource, without a resourceVersion precondition: the leader is
   * the status's only writer, and every patch carries the whole computed status.
   */
  patchStatus(namespace: string, name: string, status: TraceCollectorStatus): Promise<void>;
}

export interface SecretReader {
  /** Secret data (decoded), or undefined when the Secret does not exist. Rejects with a status-carrying error on 403. */
  get(namespace: string, name: string): Promise<Record<string, Buffer> | undefined>;
}

/** The running side of one collector, as the reconciler drives it (a Pipeline in production). */
export interface PipelineHandle {
  update(settings: PipelineSettings): void;
  /** handOver: the operator stops, a successor continues from the last checkpoint (docs/design.md §4.8) */
  stop(options: { flush: boolean; deadline: number; handOver?: boolean }): Promise<void>;
  stats(): PipelineStats;
}

export interface PipelineFactory {
  create(request: {
    collector: { namespace: string; name: string };
    settings: PipelineSettings;
    baseline: Partial<PipelineCounters>;
    onStateChange: () => void;
    /** the checkpoint in the collector's status, when there is a usable one */
    continueFrom?: Checkpoint;
  }): PipelineHandle;
}

/** The HTTP status carried by an API error (kube layer KubeApiError, client-node ApiException), if any. */
export function statusCodeOf(err: unknown): number | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const e = err as { statusCode?: unknown; code?: unknown };
  if (typeof e.statusCode === 'number') return e.statusCode;
  if (typeof e.code === 'number') return e.code;
  return undefined;
}

/** One change delivered by the TraceCollector watch (DELETED also for a deletion a relist found). */
export interface TraceCollectorChange {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: TraceCollector;
}

/** A per-key work queue with client-go semantics (src/kube WorkQueue satisfies it). */
export interface WorkQueuePort {
  add(key: string): void;
  /** Runs workers; a worker that throws is retried with backoff, one that asks for a requeue gets it. */
  start(worker: (key: string) => Promise<{ requeueAfterMs?: number } | void>, concurrency?: number): void;
  shutdown(options?: { drain?: boolean }): Promise<void>;
  stats(): { queued: number; processing: number };
}
