/**
 * Reading scenario files from disk (the CLI is the only layer that reads files): the extension
 * picks the format, and a `.sh` scenario brings its `.expected` transcript along.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mib, readBounded, SCRIPT_LIMIT_BYTES } from './host-input.js';
import { basename, join } from 'node:path';
import { parseScenario, parseShellScenario } from '../scenarios/load.js';
import { formatProblem, type Scenario, ScenarioInvalid } from '../scenarios/types.js';
import { libraryFileNames } from './scenario-library.js';

/** Loads any scenario file by its extension; throws ScenarioInvalid with every problem found. */
export function loadScenario(file: string): Scenario {
  let bytes: Buffer | null;
  try {
    bytes = readBounded(file, SCRIPT_LIMIT_BYTES);
  } catch (e) {
    throw new ScenarioInvalid([
      {
        file,
        line: 0,
        field: '',
        message: `cannot read the file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      },
    ]);
  }
  if (bytes === null)
    throw new ScenarioInvalid([
      { file, line: 0, field: '', message: `not modelled: a scenario longer than ${mib(SCRIPT_LIMIT_BYTES)}` },
    ]);
  const text = bytes.toString('latin1');
  if (file.endsWith('.sh')) {
    const expectedFile = file.replace(/\.sh$/, '.expected');
    return parseShellScenario(
      file,
      text,
      existsSync(expectedFile) ? readFileSync(expectedFile, 'latin1') : null,
      basename(expectedFile),
    );
  }
  if (file.endsWith('.yaml') || file.endsWith('.yml')) return parseScenario(file, text);
  throw new ScenarioInvalid([
    {
      file,
      line: 0,
      field: '',
      message: 'a scenario is a .yaml file, or a .sh file with a .expected transcript beside it',
    },
  ]);
}

/** Every scenario file of a directory (the library), sorted by name; problems are collected, not skipped. */
export function loadLibrary(dir: string): { scenarios: Scenario[]; problems: string[] } {
  const listed = libraryFileNames(dir);
  if ('problem' in listed) return { scenarios: [], problems: [listed.problem] };
  return loadLibraryFiles(dir, listed.names);
}

/** The named scenario files of a library directory, parsed; problems are collected, not skipped. */
export function loadLibraryFiles(dir: string, names: readonly string[]): { scenarios: Scenario[]; problems: string[] } {
  const scenarios: Scenario[] = [];
  const problems: string[] = [];
  for (const name of names) {
    try {
      scenarios.push(loadScenario(join(dir, name)));
    } catch (e) {
      if (!(e instanceof ScenarioInvalid)) throw e;
      problems.push(...e.problems.map(formatProblem));
    }
  }
  return { scenarios, problems };
}
