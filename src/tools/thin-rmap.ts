/**
 * thin_rmap 0.9.0 in the lab: for data blocks in the given regions, which thin blocks map them.
 * Runs grow while the device stays the same and both the data and the thin block continue; the
 * runs are then printed in data block order. 0.9.0 prints its errors without a final newline.
 */
import { cppSort } from './cpp-sort.js';
import { defineTool } from './define-tool.js';
import { openMetadata, type ToolEnv } from './tool-io.js';
import { THIN_RMAP_USAGE } from './usage.js';
import { type ClapCommand, IO_ENGINE_ARG_1X } from './clap.js';
import { parseRegion1x, type Region1x, rmap1x } from './thin-rmap-1x.js';
import type { ToolRun } from './define-tool.js';
import { THIN_RMAP_HELP_1X } from './usage-1x.js';

interface Region {
  readonly begin: number;
  readonly end: number;
}

/** Parses "B..E" as 0.9.0's istream code does; returns the error text on bad input. */
export function parseRegion(text: string): Region | string {
  const m = /^\s*(\+?[0-9]+)/.exec(text);
  const begin = m === null ? NaN : Number(m[1]);
  const rest = m === null ? text : text.slice(m[0].length);
  if (m === null || !rest.startsWith('..')) return 'badly formed region (no dots)';
  const e = /^\s*(\+?[0-9]+)/.exec(rest.slice(2));
  if (e === null) return "badly formed region (couldn't parse numbers)";
  const end = Number(e[1]);
  if (end <= begin) return 'badly formed region (end <= begin)';
  return { begin, end };
}

/** thin_rmap's command line in 1.1.0; its run is thin-rmap-1x.ts. */
const CLI_1X: ClapCommand = {
  help: THIN_RMAP_HELP_1X,
  operand: '<INPUT>',
  args: [
    {
      long: 'region',
      value: '<BLOCK_RANGE>',
      required: true,
      multiple: true,
      key: 'region',
      parse: (v) => {
        const r = parseRegion1x(v);
        return typeof r === 'string' ? r : null;
      },
    },
    IO_ENGINE_ARG_1X,
  ],
};

export const thinRmap = defineTool({
  name: 'thin_rmap',
  pathOperand: true,
  usage: THIN_RMAP_USAGE,
  v1: { cli: CLI_1X, runs: true },
  options: [
    { long: 'help', short: 'h' },
    { long: 'version', short: 'V' },
    { long: 'region', arg: 'required' },
  ],
  start: (env, usageError) => {
    if (env.release === '1.1.0') return rmapRun1x(env);
    const regions: Region[] = [];
    return {
      option: (key, arg) => {
        if (key !== 'region') return undefined;
        const r = parseRegion(arg!);
        if (typeof r === 'string') {
          env.io.err(r);
          return 1;
        }
        regions.push(r);
        return undefined;
      },
      run: (operands) => {
        const path = operands[0];
        if (path === undefined) return usageError('No input file provided.');
        if (regions.length === 0) return usageError('No regions provided.');
        return rmapPath(env, regions, path);
      },
    };
  },
});

function rmapPath(env: ToolEnv, regions: readonly Region[], path: string): number {
  const { io } = env;
  const opened = openMetadata(env.ctx, path);
  if (!opened.ok) {
    // 0.9.0's thin_rmap ends these lines without a newline.
    io.err(opened.message);
    return 1;
  }
  const { md, sb } = opened;
  let damaged = false;
  const onDamage = (): void => {
    damaged = true;
  };
  const inRegions = (b: number): boolean => regions.some((r) => b >= r.begin && b < r.end);
  const runs: Array<{ dev: number; dataBegin: number; dataEnd: number; thinBegin: number }> = [];
  const roots = md.deviceRoots(sb.dataMappingRoot, onDamage);
  type RunT = (typeof runs)[number];
  // A holder rather than a `let`, so that TypeScript follows the assignments made in the loop.
  const state: { current: RunT | null } = { current: null };
  for (const [dev, root] of [...roots].sort(([a], [b]) => a - b)) {
    for (const m of md.mappings(root, onDamage)) {
      if (!inRegions(m.dataBlock)) continue;
      const c = state.current;
      if (
        c !== null &&
        c.dev === dev &&
        m.dataBlock === c.dataEnd &&
        m.vblock === c.thinBegin + (c.dataEnd - c.dataBegin)
      ) {
        c.dataEnd++;
        continue;
      }
      if (c !== null) runs.push(c);
      state.current = { dev, dataBegin: m.dataBlock, dataEnd: m.dataBlock + 1, thinBegin: m.vblock };
    }
  }
  if (state.current !== null) runs.push(state.current);
  if (damaged) {
    io.err('Damage in mapping tree, please run thin_check.\n');
    return 1;
  }
  // 0.9.0 sorts with std::sort on the data block alone; the same unstable algorithm gives the
  // same order for runs that start at the same data block.
  cppSort(runs, (a, b) => a.dataBegin < b.dataBegin);
  io.out(
    runs
      .map(
        (r) =>
          `data ${r.dataBegin}..${r.dataEnd} -> thin(${r.dev}) ${r.thinBegin}..${r.thinBegin + (r.dataEnd - r.dataBegin)}\n`,
      )
      .join(''),
  );
  return 0;
}

/** The run of thin_rmap 1.1.0 once clap has taken its command line (a region and the input). */
function rmapRun1x(env: ToolEnv): ToolRun {
  const regions: Region1x[] = [];
  return {
    option: (key, arg) => {
      if (key === 'region') regions.push(parseRegion1x(arg!) as Region1x);
      return undefined;
    },
    run: (operands) => rmap1x(env, regions, operands[0]!),
  };
}
