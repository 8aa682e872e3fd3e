/**
 * The metadata thin-provisioning-tools 0.9.0 writes (thin_restore and thin_repair share its
 * restorer, thin-provisioning/restore_emitter.cc), block for block and byte for byte. 0.9.0 builds
 * the trees the way the kernel's persistent-data does, through a transaction manager and the C++
 * btree (persistent-data/data-structures/btree.tcc: insert, split_beneath, split_sibling, no
 * rebalancing), all in one transaction:
 *
 * - Blocks are handed out in increasing order. Nothing is freed during the restore, so the space
 *   map's first free block is always the next one; every block allocated in the transaction is a
 *   shadow, changed in place.
 * - The order of allocation: the superblock (0), the metadata space map's index (1) and overflow
 *   tree (2), its bitmaps, the data space map's index tree and overflow tree, the empty details
 *   and top-level trees, and the restorer's empty mapping tree (the root every device starts as a
 *   clone of). Then the data bitmaps, each saved in the index tree as it is allocated; then, per
 *   device, its mapping tree's nodes as the inserts shadow and split them (a device's first
 *   insert copies the shared empty root), each mapping's data count after its insert, and the
 *   details and top-level entries at the device's end.
 * - A full node splits on the way down, before the insert, even when the key is already there:
 *   a root into two new children (left first, half each), any other node into itself and a new
 *   right sibling. Entries a split moves leave their old bytes behind, as the real one does.
 * - The commit writes the index entries and the superblock; after it, the restorer's destructor
 *   drops its empty mapping tree's reference. That change reaches the bitmap but not the
 *   superblock or the index: the superblock's nr_allocated (and the index entry's nr_free)
 *   count that root though its bitmap entry says free. The kernel takes nr_allocated as it
 *   finds it, so a pool on repaired metadata reports one used block more than its bitmaps hold
 *   (LVM fixture 84's Meta% 11.04).
 *
 * A mapping given twice is overwritten in the tree without its first data block's count being
 * dropped, as 0.9.0's restorer does (it counts every mapping it reads).
 */
import { dmChecksum } from '../format/crc32c.js';
import {
  BITMAP_CSUM_XOR,
  BITMAP_HEADER,
  BLOCK_SIZE,
  BTREE_CSUM_XOR,
  DETAILS_VALUE_SIZE,
  ENTRIES_PER_BITMAP,
  INDEX_CSUM_XOR,
  INDEX_ENTRY_SIZE,
  INTERNAL_NODE,
  LEAF_NODE,
  MAPPING_VALUE_SIZE,
  MAX_METADATA_BLOCKS,
  maxEntries,
  METADATA_BLOCK_SECTORS,
  NODE,
  REFCOUNT_VALUE_SIZE,
  ROOT_VALUE_SIZE,
  SB,
  SM_ROOT,
  SUPERBLOCK_CSUM_XOR,
  setBitmapEntry,
  setBlockTime,
  setU64,
  THIN_SUPERBLOCK_MAGIC,
} from '../format/layout.js';
import type { BuiltDevice, BuiltSuperblock } from './metadata-output.js';
import { type ToolEnv, writeMetadataBytes } from './tool-io.js';

/**
 * The metadata device is full: 0.9.0's words for the allocation that failed. `written` is the
 * device's first blocks as the failed restore leaves them: the block cache flushes what was built
 * so far, and the superblock stays zeros (0.9.0 zeroes it after a failure, and the commit that
 * writes it never came).
 */
export class OutOfMetadataSpace0 extends RangeError {
  written: Uint8Array = new Uint8Array(0);
}

/** What the kind of a block is, for the checksum its validator seals it with at the flush. */
type BlockKind = 'node' | 'bitmap' | 'index' | 'superblock';

/** The block manager and the metadata space map's counts, in one transaction. */
class Blocks0 {
  readonly blocks = new Map<number, Uint8Array>();
  readonly kinds = new Map<number, BlockKind>();
  readonly counts = new Map<number, number>();
  private next = 0;

  constructor(readonly nrBlocks: number) {}

  /** tm::new_block: the first free block, zeroed. */
  allocate(kind: BlockKind, what = 'transaction_manager::new_block()'): number {
    while (this.counts.has(this.next)) this.next++;
    if (this.next >= this.nrBlocks) throw new OutOfMetadataSpace0(`${what} couldn't allocate new block`);
    const b = this.next++;
    this.blocks.set(b, new Uint8Array(BLOCK_SIZE));
    this.kinds.set(b, kind);
    this.onCount(b, 0, 1);
    this.counts.set(b, 1);
    return b;
  }

  /** Called when a count changes (the metadata space map keeps its bitmaps and index from it). */
  onCount: (b: number, old: number, next: number) => void = () => undefined;

  count(b: number): number {
    return this.counts.get(b) ?? 0;
  }

  setCount(b: number, next: number): void {
    this.onCount(b, this.count(b), next);
    if (next === 0) this.counts.delete(b);
    else this.counts.set(b, next);
  }

  block(b: number): Uint8Array {
    return this.blocks.get(b)!;
  }

  dv(b: number): DataView {
    const block = this.block(b);
    return new DataView(block.buffer, block.byteOffset, BLOCK_SIZE);
  }
}

/** A node's header fields and its key and value slots, on the block's bytes. */
class Node0 {
  readonly dv: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly block: number,
  ) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, BLOCK_SIZE);
  }
  get leaf(): boolean {
    return (this.dv.getUint32(NODE.flags, true) & LEAF_NODE) !== 0;
  }
  get nr(): number {
    return this.dv.getUint32(NODE.nrEntries, true);
  }
  set nr(n: number) {
    this.dv.setUint32(NODE.nrEntries, n, true);
  }
  get max(): number {
    return this.dv.getUint32(NODE.maxEntries, true);
  }
  get valueSize(): number {
    return this.dv.getUint32(NODE.valueSize, true);
  }
  /** set_type, set_max_entries and set_value_size together: the header of a node of `valueSize`. */
  shape(flags: number, valueSize: number): void {
    this.dv.setUint32(NODE.flags, flags, true);
    this.dv.setUint32(NODE.maxEntries, maxEntries(valueSize), true);
    this.dv.setUint32(NODE.valueSize, valueSize, true);
  }
  keyAt(i: number): number {
    return this.dv.getUint32(NODE.header + i * 8, true) + this.dv.getUint32(NODE.header + i * 8 + 4, true) * 2 ** 32;
  }
  keyOffset(i: number): number {
    return NODE.header + i * 8;
  }
  valueOffset(i: number): number {
    return NODE.header + this.max * 8 + i * this.valueSize;
  }
  setKey(i: number, key: number): void {
    setU64(this.dv, this.keyOffset(i), key);
  }
  setValue(i: number, value: Uint8Array): void {
    this.bytes.set(value, this.valueOffset(i));
  }
  childAt(i: number): number {
    const at = this.valueOffset(i);
    return this.dv.getUint32(at, true) + this.dv.getUint32(at + 4, true) * 2 ** 32;
  }
  insertAt(i: number, key: number, value: Uint8Array): void {
    const n = this.nr;
    this.nr = n + 1;
    const vs = this.valueSize;
    this.bytes.copyWithin(this.keyOffset(i + 1), this.keyOffset(i), this.keyOffset(n));
    this.bytes.copyWithin(this.valueOffset(i + 1), this.valueOffset(i), this.valueOffset(i) + vs * (n - i));
    this.setKey(i, key);
    this.setValue(i, value);
  }
  deleteAt(i: number): void {
    const n = this.nr;
    this.bytes.copyWithin(this.keyOffset(i), this.keyOffset(i + 1), this.keyOffset(n));
    this.bytes.copyWithin(this.valueOffset(i), this.valueOffset(i + 1), this.valueOffset(n));
    this.nr = n - 1;
  }
  /** copy_entries: entries [begin, end) of `from` appended after this node's own. */
  copyEntries(from: Node0, begin: number, end: number): void {
    const n = this.nr;
    this.bytes.set(from.bytes.subarray(from.keyOffset(begin), from.keyOffset(end)), this.keyOffset(n));
    this.bytes.set(from.bytes.subarray(from.valueOffset(begin), from.valueOffset(end)), this.valueOffset(n));
    this.nr = n + end - begin;
  }
  /** bsearch(key, want_hi = 0): the last entry whose key is at most `key`, or -1. */
  lowerBound(key: number): number {
    let lo = -1;
    let hi = this.nr;
    while (hi - lo > 1) {
      const mid = lo + Math.floor((hi - lo) / 2);
      const k = this.keyAt(mid);
      if (k === key) return mid;
      if (k < key) lo = mid;
      else hi = mid;
    }
    return lo;
  }
}

const u64Value = (v: number): Uint8Array => {
  const bytes = new Uint8Array(8);
  setU64(new DataView(bytes.buffer), 0, v);
  return bytes;
};

/** A one-level btree of the C++ tools (btree<1, Traits>), built in the current transaction. */
class Btree0 {
  root: number;
  constructor(
    private readonly store: Blocks0,
    readonly valueSize: number,
  ) {
    this.root = store.allocate('node');
    this.node(this.root).shape(LEAF_NODE, valueSize);
  }

  private node(b: number): Node0 {
    return new Node0(this.store.block(b), b);
  }

  /**
   * tm::shadow: a block of this transaction with one reference is changed in place; a shared
   * one (the empty mapping root a device was cloned from) is copied first and loses a reference.
   * Only empty roots are ever shared, so no child gains one.
   */
  private shadow(b: number): number {
    if (this.store.count(b) <= 1) return b;
    const copy = this.store.allocate('node', 'transaction_manager::shadow()');
    this.store.block(copy).set(this.store.block(b));
    if (this.node(b).nr !== 0) throw new Error(`0.9.0 restorer: shared node ${b} is not an empty root`);
    this.store.setCount(b, this.store.count(b) - 1);
    return copy;
  }

  /** A copy of this tree's root with one more reference (btree::clone). */
  clone(): number {
    this.store.setCount(this.root, this.store.count(this.root) + 1);
    return this.root;
  }

  /**
   * btree::insert into this tree, or into the clone at `cloneRoot`; returns the root after it and
   * whether the key is new (an existing one is overwritten).
   */
  insert(key: number, value: Uint8Array, cloneRoot?: number): { root: number; inserted: boolean } {
    const root = cloneRoot ?? this.root;
    const spine: number[] = [];
    let block = root;
    let top = true;
    let i = 0;
    let newRoot = -1;
    for (;;) {
      const shadow = this.shadow(block);
      spine.push(shadow);
      if (newRoot < 0) newRoot = shadow;
      if (spine.length > 1) setU64(this.node(spine.at(-2)!).dv, this.node(spine.at(-2)!).valueOffset(i), shadow);
      const full = this.node(shadow);
      if (full.nr === full.max) {
        if (top) this.splitBeneath(spine, key);
        else this.splitSibling(spine, i, key);
      }
      const n = this.node(spine.at(-1)!);
      i = n.lowerBound(key);
      if (n.leaf) break;
      if (i < 0) {
        n.setKey(0, key);
        i = 0;
      }
      block = n.childAt(i);
      top = false;
    }
    const leaf = this.node(spine.at(-1)!);
    if (i < 0 || leaf.keyAt(i) !== key) i++;
    const inserted = i >= leaf.nr || leaf.keyAt(i) !== key;
    if (inserted) leaf.insertAt(i, key, value);
    else leaf.setValue(i, value);
    if (cloneRoot === undefined) this.root = newRoot;
    return { root: newRoot, inserted };
  }

  /** split_beneath: the root's entries go to two new children, left allocated first; the root becomes internal in place. */
  private splitBeneath(spine: number[], key: number): void {
    const parent = this.node(spine.at(-1)!);
    // Each child's size is set as it is allocated, its type only once both are: a device too small
    // for the right one leaves the left one without a type.
    const left = this.node(this.store.allocate('node'));
    left.shape(0, parent.valueSize);
    const right = this.node(this.store.allocate('node'));
    right.shape(0, parent.valueSize);
    const nrLeft = Math.floor(parent.nr / 2);
    const flags = parent.leaf ? LEAF_NODE : INTERNAL_NODE;
    for (const [child, begin, end] of [
      [left, 0, nrLeft],
      [right, nrLeft, parent.nr],
    ] as const) {
      child.shape(flags, parent.valueSize);
      child.copyEntries(parent, begin, end);
    }
    parent.shape(INTERNAL_NODE, ROOT_VALUE_SIZE);
    parent.nr = 2;
    parent.setKey(0, left.keyAt(0));
    parent.setValue(0, u64Value(left.block));
    parent.setKey(1, right.keyAt(0));
    parent.setValue(1, u64Value(right.block));
    spine.push(key < right.keyAt(0) ? left.block : right.block);
  }

  /** split_sibling: the upper half of a full node goes to a new right neighbour. */
  private splitSibling(spine: number[], parentIndex: number, key: number): void {
    const left = this.node(spine.at(-1)!);
    const right = this.node(this.store.allocate('node'));
    const nrLeft = Math.floor(left.nr / 2);
    right.shape(left.leaf ? LEAF_NODE : INTERNAL_NODE, left.valueSize);
    right.copyEntries(left, nrLeft, left.nr);
    left.nr = nrLeft;
    const parent = this.node(spine.at(-2)!);
    parent.setKey(parentIndex, left.keyAt(0));
    parent.setValue(parentIndex, u64Value(left.block));
    parent.insertAt(parentIndex + 1, right.keyAt(0), u64Value(right.block));
    if (key >= right.keyAt(0)) {
      spine.pop();
      spine.push(right.block);
    }
  }

  /** The value of `key`, or null (btree::lookup). */
  lookup(key: number): { node: Node0; i: number } | null {
    let n = this.node(this.root);
    for (;;) {
      const i = n.lowerBound(key);
      if (i < 0) return null;
      if (n.leaf) return n.keyAt(i) === key ? { node: n, i } : null;
      n = this.node(n.childAt(i));
    }
  }

  /** Removes `key` from a tree that is one leaf (the only removal a restore makes: the metadata overflow tree). */
  removeFromRootLeaf(key: number): void {
    const n = this.node(this.root);
    const i = n.lowerBound(key);
    if (!n.leaf || i < 0 || n.keyAt(i) !== key) throw new Error(`0.9.0 restorer: no count of ${key} to remove`);
    n.deleteAt(i);
  }
}

interface IndexEntry0 {
  block: number;
  nrFree: number;
  noneFreeBefore: number;
}

/** A space map's 2-bit counts and index entries (sm_disk with its bitmap class). */
class SpaceMap0 {
  readonly counts = new Map<number, number>();
  readonly entries: IndexEntry0[] = [];
  nrAllocated = 0;
  nrBlocks = 0;

  /** `bitmap(block)`: the bytes of a bitmap block, written as each count changes. */
  constructor(private readonly bitmap: (block: number) => Uint8Array) {}

  /** bitmap::insert's bookkeeping of a count going from `old` to `next`; returns the bitmap's index. */
  change(b: number, old: number, next: number): number {
    const index = Math.floor(b / ENTRIES_PER_BITMAP);
    const bit = b % ENTRIES_PER_BITMAP;
    const ie = this.entries[index]!;
    const wasFree = Math.min(old, 3) === 0;
    if (wasFree && next > 0) {
      ie.nrFree--;
      if (bit === ie.noneFreeBefore) ie.noneFreeBefore++;
    }
    if (!wasFree && next === 0) {
      ie.nrFree++;
      if (bit < ie.noneFreeBefore) ie.noneFreeBefore = bit;
    }
    if (Math.min(old, 3) !== Math.min(next, 3))
      setBitmapEntry(this.bitmap(ie.block), BITMAP_HEADER, bit, Math.min(next, 3));
    if (old === 0) this.nrAllocated++;
    else if (next === 0) this.nrAllocated--;
    if (next === 0) this.counts.delete(b);
    else this.counts.set(b, next);
    return index;
  }

  /** sm_disk::extend's new entries: a whole bitmap free, or what is left of the device in the last. */
  extend(nrBlocks: number, newBitmap: () => number, saved: (index: number) => void): void {
    const before = Math.ceil(this.nrBlocks / ENTRIES_PER_BITMAP);
    const after = Math.ceil(nrBlocks / ENTRIES_PER_BITMAP);
    for (let i = before; i < after; i++) {
      const block = newBitmap();
      const nrFree = i === after - 1 ? nrBlocks - ENTRIES_PER_BITMAP * i : ENTRIES_PER_BITMAP;
      this.entries[i] = { block, nrFree, noneFreeBefore: 0 };
      saved(i);
    }
    this.nrBlocks = nrBlocks;
  }
}

const indexValue = (ie: IndexEntry0): Uint8Array => {
  const bytes = new Uint8Array(INDEX_ENTRY_SIZE);
  const dv = new DataView(bytes.buffer);
  setU64(dv, 0, ie.block);
  dv.setUint32(8, ie.nrFree, true);
  dv.setUint32(12, ie.noneFreeBefore, true);
  return bytes;
};

const countValue = (c: number): Uint8Array => {
  const bytes = new Uint8Array(REFCOUNT_VALUE_SIZE);
  new DataView(bytes.buffer).setUint32(0, c, true);
  return bytes;
};

/** The metadata the restorer builds: both space maps, the trees and the empty mapping root. */
class Restorer0 {
  readonly meta: SpaceMap0;
  readonly metaIndex: number;
  readonly metaOverflow: Btree0;
  readonly data: SpaceMap0;
  readonly dataIndex: Btree0;
  readonly dataOverflow: Btree0;
  readonly details: Btree0;
  readonly top: Btree0;
  readonly emptyMapping: Btree0;

  constructor(readonly store: Blocks0) {
    this.meta = new SpaceMap0((b) => store.block(b));
    this.data = new SpaceMap0((b) => store.block(b));
    // open_tm: the superblock counted in a core space map; create_metadata_sm lays out its index,
    // its overflow tree and its bitmaps from it, then takes over every count the core map holds.
    store.setCount(0, 1);
    store.blocks.set(0, new Uint8Array(BLOCK_SIZE));
    store.kinds.set(0, 'superblock');
    this.metaIndex = store.allocate('index');
    this.metaOverflow = new Btree0(store, REFCOUNT_VALUE_SIZE);
    this.meta.extend(
      store.nrBlocks,
      () => store.allocate('bitmap'),
      () => undefined,
    );
    // Its first commit writes the index before any block is counted in it.
    writeIndexBlock(this);
    for (const b of [...store.counts.keys()].sort((x, y) => x - y)) this.meta.change(b, 0, store.count(b));
    store.onCount = (b, old, next) => this.metaCountChanged(b, old, next);
    // create_disk_sm (its index tree, then its overflow tree), the details and mapping trees, and the restorer's empty mapping tree.
    this.dataIndex = new Btree0(store, INDEX_ENTRY_SIZE);
    this.dataOverflow = new Btree0(store, REFCOUNT_VALUE_SIZE);
    this.details = new Btree0(store, DETAILS_VALUE_SIZE);
    this.top = new Btree0(store, ROOT_VALUE_SIZE);
    this.emptyMapping = new Btree0(store, MAPPING_VALUE_SIZE);
  }

  /** The restorer's destructor: the reference its empty mapping tree holds is dropped. */
  dropEmptyMapping(): void {
    const root = this.emptyMapping.root;
    this.store.setCount(root, this.store.count(root) - 1);
  }

  /** The metadata space map's side of a count change: the index entry, and the overflow tree above 2. */
  private metaCountChanged(b: number, old: number, next: number): void {
    this.meta.change(b, old, next);
    if (next > 2) this.metaOverflow.insert(b, countValue(next));
    else if (old > 2) this.metaOverflow.removeFromRootLeaf(b);
  }

  /** begin_superblock's data_sm->extend: a bitmap per 16,320 blocks, each saved in the index tree. */
  extendData(nrDataBlocks: number): void {
    this.data.extend(
      nrDataBlocks,
      () => this.store.allocate('bitmap'),
      (i) => this.dataIndex.insert(i, indexValue(this.data.entries[i]!)),
    );
  }

  /** data_sm->inc: the bitmap's entry and its index entry, or the overflow tree above 2. */
  incData(b: number): void {
    const old = this.data.counts.get(b) ?? 0;
    const next = old + 1;
    const index = this.data.change(b, old, next);
    if (next > 2) {
      if (old < 3) this.dataIndex.insert(index, indexValue(this.data.entries[index]!));
      this.dataOverflow.insert(b, countValue(next));
    } else {
      this.dataIndex.insert(index, indexValue(this.data.entries[index]!));
    }
  }

  /** A device's mappings inserted into a clone of the empty mapping tree; returns its root and mapped count. */
  device(mappings: BuiltDevice['mappings']): { root: number; mapped: number } {
    let root = this.emptyMapping.clone();
    let mapped = 0;
    const value = new Uint8Array(MAPPING_VALUE_SIZE);
    const dv = new DataView(value.buffer);
    for (const m of mappings) {
      // block_time_traits::pack: (block << 24) | time, the time not cut to 24 bits, so a time of
      // 2^24 or more runs into the block's low byte, as the XML can ask.
      setBlockTime(dv, 0, m.dataBlock, 0);
      dv.setUint32(0, (dv.getUint32(0, true) | m.time) >>> 0, true);
      const r = this.emptyMapping.insert(m.vblock, value, root);
      root = r.root;
      if (r.inserted) mapped++;
      this.incData(m.dataBlock);
    }
    return { root, mapped };
  }
}

/**
 * create_metadata_sm (persistent-data/space-maps/disk.cc): a metadata device of more blocks than
 * one index block's bitmaps cover is cut to MAX_METADATA_BLOCKS, and 0.9.0 says so on stderr, even
 * with -q. thin_restore and thin_repair both create the metadata once they have opened the output
 * and found the input, before they read it, so the line comes before any error the input gives.
 */
export function createMetadata0(env: ToolEnv, sizeBytes: number): void {
  if (Math.floor(sizeBytes / BLOCK_SIZE) > MAX_METADATA_BLOCKS)
    env.io.err(`truncating metadata device to ${MAX_METADATA_BLOCKS} 4k blocks\n`);
}

/**
 * The bytes 0.9.0's thin_restore (or thin_repair) leaves on a metadata device of `nrBlocks` 4 KiB
 * blocks for `sb` and `devices` (in the order the input gives them, each device's mappings too):
 * the device's first blocks, up to the last one written (every later block is untouched). Throws
 * {@link OutOfMetadataSpace0} when the device is too small.
 */
export function writeMetadata0(
  nrBlocks: number,
  sb: BuiltSuperblock,
  devices: ReadonlyMap<number, BuiltDevice>,
): Uint8Array {
  // Past 4,161,600 blocks the metadata space map is cut to that size (createMetadata0 says so).
  const store = new Blocks0(Math.min(nrBlocks, MAX_METADATA_BLOCKS));
  let r: Restorer0 | null = null;
  try {
    r = new Restorer0(store);
    return restore0(r, sb, devices);
  } catch (e) {
    if (!(e instanceof OutOfMetadataSpace0)) throw e;
    // The restorer's destructor runs on the way out too, if the restorer was made.
    if (r !== null) r.dropEmptyMapping();
    e.written = flush(store, false);
    throw e;
  }
}

function restore0(r: Restorer0, sb: BuiltSuperblock, devices: ReadonlyMap<number, BuiltDevice>): Uint8Array {
  r.extendData(sb.nrDataBlocks);
  for (const [id, dev] of devices) {
    const { root, mapped } = r.device(dev.mappings);
    const details = new Uint8Array(DETAILS_VALUE_SIZE);
    const dv = new DataView(details.buffer);
    setU64(dv, 0, mapped);
    dv.setBigUint64(8, BigInt.asUintN(64, dev.details.transactionId), true);
    dv.setUint32(16, dev.details.creationTime >>> 0, true);
    dv.setUint32(20, dev.details.snapshottedTime >>> 0, true);
    r.details.insert(id, details);
    r.top.insert(id, u64Value(root));
  }
  // The commit: the metadata index and the superblock, as the space maps stand now.
  writeIndexBlock(r);
  writeSuperblock(r, sb);
  // The restorer's destructor: its empty mapping tree loses a reference after the commit.
  r.dropEmptyMapping();
  return flush(r.store, true);
}

function writeIndexBlock(r: Restorer0): void {
  r.meta.entries.forEach((ie, i) => r.store.block(r.metaIndex).set(indexValue(ie), 16 + i * INDEX_ENTRY_SIZE));
}

function putSmRoot(
  dv: DataView,
  at: number,
  nrBlocks: number,
  nrAllocated: number,
  index: number,
  overflow: number,
): void {
  setU64(dv, at + SM_ROOT.nrBlocks, nrBlocks);
  setU64(dv, at + SM_ROOT.nrAllocated, nrAllocated);
  setU64(dv, at + SM_ROOT.bitmapRoot, index);
  setU64(dv, at + SM_ROOT.refCountRoot, overflow);
}

function writeSuperblock(r: Restorer0, sb: BuiltSuperblock): void {
  const dv = r.store.dv(0);
  dv.setUint32(SB.flags, sb.flags >>> 0, true);
  setU64(dv, SB.magic, THIN_SUPERBLOCK_MAGIC);
  dv.setUint32(SB.version, sb.version >>> 0, true);
  dv.setUint32(SB.time, sb.time >>> 0, true);
  dv.setBigUint64(SB.transId, BigInt.asUintN(64, sb.transactionId), true);
  putSmRoot(dv, SB.dataSpaceMapRoot, r.data.nrBlocks, r.data.nrAllocated, r.dataIndex.root, r.dataOverflow.root);
  putSmRoot(dv, SB.metadataSpaceMapRoot, r.meta.nrBlocks, r.meta.nrAllocated, r.metaIndex, r.metaOverflow.root);
  setU64(dv, SB.dataMappingRoot, r.top.root);
  setU64(dv, SB.deviceDetailsRoot, r.details.root);
  dv.setUint32(SB.dataBlockSize, sb.dataBlockSize >>> 0, true);
  dv.setUint32(SB.metadataBlockSize, METADATA_BLOCK_SECTORS, true);
  setU64(dv, SB.metadataNrBlocks, r.meta.nrBlocks);
}

/**
 * The block manager's flush: each block sealed by its validator (its own number at offset 8 for a
 * node, a bitmap or the index, and its checksum), the device's prefix up to the last one; the
 * superblock only when the commit wrote it.
 */
function flush(store: Blocks0, committed: boolean): Uint8Array {
  let last = 0;
  for (const b of store.blocks.keys()) last = Math.max(last, b);
  const bytes = new Uint8Array((last + 1) * BLOCK_SIZE);
  const xor: Record<BlockKind, number> = {
    node: BTREE_CSUM_XOR,
    bitmap: BITMAP_CSUM_XOR,
    index: INDEX_CSUM_XOR,
    superblock: SUPERBLOCK_CSUM_XOR,
  };
  for (const [b, block] of store.blocks) {
    if (b === 0 && !committed) continue;
    const dv = new DataView(block.buffer, block.byteOffset, BLOCK_SIZE);
    if (b !== 0) setU64(dv, NODE.blocknr, b);
    dv.setUint32(0, dmChecksum(block, 4, BLOCK_SIZE, xor[store.kinds.get(b)!]), true);
    bytes.set(block, b * BLOCK_SIZE);
  }
  return bytes;
}

/**
 * Writes what 0.9.0's restorer writes for `sb` and `devices` to `path` (of `sizeBytes`). When the
 * device is too small it prints the allocation that failed, leaves the blocks the real one leaves
 * (its superblock zeroed) and returns false.
 */
export function writeImage0(
  env: ToolEnv,
  path: string,
  sizeBytes: number,
  sb: BuiltSuperblock,
  devices: ReadonlyMap<number, BuiltDevice>,
): boolean {
  let bytes: Uint8Array;
  try {
    bytes = writeMetadata0(Math.floor(sizeBytes / BLOCK_SIZE), sb, devices);
  } catch (e) {
    if (!(e instanceof OutOfMetadataSpace0)) throw e;
    env.io.err(`${e.message}\n`);
    writeMetadataBytes(env.ctx, path, e.written);
    return false;
  }
  writeMetadataBytes(env.ctx, path, bytes);
  return true;
}
