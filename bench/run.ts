/**
 * `npm run bench [-- --quick] [name...]`: runs each bench/<name>.bench.ts in its own Node process
 * (so peak RSS is per benchmark) one after another, never in parallel (shared, noisy machines).
 * Each benchmark prints a human-readable table and `key=value` machine lines.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const benchDir = fileURLToPath(new URL('.', import.meta.url));
const args = process.argv.slice(2);
const flags = args.filter((a) => a.startsWith('--'));
const only = args.filter((a) => !a.startsWith('--'));

const benches = readdirSync(benchDir)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.slice(0, -'.bench.ts'.length))
  .filter((name) => only.length === 0 || only.includes(name))
  .sort();

let failed = 0;
for (const name of benches) {
  process.stdout.write(`\n## ${name}\n`);
  const result = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', `${benchDir}${name}.bench.ts`, ...flags], {
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    failed++;
    process.stdout.write(`bench ${name} failed (exit ${result.status ?? result.signal})\n`);
  }
}
process.exitCode = failed === 0 ? 0 : 1;
