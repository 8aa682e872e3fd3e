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
import { rootSearchEnding, rootSearchLog1x } from './repair-scan-1x.js';
import { NOT_MODELLED_STATUS, notModelled1x } from './define-tool.js';
import { INVALID_LOG_LEVEL_1X, LOG_INFO, LOG_WARNING, logLevel1x } from './log-level-1x.js';
import { findRepairSource, type RepairOverrides1x, type RepairSource, validDataBlockSize1x } from './root-search-1x.js';
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
  const source = findRepairSource(md, repairOverrides(overrides));
  if (source.warning !== null && level >= LOG_WARNING) say(source.warning);
  if (source.kind === 'unmodelled') {
    env.io.err(notModelled1x('thin_repair', source.why));
    return NOT_MODELLED_STATUS;
  }
  if (source.kind === 'failed') return fail(source.message);
  if (source.kind !== 'as-is') return repairRebuilt(env, md, output, out.sizeBytes, source, announce);
  const sb = md.superblock(0);
  // 1.1.0 writes the repaired superblock without its flags: needs_check is cleared (0.9.0 kept it).
  const built = overridden({ ...builtSuperblock(sb), flags: 0 }, overrides);
  if (built === null) return UNMODELLED;
  // Superblock::overrides takes any size; the Restorer refuses it as the dump hands it the superblock.
  if (!validDataBlockSize1x(built.dataBlockSize)) return fail('output error: invalid data block size\n');
  const fallback = (): boolean => writeImage(env, output, out.sizeBytes, built, readDevices(md, sb));
  const devices = devicesOf(md, sb);
  announce(devices.keys());
  return write1x(env, output, out.sizeBytes, built, md, devices, fallback);
}

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

/** The overrides as thin_repair's command line gives them (clap has checked that each is a number). */
function repairOverrides(overrides: Record<string, string>): RepairOverrides1x {
  const tid = overrides['transaction-id'];
  const size = overrides['data-block-size'];
  const nr = overrides['nr-data-blocks'];
  return {
    ...(tid === undefined ? {} : { transactionId: BigInt(tid) }),
    ...(size === undefined ? {} : { dataBlockSize: Number(size) }),
    ...(nr === undefined ? {} : { nrDataBlocks: BigInt(nr) }),
  };
}

/**
 * The repair around a superblock 1.1.0 rebuilt (root-search-1x.ts): the devices of a pair of
 * trees on disk, or of a mapping tree alone with their details made up.
 */
function repairRebuilt(
  env: ToolEnv,
  md: MetadataBytes,
  output: string,
  sizeBytes: number,
  source: Extract<RepairSource, { kind: 'on-disk' | 'in-core' }>,
  announce: (ids: Iterable<number>) => void,
): number {
  if (source.head.nrDataBlocks > BigInt(MAX_OVERRIDDEN_DATA_BLOCKS)) return UNMODELLED;
  const built: BuiltSuperblock = { ...source.head, nrDataBlocks: Number(source.head.nrDataBlocks) };
  const sb = md.superblock(0);
  const trees =
    source.kind === 'on-disk'
      ? { ...sb, dataMappingRoot: source.mappingRoot, deviceDetailsRoot: source.detailsRoot }
      : { ...sb, dataMappingRoot: source.mappingRoot };
  const devices = source.kind === 'on-disk' ? devicesOf(md, trees) : new Map(source.devices);
  const fallback = (): boolean =>
    writeImage(
      env,
      output,
      sizeBytes,
      built,
      source.kind === 'on-disk'
        ? readDevices(md, trees)
        : new Map(
            [...source.devices].map(([id, d]) => [
              id,
              { details: d.details, mappings: [...md.mappings(d.root, () => undefined)] },
            ]),
          ),
    );
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
  env.io.err(
    notModelled1x(
      'thin_repair',
      "-v where more than 20 candidate roots are sorted and two of them tie (ipnsort's order)",
    ),
  );
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
