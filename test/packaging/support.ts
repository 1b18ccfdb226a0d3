import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Absolute path of a file in the repository. */
export function fromRepo(relative: string): string {
  return fileURLToPath(new URL(`../../${relative}`, import.meta.url));
}

export function readJson<T>(relative: string): T {
  return JSON.parse(readFileSync(fromRepo(relative), 'utf8')) as T;
}
