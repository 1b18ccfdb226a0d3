
import { type Command, type CommandIO, isUserError } from './commands/command.js';

const USAGE = `Usage: kspan <command> [options]

Commands:
  replay FILE     replay a recorded capture through the correlation engine and print the traces
  operator        run the TraceCollector operator against a Kubernetes cluster
  capture         record events and the objects they involve from a live cluster

Run 'kspan <command> --help' for a command's options.
`;

// Loaded lazily so that `kspan replay` does not pay for the Kubernetes client at start-up.
const commands: Record<string, () => Promise<Command>> = {
  replay: async () => (await import('./commands/replay.js')).replayCommand,
  operator: async () => (await import('./commands/operator.js')).operatorCommand,
  capture: async () => (await import('./commands/capture.js')).captureCommand,
};

export async function main(argv: string[], io: CommandIO = process): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    (name === undefined ? io.stderr : io.stdout).write(USAGE);
    return name === undefined ? 2 : 0;
  }
  if (name === 'version' || name === '--version') {
    io.stdout.write(`${await packageVersion()}\n`);
    return 0;
  }
  const load = commands[name];
  if (!load) {
    io.stderr.write(`kspan: unknown command '${name}'\n${USAGE}`);
    return 2;
  }
  try {
    return await (await load())(rest, io);
  } catch (err: unknown) {
    if (isUserError(err)) {
      io.stderr.write(`kspan ${name}: ${err.message}\n`);
      return err.exitCode;
    }
    // parseArgs reports unknown or malformed flags with a code; those are user errors too.
    if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`kspan ${name}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

async function packageVersion(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
