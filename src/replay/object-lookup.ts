/**
 * The replay's ObjectLookup: fed by the capture's object records, projected as the live object
 * caches project them (src/engine/projection.ts), it keeps one version per generation of each
 * object so that `previousGeneration` can attribute a change (docs/design.md §5.6).
 */

import { ObjectProjector } from '../engine/projection.js';
import { refKey, refOfObject } from '../engine/refs.js';
import type { KubeObject, ObjectLookup, ObjectRef } from '../engine/types.js';

/** Versions kept per object: enough for any realistic capture, bounded for pathological ones. */
const MAX_VERSIONS = 64;

export class MemoryObjectLookup implements ObjectLookup {
  /** the newest version of each object: what `get` returns, one map lookup away */
  private readonly latest = new Map<string, KubeObject>();
  /** older generations, oldest first, of the objects that had more than one */
  private readonly older = new Map<string, KubeObject[]>();
  private readonly projector = new ObjectProjector();

  /**
   * Records an object as the cluster knew it; the newest record wins for `get`. Returns false
   * when the version kept is unchanged (an owned object's status update that changes nothing the
   * engine reads).
   */
  put(full: KubeObject): boolean {
    return this.record(full) !== undefined;
  }

  /** Like put; returns the version now kept and the one it replaced, or undefined when unchanged. */
  record(full: KubeObject): { current: KubeObject; previous: KubeObject | undefined } | undefined {
    // The interned ref's key: the events' refs then meet the very same string in this map (compared by identity).
    const ref = refOfObject(full);
    const key = ref.key;
    const last = this.latest.get(key);
    if (last !== undefined && this.projector.sameOwnedVersion(full, last)) return undefined;
    const obj = this.projector.project(full, last);
    if (obj === undefined) return undefined;
    if (last !== undefined && isOlder(obj, last)) {
      // An operator's recording writes an older generation the engine read after the newer one
      // (docs/design.md §6): it is history for previousGeneration, not the object's newest version.
      this.keepOlder(key, obj);
      return undefined;
    }
    // Only one version per generation is needed for attribution: the newest.
    if (last !== undefined && last.metadata.generation !== obj.metadata.generation) {
      let list = this.older.get(key);
      if (!list) this.older.set(key, (list = []));
      list.push(last);
      if (list.length >= MAX_VERSIONS) list.shift();
    }
    this.latest.set(key, obj);
    return { current: obj, previous: last };
  }

  private keepOlder(key: string, obj: KubeObject): void {
    let list = this.older.get(key);
    if (!list) this.older.set(key, (list = []));
    const generation = obj.metadata.generation!;
    if (list.some((o) => o.metadata.generation === generation)) return;
    list.push(obj);
    list.sort((a, b) => a.metadata.generation! - b.metadata.generation!);
    if (list.length >= MAX_VERSIONS) list.shift();
  }

  get(ref: ObjectRef): KubeObject | undefined {
    return this.latest.get(refKey(ref));
  }

  previousGeneration(ref: ObjectRef, generation: number): KubeObject | undefined {
    const key = refKey(ref);
    const newest = this.latest.get(key);
    if (newest === undefined) return undefined;
    if (isBefore(newest, generation)) return newest;
    const list = this.older.get(key);
    if (!list) return undefined;
    for (let i = list.length - 1; i >= 0; i--) if (isBefore(list[i]!, generation)) return list[i];
    return undefined;
  }

  get size(): number {
    return this.latest.size;
  }
}

/** A version of the same object (same uid) with a lower generation. */
function isOlder(obj: KubeObject, than: KubeObject): boolean {
  const g = obj.metadata.generation;
  const h = than.metadata.generation;
  return typeof g === 'number' && typeof h === 'number' && g < h && obj.metadata.uid !== undefined && obj.metadata.uid === than.metadata.uid;
}

function isBefore(obj: KubeObject, generation: number): boolean {
  const g = obj.metadata.generation;
  return typeof g === 'number' && g < generation;
}
