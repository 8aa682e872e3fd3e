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

  /**
   * node_ref::key_at, whose index check throws (an empty node's first key is asked for). It checks
   * nothing else, so a node with more entries than its block holds keys for is read on past its
   * block, into block cache memory: not modelled.
   */
  key(i: number): bigint {
    if (i >= this.nrEntries) throw new NodeError0('key index out of bounds');
    if (NODE.header + (i + 1) * 8 > BLOCK_SIZE)
      throw new Unmodelled0(`key ${i} of block ${this.block}, past the end of its block`);
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

  /**
   * tm.prefetch of every child of an internal node, each read by value_at (whose
   * check_fits_within_block throws first for more entries than fit): the block manager's bounds
   * check throws.
   */
  prefetchChildren(): void {
    for (let i = 0; i < this.nrEntries; i++) {
      const child = this.md.u64Big(valueAt0(this, i, 8));
      if (child >= BigInt(this.md.nrBlocks)) throw new NodeError0(outOfBounds0(child, this.md.nrBlocks));
    }
  }
}

/** Where a node is met: what btree_node_checker's surroundings checks need. */
export interface NodePlace0 {
  /** The root of a tree or of a device's subtree: exempt from the one-third rule. */
  readonly subRoot: boolean;
  /**
   * ignore_non_fatal (thin_check's --ignore-non-fatal-errors, every walk of thin_dump): the damage
   * walk's check_nr_entries passes, so a node below one-third full or with more entries than its
   * max_entries is no damage (the btree counter still makes the check).
   */
  readonly ignoreNonFatal?: boolean;
  /** The key the parent holds for this node (none for a sub-root). */
  readonly parentKey: bigint | null;
  /** For a leaf, the last key of the previous leaf at its level (null: none, or not a leaf). */
  readonly lastLeafKey: bigint | null;
}

/**
 * btree_node_checker's checks in their order, the message of the first that fails, or null. The
 * block number check always passes here (the validator already made it). Under ignore_non_fatal
 * (`ignoreNonFatal`: thin_check's --ignore-non-fatal-errors, and every walk of thin_dump) 0.9.0
 * skips the whole entry-count check, so a node with more entries than its max_entries passes it:
 * its keys are read on into where its values begin, and its values from max_entries keys on, as
 * value_ptr places them (seed 17 case 53: a leaf whose max_entries 252 became 132, dumped by the
 * real 0.9.0 with keys for values). Only check_fits_within_block, when a value is read, limits it.
 */
export function nodeProblem0(n: Node0, expectedValueSize: number, place: NodePlace0, leaf: boolean): string | null {
  const b = n.block;
  if (n.valueSize !== expectedValueSize)
    return `value size mismatch: expected ${expectedValueSize}, but got ${n.valueSize} (block ${b}).`;
  if ((8 + n.valueSize) * n.maxEntries + NODE.header > BLOCK_SIZE)
    return `max entries too large: ${n.maxEntries} (block ${b})`;
  if (n.maxEntries % 3 !== 0) return `max entries is not divisible by 3: ${n.maxEntries} (block ${b})`;
  const min = Math.floor(n.maxEntries / 3);
  if (place.ignoreNonFatal !== true && n.nrEntries > n.maxEntries)
    return `bad nr_entries: ${n.nrEntries} < ${n.maxEntries} (block ${b})`;
  if (!place.subRoot && place.ignoreNonFatal !== true && n.nrEntries < min)
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

/**
 * What 0.9.0 does that the lab does not model: a read outside a node's block (into block cache
 * memory), or a lookup going round a loop of nodes for ever. Refused by name.
 */
export class Unmodelled0 {
  constructor(readonly what: string) {}
}

/**
 * node_ref::check_fits_within_block, which value_ptr runs before a value is read with a tree's
 * value traits (`traitsSize` bytes): the node's value size, then its entry count against what fits.
 */
function checkFits0(n: Node0, traitsSize: number): void {
  if (n.valueSize !== traitsSize)
    throw new NodeError0(`value size mismatch: expected ${traitsSize}, but got ${n.valueSize} (block ${n.block}).\n`);
  const max = Math.floor(Math.floor((BLOCK_SIZE - NODE.header) / (8 + traitsSize)) / 3) * 3;
  if (max < n.nrEntries)
    throw new NodeError0(`Bad nr of elements: max per block = ${max}, actual = ${n.nrEntries} (block ${n.block})\n`);
}

/**
 * node_ref::bsearch with want_hi false: the index of the last key at most `key`, -1 for none. The
 * entry count is an int there, so a count of 2^31 or more searches nothing.
 */
function bsearchLow0(n: Node0, key: bigint): number {
  let lo = -1;
  let hi = n.nrEntries | 0;
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    const midKey = n.key(mid);
    if (midKey === key) return mid;
    if (midKey < key) lo = mid;
    else hi = mid;
  }
  return lo;
}

/**
 * node_ref::value_at: where value i of a node starts, once check_fits_within_block has passed with
 * `traitsSize`, the size of the value traits the tree is read with.
 */
export function valueAt0(n: Node0, i: number, traitsSize: number): number {
  const at = n.valueOffset(i);
  checkFits0(n, traitsSize);
  const offset = at - n.block * BLOCK_SIZE;
  if (offset + traitsSize > BLOCK_SIZE)
    throw new Unmodelled0(`value ${i} of block ${n.block}, past the end of its block (max_entries ${n.maxEntries})`);
  return offset + n.block * BLOCK_SIZE;
}

/**
 * btree::lookup of a one-level tree (lookup_raw with exact_search), as 0.9.0's space maps look up
 * an overflowing reference count: each node is locked with the validator and typed; an internal
 * node is searched for the last key at most `key` (none ends the lookup) and its child read as a
 * block_traits value; a leaf must hold `key` exactly. No structural check runs on the way, only
 * check_fits_within_block when a value is read. Returns where the value starts, or null for a key
 * the tree does not hold; throws NodeError0 with what 0.9.0 throws.
 */
export function lookup0(md: MetadataBytes, root: bigint, key: bigint, valueSize: number): number | null {
  let block = root;
  // ro_spine has no loop check: a path longer than the device has nodes goes round for ever.
  for (let depth = 0; depth <= md.nrBlocks; depth++) {
    const n = new Node0(md, readNode0(md, block));
    if (!isInternal0(md, n.block)) {
      const i = bsearchLow0(n, key);
      if (i < 0 || i >= n.nrEntries || n.key(i) !== key) return null;
      return valueAt0(n, i, valueSize);
    }
    const i = bsearchLow0(n, key);
    if (i < 0) return null;
    block = md.u64Big(valueAt0(n, i, 8));
  }
  throw new Unmodelled0(`a lookup of key ${key} going round a loop of btree nodes for ever (root ${root})`);
}
