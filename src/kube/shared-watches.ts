/**
 * Ref-counted list+watches shared by every subscriber with the same scope: two TraceCollectors
 * watching one namespace cost one events watch.
 *
 * Late subscribers: a subscriber that joins a watch that has already listed first receives the
 * watch's current objects as ADDED (like an informer's initial list), then the changes — the same
 * view it would have had with its own watch. Pass `replay: false` to get only changes from now on.
 * Duplicates: the underlying ListWatch never delivers the same (uid, resourceVersion) twice,
 * across reconnects and relists, and the replay happens synchronously before any later change,
 * so each subscriber sees every object version at most once.
 */

import type { Clock, RandomSource } from '../core/clock.js';
import { type Logger, silentLogger } from '../core/log.js';
import type { KubeObjectLike, ListerWatcher } from './client.js';
import { ListWatch, type ListWatchListener, type ListWatchOptions, type ListWatchScope, type ListWatchStats } from './list-watch.js';
import { apiVersionOf } from './resources.js';

export interface SharedSubscription {
  /** Idempotent. The last subscriber's unsubscribe stops the watch. */
  unsubscribe(): void;
  readonly synced: boolean;
  /** true once listed; false when the subscription or the registry stopped first */
  waitForSync(): Promise<boolean>;
  stats(): ListWatchStats;
}

export interface SubscribeOptions {
  /** deliver the current objects as ADDED when joining an already listed watch (default true) */
  replay?: boolean;
}

/** Tuning passed to every ListWatch the registry creates. */
export type ListWatchTuning = Pick<ListWatchOptions, 'pageSize' | 'watchTimeoutSeconds' | 'backoff' | 'minWatchDurationMs'>;

export interface SharedWatchesOptions {
  client: ListerWatcher;
  logger?: Logger;
  clock?: Clock;
  random?: RandomSource;
  tuning?: ListWatchTuning;
}

export interface SharedWatchInfo {
  key: string;
  scope: ListWatchScope;
  subscribers: number;
  stats: ListWatchStats;
}

interface Entry {
  key: string;
  scope: ListWatchScope;
  watch: ListWatch;
  subscribers: number;
}

/** The registry key of a scope: same key, same watch. */
export function watchKey(scope: ListWatchScope): string {
  return [
    apiVersionOf(scope.resource),
    scope.resource.plural,
    scope.resource.namespaced ? scope.namespace || '*' : '',
    scope.labelSelector ?? '',
    scope.fieldSelector ?? '',
    scope.metadataOnly ? 'meta' : 'full',
    scope.keep ?? 'objects',
    scope.transform?.name ?? 'as-received',
  ].join('|');
}

export class SharedWatches {
  private readonly entries = new Map<string, Entry>();
  private readonly logger: Logger;
  private stopped = false;

  constructor(private readonly options: SharedWatchesOptions) {
    this.logger = options.logger ?? silentLogger;
  }

  subscribe<T extends KubeObjectLike = KubeObjectLike>(
    scope: ListWatchScope,
    listener: ListWatchListener<T>,
    options: SubscribeOptions = {},
  ): SharedSubscription {
    if (this.stopped) throw new Error('the shared watch registry is stopped');
    const entry = this.entryFor(scope);
    const watch = entry.watch as unknown as ListWatch<T>;
    entry.subscribers += 1;
    if (watch.synced && options.replay !== false) {
      for (const object of watch.items()) {
        safely(this.logger, () => listener.onEvent?.({ type: 'ADDED', object }));
      }
      safely(this.logger, () => listener.onSynced?.());
    }
    const remove = watch.addListener(listener);
    let active = true;
    return {
      unsubscribe: () => {
        if (!active) return;
        active = false;
        remove();
        this.release(entry);
      },
      get synced() {
        return active && watch.synced;
      },
      waitForSync: () => (active ? watch.waitForSync() : Promise.resolve(false)),
      stats: () => watch.stats(),
    };
  }

  /** Every running watch with its subscriber count and counters (for metrics and tests). */
  list(): SharedWatchInfo[] {
    return [...this.entries.values()].map((e) => ({ key: e.key, scope: e.scope, subscribers: e.subscribers, stats: e.watch.stats() }));
  }

  /** Stops every watch; later subscribe calls throw. */
  async stop(): Promise<void> {
    this.stopped = true;
    const entries = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(entries.map((e) => e.watch.stop()));
  }

  private entryFor(scope: ListWatchScope): Entry {
    const key = watchKey(scope);
    let entry = this.entries.get(key);
    if (!entry) {
      const { client, logger, clock, random, tuning } = this.options;
      const watch = new ListWatch({
        ...tuning,
        ...scope,
        client,
        ...(logger ? { logger } : {}),
        ...(clock ? { clock } : {}),
        ...(random ? { random } : {}),
      });
      entry = { key, scope, watch, subscribers: 0 };
      this.entries.set(key, entry);
      watch.start();
      this.logger.debug({ watch: key }, 'shared watch started');
    }
    return entry;
  }

  private release(entry: Entry): void {
    entry.subscribers -= 1;
    if (entry.subscribers > 0 || this.entries.get(entry.key) !== entry) return;
    this.entries.delete(entry.key);
    this.logger.debug({ watch: entry.key }, 'shared watch stopped (no subscribers left)');
    void entry.watch.stop();
  }
}

function safely(logger: Logger, call: () => void): void {
  try {
    call();
  } catch (err) {
    logger.error({ err }, 'shared watch subscriber threw');
  }
}
