/**
 * thin_delta 0.9.0 in the lab: compares the mappings of two thin devices and prints the ranges
 * that are the same, different, or present on one side only. Runs are built from mappings whose
 * virtual and data blocks both continue (time stamps are ignored, as 0.9.0 ignores them); the
 * short form merges adjacent ranges of one kind, the --verbose form groups them in elements.
 */
import { SUPERBLOCK_CSUM_XOR } from '../format/layout.js';
import { defineTool } from './define-tool.js';
import { mappingRuns } from './metadata-view.js';
import { openMetadata, type ToolEnv } from './tool-io.js';
import { THIN_DELTA_USAGE } from './usage.js';
import type { ClapCommand } from './clap.js';
import { THIN_DELTA_HELP_1X } from './usage-1x.js';
import { deltaRun1x } from './thin-delta-1x.js';

export type Kind = 'left_only' | 'right_only' | 'different' | 'same';
interface Run {
  vbegin: number;
  dbegin: number;
  len: number;
}

/** Prints what 0.9.0 prints for each compared range. */
export interface DiffEmitter {
  range(kind: Kind, vbegin: number, len: number, left: number, right: number): void;
  complete(): void;
}

export function simpleEmitter(out: string[]): DiffEmitter {
  let current: { kind: Kind; begin: number; end: number } | null = null;
  const emit = (): void => {
    if (current !== null)
      out.push(`    <${current.kind} begin="${current.begin}" length="${current.end - current.begin}"/>\n`);
  };
  return {
    range(kind, vbegin, len) {
      if (current !== null && current.kind === kind && current.end === vbegin) {
        current.end += len;
        return;
      }
      emit();
      current = { kind, begin: vbegin, end: vbegin + len };
    },
    complete: emit,
  };
}

function verboseEmitter(out: string[]): DiffEmitter {
  let current: Kind | null = null;
  return {
    range(kind, vbegin, len, left, right) {
      if (current !== kind) {
        if (current !== null) out.push(`    </${current}>\n`);
        out.push(`    <${kind}>\n`);
        current = kind;
      }
      out.push(
        kind === 'different'
          ? `      <range begin="${vbegin}" left_data_begin="${left}" right_data_begin="${right}" length="${len}"/>\n`
          : `      <range begin="${vbegin}" data_begin="${kind === 'right_only' ? right : left}" length="${len}"/>\n`,
      );
    },
    complete() {
      if (current !== null) out.push(`    </${current}>\n`);
    },
  };
}

/** Walks both run lists in step, splitting runs where they start to differ. */
export function diffRuns(left: readonly Run[], right: readonly Run[], e: DiffEmitter): void {
  let li = 0;
  let ri = 0;
  let l: Run = { vbegin: 0, dbegin: 0, len: 0 };
  let r: Run = { vbegin: 0, dbegin: 0, len: 0 };
  const consume = (m: Run, delta: number): void => {
    m.vbegin += delta;
    m.dbegin += delta;
    m.len -= delta;
  };
  while ((l.len > 0 || li < left.length) && (r.len > 0 || ri < right.length)) {
    if (l.len === 0) l = { ...left[li++]! };
    if (r.len === 0) r = { ...right[ri++]! };
    while (l.len > 0 && r.len > 0) {
      if (l.vbegin < r.vbegin) {
        const delta = Math.min(l.len, r.vbegin - l.vbegin);
        e.range('left_only', l.vbegin, delta, l.dbegin, 0);
        consume(l, delta);
      } else if (l.vbegin > r.vbegin) {
        const delta = Math.min(r.len, l.vbegin - r.vbegin);
        e.range('right_only', r.vbegin, delta, 0, r.dbegin);
        consume(r, delta);
      } else {
        const delta = Math.min(l.len, r.len);
        e.range(l.dbegin === r.dbegin ? 'same' : 'different', l.vbegin, delta, l.dbegin, r.dbegin);
        consume(l, delta);
        consume(r, delta);
      }
    }
  }
  if (l.len > 0) e.range('left_only', l.vbegin, l.len, l.dbegin, 0);
  for (; li < left.length; li++) e.range('left_only', left[li]!.vbegin, left[li]!.len, left[li]!.dbegin, 0);
  if (r.len > 0) e.range('right_only', r.vbegin, r.len, 0, r.dbegin);
  for (; ri < right.length; ri++) e.range('right_only', right[ri]!.vbegin, right[ri]!.len, 0, right[ri]!.dbegin);
  e.complete();
}

interface DeltaOptions {
  snap1: number | null;
  snap2: number | null;
  verbose: boolean;
  metadataSnap: { block: number | null } | null;
}

/** thin_delta's command line in 1.1.0; its run is thin-delta-1x.ts. */
const CLI_1X: ClapCommand = {
  help: THIN_DELTA_HELP_1X,
  operand: '<INPUT>',
  args: [
    { long: 'metadata-snap', short: 'm', key: 'm' },
    { long: 'root1', value: '<BLOCKNR>', numeric: true, key: 'root1' },
    { long: 'root2', value: '<BLOCKNR>', numeric: true, key: 'root2' },
    { long: 'thin1', aliases: ['snap1'], value: '<DEV_ID>', numeric: true, key: '1' },
    { long: 'thin2', aliases: ['snap2'], value: '<DEV_ID>', numeric: true, key: '2' },
    { long: 'verbose', key: 'verbose' },
  ],
};

export const thinDelta = defineTool({
  name: 'thin_delta',
  pathOperand: true,
  usage: THIN_DELTA_USAGE,
  v1: { cli: CLI_1X, runs: true },
  options: [
    { long: 'help', short: 'h' },
    { long: 'version', short: 'V' },
    { long: 'thin1', key: '1', arg: 'required' },
    { long: 'snap1', key: '1', arg: 'required' },
    { long: 'thin2', key: '2', arg: 'required' },
    { long: 'snap2', key: '2', arg: 'required' },
    { long: 'metadata-snap', short: 'm', arg: 'optional' },
    { long: 'verbose' },
  ],
  start: (env, die) => {
    if (env.release === '1.1.0') return deltaRun1x(env);
    const o: DeltaOptions = { snap1: null, snap2: null, verbose: false, metadataSnap: null };
    return {
      option: (key, arg) => {
        switch (key) {
          case '1':
          case '2': {
            if (!/^[0-9]+$/.test(arg!)) return die(`Couldn't parse thin id ${key}: '${arg}'`);
            if (key === '1') o.snap1 = Number(arg);
            else o.snap2 = Number(arg);
            break;
          }
          case 'm':
            if (arg !== undefined && !/^[0-9]+$/.test(arg))
              return die(`Couldn't parse metadata snapshot block: '${arg}'`);
            o.metadataSnap = { block: arg === undefined ? null : Number(arg) };
            break;
          case 'verbose':
            o.verbose = true;
            break;
        }
        return undefined;
      },
      run: (operands) => {
        const path = operands[0];
        if (path === undefined) return die('No input device provided.');
        if (o.snap1 === null) return die('--snap1 not specified.');
        if (o.snap2 === null) return die('--snap2 not specified.');
        return deltaPath(env, { ...o, snap1: o.snap1, snap2: o.snap2 }, path, die);
      },
    };
  },
});

function deltaPath(
  env: ToolEnv,
  options: DeltaOptions & { snap1: number; snap2: number },
  path: string,
  die: (msg: string) => number,
): number {
  const { io } = env;
  const { snap1, snap2, verbose, metadataSnap } = options;
  const opened = openMetadata(env.ctx, path, metadataSnap === null);
  if (!opened.ok) return die(opened.message);
  const { md, sb: sb0 } = opened;
  let sb = sb0;
  if (metadataSnap !== null) {
    const block = metadataSnap.block ?? sb0.heldRoot;
    if (sb0.heldRoot === 0) return die('no current metadata snap');
    if (block !== sb0.heldRoot) return die('metadata snapshot does not match that in superblock');
    if (md.blockProblem(block, SUPERBLOCK_CSUM_XOR, 'superblock') !== null) return die('no current metadata snap');
    sb = md.superblock(block);
  }
  let damaged = false;
  const roots = md.deviceRoots(sb.dataMappingRoot, () => {
    damaged = true;
  });
  const root1 = roots.get(snap1);
  if (root1 === undefined) return die(`Unable to find mapping tree for snap1 (${snap1})`);
  const root2 = roots.get(snap2);
  if (root2 === undefined) return die(`Unable to find mapping tree for snap2 (${snap2})`);
  const runsOf = (root: number): Run[] =>
    mappingRuns(
      md.mappings(root, () => {
        damaged = true;
      }),
      false,
    ).map((r) => ({ vbegin: r.vbegin, dbegin: r.dbegin, len: r.length }));
  const left = runsOf(root1);
  const right = runsOf(root2);
  if (damaged) return die('damage in mapping tree, please run thin_check');
  const out: string[] = [];
  // The header describes the superblock that was read: with -m, the snapshot's copy (whose space
  // map roots are cleared and which holds no snapshot of its own), as 0.9.0 prints it.
  out.push(
    `<superblock uuid="" time="${sb.time}" transaction="${sb.transactionId}" data_block_size="${sb.dataBlockSize}" nr_data_blocks="${sb.dataSm.nrBlocks}"${sb.heldRoot !== 0 ? ` metadata_snap="${sb.heldRoot}"` : ''}>\n`,
  );
  out.push(`  <diff left="${snap1}" right="${snap2}">\n`);
  diffRuns(left, right, verbose ? verboseEmitter(out) : simpleEmitter(out));
  out.push('  </diff>\n</superblock>\n');
  io.out(out.join(''));
  return 0;
}
