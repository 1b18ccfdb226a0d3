/**
 * Autoscaler rescales waiting to be matched with the generation they made (docs/design.md §5.12).
 * The horizontal-pod-autoscaler resizes its target through the scale subresource, which records
 * no time and names kube-controller-manager as the manager; its `SuccessfulRescale` Event names
 * the HPA and the new size, not the target. The engine does not watch HPAs: a generation changed
 * through the scale subresource whose replicas are the size a rescale in the same namespace set
 * moments before is that rescale's, the HPA named like the object first.
 */

import type { SpanHandle } from './span-builder.js';

interface Rescale {
  namespace: string;
  hpa: string;
  size: number;
  span: SpanHandle;
  at: number;
}

/** Rescales remembered at most (the oldest forgotten first). */
const MAX_RESCALES = 1024;

export class Rescales {
  private list: Rescale[] = [];

  constructor(private maxAgeMs: number) {}

  setMaxAge(ms: number): void {
    this.maxAgeMs = ms;
  }

  note(namespace: string, hpa: string, size: number, span: SpanHandle, at: number): void {
    this.list.push({ namespace, hpa, size, span, at });
    if (this.list.length > MAX_RESCALES) this.list.shift();
  }

  /** The rescale that made `replicas` for `name` in `namespace`, taken (each rescale makes one generation). */
  take(namespace: string, name: string, replicas: number, now: number): SpanHandle | undefined {
    this.list = this.list.filter((r) => now - r.at <= this.maxAgeMs);
    let best = -1;
    for (let i = this.list.length - 1; i >= 0; i--) {
      const r = this.list[i]!;
      if (r.namespace !== namespace || r.size !== replicas) continue;
      if (r.hpa === name) {
        best = i;
        break;
      }
      if (best === -1) best = i;
    }
    if (best === -1) return undefined;
    return this.list.splice(best, 1)[0]!.span;
  }
}
