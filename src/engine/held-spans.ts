/**
 * Durations (docs/design.md §5.8): spans are held per object; the next span on the same object ends
 * the previous one, which is then final; a held parent's end grows to cover its children; held
 * spans are released once they ended more than 2 x window ago (or were held for `maxHoldMs`,
 * which bounds memory when event clocks run ahead of ours).
 */

import { emitSpan, type SpanDraft } from './span-builder.js';
import type { SpanRecord } from './types.js';

const MAX_PARENT_DEPTH = 64;

export class HeldSpans {
  private readonly byKey = new Map<string, SpanDraft>();

  get size(): number {
    return this.byKey.size;
  }

  /** Holds `span` as the newest span on `key`; returns the span(s) that became final. */
  hold(key: string, span: SpanDraft, now: number, out: SpanRecord[]): void {
    const prev = this.byKey.get(key);
    if (prev) {
      if (span.startTime >= prev.startTime) {
        prev.endTime = Math.max(prev.endTime, span.startTime);
        // its entry is taken over by `span` below: no delete and set again of the same key
        this.emit(prev, out);
      } else {
        // An older occurrence arrived late: it ends where the held one starts and is final.
        span.endTime = Math.max(span.endTime, prev.startTime);
        this.extendParents(span);
        out.push(emitSpan(span));
        return;
      }
    }
    span.heldKey = key;
    span.heldAt = now;
    this.byKey.set(key, span);
    span.handle.held = span;
    this.extendParents(span);
  }

  /** The newest span held on `key`, if any. */
  newestOn(key: string): SpanDraft | undefined {
    return this.byKey.get(key);
  }

  /** Grows the ends of the held ancestors to cover `span` (up to the first one already released). */
  extendParents(span: SpanDraft): void {
    let parent = span.parent?.held;
    for (let depth = 0; parent !== undefined && depth < MAX_PARENT_DEPTH; depth++) {
      if (parent.endTime < span.endTime) parent.endTime = span.endTime;
      parent = parent.parent?.held;
    }
  }

  private release(span: SpanDraft, out: SpanRecord[]): void {
    this.byKey.delete(span.heldKey);
    this.emit(span, out);
  }

  /** Makes a held span final (its map entry is the caller's business). */
  private emit(span: SpanDraft, out: SpanRecord[]): void {
    if (span.handle.held === span) span.handle.held = undefined;
    out.push(emitSpan(span));
  }

  /**
   * Releases spans that ended before `endedBefore` or were held since before `heldBefore`; an open
   * root (a rollout still going on) waits for its end, as long as since `openHeldBefore`.
   */
  releaseOld(endedBefore: number, heldBefore: number, openHeldBefore: number, out: SpanRecord[]): void {
    // Deleting the entry being visited is safe in a Map iteration: no copy of the values needed.
    for (const span of this.byKey.values()) {
      if (span.open ? span.heldAt < openHeldBefore : span.endTime < endedBefore || span.heldAt < heldBefore) this.release(span, out);
    }
  }

  /** Visits every held span. */
  forEach(visit: (span: SpanDraft) => void): void {
    for (const span of this.byKey.values()) visit(span);
  }

  releaseAll(out: SpanRecord[]): void {
    for (const span of this.byKey.values()) this.release(span, out);
  }
}
