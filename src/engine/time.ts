/**
 * Kubernetes timestamps (RFC 3339, `metav1.Time` with seconds, `metav1.MicroTime` with
 * microseconds, captures with nanoseconds) as milliseconds since the epoch, keeping the fraction.
 */

export interface ParsedTime {
  ms: number;
  /** false for second-granularity timestamps (`2021-05-19T09:42:58Z`), whose order within a second is lost */
  subSecond: boolean;
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

// Timestamps repeat a lot (second granularity, one per event field): remember recent ones.
const cache = new Map<string, ParsedTime | undefined>();
const CACHE_SIZE = 4096;

/** Parses an RFC 3339 timestamp; undefined when absent or malformed. */
export function parseTime(text: string | null | undefined): ParsedTime | undefined {
  if (typeof text !== 'string' || text.length === 0) return undefined;
  if (cache.has(text)) return cache.get(text);
  const parsed = parseUncached(text);
  if (cache.size >= CACHE_SIZE) cache.clear();
  cache.set(text, parsed);
  return parsed;
}

/** Parses without the cache: for times that never repeat (receive times). */
export function parseUncached(text: string): ParsedTime | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [, date, fraction, zone] = m;
  // Date.parse only keeps milliseconds (and is slow): compute whole seconds, then add the fraction.
  const y = Number(date!.slice(0, 4));
  const mo = Number(date!.slice(5, 7));
  const d = Number(date!.slice(8, 10));
  const h = Number(date!.slice(11, 13));
  const mi = Number(date!.slice(14, 16));
  const sec = Number(date!.slice(17, 19));
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return undefined;
  let seconds = Date.UTC(y, mo - 1, d, h, mi, sec);
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone![0] === '-' ? -1 : 1;
    seconds -= sign * (Number(zone!.slice(1, 3)) * 60 + Number(zone!.slice(4, 6))) * 60_000;
  }
  if (fraction === undefined) return { ms: seconds, subSecond: false };
  return { ms: seconds + Number(`0${fraction}`) * 1000, subSecond: true };
}

/** Milliseconds since the epoch as RFC 3339 with microseconds (for display and capture files). */
export function formatTime(ms: number): string {
  const whole = Math.floor(ms);
  const iso = new Date(whole).toISOString(); // ...ss.mmmZ
  const micros = Math.round((ms - whole) * 1000);
  if (micros === 0) return iso;
  return `${iso.slice(0, -1)}${String(Math.min(micros, 999)).padStart(3, '0')}Z`;
}
