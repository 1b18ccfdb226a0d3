/**
 * One copy of strings that events repeat (kinds, namespaces, reasons, messages, object names and
 * uids): strings parsed from JSON are fresh copies, and an event's facts live for seconds (its
 * wait, then its held span), long enough to be promoted. Bounded: when full it starts over; the
 * strings are equal either way, so nothing depends on which copy is kept.
 */

const strings = new Map<string, string>();
const MAX_STRINGS = 50_000;

export function intern<T extends string | undefined>(s: T): T {
  if (typeof s !== 'string') return s; // events from the wire may carry anything

  const known = strings.get(s);
  if (known !== undefined) return known as T;
  if (strings.size >= MAX_STRINGS) strings.clear();
  strings.set(s, s);
  return s;
}
