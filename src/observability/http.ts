/** The operator's HTTP endpoints: /metrics, /healthz, /readyz. */

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Probe {
  /** undefined when fine, else why not */
  (): string | undefined;
}

export interface HttpEndpoints {
  metrics?: () => Promise<{ contentType: string; body: string }>;
  healthz?: Probe;
  readyz?: Probe;
}

/** "0.0.0.0:8080", ":8080", "127.0.0.1:0". */
export function parseBindAddress(value: string): { host: string; port: number } {
  const i = value.lastIndexOf(':');
  const host = i < 0 ? '0.0.0.0' : value.slice(0, i).replace(/^\[|\]$/g, '') || '0.0.0.0';
  const port = Number(i < 0 ? value : value.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid bind address "${value}": want host:port`);
  return { host, port };
}

export class HttpServer {
  private constructor(private readonly server: Server, readonly address: string) {}

  static async start(bind: string, endpoints: HttpEndpoints): Promise<HttpServer> {
    const { host, port } = parseBindAddress(bind);
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      const probe = path === '/healthz' ? endpoints.healthz : path === '/readyz' ? endpoints.readyz : undefined;
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405).end();
        return;
      }
      if (probe) {
        const problem = probe();
        res.writeHead(problem ? 503 : 200, { 'content-type': 'text/plain' }).end(problem ? `${problem}\n` : 'ok\n');
        return;
      }
      if (path === '/metrics' && endpoints.metrics) {
        endpoints.metrics().then(
          ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
          (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(err)}\n`),
        );
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    });
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address() as AddressInfo;
    return new HttpServer(server, `${addr.address}:${addr.port}`);
  }

  get port(): number {
    return Number(this.address.slice(this.address.lastIndexOf(':') + 1));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
