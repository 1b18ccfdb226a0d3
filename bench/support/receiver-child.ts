/**
 * The OTLP test receiver in a child process for the end-to-end benchmarks: decoding every request
 * costs the benchmark's own process nothing. Every 100 ms the spans received since the last report
 * go to the parent, compactly, as parallel arrays:
 *
 *   child -> parent  {type: 'ready', endpoint}
 *   child -> parent  {type: 'spans', uids, counts, collectors, names, parents, receivedAt}
 *                    (uids: k8s.event.uid, '' for root spans; collectors: the resource attribute
 *                     kspan.bench.collector; parents: parentTag of the parent span id;
 *                     receivedAt: when the request arrived, ms)
 *   parent -> child  {type: 'flush'}  answered with {type: 'flushed'} after the pending report
 *   parent -> child  {type: 'close'}  the child closes the receiver and exits
 *
 * Start it with fork(receiverChildPath, [], { execArgv: ['--import', 'tsx'] }).
 */
import { fileURLToPath } from 'node:url';
import { startOtlpReceiver, type OtlpReceiver } from '../../test/support/otlp-receiver/index.js';

export const receiverChildPath = fileURLToPath(import.meta.url);

export const COLLECTOR_ATTRIBUTE = 'kspan.bench.collector';

export interface SpansMessage {
  type: 'spans';
  uids: string[];
  counts: number[];
  collectors: string[];
  names: string[];
  parents: number[];
  receivedAt: number[];
}

/**
 * A parent span id (hex) cut to its first 32 bits, 0 for none: enough to tell whether the live
 * operator and the offline replay gave an event's span the same parent, in a typed array.
 */
export function parentTag(parentSpanId: string | undefined): number {
  return parentSpanId ? Number.parseInt(parentSpanId.slice(0, 8), 16) >>> 0 : 0;
}

function drain(receiver: OtlpReceiver): SpansMessage | undefined {
  // requests() and reset() in one synchronous turn: nothing can arrive in between.
  const requests = receiver.requests();
  receiver.reset();
  const out: SpansMessage = { type: 'spans', uids: [], counts: [], collectors: [], names: [], parents: [], receivedAt: [] };
  for (const request of requests) {
    if (request.outcome !== 'ok') continue;
    for (const rs of request.resourceSpans) {
      const collector = String(rs.resource[COLLECTOR_ATTRIBUTE] ?? '');
      for (const ss of rs.scopeSpans) {
        for (const span of ss.spans) {
          out.uids.push(String(span.attributes['k8s.event.uid'] ?? ''));
          out.counts.push(Number(span.attributes['k8s.event.count'] ?? 0));
          out.collectors.push(collector);
          out.names.push(span.name);
          out.parents.push(parentTag(span.parentSpanId));
          out.receivedAt.push(request.receivedAt);
        }
      }
    }
  }
  return out.uids.length > 0 ? out : undefined;
}

async function main(send: NonNullable<typeof process.send>): Promise<void> {
  const receiver = await startOtlpReceiver();
  const report = () => {
    const message = drain(receiver);
    if (message) send(message);
  };
  const timer = setInterval(report, 100);
  const close = () => {
    clearInterval(timer);
    void receiver.close().then(() => process.exit(0));
  };
  process.on('message', (message: { type?: string }) => {
    if (message.type === 'flush') {
      report();
      send({ type: 'flushed' });
    } else if (message.type === 'close') {
      report();
      close();
    }
  });
  process.on('disconnect', close);
  send({ type: 'ready', endpoint: receiver.endpoint });
}

if (process.send) void main(process.send.bind(process));
