/**
 * Constants and small codecs of the dm-thin metadata format (dm-thin-metadata.c and
 * drivers/md/persistent-data/). Everything is little-endian; a metadata block is 4096 bytes.
 * Offsets were read from the kernel's structs and confirmed byte for byte against an image
 * written by the real thin_restore 0.9.0.
 */

export const BLOCK_SIZE = 4096;
export const METADATA_BLOCK_SECTORS = 8;
export const THIN_SUPERBLOCK_MAGIC = 27022010;
export const THIN_VERSION = 2;
/** The kernel opens versions 1 and 2 (THIN_MIN_VERSION .. THIN_MAX_VERSION). */
export const THIN_MIN_VERSION = 1;
export const NEEDS_CHECK_FLAG = 1;

// Each structure's checksum is XORed with its own constant, so that a block of one kind can never
// pass as another kind (dm-thin-metadata.c, dm-btree-internal.h, dm-space-map-common.c).
export const SUPERBLOCK_CSUM_XOR = 160774;
export const BTREE_CSUM_XOR = 121107;
export const BITMAP_CSUM_XOR = 240779;
export const INDEX_CSUM_XOR = 160478;

/** Superblock field offsets (struct thin_disk_superblock). */
export const SB = {
  csum: 0,
  flags: 4,
  blocknr: 8,
  uuid: 16,
  magic: 32,
  version: 40,
  time: 44,
  transId: 48,
  heldRoot: 56,
  dataSpaceMapRoot: 64,
  metadataSpaceMapRoot: 192,
  dataMappingRoot: 320,
  deviceDetailsRoot: 328,
  dataBlockSize: 336,
  metadataBlockSize: 340,
  metadataNrBlocks: 344,
  compatFlags: 352,
  compatRoFlags: 356,
  incompatFlags: 360,
} as const;

/** Offsets inside a 32-byte space map root (struct disk_sm_root). */
export const SM_ROOT = { nrBlocks: 0, nrAllocated: 8, bitmapRoot: 16, refCountRoot: 24 } as const;

/** Btree node header (struct node_header): csum, flags, blocknr, nr_entries, max_entries, value_size, padding. */
export const NODE = {
  csum: 0,
  flags: 4,
  blocknr: 8,
  nrEntries: 16,
  maxEntries: 20,
  valueSize: 24,
  header: 32,
} as const;
export const INTERNAL_NODE = 1;
export const LEAF_NODE = 2;

/** Bitmap and index block headers: csum, padding, blocknr, then the payload at 16. */
export const BITMAP_HEADER = 16;
export const ENTRIES_PER_BITMAP = (BLOCK_SIZE - BITMAP_HEADER) * 4;
/** The metadata space map has a single index block of this many entries (struct disk_metadata_index). */
export const METADATA_INDEX_ENTRIES = 255;
export const INDEX_ENTRY_SIZE = 16;
/** The largest metadata device the kernel uses: what one index block of bitmaps can describe (the model caps pools here too). */
export const MAX_METADATA_BLOCKS = METADATA_INDEX_ENTRIES * ENTRIES_PER_BITMAP;

// Btree value sizes.
export const MAPPING_VALUE_SIZE = 8;
export const DETAILS_VALUE_SIZE = 24;
export const ROOT_VALUE_SIZE = 8;
export const REFCOUNT_VALUE_SIZE = 4;

/**
 * Entries per node as the kernel computes them (dm-btree.c `calc_max_entries`): as many key/value
 * pairs as fit after the header, rounded down to a multiple of 3 so that a split into thirds is even.
 */
export function maxEntries(valueSize: number): number {
  const total = Math.floor((BLOCK_SIZE - NODE.header) / (8 + valueSize));
  return Math.floor(total / 3) * 3;
}

/** Writes an unsigned integer below 2^53 as a little-endian u64 without going through BigInt. */
export function setU64(dv: DataView, offset: number, value: number): void {
  dv.setUint32(offset, value >>> 0, true);
  dv.setUint32(offset + 4, Math.floor(value / 0x1_0000_0000), true);
}

/** Reads a little-endian u64 as a number; returns -1 when it does not fit in a safe integer. */
export function getU64(dv: DataView, offset: number): number {
  const lo = dv.getUint32(offset, true);
  const hi = dv.getUint32(offset + 4, true);
  if (hi >= 0x20_0000) return -1;
  return hi * 0x1_0000_0000 + lo;
}

/**
 * Reads a 2-bit space map entry. The kernel stores entry i of each 64-bit word at bits 2i and
 * 2i+1, with bit 2i as the HIGH bit (dm-space-map-common.c `sm_lookup_bitmap`); seen on disk as
 * 0x95 for the counts 2, 2, 2, 1.
 */
export function getBitmapEntry(bytes: Uint8Array, payload: number, index: number): number {
  const bit = index * 2;
  const byte = bytes[payload + (bit >>> 3)]!;
  const shift = bit & 7;
  const hi = (byte >>> shift) & 1;
  const lo = (byte >>> (shift + 1)) & 1;
  return (hi << 1) | lo;
}

export function setBitmapEntry(bytes: Uint8Array, payload: number, index: number, value: number): void {
  const bit = index * 2;
  const at = payload + (bit >>> 3);
  const shift = bit & 7;
  const hi = (value >>> 1) & 1;
  const lo = value & 1;
  bytes[at] = (bytes[at]! & ~(3 << shift)) | (hi << shift) | (lo << (shift + 1));
}

/** A mapping value: the data block in the high 40 bits, the 24-bit time stamp in the low 24. */
export function setBlockTime(dv: DataView, offset: number, dataBlock: number, time: number): void {
  dv.setUint32(offset, (((dataBlock & 0xff) << 24) | (time & 0xffffff)) >>> 0, true);
  dv.setUint32(offset + 4, Math.floor(dataBlock / 256), true);
}

export function getBlockTime(dv: DataView, offset: number): { dataBlock: number; time: number } {
  const lo = dv.getUint32(offset, true);
  const hi = dv.getUint32(offset + 4, true);
  return { dataBlock: hi * 256 + (lo >>> 24), time: lo & 0xffffff };
}
