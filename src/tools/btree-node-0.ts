/**
 * How thin-provisioning-tools 0.9.0 reads and checks one btree node: the block manager's bounds
 * check and the btree validator (checksum, then block number) when the block is locked,
 * node_ref::get_type for the flags, then btree_node_checker's structural checks in the order
 * btree_damage_visitor.h and btree_counter.h call them. Both the damage walk of thin_check
 * (damage-walk-0.ts) and the reference count of its space map step (metadata-counter.ts) use it,
 * so that the two word a node's damage alike and the messages are 0.9.0's own, byte for byte.
 *
 * Block numbers and keys are bigints: 0.9.0 prints them as u64, and a damaged pointer or key is
 * often past 2^53.
 */
import { dmChecksum } from '../format/crc32c.js';
import { BLOCK_SIZE, BTREE_CSUM_XOR, INTERNAL_NODE, LEAF_NODE, NODE } from '../format/layout.js';
import type { MetadataBytes } from './metadata-view.js';

/** What 0.9.0 threw (a std::runtime_error or checksum_error): its what() text. */
export class NodeError0 {
  constructor(readonly message: string) {}
}

/** block_cache::check_index's message: it really ends in a newline, and 0.9.0 adds another. */
export function outOfBounds0(block: bigint, nrBlocks: number): string {
  return `block out of bounds (${block} >= ${nrBlocks})\n`;
}

/** Locks a node as 0.9.0's block manager and btree validator do; its block number, or a throw. */
export function readNode0(md: MetadataBytes, block: bigint): number {
  if (block >= BigInt(md.nrBlocks)) throw new NodeError0(outOfBounds0(block, md.nrBlocks));
  const b = Number(block);
  const at = b * BLOCK_SIZE;
  if (md.u32(at + NODE.csum) !== dmChecksum(md.bytes, at + 4, at + BLOCK_SIZE, BTREE_CSUM_XOR))
    throw new NodeError0(`bad checksum in btree node (block ${b})`);
  if (md.u64Big(at + NODE.blocknr) !== block) throw new NodeError0(`bad block nr in btree node (block = ${b})`);
  return b;
}

/** node_ref::get_type: internal or leaf, or a throw for both or neither. */
export function isInternal0(md: MetadataBytes, block: number): boolean {
  const flags = md.u32(block * BLOCK_SIZE + NODE.flags);
  if ((flags & INTERNAL_NODE) !== 0) {
    if ((flags & LEAF_NODE) !== 0) throw new NodeError0(`btree node is both internal and leaf (block ${block})`);
    return true;
  }
  if ((flags & LEAF_NODE) !== 0) return false;
  throw new NodeError0(`unknown node type (block ${block})`);
}

/** A read node's header fields and its keys, read as node_ref reads them. */
export class Node0 {
  readonly nrEntries: number;
  readonly maxEntries: number;
  readonly valueSize: number;
  private readonly at: number;

  constructor(
    private readonly md: MetadataBytes,
    readonly block: number,
  ) {
    this.at = block * BLOCK_SIZE;
    this.nrEntries = md.u32(this.at + NODE.nrEntries);
    this.maxEntries = md.u32(this.at + NODE.maxEntries);
    this.valueSize = md.u32(this.at + NODE.valueSize);
  }

  /** node_ref::key_at, whose index check throws (an empty node's first key is asked for). */
  key(i: number): bigint {
    if (i >= this.nrEntries) throw new NodeError0('key index out of bounds');
    return this.md.u64Big(this.at + NODE.header + i * 8);
  }

  /** Where value i starts: value_ptr puts the values after max_entries keys. */
  valueOffset(i: number): number {
    if (i >= this.nrEntries) throw new NodeError0('value index out of bounds');
    return this.at + NODE.header + this.maxEntries * 8 + i * this.valueSize;
  }

  /** A child pointer, or the first u64 of value i (an index entry's bitmap block). */
  value64(i: number): bigint {
    return this.md.u64Big(this.valueOffset(i));
  }

  /** tm.prefetch of every child of an internal node: the block manager's bounds check throws. */
  prefetchChildren(): void {
    for (let i = 0; i < this.nrEntries; i++) {
      const child = this.value64(i);
      if (child >= BigInt(this.md.nrBlocks)) throw new NodeError0(outOfBounds0(child, this.md.nrBlocks));
    }
  }
}

/** Where a node is met: what btree_node_checker's surroundings checks need. */
export interface NodePlace0 {
  /** The root of a tree or of a device's subtree: exempt from the one-third rule. */
  readonly subRoot: boolean;
  /** The key the parent holds for this node (none for a sub-root). */
  readonly parentKey: bigint | null;
  /** For a leaf, the last key of the previous leaf at its level (null: none, or not a leaf). */
  readonly lastLeafKey: bigint | null;
}

/**
 * btree_node_checker's checks in their order, the message of the first that fails, or null. The
 * block number check always passes here (the validator already made it). 0.9.0 skips the
 * entry-count check under --ignore-non-fatal-errors; the lab's thin_check does not model that
 * option's effect on the walk (a node with more entries than fit is then read past its block).
 */
export function nodeProblem0(n: Node0, expectedValueSize: number, place: NodePlace0, leaf: boolean): string | null {
  const b = n.block;
  if (n.valueSize !== expectedValueSize)
    return `value size mismatch: expected ${expectedValueSize}, but got ${n.valueSize} (block ${b}).`;
  if ((8 + n.valueSize) * n.maxEntries + NODE.header > BLOCK_SIZE)
    return `max entries too large: ${n.maxEntries} (block ${b})`;
  if (n.maxEntries % 3 !== 0) return `max entries is not divisible by 3: ${n.maxEntries} (block ${b})`;
  if (n.nrEntries > n.maxEntries) return `bad nr_entries: ${n.nrEntries} < ${n.maxEntries} (block ${b})`;
  const min = Math.floor(n.maxEntries / 3);
  if (!place.subRoot && n.nrEntries < min)
    return `too few entries in btree_node: ${n.nrEntries}, expected at least ${min} (block ${b}, max_entries = ${n.maxEntries})`;
  for (let i = 1; i < n.nrEntries; i++) {
    const k = n.key(i);
    const last = n.key(i - 1);
    if (k <= last) return `keys are out of order, ${k} <= ${last} (block ${b})`;
  }
  if (place.parentKey !== null && place.parentKey > n.key(0))
    return `parent key mismatch: parent was ${place.parentKey}, but lowest in node was ${n.key(0)} (block ${b})`;
  if (leaf && n.nrEntries > 0 && place.lastLeafKey !== null && place.lastLeafKey >= n.key(0))
    return `the last key of the previous leaf was ${place.lastLeafKey} and the first key of this leaf is ${n.key(0)} (block ${b})`;
  return null;
}
