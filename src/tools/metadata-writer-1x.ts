/**
 * The metadata thin-provisioning-tools 1.1.0 writes (its Restorer, src/thin/restore.rs, over the
 * btree builder src/pdata/btree_builder.rs, the space map writers src/pdata/space_map/{common,
 * disk,metadata}.rs and the WriteBatcher src/write_batcher.rs), block for block. Blocks come from
 * an in-core metadata space map that allocates from a cursor moving forward (block 0 first, for the
 * superblock), in the order 1.1.0 asks for them: each device's leaves as they fill (a node is
 * written when two nodes' worth of values wait, and a last node under half full is read back and
 * merged), its internal nodes when the device ends, then the details and top-level trees, the data
 * space map (bitmaps, its overflow tree, its index tree) and last the metadata space map, whose
 * bitmaps count every block allocated so far and are then patched for their own blocks. A node
 * read back is freed, but its block stays written and is not reused (the cursor has passed it).
 *
 * 1.1.0 allocates nodes without zeroing them (Block::new), so the bytes after a node's last value
 * are whatever its buffer held: the lab writes zeros there (`unwrittenTails` names them for the
 * tests, which compare everything else). 0.9.0's writer is metadata-writer-0.ts.
 */
import { dmChecksum } from '../format/crc32c.js';
import {
  BITMAP_CSUM_XOR,
  BITMAP_HEADER,
  BLOCK_SIZE,
  BTREE_CSUM_XOR,
  ENTRIES_PER_BITMAP,
  INDEX_CSUM_XOR,
  INTERNAL_NODE,
  LEAF_NODE,
  MAX_METADATA_BLOCKS,
  NODE,
  SB,
  SM_ROOT,
  SUPERBLOCK_CSUM_XOR,
  THIN_SUPERBLOCK_MAGIC,
  setBitmapEntry,
} from '../format/layout.js';
import type { DeviceDetails } from '../model/metadata.js';
import type { BuiltSuperblock } from './metadata-output.js';

/**
 * The metadata device is full: 1.1.0 says "out of metadata space". `written` holds the blocks
 * written by then, by number: the WriteBatcher is dropped on the way out, and its drop flushes
 * them to the output, so a failed restore leaves them there.
 */
export class OutOfMetadataSpace1x extends Error {
  constructor(
    readonly written: ReadonlyMap<number, Uint8Array>,
    /**
     * How many devices the Restorer had begun when the blocks ran out: it writes a device's nodes
     * between its `<device>` and `</device>`, so thin_restore -v has said "building btree for
     * device N" for exactly these.
     */
    readonly devicesBegun = 0,
  ) {
    super('out of metadata space');
  }
}

/** The WriteBatcher over its in-core metadata space map (core_metadata_sm). */
class Batcher {
  readonly counts: Uint32Array;
  private allocBegin = 0;
  private allocations = new Set<number>();
  readonly written = new Map<number, Uint8Array>();
  /** The entries of each node written, as a read of the node gives them back. */
  readonly nodeEntries = new Map<number, [bigint, unknown][]>();

  constructor(readonly nrBlocks: number) {
    this.counts = new Uint32Array(nrBlocks);
  }

  get nrAllocated(): number {
    return this.counts.reduce((n, c) => n + (c > 0 ? 1 : 0), 0);
  }

  /** CoreSpaceMap::alloc: the first free block from the cursor, then from the start. */
  alloc(): number {
    let b = this.counts.indexOf(0, this.allocBegin);
    if (b < 0) b = this.counts.subarray(0, this.allocBegin).indexOf(0);
    if (b < 0) throw new OutOfMetadataSpace1x(this.written);
    this.counts[b] = 1;
    this.allocBegin = b + 1;
    this.allocations.add(b);
    return b;
  }

  inc(b: number): void {
    this.counts[b]! += 1;
  }

  /** Returns true when the block is now free (SpaceMap::dec). */
  dec(b: number): boolean {
    this.counts[b]! -= 1;
    return this.counts[b] === 0;
  }

  /** Seals the block with the checksum of its kind and keeps it (the last write of a block wins). */
  write(b: number, bytes: Uint8Array, salt: number): void {
    new DataView(bytes.buffer, bytes.byteOffset).setUint32(0, dmChecksum(bytes, 4, BLOCK_SIZE, salt), true);
    this.written.set(b, bytes);
  }

  read(b: number): Uint8Array {
    return Uint8Array.from(this.written.get(b)!);
  }

  /** clear_allocations: the blocks allocated since the last call, as sorted ranges [start, end). */
  clearAllocations(): [number, number][] {
    const sorted = [...this.allocations].sort((x, y) => x - y);
    this.allocations = new Set();
    const ranges: [number, number][] = [];
    for (const b of sorted) {
      const last = ranges[ranges.length - 1];
      if (last !== undefined && last[1] === b) last[1] = b + 1;
      else ranges.push([b, b + 1]);
    }
    return ranges;
  }
}

/** How a btree's values are packed (1.1.0's Pack of each value type). */
interface ValueKind<V> {
  readonly size: number;
  pack(dv: DataView, offset: number, v: V): void;
}

const U64: ValueKind<bigint> = { size: 8, pack: (dv, o, v) => dv.setBigUint64(o, v, true) };
const U32: ValueKind<number> = { size: 4, pack: (dv, o, v) => dv.setUint32(o, v, true) };
const DETAILS: ValueKind<DeviceDetails> = {
  size: 24,
  pack: (dv, o, d) => {
    dv.setBigUint64(o, BigInt(d.mappedBlocks), true);
    dv.setBigUint64(o + 8, d.transactionId, true);
    dv.setUint32(o + 16, d.creationTime, true);
    dv.setUint32(o + 20, d.snapshottedTime, true);
  },
};
interface IndexEntry {
  blocknr: number;
  nrFree: number;
  noneFreeBefore: number;
}
const INDEX: ValueKind<IndexEntry> = {
  size: 16,
  pack: (dv, o, e) => {
    dv.setBigUint64(o, BigInt(e.blocknr), true);
    dv.setUint32(o + 8, e.nrFree >>> 0, true);
    dv.setUint32(o + 12, e.noneFreeBefore >>> 0, true);
  },
};

/** calc_max_entries: as many entries as fit, rounded down to a multiple of 3. */
const maxEntries = (valueSize: number): number => Math.floor((BLOCK_SIZE - NODE.header) / (8 + valueSize) / 3) * 3;

interface NodeSummary {
  readonly block: number;
  readonly key: bigint;
  readonly nrEntries: number;
  /** Built in a <def>: a node other trees take whole, whose values are counted once. */
  readonly shared: boolean;
}

/** The unwritten tails of the nodes written: [offset, end) in the image, for the tests to skip. */
export type Tails = [number, number][];

/**
 * NodeBuilder: values become nodes of `max` entries, the last two balanced; a shared subtree's
 * leaves are taken whole where they are full enough, else copied value by value.
 */
class NodeBuilder<V> {
  private values: [bigint, V][] = [];
  private readonly nodes: NodeSummary[] = [];
  private readonly max: number;
  private readonly half: number;

  constructor(
    private readonly w: Batcher,
    private readonly kind: ValueKind<V>,
    private readonly leaf: boolean,
    private readonly tails: Tails,
    private readonly inc: (v: V) => void = () => undefined,
    private readonly shared = false,
  ) {
    this.max = maxEntries(kind.size);
    this.half = Math.floor(this.max / 2);
  }

  push(key: bigint, v: V): void {
    this.makeRoom();
    this.inc(v);
    this.values.push([key, v]);
  }

  /**
   * What push_value does before it checks the key and counts the value: a short first node is read
   * back, or a node is written when two nodes' worth of values wait.
   */
  makeRoom(): void {
    if (this.nodes.length === 1 && this.nodes[0]!.nrEntries < this.half) this.unshift();
    else if (this.values.length === this.max * 2) this.emit(this.max);
  }

  /** push_nodes: a shared subtree's leaves, referenced (their count goes up) or copied. */
  pushNodes(nodes: readonly NodeSummary[]): void {
    if (nodes.length === 1 && this.nodes.length === 0 && this.values.length === 0) {
      this.take(nodes);
      return;
    }
    if (this.nodes.length === 1 && this.nodes[0]!.nrEntries < this.half) this.unshift();
    if (this.values.length > 0 && this.values.length < this.half) {
      this.append(nodes[0]!);
      if (nodes.length > 1) {
        this.emitAll();
        this.take(nodes.slice(1));
      }
    } else {
      this.emitAll();
      if (nodes[0]!.nrEntries < this.half) this.append(nodes[0]!);
      else this.take(nodes);
    }
  }

  complete(): NodeSummary[] {
    if (this.values.length > 0 && this.values.length < this.half && this.nodes.length > 0) this.unshift();
    this.emitAll();
    if (this.nodes.length === 0) this.emit(0);
    return this.nodes;
  }

  private take(nodes: readonly NodeSummary[]): void {
    for (const n of nodes) {
      this.w.inc(n.block);
      this.nodes.push(n);
    }
  }

  /** append_values: a node's values copied in, each counted again. */
  private append(node: NodeSummary): void {
    for (const [k, v] of this.w.nodeEntries.get(node.block)! as [bigint, V][]) {
      this.inc(v);
      this.values.push([k, v]);
    }
  }

  private emitAll(): void {
    const n = this.values.length;
    if (n > this.max) {
      const first = Math.floor(n / 2);
      this.emit(first);
      this.emit(n - first);
    } else if (n > 0) this.emit(n);
  }

  private emit(n: number): void {
    const entries = this.values.splice(0, n);
    const b = this.w.alloc();
    const bytes = new Uint8Array(BLOCK_SIZE);
    const dv = new DataView(bytes.buffer);
    dv.setUint32(NODE.flags, this.leaf ? LEAF_NODE : INTERNAL_NODE, true);
    dv.setBigUint64(NODE.blocknr, BigInt(b), true);
    dv.setUint32(NODE.nrEntries, n, true);
    dv.setUint32(NODE.maxEntries, this.max, true);
    dv.setUint32(NODE.valueSize, this.kind.size, true);
    const valuesAt = NODE.header + this.max * 8;
    entries.forEach(([k, v], i) => {
      dv.setBigUint64(NODE.header + i * 8, k, true);
      this.kind.pack(dv, valuesAt + i * this.kind.size, v);
    });
    this.w.write(b, bytes, BTREE_CSUM_XOR);
    this.tails.push([b * BLOCK_SIZE + valuesAt + n * this.kind.size, (b + 1) * BLOCK_SIZE]);
    this.w.nodeEntries.set(b, entries);
    this.nodes.push({ block: b, key: entries[0]?.[0] ?? 0n, nrEntries: n, shared: this.shared });
  }

  /** unshift_node: the last node read back into the values waiting, and its reference dropped. */
  private unshift(): void {
    const last = this.nodes.pop()!;
    const entries = this.w.nodeEntries.get(last.block)! as [bigint, V][];
    this.w.dec(last.block);
    // A shared node's values were counted once, for the subtree: this copy counts them again.
    if (last.shared) for (const [, v] of entries) this.inc(v);
    this.values = [...entries, ...this.values];
  }
}

/** build_btree: internal levels over the leaves until one node is left; its block. */
function buildBtree(w: Batcher, leaves: NodeSummary[], tails: Tails): number {
  let nodes = leaves;
  while (nodes.length > 1) {
    const b = new NodeBuilder(w, U64, false, tails);
    for (const n of nodes) b.push(n.key, BigInt(n.block));
    nodes = b.complete();
  }
  return nodes[0]!.block;
}

/** write_bitmap: a zeroed block with the entries, sealed as a bitmap. */
function writeBitmap(w: Batcher, entries: Uint8Array): number {
  const b = w.alloc();
  const bytes = new Uint8Array(BLOCK_SIZE);
  new DataView(bytes.buffer).setBigUint64(8, BigInt(b), true);
  entries.forEach((e, i) => {
    if (e !== 0) setBitmapEntry(bytes, BITMAP_HEADER, i, e);
  });
  w.write(b, bytes, BITMAP_CSUM_XOR);
  return b;
}

interface SmRoot {
  nrBlocks: number;
  nrAllocated: number;
  bitmapRoot: number;
  refCountRoot: number;
}

/** The 2-bit entry of a count, after pushing an overflow count to the overflow tree. */
function entryOf(count: number, b: number, overflow: NodeBuilder<number>): number {
  if (count > 2) overflow.push(BigInt(b), count);
  return Math.min(count, 3);
}

/** write_disk_sm: the data space map's bitmaps (with their overflow tree), then its index tree. */
function writeDataSm(w: Batcher, counts: Uint32Array, tails: Tails): SmRoot {
  const overflow = new NodeBuilder(w, U32, true, tails);
  const index: IndexEntry[] = [];
  for (let begin = 0; begin < counts.length; begin += ENTRIES_PER_BITMAP) {
    const len = Math.min(counts.length - begin, ENTRIES_PER_BITMAP);
    const entries = new Uint8Array(ENTRIES_PER_BITMAP);
    let firstFree: number | null = null;
    let nrFree = ENTRIES_PER_BITMAP;
    for (let i = 0; i < len; i++) {
      const count = counts[begin + i]!;
      if (count === 0) firstFree ??= i;
      else nrFree--;
      entries[i] = entryOf(count, begin + i, overflow);
    }
    index.push({ blocknr: writeBitmap(w, entries), nrFree, noneFreeBefore: firstFree ?? len });
  }
  const refCountRoot = buildBtree(w, overflow.complete(), tails);
  const ib = new NodeBuilder(w, INDEX, true, tails);
  index.forEach((e, i) => ib.push(BigInt(i), e));
  const bitmapRoot = buildBtree(w, ib.complete(), tails);
  const nrAllocated = counts.reduce((n, c) => n + (c > 0 ? 1 : 0), 0);
  return { nrBlocks: counts.length, nrAllocated, bitmapRoot, refCountRoot };
}

/** write_metadata_common: bitmaps for the blocks allocated so far, then zeroed ones for the rest. */
function writeMetadataBitmaps(w: Batcher, overflow: NodeBuilder<number>): IndexEntry[] {
  const index: IndexEntry[] = [];
  let bm = 0;
  let entries = new Uint8Array(ENTRIES_PER_BITMAP);
  let nrFree = ENTRIES_PER_BITMAP;
  let noneFreeBefore = 0;
  const flush = (): void => {
    index.push({ blocknr: writeBitmap(w, entries), nrFree, noneFreeBefore });
  };
  for (const [start, end] of w.clearAllocations())
    for (let b = start; b < end; b++) {
      if (Math.floor(b / ENTRIES_PER_BITMAP) !== bm) {
        flush();
        bm = Math.floor(b / ENTRIES_PER_BITMAP);
        [entries, nrFree, noneFreeBefore] = [new Uint8Array(ENTRIES_PER_BITMAP), ENTRIES_PER_BITMAP, 0];
      }
      const count = w.counts[b]!;
      const i = b % ENTRIES_PER_BITMAP;
      if (count > 0) {
        nrFree--;
        if (i === noneFreeBefore) noneFreeBefore = i + 1;
      }
      entries[i] = entryOf(count, b, overflow);
    }
  flush();
  const nrBitmaps = Math.ceil(w.nrBlocks / ENTRIES_PER_BITMAP);
  while (index.length < nrBitmaps)
    index.push({
      blocknr: writeBitmap(w, new Uint8Array(ENTRIES_PER_BITMAP)),
      nrFree: ENTRIES_PER_BITMAP,
      noneFreeBefore: 0,
    });
  return index;
}

/** adjust_counts: entries [begin, end) of a metadata bitmap set to 1, its index entry updated. */
function adjustCounts(w: Batcher, ie: IndexEntry, begin: number, end: number): IndexEntry {
  let firstFree = ie.noneFreeBefore;
  const bytes = w.read(ie.blocknr);
  for (let a = begin; a < end; a++) {
    if (firstFree === a) firstFree = a + 1;
    setBitmapEntry(bytes, BITMAP_HEADER, a, 1);
  }
  w.write(ie.blocknr, bytes, BITMAP_CSUM_XOR);
  return { blocknr: ie.blocknr, nrFree: (ie.nrFree - (end - begin)) >>> 0, noneFreeBefore: firstFree };
}

/** write_metadata_sm: the bitmaps, the overflow tree, the index block, and the counts of their own blocks. */
function writeMetadataSm(w: Batcher, tails: Tails): SmRoot {
  const overflow = new NodeBuilder(w, U32, true, tails);
  const index = writeMetadataBitmaps(w, overflow);
  const refCountRoot = buildBtree(w, overflow.complete(), tails);
  const indexBlock = w.alloc();
  for (const [start, end] of w.clearAllocations()) {
    const biBegin = Math.floor(start / ENTRIES_PER_BITMAP);
    const biEnd = Math.min(Math.floor(end / ENTRIES_PER_BITMAP) + 1, index.length);
    for (let bm = biBegin; bm < biEnd; bm++) {
      const begin = bm === biBegin ? start % ENTRIES_PER_BITMAP : 0;
      const stop = bm === Math.floor(end / ENTRIES_PER_BITMAP) ? end % ENTRIES_PER_BITMAP : ENTRIES_PER_BITMAP;
      index[bm] = adjustCounts(w, index[bm]!, begin, stop);
    }
  }
  const bytes = new Uint8Array(BLOCK_SIZE);
  const dv = new DataView(bytes.buffer);
  dv.setBigUint64(8, BigInt(indexBlock), true);
  index.forEach((e, i) => INDEX.pack(dv, BITMAP_HEADER + i * INDEX.size, e));
  w.write(indexBlock, bytes, INDEX_CSUM_XOR);
  return { nrBlocks: w.nrBlocks, nrAllocated: w.nrAllocated, bitmapRoot: indexBlock, refCountRoot };
}

/** A mapping as the Restorer receives it (`<single_mapping>`, one block of a `<range_mapping>`). */
export interface Mapping1x {
  readonly vblock: number;
  readonly dataBlock: number;
  readonly time: number;
}

/** What a device or a shared subtree holds, in order: mappings, or a reference to a subtree. */
export type Entry1x = { readonly mappings: readonly Mapping1x[] } | { readonly ref: number | string };

/** One device as the Restorer receives it. */
export interface Device1x {
  readonly id: number;
  readonly details: DeviceDetails;
  readonly entries: readonly Entry1x[];
}

/** A shared subtree (`<def>`), as thin_repair's dump or thin_restore's XML hands it over: its mappings. */
export interface Def1x {
  /** thin_repair numbers its subtrees; thin_restore keeps the XML's `name`. */
  readonly id: number | string;
  readonly mappings: readonly Mapping1x[];
}

/** A `<def>` or a `<device>`, in the order the Restorer reads them. */
export type Section1x = { readonly def: Def1x } | { readonly device: Device1x };

/**
 * The image 1.1.0's Restorer writes for `defs` and then `devices` (in the order it reads them) on a
 * metadata device of `nrBlocks` blocks: the bytes up to the last block written, and the unwritten
 * tails of its nodes. Throws OutOfMetadataSpace1x when the blocks run out.
 */
export function writeMetadata1x(
  nrBlocks: number,
  sb: BuiltSuperblock,
  devices: readonly Device1x[],
  defs: readonly Def1x[] = [],
): { bytes: Uint8Array; tails: Tails } {
  return writeSections1x(nrBlocks, sb, [...defs.map((def) => ({ def })), ...devices.map((device) => ({ device }))]);
}

/** As writeMetadata1x, for `<def>`s and `<device>`s in the order the Restorer reads them. */
export function writeSections1x(
  nrBlocks: number,
  sb: BuiltSuperblock,
  sections: readonly Section1x[],
): { bytes: Uint8Array; tails: Tails } {
  const progress = { devicesBegun: 0 };
  try {
    return writeAll(nrBlocks, sb, sections, progress);
  } catch (e) {
    if (e instanceof OutOfMetadataSpace1x) throw new OutOfMetadataSpace1x(e.written, progress.devicesBegun);
    throw e;
  }
}

/**
 * Where the Restorer stopped inside a `<def>` (`shared`) or a `<device>`: what it had pushed, and
 * whether a further push of a mapping failed.
 */
export interface OpenDevice1x {
  readonly shared: boolean;
  readonly entries: readonly Entry1x[];
  /**
   * True when the Restorer failed inside a push (a key out of order, a data block out of bounds):
   * NodeBuilder::push_value first makes room (reads back a short first node, or writes a node when
   * two nodes' worth of values wait) and only then checks the key and counts the block.
   */
  readonly failedInPush: boolean;
}

/**
 * The blocks 1.1.0's Restorer has written when its input fails before `</superblock>`: each device
 * read whole, then the nodes of the device it stopped in (`open`, if any). The WriteBatcher's drop
 * flushes them to the output; the superblock and the space maps are never written. Throws
 * OutOfMetadataSpace1x when the blocks run out first, as 1.1.0 then fails on that.
 */
export function writtenBeforeFailure1x(
  nrBlocks: number,
  sb: BuiltSuperblock,
  sections: readonly Section1x[],
  open: OpenDevice1x | null,
): ReadonlyMap<number, Uint8Array> {
  const progress = { devicesBegun: 0 };
  try {
    const trees = new Trees(nrBlocks, sb);
    for (const s of sections) trees.section(s, progress);
    if (open !== null) {
      if (!open.shared) progress.devicesBegun++;
      const b = trees.leafBuilder(open.shared);
      trees.pushEntries(b, open.entries);
      if (open.failedInPush) b.makeRoom();
    }
    return trees.w.written;
  } catch (e) {
    if (e instanceof OutOfMetadataSpace1x) throw new OutOfMetadataSpace1x(e.written, progress.devicesBegun);
    throw e;
  }
}

/** The Restorer's state while it reads devices: the batcher, the data block counts, the trees built. */
class Trees {
  readonly w: Batcher;
  readonly tails: Tails = [];
  readonly dataCounts: Uint32Array;
  readonly subTrees = new Map<number | string, NodeSummary[]>();
  readonly roots = new Map<number, { details: DeviceDetails; root: number }>();

  constructor(nrBlocks: number, sb: BuiltSuperblock) {
    this.w = new Batcher(Math.min(nrBlocks, MAX_METADATA_BLOCKS));
    // superblock_b allocates block 0; the superblock is written there only when the input ends well.
    this.w.alloc();
    this.dataCounts = new Uint32Array(sb.nrDataBlocks);
  }

  leafBuilder(shared: boolean): NodeBuilder<bigint> {
    const countData = (v: bigint): void => {
      this.dataCounts[Number(v >> 24n)]! += 1;
    };
    return new NodeBuilder<bigint>(this.w, U64, true, this.tails, countData, shared);
  }

  pushAll(b: NodeBuilder<bigint>, mappings: readonly Mapping1x[]): void {
    for (const m of mappings) b.push(BigInt(m.vblock), (BigInt(m.dataBlock) << 24n) | BigInt(m.time));
  }

  pushEntries(b: NodeBuilder<bigint>, entries: readonly Entry1x[]): void {
    for (const e of entries) 'ref' in e ? b.pushNodes(this.subTrees.get(e.ref)!) : this.pushAll(b, e.mappings);
  }

  /**
   * A `<def>`'s leaves, kept by name. A name defined again replaces the earlier leaves, which are
   * then never released (1.1.0 inserts into its BTreeMap): their blocks and values stay counted.
   */
  section(s: Section1x, progress: { devicesBegun: number }): void {
    if ('def' in s) {
      const b = this.leafBuilder(true);
      this.pushAll(b, s.def.mappings);
      this.subTrees.set(s.def.id, b.complete());
      return;
    }
    progress.devicesBegun++;
    const b = this.leafBuilder(false);
    this.pushEntries(b, s.device.entries);
    this.roots.set(s.device.id, { details: s.device.details, root: buildBtree(this.w, b.complete(), this.tails) });
  }
}

/**
 * How many leaves a `<def>` of these mappings is built into, and the first key of the last (0 for
 * an empty leaf): after a `<ref>` to it, push_nodes keeps that key as the last one pushed, so a
 * later mapping is checked for order against it rather than against the def's last mapping.
 */
export function defLeaves1x(mappings: readonly Mapping1x[]): { count: number; lastKey: number } {
  const trees = new Trees(Math.ceil(mappings.length / 100) + 8, { nrDataBlocks: 0 } as BuiltSuperblock);
  const b = new NodeBuilder<bigint>(trees.w, U64, true, trees.tails, () => undefined, true);
  trees.pushAll(b, mappings);
  const leaves = b.complete();
  return { count: leaves.length, lastKey: Number(leaves.at(-1)!.key) };
}

function writeAll(
  nrBlocks: number,
  sb: BuiltSuperblock,
  sections: readonly Section1x[],
  progress: { devicesBegun: number },
): { bytes: Uint8Array; tails: Tails } {
  const trees = new Trees(nrBlocks, sb);
  const { w, tails, dataCounts } = trees;
  for (const s of sections) trees.section(s, progress);
  const details = new NodeBuilder(w, DETAILS, true, tails);
  const top = new NodeBuilder(w, U64, true, tails);
  for (const [id, r] of [...trees.roots].sort(([a], [b]) => a - b)) {
    details.push(BigInt(id), r.details);
    top.push(BigInt(id), BigInt(r.root));
  }
  const detailsRoot = buildBtree(w, details.complete(), tails);
  const mappingRoot = buildBtree(w, top.complete(), tails);
  // release_subtrees: the subtrees' own references go; a leaf no tree took frees its values.
  for (const leaves of trees.subTrees.values())
    for (const n of leaves)
      if (w.dec(n.block))
        for (const [, v] of w.nodeEntries.get(n.block)! as [bigint, bigint][]) dataCounts[Number(v >> 24n)]! -= 1;
  const dataSm = writeDataSm(w, dataCounts, tails);
  const metadataSm = writeMetadataSm(w, tails);
  w.written.set(0, superblockBlock(sb, dataSm, metadataSm, mappingRoot, detailsRoot));
  const end = Math.max(...w.written.keys()) + 1;
  const bytes = new Uint8Array(end * BLOCK_SIZE);
  for (const [b, block] of w.written) bytes.set(block, b * BLOCK_SIZE);
  return { bytes, tails };
}

/** write_superblock: a zeroed block with 1.1.0's fields (no uuid, no held root, needs_check clear). */
function superblockBlock(sb: BuiltSuperblock, data: SmRoot, meta: SmRoot, mappingRoot: number, detailsRoot: number) {
  const bytes = new Uint8Array(BLOCK_SIZE);
  const dv = new DataView(bytes.buffer);
  const root = (at: number, r: SmRoot): void => {
    dv.setBigUint64(at + SM_ROOT.nrBlocks, BigInt(r.nrBlocks), true);
    dv.setBigUint64(at + SM_ROOT.nrAllocated, BigInt(r.nrAllocated), true);
    dv.setBigUint64(at + SM_ROOT.bitmapRoot, BigInt(r.bitmapRoot), true);
    dv.setBigUint64(at + SM_ROOT.refCountRoot, BigInt(r.refCountRoot), true);
  };
  dv.setBigUint64(SB.magic, BigInt(THIN_SUPERBLOCK_MAGIC), true);
  dv.setUint32(SB.version, 2, true);
  dv.setUint32(SB.time, sb.time, true);
  dv.setBigUint64(SB.transId, sb.transactionId, true);
  root(SB.dataSpaceMapRoot, data);
  root(SB.metadataSpaceMapRoot, meta);
  dv.setBigUint64(SB.dataMappingRoot, BigInt(mappingRoot), true);
  dv.setBigUint64(SB.deviceDetailsRoot, BigInt(detailsRoot), true);
  dv.setUint32(SB.dataBlockSize, sb.dataBlockSize, true);
  dv.setUint32(SB.metadataBlockSize, BLOCK_SIZE / 512, true);
  dv.setBigUint64(SB.metadataNrBlocks, BigInt(meta.nrBlocks), true);
  dv.setUint32(0, dmChecksum(bytes, 4, BLOCK_SIZE, SUPERBLOCK_CSUM_XOR), true);
  return bytes;
}
