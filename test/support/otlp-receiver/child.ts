/**
 * The test receiver in a child process, for benchmarks: decoding then costs the measured
 * process nothing. Start it with fork(childReceiverPath, [], { execArgv: ['--import', 'tsx'] }):
 *   child -> parent  {type: 'ready', endpoint}
 *   parent -> child  {type: 'count'}   answered with {type: 'count', spans, maxRssMb, cpuSeconds}
 *   parent -> child  {type: 'close'}   the child closes the receiver and exits
 * Every request is fully decoded; spans are counted, not kept.
 */
import { fileURLToPath } from 'node:url';
import { startOtlpReceiver } from './index.js';

export const childReceiverPath = fileURLToPath(import.meta.url);

async function main(send: NonNullable<typeof process.send>): Promise<void> {
  const receiver = await startOtlpReceiver({ retain: false });
  process.on('message', (message: { type?: string }) => {
    if (message.type === 'count') {
      const usage = process.resourceUsage();
      send({ type: 'count', spans: receiver.spanCount(), maxRssMb: usage.maxRSS / 1024, cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6 });
    } else if (message.type === 'close') {
      void receiver.close().then(() => process.exit(0));
    }
  });
  // Orphaned (parent gone): leave too.
  process.on('disconnect', () => void receiver.close().then(() => process.exit(0)));
  send({ type: 'ready', endpoint: receiver.endpoint });
}

if (process.send) void main(process.send.bind(process));
