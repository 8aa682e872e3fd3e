/**
 * The one walker of dm-thin's on-disk metadata. It follows the superblock, the device-details
 * btree, the two-level mapping btree, the data and metadata space maps (index, bitmaps and the
 * ref count overflow tree) and the held metadata snapshot's copy of all of them, and reports every
 * node, entry and piece of damage to a visitor. It never throws on damaged bytes: every read is
 * bounds-checked, and what cannot be read is damage handed to the visitor, after which the walk
 * goes on with the node's siblings as thin_check does.
 *
 * Its two kinds of users differ only in their visitors. The kernel's reader
 * (metadata-reader.ts) stops at the first damage, because a pool refuses (or fails I/O on)
 * metadata it cannot trust; the thin tools (tools/metadata-view.ts) carry on and word each damage
 * the way thin-provisioning-tools 0.9.0 does.
 */
import { checkBtreeNode, type NodeHeader, type NodeProblem } from './btree-node.js';
import { dmChecksum } from './crc32c.js';
import {
  BITMAP_CSUM_XOR,
  BITMAP_HEADER,
  BLOCK_SIZE,
  DETAILS_VALUE_SIZE,
  ENTRIES_PER_BITMAP,
  getBitmapEntry,
  getBlockTime,
  getU64,
  INDEX_CSUM_XOR,
  INDEX_ENTRY_SIZE,
  MAPPING_VALUE_SIZE,
  METADATA_INDEX_ENTRIES,
  NODE,
  REFCOUNT_VALUE_SIZE,
  ROOT_VALUE_SIZE,
  SB,
  SM_ROOT,
  SUPERBLOCK_CSUM_XOR,
} from './layout.js';

/** No valid tree is deeper than this: 252-way nodes reach 2^64 keys in 8 levels. */
export const MAX_BTREE_DEPTH = 16;

/**
 * The metadata device's bytes with bounds-checked reads. A read that would fall outside the bytes
 * returns null (or an impossible value, documented per method) instead of throwing a RangeError,
 * so a damaged pointer can only ever become reported damage.
 */
export class MetadataBlocks {
  readonly dv: DataView;
  readonly nrBlocks: number;

  constructor(readonly bytes: Uint8Array) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.nrBlocks = Math.floor(bytes.length / BLOCK_SIZE);
  }

  /** Whether `block` is a whole block of the device. */
  has(block: number): boolean {
    return Number.isInteger(block) && block >= 0 && block < this.nrBlocks;
  }

  /** A little-endian u32, or 0 past the end (only ever asked inside a block `has` accepted). */
  u32(offset: number): number {
    return offset >= 0 && offset + 4 <= this.bytes.length ? this.dv.getUint32(offset, true) : 0;
  }

  /** A little-endian u64 as a number; -1 when it does not fit in a safe integer or lies past the end. */
  u64(offset: number): number {
    return offset >= 0 && offset + 8 <= this.bytes.length ? getU64(this.dv, offset) : -1;
  }

  /** A little-endian u64 as a bigint; 0n past the end. */
  u64Big(offset: number): bigint {
    return offset >= 0 && offset + 8 <= this.bytes.length ? this.dv.getBigUint64(offset, true) : 0n;
  }

  /** The checksum stored in the first four bytes of `block` and the one its contents give. */
  checksums(block: number, xor: number): { stored: number; computed: number } | null {
    if (!this.has(block)) return null;
    const at = block * BLOCK_SIZE;
    return { stored: this.u32(at), computed: dmChecksum(this.bytes, at + 4, at + BLOCK_SIZE, xor) };
  }

  /** The 2-bit space map entries of bitmap `block` for entries [0, count). */
  bitmapEntries(block: number, count: number, into: Uint32Array, first: number): void {
    const payload = block * BLOCK_SIZE + BITMAP_HEADER;
    for (let e = 0; e < count; e++) into[first + e] = getBitmapEntry(this.bytes, payload, e);
  }
}

/** Where a node sits: the keys its parent lets it hold, [low, high) (`high` null: to the end). */
export interface NodePlace {
  readonly block: number;
  readonly depth: number;
  readonly low: number;
  readonly high: number | null;
  /** The key the parent holds for this node (null for the root). */
  readonly parentKey?: number | null;
}

/**
 * A node the walker could not use. `problem` is what the node says of itself (null when it is
 * sound but met in the wrong place); `loop` is what its place says: deeper than any valid tree, or
 * already read in this tree (a loop or a cross-link). `pointerTooLarge`: the parent's child
 * pointer does not even fit in a safe integer. `lastKey` and `entriesBefore` are the last leaf key
 * and the number of leaf entries the walk had reported before it.
 */
export interface NodeDamage {
  readonly place: NodePlace;
  readonly problem: NodeProblem | null;
  readonly loop: 'too-deep' | 'revisited' | null;
  readonly pointerTooLarge: boolean;
  readonly lastKey: number | null;
  readonly entriesBefore: number;
}

/** What a btree walk reports. Only `entry` is required; the walk skips a damaged node's keys. */
export interface BtreeVisitor {
  /**
   * Called for a node before it is validated; false skips it and its subtree without further
   * checks. The kernel's reader uses it to apply the kernel's own node_check first.
   */
  screen?(place: NodePlace): boolean;
  /** A node that passed validation, before its entries are reported. */
  node?(place: NodePlace, header: NodeHeader): void;
  /**
   * A leaf entry: its key, the byte offset of its value, and that of its key (where a `wideKeys`
   * walk's rounded key can be read again exactly).
   */
  entry(key: number, valueOffset: number, keyOffset: number): void;
  damage?(d: NodeDamage): void;
  /**
   * Also apply the two checks thin-provisioning-tools 0.9.0 makes from a node's surroundings (its
   * btree_node_checker): the parent's key must not exceed the node's first key, and a leaf's first
   * key must be above the previous leaf's last. The kernel makes neither, so its reader leaves
   * this off.
   */
  readonly surroundingKeys?: boolean;
  /**
   * Accept keys above 2^53 instead of reporting them as `key-too-large`, and hand them on rounded
   * to the nearest double. thin_check 0.9.0 reads keys as 64-bit numbers and passes a node whose
   * last key has a flipped high byte (seed 17 case 126 of the metadata campaign); it prints a key
   * only in a damaged range, so the rounding shows only there.
   */
  readonly wideKeys?: boolean;
  /** Pass a node below one-third full anywhere in the tree (thin_dump 0.9.0's ignore_non_fatal). */
  readonly fewEntriesPass?: boolean;
}

/** The key at `offset`: exact below 2^53, rounded above (only a `wideKeys` walk gets there). */
function keyAt(blocks: MetadataBlocks, offset: number): number {
  const key = blocks.u64(offset);
  return key >= 0 ? key : Number(blocks.u64Big(offset));
}

/** The node's problem with its surroundings, when the visitor asks for those checks. */
function surroundingProblem(
  blocks: MetadataBlocks,
  place: NodePlace,
  header: NodeHeader,
  lastKey: number | null,
): NodeProblem | null {
  if (header.nrEntries === 0) return null;
  const first = keyAt(blocks, header.block * BLOCK_SIZE + NODE.header);
  const parent = place.parentKey ?? null;
  if (parent !== null && parent > first) return { code: 'parent-key', parent, lowest: first };
  if (header.leaf && lastKey !== null && lastKey >= first) return { code: 'leaf-key-overlap', last: lastKey, first };
  return null;
}

/**
 * Walks the btree at `root` whose leaves hold `valueSize`-byte values, reporting to `visitor` in
 * key order. Within one tree no node is ever referenced twice (sharing happens only between
 * trees), so a second visit is reported as a loop, which also bounds the work on bad input.
 */
export function walkBtree(blocks: MetadataBlocks, root: number, valueSize: number, visitor: BtreeVisitor): void {
  const entered = new Set<number>();
  let lastKey: number | null = null;
  let entries = 0;
  const report = (
    place: NodePlace,
    problem: NodeProblem | null,
    loop: NodeDamage['loop'],
    pointerTooLarge = false,
  ): void => {
    visitor.damage?.({ place, problem, loop, pointerTooLarge, lastKey, entriesBefore: entries });
  };
  const walk = (place: NodePlace): void => {
    const { block, depth } = place;
    const loop = depth > MAX_BTREE_DEPTH ? 'too-deep' : entered.has(block) ? 'revisited' : null;
    if (loop === null && visitor.screen !== undefined && !visitor.screen(place)) return;
    const checked = checkBtreeNode(
      blocks.bytes,
      blocks.dv,
      block,
      valueSize,
      depth === 0,
      visitor.wideKeys,
      visitor.fewEntriesPass,
    );
    if (loop !== null || !checked.ok) {
      report(place, checked.ok ? null : checked.problem, loop);
      return;
    }
    entered.add(block);
    const header = checked.node;
    const around = visitor.surroundingKeys === true ? surroundingProblem(blocks, place, header, lastKey) : null;
    if (around !== null) {
      report(place, around, null);
      return;
    }
    visitor.node?.(place, header);
    const keyBase = block * BLOCK_SIZE + NODE.header;
    const valueBase = keyBase + header.maxEntries * 8;
    for (let i = 0; i < header.nrEntries; i++) {
      // checkBtreeNode has seen the keys go strictly up (and fit in a safe integer unless wideKeys).
      const key = keyAt(blocks, keyBase + i * 8);
      const valueOffset = valueBase + i * header.valueSize;
      if (header.leaf) {
        lastKey = key;
        entries++;
        visitor.entry(key, valueOffset, keyBase + i * 8);
        continue;
      }
      // The first child may start below its key only at the root's left edge; keep the parent's
      // lower bound for it and the child's key for the rest.
      const low = i === 0 ? place.low : key;
      const high = i + 1 < header.nrEntries ? keyAt(blocks, keyBase + (i + 1) * 8) : place.high;
      const child = blocks.u64(valueOffset);
      if (child < 0) {
        const nrBlocks = blocks.nrBlocks;
        report(
          { block: Number.MAX_SAFE_INTEGER, depth: depth + 1, low, high },
          { code: 'out-of-bounds', nrBlocks },
          null,
          true,
        );
        continue;
      }
      walk({ block: child, depth: depth + 1, low, high, parentKey: key });
    }
  };
  walk({ block: root, depth: 0, low: 0, high: null });
}

/** The fields of a space map root (struct disk_sm_root); -1 where a value does not fit. */
export interface SpaceMapRoot {
  readonly nrBlocks: number;
  readonly nrAllocated: number;
  readonly bitmapRoot: number;
  readonly refCountRoot: number;
}

/** A superblock's fields, read without validation; -1 where a u64 does not fit in a safe integer. */
export interface RawSuperblock {
  readonly block: number;
  readonly storedCsum: number;
  /** The checksum the block's contents give: what thin_check says it "wanted". */
  readonly computedCsum: number;
  readonly flags: number;
  readonly blocknr: number;
  readonly magic: number;
  readonly version: number;
  readonly time: number;
  readonly transactionId: bigint;
  readonly heldRoot: number;
  readonly dataMappingRoot: number;
  readonly deviceDetailsRoot: number;
  readonly dataBlockSize: number;
  readonly metadataBlockSize: number;
  readonly metadataNrBlocks: number;
  readonly incompatFlags: number;
  readonly dataSm: SpaceMapRoot;
  readonly metadataSm: SpaceMapRoot;
}

/** Reads the superblock copy at `block` (0, or a held snapshot's), or null when it is past the end. */
export function readRawSuperblock(blocks: MetadataBlocks, block: number): RawSuperblock | null {
  const sums = blocks.checksums(block, SUPERBLOCK_CSUM_XOR);
  if (sums === null) return null;
  const at = block * BLOCK_SIZE;
  const sm = (offset: number): SpaceMapRoot => ({
    nrBlocks: blocks.u64(at + offset + SM_ROOT.nrBlocks),
    nrAllocated: blocks.u64(at + offset + SM_ROOT.nrAllocated),
    bitmapRoot: blocks.u64(at + offset + SM_ROOT.bitmapRoot),
    refCountRoot: blocks.u64(at + offset + SM_ROOT.refCountRoot),
  });
  return {
    block,
    storedCsum: sums.stored,
    computedCsum: sums.computed,
    flags: blocks.u32(at + SB.flags),
    blocknr: blocks.u64(at + SB.blocknr),
    magic: blocks.u64(at + SB.magic),
    version: blocks.u32(at + SB.version),
    time: blocks.u32(at + SB.time),
    transactionId: blocks.u64Big(at + SB.transId),
    heldRoot: blocks.u64(at + SB.heldRoot),
    dataMappingRoot: blocks.u64(at + SB.dataMappingRoot),
    deviceDetailsRoot: blocks.u64(at + SB.deviceDetailsRoot),
    dataBlockSize: blocks.u32(at + SB.dataBlockSize),
    metadataBlockSize: blocks.u32(at + SB.metadataBlockSize),
    metadataNrBlocks: blocks.u64(at + SB.metadataNrBlocks),
    incompatFlags: blocks.u32(at + SB.incompatFlags),
    dataSm: sm(SB.dataSpaceMapRoot),
    metadataSm: sm(SB.metadataSpaceMapRoot),
  };
}

/** The trees and blocks of one superblock copy, as the metadata walk names them. */
export type MetadataTree = 'details' | 'top' | 'bottom' | 'data-index' | 'data-refcount' | 'metadata-refcount';

/** A space map block (index or bitmap) that cannot be used: past the end, or a bad checksum. */
export interface SpaceMapBlockDamage {
  readonly kind: 'data-bitmap' | 'metadata-index' | 'metadata-bitmap';
  readonly block: number;
  readonly problem: 'out-of-bounds' | 'checksum';
}

/**
 * What a whole-metadata walk reports. `copy` is 0 for the live superblock and the held root's
 * block for the metadata snapshot's copy; `device` names the thin device of a bottom tree.
 */
export interface MetadataVisitor {
  superblock?(sb: RawSuperblock): void;
  /** The superblock at `block` is past the end of the metadata, so nothing below it is walked. */
  missingSuperblock?(block: number): void;
  node?(copy: number, tree: MetadataTree, place: NodePlace, header: NodeHeader, device?: number): void;
  device?(
    copy: number,
    id: number,
    details: { mappedBlocks: number; transactionId: bigint; creationTime: number; snapshottedTime: number },
  ): void;
  mapping?(copy: number, device: number, vblock: number, dataBlock: number, time: number): void;
  bitmap?(copy: number, kind: 'data-bitmap' | 'metadata-bitmap', index: number, block: number): void;
  nodeDamage?(copy: number, tree: MetadataTree, d: NodeDamage, device?: number): void;
  blockDamage?(copy: number, d: SpaceMapBlockDamage): void;
}

/** Checks a space map block's existence and checksum. */
function spaceMapBlockDamage(
  blocks: MetadataBlocks,
  block: number,
  kind: SpaceMapBlockDamage['kind'],
): SpaceMapBlockDamage | null {
  const sums = blocks.checksums(block, kind === 'metadata-index' ? INDEX_CSUM_XOR : BITMAP_CSUM_XOR);
  if (sums === null) return { kind, block, problem: 'out-of-bounds' };
  return sums.stored === sums.computed ? null : { kind, block, problem: 'checksum' };
}

/**
 * Walks every structure reachable from the superblock at block 0: details, mappings (top and
 * bottom trees), the data space map's index and bitmaps and both ref count trees, the metadata
 * space map's index and bitmaps; then, when it holds one, the metadata snapshot's copy of the
 * details and mapping trees. Damage is reported and passed over; the walk never throws on any
 * bytes.
 */
export function walkMetadata(bytes: Uint8Array, visitor: MetadataVisitor): void {
  const blocks = new MetadataBlocks(bytes);
  const walkCopy = (block: number): number | null => {
    const sb = readRawSuperblock(blocks, block);
    if (sb === null) {
      visitor.missingSuperblock?.(block);
      return null;
    }
    visitor.superblock?.(sb);
    const tree = (
      root: number,
      valueSize: number,
      name: MetadataTree,
      entry: (key: number, value: number) => void,
      device?: number,
    ): void => {
      walkBtree(blocks, root, valueSize, {
        node: (place, header) => visitor.node?.(block, name, place, header, device),
        entry,
        damage: (d) => visitor.nodeDamage?.(block, name, d, device),
      });
    };
    tree(sb.deviceDetailsRoot, DETAILS_VALUE_SIZE, 'details', (id, v) => {
      visitor.device?.(block, id, {
        mappedBlocks: blocks.u64(v),
        transactionId: blocks.u64Big(v + 8),
        creationTime: blocks.u32(v + 16),
        snapshottedTime: blocks.u32(v + 20),
      });
    });
    const roots: [number, number][] = [];
    tree(sb.dataMappingRoot, ROOT_VALUE_SIZE, 'top', (id, v) => roots.push([id, blocks.u64(v)]));
    for (const [id, root] of roots) {
      tree(
        root,
        MAPPING_VALUE_SIZE,
        'bottom',
        (vblock, v) => {
          const { dataBlock, time } = getBlockTime(blocks.dv, v);
          visitor.mapping?.(block, id, vblock, dataBlock, time);
        },
        id,
      );
    }
    // The kernel wipes the space map roots of the held copy ("we're not publishing this"): only
    // the live superblock's space maps are walked.
    if (block !== 0) return sb.heldRoot;
    tree(sb.dataSm.bitmapRoot, INDEX_ENTRY_SIZE, 'data-index', (i, v) => {
      const bitmap = blocks.u64(v);
      const damage = spaceMapBlockDamage(blocks, bitmap, 'data-bitmap');
      if (damage === null) visitor.bitmap?.(block, 'data-bitmap', i, bitmap);
      else visitor.blockDamage?.(block, damage);
    });
    tree(sb.dataSm.refCountRoot, REFCOUNT_VALUE_SIZE, 'data-refcount', () => undefined);
    const index = sb.metadataSm.bitmapRoot;
    const indexDamage = spaceMapBlockDamage(blocks, index, 'metadata-index');
    if (indexDamage !== null) visitor.blockDamage?.(block, indexDamage);
    else {
      const nr = Math.min(Math.max(sb.metadataSm.nrBlocks, 0), METADATA_INDEX_ENTRIES * ENTRIES_PER_BITMAP);
      for (let i = 0; i * ENTRIES_PER_BITMAP < nr; i++) {
        const bitmap = blocks.u64(index * BLOCK_SIZE + 16 + i * INDEX_ENTRY_SIZE);
        const damage = spaceMapBlockDamage(blocks, bitmap, 'metadata-bitmap');
        if (damage === null) visitor.bitmap?.(block, 'metadata-bitmap', i, bitmap);
        else visitor.blockDamage?.(block, damage);
      }
    }
    tree(sb.metadataSm.refCountRoot, REFCOUNT_VALUE_SIZE, 'metadata-refcount', () => undefined);
    return sb.heldRoot;
  };
  const held = walkCopy(0);
  // A held copy's own held_root is not followed: the kernel keeps at most one snapshot.
  if (held !== null && held !== 0) walkCopy(held);
}
