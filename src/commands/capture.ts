/**
 * `kspan capture`: records the Events of chosen namespaces from a live cluster, with the objects
 * they involve and those objects' owners, to the NDJSON capture format (docs/design.md §6) that
 * `kspan replay` reads — for bug reports and new test recordings.
 */

import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import type { KubeObjectLike } from '../kube/client.js';
import { createKubeClient, type HttpKubeClient } from '../kube/http-client.js';
import { KubeApiError } from '../kube/errors.js';
import { ListWatch } from '../kube/list-watch.js';
import { RESOURCES, type ResourceType } from '../kube/resources.js';
import { type Command, UserError } from './command.js';

export const CAPTURE_USAGE = `Usage: kspan capture --namespace NS [--namespace NS ...] [options]

Records the Events of the given namespaces, the objects they involve and those objects' owners,
as NDJSON capture records for 'kspan replay'. Events that exist before the capture starts are not
recorded. Stops after --duration, or on Ctrl-C.

Options:
  --namespace NS, -n NS   namespace to record (repeatable; "*" for all namespaces)
  --duration D            how long to record: 90s, 5m, 1h (default 60s)
  --output FILE, -o FILE  write here instead of standard output
  --kubeconfig PATH       kubeconfig file (else $KUBECONFIG, else in-cluster config)
`;

/** Kinds whose objects are recorded (owners and involved objects); never Secrets. */
const RECORDABLE: ReadonlyMap<string, ResourceType> = new Map(
  [RESOURCES.pods, RESOURCES.replicasets, RESOURCES.deployments, RESOURCES.statefulsets, RESOURCES.daemonsets, RESOURCES.jobs, RESOURCES.cronjobs].map(
    (t) => [t.kind, t],
  ),
);

/** "90s", "5m", "1h", "1500ms" or plain seconds -> ms. */
export function parseDuration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!m) throw new UserError(`--duration: want e.g. 90s, 5m or 1h, got "${value}"`);
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return n * unit;
}

interface Writer {
  write(record: { at: string; kind: 'object' | 'event' | 'flush'; object: unknown }): void;
}

/**
 * Turns events into records: for each event, the involved object and its owner chain (fetched
 * now, written when new or changed), then the event itself, all in receive order.
 */
export class CaptureRecorder {
  private readonly written = new Map<string, string>();
  private chain: Promise<void> = Promise.resolve();
  objects = 0;
  events = 0;

  constructor(
    private readonly client: Pick<HttpKubeClient, 'get'>,
    private readonly out: Writer,
    private readonly now: () => number = Date.now,
  ) {}

  /** Queue one received event; records are written in the order events are received. */
  onEvent(event: KubeObjectLike): void {
    const at = new Date(this.now()).toISOString();
    this.chain = this.chain.then(() => this.record(event, at)).catch(() => undefined);
  }

  /** Resolves when every received event is written. */
  drain(): Promise<void> {
    return this.chain;
  }

  private async record(event: KubeObjectLike, at: string): Promise<void> {
    const involved = event['involvedObject'] as { kind?: string; namespace?: string; name?: string } | undefined;
    if (involved?.kind && involved.name) {
      await this.recordObject(involved.kind, involved.namespace ?? event.metadata?.namespace, involved.name, at, 0);
    }
    this.out.write({ at, kind: 'event', object: event });
    this.events++;
  }

  private async recordObject(kind: string, namespace: string | undefined, name: string, at: string, depth: number): Promise<void> {
    const type = RECORDABLE.get(kind);
    if (!type || depth > 8) return;
    let obj: KubeObjectLike;
    try {
      obj = await this.client.get<KubeObjectLike>(type, namespace ? { namespace, name } : { name });
    } catch (err) {
      if (err instanceof KubeApiError && (err.statusCode === 404 || err.statusCode === 403)) return;
      throw err;
    }
    // Owners first, so that a replay knows them when it reads the object.
    const owners = (obj.metadata?.['ownerReferences'] as Array<{ kind?: string; name?: string }> | undefined) ?? [];
    for (const owner of owners) {
      if (owner.kind && owner.name) await this.recordObject(owner.kind, namespace, owner.name, at, depth + 1);
    }
    const key = `${kind}/${namespace ?? ''}/${name}`;
    const version = obj.metadata?.resourceVersion ?? '';
    if (this.written.get(key) === version) return;
    this.written.set(key, version);
    this.out.write({ at, kind: 'object', object: obj });
    this.objects++;
  }
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
  let client: HttpKubeClient;
  try {
    client = createKubeClient(values.kubeconfig);
  } catch (err) {
    throw new UserError(err instanceof Error ? err.message : String(err), 1);
  }

  const stream = values.output ? createWriteStream(values.output) : io.stdout;
  if (values.output) await once(stream, 'open');
  const out: Writer = { write: (record) => void stream.write(`${JSON.stringify(record)}\n`) };
  const recorder = new CaptureRecorder(client, out);

  let failure: string | undefined;
  const watches = namespaces.map((namespace) => {
    const watch = new ListWatch<KubeObjectLike>({ client, resource: RESOURCES.events, namespace });
    let synced = false;
    watch.addListener({
      // Events that existed before the capture are history, not part of it.
      onEvent: ({ type, object }) => {
        if (synced && type !== 'DELETED') recorder.onEvent(object);
      },
      onSynced: () => {
        synced = true;
      },
      onError: (err) => {
        if (err.statusCode === 403 || err.statusCode === 401) failure = err.message;
        io.stderr.write(`kspan capture: ${err.message} (retrying)\n`);
      },
    });
    watch.start();
    return watch;
  });

  io.stderr.write(`kspan capture: recording events of ${namespaces.join(', ')} for ${durationMs / 1000}s\n`);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(finish, durationMs);
    function finish(): void {
      clearTimeout(timer);
      process.off('SIGINT', finish);
      process.off('SIGTERM', finish);
      resolve();
    }
    process.on('SIGINT', finish);
    process.on('SIGTERM', finish);
  });
  await Promise.all(watches.map((w) => w.stop()));
  await recorder.drain();
  out.write({ at: new Date().toISOString(), kind: 'flush', object: {} });
  if (values.output) {
    stream.end();
    await once(stream, 'finish');
  }
  io.stderr.write(`kspan capture: ${recorder.events} events, ${recorder.objects} objects\n`);
  if (failure && recorder.events === 0) throw new UserError(failure, 1);
  return 0;
};
