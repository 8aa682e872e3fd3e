/**
 * Metadata images for the tools' tests: the format tests' lab states written with the format
 * writer, and damaged copies of them (a flipped byte in one block, a cleared or extra space map
 * entry, a truncated device), each of which makes the real tools take a different error path.
 */
import { dmChecksum } from '../format/crc32c.js';
import { addHandMadeHeldRoot, bigPool, emptyPool, smallPool } from '../format/lab-states.js';
import {
  BITMAP_CSUM_XOR,
  BITMAP_HEADER,
  BLOCK_SIZE,
  BTREE_CSUM_XOR,
  ENTRIES_PER_BITMAP,
  NODE,
  setBitmapEntry,
} from '../format/layout.js';
import { writeMetadataImage } from '../format/metadata-writer.js';
import { type MetadataImage, ThinMetadata } from '../model/metadata.js';
import { MetadataBytes } from './metadata-view.js';

/**
 * In the compact layout, whatever the allocator followed: the damaged copies name their blocks by
 * that layout's numbers (block 2 the metadata bitmap, block 8 a mapping leaf ...).
 */
const write = (image: MetadataImage): Uint8Array =>
  writeMetadataImage({ ...image, layout: null }, image.metadataNrBlocks);

/** Flips one byte inside `block`, so that its checksum no longer holds. */
export function corruptBlock(bytes: Uint8Array, block: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  out[block * BLOCK_SIZE + 100]! ^= 0xff;
  return out;
}

/** Sets one entry of a bitmap block and re-seals it, so that only the count is wrong. */
export function setSpaceMapEntry(bytes: Uint8Array, bitmapBlock: number, entry: number, value: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  const at = bitmapBlock * BLOCK_SIZE;
  setBitmapEntry(out, at + BITMAP_HEADER, entry, value);
  new DataView(out.buffer).setUint32(at, dmChecksum(out, at + 4, at + BLOCK_SIZE, BITMAP_CSUM_XOR), true);
  return out;
}

/** A copy of `bytes` with a hand-made held metadata snapshot at the free block `held`. */
export function withHeldRoot(bytes: Uint8Array, held: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  addHandMadeHeldRoot(out, held);
  return out;
}

/** The children of an internal btree node, in key order. */
function childrenOf(md: MetadataBytes, node: number): number[] {
  const at = node * BLOCK_SIZE;
  const nr = md.u32(at + 16);
  const max = md.u32(at + 20);
  return Array.from({ length: nr }, (_, i) => md.pointer(at + 32 + max * 8 + i * 8));
}

/**
 * Copies of `big` with one node below a root damaged: the second details leaf, the second and the
 * last leaf of device 0's mapping tree, and the first leaf of the top-level tree. 0.9.0 reports
 * their key ranges from the last key it read, and stops some walks there.
 */
function deepDamage(big: Uint8Array): Record<string, Uint8Array> {
  const md = new MetadataBytes(big);
  const sb = md.superblock(0);
  const dev0 = md.deviceRoots(sb.dataMappingRoot, () => undefined).get(0)!;
  const leaves = childrenOf(md, dev0);
  return {
    detailsLeaf: corruptBlock(big, childrenOf(md, sb.deviceDetailsRoot)[1]!),
    mappingLeaf: corruptBlock(big, leaves[1]!),
    lastMappingLeaf: corruptBlock(big, leaves.at(-1)!),
    topLeaf: corruptBlock(big, childrenOf(md, sb.dataMappingRoot)[0]!),
  };
}

/**
 * The test images by name. In `small` (10 blocks in use) block 1 is the metadata space map index,
 * 2 its bitmap, 3 its overflow tree, 4 the data bitmap, 5 the data overflow tree, 6 the data
 * index tree, 7 the details tree, 8 device 7's mapping tree and 9 the top-level tree. `held` and
 * `heldbig` carry a held metadata snapshot (a copy of the superblock) at blocks 50 and 4000.
 */
export function testImages(): Record<string, Uint8Array> {
  const small = write(smallPool());
  const big = write(bigPool());
  const images: Record<string, Uint8Array> = {
    empty: write(emptyPool()),
    small,
    big,
    held: withHeldRoot(small, 50),
    heldbig: withHeldRoot(big, 4000),
    tiny: small.slice(0, 100),
    zero: new Uint8Array(16 * BLOCK_SIZE),
    trunc: small.slice(0, 2 * BLOCK_SIZE),
    // Block 8 is in use but its metadata count is cleared (fatal); block 20 is unused but counted (a leak).
    undercounted: setSpaceMapEntry(small, 2, 8, 0),
    leaked: setSpaceMapEntry(small, 2, 20, 1),
  };
  for (let b = 0; b <= 9; b++) images[`bad${b}`] = corruptBlock(small, b);
  return { ...images, ...deepDamage(big) };
}

/** A header field of a btree node that nodeProblemImages rewrites. */
type NodeField = 'flags' | 'blocknr' | 'nrEntries' | 'maxEntries' | 'valueSize';

/** A copy of `bytes` with one header field of the btree node at `block` set, the node sealed again. */
export function withNodeField(bytes: Uint8Array, block: number, field: NodeField, value: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  const at = block * BLOCK_SIZE;
  const dv = new DataView(out.buffer);
  if (field === 'blocknr') dv.setBigUint64(at + NODE.blocknr, BigInt(value), true);
  else dv.setUint32(at + NODE[field], value, true);
  dv.setUint32(at, dmChecksum(out, at + 4, at + BLOCK_SIZE, BTREE_CSUM_XOR), true);
  return out;
}

/** A copy of `bytes` whose btree node at `block` has its second key equal to its first, sealed again. */
function withKeysOutOfOrder(bytes: Uint8Array, block: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  const at = block * BLOCK_SIZE;
  out.copyWithin(at + NODE.header + 8, at + NODE.header, at + NODE.header + 8);
  new DataView(out.buffer).setUint32(at, dmChecksum(out, at + 4, at + BLOCK_SIZE, BTREE_CSUM_XOR), true);
  return out;
}

/**
 * A pool of 400 data bitmaps (6,528,000 blocks of 64 KiB, no devices): its data space map's index
 * tree is a root over three leaves, so a node below that root can be damaged.
 */
function wideDataPool(): Uint8Array {
  const md = ThinMetadata.format(128, 4096);
  md.resizeData(400 * ENTRIES_PER_BITMAP);
  md.commit();
  return write(md.image());
}

/**
 * Node problems below the root of the details, top-level and data index trees, which thin_check
 * 1.1.0 reads whole from the superblock: the second details leaf and the first top-level leaf of
 * `big`, and the second index leaf of a pool of 400 data bitmaps, each with a bad checksum, a
 * wrong block number, flags, value size, too few entries, max_entries not divisible by 3, more
 * entries than max_entries, or keys out of order (each node sealed again with a good checksum).
 */
export function nodeProblemImages(): Record<string, Uint8Array> {
  const big = write(bigPool());
  const wide = wideDataPool();
  const trees: [string, Uint8Array, number, number][] = [];
  const md = new MetadataBytes(big);
  const sb = md.superblock(0);
  const wideIndex = new MetadataBytes(wide).superblock(0).dataSm.bitmapRoot;
  trees.push(['details', big, childrenOf(md, sb.deviceDetailsRoot)[1]!, 16]);
  trees.push(['top', big, childrenOf(md, sb.dataMappingRoot)[0]!, 16]);
  trees.push(['index', wide, childrenOf(new MetadataBytes(wide), wideIndex)[1]!, 8]);
  const images: Record<string, Uint8Array> = {};
  for (const [tree, bytes, leaf, otherValueSize] of trees) {
    const view = new MetadataBytes(bytes);
    const max = view.u32(leaf * BLOCK_SIZE + NODE.maxEntries);
    images[`${tree}Checksum`] = corruptBlock(bytes, leaf);
    images[`${tree}Blocknr`] = withNodeField(bytes, leaf, 'blocknr', leaf + 1);
    images[`${tree}Internal`] = withNodeField(bytes, leaf, 'flags', 1);
    images[`${tree}ValueSize`] = withNodeField(bytes, leaf, 'valueSize', otherValueSize);
    images[`${tree}Few`] = withNodeField(bytes, leaf, 'nrEntries', 1);
    images[`${tree}Max`] = withNodeField(bytes, leaf, 'maxEntries', max - 1);
    images[`${tree}Over`] = withNodeField(bytes, leaf, 'nrEntries', max + 1);
    images[`${tree}Order`] = withKeysOutOfOrder(bytes, leaf);
  }
  return images;
}
