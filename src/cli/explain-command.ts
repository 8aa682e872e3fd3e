/**
 * `thinlab explain`: kept apart from the scenario runner so that explaining a symptom loads the
 * matcher and the library's index, never the lab.
 */
import { dirname, relative } from 'node:path';
import { explain } from '../scenarios/explain.js';
import { type Output, UsageError } from './output.js';
import { loadLibraryIndexed } from './scenario-index.js';

export interface ExplainArgs {
  readonly symptom: string;
  /** The library to search, `scenarios/` of this checkout by default. */
  readonly library: string;
  readonly json: boolean;
  /**
   * The library's index written by the build (scripts/write-scenario-index.mjs): scenarios whose
   * files have not changed since are read from it instead of parsed. Absent when running from
   * the sources, whose parser may differ from the one that wrote the index.
   */
  readonly index?: string;
}

/**
 * `thinlab explain SYMPTOM`: the pool state a symptom means and the library scenarios that
 * reproduce it (src/scenarios/explain.ts). Exit 0 when something is known about it, 1 when not.
 */
export async function explainCommand(args: ExplainArgs, io: Output): Promise<number> {
  if (args.symptom.trim() === '')
    throw new UsageError(
      "explain needs a symptom: a kernel log line, a dmsetup status line or an error message, e.g. thinlab explain 'switching pool to out-of-data-space (queue IO) mode'",
    );
  const { scenarios, problems } = await loadLibraryIndexed(args.library, args.index);
  for (const p of problems) io.err(`thinlab: scenario library: ${p}\n`);
  const e = explain(args.symptom, scenarios);
  const known = e.meaning !== null || e.scenarios.length > 0;
  if (args.json) {
    io.out(
      `${JSON.stringify({ ...e, scenarios: e.scenarios.map((m) => ({ file: m.scenario.file, title: m.scenario.title, how: m.how, detail: m.detail })), known }, null, 2)}\n`,
    );
    return known ? 0 : 1;
  }
  io.out(`symptom: ${e.symptom}\n`);
  if (e.source !== null) io.out(`what it is: ${e.source}\n`);
  if (e.fields.length > 0) {
    const w = Math.max(...e.fields.map(([k]) => k.length));
    for (const [k, v] of e.fields) io.out(`  ${k.padEnd(w)}  ${v}\n`);
  }
  if (e.meaning !== null) io.out(`what it means: ${e.meaning}\n`);
  if (e.next !== null) io.out(`what to do: ${e.next}\n`);
  if (e.meaning === null)
    io.out(
      'what it means: not a line the lab knows (kernel log lines of dm-thin, dmsetup status lines, Docker and LVM errors of docker-devicemapper.md section 4)\n',
    );
  if (e.scenarios.length === 0) io.out('\nno scenario in the library reproduces it\n');
  else {
    io.out(`\nscenarios that reproduce it (${e.scenarios.length}):\n`);
    for (const m of e.scenarios) {
      const how = m.how === 'symptom' ? `declares the symptom "${m.detail}"` : m.detail;
      // As the file is named from the library's parent (the checkout): `scenarios/NAME.yaml`.
      const file = relative(dirname(args.library), m.scenario.file);
      io.out(`  ${file}\n    ${m.scenario.title}\n    ${how}; replay it: thinlab run ${file}\n`);
    }
  }
  return known ? 0 : 1;
}
