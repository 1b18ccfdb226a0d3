/** `kspan operator`'s composition root: builds the client, watches, reconciler, leader election and endpoints, starts them, stops them in order on SIGTERM. */

import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { API_GROUP, TRACE_COLLECTOR_FINALIZER, TRACE_COLLECTOR_KIND } from '../api/types.js';
import { TraceCollectorController } from '../controller/index.js';
import type { KubeObjectLike } from '../kube/client.js';
import { createKubeClient, type HttpKubeClient } from '../kube/http-client.js';
import { ClusterSource } from '../kube/cluster-source.js';
import { LeaderElector } from '../kube/leader-election.js';
import { RESOURCES } from '../kube/resources.js';
import type { SharedSubscription } from '../kube/shared-watches.js';
import { WorkQueue } from '../kube/work-queue.js';
import { createLogger, HttpServer, OperatorMetrics } from '../observability/index.js';
import { type Command, UserError } from './command.js';
import { pipelineFactory, readClusterUidOrWarn, secretReader, traceCollectorChange, traceCollectorClient } from './operator/adapters.js';
import { fileRecorders } from './operator/recorder.js';
import { kspanVersion } from './version.js';
import { OPERATOR_USAGE, parseOperatorFlags } from './operator/flags.js';

export { OPERATOR_USAGE, parseOperatorFlags, type OperatorFlags } from './operator/flags.js';

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
  const clusterUid = await readClusterUidOrWarn(client, log);
  const identity = io.env['POD_NAME'] || `${hostname()}_${process.pid}`;
  const metrics = new OperatorMetrics();
  const source = new ClusterSource({ client, logger: log.child({ component: 'watches' }) });
  if (flags.recordDir !== undefined) {
    try {
      await mkdir(flags.recordDir, { recursive: true });
    } catch (err) {
      throw new UserError(`--record-dir ${flags.recordDir}: ${err instanceof Error ? err.message : String(err)}`, 1);
    }
  }

  // Built at once but inert until start(): a standby keeps its store current from the watch, so
  // that it reconciles from what it has seen the moment it leads.
  const controller = new TraceCollectorController({
    client: traceCollectorClient(client),
    secrets: secretReader(client),
    queue: new WorkQueue({ logger: log.child({ component: 'queue' }) }),
    pipelines: pipelineFactory({
      source,
      metrics,
      log,
      ...(flags.recordDir !== undefined ? { recorders: fileRecorders(flags.recordDir, await kspanVersion(), log, clusterUid) } : {}),
      checkpoints: { client, intervalMs: flags.checkpointIntervalMs },
      clusterUid,
    }),
    log,
    options: {
      noCrossNamespaceRefs: flags.noCrossNamespaceRefs,
      statusIntervalMs: flags.statusIntervalMs,
      resyncIntervalMs: flags.resyncIntervalMs,
      flushTimeoutMs: flags.shutdownTimeoutMs,
    },
  });
  const startController = (): void => {
    log.info({ identity }, 'starting the TraceCollector reconciler');
    controller.start();
  };

  // TraceCollector watches (one per managed namespace, or one cluster-wide).
  const scopes = flags.watchNamespaces.length > 0 ? flags.watchNamespaces : ['*'];
  const collectorWatches: SharedSubscription[] = scopes.map((namespace) =>
    source.watches.subscribe<KubeObjectLike>(
      { resource: RESOURCES.tracecollectors, namespace },
      {
        onEvent: (event) => controller.observe(traceCollectorChange(event)),
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
    collectors: () => controller.pipelines().map(({ namespace, name, pipeline }) => ({ namespace, name, ...pipeline.stats() })),
    queueDepth: () => controller.queueDepth,
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
          const waiting = controller.unreconciled();
          return waiting > 0 ? `${waiting} ${TRACE_COLLECTOR_KIND}(s) not reconciled yet` : undefined;
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
      await controller.stop(deadline);
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
  log.info({ watchNamespaces: scopes, group: API_GROUP, finalizer: TRACE_COLLECTOR_FINALIZER }, 'operator started');

  const code = await done;
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  return exitCode || code;
};
