/**
 * One copy of strings that events repeat: strings parsed from JSON are fresh copies, and an
 * event's facts live for seconds (its wait, then its held span), long enough to be promoted, so
 * every copy kept costs a young-generation copy and old-space room. Bounded: a pool that is full
 * starts over; the strings are equal either way, so nothing depends on which copy is kept.
 */
class StringPool {
  private readonly strings = new Map<string, string>();

  constructor(private readonly max: number) {}

  intern(s: string): string {
    const known = this.strings.get(s);
    if (known !== undefined) return known;
    if (this.strings.size >= this.max) this.strings.clear();
    this.strings.set(s, s);
    return s;
  }
}

/** kinds, namespaces, reasons, types, api versions: a few hundred values in a cluster */
const shortStrings = new StringPool(50_000);

export function intern<T extends string | undefined>(s: T): T {
  if (typeof s !== 'string') return s; // events from the wire may carry anything
  return shortStrings.intern(s) as T;
}

const messages = new StringPool(4096);

/**
 * An event's message, shared with the events that said the same. About half of all messages
 * repeat word for word across objects ("Started container app", an image already present on
 * the node); the ones that name their own object ("Created pod: web-5d4f8c7b9-x2x7q",
 * "Successfully assigned shop/web-5d4f8c7b9-x2x7q to node-7") never do, and would only churn
 * the pool, so they are kept as they came.
 */
export function internMessage(message: string, ownName: string): string {
  if (ownName !== '' && message.includes(ownName)) return message;
  return messages.intern(message);
}
