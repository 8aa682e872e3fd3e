/**
 * How 1.1.0 reads a btree node's flags word, where it differs from 0.9.0 and the kernel. The
 * kernel and 0.9.0 read the word as bits (`flags & LEAF_NODE`, format/btree-node.ts isLeafFlags);
 * 1.1.0's NodeHeader reads `is_leaf: flags == LEAF_NODE` (src/pdata/btree.rs), so a leaf with any
 * other bit set beside LEAF is an internal node to it, whose values it follows as child pointers.
 * Seed 17 case 115 of the reliability campaign: a device's empty bottom-tree leaf with flags
 * 0x00640002 is "missing root" to 1.1.0's thin_check, and its thin_dump panics on it.
 */
import { BLOCK_SIZE, BTREE_CSUM_XOR, INTERNAL_NODE, LEAF_NODE } from '../format/layout.js';
import type { MetadataBytes } from './metadata-view.js';

const FLAGS_OFFSET = 4;
const NR_ENTRIES_OFFSET = 16;

/** Whether the lab's walker reads the node at `block` as a leaf where 1.1.0 reads it as internal. */
export function leafFlagsDiffer1x(md: MetadataBytes, block: number): boolean {
  if (!md.has(block)) return false;
  // 1.1.0 checks a node's checksum before its flags: a node that fails it is a checksum error,
  // whatever its flags say (seed 17 case 5569: a flipped flags byte, `node error: checksum error`).
  const sums = md.checksums(block, BTREE_CSUM_XOR);
  if (sums === null || sums.stored !== sums.computed) return false;
  const flags = md.u32(block * BLOCK_SIZE + FLAGS_OFFSET);
  return (flags & LEAF_NODE) !== 0 && (flags & INTERNAL_NODE) === 0 && flags !== LEAF_NODE;
}

/** The number of entries the node at `block` holds (its header's nr_entries). */
export function nodeEntries(md: MetadataBytes, block: number): number {
  return md.u32(block * BLOCK_SIZE + NR_ENTRIES_OFFSET);
}

/** Whether any node of the tree at `root` is one whose flags 1.1.0 reads otherwise. */
export function treeHasLeafFlagsDiffering1x(md: MetadataBytes, root: number, valueSize: number): boolean {
  let differ = false;
  md.walkBtree(
    root,
    valueSize,
    () => undefined,
    () => undefined,
    (block) => {
      if (leafFlagsDiffer1x(md, block)) differ = true;
    },
  );
  return differ;
}
