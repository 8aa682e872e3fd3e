/**
 * thin_check 0.9.0's count of the references to each metadata block from the trees
 * (thin-provisioning/metadata_counter.cc with persistent-data's btree_counter.h), which is also
 * the only place 0.9.0 reads a held metadata snapshot's own trees. Its rules differ from the
 * damage walk's, and those differences decide thin_check's exit status on a damaged snapshot:
 *
 * - A node that cannot be read (past the end, a bad checksum or block number, bad flags) ends the
 *   whole check: the counter rethrows, and thin_check prints the message unindented, status 1.
 * - A node that reads but fails a structural check (value size, max_entries, nr_entries, key
 *   order, the parent's key, overlap with the previous leaf) is silently not counted, nor is
 *   anything below it; the comparison with the space map then reports its count.
 * - A node already counted (shared with another tree, or met again through a loop) is counted
 *   once more and not descended again, which is also what ends a loop.
 *
 * Keys and child pointers are read as 64-bit bigints, so that a damaged value is printed as the
 * real tool prints it rather than rounded.
 */
import { dmChecksum } from '../format/crc32c.js';
import {
  BLOCK_SIZE,
  BTREE_CSUM_XOR,
  DETAILS_VALUE_SIZE,
  ENTRIES_PER_BITMAP,
  INDEX_ENTRY_SIZE,
  INTERNAL_NODE,
  LEAF_NODE,
  MAPPING_VALUE_SIZE,
  NODE,
  REFCOUNT_VALUE_SIZE,
  ROOT_VALUE_SIZE,
} from '../format/layout.js';
import { walkBtree } from '../format/metadata-walker.js';
import type { MetadataBytes, RawSuperblock } from './metadata-view.js';

/** What 0.9.0 threw: its message is printed as is, followed by a newline. */
class CountAborted {
  constructor(readonly message: string) {}
}

/** One node waiting to be visited: where it hangs decides which checks apply to it. */
interface Pending {
  readonly block: bigint;
  /** The level of a two-level tree (0: the top, 1: a device's bottom tree). */
  readonly level: number;
  /** The root of a tree or subtree: exempt from the one-third-full rule, and resets the leaf key. */
  readonly subRoot: boolean;
  /** The key the parent holds for this node, which must not exceed the node's first key. */
  readonly parentKey: bigint | null;
}

/** Reads a node as 0.9.0's block manager and btree validator do; the block number, or a throw. */
function readNode(md: MetadataBytes, block: bigint): number {
  if (block >= BigInt(md.nrBlocks)) throw new CountAborted(`block out of bounds (${block} >= ${md.nrBlocks})\n`);
  const b = Number(block);
  const at = b * BLOCK_SIZE;
  if (md.u32(at + NODE.csum) !== dmChecksum(md.bytes, at + 4, at + BLOCK_SIZE, BTREE_CSUM_XOR))
    throw new CountAborted(`bad checksum in btree node (block ${b})`);
  if (md.u64Big(at + NODE.blocknr) !== block) throw new CountAborted(`bad block nr in btree node (block = ${b})`);
  return b;
}

/** node_ref::get_type: internal or leaf, or a throw for both or neither. */
function isInternal(flags: number, block: number): boolean {
  if ((flags & INTERNAL_NODE) !== 0) {
    if ((flags & LEAF_NODE) !== 0) throw new CountAborted(`btree node is both internal and leaf (block ${block})`);
    return true;
  }
  if ((flags & LEAF_NODE) !== 0) return false;
  throw new CountAborted(`unknown node type (block ${block})`);
}

/**
 * Counts the nodes of the btree at `root` into `counts`, as count_btree_blocks does for a tree of
 * `levels` levels whose bottom leaves hold `leafValueSize`-byte values. The walk is depth first in
 * key order, kept on an explicit stack because a damaged tree can be as deep as the device is long.
 */
function countBtree(
  md: MetadataBytes,
  root: number,
  levels: 1 | 2,
  leafValueSize: number,
  counts: Map<number, number>,
): void {
  const lastLeafKey: (bigint | null)[] = [null, null];
  const stack: Pending[] = [{ block: BigInt(root), level: 0, subRoot: true, parentKey: null }];
  while (stack.length > 0) {
    const p = stack.pop()!;
    const block = readNode(md, p.block);
    const at = block * BLOCK_SIZE;
    const internal = isInternal(md.u32(at + NODE.flags), block);
    const nr = md.u32(at + NODE.nrEntries);
    const max = md.u32(at + NODE.maxEntries);
    const valueSize = md.u32(at + NODE.valueSize);
    const key = (i: number): bigint => {
      if (i >= nr) throw new CountAborted('key index out of bounds');
      return md.u64Big(at + NODE.header + i * 8);
    };
    if (p.subRoot) lastLeafKey[p.level] = null;
    const expectedValueSize = internal || p.level < levels - 1 ? ROOT_VALUE_SIZE : leafValueSize;
    if (valueSize !== expectedValueSize) continue;
    if ((8 + valueSize) * max + NODE.header > BLOCK_SIZE || max % 3 !== 0) continue;
    if (nr > max || (!p.subRoot && nr < Math.floor(max / 3))) continue;
    if (!keysAscend(nr, key)) continue;
    if (p.parentKey !== null && p.parentKey > key(0)) continue;
    if (!internal && nr > 0) {
      const last = lastLeafKey[p.level] ?? null;
      if (last !== null && last >= key(0)) continue;
      lastLeafKey[p.level] = key(nr - 1);
    }
    const seen = (counts.get(block) ?? 0) > 0;
    counts.set(block, (counts.get(block) ?? 0) + 1);
    if (seen || (!internal && p.level >= levels - 1)) continue;
    const values = at + NODE.header + max * 8;
    // Pushed last child first, so that the children are visited in key order.
    for (let i = nr - 1; i >= 0; i--) {
      const child = md.u64Big(values + i * 8);
      stack.push(
        internal
          ? { block: child, level: p.level, subRoot: false, parentKey: key(i) }
          : { block: child, level: p.level + 1, subRoot: true, parentKey: null },
      );
    }
  }
}

function keysAscend(nr: number, key: (i: number) => bigint): boolean {
  for (let i = 1; i < nr; i++) if (key(i) <= key(i - 1)) return false;
  return true;
}

/** The device details tree and the two-level mapping tree of one superblock copy. */
function countTrees(md: MetadataBytes, sb: RawSuperblock, counts: Map<number, number>): void {
  countBtree(md, sb.deviceDetailsRoot, 1, DETAILS_VALUE_SIZE, counts);
  countBtree(md, sb.dataMappingRoot, 2, MAPPING_VALUE_SIZE, counts);
}

export type TreeCounts =
  | { readonly ok: true; readonly counts: Map<number, number> }
  /** 0.9.0 stopped with this message (printed unindented with a newline), status 1. */
  | { readonly ok: false; readonly message: string };

/**
 * The references the superblock, its trees and the held snapshot's copy and trees make, counted as
 * count_metadata does before it counts the space maps: the live copy's trees (already found
 * sound), then the held root's superblock (a bad checksum aborts) and its trees.
 */
export function countTreeReferences(md: MetadataBytes, sb: RawSuperblock): TreeCounts {
  const counts = new Map<number, number>([[0, 1]]);
  try {
    countTrees(md, sb, counts);
    if (sb.heldRoot !== 0) {
      counts.set(sb.heldRoot, (counts.get(sb.heldRoot) ?? 0) + 1);
      if (!md.has(sb.heldRoot)) throw new CountAborted(`block out of bounds (${sb.heldRoot} >= ${md.nrBlocks})\n`);
      const held = md.superblock(sb.heldRoot);
      if (held.storedCsum !== held.computedCsum)
        throw new CountAborted(`bad checksum in superblock, wanted ${held.computedCsum}`);
      countTrees(md, held, counts);
    }
    return { ok: true, counts };
  } catch (e) {
    if (e instanceof CountAborted) return { ok: false, message: e.message };
    throw e;
  }
}

/** Adds the space maps' own blocks to the trees' counts: index and bitmaps, and the overflow trees. */
export function addSpaceMapReferences(
  md: MetadataBytes,
  sb: RawSuperblock,
  counts: Map<number, number>,
): Map<number, number> {
  const inc = (b: number): void => {
    counts.set(b, (counts.get(b) ?? 0) + 1);
  };
  // The space maps' trees are sound here (reading the counts walked them), so every node counts once.
  // Their keys do not matter to the count: 0.9.0 counts the data space map's index tree node by
  // node and never looks a bitmap up by its key (seed 17 case 1098: an index key of 2^56 passes).
  const tree = (root: number, valueSize: number, leafValue?: (valueOffset: number) => void): void => {
    walkBtree(md, root, valueSize, {
      wideKeys: true,
      node: (place) => inc(place.block),
      entry: (_key, v) => leafValue?.(v),
    });
  };
  // The metadata space map: its index block, bitmaps and overflow tree.
  inc(sb.metadataSm.bitmapRoot);
  const indexAt = sb.metadataSm.bitmapRoot * BLOCK_SIZE;
  for (let i = 0; i * ENTRIES_PER_BITMAP < sb.metadataSm.nrBlocks; i++)
    inc(md.pointer(indexAt + 16 + i * INDEX_ENTRY_SIZE));
  tree(sb.metadataSm.refCountRoot, REFCOUNT_VALUE_SIZE);
  // The data space map: its index tree (whose values name the bitmaps) and overflow tree.
  tree(sb.dataSm.bitmapRoot, INDEX_ENTRY_SIZE, (v) => inc(md.pointer(v)));
  tree(sb.dataSm.refCountRoot, REFCOUNT_VALUE_SIZE);
  return counts;
}
