/** The one structured-logger interface of the project: the subset of pino every part uses. */

export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  /** A logger that adds `bindings` to every line (pino's child loggers). */
  child(bindings: Record<string, unknown>): Logger;
}

/** Drops everything: the default wherever no logger is injected. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};
