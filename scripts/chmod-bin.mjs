// tsc does not keep the executable bit; the `kspan` bin must be runnable directly.
import { chmodSync } from 'node:fs';

chmodSync(new URL('../dist/cli.js', import.meta.url), 0o755);
