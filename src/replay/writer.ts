/**
 * Writes capture records (docs/design.md §6): a header, then object versions and events in the
 * order they are handed over, each stamped with its receive time. One writer per capture, so the
 * file's order is the order of the calls. Bounded, for recordings that run unattended.
 */

import type { KubeEvent, KubeObject } from '../engine/types.js';
import type { CaptureHeader } from './header.js';

export interface CaptureLimits {
  /** stop before a record would take the file past this many bytes */
  maxBytes?: number;
  /** stop at the first record this long after the header */
  maxSeconds?: number;
}

export type CaptureStop = 'maxBytes' | 'maxSeconds' | 'closed';

/** An event as the engine reads it: what the API server's field manager wrote is nobody's input. */
function slimEvent(event: KubeEvent): unknown {
  const metadata = event.metadata as unknown as Record<string, unknown> | undefined;
  if (metadata === undefined || metadata['managedFields'] === undefined) return event;
  const { managedFields: _dropped, ...rest } = metadata;
  return { ...event, metadata: rest };
}

export class CaptureWriter {
  bytes = 0;
  events = 0;
  objects = 0;
  private stopped: CaptureStop | undefined;
  private readonly startedAt: number;
  /** the time of the newest record: records written "as of before" take it */
  private lastAt: number;

  constructor(
    private readonly sink: (line: string) => void,
    header: CaptureHeader,
    at: number,
    private readonly limits: CaptureLimits = {},
    private readonly onStop?: (why: CaptureStop) => void,
  ) {
    this.startedAt = at;
    this.lastAt = at;
    this.put('header', header, at);
  }

  /** Whether records are still written (false once a limit was reached, or after close). */
  get open(): boolean {
    return this.stopped === undefined;
  }

  /** Why it stopped, once it has. */
  get stop(): CaptureStop | undefined {
    return this.stopped;
  }

  /** An object version received at `at` (undefined: as of the newest record, i.e. known before it). */
  object(object: KubeObject, at?: number): boolean {
    if (!this.put('object', object, at ?? this.lastAt)) return false;
    this.objects++;
    return true;
  }

  event(event: KubeEvent, at: number): boolean {
    if (!this.put('event', slimEvent(event), at)) return false;
    this.events++;
    return true;
  }

  /** A flush record (replay gives up waiting at `at`), then no more records. */
  finish(at: number): void {
    if (this.stopped === undefined) this.write({ at: iso(Math.max(at, this.lastAt)), kind: 'flush', object: {} });
    this.end('closed');
  }

  /** No more records, without a flush record (a recording of a pipeline that goes on). */
  close(): void {
    this.end('closed');
  }

  private put(kind: 'header' | 'object' | 'event', object: unknown, at: number): boolean {
    if (this.stopped !== undefined) return false;
    const { maxSeconds, maxBytes } = this.limits;
    if (maxSeconds !== undefined && at - this.startedAt > maxSeconds * 1000) {
      this.end('maxSeconds');
      return false;
    }
    // Receive times come from separate watches' callbacks: never let the file go back in time.
    const stamp = Math.max(at, this.lastAt);
    const line = `${JSON.stringify({ at: iso(stamp), kind, object })}\n`;
    if (maxBytes !== undefined && this.bytes + Buffer.byteLength(line) > maxBytes) {
      this.end('maxBytes');
      return false;
    }
    this.lastAt = stamp;
    this.write(line);
    return true;
  }

  private write(record: string | object): void {
    const line = typeof record === 'string' ? record : `${JSON.stringify(record)}\n`;
    this.bytes += Buffer.byteLength(line);
    this.sink(line);
  }

  private end(why: CaptureStop): void {
    if (this.stopped !== undefined) return;
    this.stopped = why;
    this.onStop?.(why);
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
