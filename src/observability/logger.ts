/** JSON logs (pino). Collector-scoped lines carry `collector: {namespace, name}` via child loggers. */

import { pino, type Logger } from 'pino';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/**
 * Secret-bearing fields are redacted wherever they appear, in case an object holding them is ever
 * logged by mistake (exporter headers, TLS material, Secret data).
 */
const REDACT = ['headers', '*.headers', 'tls', '*.tls', 'data', '*.data', 'stringData', '*.stringData', 'token', '*.token'];

export function createLogger(options: { level: LogLevel; destination?: NodeJS.WritableStream; name?: string }): Logger {
  return pino(
    {
      level: options.level,
      name: options.name ?? 'kspan',
      base: { pid: process.pid },
      redact: { paths: REDACT, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? process.stderr,
  );
}
