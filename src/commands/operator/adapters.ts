/** The operator's adapters: the kube, export, engine and pipeline layers behind the controller's ports. */

import type { TraceCollector } from '../../api/types.js';
import type { PipelineFactory, SecretReader, TraceCollectorChange, TraceCollectorClient } from '../../controller/index.js';
import type { Logger } from '../../core/log.js';
import { Correlator, engineConfigFromSpec, tickIntervalMs } from '../../engine/index.js';
import { createOtlpExporter, K8S_CLUSTER_UID } from '../../export/index.js';
import type { KubeObjectLike } from '../../kube/client.js';
import type { HttpKubeClient } from '../../kube/http-client.js';
import { CLUSTER_UID_NAMESPACE, readClusterUid } from '../../kube/cluster-identity.js';
import { KubeApiError } from '../../kube/errors.js';
import { addFinalizer, removeFinalizer } from '../../kube/finalizers.js';
import type { ChangeEvent } from '../../kube/list-watch.js';
import { RESOURCES } from '../../kube/resources.js';
import { patchStatus } from '../../kube/status.js';
import type { OperatorMetrics } from '../../observability/index.js';
import { Pipeline, type ClusterSourcePort, type EngineFactory, type SpanExporterPort } from '../../pipeline/index.js';
import { CHECKPOINT_DEFAULTS, type CheckpointWriter } from '../../pipeline/delivery.js';
import type { InputRecorder, InputRecorderRequest } from '../../pipeline/pipeline.js';

export const engine: EngineFactory = {
  create: (config, lookup) => new Correlator(config, lookup),
  tickIntervalMs,
  configFromSpec: engineConfigFromSpec,
};

/** The reconciler's writes to TraceCollectors, over the kube layer (its reads come from the watch). */
export function traceCollectorClient(client: HttpKubeClient): TraceCollectorClient {
  const type = RESOURCES.tracecollectors;
  return {
    addFinalizer: (obj, finalizer) => addFinalizer(client, type, obj as TraceCollector & KubeObjectLike, finalizer),
    async removeFinalizer(obj, finalizer) {
      await removeFinalizer(client, type, obj as TraceCollector & KubeObjectLike, finalizer);
    },
    async patchStatus(namespace, name, status) {
      await patchStatus(client, type, { namespace, name }, status as Record<string, unknown>);
    },
  };
}

/** A TraceCollector watch event as the controller takes it (the API server validated the object's shape). */
export function traceCollectorChange(event: ChangeEvent<KubeObjectLike>): TraceCollectorChange {
  return { type: event.type, object: event.object as unknown as TraceCollector };
}

export function secretReader(client: HttpKubeClient): SecretReader {
  return {
    async get(namespace, name) {
      try {
        const secret = await client.get<KubeObjectLike & { data?: Record<string, string> }>(RESOURCES.secrets, { namespace, name });
        return Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
      } catch (err) {
        if (err instanceof KubeApiError && err.statusCode === 404) return undefined;
        throw err;
      }
    },
  };
}

/**
 * The cluster's uid for every span's resource, read once: a kube-system Namespace keeps its uid
 * for the cluster's life. Without it the operator runs on, and says once why spans lack it.
 */
export async function readClusterUidOrWarn(client: HttpKubeClient, log: Logger): Promise<string | undefined> {
  const result = await readClusterUid(client);
  if ('uid' in result) {
    log.info({ [K8S_CLUSTER_UID]: result.uid }, 'cluster identified');
    return result.uid;
  }
  log.warn(
    { attribute: K8S_CLUSTER_UID, problem: result.problem },
    `spans carry no ${K8S_CLUSTER_UID}: ${result.problem}; a TraceCollector's resourceAttributes can set it, or restart the operator once it can read the ${CLUSTER_UID_NAMESPACE} Namespace`,
  );
  return undefined;
}

/**
 * A collector's checkpoints go to its own status (docs/design.md §4.8): a merge patch of
 * `status.checkpoint` alone, which the reconciler's status write never touches. A collector
 * deleted meanwhile has nothing left to continue: its 404 is no failure.
 */
export function checkpointWriter(client: HttpKubeClient, collector: { namespace: string; name: string }): CheckpointWriter {
  return {
    async write(record) {
      try {
        // A merge patch's null removes the field.
        await patchStatus(client, RESOURCES.tracecollectors, collector, { checkpoint: record });
      } catch (err) {
        if (err instanceof KubeApiError && err.statusCode === 404) return;
        throw err;
      }
    },
  };
}

export interface PipelineFactoryOptions {
  source: ClusterSourcePort;
  metrics: OperatorMetrics;
  log: Logger;
  recorders?: (request: InputRecorderRequest) => InputRecorder;
  /** where checkpoints go, and the shortest time between two (0: no checkpoints) */
  checkpoints?: { client: HttpKubeClient; intervalMs: number };
  /** k8s.cluster.uid for every span's resource, when it could be read */
  clusterUid?: string | undefined;
}

/** Pipelines on the shared cluster source, each with its own OTLP exporter timed into the metrics. */
export function pipelineFactory({ source, metrics, log, recorders, checkpoints, clusterUid }: PipelineFactoryOptions): PipelineFactory {
  return {
    create: ({ collector, settings, baseline, onStateChange, continueFrom }) => {
      const plog = log.child({ collector });
      return new Pipeline({
        collector,
        settings,
        baseline,
        onStateChange,
        source,
        engine,
        log: plog,
        ...(recorders ? { createRecorder: recorders } : {}),
        ...(checkpoints && checkpoints.intervalMs > 0
          ? { checkpoints: { ...CHECKPOINT_DEFAULTS, intervalMs: checkpoints.intervalMs, writer: checkpointWriter(checkpoints.client, collector) } }
          : {}),
        ...(continueFrom ? { continueFrom } : {}),
        createExporter: (config) => {
          const exporter: SpanExporterPort = createOtlpExporter(config, { logger: plog, clusterUid });
          exporter.onExportRequest?.(({ durationMs, ok }) =>
            metrics.exportLatency.observe({ ...collector, outcome: ok ? 'success' : 'failure' }, durationMs / 1000),
          );
          return exporter;
        },
      });
    },
  };
}
