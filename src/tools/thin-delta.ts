/**
 * thin_delta 0.9.0 in the lab: compares the mappings of two thin devices and prints the ranges
 * that are the same, different, or present on one side only. Runs are built from mappings whose
 * virtual and data blocks both continue (time stamps are ignored, as 0.9.0 ignores them); the
 * short form merges adjacent ranges of one kind, the --verbose form groups them in elements.
 */
import { SUPERBLOCK_CSUM_XOR } from '../format/layout.js';
import { diffRuns, type Run, simpleEmitter, verboseEmitter } from './delta-runs.js';
import { defineTool } from './define-tool.js';
import { mappingRuns } from './metadata-view.js';
import { openMetadata, type ToolEnv } from './tool-io.js';
import { THIN_DELTA_USAGE } from './usage.js';
import { type ClapCommand, IO_ENGINE_ARG_1X } from './clap.js';
import { THIN_DELTA_HELP_1X } from './usage-1x.js';
import { deltaRun1x } from './thin-delta-1x.js';

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
    IO_ENGINE_ARG_1X,
  ],
  conflicts: [
    ['1', 'root1'],
    ['2', 'root2'],
  ],
  // ArgGroup SNAP1 and SNAP2, each of its members in its definition's order.
  groups: [
    ['root1', '1'],
    ['root2', '2'],
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
