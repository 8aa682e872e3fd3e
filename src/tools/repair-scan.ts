/**
 * 0.9.0's search for better roots (the `gatherer` of thin-provisioning/metadata_dumper.cc), which
 * `thin_dump --repair` runs when the superblock's device details tree or top-level mapping tree
 * does not walk cleanly. It reads every block whose btree checksum holds as a node, classifies it
 * (details leaf, top-level or bottom-level mapping node) by its value size and its children,
 * pairs the unreferenced details and top-level roots that agree on their device and mapping
 * counts, and dumps from the chosen pair instead of the superblock's roots.
 *
 * Its reads are node_ref's, which check a node only when a key or value is read
 * (check_fits_within_block): a wrong value size or too many entries throws there and ends the
 * dump with status 1 (seed 17 cases 835, 1329 and 1534 of the reliability campaign: "value size
 * mismatch: expected 8, but got 24 (block 7)." and "Bad nr of elements: max per block = 126,
 * actual = 20739 (block 7)"). It never checks max_entries, so a node whose values lie past its
 * block reads whatever memory follows (case 1106: a segmentation fault), and a child pointer past
 * the device indexes a std::vector<bool> out of bounds: both undefined behaviour, refused by name.
 */
// node_ref::calc_max_entries is the kernel's calc_max_entries: layout.ts's maxEntries.
import { BLOCK_SIZE, BTREE_CSUM_XOR, DETAILS_VALUE_SIZE, INTERNAL_NODE, maxEntries, NODE } from '../format/layout.js';
import { isStackOverflow } from '../shared/stack-overflow.js';
import type { MetadataBytes } from './metadata-view.js';

type TreeKind = 'top' | 'bottom' | 'details';

/** node_info: what a node summarises (age and counts are C++ `unsigned`/`uint32_t`, mod 2^32). */
interface NodeInfo {
  readonly b: number;
  readonly valid: boolean;
  readonly type: TreeKind;
  readonly values: number;
  readonly keyLow: bigint;
  readonly keyHigh: bigint;
  readonly age: number;
  readonly nrMappings: number;
}

/** An exception the gatherer throws: thin_dump prints it and exits 1. */
class GathererError {
  constructor(readonly message: string) {}
}

/** A read 0.9.0 makes outside what it allocated: what happens then is not modelled. */
class UndefinedRead {
  constructor(readonly what: string) {}
}

const HEADER_SIZE = NODE.header;
/** block_manager::choose_cache_size: the block cache's memory is at most 16 MiB. */
const CACHE_BYTES_MAX = 16 * 1024 * 1024;
const U64_SIZE = 8;
const u32 = (n: number): number => n >>> 0;

class Gatherer {
  private readonly examined: Uint8Array;
  private readonly referenced: Uint8Array;
  private readonly infos = new Map<number, NodeInfo>();

  constructor(private readonly md: MetadataBytes) {
    this.examined = new Uint8Array(md.nrBlocks);
    this.referenced = new Uint8Array(md.nrBlocks);
  }

  /** find_best_roots' candidates: valid unreferenced top-level and details roots, in block order. */
  candidates(): { mapping: NodeInfo[]; details: NodeInfo[] } {
    for (let b = 0; b < this.md.nrBlocks; b++) this.info(b);
    const mapping: NodeInfo[] = [];
    const details: NodeInfo[] = [];
    for (let b = 0; b < this.md.nrBlocks; b++) {
      if (this.referenced[b] === 1) continue;
      const info = this.info(b);
      if (info.valid && info.type === 'top') mapping.push(info);
      else if (info.valid && info.type === 'details') details.push(info);
    }
    return { mapping, details };
  }

  age(b: number): number {
    return this.infos.get(b)?.age ?? 0;
  }

  /** get_info: a block is read once; a second visit of a block that failed is "unknown". */
  private info(b: number): NodeInfo {
    if (!this.md.has(b)) throw new UndefinedRead(`a child pointer past the device (block ${b})`);
    if (this.examined[b] === 1) return this.infos.get(b) ?? failed(b);
    this.examined[b] = 1;
    const info = this.readInfo(b);
    if (info.valid) this.infos.set(b, info);
    return info;
  }

  /** get_info_: is_btree_node checks the checksum only; the flags' INTERNAL bit picks the reader. */
  private readInfo(b: number): NodeInfo {
    const sums = this.md.checksums(b, BTREE_CSUM_XOR);
    if (sums === null || sums.stored !== sums.computed) return failed(b);
    return (this.md.u32(b * BLOCK_SIZE + 4) & INTERNAL_NODE) !== 0 ? this.internalInfo(b) : this.leafInfo(b);
  }

  private header(b: number): { nr: number; max: number; valueSize: number } {
    const at = b * BLOCK_SIZE;
    return { nr: this.md.u32(at + 16), max: this.md.u32(at + 20), valueSize: this.md.u32(at + 24) };
  }

  /** check_fits_within_block, as node_ref<traits> runs it before its first key or value read. */
  private checkFits(b: number, traitsSize: number): void {
    const { nr, valueSize } = this.header(b);
    if (valueSize !== traitsSize)
      throw new GathererError(`value size mismatch: expected ${traitsSize}, but got ${valueSize} (block ${b}).\n`);
    const max = maxEntries(traitsSize);
    if (max < nr) throw new GathererError(`Bad nr of elements: max per block = ${max}, actual = ${nr} (block ${b})\n`);
  }

  /**
   * node_ref::key_at checks only the index, not that the key lies in the block: a leaf with
   * millions of entries has its last key read far past its block. Within the block cache's memory
   * (one allocation of at most 16 MiB, or the device's size) that reads another block's bytes and
   * the value read after it throws (cases 835, 1329, 1534: 166 KB past, status 1); further than
   * the whole cache is certainly outside it (seed 17 case 3780: 89 MB past, a segmentation fault
   * or a kill), which is undefined behaviour and refused by name.
   */
  private key(b: number, i: number): bigint {
    const end = HEADER_SIZE + (i + 1) * U64_SIZE;
    const cacheBytes = Math.min(CACHE_BYTES_MAX, this.md.nrBlocks * BLOCK_SIZE);
    if (end > cacheBytes)
      throw new UndefinedRead(
        `key ${i} of block ${b}, ${end - BLOCK_SIZE} bytes past the block, outside the block cache`,
      );
    // What such a key holds does not matter: every leaf whose keys are read has its values read
    // next, and check_fits_within_block throws there.
    return this.md.u64Big(b * BLOCK_SIZE + HEADER_SIZE + i * U64_SIZE);
  }

  /** value_ptr: the values start after max_entries keys, which nothing checks against the block. */
  private valueAt(b: number, i: number, traitsSize: number): number {
    this.checkFits(b, traitsSize);
    const offset = HEADER_SIZE + this.header(b).max * U64_SIZE + i * traitsSize;
    if (offset + traitsSize > BLOCK_SIZE)
      throw new UndefinedRead(`node values past the end of block ${b} (max_entries ${this.header(b).max})`);
    return b * BLOCK_SIZE + offset;
  }

  private u64Value(b: number, i: number): bigint {
    return this.md.u64Big(this.valueAt(b, i, U64_SIZE));
  }

  /** get_internal_info: children of one kind, each starting past the last one's keys. */
  private internalInfo(b: number): NodeInfo {
    const { nr } = this.header(b);
    let info: NodeInfo = { ...failed(b), valid: true };
    let keyLow = 0n;
    let values = 0;
    for (let i = 0; i < nr; i++) {
      const child = this.info(this.childPointer(b, i));
      if (!child.valid) return failed(b);
      if (i > 0 && info.type !== child.type) return failed(b);
      if (keyLow !== 0n && child.keyLow <= keyLow) return failed(b);
      keyLow = child.keyHigh;
      values = u32(values + child.values);
      info = {
        ...info,
        type: i === 0 ? child.type : info.type,
        age: Math.max(info.age, child.age),
        nrMappings: u32(info.nrMappings + child.nrMappings),
      };
    }
    for (let i = 0; i < nr; i++) this.referenced[this.childPointer(b, i)] = 1;
    return { ...info, values };
  }

  private childPointer(b: number, i: number): number {
    const v = this.u64Value(b, i);
    if (v >= BigInt(this.md.nrBlocks)) throw new UndefinedRead(`a child pointer past the device (block ${v})`);
    return Number(v);
  }

  /** get_leaf_info: the value size says which tree; 8-byte values below the device are a top level. */
  private leafInfo(b: number): NodeInfo {
    const { nr, valueSize } = this.header(b);
    const base: NodeInfo = { ...failed(b), valid: true, values: nr };
    if (valueSize === DETAILS_VALUE_SIZE) {
      const keys = nr > 0 ? { keyLow: this.key(b, 0), keyHigh: this.key(b, nr - 1) } : {};
      let age = 0;
      let nrMappings = 0;
      for (let i = 0; i < nr; i++) {
        const v = this.valueAt(b, i, valueSize);
        age = Math.max(age, this.md.u32(v + 16), this.md.u32(v + 20));
        nrMappings = u32(nrMappings + Number(this.md.u64Big(v) & 0xffffffffn));
      }
      return { ...base, ...keys, type: 'details', age, nrMappings };
    }
    if (valueSize !== U64_SIZE) return base;
    const keys = nr > 0 ? { keyLow: this.key(b, 0), keyHigh: this.key(b, nr - 1) } : {};
    const values = Array.from({ length: nr }, (_, i) => this.u64Value(b, i));
    if (values.every((v) => v < BigInt(this.md.nrBlocks))) return this.topLevelInfo({ ...base, ...keys }, values);
    // A bottom-level leaf: its block/time values give its age and its mapping count.
    const age = values.reduce((a, v) => Math.max(a, Number(v & 0xffffffn)), 0);
    return { ...base, ...keys, type: 'bottom', age, nrMappings: nr };
  }

  private topLevelInfo(base: NodeInfo, values: readonly bigint[]): NodeInfo {
    let info: NodeInfo = { ...base, type: 'top' };
    for (const v of values) {
      const child = this.info(Number(v));
      if (!child.valid || child.type !== 'bottom') return { ...info, valid: false };
      info = { ...info, age: Math.max(info.age, child.age), nrMappings: u32(info.nrMappings + child.nrMappings) };
    }
    for (const v of values) this.referenced[Number(v)] = 1;
    return info;
  }
}

function failed(b: number): NodeInfo {
  return { b, valid: false, type: 'top', values: 0, keyLow: 0n, keyHigh: 0n, age: 0, nrMappings: 0 };
}

/** What the search ends with. */
export type RootSearch =
  | { readonly roots: { readonly details: number; readonly mapping: number; readonly time: number } | null }
  | { readonly error: string }
  | { readonly unmodelled: string };

/**
 * find_better_roots on `md`. `walksCleanly(kind, root)` is get_dev_ids / get_map_ids: whether the
 * tree at `root` walks without damage. The pairs are sorted by cmp_time_counts, which compares
 * the details nodes' time counts; those are always empty, so it answers true for any two pairs and
 * libstdc++'s insertion sort (std::sort on up to 16 elements) reverses them. Past 16 pairs the
 * introsort partitions with that comparator and runs off the vector: refused by name.
 */
export function findBetterRoots0(
  md: MetadataBytes,
  walksCleanly: (kind: 'details' | 'mapping', root: number) => boolean,
): RootSearch {
  const g = new Gatherer(md);
  let found: { mapping: NodeInfo[]; details: NodeInfo[] };
  try {
    found = g.candidates();
  } catch (e) {
    if (e instanceof GathererError) return { error: e.message };
    if (e instanceof UndefinedRead) return { unmodelled: e.what };
    // The gatherer recurses from node to child as 0.9.0 does; a chain of nodes deeper than the
    // lab's stack is refused by name rather than guessed at.
    if (isStackOverflow(e)) return { unmodelled: 'a chain of btree nodes deeper than the lab follows' };
    throw e;
  }
  const pairs = found.details.flatMap((d) =>
    found.mapping.filter((m) => d.values === m.values && d.nrMappings === m.nrMappings).map((m) => [d.b, m.b] as const),
  );
  if (pairs.length > 16) return { unmodelled: `${pairs.length} candidate root pairs (std::sort past 16 elements)` };
  const chosen = pairs.reverse().find(([d, m]) => walksCleanly('details', d) && walksCleanly('mapping', m));
  if (chosen === undefined) return { roots: null };
  const [details, mapping] = chosen;
  return { roots: { details, mapping, time: Math.max(g.age(details), g.age(mapping)) } };
}
