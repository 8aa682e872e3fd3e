/**
 * thin_repair 0.9.0 in the lab (1.1.0's, on debian13, is thin-repair-1x.ts): reads whatever the input metadata still holds (as
 * `thin_dump --repair` does: damaged subtrees are skipped) and writes fresh metadata to the
 * output where 0.9.0 puts each block (metadata-writer-0.ts). Like the real tool it keeps the superblock's flags, needs_check included, recounts
 * each device's mapped_blocks from the mappings it could read, and keeps only the devices before
 * the first damaged node of the details tree (what `thin_dump --repair` prints).
 */
import { BLOCK_SIZE } from '../format/layout.js';
import { type ClapCommand, IO_ENGINE_ARG_1X, VERBOSE_ARG_1X } from './clap.js';
import { defineTool } from './define-tool.js';
import { builtSuperblock, checkOutput, readDevices } from './metadata-output.js';
import { createMetadata0, writeImage0 } from './metadata-writer-0.js';
import { MetadataBytes } from './metadata-view.js';
import { openFailure, readInputBytes, type ToolEnv } from './tool-io.js';
import { repair1x } from './thin-repair-1x.js';
import { THIN_REPAIR_USAGE } from './usage.js';
import { THIN_REPAIR_HELP_1X } from './usage-1x.js';

const FILE = '<FILE>';

/** thin_repair's command line in 1.1.0, in its help's order. */
const CLI_1X: ClapCommand = {
  help: THIN_REPAIR_HELP_1X,
  dummyOperand: true,
  args: [
    { long: 'data-block-size', value: '<SECTORS>', numeric: true, key: 'data-block-size' },
    { long: 'input', short: 'i', value: FILE, required: true, key: 'i', path: true },
    { long: 'nr-data-blocks', value: '<NUM>', numeric: true, key: 'nr-data-blocks' },
    { long: 'output', short: 'o', value: FILE, required: true, key: 'o', path: true },
    { long: 'quiet', short: 'q', key: 'q' },
    { long: 'transaction-id', value: '<NUM>', numeric: true, key: 'transaction-id' },
    VERBOSE_ARG_1X,
    IO_ENGINE_ARG_1X,
  ],
};

export const thinRepair = defineTool({
  name: 'thin_repair',
  usage: THIN_REPAIR_USAGE,
  v1: { cli: CLI_1X, runs: true },
  options: [
    { long: 'help', short: 'h' },
    { long: 'input', short: 'i', arg: 'required', path: true },
    { long: 'output', short: 'o', arg: 'required', path: true },
    { long: 'transaction-id', arg: 'required' },
    { long: 'data-block-size', arg: 'required' },
    { long: 'nr-data-blocks', arg: 'required' },
    { long: 'version', short: 'V' },
  ],
  start: (env, usageError) => {
    let input: string | null = null;
    let output: string | null = null;
    // 1.1.0's overrides for a damaged superblock, by option.
    const overrides: Record<string, string> = {};
    // 1.1.0's report: -q and the hidden -v, counted (thin-repair-1x.ts prints what they change).
    const report = { quiet: false, verbose: 0 };
    return {
      option: (key, arg) => {
        if (key === 'v') report.verbose++;
        if (key === 'q') report.quiet = true;
        if (key === 'i') input = arg!;
        if (key === 'o') output = arg!;
        if (key === 'transaction-id' || key === 'data-block-size' || key === 'nr-data-blocks') overrides[key] = arg!;
        return undefined;
      },
      run: () => {
        if (input === null) return usageError('no input file provided');
        if (output === null) return usageError('No output file provided.');
        return env.release === '1.1.0' ? repair1x(env, input, output, overrides, report) : repair(env, input, output);
      },
    };
  },
});

function repair(env: ToolEnv, input: string, output: string): number {
  const { io } = env;
  const bytes = readInputBytes(env.ctx, input);
  if (!bytes.ok) {
    io.err(`${openFailure(bytes, 'file')}\n`);
    return 1;
  }
  const size = checkOutput(env, output);
  if (size === null) return 1;
  createMetadata0(env, size);
  const md = new MetadataBytes(bytes.bytes);
  const sb = md.nrBlocks > 0 ? md.superblock(0) : null;
  if (sb === null || bytes.bytes.length < BLOCK_SIZE || sb.storedCsum !== sb.computedCsum) {
    io.err(
      'The following field needs to be provided on the command line due to corruption in the superblock: transaction id\n',
    );
    return 1;
  }
  return writeImage0(env, output, size, builtSuperblock(sb), readDevices(md, sb)) ? 0 : 1;
}
