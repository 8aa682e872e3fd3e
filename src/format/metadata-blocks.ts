/**
 * The pieces both metadata writers put on a device (src/format/metadata-writer.ts lays an image out
 * compactly, src/format/planned-writer.ts where the kernel's allocator put it): the output device,
 * btree nodes, space map roots and index entries, and the superblock with its held copy.
 */
import type { DeviceDetails, MetadataImage } from '../model/metadata.js';
import { dmChecksum } from './crc32c.js';
import {
  BLOCK_SIZE,
  BTREE_CSUM_XOR,
  maxEntries,
  METADATA_BLOCK_SECTORS,
  NEEDS_CHECK_FLAG,
  NODE,
  SB,
  SM_ROOT,
  SUPERBLOCK_CSUM_XOR,
  setU64,
  THIN_SUPERBLOCK_MAGIC,
  THIN_VERSION,
} from './layout.js';

/** Writes value `i` of a leaf at `offset` in the output. */
export type ValueWriter = (dv: DataView, offset: number, i: number) => void;

/** The output device and its block allocator. Blocks are handed out in increasing order from 1. */
export class MetadataOutput {
  readonly bytes: Uint8Array;
  readonly dv: DataView;
  private next = 1;
  /** A block kept for a fixed purpose (the held snapshot's superblock copy); never handed out. */
  private reserved = -1;

  /**
   * `heldBlocks` is how many of the device's first blocks the bytes hold (all of them unless the
   * caller knows the last block it writes): a metadata device of up to 4,161,600 blocks (16 GiB)
   * is mostly free blocks that the writer would only fill with zeros.
   */
  constructor(
    readonly nrBlocks: number,
    heldBlocks = nrBlocks,
  ) {
    this.bytes = new Uint8Array(heldBlocks * BLOCK_SIZE);
    this.dv = new DataView(this.bytes.buffer);
  }

  /** Whether block `b` holds something. */
  inUse(b: number): boolean {
    return b === 0 || b === this.reserved || b < this.next;
  }

  reserve(block: number): void {
    if (block < 1 || block >= this.nrBlocks) throw new RangeError(`held metadata root ${block} is outside the device`);
    this.reserved = block;
  }

  allocate(): number {
    if (this.next === this.reserved) this.next++;
    if (this.next >= this.nrBlocks) {
      throw new RangeError(`metadata device too small: ${this.nrBlocks} blocks are not enough for this image`);
    }
    return this.next++;
  }

  /** Seals a block: its checksum covers everything after the checksum field. */
  seal(block: number, xor: number): void {
    const at = block * BLOCK_SIZE;
    this.dv.setUint32(at, dmChecksum(this.bytes, at + 4, at + BLOCK_SIZE, xor), true);
  }
}

/** The pieces of a space map root, before it is stored in the superblock. */
export interface SpaceMapRoot {
  nrBlocks: number;
  nrAllocated: number;
  bitmapRoot: number;
  refCountRoot: number;
}

export function putSpaceMapRoot(dv: DataView, offset: number, root: SpaceMapRoot): void {
  setU64(dv, offset + SM_ROOT.nrBlocks, root.nrBlocks);
  setU64(dv, offset + SM_ROOT.nrAllocated, root.nrAllocated);
  setU64(dv, offset + SM_ROOT.bitmapRoot, root.bitmapRoot);
  setU64(dv, offset + SM_ROOT.refCountRoot, root.refCountRoot);
}

/** An index entry (struct disk_index_entry): the bitmap's block, its free count and first free entry. */
export interface IndexEntry {
  block: number;
  nrFree: number;
  noneFreeBefore: number;
}

export function putIndexEntry(dv: DataView, offset: number, e: IndexEntry): void {
  setU64(dv, offset, e.block);
  dv.setUint32(offset + 8, e.nrFree, true);
  dv.setUint32(offset + 12, e.noneFreeBefore, true);
}

/** Writes a btree node holding entries [begin, end) of `keys` at `block`, and seals it. */
export function writeNode(
  out: MetadataOutput,
  block: number,
  flags: number,
  keys: ArrayLike<number>,
  begin: number,
  end: number,
  valueSize: number,
  writeValue: ValueWriter,
): void {
  const max = maxEntries(valueSize);
  const at = block * BLOCK_SIZE;
  const dv = out.dv;
  dv.setUint32(at + NODE.flags, flags, true);
  setU64(dv, at + NODE.blocknr, block);
  dv.setUint32(at + NODE.nrEntries, end - begin, true);
  dv.setUint32(at + NODE.maxEntries, max, true);
  dv.setUint32(at + NODE.valueSize, valueSize, true);
  const keyBase = at + NODE.header;
  const valueBase = keyBase + max * 8;
  for (let i = begin; i < end; i++) {
    setU64(dv, keyBase + (i - begin) * 8, keys[i]!);
    writeValue(dv, valueBase + (i - begin) * valueSize, i);
  }
  out.seal(block, BTREE_CSUM_XOR);
}

/** Where the superblock's trees and space maps are, and the held snapshot's copy if any. */
export interface SuperblockRoots {
  readonly data: SpaceMapRoot;
  readonly metadata: SpaceMapRoot;
  readonly mappingRoot: number;
  readonly detailsRoot: number;
  readonly held: { readonly block: number; readonly mappingRoot: number; readonly detailsRoot: number } | null;
}

/**
 * Writes the superblock at block 0 and, for a held metadata snapshot, its copy: the live one as it
 * was, without space-map roots, pointing at the snapshot's trees.
 */
export function writeSuperblocks(out: MetadataOutput, image: MetadataImage, roots: SuperblockRoots): void {
  const dv = out.dv;
  dv.setUint32(SB.flags, image.needsCheck ? NEEDS_CHECK_FLAG : 0, true);
  setU64(dv, SB.blocknr, 0);
  setU64(dv, SB.magic, THIN_SUPERBLOCK_MAGIC);
  dv.setUint32(SB.version, THIN_VERSION, true);
  dv.setUint32(SB.time, image.time >>> 0, true);
  dv.setBigUint64(SB.transId, BigInt.asUintN(64, image.transactionId), true);
  setU64(dv, SB.heldRoot, roots.held === null ? 0 : roots.held.block);
  putSpaceMapRoot(dv, SB.dataSpaceMapRoot, roots.data);
  putSpaceMapRoot(dv, SB.metadataSpaceMapRoot, roots.metadata);
  setU64(dv, SB.dataMappingRoot, roots.mappingRoot);
  setU64(dv, SB.deviceDetailsRoot, roots.detailsRoot);
  dv.setUint32(SB.dataBlockSize, image.dataBlockSizeSectors, true);
  dv.setUint32(SB.metadataBlockSize, METADATA_BLOCK_SECTORS, true);
  setU64(dv, SB.metadataNrBlocks, out.nrBlocks);
  out.seal(0, SUPERBLOCK_CSUM_XOR);
  const held = image.heldRoot;
  if (held === null || roots.held === null) return;
  const at = roots.held.block * BLOCK_SIZE;
  out.bytes.copyWithin(at, 0, BLOCK_SIZE);
  setU64(dv, at + SB.blocknr, roots.held.block);
  dv.setUint32(at + SB.time, held.time >>> 0, true);
  dv.setBigUint64(at + SB.transId, BigInt.asUintN(64, held.transactionId), true);
  setU64(dv, at + SB.heldRoot, 0);
  out.bytes.fill(0, at + SB.dataSpaceMapRoot, at + SB.dataMappingRoot);
  setU64(dv, at + SB.dataMappingRoot, roots.held.mappingRoot);
  setU64(dv, at + SB.deviceDetailsRoot, roots.held.detailsRoot);
  out.seal(roots.held.block, SUPERBLOCK_CSUM_XOR);
}

/** A details tree value (struct disk_device_details). */
export function putDetails(v: DataView, offset: number, d: DeviceDetails): void {
  setU64(v, offset, d.mappedBlocks);
  v.setBigUint64(offset + 8, BigInt.asUintN(64, d.transactionId), true);
  v.setUint32(offset + 16, d.creationTime >>> 0, true);
  v.setUint32(offset + 20, d.snapshottedTime >>> 0, true);
}
