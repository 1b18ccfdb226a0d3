/**
 * Decoding of a list response body as it streams in: each element of its `items` array comes out
 * as its own JSON text as soon as its last byte is in, and the rest of the body (kind, metadata:
 * resourceVersion, continue) at the end, with `items` empty.
 *
 * Why not `JSON.parse` of the whole body: a list of whole Pods is ~4 KB an object, and an API
 * server before 1.33 ignores `limit` for a list at resourceVersion 0 (served whole from its watch
 * cache): 200,000 Pods are an 860 MB body, longer than the longest string V8 can make. Even paged
 * (500 a page), a parsed page lives long enough to be promoted to the old generation and stays
 * there as garbage until the next full collection: most of the heap when the caches have listed.
 * Item by item, what is alive at a time is one chunk and one object.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/** Splits a list body into its items' JSON texts and the rest (the list with `items: []`). */
export class ListItemSplitter {
  private readonly decoder = new TextDecoder();
  /** objects and arrays open at the current position */
  private depth = 0;
  private inString = false;
  /** a backslash was the last byte of the previous chunk, inside a string */
  private escaped = false;
  /** inside the top-level `items` array (depth 2 between its elements) */
  private inItems = false;
  /** the body's bytes but for the items: a few hundred */
  private readonly envelope: number[] = [];
  /** the bytes of the string at depth 1 being read, and the last one read (the key of the value after it) */
  private keyBytes: number[] | undefined;
  private key = '';
  /** the bytes of the item being read that came in earlier chunks */
  private itemParts: Uint8Array[] = [];

  /** The items this chunk completes, as JSON texts. */
  push(chunk: Uint8Array): string[] {
    const items: string[] = [];
    let i = 0;
    while (i < chunk.length) i = this.inItems ? this.scanItems(chunk, i, items) : this.scanEnvelope(chunk, i);
    return items;
  }

  /** At the end of the body: the list but for its items. Throws for a body cut short or not a list. */
  end(): Record<string, unknown> {
    if (this.depth !== 0 || this.inString) throw new SyntaxError('the list body ends inside a value');
    const parsed: unknown = JSON.parse(this.decoder.decode(Uint8Array.from(this.envelope)));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new SyntaxError('the list body is not an object');
    return parsed as Record<string, unknown>;
  }

  /** Outside the items, byte by byte (few bytes): up to the items array's `[` or the chunk's end. */
  private scanEnvelope(chunk: Uint8Array, from: number): number {
    for (let i = from; i < chunk.length; i++) {
      const c = chunk[i]!;
      this.envelope.push(c);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) {
          this.inString = false;
          if (this.keyBytes) this.key = this.decoder.decode(Uint8Array.from(this.keyBytes));
          this.keyBytes = undefined;
        }
        if (this.inString) this.keyBytes?.push(c);
      } else if (c === QUOTE) {
        this.inString = true;
        if (this.depth === 1) this.keyBytes = [];
      } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
        this.depth++;
        if (c === OPEN_ARRAY && this.depth === 2 && this.key === 'items') {
          this.inItems = true;
          return i + 1;
        }
      } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
        this.depth--;
      }
    }
    return chunk.length;
  }

  /** Inside the items array: up to its `]` or the chunk's end, each completed item into `items`. */
  private scanItems(chunk: Uint8Array, from: number, items: string[]): number {
    const n = chunk.length;
    // where the open item starts in this chunk (0: it started in an earlier one)
    let itemFrom = this.depth > 2 ? from : -1;
    let nextBackslash = -2;
    let i = from;
    while (i < n) {
      if (this.inString) {
        if (this.escaped) {
          this.escaped = false;
          i++;
          continue;
        }
        // Most of an item's bytes are in strings: jump to the next quote natively.
        const quote = chunk.indexOf(QUOTE, i);
        if (nextBackslash !== -1 && nextBackslash < i) nextBackslash = chunk.indexOf(BACKSLASH, i);
        if (nextBackslash !== -1 && (quote === -1 || nextBackslash < quote)) {
          if (nextBackslash + 1 < n) i = nextBackslash + 2;
          else {
            this.escaped = true;
            i = n;
          }
          continue;
        }
        if (quote === -1) break;
        this.inString = false;
        i = quote + 1;
        continue;
      }
      const c = chunk[i]!;
      if (c === QUOTE) this.inString = true;
      else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
        if (this.depth === 2) itemFrom = i;
        this.depth++;
      } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
        this.depth--;
        if (this.depth === 2) {
          items.push(this.itemText(chunk.subarray(itemFrom, i + 1)));
          itemFrom = -1;
        } else if (this.depth === 1) {
          this.inItems = false;
          this.envelope.push(CLOSE_ARRAY);
          return i + 1;
        }
      }
      i++;
    }
    // The item goes on in the next chunk: keep its bytes so far (a copy: the chunk may be reused).
    if (itemFrom !== -1) this.itemParts.push(chunk.slice(itemFrom));
    return n;
  }

  private itemText(last: Uint8Array): string {
    if (this.itemParts.length === 0) return this.decoder.decode(last);
    const parts = [...this.itemParts, last];
    this.itemParts = [];
    let length = 0;
    for (const p of parts) length += p.length;
    const bytes = new Uint8Array(length);
    let at = 0;
    for (const p of parts) {
      bytes.set(p, at);
      at += p.length;
    }
    return this.decoder.decode(bytes);
  }
}
