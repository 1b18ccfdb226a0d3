/**
 * A burst of Deployment rollouts as capture records, with one source's Events posted late the way
 * a rate-limited controller posts them (docs/design.md §5.11): the replicaset-controller's
 * `Created pod` arrives 0.5-15 s after its own timestamp, everyone else's on time.
 */

import { Random } from '../../bench/support/random.js';
import { sameTime } from '../../bench/support/kube-objects.js';
import { Workload, WorkloadStream } from '../../bench/support/workload.js';
import type { CaptureRecord } from '../../src/replay/capture.js';
import type { KubeEvent, KubeObject } from '../../src/engine/types.js';

export interface BurstOptions {
  /** Deployment scenarios (each a create and rolling updates) */
  deployments: number;
  /** [min, max] ms by which the `Created pod` Events are posted late; [0, 0] for none */
  createdPodDelayMs: readonly [number, number];
  seed?: number;
}

const T0 = Date.parse('2026-11-20T10:00:00Z');

export function burstCapture(options: BurstOptions): CaptureRecord[] {
  const workload = new Workload({ seed: options.seed ?? 7, namespaces: 5, nodes: 6, jobShare: 0, maxReplicas: 3, maxUpdates: 1, baseRate: 400 });
  const stream = new WorkloadStream(workload, T0);
  const delays = new Random((options.seed ?? 7) * 31 + 1);
  const [minDelay, maxDelay] = options.createdPodDelayMs;
  const records: CaptureRecord[] = [];
  let line = 0;
  while (stream.scenarios <= options.deployments) {
    const step = stream.next();
    if (step.op !== 'put') continue;
    const object = step.build(sameTime) as unknown as Record<string, unknown>;
    if (!step.event) {
      records.push({ kind: 'object', at: step.at, object: object as unknown as KubeObject, line: ++line });
      continue;
    }
    const event = object as unknown as KubeEvent;
    const late = event.reason === 'SuccessfulCreate' && event.source?.component === 'replicaset-controller';
    const at = late ? step.at + minDelay + delays.next() * (maxDelay - minDelay) : step.at;
    records.push({ kind: 'event', at, object: event, line: ++line });
  }
  // Receive order: a late Event is read when it is posted; ties keep the order they were made in.
  return records.sort((a, b) => a.at - b.at || a.line - b.line);
}
