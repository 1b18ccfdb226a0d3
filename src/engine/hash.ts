/**
 * Small, pure, deterministic hashing for trace and span ids. Not cryptographic: ids only need
 * to be stable across replays and restarts, well spread, and never all zero.
 * Each 32-bit lane is a MurmurHash3-style mix of the UTF-16 code units with its own seed.
 */

const SEEDS = [0x9747b28c, 0x85ebca6b, 0xc2b2ae35, 0x27d4eb2f] as const;

function lane(input: string, seed: number): number {
  let h = (seed ^ input.length) | 0;
  for (let i = 0; i < input.length; i++) {
    let k = Math.imul(input.charCodeAt(i), 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  return fmix(h);
}

const HEX_BYTE = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function hex8(n: number): string {
  return HEX_BYTE[(n >>> 24) & 0xff]! + HEX_BYTE[(n >>> 16) & 0xff]! + HEX_BYTE[(n >>> 8) & 0xff]! + HEX_BYTE[n & 0xff]!;
}

/** Two lanes in one pass: the common case (span ids). */
function twoLanes(input: string): string {
  let h1 = (SEEDS[0] ^ input.length) | 0;
  let h2 = (SEEDS[1] ^ input.length) | 0;
  for (let i = 0; i < input.length; i++) {
    let k = Math.imul(input.charCodeAt(i), 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h1 ^= k;
    h1 = (h1 << 13) | (h1 >>> 19);
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
    h2 ^= k;
    h2 = (h2 << 13) | (h2 >>> 19);
    h2 = (Math.imul(h2, 5) + 0xe6546b64) | 0;
  }
  return hex8(fmix(h1)) + hex8(fmix(h2));
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** `lanes` x 32 bits of hash as lowercase hex (8 x lanes characters), never all zeros. */
export function hashHex(input: string, lanes: 2 | 4): string {
  let out = lanes === 2 ? twoLanes(input) : '';
  for (let i = out.length / 8; i < lanes; i++) out += hex8(lane(input, SEEDS[i]!));
  // An all-zero id is invalid in OpenTelemetry; the odds are negligible but the rule is absolute.
  return /^0+$/.test(out) ? `${out.slice(0, -1)}1` : out;
}
