/**
 * thin_repair 0.9.0 in the lab: reads whatever the input metadata still holds (as
 * `thin_dump --repair` does: damaged subtrees are skipped) and writes fresh metadata to the
 * output. Like the real tool it keeps the superblock's flags, needs_check included, recounts
 * each device's mapped_blocks from the mappings it could read, and keeps only the devices before
 * the first damaged node of the details tree (what `thin_dump --repair` prints).
 */
import { BLOCK_SIZE } from '../format/layout.js';
import { defineTool } from './define-tool.js';
import { type BuiltDevice, checkOutput, writeImage } from './metadata-output.js';
import { MetadataBytes } from './metadata-view.js';
import { openFailure, readInputBytes, type ToolEnv } from './tool-io.js';
import { THIN_REPAIR_USAGE } from './usage.js';

export const thinRepair = defineTool({
  name: 'thin_repair',
  usage: THIN_REPAIR_USAGE,
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
    return {
      option: (key, arg) => {
        if (key === 'i') input = arg!;
        if (key === 'o') output = arg!;
        return undefined;
      },
      run: () => {
        if (input === null) return usageError('no input file provided');
        if (output === null) return usageError('No output file provided.');
        return repair(env, input, output);
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
  const md = new MetadataBytes(bytes.bytes);
  const sb = md.nrBlocks > 0 ? md.superblock(0) : null;
  if (sb === null || bytes.bytes.length < BLOCK_SIZE || sb.storedCsum !== sb.computedCsum) {
    io.err(
      'The following field needs to be provided on the command line due to corruption in the superblock: transaction id\n',
    );
    return 1;
  }
  const ignore = (): void => undefined;
  // As with thin_dump --repair, only the devices before the first damaged details node survive.
  let firstDamage: number | null = null;
  const allDetails = md.details(sb.deviceDetailsRoot, (d) => {
    firstDamage ??= d.visitedBefore;
  });
  const details = new Map([...allDetails].slice(0, firstDamage ?? allDetails.size));
  const roots = md.deviceRoots(sb.dataMappingRoot, ignore);
  const devices = new Map<number, BuiltDevice>();
  for (const id of [...details.keys()].sort((a, b) => a - b)) {
    const root = roots.get(id);
    if (root === undefined) continue;
    // Mappings beyond the data device cannot be restored; the real tool drops them too.
    const mappings = md.mappings(root, ignore).filter((m) => m.dataBlock < sb.dataSm.nrBlocks);
    devices.set(id, { details: { ...details.get(id)! }, mappings: [...mappings] });
  }
  const built = {
    time: sb.time,
    transactionId: sb.transactionId,
    flags: sb.flags,
    version: sb.version,
    dataBlockSize: sb.dataBlockSize,
    nrDataBlocks: sb.dataSm.nrBlocks,
  };
  return writeImage(env, output, size, built, devices) ? 0 : 1;
}
