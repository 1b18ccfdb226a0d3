/**
 * Lists as kube-apiserver serves them: from the watch cache (resourceVersion 0: any state, maybe
 * stale; a non-zero one with NotOlderThan, or unset without a limit: at least that fresh), as a
 * consistent read (resourceVersion unset) or as an exact snapshot from etcd (Exact, or the legacy
 * non-zero resourceVersion with a limit; 410 once compacted); pages through a continue token.
 * Each kind is counted, so tests can tell which one a client made.
 */
import { errors, ApiError, status } from './status.js';
import { Expired, indexAfter, keyOfObject, type KubeObject, type Store } from './store.js';

/** Where a list was served from. */
export type ListSource = 'cache' | 'consistent' | 'exact' | 'continue';

export interface ListRecord {
  /** e.g. "events", "pods" */
  resource: string;
  namespace?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
  limit?: number;
  source: ListSource;
  /** HTTP status of the answer */
  code: number;
  /** the resourceVersion of the state served (when it was served) */
  servedResourceVersion?: string;
}

export interface ListStats {
  /** first pages served from the watch cache */
  cachedLists: number;
  /** first pages read consistently (resourceVersion unset) */
  consistentLists: number;
  /** first pages read at an exact resourceVersion (Exact, or the legacy non-zero resourceVersion with a limit) */
  exactLists: number;
  /** later pages (continue tokens) */
  continuedLists: number;
  /** every list request, oldest first (at most the last 10,000) */
  log: ListRecord[];
}

const MAX_LOG = 10_000;

export function emptyListStats(): ListStats {
  return { cachedLists: 0, consistentLists: 0, exactLists: 0, continuedLists: 0, log: [] };
}

export function recordList(stats: ListStats, record: ListRecord): void {
  if (record.source === 'cache') stats.cachedLists++;
  else if (record.source === 'consistent') stats.consistentLists++;
  else if (record.source === 'exact') stats.exactLists++;
  else stats.continuedLists++;
  stats.log.push(record);
  if (stats.log.length > MAX_LOG) stats.log.splice(0, stats.log.length - MAX_LOG);
}

export function listSource(q: URLSearchParams): ListSource {
  const token = q.get('continue');
  if (token !== null && token !== '') return 'continue';
  const rv = q.get('resourceVersion') ?? '';
  const match = q.get('resourceVersionMatch') ?? '';
  const limit = Number(q.get('limit') ?? 0);
  if (rv === '') return 'consistent';
  if (rv === '0') return 'cache';
  if (match === 'Exact' || (match === '' && Number.isInteger(limit) && limit > 0)) return 'exact';
  return 'cache';
}

function continueToken(rv: number, after: string): string {
  return Buffer.from(JSON.stringify({ rv, start: after })).toString('base64url');
}

function parseContinue(token: string): { rv: number; start: string } {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { rv?: unknown; start?: unknown };
    if (typeof parsed.rv === 'number' && typeof parsed.start === 'string') return { rv: parsed.rv, start: parsed.start };
  } catch {
    // fall through
  }
  throw errors.badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
}

function invalidListOptions(message: string, field: string): ApiError {
  return errors.invalid({ group: 'meta.k8s.io', kind: 'ListOptions' }, '', [{ reason: 'FieldValueForbidden', message, field }]);
}

export interface ListRequest {
  store: Store;
  key: string;
  namespace: string | undefined;
  matches: (obj: KubeObject) => boolean;
  /** how many resourceVersions the watch cache trails the store by */
  cacheLag: number;
}

export interface ListPage {
  items: readonly KubeObject[];
  metadata: Record<string, unknown>;
}

function tooLarge(rv: string, current: number): ApiError {
  return new ApiError({ ...status(504, 'Timeout', `Too large resource version: ${rv}, current: ${current}`, { retryAfterSeconds: 1 }) });
}

/** The page a list request is answered with (items not yet shaped), or an ApiError. */
export function listPage(req: ListRequest, q: URLSearchParams, selective: boolean): { page: ListPage; source: ListSource } {
  const { store } = req;
  const rv = q.get('resourceVersion') ?? '';
  if (rv !== '' && !/^\d+$/.test(rv)) throw errors.badRequest(`invalid resource version: ${JSON.stringify(rv)}`);
  const limit = Number(q.get('limit') ?? 0);
  const paged = Number.isInteger(limit) && limit > 0;
  const token = q.get('continue');
  const match = q.get('resourceVersionMatch') ?? '';
  if (match !== '' && match !== 'Exact' && match !== 'NotOlderThan') throw errors.badRequest(`resourceVersionMatch: Unsupported value: "${match}"`);
  if (match !== '' && rv === '') throw invalidListOptions('Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided', 'resourceVersionMatch');
  if (match === 'Exact' && rv === '0') throw invalidListOptions('Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"', 'resourceVersionMatch');
  const source = listSource(q);
  if (rv !== '' && Number(rv) > store.currentRv) throw tooLarge(rv, store.currentRv);

  // The watch cache is behind by `cacheLag` (never before what history can rebuild).
  const cacheRv = Math.max(store.currentRv - req.cacheLag, Math.min(store.oldestRv, store.currentRv));
  let snapshot = store.currentRv;
  let start = '';
  if (source === 'continue') {
    const parsed = parseContinue(token ?? '');
    snapshot = parsed.rv;
    start = parsed.start;
  } else if (source === 'exact') {
    snapshot = Number(rv);
  } else if (source === 'cache') {
    // A cache that has not caught up with the version asked for makes the client wait, then says so.
    if (Number(rv) > cacheRv) throw tooLarge(rv, cacheRv);
    snapshot = cacheRv;
  }
  let all: readonly KubeObject[];
  try {
    all = store.snapshot(req.key, snapshot, req.namespace);
  } catch (err) {
    if (!(err instanceof Expired)) throw err;
    if (source === 'continue') {
      throw errors.expired('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.');
    }
    throw errors.expired(`The resourceVersion for the provided list is too old.`);
  }
  // A page starts after the token's key (found by bisection: a relist of a big type is hundreds
  // of pages) and takes up to `limit` matches. Like the real server, remainingItemCount is only
  // given for a list without selectors.
  const items: KubeObject[] = [];
  let next = start === '' ? 0 : indexAfter(all, start);
  for (; next < all.length && !(paged && items.length === limit); next++) if (req.matches(all[next]!)) items.push(all[next]!);
  while (next < all.length && !req.matches(all[next]!)) next++;
  const metadata: Record<string, unknown> = { resourceVersion: String(snapshot) };
  if (next < all.length) {
    metadata['continue'] = continueToken(snapshot, keyOfObject(items[items.length - 1]!));
    if (!selective) metadata['remainingItemCount'] = all.length - next;
  }
  return { page: { items, metadata }, source };
}
