/**
 * The object caches' fallback for a miss where no synced watch covers the object: one GET per
 * object at a time, rate-limited by a token bucket, with 404s remembered for a while.
 */

import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { ObjectRef } from '../engine/types.js';
import type { KubeClient, KubeObjectLike } from './client.js';
import { KubeApiError } from './errors.js';
import type { ResourceType } from './resources.js';

export interface GetFallbackOptions {
  /** sustained GETs per second (default 5) */
  ratePerSecond?: number;
  /** burst size (default 20) */
  burst?: number;
  /** how long a 404 is remembered (default 60 s) */
  notFoundTtlMs?: number;
  /** cap on remembered 404s (default 10 000) */
  maxNotFound?: number;
}

export interface GetFallbackStats {
  /** GET requests made */
  gets: number;
  getsNotFound: number;
  getsFailed: number;
  /** GETs skipped because the rate limit was reached */
  getsRateLimited: number;
}

/** Key of the 404s remembered and the GETs in flight: kind, namespace and name, lowercased. */
function cacheKey(kind: string, namespace: string, name: string): string {
  return `${kind.toLowerCase()}\u0000${namespace.toLowerCase()}\u0000${name.toLowerCase()}`;
}

export class GetFallback {
  private readonly notFound = new Map<string, number>();
  private readonly inFlight = new Map<string, Promise<KubeObjectLike | undefined>>();
  private readonly settings: Required<GetFallbackOptions>;
  private tokens: number;
  private tokensAt: number;
  readonly counters: GetFallbackStats = { gets: 0, getsNotFound: 0, getsFailed: 0, getsRateLimited: 0 };

  constructor(
    private readonly client: Pick<KubeClient, 'get'>,
    options: GetFallbackOptions,
    private readonly clock: Pick<Clock, 'now'>,
    private readonly logger: Pick<Logger, 'debug'>,
  ) {
    this.settings = {
      ratePerSecond: options.ratePerSecond ?? 5,
      burst: options.burst ?? 20,
      notFoundTtlMs: options.notFoundTtlMs ?? 60_000,
      maxNotFound: options.maxNotFound ?? 10_000,
    };
    this.tokens = this.settings.burst;
    this.tokensAt = clock.now();
  }

  /** False while a 404 for the object is remembered. */
  mayExist(ref: ObjectRef): boolean {
    if (this.notFound.size === 0) return true;
    const key = cacheKey(ref.kind, ref.namespace, ref.name);
    const missingSince = this.notFound.get(key);
    if (missingSince === undefined) return true;
    if (this.clock.now() - missingSince <= this.settings.notFoundTtlMs) return false;
    this.notFound.delete(key);
    return true;
  }

  /** A watch brought the object: a remembered 404 no longer holds. */
  seen(kind: string, namespace: string, name: string): void {
    if (this.notFound.size > 0) this.notFound.delete(cacheKey(kind, namespace, name));
  }

  /** The object by one GET (shared with a GET of it in flight), or undefined: not found, failed or rate-limited. Never throws. */
  fetch(type: ResourceType, ref: ObjectRef, metadataOnly: boolean): Promise<KubeObjectLike | undefined> {
    const key = cacheKey(ref.kind, ref.namespace, ref.name);
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    if (!this.takeToken()) {
      this.counters.getsRateLimited += 1;
      return Promise.resolve(undefined);
    }
    const request = this.get(type, ref, metadataOnly, key).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, request);
    return request;
  }

  private async get(type: ResourceType, ref: ObjectRef, metadataOnly: boolean, key: string): Promise<KubeObjectLike | undefined> {
    this.counters.gets += 1;
    try {
      return await this.client.get<KubeObjectLike>(type, { namespace: ref.namespace, name: ref.name }, { metadataOnly });
    } catch (err) {
      if (err instanceof KubeApiError && err.statusCode === 404) {
        this.counters.getsNotFound += 1;
        this.rememberNotFound(key);
      } else {
        this.counters.getsFailed += 1;
        this.logger.debug({ err, kind: ref.kind, namespace: ref.namespace, name: ref.name }, 'object cache GET fallback failed');
      }
      return undefined;
    }
  }

  private rememberNotFound(key: string): void {
    this.notFound.delete(key);
    this.notFound.set(key, this.clock.now());
    while (this.notFound.size > this.settings.maxNotFound) {
      const oldest = this.notFound.keys().next().value;
      if (oldest === undefined) break;
      this.notFound.delete(oldest);
    }
  }

  /** Token bucket: `burst` GETs at once, `ratePerSecond` sustained. */
  private takeToken(): boolean {
    const now = this.clock.now();
    this.tokens = Math.min(this.settings.burst, this.tokens + ((now - this.tokensAt) / 1000) * this.settings.ratePerSecond);
    this.tokensAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
