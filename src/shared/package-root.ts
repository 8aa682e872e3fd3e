/**
 * Files that ship with thinlab and are read at run time (migrations/, docs/scenario.schema.json,
 * scenarios/, demo/) are found from the package root, the first directory above this module that
 * holds package.json. A fixed number of `..` would work from src/ (run through tsx) or from the
 * compiled dist/src/ (run by `thinlab` after `npm ci`), never from both.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    // Reaching the file system's root means the package is broken: there is nothing to fall back on.
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

let root: string | null = null;

/** An absolute path inside the package: packagePath('demo', 'docker-devicemapper.sh'). */
export function packagePath(...parts: string[]): string {
  root ??= findRoot(import.meta.dirname);
  return join(root, ...parts);
}
