/**
 * Watch streams: newline-delimited JSON watch events over a chunked HTTP response, replayed from a
 * resourceVersion out of the store's history, with periodic BOOKMARKs and a server-side timeout.
 */
import type { ServerResponse } from 'node:http';
import { Expired, type Change, type KubeObject, type Store } from './store.js';
import { status } from './status.js';

export interface WatchSpec {
  /** storage key of the resource type */
  key: string;
  /** requested resourceVersion: undefined or "0" start with the current state as ADDED events */
  resourceVersion: string | undefined;
  matches: (obj: KubeObject) => boolean;
  /** shapes an object for this client (apiVersion of the request, PartialObjectMetadata, ...) */
  render: (obj: KubeObject) => unknown;
  /** watches with the same shape render an object alike: one serialization of a change serves them all */
  shape: string;
  /** apiVersion and kind that BOOKMARK objects carry */
  bookmarkType: { apiVersion: string; kind: string };
  bookmarks: boolean;
  bookmarkIntervalMs: number;
  timeoutSeconds?: number;
}

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/**
 * The lines written for the object being delivered, by event type and shape. A change reaches
 * every watcher of its type in one synchronous pass: with many watches (the benchmarks' 20
 * collectors), serializing it once per shape instead of once per watch was the injector's cost.
 * One object at a time, so nothing is kept past its delivery.
 */
let linesOf: KubeObject | undefined;
const lines = new Map<string, string>();

const lineOf = (event: unknown): string => `${JSON.stringify(event)}\n`;

/** One open watch; `close()` ends the stream (cleanly, or abruptly like a dropped connection). */
export class WatchStream {
  private closed = false;
  private unsubscribe: (() => void) | undefined;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly res: ServerResponse,
    private readonly store: Store,
    private readonly spec: WatchSpec,
    private readonly onClose: (w: WatchStream) => void,
  ) {}

  start(): void {
    this.res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
    this.res.flushHeaders();
    this.res.on('close', () => this.close());

    const { resourceVersion: rv } = this.spec;
    if (rv === undefined || rv === '' || rv === '0') {
      for (const obj of this.store.snapshot(this.spec.key, this.store.currentRv)) if (this.spec.matches(obj)) this.send('ADDED', obj);
    } else {
      let replay: Change[];
      try {
        replay = this.store.changesSince(this.spec.key, Number(rv));
      } catch (err) {
        if (!(err instanceof Expired)) throw err;
        this.write({ type: 'ERROR', object: status(410, 'Expired', err.message) });
        this.close();
        return;
      }
      for (const change of replay) this.deliver(change);
    }
    // Synchronous with the replay: no change can slip in between.
    this.unsubscribe = this.store.subscribe(this.spec.key, (change) => this.deliver(change));

    if (this.spec.bookmarks) {
      const timer = setInterval(() => this.bookmark(), this.spec.bookmarkIntervalMs);
      timer.unref();
      this.timers.push(timer);
    }
    if (this.spec.timeoutSeconds !== undefined && this.spec.timeoutSeconds > 0) {
      const timer = setTimeout(() => this.close(), this.spec.timeoutSeconds * 1000);
      timer.unref();
      this.timers.push(timer);
    }
  }

  /** Ends the stream; `abrupt` resets the connection instead of finishing the response. */
  close(abrupt = false): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    for (const t of this.timers) clearTimeout(t);
    if (abrupt) this.res.destroy();
    else this.res.end();
    this.onClose(this);
  }

  /** Sends what the change means for this watch's selection (entering it is ADDED, leaving DELETED). */
  private deliver(change: Change): void {
    const now = change.type !== 'DELETED' && this.spec.matches(change.object);
    const before = change.previous !== undefined && this.spec.matches(change.previous);
    if (change.type === 'ADDED' && now) this.send('ADDED', change.object);
    else if (change.type === 'MODIFIED' && now) this.send(before ? 'MODIFIED' : 'ADDED', change.object);
    else if (change.type === 'MODIFIED' && before) this.send('DELETED', change.object);
    else if (change.type === 'DELETED' && before) this.send('DELETED', change.object);
  }

  private bookmark(): void {
    this.write({
      type: 'BOOKMARK',
      object: { ...this.spec.bookmarkType, metadata: { resourceVersion: String(this.store.currentRv) } },
    });
  }

  private send(type: EventType, obj: KubeObject): void {
    if (linesOf !== obj) {
      linesOf = obj;
      lines.clear();
    }
    const key = `${type} ${this.spec.shape}`;
    let line = lines.get(key);
    if (line === undefined) {
      line = lineOf({ type, object: this.spec.render(obj) });
      lines.set(key, line);
    }
    this.writeLine(line);
  }

  private write(event: unknown): void {
    this.writeLine(lineOf(event));
  }

  private writeLine(line: string): void {
    if (this.closed || this.res.writableEnded || this.res.destroyed) return;
    this.res.write(line);
  }
}
