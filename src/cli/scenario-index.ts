/**
 * An index of a scenario library: every valid file's parsed scenario, keyed by the file's stamp
 * (size and modification time, scenario-library.ts). `thinlab explain` reads the library on every
 * run, and parsing 50-odd YAML files and checking each against the JSON schema was most of its
 * start-up (docs/performance.md); with the index, only files changed since it was written are
 * parsed, and the parser (yaml, ajv) is not even loaded when none changed. The build writes the
 * index of the packaged library (scripts/write-scenario-index.mjs); files with problems are left
 * out of it, so they are parsed and their problems reported on every run as before.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Scenario } from '../scenarios/types.js';
import { libraryFileNames, scenarioStamp } from './scenario-library.js';

const INDEX_FORMAT = 1;

interface LibraryIndex {
  readonly format: typeof INDEX_FORMAT;
  /** By file name: the stamp the file had and what it parsed to (its `file` rewritten at load). */
  readonly entries: Record<string, { readonly stamp: string; readonly scenario: Scenario }>;
}

/** Reads an index; a missing, unreadable or foreign file is no index (the library is parsed). */
function readIndex(indexFile: string): LibraryIndex | null {
  try {
    const parsed = JSON.parse(readFileSync(indexFile, 'utf8')) as Partial<LibraryIndex>;
    return parsed.format === INDEX_FORMAT && typeof parsed.entries === 'object' && parsed.entries !== null
      ? (parsed as LibraryIndex)
      : null;
  } catch {
    return null;
  }
}

/** The library, from the index where a file is unchanged and parsed where it is not. */
export async function loadLibraryIndexed(
  dir: string,
  indexFile: string | undefined,
): Promise<{ scenarios: Scenario[]; problems: string[] }> {
  const index = indexFile === undefined ? null : readIndex(indexFile);
  const listed = libraryFileNames(dir);
  if ('problem' in listed) return { scenarios: [], problems: [listed.problem] };
  const found = new Map<string, Scenario>();
  const changed: string[] = [];
  for (const name of listed.names) {
    const entry = index?.entries[name];
    if (entry !== undefined && entry.stamp === scenarioStamp(dir, name))
      found.set(name, { ...entry.scenario, file: join(dir, name) });
    else changed.push(name);
  }
  let problems: string[] = [];
  if (changed.length > 0) {
    const { loadLibraryFiles } = await import('./scenario-files.js');
    for (const name of changed) {
      const parsed = loadLibraryFiles(dir, [name]);
      problems = [...problems, ...parsed.problems];
      if (parsed.scenarios[0] !== undefined) found.set(name, parsed.scenarios[0]);
    }
  }
  // The library's order is by file name, whichever way each scenario was read.
  return { scenarios: listed.names.flatMap((n) => found.get(n) ?? []), problems };
}

/** Parses a library and writes its index: the valid files only. Returns how many were indexed. */
export async function writeLibraryIndex(dir: string, indexFile: string): Promise<number> {
  const listed = libraryFileNames(dir);
  if ('problem' in listed) throw new Error(listed.problem);
  const { loadLibraryFiles } = await import('./scenario-files.js');
  const entries: Record<string, { stamp: string; scenario: Scenario }> = {};
  for (const name of listed.names) {
    const stamp = scenarioStamp(dir, name);
    const { scenarios } = loadLibraryFiles(dir, [name]);
    const scenario = scenarios[0];
    if (scenario !== undefined) entries[name] = { stamp, scenario };
  }
  const index: LibraryIndex = { format: INDEX_FORMAT, entries };
  writeFileSync(indexFile, `${JSON.stringify(index)}\n`);
  return Object.keys(entries).length;
}
