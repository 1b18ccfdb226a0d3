/** Raw HTTP helpers for the test apiserver's tests (what a client sees on the wire). */
import { request } from 'node:http';
import type { KubeApiTestServer } from '../support/kube-api-server/index.js';

export interface Reply {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  headers: Record<string, string | string[] | undefined>;
}

export async function call(
  api: KubeApiTestServer,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const res = await fetch(api.url + path, {
    method,
    headers: { Authorization: `Bearer ${api.adminToken}`, 'Content-Type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed, headers: Object.fromEntries(res.headers) };
}

export interface WatchLine {
  type: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  object: any;
}

/** An open watch: the lines received so far, whether the server ended it, and a way to close it. */
export interface OpenWatch {
  status: number;
  events: WatchLine[];
  ended: Promise<void>;
  close(): void;
  /** waits until `n` events (matching `filter`) arrived */
  waitFor(n: number, filter?: (e: WatchLine) => boolean, ms?: number): Promise<WatchLine[]>;
}

export function openWatch(api: KubeApiTestServer, path: string, headers: Record<string, string> = {}): Promise<OpenWatch> {
  return new Promise((resolve, reject) => {
    const req = request(api.url + path, { headers: { Authorization: `Bearer ${api.adminToken}`, ...headers } }, (res) => {
      const events: WatchLine[] = [];
      let buffer = '';
      let waiters: Array<() => void> = [];
      const notify = () => {
        const w = waiters;
        waiters = [];
        for (const f of w) f();
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl).trim();
          buffer = buffer.slice(nl + 1);
          if (line !== '') events.push(JSON.parse(line) as WatchLine);
        }
        notify();
      });
      const ended = new Promise<void>((done) => {
        res.on('end', () => { notify(); done(); });
        res.on('close', () => { notify(); done(); });
        res.on('error', () => done());
      });
      resolve({
        status: res.statusCode ?? 0,
        events,
        ended,
        close: () => req.destroy(),
        waitFor: async (n, filter = () => true, ms = 3000) => {
          const deadline = Date.now() + ms;
          for (;;) {
            const got = events.filter(filter);
            if (got.length >= n) return got;
            if (Date.now() > deadline) throw new Error(`watch ${path}: got ${got.length} of ${n} events: ${JSON.stringify(events.map((e) => e.type))}`);
            await new Promise<void>((r) => {
              waiters.push(r);
              setTimeout(r, 20).unref();
            });
          }
        },
      });
    });
    req.on('error', reject);
    req.end();
  });
}
