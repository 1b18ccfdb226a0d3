import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { OwnerKindRule } from '../../src/api/types.js';
import { engineConfigFromSpec } from '../../src/engine/config.js';
import type { EngineConfig } from '../../src/engine/types.js';
import { parseCapture, readHeader, type CaptureRecord } from '../../src/replay/capture.js';
import { engineSpecOf } from '../../src/replay/header.js';
import { replay, type ReplayResult } from '../../src/replay/replay.js';

export const repoRoot = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
export const recordingsDir = path.join(repoRoot, 'test/fixtures/recordings');

/** The shared recorded rollout: ../shared/fixtures when present, else the bundled copy. */
export function sharedFixture(name: string): string {
  const shared = path.resolve(repoRoot, '../shared/fixtures', name);
  return existsSync(shared) ? shared : path.join(repoRoot, 'examples/recordings', name);
}

export function readRecords(file: string): CaptureRecord[] {
  return [...parseCapture(readFileSync(file, 'utf8'), file)];
}

/** Rules beside a recording (`<name>.rules.yaml`), if any. */
export function rulesFor(file: string): OwnerKindRule[] {
  const rules = file.replace(/\.ndjson$/, '.rules.yaml');
  return existsSync(rules) ? (parseYaml(readFileSync(rules, 'utf8')) as OwnerKindRule[]) : [];
}

/** The engine settings a recording replays with: its header's (as `kspan replay` takes them), rules beside it added. */
export function configFor(file: string): EngineConfig {
  const spec = engineSpecOf(readHeader(readFileSync(file, 'utf8'), file)?.header);
  const rules = rulesFor(file);
  if (rules.length > 0) spec.ownerKindRules = rules;
  return engineConfigFromSpec(spec);
}

export function replayFile(file: string): ReplayResult {
  return replay(readRecords(file), configFor(file));
}

export function captureIO(env: Record<string, string> = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const text = { out: '', err: '' };
  stdout.on('data', (c: Buffer) => (text.out += c.toString()));
  stderr.on('data', (c: Buffer) => (text.err += c.toString()));
  return { io: { stdout, stderr, env }, text };
}
