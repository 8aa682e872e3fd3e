/**
 * The layout of metadata bytes the lab did not lay out itself (an image `dd`'d onto a disk, metadata
 * thin_restore wrote, metadata a pool of another history left), read back as the
 * {@link MetadataPlan} the kernel's allocator would hold after opening it: every node of every
 * tree by block, both space maps' counts, bitmaps and index entries, and a held metadata snapshot's
 * trees. With it the lab follows the kernel's allocator from the open on (the cursor at 0, as
 * sm_metadata_open leaves it), so the used-metadata count and the blocks of later commits are the
 * kernel's, where before the lab could only estimate them.
 *
 * Only sound metadata has a plan: the caller reads damaged metadata with the strict reader, and any
 * inconsistency met here (a node of the wrong shape, a count the space map's root does not add up
 * to, a bitmap's index entry missing) gives null, and the lab keeps its estimate.
 */
import type { HeldPlan, IndexEntryPlan, MetadataPlan, TreeNodePlan } from '../model/metadata-allocator.js';
import type { TreeName } from '../model/metadata-btree.js';
import {
  BITMAP_HEADER,
  BLOCK_SIZE,
  ENTRIES_PER_BITMAP,
  getBitmapEntry,
  INDEX_ENTRY_SIZE,
  INTERNAL_NODE,
  LEAF_NODE,
  METADATA_INDEX_ENTRIES,
  NODE,
} from './layout.js';
import { MAX_BTREE_DEPTH, MetadataBlocks, type RawSuperblock, readRawSuperblock } from './metadata-walker.js';

/** Thrown inside the reader only: the bytes are not metadata the allocator can take over. */
class NoPlan extends Error {}

const need = (ok: boolean, why: string): void => {
  if (!ok) throw new NoPlan(why);
};

/** The nodes of a tree read so far, by block; a shared node is read once. */
type Nodes = Map<number, TreeNodePlan>;

/**
 * Reads the tree at `root` into `nodes`. A leaf's values are what the allocator keeps for its
 * tree: a mapping leaf's data blocks, a top-level leaf's device roots, 0 for the others (whose
 * values the writer takes from the image and the counts).
 */
function readTree(blocks: MetadataBlocks, nodes: Nodes, root: number, tree: TreeName, depth = 0): void {
  need(blocks.has(root) && depth < MAX_BTREE_DEPTH, `node ${root} of the ${tree} tree`);
  const seen = nodes.get(root);
  if (seen !== undefined) return need(seen.tree === tree, `node ${root} shared by two trees`);
  const at = root * BLOCK_SIZE;
  const flags = blocks.u32(at + NODE.flags);
  const nr = blocks.u32(at + NODE.nrEntries);
  const max = blocks.u32(at + NODE.maxEntries);
  const valueSize = blocks.u32(at + NODE.valueSize);
  need(blocks.u64(at + NODE.blocknr) === root && nr <= max, `node ${root}'s header`);
  need(NODE.header + max * (8 + valueSize) <= BLOCK_SIZE, `node ${root}'s max_entries`);
  const leaf = (flags & LEAF_NODE) !== 0;
  need(leaf || (flags & INTERNAL_NODE) !== 0, `node ${root}'s flags`);
  const keys: number[] = [];
  const values: number[] = [];
  const valuesAt = at + NODE.header + max * 8;
  for (let i = 0; i < nr; i++) {
    keys.push(blocks.u64(at + NODE.header + i * 8));
    if (!leaf || tree === 'top') values.push(blocks.u64(valuesAt + i * 8));
    // A mapping's value is the data block in its upper 40 bits and the time in its lower 24.
    else if (tree === 'mapping') values.push(Number(blocks.u64Big(valuesAt + i * 8) >> 24n));
    else values.push(0);
  }
  need(keys.every((k) => k >= 0) && values.every((v) => v >= 0), `node ${root}'s entries`);
  nodes.set(root, { tree, leaf, keys, values });
  if (!leaf) for (const child of values) readTree(blocks, nodes, child, tree, depth + 1);
  else if (tree === 'top') for (const deviceRoot of values) readTree(blocks, nodes, deviceRoot, 'mapping');
}

/** The entries of the leaves of a tree read into `nodes`, in key order, with their values at `valuesOf`. */
function leafEntries(
  blocks: MetadataBlocks,
  nodes: Nodes,
  root: number,
  visit: (key: number, valueAt: number) => void,
): void {
  const node = nodes.get(root)!;
  if (!node.leaf) {
    for (const child of node.values) leafEntries(blocks, nodes, child, visit);
    return;
  }
  const at = root * BLOCK_SIZE;
  const max = blocks.u32(at + NODE.maxEntries);
  const valueSize = blocks.u32(at + NODE.valueSize);
  node.keys.forEach((key, i) => visit(key, at + NODE.header + max * 8 + i * valueSize));
}

function indexEntry(blocks: MetadataBlocks, at: number): IndexEntryPlan {
  return { block: blocks.u64(at), nrFree: blocks.u32(at + 8), noneFreeBefore: blocks.u32(at + 12) };
}

/** A space map's counts: its bitmaps' 2-bit entries, those of 3 looked up in its overflow tree. */
function readCounts(
  blocks: MetadataBlocks,
  nodes: Nodes,
  bitmaps: readonly IndexEntryPlan[],
  nrBlocks: number,
  overflowRoot: number,
): Map<number, number> {
  const overflow = new Map<number, number>();
  leafEntries(blocks, nodes, overflowRoot, (key, at) => overflow.set(key, blocks.u32(at)));
  const counts = new Map<number, number>();
  bitmaps.forEach((e, i) => {
    need(blocks.has(e.block), `bitmap ${i} at block ${e.block}`);
    const payload = e.block * BLOCK_SIZE + BITMAP_HEADER;
    const entries = Math.min(ENTRIES_PER_BITMAP, nrBlocks - i * ENTRIES_PER_BITMAP);
    for (let bit = 0; bit < entries; bit++) {
      const v = getBitmapEntry(blocks.bytes, payload, bit);
      if (v === 0) continue;
      const b = i * ENTRIES_PER_BITMAP + bit;
      const count = v === 3 ? (overflow.get(b) ?? 0) : v;
      need(count >= v, `the overflow count of block ${b}`);
      counts.set(b, count);
    }
  });
  return counts;
}

/** The device roots a superblock's top-level tree holds (its nodes already read). */
function deviceRootsOf(nodes: Nodes, mappingRoot: number): Map<number, number> {
  const roots = new Map<number, number>();
  const walk = (b: number): void => {
    const node = nodes.get(b)!;
    if (node.leaf) node.keys.forEach((id, i) => roots.set(id, node.values[i]!));
    else for (const child of node.values) walk(child);
  };
  walk(mappingRoot);
  return roots;
}

function readHeld(blocks: MetadataBlocks, nodes: Nodes, sb: RawSuperblock): HeldPlan | null {
  if (sb.heldRoot === 0) return null;
  const held = readRawSuperblock(blocks, sb.heldRoot);
  need(held !== null && held.storedCsum === held.computedCsum, 'the held superblock');
  readTree(blocks, nodes, held!.dataMappingRoot, 'top');
  readTree(blocks, nodes, held!.deviceDetailsRoot, 'details');
  return {
    block: sb.heldRoot,
    mappingRoot: held!.dataMappingRoot,
    detailsRoot: held!.deviceDetailsRoot,
    deviceRoots: deviceRootsOf(nodes, held!.dataMappingRoot),
  };
}

function readPlanOrThrow(bytes: Uint8Array): MetadataPlan {
  const blocks = new MetadataBlocks(bytes);
  const sb = readRawSuperblock(blocks, 0);
  need(sb !== null && sb.storedCsum === sb.computedCsum, 'the superblock');
  const { metadataSm, dataSm } = sb!;
  const nodes: Nodes = new Map();
  readTree(blocks, nodes, metadataSm.refCountRoot, 'metadata-overflow');
  readTree(blocks, nodes, dataSm.refCountRoot, 'data-overflow');
  readTree(blocks, nodes, dataSm.bitmapRoot, 'index');
  readTree(blocks, nodes, sb!.dataMappingRoot, 'top');
  readTree(blocks, nodes, sb!.deviceDetailsRoot, 'details');
  const held = readHeld(blocks, nodes, sb!);

  const nrMetaBitmaps = Math.ceil(metadataSm.nrBlocks / ENTRIES_PER_BITMAP);
  need(nrMetaBitmaps <= METADATA_INDEX_ENTRIES && blocks.has(metadataSm.bitmapRoot), 'the metadata index');
  const indexAt = metadataSm.bitmapRoot * BLOCK_SIZE + 16;
  const metadataBitmaps = Array.from({ length: nrMetaBitmaps }, (_, i) =>
    indexEntry(blocks, indexAt + i * INDEX_ENTRY_SIZE),
  );
  const dataBitmaps: IndexEntryPlan[] = [];
  leafEntries(blocks, nodes, dataSm.bitmapRoot, (key, at) => {
    need(key === dataBitmaps.length, `the data index entry of bitmap ${dataBitmaps.length}`);
    dataBitmaps.push(indexEntry(blocks, at));
  });
  need(dataBitmaps.length === Math.ceil(dataSm.nrBlocks / ENTRIES_PER_BITMAP), 'the data index');
  const metadataCounts = readCounts(blocks, nodes, metadataBitmaps, metadataSm.nrBlocks, metadataSm.refCountRoot);
  const dataCounts = readCounts(blocks, nodes, dataBitmaps, dataSm.nrBlocks, dataSm.refCountRoot);
  // The metadata space map's root may count more blocks than its bitmaps hold: 0.9.0's restorer
  // frees its empty mapping root after the commit that wrote nr_allocated (metadata-writer-0.ts).
  // The kernel takes nr_allocated as it finds it, and so does the plan.
  need(
    metadataCounts.size <= metadataSm.nrAllocated && metadataSm.nrAllocated <= metadataSm.nrBlocks,
    'the allocated metadata count',
  );
  need(dataCounts.size === dataSm.nrAllocated, 'the allocated data count');
  // Every node read is a block the metadata space map counts: a node it calls free is damage.
  for (const b of nodes.keys()) need(metadataCounts.has(b), `node ${b} counted free`);
  return {
    metadataNrBlocks: metadataSm.nrBlocks,
    metadataIndex: metadataSm.bitmapRoot,
    metadataBitmaps,
    metadataCounts,
    metadataAllocated: metadataSm.nrAllocated,
    metadataRefCountRoot: metadataSm.refCountRoot,
    nrDataBlocks: dataSm.nrBlocks,
    dataBitmaps,
    dataCounts,
    dataAllocated: dataCounts.size,
    dataIndexRoot: dataSm.bitmapRoot,
    dataRefCountRoot: dataSm.refCountRoot,
    mappingRoot: sb!.dataMappingRoot,
    detailsRoot: sb!.deviceDetailsRoot,
    deviceRoots: deviceRootsOf(nodes, sb!.dataMappingRoot),
    held,
    nodes,
  };
}

/** The layout of sound metadata bytes, as the kernel's allocator holds it after opening them; null when they are not sound. */
export function readMetadataPlan(bytes: Uint8Array): MetadataPlan | null {
  try {
    return readPlanOrThrow(bytes);
  } catch (e) {
    if (e instanceof NoPlan || e instanceof RangeError) return null;
    throw e;
  }
}
