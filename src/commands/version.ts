/** The kspan version a capture's header names: the package's, read once. */

import { readFile } from 'node:fs/promises';

let version: Promise<string> | undefined;

export function kspanVersion(): Promise<string> {
  version ??= readFile(new URL('../../package.json', import.meta.url), 'utf8').then(
    (text) => String((JSON.parse(text) as { version?: unknown }).version ?? 'unknown'),
    () => 'unknown',
  );
  return version;
}
