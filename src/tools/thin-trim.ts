/**
 * thin_trim 0.9.0 in the lab: discards the data blocks the data space map says are free. Like the
 * real tool it prints "in trim" first, checks the data device (a block device of exactly
 * nr_data_blocks × block size), announces each discard on stderr, and fails with "discard ioctl
 * failed" on a device that refuses discards (the lab's ram disks).
 */
import { lookupPath } from '../lab/vfs.js';
import { defineTool } from './define-tool.js';
import { openMetadata, refuseReadOnlyDevice, type ToolEnv } from './tool-io.js';
import { THIN_TRIM_USAGE } from './usage.js';
import { type ClapCommand, IO_ENGINE_ARG_1X, VERBOSE_ARG_1X } from './clap.js';
import { THIN_TRIM_HELP_1X } from './usage-1x.js';
import { trimRun1x } from './thin-trim-1x.js';

/**
 * thin_trim's command line in 1.1.0 (its run is thin-trim-1x.ts). The
 * required options are in clap's order, which its refusal lists (--metadata-dev first), not the
 * help's alphabetical one.
 */
const CLI_1X: ClapCommand = {
  help: THIN_TRIM_HELP_1X,
  args: [
    { long: 'metadata-dev', value: '<FILE>', required: true, key: 'metadata-dev', path: true },
    { long: 'data-dev', value: '<FILE>', required: true, key: 'data-dev', path: true },
    { long: 'quiet', short: 'q', key: 'q' },
    VERBOSE_ARG_1X,
    IO_ENGINE_ARG_1X,
  ],
};

export const thinTrim = defineTool({
  name: 'thin_trim',
  usage: THIN_TRIM_USAGE,
  v1: { cli: CLI_1X, runs: true },
  options: [
    { long: 'help', short: 'h' },
    { long: 'version', short: 'V' },
    { long: 'metadata-dev', arg: 'required', path: true },
    { long: 'data-dev', arg: 'required', path: true },
    { long: 'pool-inactive' },
  ],
  start: (env) => {
    if (env.release === '1.1.0') return trimRun1x(env);
    let metadataDev: string | null = null;
    let dataDev: string | null = null;
    return {
      option: (key, arg) => {
        if (key === 'metadata-dev') metadataDev = arg!;
        if (key === 'pool-inactive')
          env.io.err('--pool-inactive no longer required since we ensure the metadata device is opened exclusively.\n');
        if (key === 'data-dev') dataDev = arg!;
        return undefined;
      },
      run: () => {
        if (metadataDev === null || dataDev === null) {
          env.io.err(THIN_TRIM_USAGE);
          return 1;
        }
        return trim(env, metadataDev, dataDev);
      },
    };
  },
});

function trim(env: ToolEnv, metadataDev: string, dataDev: string): number {
  const { io, ctx } = env;
  // 0.9.0 announces itself on stderr before anything can fail; errors follow on their own line.
  io.err('in trim\n');
  const fail = (message: string): number => {
    io.err(`${message}\n`);
    return 1;
  };
  const opened = openMetadata(ctx, metadataDev);
  if (!opened.ok) return fail(opened.message);
  const { md, sb } = opened;
  // Like 0.9.0, the free count comes from the space map root, before any bitmap is read.
  if (sb.dataSm.nrBlocks - sb.dataSm.nrAllocated === 0) {
    io.err('All data blocks allocated, nothing to discard\n');
    return 0;
  }

  const target = lookupPath(ctx, dataDev);
  if (target.kind === 'missing') return fail(`Couldn't open data device '${dataDev}'`);
  if (target.kind !== 'block') return fail('Data device is not a block device');
  const dev = target.dev;
  const blockSectors = sb.dataBlockSize;
  if (ctx.machine.sizeSectors(dev) !== sb.dataSm.nrBlocks * blockSectors)
    return fail('Data device is not the expected size');

  // A damaged bitmap is only met while iterating over the space map, after the device checks.
  const counts = md.dataCounts(sb.dataSm);
  if (!counts.ok) return fail(counts.reason);

  /** One BLKDISCARD, announced first as 0.9.0 announces it (with its odd half-open brackets). */
  const discard = (begin: number, end: number): boolean => {
    io.err(`emitting discard for blocks (${begin}, ${end}]\n`);
    if (!ctx.machine.supportsDiscard(dev)) return false;
    refuseReadOnlyDevice(ctx, dev, dataDev);
    return ctx.machine.discardSectors(dev, begin * blockSectors, (end - begin) * blockSectors) === 0;
  };
  // 0.9.0's trim_iterator: each gap between two blocks in use is discarded; after the last block
  // in use, the range discarded starts AT that block (a bug of 0.9.0 that discards it too, seen
  // on a loop device); with no block in use, everything is.
  let last: number | null = null;
  const n = counts.counts.length;
  for (let b = 0; b < n; b++) {
    if (counts.counts[b] === 0) continue;
    if (last !== null && b > last + 1 && !discard(last + 1, b)) return fail('discard ioctl failed');
    last = b;
  }
  if (n > 0) {
    if (last === null) {
      if (!discard(0, n)) return fail('discard ioctl failed');
    } else if (last !== n - 1 && !discard(last, n)) return fail('discard ioctl failed');
  }
  return 0;
}
