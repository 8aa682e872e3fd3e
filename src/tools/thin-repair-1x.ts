/**
 * thin_repair as thin-provisioning-tools 1.1.0 (debian13) runs it, where the lab knows its words.
 * 1.1.0 does not salvage what it can read below the superblock's roots, as 0.9.0 did: it searches
 * the device for trees that read whole and rebuilds from those (root-search-1x.ts), or fails with
 * "no compatible roots found", status 64 (thin-provisioning-tools#265, #311). The open checks, the
 * superblock cases and the search's outcomes on lab-written metadata are modelled; the superblock
 * overrides, and a search among a held snapshot's trees, are not: those runs return 1, which
 * defineTool refuses by name. Words taken from the real 1.1.0 (src/tools/thin-tools-1x.test.ts).
 */
import { BLOCK_SIZE } from '../format/layout.js';
import { type BuiltSuperblock, builtSuperblock, readDevices, writeImage } from './metadata-output.js';
import { type DetailsValue, MetadataBytes, type RawSuperblock } from './metadata-view.js';
import { OutOfMetadataSpace1x, writeMetadata1x } from './metadata-writer-1x.js';
import { repairInput1x } from './repair-input-1x.js';
import { FAILURE_1X } from './release.js';
import { rootPairs1x, rootSearchEnding, rootSearchLog1x } from './repair-scan-1x.js';
import { NOT_MODELLED_STATUS, notModelled1x } from './define-tool.js';
import { INVALID_LOG_LEVEL_1X, LOG_INFO, LOG_WARNING, logLevel1x } from './log-level-1x.js';
import { findRepairSource } from './root-search-1x.js';
import { openInput1x, outputTarget, type ToolEnv, writeMetadataBytes } from './tool-io.js';

/** A status of 1 under 1.1.0: a case the lab has no 1.1.0 words for (refused by name). */
const UNMODELLED = 1;

/** Output files below this are "too small" (seen at 0 and 8 KiB; 0.9.0's limit, 32 KiB, assumed). */
const MIN_OUTPUT_BYTES = 8 * BLOCK_SIZE;

/** How the report of a 1.1.0 run was asked for: -q (the quiet report, which says nothing) and the hidden -v's count. */
export interface Report1x {
  readonly quiet: boolean;
  readonly verbose: number;
}

export function repair1x(
  env: ToolEnv,
  input: string,
  output: string,
  overrides: Record<string, string>,
  report: Report1x = { quiet: false, verbose: 0 },
): number {
  // The report's messages (its errors, warnings and info lines); -q drops them all, the status stays.
  const say = (text: string): void => {
    if (!report.quiet) env.io.err(text);
  };
  const fail = (message: string): number => {
    say(message);
    return FAILURE_1X;
  };
  const level = logLevel1x(report.verbose);
  if (level === null) return fail(INVALID_LOG_LEVEL_1X);
  // The Restorer's info line for each device it builds, in the order the dump hands them over (by id).
  const announce = (ids: Iterable<number>): void => {
    if (level >= LOG_INFO) say([...ids].map((id) => `building btree for device ${id}\n`).join(''));
  };
  const opened = openInput1x(env.ctx, input);
  if (!opened.ok) return fail(opened.message);
  const out = outputTarget(env.ctx, output);
  if (!out.ok && out.why === 'missing') return fail(`Couldn't find output file '${output}'\n`);
  if (!out.ok && out.why === 'directory') return fail('Invalid output file: Not a block device or regular file\n');
  if (!out.ok || out.held) return UNMODELLED;
  if (opened.bytes.length < BLOCK_SIZE) return fail('Metadata device/file too small.  Is this binary metadata?\n');
  if (!out.isBlock && out.sizeBytes < MIN_OUTPUT_BYTES) return fail('Output file too small.\n');
  const md = new MetadataBytes(opened.bytes);
  // read_or_rebuild_superblock runs the search for roots before it reads the superblock.
  const searched = rootSearchEnding(md, (t) => env.io.err(t), 'thin_repair', {
    report: say,
    searched: () => (report.quiet || level < LOG_INFO ? null : logSearch(env, md)),
  });
  if (searched !== null) return searched;
  const sb = md.superblock(0);
  if (sb.storedCsum !== sb.computedCsum) {
    if (overrides['data-block-size'] === undefined)
      return fail('data block size needs to be provided due to corruption in the superblock\n');
    return repairAroundPair(env, md, sb, output, out.sizeBytes, overrides, { fail, announce });
  }
  const source = findRepairSource(md);
  // The overrides change a superblock the search agrees with; one it rebuilds is not modelled with them.
  if (Object.keys(overrides).length > 0 && source.kind !== 'as-is') return UNMODELLED;
  if (source.kind === 'failed') return fail(source.message);
  if (source.kind === 'unmodelled') return UNMODELLED;
  if (source.kind === 'rebuilt') {
    if (source.warning !== null && level >= LOG_WARNING) say(source.warning);
    // The rebuilt superblock's devices are the top-level tree's, with their details made up.
    const roots = md.deviceRoots(source.mappingRoot, () => undefined);
    const devices = new Map([...source.devices].map(([id, d]) => [id, { root: roots.get(id)!, details: d.details }]));
    const fallback = (): boolean => writeImage(env, output, out.sizeBytes, source.sb, source.devices);
    announce(devices.keys());
    return write1x(env, output, out.sizeBytes, source.sb, md, devices, fallback);
  }
  // 1.1.0 writes the repaired superblock without its flags: needs_check is cleared (0.9.0 kept it).
  const built = overridden({ ...builtSuperblock(sb), flags: 0 }, overrides);
  if (built === null) return UNMODELLED;
  // Superblock::overrides takes any size; the Restorer refuses it as the dump hands it the superblock.
  if (!validDataBlockSize(built.dataBlockSize)) return fail('output error: invalid data block size\n');
  const fallback = (): boolean => writeImage(env, output, out.sizeBytes, built, readDevices(md, sb));
  const devices = devicesOf(md, sb);
  announce(devices.keys());
  return write1x(env, output, out.sizeBytes, built, md, devices, fallback);
}

/** check_data_block_size: 64 KiB to 1 GiB, in sectors, a multiple of 64 KiB. */
const validDataBlockSize = (sectors: number): boolean => sectors >= 128 && sectors <= 2097152 && (sectors & 0x7f) === 0;

/** Above this many data blocks the lab's writer would hold a count for each in memory: refused by name. */
const MAX_OVERRIDDEN_DATA_BLOCKS = 1 << 24;

/**
 * The superblock the search agrees with, as `Superblock::overrides` changes it: the larger
 * transaction id, the data block size as given (unchecked), the larger number of data blocks.
 * Null where the lab refuses it (more data blocks than it writes a space map for).
 */
function overridden(sb: BuiltSuperblock, overrides: Record<string, string>): BuiltSuperblock | null {
  const tid = overrides['transaction-id'];
  const size = overrides['data-block-size'];
  const nr = overrides['nr-data-blocks'];
  const nrDataBlocks = nr === undefined || BigInt(nr) <= BigInt(sb.nrDataBlocks) ? sb.nrDataBlocks : Number(nr);
  if (nrDataBlocks > MAX_OVERRIDDEN_DATA_BLOCKS) return null;
  return {
    ...sb,
    transactionId: tid !== undefined && BigInt(tid) > sb.transactionId ? BigInt(tid) : sb.transactionId,
    dataBlockSize: size === undefined ? sb.dataBlockSize : Number(size),
    nrDataBlocks,
  };
}

/**
 * A damaged superblock with --data-block-size: 1.1.0's `rebuild_superblock` around the first pair
 * of trees the search found (src/thin/metadata_repair.rs): the data block size checked, the time
 * the trees' age, the transaction one past the details' highest (or the override, if larger), the
 * data blocks one past the highest mapped (or the override, if larger). Where the search found
 * mapping trees without details, or its order is its unstable sort's, the lab refuses by name.
 */
function repairAroundPair(
  env: ToolEnv,
  md: MetadataBytes,
  sb: RawSuperblock,
  output: string,
  sizeBytes: number,
  overrides: Record<string, string>,
  { fail, announce }: { fail: (message: string) => number; announce: (ids: Iterable<number>) => void },
): number {
  const size = Number(overrides['data-block-size']);
  if (!validDataBlockSize(size)) return fail('invalid data block size\n');
  const found = rootPairs1x(md);
  if (found === null || found.pairs.length === 0) return UNMODELLED;
  const [dev, details] = found.pairs[0]!;
  const tid = overrides['transaction-id'];
  const nr = overrides['nr-data-blocks'];
  const rootsTid = details.stats.maxTid + 1n;
  const rootsNr = dev.stats.highest + 1n;
  const nrDataBlocks = nr !== undefined && BigInt(nr) > rootsNr ? BigInt(nr) : rootsNr;
  if (nrDataBlocks > BigInt(MAX_OVERRIDDEN_DATA_BLOCKS)) return UNMODELLED;
  const built: BuiltSuperblock = {
    time: Math.max(dev.stats.age, details.stats.age),
    transactionId: tid !== undefined && BigInt(tid) > rootsTid ? BigInt(tid) : rootsTid,
    flags: 0,
    version: 2,
    dataBlockSize: size,
    nrDataBlocks: Number(nrDataBlocks),
  };
  const trees = { ...sb, dataMappingRoot: dev.block, deviceDetailsRoot: details.block };
  const fallback = (): boolean => writeImage(env, output, sizeBytes, built, readDevices(md, trees));
  const devices = devicesOf(md, trees);
  announce(devices.keys());
  return write1x(env, output, sizeBytes, built, md, devices, fallback);
}

/** thin_repair -v: what the root search logs (repair-scan-1x.ts), or a refusal where 1.1.0's order is its sort's. */
function logSearch(env: ToolEnv, md: MetadataBytes): number | null {
  const log = rootSearchLog1x(md);
  if (log !== null) {
    env.io.err(log);
    return null;
  }
  env.io.err(notModelled1x('thin_repair', '-v where two candidate roots tie in the order 1.1.0 sorts them (unstably)'));
  return NOT_MODELLED_STATUS;
}

/**
 * Writes what 1.1.0's Restorer writes for the devices' trees (repair-input-1x.ts, metadata-writer-1x.ts);
 * where a tree does not read whole, the lab's compact writer (`fallback`) writes the same metadata
 * in other blocks. The exit status.
 */
function write1x(
  env: ToolEnv,
  output: string,
  sizeBytes: number,
  sb: BuiltSuperblock,
  md: MetadataBytes,
  devices: ReadonlyMap<number, { root: number; details: DetailsValue }>,
  fallback: () => boolean,
): number {
  const restorer = [...devices.values()].every((d) => d.root !== undefined) ? repairInput1x(md, devices) : null;
  if (restorer === null) return fallback() ? 0 : UNMODELLED;
  try {
    const { bytes } = writeMetadata1x(Math.floor(sizeBytes / BLOCK_SIZE), sb, restorer.devices, restorer.defs);
    writeMetadataBytes(env.ctx, output, bytes);
    return 0;
  } catch (e) {
    if (!(e instanceof OutOfMetadataSpace1x)) throw e;
    return UNMODELLED;
  }
}

/** Each device's root and details, as 1.1.0's devices_iter pairs them (ids in order). */
function devicesOf(md: MetadataBytes, sb: RawSuperblock): Map<number, { root: number; details: DetailsValue }> {
  const details = md.details(sb.deviceDetailsRoot, () => undefined);
  const roots = md.deviceRoots(sb.dataMappingRoot, () => undefined);
  const out = new Map<number, { root: number; details: DetailsValue }>();
  for (const [id, root] of roots) {
    const d = details.get(id);
    if (d !== undefined) out.set(id, { root, details: d });
  }
  return out;
}
