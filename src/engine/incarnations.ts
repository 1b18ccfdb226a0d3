/**
 * Incarnations (docs/design.md §5.4): a StatefulSet's rolling update deletes a Pod and makes it
 * again under the same name, with a new uid. The recent store is keyed by name, so an entry keeps
 * the uid of the incarnation it was about, and what was recorded for one is no parent for
 * another's events.
 */

import { ROLE_DELETES } from './controller-actions.js';
import type { KubeObject } from './types.js';

/**
 * The uid of the object an owner's action names (`create Pod redis-1`), from the lookup's version
 * at receipt. A deletion is on the version being deleted; anything else (a creation) is not on a
 * terminating version still in the lookup, the new one's watch not having brought it yet: no uid
 * is known then.
 */
export function namedIncarnation(obj: KubeObject | undefined, role: number): string | undefined {
  if (obj === undefined || (obj.metadata.deletionTimestamp !== undefined && (role & ROLE_DELETES) === 0)) return undefined;
  return obj.metadata.uid;
}

/** Both uids known, and not the same: an unknown uid is taken to be the same incarnation. */
export function otherIncarnation(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a !== b;
}
