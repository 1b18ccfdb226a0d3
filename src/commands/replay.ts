/** `kspan replay FILE`: a capture through the real engine on simulated time (docs/design.md §6). */

import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import type { OwnerKindRule } from '../api/types.js';
import { engineConfigFromSpec } from '../engine/config.js';
import { InvalidRuleError } from '../engine/rules.js';
import { CaptureError, parseCapture, readHeader } from '../replay/capture.js';
import { engineSpecOf, PROJECTION } from '../replay/header.js';
import { exportSpans } from '../replay/otlp.js';
import { renderJson, renderTree, renderWaterfall } from '../replay/render.js';
import { replay } from '../replay/replay.js';
import { type Command, UserError } from './command.js';

const USAGE = `Usage: kspan replay FILE [options]

Replays a capture (NDJSON, or kspan's YAML capture format) through the correlation engine on
simulated time and prints the spans it makes. The engine settings are those the capture's header
records (kspan capture's, or the TraceCollector's that recorded its input), else the defaults;
--window and --rules override them. The spans' resource carries the cluster uid the header
records (k8s.cluster.uid), in the json output (one span a line, with its links and resource) and
over OTLP.

Options:
  -o, --output tree|waterfall|json   what to print (default: tree)
      --window SECONDS               correlation window (default: the header's, else 5)
      --rules FILE                   owner-kind rules, a YAML or JSON list shaped like
                                     spec.ownerKindRules of a TraceCollector (instead of the
                                     header's)
      --otlp-endpoint HOST:PORT      also send the spans over OTLP/gRPC (http(s)://host:port too)
      --insecure                     plaintext gRPC to the endpoint (no TLS)
      --timeout SECONDS              how long to try delivering them (default: 10)
  -h, --help                         show this help
`;

const OUTPUTS = ['tree', 'waterfall', 'json'] as const;
type Output = (typeof OUTPUTS)[number];

export async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new UserError(`cannot read ${what} ${path}: ${reason}`);
  }
}

export async function loadRules(path: string): Promise<OwnerKindRule[]> {
  const text = await readText(path, 'rules file');
  let value: unknown;
  try {
    value = parseYaml(text); // JSON is YAML too
  } catch (err) {
    throw new UserError(`${path}: not valid YAML or JSON (${(err as Error).message.split('\n')[0]})`);
  }
  if (!Array.isArray(value)) throw new UserError(`${path}: expected a list of owner-kind rules`);
  return value as OwnerKindRule[];
}

function parseSeconds(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new UserError(`${flag} must be a positive number of seconds, got '${text}'`);
  return seconds;
}

function parseFlags(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        output: { type: 'string', short: 'o' },
        window: { type: 'string' },
        rules: { type: 'string' },
        'otlp-endpoint': { type: 'string' },
        insecure: { type: 'boolean' },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    // parseArgs explains over several lines; the first says what is wrong.
    if (err instanceof TypeError && 'code' in err) throw new UserError(`${err.message.split('\n')[0]} (see kspan replay --help)`);
    throw err;
  }
}

export const replayCommand: Command = async (args, io) => {
  const { values, positionals } = parseFlags(args);
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  if (positionals.length === 0) throw new UserError('missing capture FILE (usage: kspan replay FILE [--output tree|waterfall|json])');
  if (positionals.length > 1) throw new UserError(`expected one capture FILE, got ${positionals.length}`);
  const output = (values.output ?? 'tree') as Output;
  if (!OUTPUTS.includes(output)) throw new UserError(`--output must be one of ${OUTPUTS.join(', ')}, got '${values.output}'`);
  const windowSeconds = parseSeconds('--window', values.window);
  const timeoutSeconds = parseSeconds('--timeout', values.timeout) ?? 10;
  const endpoint = values['otlp-endpoint'];
  if (endpoint === '') throw new UserError('--otlp-endpoint needs HOST:PORT');
  if (endpoint === undefined && (values.insecure || values.timeout !== undefined)) throw new UserError('--insecure and --timeout go with --otlp-endpoint');
  const rules = values.rules !== undefined ? await loadRules(values.rules) : undefined;

  const file = positionals[0]!;
  const text = await readText(file, 'capture');
  let header;
  try {
    header = readHeader(text, file);
  } catch (err) {
    if (err instanceof CaptureError) throw new UserError(err.message);
    throw err;
  }
  if (header?.header.projection !== undefined && header.header.projection !== PROJECTION) {
    io.stderr.write(`kspan replay: ${file} was written with projection ${String(header.header.projection)}, this kspan reads ${PROJECTION}: objects may read differently than they did live\n`);
  }
  const spec = engineSpecOf(header?.header);
  const clusterUid = header?.header.cluster?.uid;
  if (rules !== undefined) spec.ownerKindRules = rules;
  if (windowSeconds !== undefined) spec.correlation = { ...spec.correlation, recentWindowSeconds: windowSeconds };
  let config;
  try {
    config = engineConfigFromSpec(spec);
  } catch (err) {
    if (err instanceof InvalidRuleError) throw new UserError(`${rules !== undefined ? values.rules : `${file}: the header's ownerKindRules`}: ${err.message}`);
    throw err;
  }

  let result;
  try {
    result = replay(parseCapture(text, file), config);
  } catch (err) {
    if (err instanceof CaptureError) throw new UserError(err.message);
    throw err;
  }

  const stdout = io.stdout as NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  switch (output) {
    case 'tree':
      io.stdout.write(renderTree(result.spans));
      break;
    case 'waterfall':
      io.stdout.write(renderWaterfall(result.spans, { color: stdout.isTTY === true && !io.env['NO_COLOR'], ...(stdout.columns ? { width: stdout.columns } : {}) }));
      break;
    case 'json':
      io.stdout.write(renderJson(result.spans, { clusterUid }));
      break;
  }
  if (endpoint !== undefined) {
    const sent = await exportSpans(result.spans, { endpoint, insecure: values.insecure === true, timeoutMs: timeoutSeconds * 1000, clusterUid });
    if (sent.dropped > 0) throw new UserError(`sent ${sent.exported} of ${result.spans.length} spans to ${endpoint}: ${sent.problem ?? 'not delivered in time'}`, 1);
    io.stderr.write(`kspan replay: sent ${sent.exported} spans to ${endpoint}\n`);
  }
  return 0;
};
