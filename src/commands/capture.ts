/**
 * `kspan capture`: records what the operator's engine would read of chosen namespaces, as the
 * operator reads it (docs/design.md §6): the object caches' list+watches with the engine's
 * projection, synced before the Events watch starts, every object version and Event written in
 * the order received, after a header record naming the settings. For bug reports and recordings.
 */

import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import type { OwnerKindRule } from '../api/types.js';
import type { KubeEvent } from '../engine/types.js';
import type { KubeObjectLike } from '../kube/client.js';
import { readClusterUid } from '../kube/cluster-identity.js';
import { createKubeClient, type HttpKubeClient } from '../kube/http-client.js';
import { ObjectCache } from '../kube/object-cache.js';
import { customResource, RESOURCES } from '../kube/resources.js';
import { SharedWatches, type SharedSubscription } from '../kube/shared-watches.js';
import { makeHeader } from '../replay/header.js';
import { CaptureWriter } from '../replay/writer.js';
import { type Command, UserError } from './command.js';
import { loadRules } from './replay.js';
import { kspanVersion } from './version.js';

export const CAPTURE_USAGE = `Usage: kspan capture --namespace NS [--namespace NS ...] [options]

Records what kspan's engine reads of the given namespaces, as the operator reads it: the Pods,
ReplicaSets, Deployments, StatefulSets, DaemonSets, Jobs and CronJobs (projected as the operator's
caches keep them), listed before the Events are watched, then every object version and Event in
the order received. The first record names the settings 'kspan replay' then uses, and the
cluster (the uid of its kube-system Namespace, k8s.cluster.uid on the replayed spans). Events that
exist before the capture starts are not recorded. Stops after --duration, or on Ctrl-C.

Options:
  --namespace NS, -n NS   namespace to record (repeatable; "*" for all namespaces)
  --duration D            how long to record: 90s, 5m, 1h (default 60s)
  --output FILE, -o FILE  write here instead of standard output
  --rules FILE            owner-kind rules (as spec.ownerKindRules): their target kinds are
                          recorded too, and the header names them
  --window SECONDS        the correlation window the header names for replay (default 5)
  --kubeconfig PATH       kubeconfig file (else $KUBECONFIG, else in-cluster config)
`;

/** "90s", "5m", "1h", "1500ms" or plain seconds -> ms. */
export function parseDuration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!m) throw new UserError(`--duration: want e.g. 90s, 5m or 1h, got "${value}"`);
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return n * unit;
}

export interface CaptureSession {
  writer: CaptureWriter;
  /** resolves once the object caches have listed and the Events watches run; false when stopped first */
  started: Promise<boolean>;
  /** the failures of the watches, newest last (403s included), while they retry */
  problems(): string[];
  stop(): Promise<void>;
}

/**
 * Starts recording: the object caches of `namespaces` (the operator's ObjectCache on
 * SharedWatches: same kinds, same views, same projection), and once they have listed, the
 * Events of the same namespaces. Records go to `writer` in receive order; JavaScript runs the
 * watches' callbacks one at a time, so that is one order.
 */
export function startCapture(options: {
  client: HttpKubeClient;
  namespaces: readonly string[];
  rules: readonly OwnerKindRule[];
  writer: CaptureWriter;
  now?: () => number;
}): CaptureSession {
  const { client, namespaces, writer } = options;
  const now = options.now ?? Date.now;
  const watches = new SharedWatches({ client });
  const cache = new ObjectCache({ watches });
  for (const rule of options.rules) if (rule.targetApiVersion) cache.addResource(customResource(rule.targetApiVersion, rule.targetKind));
  const holds = namespaces.map((ns) => cache.retain(ns, (object) => void writer.object(object, now())));
  const events: SharedSubscription[] = [];
  const failures = new Map<string, string>();
  let stopped = false;

  const started = cache.waitForSync().then((synced) => {
    if (!synced || stopped) return false;
    for (const namespace of namespaces) {
      let listed = false;
      events.push(
        watches.subscribe<KubeObjectLike>(
          { resource: RESOURCES.events, namespace, keep: 'versions' },
          {
            // Events that existed before the capture are history, not part of it.
            onEvent: ({ type, object }) => {
              if (listed && type !== 'DELETED') writer.event(object as unknown as KubeEvent, now());
            },
            onSynced: () => {
              listed = true;
            },
          },
        ),
      );
    }
    return true;
  });

  return {
    writer,
    started,
    problems() {
      for (const info of watches.list()) {
        const error = info.stats.lastError;
        if (error) failures.set(info.key, error.message);
        else failures.delete(info.key);
      }
      return [...failures.values()];
    },
    async stop() {
      stopped = true;
      for (const sub of events) sub.unsubscribe();
      for (const hold of holds) hold.release();
      cache.stop();
      await watches.stop();
    },
  };
}

export const captureCommand: Command = async (args, io) => {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      help: { type: 'boolean', short: 'h' },
      namespace: { type: 'string', short: 'n', multiple: true },
      duration: { type: 'string' },
      output: { type: 'string', short: 'o' },
      rules: { type: 'string' },
      window: { type: 'string' },
      kubeconfig: { type: 'string' },
    },
  });
  if (values.help) {
    io.stdout.write(CAPTURE_USAGE);
    return 0;
  }
  const namespaces = values.namespace ?? [];
  if (namespaces.length === 0) throw new UserError('give at least one --namespace (or --namespace "*")');
  const durationMs = parseDuration(values.duration ?? '60s');
  const rules = values.rules !== undefined ? await loadRules(values.rules) : [];
  const window = values.window !== undefined ? Number(values.window) : undefined;
  if (window !== undefined && !(Number.isFinite(window) && window > 0)) throw new UserError(`--window must be a positive number of seconds, got '${values.window}'`);
  let client: HttpKubeClient;
  try {
    client = createKubeClient(values.kubeconfig);
  } catch (err) {
    throw new UserError(err instanceof Error ? err.message : String(err), 1);
  }

  const stream = values.output ? createWriteStream(values.output) : io.stdout;
  if (values.output) await once(stream, 'open');
  // Which cluster, for the replayed spans' resource (k8s.cluster.uid): a capture without it still replays.
  const cluster = await readClusterUid(client);
  if ('problem' in cluster) io.stderr.write(`kspan capture: the header records no cluster uid: ${cluster.problem}\n`);
  const header = makeHeader({
    kspanVersion: await kspanVersion(),
    recorder: 'capture',
    namespaces,
    spec: { ownerKindRules: rules, ...(window !== undefined ? { correlation: { recentWindowSeconds: window } } : {}) },
    clusterUid: 'uid' in cluster ? cluster.uid : undefined,
  });
  const writer = new CaptureWriter((line) => void stream.write(line), header, Date.now());
  const session = startCapture({ client, namespaces, rules, writer });

  io.stderr.write(`kspan capture: listing the objects of ${namespaces.join(', ')}\n`);
  const reported = new Set<string>();
  const report = (): void => {
    for (const problem of session.problems()) {
      if (!reported.has(problem)) io.stderr.write(`kspan capture: ${problem} (retrying)\n`);
      reported.add(problem);
    }
  };
  const reporter = setInterval(report, 500);
  const listing = await wait(session.started, durationMs);
  if (listing === 'done') {
    io.stderr.write(`kspan capture: recording events of ${namespaces.join(', ')} for ${durationMs / 1000}s\n`);
    await wait(undefined, durationMs);
  }
  clearInterval(reporter);
  report();
  await session.stop();
  writer.finish(Date.now());
  if (values.output) {
    stream.end();
    await once(stream, 'finish');
  }
  io.stderr.write(`kspan capture: ${writer.events} events, ${writer.objects} objects, ${writer.bytes} bytes\n`);
  if (listing === 'time') throw new UserError(`the object caches did not list within ${durationMs / 1000}s${reported.size > 0 ? `: ${[...reported].at(-1)}` : ''}`, 1);
  return 0;
};

/** Waits for `promise` (if any), `ms` or Ctrl-C, whichever comes first. */
function wait(promise: Promise<unknown> | undefined, ms: number): Promise<'done' | 'time' | 'signal'> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish('time'), ms);
    const interrupted = (): void => finish('signal');
    function finish(how: 'done' | 'time' | 'signal'): void {
      clearTimeout(timer);
      process.off('SIGINT', interrupted);
      process.off('SIGTERM', interrupted);
      resolve(how);
    }
    process.on('SIGINT', interrupted);
    process.on('SIGTERM', interrupted);
    void promise?.then(() => finish('done'));
  });
}
