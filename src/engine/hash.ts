/**
 * Small, pure, deterministic hashing for trace and span ids. Not cryptographic: ids only need
 * to be stable across replays and restarts, well spread, and never all zero.
 * Each 32-bit lane is a MurmurHash3-style mix of the UTF-16 code units with its own seed.
 *
 * Ids are made for every span, so this avoids garbage: the input comes in parts (no joined
 * string to build and flatten), all lanes are mixed in one pass, and the hex text is made by
 * one String.fromCharCode call (not a chain of concatenations).
 */

const SEEDS = [0x9747b28c, 0x85ebca6b, 0xc2b2ae35, 0x27d4eb2f] as const;

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Lane states, mixed over the parts in turn (module-level: hashing is never re-entered). */
const h = new Int32Array(4);

function mixPart(part: string, lanes: number): void {
  for (let i = 0; i < part.length; i++) {
    let k = Math.imul(part.charCodeAt(i), 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    for (let l = 0; l < lanes; l++) {
      let x = h[l]! ^ k;
      x = (x << 13) | (x >>> 19);
      h[l] = Math.imul(x, 5) + 0xe6546b64;
    }
  }
}

const HEX = '0123456789abcdef';
/** The char code of hex digit `shift` bits down in `n`. */
const d = (n: number, shift: number): number => HEX.charCodeAt((n >>> shift) & 15);
function hex16(a: number, b: number): string {
  return String.fromCharCode(
    d(a, 28), d(a, 24), d(a, 20), d(a, 16), d(a, 12), d(a, 8), d(a, 4), d(a, 0),
    d(b, 28), d(b, 24), d(b, 20), d(b, 16), d(b, 12), d(b, 8), d(b, 4), d(b, 0),
  );
}

/**
 * `lanes` x 32 bits of hash of the text `a + b + c` as lowercase hex (8 x lanes characters),
 * never all zeros.
 */
export function hashParts(a: string, b: string, c: string, lanes: 2 | 4): string {
  const length = a.length + b.length + c.length;
  for (let l = 0; l < lanes; l++) h[l] = SEEDS[l]! ^ length;
  mixPart(a, lanes);
  mixPart(b, lanes);
  mixPart(c, lanes);
  const l0 = fmix(h[0]!);
  const l1 = fmix(h[1]!);
  const l2 = lanes === 4 ? fmix(h[2]!) : 0;
  let l3 = lanes === 4 ? fmix(h[3]!) : 0;
  // An all-zero id is invalid in OpenTelemetry; the odds are negligible but the rule is absolute.
  if ((l0 | l1 | l2 | l3) === 0) {
    if (lanes === 2) return '0000000000000001';
    l3 = 1;
  }
  return lanes === 2 ? hex16(l0, l1) : hex16(l0, l1) + hex16(l2, l3);
}

/** `lanes` x 32 bits of hash of `input` as lowercase hex (8 x lanes characters), never all zeros. */
export function hashHex(input: string, lanes: 2 | 4): string {
  return hashParts(input, '', '', lanes);
}
