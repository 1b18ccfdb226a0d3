/**
 * An OTLP/gRPC trace receiver for tests: a real @grpc/grpc-js server on 127.0.0.1 that decodes
 * every ExportTraceServiceRequest completely (see decode.ts) and records what it got, with
 * fault hooks: fail the next N requests with a chosen gRPC code, answer slowly, stop and come
 * back on the same port, serve TLS or mTLS.
 *
 *   const receiver = await startOtlpReceiver();
 *   ... export to receiver.endpoint (insecure) ...
 *   await waitFor(() => receiver.spans().length === 3, 5000);
 *   await receiver.close();
 */
import type { Http2Server, ServerHttp2Session } from 'node:http2';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { decodeRequest, type RawExportRequest, type ReceivedResourceSpans, type ReceivedSpan } from './decode.js';

export type {
  ReceivedAttributes,
  ReceivedEvent,
  ReceivedLink,
  ReceivedResourceSpans,
  ReceivedScope,
  ReceivedSpan,
  ReceivedValue,
  ReceivedValueType,
} from './decode.js';
export { generateTestCertificates, opensslAvailable, type TestCertificates } from './certs.js';

export interface OtlpReceiverOptions {
  /** serve TLS with this certificate; with `ca` and requireClientCert, demand a client certificate signed by it (mTLS) */
  tls?: { cert: Buffer | string; key: Buffer | string; ca?: Buffer | string; requireClientCert?: boolean };
  /** keep decoded requests and spans (default true); false only counts them, for benchmarks */
  retain?: boolean;
  /** port to listen on (default 0: a free port) */
  port?: number;
  /**
   * HTTP/2 flow-control window in bytes for each connection and stream (default 16 MiB; 0 keeps
   * Node's 64 KiB). Real collectors (grpc-go) grow their windows to about this; with Node's
   * default a busy receiver stalls the sender and a benchmark measures the receiver instead.
   */
  flowControlWindow?: number;
}

const DEFAULT_FLOW_CONTROL_WINDOW = 16 * 1024 * 1024;

/** grpc-js has no server option for it: reach its HTTP/2 servers (skipped if their shape changes). */
function widenFlowControlWindows(server: grpc.Server, bytes: number): void {
  const http2Servers = (server as unknown as { http2Servers?: unknown }).http2Servers;
  if (!(http2Servers instanceof Map)) return;
  for (const http2Server of http2Servers.keys() as Iterable<Http2Server>) {
    http2Server.on('session', (session: ServerHttp2Session) => {
      try {
        session.setLocalWindowSize(bytes);
        session.settings({ initialWindowSize: bytes });
      } catch {
        // the session is closing already
      }
    });
  }
}

export type RequestOutcome = 'ok' | 'failed' | 'cancelled';

export interface ReceivedRequest {
  /** 0, 1, 2... in arrival order over the receiver's life (restarts included) */
  index: number;
  /** gRPC metadata as sent; binary (-bin) values in base64 */
  metadata: Record<string, string[]>;
  resourceSpans: ReceivedResourceSpans[];
  spanCount: number;
  /** ok: answered OK (its spans are in spans()); failed: answered with `code` by failNext; cancelled: the client gave up first */
  outcome: RequestOutcome;
  code: grpc.status;
  /** subject CN of the client certificate, under mTLS */
  clientCertificateCN?: string;
  receivedAt: number;
}

export interface OtlpReceiver {
  /** 127.0.0.1:<port> (stays the same across stop()/start()) */
  readonly endpoint: string;
  readonly port: number;
  /** spans of the requests answered OK, in arrival order */
  spans(): ReceivedSpan[];
  /** every request answered so far (a delayed one appears when answered), whatever its outcome; `index` gives arrival order */
  requests(): ReceivedRequest[];
  /** spans answered OK so far (counted even when retain is false) */
  spanCount(): number;
  /** answer the next `count` requests with this gRPC status instead of OK */
  failNext(count: number, code: grpc.status, message?: string): void;
  /** wait this long before answering each request (0: answer at once) */
  setDelay(ms: number): void;
  /** requests being handled now (delayed ones included) */
  inFlight(): number;
  /** the most requests ever handled at the same time */
  maxConcurrentRequests(): number;
  /** forget what was received (counters included) */
  reset(): void;
  /** go away: close the port and every connection, as a crashed collector would */
  stop(): Promise<void>;
  /** come back on the same port (after stop()) */
  start(): Promise<void>;
  /** stop for good */
  close(): Promise<void>;
}

const protoPath = fileURLToPath(new URL('./proto/otlp_trace.proto', import.meta.url));

let serviceDefinition: grpc.ServiceDefinition | undefined;
function traceService(): grpc.ServiceDefinition {
  if (!serviceDefinition) {
    const packageDefinition = protoLoader.loadSync(protoPath, {
      keepCase: false,
      // 64-bit integers stay protobufjs Long objects (no longs option): converting them to
      // BigInt directly is much cheaper than through decimal strings.
      enums: Number,
      bytes: Buffer,
      defaults: true,
      arrays: true,
      oneofs: true,
    });
    const loaded = grpc.loadPackageDefinition(packageDefinition) as unknown as {
      opentelemetry: { proto: { collector: { trace: { v1: { TraceService: grpc.ServiceClientConstructor } } } } };
    };
    serviceDefinition = loaded.opentelemetry.proto.collector.trace.v1.TraceService.service;
  }
  return serviceDefinition;
}

function metadataRecord(metadata: grpc.Metadata): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [key, values] of Object.entries(metadata.toJSON())) {
    out[key] = values.map((v) => (typeof v === 'string' ? v : v.toString('base64')));
  }
  return out;
}

class Receiver implements OtlpReceiver {
  private server: grpc.Server | undefined;
  private readonly received: ReceivedRequest[] = [];
  private readonly accepted: ReceivedSpan[] = [];
  private accepted_count = 0;
  private nextIndex = 0;
  private failures: { remaining: number; code: grpc.status; message: string } = { remaining: 0, code: grpc.status.OK, message: '' };
  private delayMs = 0;
  private active = 0;
  private maxActive = 0;
  private readonly pendingTimers = new Set<NodeJS.Timeout>();
  port: number;

  constructor(private readonly options: OtlpReceiverOptions) {
    this.port = options.port ?? 0;
  }

  get endpoint(): string {
    return `127.0.0.1:${this.port}`;
  }

  spans(): ReceivedSpan[] {
    return [...this.accepted];
  }

  requests(): ReceivedRequest[] {
    return [...this.received];
  }

  spanCount(): number {
    return this.accepted_count;
  }

  failNext(count: number, code: grpc.status, message = `test receiver: failing with ${grpc.status[code]}`): void {
    this.failures = { remaining: count, code, message };
  }

  setDelay(ms: number): void {
    this.delayMs = ms;
  }

  inFlight(): number {
    return this.active;
  }

  maxConcurrentRequests(): number {
    return this.maxActive;
  }

  reset(): void {
    this.maxActive = this.active;
    this.received.length = 0;
    this.accepted.length = 0;
    this.accepted_count = 0;
  }

  private credentials(): grpc.ServerCredentials {
    const tls = this.options.tls;
    if (!tls) return grpc.ServerCredentials.createInsecure();
    const ca = tls.ca === undefined ? null : Buffer.from(tls.ca);
    return grpc.ServerCredentials.createSsl(
      ca,
      [{ cert_chain: Buffer.from(tls.cert), private_key: Buffer.from(tls.key) }],
      tls.requireClientCert ?? false,
    );
  }

  private handleExport(call: grpc.ServerUnaryCall<RawExportRequest, unknown>, callback: grpc.sendUnaryData<unknown>): void {
    const index = this.nextIndex++;
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    const resourceSpans = decodeRequest(call.request, index);
    const spanCount = resourceSpans.reduce((n, rs) => n + rs.scopeSpans.reduce((m, ss) => m + ss.spans.length, 0), 0);
    const rawCn: string | string[] | undefined = call.getAuthContext().sslPeerCertificate?.subject?.CN;
    const cn = Array.isArray(rawCn) ? rawCn.join(',') : rawCn;
    const request: ReceivedRequest = {
      index,
      metadata: metadataRecord(call.metadata),
      resourceSpans: this.options.retain === false ? [] : resourceSpans,
      spanCount,
      outcome: 'ok',
      code: grpc.status.OK,
      ...(cn === undefined ? {} : { clientCertificateCN: cn }),
      receivedAt: Date.now(),
    };
    let failure: { code: grpc.status; message: string } | undefined;
    if (this.failures.remaining > 0) {
      this.failures.remaining--;
      failure = { code: this.failures.code, message: this.failures.message };
    }
    const answer = (): void => {
      this.active--;
      if (call.cancelled) {
        request.outcome = 'cancelled';
        request.code = grpc.status.CANCELLED;
      } else if (failure) {
        request.outcome = 'failed';
        request.code = failure.code;
        callback({ code: failure.code, details: failure.message });
      } else {
        this.accepted_count += spanCount;
        if (this.options.retain !== false) {
          for (const rs of resourceSpans) for (const ss of rs.scopeSpans) this.accepted.push(...ss.spans);
        }
        callback(null, {});
      }
      if (this.options.retain !== false) this.received.push(request);
    };
    if (this.delayMs > 0) {
      const timer = setTimeout(() => {
        this.pendingTimers.delete(timer);
        answer();
      }, this.delayMs);
      this.pendingTimers.add(timer);
    } else {
      answer();
    }
  }

  async start(): Promise<void> {
    if (this.server) throw new Error('test OTLP receiver: already started');
    const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
    server.addService(traceService(), { export: this.handleExport.bind(this) });
    const credentials = this.credentials();
    // The port of a receiver that just stopped can take a moment to be released.
    for (let attempt = 0; ; attempt++) {
      try {
        this.port = await new Promise<number>((resolve, reject) => {
          server.bindAsync(`127.0.0.1:${this.port}`, credentials, (err, port) => (err ? reject(err) : resolve(port)));
        });
        break;
      } catch (err) {
        if (attempt >= 50) throw err;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    this.server = server;
    const window = this.options.flowControlWindow ?? DEFAULT_FLOW_CONTROL_WINDOW;
    if (window > 0) widenFlowControlWindows(server, window);
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.forceShutdown();
    // forceShutdown closes listeners asynchronously; tryShutdown calls back once they are gone.
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  }

  async close(): Promise<void> {
    for (const timer of this.pendingTimers) clearTimeout(timer);
    this.pendingTimers.clear();
    await this.stop();
  }
}

export async function startOtlpReceiver(options: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  const receiver = new Receiver(options);
  await receiver.start();
  return receiver;
}

/** Poll `predicate` every 10 ms until it holds; reject after `timeoutMs` saying what was awaited. */
export async function waitFor(predicate: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() >= deadline) throw new Error(`waitFor: timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
