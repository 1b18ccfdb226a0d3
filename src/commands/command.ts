/** What every `kspan <command>` gets: its arguments and where to write. */
export interface CommandIO {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
}

/** Runs one command; resolves to the process exit code. */
export type Command = (args: string[], io: CommandIO) => Promise<number>;

/**
 * An error the user caused (bad flag, missing file, malformed input). The CLI prints
 * its message on one line and exits with `exitCode`, never a stack trace.
 */
export class UserError extends Error {
  constructor(message: string, readonly exitCode = 2) {
    super(message);
    this.name = 'UserError';
  }
}

/**
 * True for a UserError. Checked by name as well as by class because a module reached both
 * statically and through a dynamic import can load twice under a TypeScript loader (tests).
 */
export function isUserError(err: unknown): err is UserError {
  return err instanceof UserError || (err instanceof Error && err.name === 'UserError' && 'exitCode' in err);
}
