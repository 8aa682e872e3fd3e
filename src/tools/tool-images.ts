/**
 * Metadata images for the tools' tests: the format tests' lab states written with the format
 * writer, and damaged copies of them (a flipped byte in one block, a cleared or extra space map
 * entry, a truncated device), each of which makes the real tools take a different error path.
 */
import { dmChecksum } from '../format/crc32c.js';
import { addHandMadeHeldRoot, bigPool, emptyPool, smallPool } from '../format/lab-states.js';
import { BITMAP_CSUM_XOR, BITMAP_HEADER, BLOCK_SIZE, setBitmapEntry } from '../format/layout.js';
import { writeMetadataImage } from '../format/metadata-writer.js';
import type { MetadataImage } from '../model/metadata.js';
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
