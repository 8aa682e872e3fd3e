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
 * - An internal node's children are all prefetched before the first is visited, so a child past
 *   the end ends the count at its parent, before any earlier sibling's subtree is read.
 *
 * Keys and child pointers are read as 64-bit bigints, so that a damaged value is printed as the
 * real tool prints it rather than rounded.
 */
import {
  BITMAP_CSUM_XOR,
  BLOCK_SIZE,
  DETAILS_VALUE_SIZE,
  ENTRIES_PER_BITMAP,
  INDEX_ENTRY_SIZE,
  MAPPING_VALUE_SIZE,
  REFCOUNT_VALUE_SIZE,
  ROOT_VALUE_SIZE,
  SB,
  SM_ROOT,
} from '../format/layout.js';
import { walkBtree } from '../format/metadata-walker.js';
import { isInternal0, Node0, NodeError0, nodeProblem0, outOfBounds0, readNode0 } from './btree-node-0.js';
import type { MetadataBytes, RawSuperblock } from './metadata-view.js';

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

/**
 * Counts the nodes of the btree at `root` into `counts`, as count_btree_blocks does for a tree of
 * `levels` levels whose bottom leaves hold `leafValueSize`-byte values; `leafValue` sees each
 * value of a bottom leaf counted for the first time (the value counter). The walk is depth first
 * in key order, kept on an explicit stack because a damaged tree can be as deep as the device is
 * long. What cannot be read throws NodeError0, as the counter rethrows it.
 */
function countBtree(
  md: MetadataBytes,
  root: bigint,
  levels: 1 | 2,
  leafValueSize: number,
  counts: Map<number, number>,
  leafValue?: (n: Node0, i: number) => void,
): void {
  const lastLeafKey: (bigint | null)[] = [null, null];
  const stack: Pending[] = [{ block: root, level: 0, subRoot: true, parentKey: null }];
  while (stack.length > 0) {
    const p = stack.pop()!;
    const block = readNode0(md, p.block);
    const internal = isInternal0(md, block);
    const n = new Node0(md, block);
    if (p.subRoot) lastLeafKey[p.level] = null;
    const bottom = !internal && p.level >= levels - 1;
    const place = { subRoot: p.subRoot, parentKey: p.parentKey, lastLeafKey: lastLeafKey[p.level] ?? null };
    if (nodeProblem0(n, bottom ? leafValueSize : ROOT_VALUE_SIZE, place, !internal) !== null) continue;
    if (!internal && n.nrEntries > 0) lastLeafKey[p.level] = n.key(n.nrEntries - 1);
    const seen = (counts.get(block) ?? 0) > 0;
    counts.set(block, (counts.get(block) ?? 0) + 1);
    if (seen) continue;
    if (bottom) {
      for (let i = 0; i < n.nrEntries; i++) leafValue?.(n, i);
      continue;
    }
    if (internal) n.prefetchChildren();
    // Pushed last child first, so that the children are visited in key order.
    for (let i = n.nrEntries - 1; i >= 0; i--) {
      const child = n.value64(i);
      stack.push(
        internal
          ? { block: child, level: p.level, subRoot: false, parentKey: n.key(i) }
          : { block: child, level: p.level + 1, subRoot: true, parentKey: null },
      );
    }
  }
}

/** The device details tree and the two-level mapping tree of one superblock copy. */
function countTrees(md: MetadataBytes, sbBlock: number, counts: Map<number, number>): void {
  const root = (field: number): bigint => md.u64Big(sbBlock * BLOCK_SIZE + field);
  countBtree(md, root(SB.deviceDetailsRoot), 1, DETAILS_VALUE_SIZE, counts);
  countBtree(md, root(SB.dataMappingRoot), 2, MAPPING_VALUE_SIZE, counts);
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
    countTrees(md, sb.block, counts);
    // The held root as the u64 it is: 0.9.0 prints it whole when it is past the end (seed 17
    // case 1896's root of 2^60 + 50).
    const heldRoot = md.u64Big(sb.block * BLOCK_SIZE + SB.heldRoot);
    if (heldRoot !== 0n) {
      counts.set(sb.heldRoot, (counts.get(sb.heldRoot) ?? 0) + 1);
      if (heldRoot >= BigInt(md.nrBlocks)) throw new NodeError0(outOfBounds0(heldRoot, md.nrBlocks));
      const held = md.superblock(sb.heldRoot);
      if (held.storedCsum !== held.computedCsum)
        throw new NodeError0(`bad checksum in superblock, wanted ${held.computedCsum}`);
      countTrees(md, sb.heldRoot, counts);
    }
    return { ok: true, counts };
  } catch (e) {
    if (e instanceof NodeError0) return { ok: false, message: e.message };
    throw e;
  }
}

/** Adds the metadata space map's index block and bitmaps to the counts. */
function countMetadataIndex(md: MetadataBytes, sb: RawSuperblock, counts: Map<number, number>): void {
  const inc = (b: number): void => {
    counts.set(b, (counts.get(b) ?? 0) + 1);
  };
  inc(sb.metadataSm.bitmapRoot);
  const indexAt = sb.metadataSm.bitmapRoot * BLOCK_SIZE;
  for (let i = 0; i * ENTRIES_PER_BITMAP < sb.metadataSm.nrBlocks; i++)
    inc(md.pointer(indexAt + 16 + i * INDEX_ENTRY_SIZE));
}

/** Adds the metadata space map's own blocks to the counts: its index block, bitmaps and overflow tree. */
function addMetadataSpaceMapReferences(md: MetadataBytes, sb: RawSuperblock, counts: Map<number, number>): void {
  countMetadataIndex(md, sb, counts);
  countSoundTree(md, sb.metadataSm.refCountRoot, REFCOUNT_VALUE_SIZE, counts);
}

/**
 * A space map tree that reading the counts already walked whole, so every node counts once. Its
 * keys do not matter to the count (seed 17 case 1098: an index key of 2^56 passes 0.9.0).
 */
function countSoundTree(
  md: MetadataBytes,
  root: number,
  valueSize: number,
  counts: Map<number, number>,
  leafValue?: (valueOffset: number) => void,
): void {
  walkBtree(md, root, valueSize, {
    wideKeys: true,
    node: (place) => counts.set(place.block, (counts.get(place.block) ?? 0) + 1),
    entry: (_key, v) => leafValue?.(v),
  });
}

/**
 * 0.9.0's count of the metadata space map's own blocks (sm_disk::count_metadata on its index
 * block): the index block and each bitmap, whose reads the caller has already checked, then the
 * overflow tree through the btree counter, whose rules are the trees' (a node failing a structural
 * check is silently not counted; one that cannot be read ends the count). Returns that message,
 * which thin_check prints unindented, or null.
 */
export function countMetadataSpaceMap0(
  md: MetadataBytes,
  sb: RawSuperblock,
  counts: Map<number, number>,
): string | null {
  countMetadataIndex(md, sb, counts);
  try {
    countBtree(md, metadataRefCountRoot0(md, sb), 1, REFCOUNT_VALUE_SIZE, counts);
    return null;
  } catch (e) {
    if (e instanceof NodeError0) return e.message;
    throw e;
  }
}

/** The metadata space map's overflow tree root, as the superblock's u64 holds it. */
export function metadataRefCountRoot0(md: MetadataBytes, sb: RawSuperblock): bigint {
  return md.u64Big(sb.block * BLOCK_SIZE + SB.metadataSpaceMapRoot + SM_ROOT.refCountRoot);
}

/** Adds both space maps' own blocks to the trees' counts (1.1.0's view: the trees are sound). */
export function addSpaceMapReferences(
  md: MetadataBytes,
  sb: RawSuperblock,
  counts: Map<number, number>,
): Map<number, number> {
  addMetadataSpaceMapReferences(md, sb, counts);
  const inc = (b: number): void => {
    counts.set(b, (counts.get(b) ?? 0) + 1);
  };
  countSoundTree(md, sb.dataSm.bitmapRoot, INDEX_ENTRY_SIZE, counts, (v) => inc(md.pointer(v)));
  countSoundTree(md, sb.dataSm.refCountRoot, REFCOUNT_VALUE_SIZE, counts);
  return counts;
}

/** The bitmap validator's complaint when 0.9.0 locks a space map bitmap, or null. */
function bitmapProblem0(md: MetadataBytes, block: bigint): string | null {
  if (block >= BigInt(md.nrBlocks)) return outOfBounds0(block, md.nrBlocks);
  return md.placedBlockProblem(Number(block), BITMAP_CSUM_XOR, 'space map bitmap', true);
}

/**
 * 0.9.0's count of the data space map's own blocks (sm_disk::count_metadata on its btree index
 * store): the index tree through the btree counter, each index entry's bitmap locked with its
 * validator, then the overflow tree. A node that fails a structural check is silently not counted
 * (the comparison then reports it, seed 17 case 4514); what cannot be read ends the count with
 * its message, which thin_check prints unindented. Returns that message, or null.
 */
export function countDataSpaceMap0(md: MetadataBytes, sb: RawSuperblock, counts: Map<number, number>): string | null {
  const sm = (field: number): bigint => md.u64Big(sb.block * BLOCK_SIZE + SB.dataSpaceMapRoot + field);
  try {
    countBtree(md, sm(SM_ROOT.bitmapRoot), 1, INDEX_ENTRY_SIZE, counts, (n, i) => {
      const bitmap = n.value64(i);
      if (bitmap === 0n) return;
      const problem = bitmapProblem0(md, bitmap);
      if (problem !== null) throw new NodeError0(problem);
      counts.set(Number(bitmap), (counts.get(Number(bitmap)) ?? 0) + 1);
    });
    countBtree(md, sm(SM_ROOT.refCountRoot), 1, REFCOUNT_VALUE_SIZE, counts);
    return null;
  } catch (e) {
    if (e instanceof NodeError0) return e.message;
    throw e;
  }
}
