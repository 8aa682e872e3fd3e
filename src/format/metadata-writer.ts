/**
 * Writes a committed {@link MetadataImage} as the bytes of a dm-thin metadata device, in the
 * layout the kernel and thin-provisioning-tools read (dm-thin-metadata.c, persistent-data/).
 *
 * The layout is a fresh, compact one, like thin_restore's: block 0 the superblock, then the
 * metadata space map (index block, bitmaps, overflow tree), the data space map (bitmaps, overflow
 * tree, index tree), the details tree, one bottom-level mapping tree per device and the top-level
 * mapping tree. No node is shared between devices, so every metadata block has a reference count
 * of exactly 1 and the data reference counts are the image's counts, which is what thin_check
 * recomputes from the mappings.
 *
 * A held metadata snapshot is written as the kernel's `reserve_metadata_snap` leaves it: a copy of
 * the superblock, without space-map roots, at the block the lab's status line reports, pointing at
 * the snapshot's own details and mapping trees (written beside the live ones, unshared). The data
 * space map counts the live mappings only, as the lab does.
 *
 * Not written: the superblock uuid (zeros, as thin_restore writes it).
 */
import type { MetadataImage } from '../model/metadata.js';
import { dmChecksum } from './crc32c.js';
import {
  type IndexEntry,
  MetadataOutput,
  putDetails,
  putIndexEntry,
  type ValueWriter,
  writeNode,
  writeSuperblocks,
} from './metadata-blocks.js';
import { writePlannedImage } from './planned-writer.js';
import {
  BITMAP_CSUM_XOR,
  BITMAP_HEADER,
  BLOCK_SIZE,
  DETAILS_VALUE_SIZE,
  ENTRIES_PER_BITMAP,
  INDEX_CSUM_XOR,
  INDEX_ENTRY_SIZE,
  INTERNAL_NODE,
  LEAF_NODE,
  MAPPING_VALUE_SIZE,
  MAX_METADATA_BLOCKS,
  maxEntries,
  NEEDS_CHECK_FLAG,
  REFCOUNT_VALUE_SIZE,
  ROOT_VALUE_SIZE,
  SB,
  setBitmapEntry,
  setBlockTime,
  setU64,
  SUPERBLOCK_CSUM_XOR,
} from './layout.js';

/**
 * Builds a btree bottom-up from sorted keys and returns its root. Leaves and interior nodes are
 * filled evenly, so every non-root node holds at least a third of its capacity (thin_check rejects
 * underfull nodes) and all leaves are at the same depth. An empty tree is one empty leaf, as
 * `dm_btree_empty` writes it.
 */
function writeBtree(out: MetadataOutput, keys: ArrayLike<number>, valueSize: number, writeValue: ValueWriter): number {
  let level = writeLevel(out, LEAF_NODE, keys, 0, keys.length, valueSize, writeValue);
  while (level.blocks.length > 1) {
    const children = level;
    level = writeLevel(
      out,
      INTERNAL_NODE,
      children.firstKeys,
      0,
      children.firstKeys.length,
      ROOT_VALUE_SIZE,
      (dv, offset, i) => setU64(dv, offset, children.blocks[i]!),
    );
  }
  return level.blocks[0]!;
}

/** Writes one level of nodes holding entries [from, to); returns each node's block and first key. */
function writeLevel(
  out: MetadataOutput,
  flags: number,
  keys: ArrayLike<number>,
  from: number,
  to: number,
  valueSize: number,
  writeValue: ValueWriter,
): { blocks: number[]; firstKeys: number[] } {
  const max = maxEntries(valueSize);
  const n = to - from;
  const nodes = Math.max(1, Math.ceil(n / max));
  const blocks: number[] = [];
  const firstKeys: number[] = [];
  for (let k = 0; k < nodes; k++) {
    const begin = from + Math.floor((n * k) / nodes);
    const end = from + Math.floor((n * (k + 1)) / nodes);
    const block = out.allocate();
    writeNode(out, block, flags, keys, begin, end, valueSize, writeValue);
    blocks.push(block);
    firstKeys.push(begin < end ? keys[begin]! : 0);
  }
  return { blocks, firstKeys };
}

/**
 * Fills already allocated bitmap blocks from `count(b)` for blocks [0, nrBlocks) and returns their
 * index entries and the number of blocks in use. Counts above 2 are stored as 3 ("look in the
 * overflow tree").
 */
function fillBitmaps(
  out: MetadataOutput,
  bitmapBlocks: number[],
  nrBlocks: number,
  count: (b: number) => number,
): { entries: IndexEntry[]; allocated: number } {
  const entries: IndexEntry[] = [];
  let allocated = 0;
  bitmapBlocks.forEach((block, i) => {
    const at = block * BLOCK_SIZE;
    setU64(out.dv, at + 8, block);
    const first = i * ENTRIES_PER_BITMAP;
    const inRange = Math.min(ENTRIES_PER_BITMAP, nrBlocks - first);
    let nrFree = 0;
    let noneFreeBefore = inRange;
    for (let e = 0; e < inRange; e++) {
      const c = count(first + e);
      if (c === 0) {
        nrFree++;
        if (noneFreeBefore === inRange) noneFreeBefore = e;
        continue;
      }
      allocated++;
      setBitmapEntry(out.bytes, at + BITMAP_HEADER, e, Math.min(c, 3));
    }
    out.seal(block, BITMAP_CSUM_XOR);
    entries.push({ block, nrFree, noneFreeBefore });
  });
  return { entries, allocated };
}

/**
 * Returns the bytes of a metadata device of `metadataNrBlocks` 4 KiB blocks holding `image`.
 * Throws a RangeError if the image does not fit or the size is beyond the format's limit.
 */
export function writeMetadataImage(image: MetadataImage, metadataNrBlocks: number): Uint8Array {
  const prefix = writeMetadataImagePrefix(image, metadataNrBlocks);
  if (prefix.length === metadataNrBlocks * BLOCK_SIZE) return prefix;
  const bytes = new Uint8Array(metadataNrBlocks * BLOCK_SIZE);
  bytes.set(prefix);
  return bytes;
}

/**
 * The first blocks of the metadata device {@link writeMetadataImage} would write, up to at least
 * the last one the image uses: every block after them is zeros. A kernel-laid-out image on a
 * device of millions of blocks (up to 16 GiB) uses a few hundred of them, and the lab stores the
 * rest as zeros without ever holding them as bytes.
 */
export function writeMetadataImagePrefix(image: MetadataImage, metadataNrBlocks: number): Uint8Array {
  if (!Number.isInteger(metadataNrBlocks) || metadataNrBlocks < 2 || metadataNrBlocks > MAX_METADATA_BLOCKS) {
    throw new RangeError(
      `metadata_nr_blocks must be an integer in [2, ${MAX_METADATA_BLOCKS}], got ${metadataNrBlocks}`,
    );
  }
  if (image.layout != null && image.layout.metadataNrBlocks === metadataNrBlocks) {
    const planned = writePlannedImage(image, image.layout);
    if (planned !== null) return planned;
  }
  const out = new MetadataOutput(metadataNrBlocks);
  const dv = out.dv;
  const held = image.heldRoot;
  if (held !== null) out.reserve(held.block);

  // The metadata space map comes first so that its own blocks are laid out before we know the
  // final count; its bitmaps are filled last, once every block has been allocated.
  const metaIndex = out.allocate();
  const metaBitmaps: number[] = [];
  for (let i = 0; i < Math.ceil(metadataNrBlocks / ENTRIES_PER_BITMAP); i++) metaBitmaps.push(out.allocate());
  // No metadata block is shared, so no count exceeds 2 and the overflow tree stays empty.
  const metaRefCountRoot = writeBtree(out, [], REFCOUNT_VALUE_SIZE, () => undefined);

  // The data space map: bitmaps, the overflow tree for counts above 2, and the index btree.
  const nrData = image.nrDataBlocks;
  // The held snapshot's trees are written beside the live ones, not shared with them, so each of
  // its mappings holds its own reference, as a shadowed leaf does in the kernel. Without it the
  // kernel's release_metadata_snap, which drops those references, frees blocks the live thins
  // still map (fixtures/kernel/79: data used fell from 605 to 196).
  const heldCounts = new Uint32Array(held === null ? 0 : image.nrDataBlocks);
  for (const dev of held?.devices.values() ?? []) {
    dev.table.forEach((_vb, b) => {
      if (b < heldCounts.length) heldCounts[b]!++;
    });
  }
  const dataCount = (b: number): number => (image.refcounts[b] ?? 0) + (heldCounts[b] ?? 0);
  const dataBitmaps: number[] = [];
  for (let i = 0; i < Math.ceil(nrData / ENTRIES_PER_BITMAP); i++) dataBitmaps.push(out.allocate());
  const data = fillBitmaps(out, dataBitmaps, nrData, dataCount);
  const overflow: number[] = [];
  for (let b = 0; b < nrData; b++) if (dataCount(b) > 2) overflow.push(b);
  const dataRefCountRoot = writeBtree(out, overflow, REFCOUNT_VALUE_SIZE, (v, offset, i) =>
    v.setUint32(offset, dataCount(overflow[i]!), true),
  );
  const dataIndexRoot = writeBtree(
    out,
    data.entries.map((_e, i) => i),
    INDEX_ENTRY_SIZE,
    (v, offset, i) => putIndexEntry(v, offset, data.entries[i]!),
  );

  const live = writeDeviceTrees(out, image.devices);
  const heldTrees = held === null ? null : writeDeviceTrees(out, held.devices);

  // Every block handed out (and the reserved one) is in use, once; everything else is free.
  const meta = fillBitmaps(out, metaBitmaps, metadataNrBlocks, (b) => (out.inUse(b) ? 1 : 0));
  const indexAt = metaIndex * BLOCK_SIZE;
  setU64(dv, indexAt + 8, metaIndex);
  meta.entries.forEach((e, i) => putIndexEntry(dv, indexAt + 16 + i * INDEX_ENTRY_SIZE, e));
  out.seal(metaIndex, INDEX_CSUM_XOR);

  writeSuperblocks(out, image, {
    data: { nrBlocks: nrData, nrAllocated: data.allocated, bitmapRoot: dataIndexRoot, refCountRoot: dataRefCountRoot },
    metadata: {
      nrBlocks: metadataNrBlocks,
      nrAllocated: meta.allocated,
      bitmapRoot: metaIndex,
      refCountRoot: metaRefCountRoot,
    },
    mappingRoot: live.mappingRoot,
    detailsRoot: live.detailsRoot,
    held: held === null || heldTrees === null ? null : { block: held.block, ...heldTrees },
  });
  return out.bytes;
}

/** The details tree and the two-level mapping tree of a set of devices, keyed by device id. */
function writeDeviceTrees(
  out: MetadataOutput,
  devices: MetadataImage['devices'],
): { detailsRoot: number; mappingRoot: number } {
  const ids = [...devices.keys()].sort((a, b) => a - b);
  const detailsRoot = writeBtree(out, ids, DETAILS_VALUE_SIZE, (v, offset, i) =>
    putDetails(v, offset, devices.get(ids[i]!)!.details),
  );
  const deviceRoots = ids.map((id) => {
    const vblocks: number[] = [];
    const dataBlocks: number[] = [];
    const times: number[] = [];
    devices.get(id)!.table.forEach((vb, d, t) => {
      vblocks.push(vb);
      dataBlocks.push(d);
      times.push(t);
    });
    return writeBtree(out, vblocks, MAPPING_VALUE_SIZE, (v, offset, i) =>
      setBlockTime(v, offset, dataBlocks[i]!, times[i]!),
    );
  });
  const mappingRoot = writeBtree(out, ids, ROOT_VALUE_SIZE, (v, offset, i) => setU64(v, offset, deviceRoots[i]!));
  return { detailsRoot, mappingRoot };
}

/**
 * A copy of a superblock block with needs_check set or cleared and its checksum redone: what
 * `thin_check --clear-needs-check-flag` writes, and what the kernel's close leaves on a device
 * whose other blocks it did not rewrite.
 */
export function superblockWithNeedsCheck(block0: Uint8Array, needsCheck: boolean): Uint8Array {
  const block = Uint8Array.from(block0.subarray(0, BLOCK_SIZE));
  const dv = new DataView(block.buffer);
  const flags = dv.getUint32(SB.flags, true);
  dv.setUint32(SB.flags, needsCheck ? flags | NEEDS_CHECK_FLAG : flags & ~NEEDS_CHECK_FLAG, true);
  dv.setUint32(SB.csum, dmChecksum(block, 4, BLOCK_SIZE, SUPERBLOCK_CSUM_XOR), true);
  return block;
}
