/**
 * Named kinds of damage to dm-thin metadata bytes, for the `fault metadata` directive and the
 * tests that compare the lab with the real kernel and the real thin-provisioning-tools on the same
 * damaged image. Each kind is a pure function from the image's bytes to the blocks it rewrites,
 * so that the shell can write exactly those blocks as `dd seek=BLOCK` would.
 *
 * Damage that keeps checksums valid (a wrong reference count, a wrong mapping, a wrong
 * `mapped_blocks`) re-seals the blocks it edits, because that is what a kernel bug would leave on
 * disk: a well-formed block with a wrong value. Damage to a whole node (zeroed, garbage) does not.
 */
import { dmChecksum } from './crc32c.js';
import {
  BITMAP_CSUM_XOR,
  BITMAP_HEADER,
  BLOCK_SIZE,
  BTREE_CSUM_XOR,
  ENTRIES_PER_BITMAP,
  getBitmapEntry,
  getBlockTime,
  getU64,
  INDEX_CSUM_XOR,
  INDEX_ENTRY_SIZE,
  LEAF_NODE,
  maxEntries,
  NODE,
  REFCOUNT_VALUE_SIZE,
  SB,
  setBitmapEntry,
  setBlockTime,
  setU64,
  SM_ROOT,
  SUPERBLOCK_CSUM_XOR,
  THIN_SUPERBLOCK_MAGIC,
} from './layout.js';

/** The trees and space-map blocks a node kind can hit. */
export type DamageTarget =
  | 'mapping-top'
  | 'mapping-bottom'
  | 'details'
  | 'data-bitmap'
  | 'data-index'
  | 'metadata-bitmap'
  | 'metadata-index';

export interface DamageOptions {
  /** Which node of the tree, in pre-order (0 = the root). */
  readonly node?: number;
  /** Which thin device (bottom mapping tree, mapped_blocks, mapping to a free block). */
  readonly dev?: number;
  /** Which bitmap of a space map (0 = the first). */
  readonly bitmap?: number;
  /** Which block's reference count (refcount-high, refcount-low) or which data block to map to. */
  readonly block?: number;
  /** Which virtual block's mapping (mapping-to-free-block). */
  readonly vblock?: number;
  /** How far mapped_blocks is off (mapped-blocks-mismatch); may be negative. */
  readonly by?: number;
  /** Whose counts (refcount-high, refcount-low): the data or the metadata space map. */
  readonly spaceMap?: 'data' | 'metadata';
  /** Seed of the garbage bytes. */
  readonly seed?: number;
}

export interface DamageKind {
  readonly name: string;
  /** The options the kind reads, for `fault --help`. */
  readonly options: string;
  readonly summary: string;
}

const NODE_TARGETS: ReadonlyArray<{ target: DamageTarget; what: string; options: string }> = [
  {
    target: 'mapping-top',
    what: 'a node of the top-level mapping tree (device -> bottom tree)',
    options: '[--node N]',
  },
  {
    target: 'mapping-bottom',
    what: "a node of a device's bottom mapping tree (vblock -> data block)",
    options: '[--dev ID] [--node N]',
  },
  { target: 'details', what: 'a node of the device-details tree', options: '[--node N]' },
  { target: 'data-bitmap', what: 'a bitmap block of the data space map', options: '[--bitmap N]' },
  { target: 'data-index', what: 'a node of the data space map index tree', options: '[--node N]' },
  { target: 'metadata-bitmap', what: 'a bitmap block of the metadata space map', options: '[--bitmap N]' },
  { target: 'metadata-index', what: 'the metadata space map index block', options: '' },
];

/** Every kind, in the order `fault --help` lists them; the names are stable. */
export const DAMAGE_KINDS: readonly DamageKind[] = [
  {
    name: 'superblock-checksum',
    options: '',
    summary: "the superblock's stored checksum made wrong (nothing else changed)",
  },
  ...NODE_TARGETS.flatMap(({ target, what, options }) => [
    { name: `${target}-zeroed`, options, summary: `${what}, zeroed` },
    {
      name: `${target}-garbage`,
      options: `${options} [--seed N]`.trim(),
      summary: `${what}, overwritten with pseudo-random bytes`,
    },
  ]),
  {
    name: 'refcount-high',
    options: '[--space-map data|metadata] [--block B]',
    summary: 'a reference count one too high (a leak); default: the first free data block',
  },
  {
    name: 'refcount-low',
    options: '[--space-map data|metadata] [--block B]',
    summary: 'a reference count one too low; default: the first data block in use',
  },
  {
    name: 'mapping-to-free-block',
    options: '[--dev ID] [--vblock V] [--block B]',
    summary: 'a mapping rewritten to point at a data block the space map says is free',
  },
  {
    name: 'mapped-blocks-mismatch',
    options: '[--dev ID] [--by N]',
    summary: "a device's mapped_blocks in the details tree off by N (default 1)",
  },
  {
    name: 'metadata-snapshot',
    options: '',
    summary: "the held metadata snapshot's superblock copy made unreadable (bad checksum)",
  },
];

/** One rewritten block: the shell writes it at `block * 4096`. */
export interface BlockWrite {
  readonly block: number;
  readonly bytes: Uint8Array;
}

export type DamageResult =
  | { readonly ok: true; readonly writes: readonly BlockWrite[]; readonly description: string }
  | { readonly ok: false; readonly error: string };

const fail = (error: string): DamageResult => ({ ok: false, error });

/** A working copy of the blocks a kind touches, over the original bytes. */
class Image {
  readonly dv: DataView;
  readonly nrBlocks: number;
  private readonly copies = new Map<number, Uint8Array>();

  constructor(readonly bytes: Uint8Array) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.nrBlocks = Math.floor(bytes.length / BLOCK_SIZE);
  }

  /** A block for editing; edits stay in the copy and end up in the result. */
  edit(block: number): { bytes: Uint8Array; dv: DataView } {
    let copy = this.copies.get(block);
    if (copy === undefined) {
      copy = Uint8Array.from(this.bytes.subarray(block * BLOCK_SIZE, (block + 1) * BLOCK_SIZE));
      this.copies.set(block, copy);
    }
    return { bytes: copy, dv: new DataView(copy.buffer) };
  }

  /** The current contents of a block (edited or not), for reading. */
  view(block: number): DataView {
    const copy = this.copies.get(block);
    return copy === undefined
      ? new DataView(this.bytes.buffer, this.bytes.byteOffset + block * BLOCK_SIZE, BLOCK_SIZE)
      : new DataView(copy.buffer);
  }

  seal(block: number, xor: number): void {
    const { bytes, dv } = this.edit(block);
    dv.setUint32(0, dmChecksum(bytes, 4, BLOCK_SIZE, xor), true);
  }

  u64(block: number, offset: number): number {
    return getU64(this.view(block), offset);
  }

  writes(): BlockWrite[] {
    return [...this.copies.entries()].sort(([a], [b]) => a - b).map(([block, bytes]) => ({ block, bytes }));
  }
}

/** A btree node as the locator reads it: only what it needs to follow children and values. */
interface Node {
  readonly block: number;
  readonly leaf: boolean;
  readonly nr: number;
  readonly max: number;
}

function readNode(img: Image, block: number): Node | string {
  if (block >= img.nrBlocks) return `block ${block} is beyond the end of the metadata`;
  const dv = img.view(block);
  const stored = dv.getUint32(NODE.csum, true);
  const at = block * BLOCK_SIZE;
  if (stored !== dmChecksum(img.bytes, at + 4, at + BLOCK_SIZE, BTREE_CSUM_XOR) || getU64(dv, NODE.blocknr) !== block) {
    return `the btree node at block ${block} is already damaged`;
  }
  const max = dv.getUint32(NODE.maxEntries, true);
  const nr = dv.getUint32(NODE.nrEntries, true);
  if (nr > max || max > maxEntries(REFCOUNT_VALUE_SIZE)) return `the btree node at block ${block} is already damaged`;
  return { block, leaf: dv.getUint32(NODE.flags, true) === LEAF_NODE, nr, max };
}

function keyAt(img: Image, node: Node, i: number): number {
  return img.u64(node.block, NODE.header + i * 8);
}

function valueOffset(node: Node, i: number, valueSize: number): number {
  return NODE.header + node.max * 8 + i * (node.leaf ? valueSize : 8);
}

/** The nodes of a tree in pre-order, or why it cannot be walked. */
function treeNodes(img: Image, root: number): Node[] | string {
  const out: Node[] = [];
  const walk = (block: number, depth: number): string | null => {
    if (depth > 16) return 'the tree is too deep (a loop?)';
    const node = readNode(img, block);
    if (typeof node === 'string') return node;
    out.push(node);
    if (node.leaf) return null;
    for (let i = 0; i < node.nr; i++) {
      const problem = walk(img.u64(block, valueOffset(node, i, 8)), depth + 1);
      if (problem !== null) return problem;
    }
    return null;
  };
  const problem = walk(root, 0);
  return problem ?? out;
}

/** The leaf entries of a tree: key, leaf block and value offset inside it. */
function leafEntries(
  img: Image,
  root: number,
  valueSize: number,
): Array<{ key: number; block: number; offset: number }> | string {
  const nodes = treeNodes(img, root);
  if (typeof nodes === 'string') return nodes;
  const out: Array<{ key: number; block: number; offset: number }> = [];
  for (const node of nodes) {
    if (!node.leaf) continue;
    for (let i = 0; i < node.nr; i++)
      out.push({ key: keyAt(img, node, i), block: node.block, offset: valueOffset(node, i, valueSize) });
  }
  return out;
}

interface Superblock {
  readonly heldRoot: number;
  readonly mappingRoot: number;
  readonly detailsRoot: number;
  readonly dataSm: { nrBlocks: number; bitmapRoot: number; refCountRoot: number };
  readonly metadataSm: { nrBlocks: number; bitmapRoot: number; refCountRoot: number };
}

function superblock(img: Image): Superblock {
  const sm = (offset: number): Superblock['dataSm'] => ({
    nrBlocks: img.u64(0, offset + SM_ROOT.nrBlocks),
    bitmapRoot: img.u64(0, offset + SM_ROOT.bitmapRoot),
    refCountRoot: img.u64(0, offset + SM_ROOT.refCountRoot),
  });
  return {
    heldRoot: img.u64(0, SB.heldRoot),
    mappingRoot: img.u64(0, SB.dataMappingRoot),
    detailsRoot: img.u64(0, SB.deviceDetailsRoot),
    dataSm: sm(SB.dataSpaceMapRoot),
    metadataSm: sm(SB.metadataSpaceMapRoot),
  };
}

/**
 * Where each bitmap of a space map is and where its index entry lives (the metadata space map's
 * single index block, or a leaf of the data space map's index tree).
 */
interface BitmapRef {
  readonly bitmap: number;
  readonly block: number;
  readonly indexBlock: number;
  readonly indexOffset: number;
  readonly indexXor: number;
}

function bitmaps(img: Image, sb: Superblock, which: 'data' | 'metadata'): BitmapRef[] | string {
  if (which === 'metadata') {
    const index = sb.metadataSm.bitmapRoot;
    if (index >= img.nrBlocks) return `the metadata space map index (block ${index}) is beyond the end of the metadata`;
    const count = Math.ceil(sb.metadataSm.nrBlocks / ENTRIES_PER_BITMAP);
    return Array.from({ length: count }, (_, i) => {
      const offset = BITMAP_HEADER + i * INDEX_ENTRY_SIZE;
      return {
        bitmap: i,
        block: img.u64(index, offset),
        indexBlock: index,
        indexOffset: offset,
        indexXor: INDEX_CSUM_XOR,
      };
    });
  }
  const entries = leafEntries(img, sb.dataSm.bitmapRoot, INDEX_ENTRY_SIZE);
  if (typeof entries === 'string') return `the data space map index cannot be read: ${entries}`;
  return entries.map((e) => ({
    bitmap: e.key,
    block: img.u64(e.block, e.offset),
    indexBlock: e.block,
    indexOffset: e.offset,
    indexXor: BTREE_CSUM_XOR,
  }));
}

/** xorshift32: the garbage is the same for the same seed, on every run and every replay. */
function garbageBlock(seed: number): Uint8Array {
  const out = new Uint8Array(BLOCK_SIZE);
  let x = seed >>> 0 || 0x9e3779b9;
  for (let i = 0; i < BLOCK_SIZE; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** The block a node kind hits, and words for it. */
function locateNode(
  img: Image,
  sb: Superblock,
  target: DamageTarget,
  o: DamageOptions,
): { block: number; what: string } | string {
  const pick = (root: number, tree: string): { block: number; what: string } | string => {
    const nodes = treeNodes(img, root);
    if (typeof nodes === 'string') return `cannot walk the ${tree}: ${nodes}`;
    const index = o.node ?? 0;
    const node = nodes[index];
    if (node === undefined)
      return `the ${tree} has ${nodes.length} node${nodes.length === 1 ? '' : 's'}; --node ${index} does not exist`;
    return {
      block: node.block,
      what: `${tree} node ${index} (${index === 0 ? 'root, ' : ''}${node.leaf ? 'leaf' : 'internal'})`,
    };
  };
  switch (target) {
    case 'mapping-top':
      return pick(sb.mappingRoot, 'top-level mapping tree');
    case 'details':
      return pick(sb.detailsRoot, 'device-details tree');
    case 'data-index':
      return pick(sb.dataSm.bitmapRoot, 'data space map index tree');
    case 'mapping-bottom': {
      const top = leafEntries(img, sb.mappingRoot, 8);
      if (typeof top === 'string') return `cannot walk the top-level mapping tree: ${top}`;
      if (top.length === 0) return 'the pool has no thin devices, so no bottom mapping tree';
      const entry = o.dev === undefined ? top[0]! : top.find((e) => e.key === o.dev);
      if (entry === undefined)
        return `no thin device ${o.dev} in the mapping tree (devices: ${top.map((e) => e.key).join(' ')})`;
      return pick(img.u64(entry.block, entry.offset), `mapping tree of device ${entry.key}`);
    }
    case 'metadata-index':
      return sb.metadataSm.bitmapRoot < img.nrBlocks
        ? { block: sb.metadataSm.bitmapRoot, what: 'metadata space map index' }
        : 'the metadata space map index is beyond the end of the metadata';
    case 'data-bitmap':
    case 'metadata-bitmap': {
      const which = target === 'data-bitmap' ? 'data' : 'metadata';
      const refs = bitmaps(img, sb, which);
      if (typeof refs === 'string') return refs;
      const index = o.bitmap ?? 0;
      const ref = refs.find((r) => r.bitmap === index);
      if (ref === undefined)
        return `the ${which} space map has ${refs.length} bitmap${refs.length === 1 ? '' : 's'}; --bitmap ${index} does not exist`;
      if (ref.block >= img.nrBlocks) return `bitmap ${index} (block ${ref.block}) is beyond the end of the metadata`;
      return { block: ref.block, what: `${which} space map bitmap ${index}` };
    }
  }
}

/** The count of `block` in a space map and where its entry lives. */
function countEntry(
  img: Image,
  refs: readonly BitmapRef[],
  block: number,
): { ref: BitmapRef; entry: number; count: number } | null {
  const ref = refs.find((r) => r.bitmap === Math.floor(block / ENTRIES_PER_BITMAP));
  if (ref === undefined || ref.block >= img.nrBlocks) return null;
  const entry = block % ENTRIES_PER_BITMAP;
  return {
    ref,
    entry,
    count: getBitmapEntry(
      new Uint8Array(img.view(ref.block).buffer, img.view(ref.block).byteOffset, BLOCK_SIZE),
      BITMAP_HEADER,
      entry,
    ),
  };
}

/**
 * Changes one 2-bit count by `delta` and keeps the aggregates the kernel keeps beside it in step
 * (the index entry's nr_free and none_free_before, the space map root's nr_allocated), as a
 * miscounting kernel would leave them.
 */
function changeCount(
  img: Image,
  which: 'data' | 'metadata',
  at: { ref: BitmapRef; entry: number; count: number },
  delta: 1 | -1,
): void {
  const next = at.count + delta;
  const bm = img.edit(at.ref.block);
  setBitmapEntry(bm.bytes, BITMAP_HEADER, at.entry, next);
  img.seal(at.ref.block, BITMAP_CSUM_XOR);
  const becameFree = next === 0;
  const becameUsed = at.count === 0;
  if (!becameFree && !becameUsed) return;
  const idx = img.edit(at.ref.indexBlock);
  const nrFree = idx.dv.getUint32(at.ref.indexOffset + 8, true);
  idx.dv.setUint32(at.ref.indexOffset + 8, becameFree ? nrFree + 1 : nrFree - 1, true);
  const noneFreeBefore = idx.dv.getUint32(at.ref.indexOffset + 12, true);
  if (becameFree && at.entry < noneFreeBefore) idx.dv.setUint32(at.ref.indexOffset + 12, at.entry, true);
  if (becameUsed && at.entry === noneFreeBefore) {
    let first = at.entry + 1;
    const bytes = new Uint8Array(img.view(at.ref.block).buffer, img.view(at.ref.block).byteOffset, BLOCK_SIZE);
    while (first < ENTRIES_PER_BITMAP && getBitmapEntry(bytes, BITMAP_HEADER, first) !== 0) first++;
    idx.dv.setUint32(at.ref.indexOffset + 12, first, true);
  }
  img.seal(at.ref.indexBlock, at.ref.indexXor);
  const root = (which === 'data' ? SB.dataSpaceMapRoot : SB.metadataSpaceMapRoot) + SM_ROOT.nrAllocated;
  const sbw = img.edit(0);
  setU64(sbw.dv, root, getU64(sbw.dv, root) + (becameFree ? -1 : 1));
  img.seal(0, SUPERBLOCK_CSUM_XOR);
}

function refcount(img: Image, sb: Superblock, delta: 1 | -1, o: DamageOptions): DamageResult {
  const which = o.spaceMap ?? 'data';
  const refs = bitmaps(img, sb, which);
  if (typeof refs === 'string') return fail(refs);
  const nrBlocks = which === 'data' ? sb.dataSm.nrBlocks : sb.metadataSm.nrBlocks;
  // Counts of 3 live in the overflow tree: the kinds stay inside the bitmap (0 <-> 1 <-> 2).
  const fits = (count: number): boolean => (delta > 0 ? count <= 1 : count === 1 || count === 2);
  let chosen: ReturnType<typeof countEntry> = null;
  if (o.block !== undefined) {
    if (o.block >= nrBlocks) return fail(`block ${o.block} is beyond the ${which} space map (${nrBlocks} blocks)`);
    chosen = countEntry(img, refs, o.block);
    if (chosen === null) return fail(`the bitmap holding ${which} block ${o.block} cannot be read`);
    if (!fits(chosen.count)) {
      return fail(
        `${which} block ${o.block} has a count of ${chosen.count}${chosen.count === 3 ? ' (in the overflow tree)' : ''}; choose a block whose count is ${delta > 0 ? '0 or 1' : '1 or 2'}`,
      );
    }
  } else {
    const wanted = (count: number): boolean => (delta > 0 ? count === 0 : count === 1 || count === 2);
    for (let b = 0; b < nrBlocks && chosen === null; b++) {
      const at = countEntry(img, refs, b);
      if (at !== null && wanted(at.count)) chosen = at;
    }
    if (chosen === null)
      return fail(
        `no ${which} block has a count that can be made ${delta > 0 ? 'higher (every block is in use)' : 'lower (no block is in use)'}`,
      );
  }
  const block = chosen.ref.bitmap * ENTRIES_PER_BITMAP + chosen.entry;
  changeCount(img, which, chosen, delta);
  return {
    ok: true,
    writes: img.writes(),
    description: `${which} block ${block}: reference count ${chosen.count} -> ${chosen.count + delta}`,
  };
}

function mappingToFreeBlock(img: Image, sb: Superblock, o: DamageOptions): DamageResult {
  const top = leafEntries(img, sb.mappingRoot, 8);
  if (typeof top === 'string') return fail(`cannot walk the top-level mapping tree: ${top}`);
  let device: { id: number; entries: Array<{ key: number; block: number; offset: number }> } | null = null;
  for (const t of top) {
    if (o.dev !== undefined && t.key !== o.dev) continue;
    const entries = leafEntries(img, img.u64(t.block, t.offset), 8);
    if (typeof entries === 'string') return fail(`cannot walk the mapping tree of device ${t.key}: ${entries}`);
    if (entries.length > 0 || o.dev !== undefined) {
      device = { id: t.key, entries };
      break;
    }
  }
  if (device === null)
    return fail(o.dev === undefined ? 'no thin device has a mapping' : `no thin device ${o.dev} in the mapping tree`);
  const entry = o.vblock === undefined ? device.entries[0] : device.entries.find((e) => e.key === o.vblock);
  if (entry === undefined)
    return fail(`device ${device.id} has no mapping${o.vblock === undefined ? '' : ` for virtual block ${o.vblock}`}`);
  const refs = bitmaps(img, sb, 'data');
  if (typeof refs === 'string') return fail(refs);
  let target = o.block;
  if (target === undefined) {
    for (let b = 0; b < sb.dataSm.nrBlocks && target === undefined; b++)
      if (countEntry(img, refs, b)?.count === 0) target = b;
    if (target === undefined) return fail('the data space map has no free block');
  } else {
    if (target >= sb.dataSm.nrBlocks)
      return fail(`data block ${target} is beyond the data device (${sb.dataSm.nrBlocks} blocks)`);
    const count = countEntry(img, refs, target)?.count;
    if (count !== 0) return fail(`data block ${target} is not free (its count is ${count ?? 'unreadable'})`);
  }
  const leaf = img.edit(entry.block);
  const old = getBlockTime(leaf.dv, entry.offset);
  setBlockTime(leaf.dv, entry.offset, target, old.time);
  img.seal(entry.block, BTREE_CSUM_XOR);
  return {
    ok: true,
    writes: img.writes(),
    description: `device ${device.id} virtual block ${entry.key}: mapped to free data block ${target} (was ${old.dataBlock})`,
  };
}

function mappedBlocksMismatch(img: Image, sb: Superblock, o: DamageOptions): DamageResult {
  const entries = leafEntries(img, sb.detailsRoot, 24);
  if (typeof entries === 'string') return fail(`cannot walk the device-details tree: ${entries}`);
  if (entries.length === 0) return fail('the pool has no thin devices');
  const entry = o.dev === undefined ? entries[0] : entries.find((e) => e.key === o.dev);
  if (entry === undefined) return fail(`no thin device ${o.dev} in the device-details tree`);
  const by = o.by ?? 1;
  const leaf = img.edit(entry.block);
  const old = getU64(leaf.dv, entry.offset);
  if (by === 0 || old + by < 0)
    return fail(`mapped_blocks of device ${entry.key} is ${old}; --by ${by} would not make it a different count`);
  setU64(leaf.dv, entry.offset, old + by);
  img.seal(entry.block, BTREE_CSUM_XOR);
  return { ok: true, writes: img.writes(), description: `device ${entry.key}: mapped_blocks ${old} -> ${old + by}` };
}

/** Whether the bytes look like dm-thin metadata at all (a superblock with the magic, at block 0). */
export function hasThinSuperblock(bytes: Uint8Array): boolean {
  if (bytes.length < BLOCK_SIZE) return false;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, BLOCK_SIZE);
  return getU64(dv, SB.magic) === THIN_SUPERBLOCK_MAGIC && getU64(dv, SB.blocknr) === 0;
}

/** Applies one kind of damage; nothing is changed when the result is not ok. */
export function damageMetadata(bytes: Uint8Array, kind: string, o: DamageOptions = {}): DamageResult {
  if (!DAMAGE_KINDS.some((k) => k.name === kind)) return fail(`unknown damage kind '${kind}'`);
  if (!hasThinSuperblock(bytes)) return fail('no dm-thin metadata here (no superblock with the thin magic at block 0)');
  const img = new Image(bytes);
  const sb = superblock(img);
  if (kind === 'superblock-checksum') {
    const block = img.edit(0);
    const right = dmChecksum(block.bytes, 4, BLOCK_SIZE, SUPERBLOCK_CSUM_XOR);
    block.dv.setUint32(SB.csum, (right ^ 1) >>> 0, true);
    return {
      ok: true,
      writes: img.writes(),
      description: `superblock: checksum ${right} stored as ${(right ^ 1) >>> 0}`,
    };
  }
  const node = /^(.*)-(zeroed|garbage)$/.exec(kind);
  if (node !== null) {
    const located = locateNode(img, sb, node[1] as DamageTarget, o);
    if (typeof located === 'string') return fail(located);
    const { bytes: target } = img.edit(located.block);
    target.set(
      node[2] === 'zeroed' ? new Uint8Array(BLOCK_SIZE) : garbageBlock((o.seed ?? 1) * 0x01000193 + located.block),
    );
    return {
      ok: true,
      writes: img.writes(),
      description: `metadata block ${located.block} (${located.what}): ${node[2]}`,
    };
  }
  switch (kind) {
    case 'refcount-high':
      return refcount(img, sb, 1, o);
    case 'refcount-low':
      return refcount(img, sb, -1, o);
    case 'mapping-to-free-block':
      return mappingToFreeBlock(img, sb, o);
    case 'mapped-blocks-mismatch':
      return mappedBlocksMismatch(img, sb, o);
    case 'metadata-snapshot': {
      if (sb.heldRoot === 0) return fail('no metadata snapshot is held (reserve_metadata_snap first)');
      if (sb.heldRoot >= img.nrBlocks)
        return fail(`the held root (block ${sb.heldRoot}) is beyond the end of the metadata`);
      const block = img.edit(sb.heldRoot);
      const right = dmChecksum(block.bytes, 4, BLOCK_SIZE, SUPERBLOCK_CSUM_XOR);
      block.dv.setUint32(SB.csum, (right ^ 1) >>> 0, true);
      return {
        ok: true,
        writes: img.writes(),
        description: `metadata snapshot superblock copy (block ${sb.heldRoot}): checksum made wrong`,
      };
    }
    default:
      return fail(`unknown damage kind '${kind}'`);
  }
}
