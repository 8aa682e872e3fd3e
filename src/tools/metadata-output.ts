/**
 * What thin_restore and thin_repair share: building a {@link MetadataImage} from devices and
 * mappings, the checks 0.9.0 makes on the output file, and writing the image with the format
 * writer. Superblock fields that the image does not model (flags beyond needs_check, version)
 * are patched into the written superblock afterwards so that a later thin_dump prints them back.
 */
import { dmChecksum } from '../format/crc32c.js';
import { BLOCK_SIZE, MAX_METADATA_BLOCKS, SB, SUPERBLOCK_CSUM_XOR } from '../format/layout.js';
import { writeMetadataImage } from '../format/metadata-writer.js';
import { MappingTable } from '../model/mapping.js';
import type { DeviceDetails, MetadataImage } from '../model/metadata.js';
import type { MetadataBytes, RawSuperblock } from './metadata-view.js';
import { LIVE_METADATA, outputTarget, writeMetadataBytes, type ToolEnv } from './tool-io.js';

export interface BuiltSuperblock {
  time: number;
  transactionId: bigint;
  flags: number;
  version: number;
  dataBlockSize: number;
  nrDataBlocks: number;
}

export interface BuiltDevice {
  details: DeviceDetails;
  mappings: Array<{ vblock: number; dataBlock: number; time: number }>;
}

/** The output checks of 0.9.0's thin_restore and thin_repair, in their words. */
const OUTPUT_HELP =
  '\nThe output file should either be a block device,\nor an existing file.  The file needs to be large\nenough to hold the metadata.\n';
/** Files below eight metadata blocks are refused as too small (measured on 0.9.0). */
const MIN_OUTPUT_BYTES = 8 * BLOCK_SIZE;

/** Checks the output path; returns its size in bytes, or prints the error and returns null. */
export function checkOutput(env: ToolEnv, path: string): number | null {
  const t = outputTarget(env.ctx, path);
  if (!t.ok) {
    env.io.err(t.why === 'missing' ? `Output file does not exist.\n${OUTPUT_HELP}` : 'bad path\n');
    return null;
  }
  if (!t.isBlock && t.sizeBytes === 0) {
    env.io.err(`Zero size output file.\n${OUTPUT_HELP}`);
    return null;
  }
  if (!t.isBlock && t.sizeBytes < MIN_OUTPUT_BYTES) {
    env.io.err(`Output file too small.\n${OUTPUT_HELP}`);
    return null;
  }
  if (t.held) {
    env.io.err(`${LIVE_METADATA}\n`);
    return null;
  }
  return t.sizeBytes;
}

/**
 * Builds the image. Every device's mapped_blocks is recounted, as 0.9.0's thin_restore recounts
 * it, unless `recount` is false: 1.1.0's restorer writes the count its input gives.
 */
export function buildImage(
  sb: BuiltSuperblock,
  devices: ReadonlyMap<number, BuiltDevice>,
  metadataNrBlocks: number,
  recount = true,
): MetadataImage {
  const refcounts = new Uint32Array(sb.nrDataBlocks);
  const out = new Map<number, { details: DeviceDetails; table: MappingTable }>();
  for (const [id, dev] of devices) {
    const table = new MappingTable();
    for (const m of dev.mappings) {
      // A vblock given twice keeps its last mapping, so the first one's reference goes away.
      const old = table.insert(m.vblock, m.dataBlock, m.time, 0);
      if (old >= 0) refcounts[old]! -= 1;
      refcounts[m.dataBlock]! += 1;
    }
    out.set(id, {
      details: { ...dev.details, mappedBlocks: recount ? table.count() : dev.details.mappedBlocks },
      table,
    });
  }
  return {
    time: sb.time,
    transactionId: sb.transactionId,
    dataBlockSizeSectors: sb.dataBlockSize,
    nrDataBlocks: sb.nrDataBlocks,
    metadataNrBlocks,
    needsCheck: (sb.flags & 1) !== 0,
    devices: out,
    refcounts,
    heldRoot: null,
    generation: 0,
    metadataCursor: 0,
  };
}

/**
 * Writes the image to `path` (of `sizeBytes`), or prints the allocation failure (0.9.0's unless
 * `noSpace` gives another) and returns false when it does not fit. Only the blocks in use are written, as the real tools write only
 * the blocks they allocate.
 */
export function writeImage(
  env: ToolEnv,
  path: string,
  sizeBytes: number,
  sb: BuiltSuperblock,
  devices: ReadonlyMap<number, BuiltDevice>,
  options: { recount?: boolean; noSpace?: string } = {},
): boolean {
  const nrBlocks = Math.min(Math.floor(sizeBytes / BLOCK_SIZE), MAX_METADATA_BLOCKS);
  let bytes: Uint8Array;
  try {
    bytes = writeMetadataImage(buildImage(sb, devices, nrBlocks, options.recount ?? true), nrBlocks);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    env.io.err(options.noSpace ?? "transaction_manager::new_block() couldn't allocate new block\n");
    return false;
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  dv.setUint32(SB.flags, sb.flags >>> 0, true);
  dv.setUint32(SB.version, sb.version >>> 0, true);
  dv.setUint32(0, dmChecksum(bytes, 4, BLOCK_SIZE, SUPERBLOCK_CSUM_XOR), true);
  writeMetadataBytes(env.ctx, path, bytes.subarray(0, usedLength(bytes)));
  return true;
}

/** Bytes up to the end of the last block that is not all zeros. */
function usedLength(bytes: Uint8Array): number {
  for (let end = bytes.length; end > 0; end -= BLOCK_SIZE) {
    for (let i = end - BLOCK_SIZE; i < end; i++) if (bytes[i] !== 0) return end;
  }
  return BLOCK_SIZE;
}

/** Zeroes the superblock first, as 0.9.0 does before it reads its input. */
export function wipeSuperblock(env: ToolEnv, path: string): void {
  writeMetadataBytes(env.ctx, path, new Uint8Array(BLOCK_SIZE));
}

/** The superblock fields a repair keeps. */
export function builtSuperblock(sb: RawSuperblock): BuiltSuperblock {
  return {
    time: sb.time,
    transactionId: sb.transactionId,
    flags: sb.flags,
    version: sb.version,
    dataBlockSize: sb.dataBlockSize,
    nrDataBlocks: sb.dataSm.nrBlocks,
  };
}

/** The devices and mappings a repair can still read, as `thin_dump --repair` reads them. */
export function readDevices(md: MetadataBytes, sb: RawSuperblock): Map<number, BuiltDevice> {
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
  return devices;
}
