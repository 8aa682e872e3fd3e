/**
 * thin_trim as thin-provisioning-tools 1.1.0 (debian13) runs it (src/commands/thin_trim.rs and
 * src/thin/trim.rs of v1.1.0). Unlike 0.9.0 it first runs a whole thin_check of the metadata
 * through its own report: the check's lines are printed (TRANSACTION_ID on stdout, the progress
 * and problems on stderr) but not the error that ends it; a failed check prints "metadata contains
 * errors (run thin_check for details).\nperhaps you need to run thin_repair." and exits 65. Then it
 * requires the data device to hold at least nr_data_blocks × block size ("unexpected data device
 * size, wanted N bytes"; 0.9.0 wanted it exact), and sends one BLKDISCARD for each gap between the
 * data blocks in use and one for the tail after the last, unannounced (its "emitting discard" lines
 * are debug output, shown only with -vv). A regular file refuses the ioctl, "Inappropriate ioctl for
 * device (os error 25)", status 64, at the first discard; a device without discard support fails
 * with EOPNOTSUPP (brd on 6.1); a block device that takes discards gets them in the lab's model.
 *
 * The hidden -v raises the log level: once, the check's info lines (the number of devices, and of
 * internal nodes and leaves); twice, its debug lines too, which time each step (`reading leaf
 * nodes: 32.61089ms`) and announce each discard (`emitting discard for blocks [2, 2]`), refused
 * by name for their timings. Seen on the oracle's Linux 6.12 (fixtures/kernel/176).
 *
 * Refused by name: a data device the lab cannot size as a file or block device, and a discard to a
 * suspended device (the real ioctl waits for the resume).
 */
import { BLOCK_SIZE } from '../format/layout.js';
import { SECTOR_BYTES } from '../model/sectors.js';
import { type BlockDev, LAB_WOULD_BLOCK } from '../model/machine.js';
import { Errno, strerror } from '../model/errno.js';
import { lookupPath } from '../lab/vfs.js';
import type { ToolRun } from './define-tool.js';
import { MetadataBytes } from './metadata-view.js';
import { FAILURE_1X } from './release.js';
import { check1x } from './thin-check-1x.js';
import { openInput1x, outputTarget, refuseReadOnlyDevice, type ToolEnv } from './tool-io.js';

/** A status of 1 under 1.1.0: a case the lab does not model (defineTool refuses it by name). */
const UNMODELLED = 1;

/** exitcode::DATAERR: the check of the metadata failed. */
const DATA_ERROR = 65;

const CHECK_FAILED = 'metadata contains errors (run thin_check for details).\nperhaps you need to run thin_repair.\n';

/** The run of thin_trim 1.1.0, fed the options clap accepted. */
export function trimRun1x(env: ToolEnv): ToolRun {
  const o = { metadataDev: '', dataDev: '', quiet: false, verbose: 0 };
  return {
    option: (key, arg) => {
      if (key === 'metadata-dev') o.metadataDev = arg!;
      else if (key === 'data-dev') o.dataDev = arg!;
      else if (key === 'q') o.quiet = true;
      else if (key === 'v') o.verbose++;
      return undefined;
    },
    run: () => trim1x(env, o),
  };
}

/** The data device as 1.1.0 sees it: its size in bytes and the block device, or its error. */
type DataDevice = { size: bigint; dev: BlockDev | null } | { message: string } | 'unmodelled';

function blockOf(env: ToolEnv, path: string): BlockDev | null {
  const target = lookupPath(env.ctx, path);
  return target.kind === 'block' ? target.dev : null;
}

/** check_input_file of the data device, and its size (file_size). */
function dataDevice(env: ToolEnv, path: string): DataDevice {
  const target = outputTarget(env.ctx, path);
  if (target.ok) return { size: BigInt(target.sizeBytes), dev: blockOf(env, path) };
  if (target.why === 'missing') return { message: `Couldn't find input file '${path}'` };
  if (target.why === 'directory') return { message: `Not a block device or regular file '${path}'.` };
  const kind = lookupPath(env.ctx, path).kind;
  // Character devices; anything else the lab keeps (a /proc text) is not a case it models.
  if (kind === 'zero' || kind === 'null' || kind === 'urandom')
    return { message: `Not a block device or regular file '${path}'.` };
  return 'unmodelled';
}

interface TrimOptions1x {
  readonly metadataDev: string;
  readonly dataDev: string;
  readonly quiet: boolean;
  /** The hidden -v, counted: 1 prints the check's info lines; 2 or more its debug lines, refused. */
  readonly verbose: number;
}

function trim1x(env: ToolEnv, { metadataDev, dataDev, quiet, verbose }: TrimOptions1x): number {
  const fail = (message: string, status = FAILURE_1X): number => {
    if (!quiet) env.io.err(message);
    return status;
  };
  // check_input_file and check_file_not_tiny of the metadata, check_input_file of the data device.
  const input = openInput1x(env.ctx, metadataDev, false);
  if (!input.ok) return fail(input.message);
  if (input.bytes.length < BLOCK_SIZE) return fail('Metadata device/file too small.  Is this binary metadata?\n');
  const data = dataDevice(env, dataDev);
  if (data === 'unmodelled') return UNMODELLED;
  if ('message' in data) return fail(`${data.message}\n`);
  // -vv adds the debug lines: each step's duration, which the lab cannot give, and each discard.
  // The checks of the two files above come before any (seen with a missing and a tiny file).
  if (verbose > 1) return UNMODELLED;
  const flags = {
    quiet,
    metadataSnap: false,
    clearNeedsCheck: false,
    ignoreNonFatal: false,
    skipMappings: false,
    superBlockOnly: false,
    unmodelled: false,
    verbose,
  };
  const checked = check1x(env, metadataDev, flags, () => undefined);
  if (checked === UNMODELLED) return UNMODELLED;
  if (checked !== 0) return fail(CHECK_FAILED, DATA_ERROR);
  return trimDataDevice(env, new MetadataBytes(input.bytes), data, fail);
}

/** trim_data_device: the size check, then a discard for each run of unused blocks. */
function trimDataDevice(
  env: ToolEnv,
  md: MetadataBytes,
  data: { size: bigint; dev: BlockDev | null },
  fail: (message: string) => number,
): number {
  const sb = md.superblock(0);
  const blockSectors = sb.dataBlockSize;
  const nrBlocks = sb.dataSm.nrBlocks;
  const expected = BigInt(nrBlocks) * BigInt(blockSectors * SECTOR_BYTES);
  if (expected > data.size) return fail(`unexpected data device size, wanted ${expected} bytes\n`);
  // The check passed, so the bitmaps read; the lab counts them as thin_check does.
  const counts = md.dataCounts(sb.dataSm);
  if (!counts.ok) return UNMODELLED;
  const discard = (begin: number, end: number): number =>
    data.dev === null ? Errno.ENOTTY : blkdiscard(env, data.dev, begin * blockSectors, (end - begin) * blockSectors);
  let lastSeen = 0;
  let b = 0;
  while (b < nrBlocks) {
    if (counts.counts[b] === 0) {
      b++;
      continue;
    }
    const errno = b > lastSeen ? discard(lastSeen, b) : 0;
    if (errno !== 0) return errno === LAB_WOULD_BLOCK ? UNMODELLED : fail(`${strerror(errno)} (os error ${errno})\n`);
    while (b < nrBlocks && counts.counts[b] !== 0) b++;
    lastSeen = b;
  }
  const errno = nrBlocks > lastSeen ? discard(lastSeen, nrBlocks) : 0;
  if (errno !== 0) return errno === LAB_WOULD_BLOCK ? UNMODELLED : fail(`${strerror(errno)} (os error ${errno})\n`);
  return 0;
}

/**
 * The BLKDISCARD ioctl on a block device opened for writing (blk_ioctl_discard): EOPNOTSUPP where
 * the device takes no discards; a device another holder has claimed still takes them (the kernel
 * invalidates the page cache instead of claiming it), so a live pool's data device is discarded.
 */
function blkdiscard(env: ToolEnv, dev: BlockDev, start: number, count: number): number {
  const machine = env.ctx.machine;
  if (!machine.supportsDiscard(dev)) return Errno.EOPNOTSUPP;
  refuseReadOnlyDevice(env.ctx, dev, dev.kind === 'dm' ? `/dev/mapper/${dev.name}` : dev.kernelName);
  return machine.issueDiscard(dev, start, count);
}
