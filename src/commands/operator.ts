/**
 * `kspan operator`: the composition root of the operator process. It builds the concrete parts
 * (Kubernetes client, shared watches and object caches, engine, OTLP exporters, reconciler,
 * leader election, HTTP endpoints), starts them, and stops them in order on SIGTERM/SIGINT.
 */

import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { API_GROUP, TRACE_COLLECTOR_KIND, type TraceCollector } from '../api/types.js';
import { FINALIZER, TraceCollectorController, type SecretReader, type TraceCollectorClient } from '../controller/index.js';
import { Correlator, engineConfigFromSpec, tickIntervalMs } from '../engine/index.js';
import { createOtlpExporter } from '../export/index.js';
import type { KubeObjectLike } from '../kube/client.js';
import { createKubeClient, type HttpKubeClient } from '../kube/client.js';
import { ClusterSource } from '../kube/cluster-source.js';
import { KubeApiError } from '../kube/errors.js';
import { addFinalizer, removeFinalizer } from '../kube/finalizers.js';
import { LeaderElector } from '../kube/leader-election.js';
import { RESOURCES } from '../kube/resources.js';
import type { SharedSubscription } from '../kube/shared-watches.js';
import { patchStatus } from '../kube/status.js';
import { WorkQueue } from '../kube/work-queue.js';
import { createLogger, HttpServer, LOG_LEVELS, OperatorMetrics, type LogLevel } from '../observability/index.js';
import { Pipeline, type EngineFactory, type SpanExporterPort } from '../pipeline/index.js';
import { type Command, UserError } from './command.js';

export const OPERATOR_USAGE = `Usage: kspan operator [options]

Runs the TraceCollector operator: reconciles TraceCollectors into event pipelines that export
OpenTelemetry traces, and writes their status back.

Options:
  --kubeconfig PATH                 kubeconfig file (else $KUBECONFIG, else in-cluster config)
  --watch-namespaces a,b            namespaces whose TraceCollectors are managed (default: all)
  --metrics-bind-address ADDR       /metrics address (default 0.0.0.0:8080; "0" disables)
  --health-bind-address ADDR        /healthz and /readyz address (default 0.0.0.0:8081; "0" disables)
  --leader-elect                    elect a leader through a Lease; only the leader runs pipelines
  --leader-election-namespace NS    Lease namespace (default $POD_NAMESPACE, else kspan-system)
  --leader-election-id NAME         Lease name (default kspan-leader)
  --no-cross-namespace-refs         a TraceCollector may only watch its own namespace
  --log-level LEVEL                 debug, info, warn or error (default info)
  --shutdown-timeout-seconds N      time allowed to flush and stop on SIGTERM (default 10)

Advanced (tuning, mostly for tests):
  --status-interval-seconds N       at most one status patch per collector per N s (default 5)
  --resync-interval-seconds N       reconcile every collector again after N s, re-reading Secrets (default 300)
  --lease-duration-seconds N        leader lease duration (default 15)
  --lease-renew-deadline-seconds N  the leader steps down when it cannot renew for N s (default 10)
  --lease-retry-period-seconds N    pause between leader election attempts (default 2)
`;

interface OperatorFlags {
  kubeconfig?: string;
  watchNamespaces: string[];
  metricsBind: string;
  healthBind: string;
  leaderElect: boolean;
  leaseNamespace: string;
  leaseName: string;
  noCrossNamespaceRefs: boolean;
  logLevel: LogLevel;
  shutdownTimeoutMs: number;
  statusIntervalMs: number;
  resyncIntervalMs: number;
  lease: { duration: number; renewDeadline: number; retryPeriod: number };
}

function seconds(name: string, value: string | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) throw new UserError(`--${name}: want a number of seconds >= ${min}, got "${value}"`);
  return n;
}

export function parseOperatorFlags(args: string[], env: NodeJS.ProcessEnv): OperatorFlags | 'help' {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      help: { type: 'boolean', short: 'h' },
      kubeconfig: { type: 'string' },
      'watch-namespaces': { type: 'string' },
      'metrics-bind-address': { type: 'string' },
      'health-bind-address': { type: 'string' },
      'leader-elect': { type: 'boolean' },
      'leader-election-namespace': { type: 'string' },
      'leader-election-id': { type: 'string' },
      'no-cross-namespace-refs': { type: 'boolean' },
      'log-level': { type: 'string' },
      'shutdown-timeout-seconds': { type: 'string' },
      'status-interval-seconds': { type: 'string' },
      'resync-interval-seconds': { type: 'string' },
      'lease-duration-seconds': { type: 'string' },
      'lease-renew-deadline-seconds': { type: 'string' },
      'lease-retry-period-seconds': { type: 'string' },
    },
  });
  if (values.help) return 'help';
  const logLevel = (values['log-level'] ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new UserError(`--log-level: want one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  const flags: OperatorFlags = {
    watchNamespaces: (values['watch-namespaces'] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== ''),
    metricsBind: values['metrics-bind-address'] ?? '0.0.0.0:8080',
    healthBind: values['health-bind-address'] ?? '0.0.0.0:8081',
    leaderElect: values['leader-elect'] ?? false,
    leaseNamespace: values['leader-election-namespace'] ?? env['POD_NAMESPACE'] ?? 'kspan-system',
    leaseName: values['leader-election-id'] ?? 'kspan-leader',
    noCrossNamespaceRefs: values['no-cross-namespace-refs'] ?? false,
    logLevel,
    shutdownTimeoutMs: seconds('shutdown-timeout-seconds', values['shutdown-timeout-seconds'], 10, 1) * 1000,
    statusIntervalMs: seconds('status-interval-seconds', values['status-interval-seconds'], 5, 0.05) * 1000,
    resyncIntervalMs: seconds('resync-interval-seconds', values['resync-interval-seconds'], 300, 0.1) * 1000,
    lease: {
      duration: seconds('lease-duration-seconds', values['lease-duration-seconds'], 15, 1),
      renewDeadline: seconds('lease-renew-deadline-seconds', values['lease-renew-deadline-seconds'], 10, 0.5),
      retryPeriod: seconds('lease-retry-period-seconds', values['lease-retry-period-seconds'], 2, 0.1),
    },
  };
  if (values.kubeconfig !== undefined) flags.kubeconfig = values.kubeconfig;
  return flags;
}

const engine: EngineFactory = {
  create: (config, lookup) => new Correlator(config, lookup),
  tickIntervalMs,
  configFromSpec: engineConfigFromSpec,
};

/** The reconciler's API access, over the kube layer. */
function traceCollectorClient(client: HttpKubeClient): TraceCollectorClient {
  const type = RESOURCES.tracecollectors;
  return {
    async get(namespace, name) {
      try {
        return await client.get<TraceCollector & KubeObjectLike>(type, { namespace, name });
      } catch (err) {
        if (err instanceof KubeApiError && err.statusCode === 404) return undefined;
        throw err;
      }
    },
    addFinalizer: (obj, finalizer) => addFinalizer(client, type, obj as TraceCollector & KubeObjectLike, finalizer),
    async removeFinalizer(obj, finalizer) {
      await removeFinalizer(client, type, obj as TraceCollector & KubeObjectLike, finalizer);
    },
    async patchStatus(namespace, name, status) {
      await patchStatus(client, type, { namespace, name }, status as Record<string, unknown>);
    },
  };
}

function secretReader(client: HttpKubeClient): SecretReader {
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

/** Only changes a reconcile acts on: new objects, spec (generation), deletion, finalizers. */
function reconcileRelevant(obj: KubeObjectLike): string {
  const m = obj.metadata ?? {};
  return JSON.stringify([m.generation, m.deletionTimestamp, m.finalizers]);
}

export const operatorCommand: Command = async (args, io) => {
  const flags = parseOperatorFlags(args, io.env);
  if (flags === 'help') {
    io.stdout.write(OPERATOR_USAGE);
    return 0;
  }
  const log = createLogger({ level: flags.logLevel, destination: io.stdout });
  let client: HttpKubeClient;
  try {
    client = createKubeClient(flags.kubeconfig);
  } catch (err) {
    throw new UserError(err instanceof Error ? err.message : String(err), 1);
  }
  const identity = io.env['POD_NAME'] || `${hostname()}_${process.pid}`;
  const metrics = new OperatorMetrics();
  const source = new ClusterSource({ client, logger: log.child({ component: 'watches' }) });

  let controller: TraceCollectorController | undefined;
  const reconciledOnce = new Set<string>();
  const known = new Map<string, string>();
  const startController = (): void => {
    if (controller) return;
    log.info({ identity }, 'starting the TraceCollector reconciler');
    controller = new TraceCollectorController({
      client: traceCollectorClient(client),
      secrets: secretReader(client),
      queue: new WorkQueue({ logger: log.child({ component: 'queue' }) }),
      log,
      options: {
        noCrossNamespaceRefs: flags.noCrossNamespaceRefs,
        statusIntervalMs: flags.statusIntervalMs,
        resyncIntervalMs: flags.resyncIntervalMs,
        flushTimeoutMs: flags.shutdownTimeoutMs,
      },
      onReconciled: (key) => reconciledOnce.add(key),
      pipelines: {
        create: ({ collector, settings, baseline, onStateChange }) => {
          const plog = log.child({ collector });
          return new Pipeline({
            collector,
            settings,
            baseline,
            onStateChange,
            source,
            engine,
            log: plog,
            createExporter: (config) => {
              const exporter: SpanExporterPort = createOtlpExporter(config, { logger: plog });
              exporter.onExportRequest?.(({ durationMs, ok }) =>
                metrics.exportLatency.observe({ ...collector, outcome: ok ? 'success' : 'failure' }, durationMs / 1000),
              );
              return exporter;
            },
          });
        },
      },
    });
    for (const key of known.keys()) {
      const [namespace, name] = key.split('/') as [string, string];
      controller.enqueue(namespace, name);
    }
  };

  // TraceCollector watches (one per managed namespace, or one cluster-wide).
  const scopes = flags.watchNamespaces.length > 0 ? flags.watchNamespaces : ['*'];
  const collectorWatches: SharedSubscription[] = scopes.map((namespace) =>
    source.watches.subscribe<KubeObjectLike>(
      { resource: RESOURCES.tracecollectors, namespace },
      {
        onEvent: ({ type, object }) => {
          const ns = object.metadata?.namespace ?? '';
          const name = object.metadata?.name ?? '';
          const key = `${ns}/${name}`;
          const relevant = reconcileRelevant(object);
          if (type === 'DELETED') known.delete(key);
          else if (known.get(key) === relevant) return;
          else known.set(key, relevant);
          controller?.enqueue(ns, name);
        },
        onError: (err) => log.warn({ err: err.toJSON() }, `watch of ${TRACE_COLLECTOR_KIND}s failing, retrying`),
      },
    ),
  );

  let elector: LeaderElector | undefined;
  let leading = !flags.leaderElect;
  let exitCode = 0;
  let stopping: Promise<void> | undefined;
  let resolveDone: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => (resolveDone = resolve));

  metrics.setSources({
    collectors: () =>
      (controller?.pipelines() ?? []).map(({ namespace, name, pipeline }) => ({ namespace, name, ...pipeline.stats() })),
    queueDepth: () => controller?.queueDepth ?? 0,
    watches: () => source.watches.list().map((w) => ({ key: w.key, resource: w.scope.resource.plural, restarts: w.stats.restarts, relists: w.stats.relists })),
    objectCache: () => source.cache.stats(),
  });

  const servers: HttpServer[] = [];
  try {
    if (flags.metricsBind !== '0') {
      const server = await HttpServer.start(flags.metricsBind, { metrics: () => metrics.render() });
      servers.push(server);
      log.info({ address: server.address }, 'serving /metrics');
    }
    if (flags.healthBind !== '0') {
      const server = await HttpServer.start(flags.healthBind, {
        healthz: () => (stopping ? 'shutting down' : undefined),
        readyz: () => {
          if (stopping) return 'shutting down';
          if (!collectorWatches.every((w) => w.synced)) return `the ${TRACE_COLLECTOR_KIND} cache is not synced`;
          if (!leading) return undefined;
          const waiting = [...known.keys()].filter((k) => !reconciledOnce.has(k));
          return waiting.length > 0 ? `${waiting.length} ${TRACE_COLLECTOR_KIND}(s) not reconciled yet` : undefined;
        },
      });
      servers.push(server);
      log.info({ address: server.address }, 'serving /healthz and /readyz');
    }
  } catch (err) {
    for (const s of servers) await s.close();
    for (const w of collectorWatches) w.unsubscribe();
    await source.stop();
    throw new UserError(`cannot listen: ${err instanceof Error ? err.message : String(err)}`, 1);
  }

  const shutdown = (reason: string, code: number): Promise<void> => {
    if (stopping) return stopping;
    exitCode = code;
    const deadline = Date.now() + flags.shutdownTimeoutMs - 500;
    log.info({ reason, deadlineMs: flags.shutdownTimeoutMs }, 'shutting down: stopping watches, flushing pipelines');
    // A stuck step must not keep the process past its grace period.
    const hardStop = setTimeout(() => {
      log.error({}, 'shutdown took too long, exiting');
      process.exit(code || 1);
    }, flags.shutdownTimeoutMs);
    hardStop.unref();
    stopping = (async () => {
      for (const w of collectorWatches) w.unsubscribe();
      await controller?.stop(deadline);
      await source.stop();
      await elector?.stop();
      for (const s of servers) await s.close();
      clearTimeout(hardStop);
      log.info({ exitCode: code }, 'stopped');
      resolveDone(code);
    })().catch((err: unknown) => {
      log.error({ err }, 'shutdown failed');
      resolveDone(1);
    });
    return stopping;
  };

  const onSignal = (signal: NodeJS.Signals): void => void shutdown(signal, 0);
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  if (flags.leaderElect) {
    elector = new LeaderElector({
      client,
      namespace: flags.leaseNamespace,
      name: flags.leaseName,
      identity,
      leaseDurationSeconds: flags.lease.duration,
      renewDeadlineSeconds: flags.lease.renewDeadline,
      retryPeriodSeconds: flags.lease.retryPeriod,
      logger: log.child({ component: 'leader-election' }),
      onStartedLeading: () => {
        leading = true;
        startController();
      },
      onStoppedLeading: () => {
        leading = false;
        // Another replica may lead now: stop at once rather than run pipelines twice; the
        // restarted process comes back as a standby.
        if (!stopping) void shutdown('lost leadership', 1);
      },
      onNewLeader: (holder) => log.info({ leader: holder ?? null }, 'leader observed'),
    });
    log.info({ identity, lease: `${flags.leaseNamespace}/${flags.leaseName}` }, 'waiting to become leader');
    elector.start();
  } else {
    startController();
  }
  log.info({ watchNamespaces: scopes, group: API_GROUP, finalizer: FINALIZER }, 'operator started');

  const code = await done;
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  return exitCode || code;
};
