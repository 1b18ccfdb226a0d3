/**
 * The replay's ObjectLookup: fed by the capture's object records, it keeps one version per
 * generation of each object so that `previousGeneration` can attribute a change (DESIGN.md 5.6).
 */

import { refKey, refOfObject } from '../engine/refs.js';
import type { KubeObject, ObjectLookup, ObjectRef } from '../engine/types.js';

/** Versions kept per object: enough for any realistic capture, bounded for pathological ones. */
const MAX_VERSIONS = 64;

export class MemoryObjectLookup implements ObjectLookup {
  private readonly versions = new Map<string, KubeObject[]>();

  /** Records an object as the cluster knew it; the newest record wins for `get`. */
  put(obj: KubeObject): void {
    const key = refKey(refOfObject(obj));
    let list = this.versions.get(key);
    if (!list) this.versions.set(key, (list = []));
    const last = list[list.length - 1];
    // Only one version per generation is needed for attribution: the newest.
    if (last && last.metadata.generation === obj.metadata.generation) list[list.length - 1] = obj;
    else list.push(obj);
    if (list.length > MAX_VERSIONS) list.shift();
  }

  get(ref: ObjectRef): KubeObject | undefined {
    const list = this.versions.get(refKey(ref));
    return list?.[list.length - 1];
  }

  previousGeneration(ref: ObjectRef, generation: number): KubeObject | undefined {
    const list = this.versions.get(refKey(ref));
    if (!list) return undefined;
    for (let i = list.length - 1; i >= 0; i--) {
      const g = list[i]!.metadata.generation;
      if (typeof g === 'number' && g < generation) return list[i];
    }
    return undefined;
  }

  get size(): number {
    return this.versions.size;
  }
}
