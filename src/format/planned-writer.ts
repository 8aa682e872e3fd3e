/**
 * Writes a committed {@link MetadataImage} where the kernel's allocator would have put each block
 * after the same history: the {@link MetadataPlan} that src/model/metadata-allocator.ts kept for
 * the pool. Every tree (a device's mappings, the top-level tree of device roots, the details, the
 * data space map's index and both overflow trees) has the nodes the kernel's inserts and removals
 * left, a node shared by snapshots is written once, and the space maps hold the kernel's counts:
 * a metadata block's references, and a data block's count per mapping leaf that holds it.
 *
 * The plan must describe the image (the same devices, sharing the same leaves with the same
 * mappings, the same data counts); when it does not, nothing is written and the caller lays the
 * image out compactly instead, so a difference between the lab's model and the allocator's can
 * only cost the block numbers, never valid metadata.
 */
import type { IndexEntryPlan, MetadataPlan, TreeNodePlan } from '../model/metadata-allocator.js';
import type { TreeName } from '../model/metadata-btree.js';
import type { DeviceDetails, MetadataImage } from '../model/metadata.js';
import type { MappingTable } from '../model/mapping.js';
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
  REFCOUNT_VALUE_SIZE,
  ROOT_VALUE_SIZE,
  setBitmapEntry,
  setBlockTime,
  setU64,
} from './layout.js';
import {
  type IndexEntry,
  MetadataOutput,
  putDetails,
  putIndexEntry,
  writeNode,
  writeSuperblocks,
} from './metadata-blocks.js';

type Devices = MetadataImage['devices'];

/** One mapping leaf's contents, in key order. */
interface Leaf {
  readonly keys: readonly number[];
  readonly dataBlocks: readonly number[];
  readonly times: readonly number[];
}

/** The nodes of the live and held mapping trees: leaves with their times, internal nodes by their children. */
interface TreeBlocks {
  readonly leaves: Map<number, Leaf>;
  readonly internal: Map<number, TreeNodePlan>;
}

/**
 * Walks a device's tree in the plan and checks that its leaves, in order, hold the device's
 * mappings; false when they do not, or when a leaf another device shares holds other times.
 */
function addDeviceTree(plan: MetadataPlan, blocks: TreeBlocks, root: number, table: MappingTable): boolean {
  const entries: Array<readonly [number, number, number]> = [];
  table.forEach((vb, d, t) => entries.push([vb, d, t]));
  let next = 0;
  const walk = (block: number): boolean => {
    const node = plan.nodes.get(block);
    if (node === undefined) return false;
    if (!node.leaf) {
      blocks.internal.set(block, node);
      return node.values.every((child) => walk(child));
    }
    const mine = entries.slice(next, next + node.keys.length);
    next += node.keys.length;
    if (mine.length !== node.keys.length || mine.some(([vb, d], i) => vb !== node.keys[i] || d !== node.values[i])) {
      return false;
    }
    const times = mine.map(([, , t]) => t);
    const seen = blocks.leaves.get(block);
    if (seen !== undefined) return seen.times.every((t, i) => t === times[i]);
    blocks.leaves.set(block, { keys: node.keys, dataBlocks: node.values, times });
    return true;
  };
  return walk(root) && next === entries.length;
}

/**
 * The distinct nodes the live and held trees reach, by block, or null when a device's tree in the
 * plan does not hold its mappings or a device has no tree in the plan.
 */
function treeBlocks(image: MetadataImage, plan: MetadataPlan): TreeBlocks | null {
  const blocks: TreeBlocks = { leaves: new Map(), internal: new Map() };
  const add = (devices: Devices, roots: ReadonlyMap<number, number>): boolean => {
    if (devices.size !== roots.size) return false;
    for (const [id, dev] of devices) {
      const root = roots.get(id);
      if (root === undefined || !addDeviceTree(plan, blocks, root, dev.table)) return false;
    }
    return true;
  };
  if (!add(image.devices, plan.deviceRoots)) return null;
  if ((plan.held === null) !== (image.heldRoot === null)) return null;
  if (plan.held !== null && image.heldRoot !== null && !add(image.heldRoot.devices, plan.held.deviceRoots)) return null;
  return blocks;
}

/**
 * Whether the plan's data counts are one per leaf holding each block, as thin_check recounts them,
 * plus the blocks the image counts beyond its mappings (a block leaked by a failed data write).
 */
function countsMatch(
  leaves: ReadonlyMap<number, Leaf>,
  counts: ReadonlyMap<number, number>,
  skew: ReadonlyMap<number, number>,
): boolean {
  const recount = new Map<number, number>();
  for (const leaf of leaves.values()) for (const d of leaf.dataBlocks) recount.set(d, (recount.get(d) ?? 0) + 1);
  for (const [b, by] of skew) {
    const c = (recount.get(b) ?? 0) + by;
    if (c === 0) recount.delete(b);
    else recount.set(b, c);
  }
  if (recount.size !== counts.size) return false;
  for (const [b, c] of recount) if (counts.get(b) !== c) return false;
  return true;
}

/** Bitmaps from counts (2 bits a block, 3 for "in the overflow tree"). */
function writeBitmaps(out: MetadataOutput, entries: readonly IndexEntry[], counts: ReadonlyMap<number, number>): void {
  for (const e of entries) setU64(out.dv, e.block * BLOCK_SIZE + 8, e.block);
  for (const [b, count] of counts) {
    const e = entries[Math.floor(b / ENTRIES_PER_BITMAP)]!;
    setBitmapEntry(out.bytes, e.block * BLOCK_SIZE + BITMAP_HEADER, b % ENTRIES_PER_BITMAP, Math.min(count, 3));
  }
  for (const e of entries) out.seal(e.block, BITMAP_CSUM_XOR);
}

/**
 * Writes the internal nodes of the tree at `root` and hands each leaf to `leaf`; false when a
 * node is missing from the plan or belongs to another tree.
 */
function writeTree(
  out: MetadataOutput,
  nodes: ReadonlyMap<number, TreeNodePlan>,
  root: number,
  tree: TreeName,
  leaf: (block: number, node: TreeNodePlan) => boolean,
): boolean {
  const node = nodes.get(root);
  if (node === undefined || node.tree !== tree) return false;
  if (node.leaf) return leaf(root, node);
  writeNode(out, root, INTERNAL_NODE, node.keys, 0, node.keys.length, ROOT_VALUE_SIZE, (v, offset, i) =>
    setU64(v, offset, node.values[i]!),
  );
  return node.values.every((child) => writeTree(out, nodes, child, tree, leaf));
}

/** A tree's keys in order, leaf by leaf. */
function treeKeys(nodes: ReadonlyMap<number, TreeNodePlan>, root: number): number[] {
  const node = nodes.get(root);
  if (node === undefined) return [];
  return node.leaf ? [...node.keys] : node.values.flatMap((child) => treeKeys(nodes, child));
}

const sameKeys = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((k, i) => k === b[i]);

/** The overflow tree of a space map: its counts above 2, by block; false when its keys are not those blocks. */
function writeOverflow(
  out: MetadataOutput,
  plan: MetadataPlan,
  root: number,
  tree: TreeName,
  counts: ReadonlyMap<number, number>,
): boolean {
  const above2 = [...counts.keys()].filter((b) => counts.get(b)! > 2).sort((a, b) => a - b);
  if (!sameKeys(treeKeys(plan.nodes, root), above2)) return false;
  return writeTree(out, plan.nodes, root, tree, (block, node) => {
    writeNode(out, block, LEAF_NODE, node.keys, 0, node.keys.length, REFCOUNT_VALUE_SIZE, (v, offset, i) =>
      v.setUint32(offset, counts.get(node.keys[i]!)!, true),
    );
    return true;
  });
}

/** The data space map's index tree: each bitmap's entry under its number. */
function writeDataIndex(out: MetadataOutput, plan: MetadataPlan, entries: readonly IndexEntryPlan[]): boolean {
  if (
    !sameKeys(
      treeKeys(plan.nodes, plan.dataIndexRoot),
      entries.map((_e, i) => i),
    )
  )
    return false;
  return writeTree(out, plan.nodes, plan.dataIndexRoot, 'index', (block, node) => {
    writeNode(out, block, LEAF_NODE, node.keys, 0, node.keys.length, INDEX_ENTRY_SIZE, (v, offset, i) =>
      putIndexEntry(v, offset, entries[node.keys[i]!]!),
    );
    return true;
  });
}

/**
 * The details tree and the top-level tree of a set of devices (the live ones, or the held
 * snapshot's); nodes already written (shared with the live trees) are skipped. False when the
 * trees' keys are not the devices.
 */
function writeDeviceTrees(
  out: MetadataOutput,
  plan: MetadataPlan,
  written: Set<number>,
  devices: Devices,
  roots: { readonly mappingRoot: number; readonly detailsRoot: number },
): boolean {
  const ids = [...devices.keys()].sort((a, b) => a - b);
  if (!sameKeys(treeKeys(plan.nodes, roots.detailsRoot), ids)) return false;
  if (!sameKeys(treeKeys(plan.nodes, roots.mappingRoot), ids)) return false;
  const once =
    (write: (block: number, node: TreeNodePlan) => void) =>
    (block: number, node: TreeNodePlan): boolean => {
      if (!written.has(block)) write(block, node);
      written.add(block);
      return true;
    };
  const details = (id: number): DeviceDetails => devices.get(id)!.details;
  return (
    writeTree(
      out,
      plan.nodes,
      roots.detailsRoot,
      'details',
      once((block, node) =>
        writeNode(out, block, LEAF_NODE, node.keys, 0, node.keys.length, DETAILS_VALUE_SIZE, (v, offset, i) =>
          putDetails(v, offset, details(node.keys[i]!)),
        ),
      ),
    ) &&
    writeTree(
      out,
      plan.nodes,
      roots.mappingRoot,
      'top',
      once((block, node) =>
        writeNode(out, block, LEAF_NODE, node.keys, 0, node.keys.length, ROOT_VALUE_SIZE, (v, offset, i) =>
          setU64(v, offset, node.values[i]!),
        ),
      ),
    )
  );
}

/**
 * The metadata device's bytes laid out as `plan` says, up to its last block in use (every block
 * after it is free and reads as zeros), or null when the plan does not describe `image`.
 */
export function writePlannedImage(image: MetadataImage, plan: MetadataPlan): Uint8Array | null {
  if (plan.nrDataBlocks !== image.nrDataBlocks || plan.metadataNrBlocks !== image.metadataNrBlocks) return null;
  const mappingTrees = treeBlocks(image, plan);
  if (mappingTrees === null || !countsMatch(mappingTrees.leaves, plan.dataCounts, image.refcountSkew ?? new Map()))
    return null;
  // Every block the plan writes is counted in its metadata space map; the blocks after the last
  // of them are free, and left out of the bytes (the caller zeroes them).
  let lastBlock = 0;
  for (const b of plan.metadataCounts.keys()) lastBlock = Math.max(lastBlock, b);
  const out = new MetadataOutput(plan.metadataNrBlocks, lastBlock + 1);
  writeBitmaps(out, plan.metadataBitmaps, plan.metadataCounts);
  const indexAt = plan.metadataIndex * BLOCK_SIZE;
  setU64(out.dv, indexAt + 8, plan.metadataIndex);
  plan.metadataBitmaps.forEach((e, i) => putIndexEntry(out.dv, indexAt + 16 + i * INDEX_ENTRY_SIZE, e));
  out.seal(plan.metadataIndex, INDEX_CSUM_XOR);
  writeBitmaps(out, plan.dataBitmaps, plan.dataCounts);
  const written = new Set<number>();
  const trees =
    writeOverflow(out, plan, plan.metadataRefCountRoot, 'metadata-overflow', plan.metadataCounts) &&
    writeOverflow(out, plan, plan.dataRefCountRoot, 'data-overflow', plan.dataCounts) &&
    writeDataIndex(out, plan, plan.dataBitmaps) &&
    writeDeviceTrees(out, plan, written, image.devices, plan) &&
    (plan.held === null ||
      image.heldRoot === null ||
      writeDeviceTrees(out, plan, written, image.heldRoot.devices, plan.held));
  if (!trees) return null;
  for (const [block, leaf] of mappingTrees.leaves) {
    writeNode(out, block, LEAF_NODE, leaf.keys, 0, leaf.keys.length, MAPPING_VALUE_SIZE, (v, offset, i) =>
      setBlockTime(v, offset, leaf.dataBlocks[i]!, leaf.times[i]!),
    );
  }
  for (const [block, node] of mappingTrees.internal) {
    writeNode(out, block, INTERNAL_NODE, node.keys, 0, node.keys.length, ROOT_VALUE_SIZE, (v, offset, i) =>
      setU64(v, offset, node.values[i]!),
    );
  }
  writeSuperblocks(out, image, {
    data: {
      nrBlocks: plan.nrDataBlocks,
      nrAllocated: plan.dataAllocated,
      bitmapRoot: plan.dataIndexRoot,
      refCountRoot: plan.dataRefCountRoot,
    },
    metadata: {
      nrBlocks: plan.metadataNrBlocks,
      nrAllocated: plan.metadataAllocated,
      bitmapRoot: plan.metadataIndex,
      refCountRoot: plan.metadataRefCountRoot,
    },
    mappingRoot: plan.mappingRoot,
    detailsRoot: plan.detailsRoot,
    held: plan.held,
  });
  return out.bytes;
}
