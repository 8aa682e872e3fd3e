/**
 * Which files of a directory make a scenario library, and what identifies a file's contents
 * cheaply (its stamp): shared by the parser (scenario-files.ts) and the library's index
 * (scenario-index.ts), so the two always agree on the library and on when a file changed.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The scenario files of a directory, sorted by name, or the reason it cannot be read. */
export function libraryFileNames(dir: string): { names: string[] } | { problem: string } {
  try {
    return {
      names: readdirSync(dir)
        .filter((f) => /\.(ya?ml|sh)$/.test(f))
        .sort(),
    };
  } catch (e) {
    return {
      problem: `cannot read the scenario library ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    };
  }
}

/**
 * Size and modification time of a scenario file, and of the `.expected` transcript a `.sh`
 * scenario brings along: a file whose stamp is unchanged is taken to be unchanged.
 */
export function scenarioStamp(dir: string, name: string): string {
  const one = (path: string): string => {
    try {
      const s = statSync(path);
      return `${s.size}@${s.mtimeMs}`;
    } catch {
      return 'absent';
    }
  };
  const file = join(dir, name);
  return name.endsWith('.sh') ? `${one(file)};${one(file.replace(/\.sh$/, '.expected'))}` : one(file);
}
