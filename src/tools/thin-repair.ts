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
import {
  type BuiltDevice,
  type BuiltSuperblock,
  builtSuperblock,
  checkOutput,
  readDevices,
} from './metadata-output.js';
import { missingOverride0, type Overrides0, overridden0, takeOverride0 } from './overrides-0.js';
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
    // 1.1.0's overrides for a damaged superblock, by option; 0.9.0's, read as 0.9.0 reads them.
    const overrides: Record<string, string> = {};
    const overrides0: Overrides0 = {};
    // 1.1.0's report: -q and the hidden -v, counted (thin-repair-1x.ts prints what they change).
    const report = { quiet: false, verbose: 0 };
    return {
      option: (key, arg) => {
        if (key === 'v') report.verbose++;
        if (key === 'q') report.quiet = true;
        if (key === 'i') input = arg!;
        if (key === 'o') output = arg!;
        if (key === 'transaction-id' || key === 'data-block-size' || key === 'nr-data-blocks') overrides[key] = arg!;
        return env.release === '1.1.0' ? undefined : takeOverride0(overrides0, key, arg, usageError);
      },
      run: () => {
        if (input === null) return usageError('no input file provided');
        if (output === null) return usageError('No output file provided.');
        return env.release === '1.1.0'
          ? repair1x(env, input, output, overrides, report)
          : repair(env, input, output, overrides0);
      },
    };
  },
});

function repair(env: ToolEnv, input: string, output: string, overrides: Overrides0): number {
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
    const missing = missingOverride0(overrides);
    if (missing === null) {
      // recreate_superblock, then the search for roots from it: not modelled.
      io.err(
        'thinlab: not modelled: thin_repair of thin-provisioning-tools 0.9.0 on an unreadable superblock with --transaction-id, --data-block-size and --nr-data-blocks (the superblock it recreates and the roots it searches for); see docs/tools.md\n',
      );
      return 1;
    }
    io.err(
      `The following field needs to be provided on the command line due to corruption in the superblock: ${missing}\n`,
    );
    return 1;
  }
  const built = overridden0(builtSuperblock(sb), overrides);
  const devices = readDevices(md, sb);
  const beyond = mappingBeyond(built, devices);
  if (beyond !== null) {
    // The restorer throws where thin_repair 0.9.0 cannot catch it: it aborts (`terminate called
    // after throwing an instance of 'std::runtime_error'`, status 134 from the host's sh). What
    // the VM's shell then says and what the output is left holding were not observed.
    io.err(
      `thinlab: not modelled: thin_repair of thin-provisioning-tools 0.9.0 with --nr-data-blocks below a mapping (${beyond}): the real one aborts; see docs/tools.md\n`,
    );
    return 1;
  }
  return writeImage0(env, output, size, built, devices) ? 0 : 1;
}

/** The restore emitter's refusal of the first mapping past the data device (given --nr-data-blocks below it). */
function mappingBeyond(sb: BuiltSuperblock, devices: ReadonlyMap<number, BuiltDevice>): string | null {
  for (const dev of devices.values())
    for (const m of dev.mappings)
      if (m.dataBlock >= sb.nrDataBlocks)
        return `mapping beyond end of data device (${m.dataBlock} >= ${sb.nrDataBlocks})`;
  return null;
}
