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

/** Parses an RFC 3339 timestamp; undefined when absent or malformed. */
export function parseTime(text: string | null | undefined): ParsedTime | undefined {
  if (typeof text !== 'string' || text.length === 0) return undefined;
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [, base, fraction, zone] = m;
  // Date.parse only keeps milliseconds: parse whole seconds, then add the fraction exactly.
  const seconds = Date.parse(`${base!.replace(' ', 'T')}${zone!.toUpperCase()}`);
  if (Number.isNaN(seconds)) return undefined;
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
