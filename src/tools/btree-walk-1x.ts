/**
 * thin-provisioning-tools 1.1.0's btree walker (src/pdata/btree_walker.rs, btree.rs and
 * btree_error.rs of v1.1.0), for the tools that print its errors as they come: thin_delta. It
 * differs from the lab's walker of 0.9.0's checks (src/format/metadata-walker.ts) in what it checks
 * and how it words it: a node is checked by its checksum's salt (a bitmap's is "not a btree node"),
 * then unpacked (value size of a leaf, max_entries, nr_entries, keys in order), then its block
 * number; an error names the node by its path of blocks (node-path-1x.ts) and the keys its parent
 * gave it, `[200..400]` (the first child starts at its own first key). A child past the end of the
 * device is skipped without a word (its reference count cannot be taken), a node met again gives
 * its first error again or nothing, and the walk goes on past a damaged child, the errors of one
 * node's children printed one after the other.
 */
import { BLOCK_SIZE, BTREE_CSUM_XOR, LEAF_NODE, NODE } from '../format/layout.js';
import { dmChecksum } from '../format/crc32c.js';
import type { MetadataBytes } from './metadata-view.js';
import { encodeNodePath } from './node-path-1x.js';

/** The block types 1.1.0 tells apart by their checksum's salt (checksum.rs `BT`), by salt. */
const BLOCK_TYPES = new Map<number, string>([
  [160774, 'THIN_SUPERBLOCK'],
  [9031977, 'CACHE_SUPERBLOCK'],
  [146538381, 'ERA_SUPERBLOCK'],
  [BTREE_CSUM_XOR, 'NODE'],
  [240779, 'BITMAP'],
  [160478, 'INDEX'],
  [595846735, 'ARRAY'],
]);

/** metadata_block_type: the block's type as 1.1.0 names it (`NODE`, `BITMAP`, ... or `UNKNOWN`). */
export function blockType1x(md: MetadataBytes, block: number): string {
  const at = block * BLOCK_SIZE;
  const salt = (md.u32(at) ^ dmChecksum(md.bytes, at + 4, at + BLOCK_SIZE, 0)) >>> 0;
  return BLOCK_TYPES.get(salt) ?? 'UNKNOWN';
}

/** A key range as 1.1.0 prints it: `[..]`, `[..e]`, `[s..]`, `[s..e]` (end one past the last). */
export interface KeyRange1x {
  readonly start: bigint | null;
  readonly end: bigint | null;
}

export const showRange1x = (kr: KeyRange1x): string => `[${kr.start ?? ''}..${kr.end ?? ''}]`;

/** What a walk found: its error in 1.1.0's words (`Display` of its BTreeError), or none. */
export type WalkResult1x = { readonly ok: true } | { readonly ok: false; readonly error: string };

/** A leaf entry: its key, and the byte offset of its value in the metadata. */
export type LeafVisit1x = (key: bigint, valueOffset: number) => void;

/** A node's header as 1.1.0's NodeHeader reads it. */
export interface Header1x {
  readonly leaf: boolean;
  readonly nrEntries: number;
  readonly maxEntries: number;
  readonly valueSize: number;
}

/**
 * unpack_node_raw: 1.1.0's NodeError words for the node at `block` once its checksum passed, or
 * its header. It does not look at the node's block number (check_and_unpack_node does).
 */
export function unpackNode1x(
  md: MetadataBytes,
  block: number,
  valueSize: number,
  isRoot: boolean,
  ignoreNonFatal: boolean,
  onNonFatal?: (block: number) => void,
): Header1x | string {
  const at = block * BLOCK_SIZE;
  const h: Header1x = {
    // 1.1.0 reads a node as a leaf only when its flags are exactly LEAF_NODE.
    leaf: md.u32(at + NODE.flags) === LEAF_NODE,
    nrEntries: md.u32(at + NODE.nrEntries),
    maxEntries: md.u32(at + NODE.maxEntries),
    valueSize: md.u32(at + NODE.valueSize),
  };
  if (h.leaf && h.valueSize !== valueSize) return 'value_size mismatch';
  // (value_size + 8) is a u32 sum in 1.1.0, so it wraps.
  if (((h.valueSize + 8) >>> 0) * h.maxEntries + NODE.header > BLOCK_SIZE) return 'max_entries is too large';
  if (h.nrEntries > h.maxEntries) return 'nr_entries > max_entries';
  // --ignore-non-fatal-errors of thin_check lets these two pass (unpack_node_raw).
  const nonFatal =
    h.maxEntries % 3 !== 0
      ? 'max_entries is not divisible by 3'
      : !isRoot && h.nrEntries < Math.floor(h.maxEntries / 3)
        ? 'nr_entries < max_entries / 3'
        : null;
  if (nonFatal !== null && !ignoreNonFatal) return nonFatal;
  if (nonFatal !== null) onNonFatal?.(block);
  for (let i = 1; i < h.nrEntries; i++)
    if (md.u64Big(at + NODE.header + i * 8) <= md.u64Big(at + NODE.header + (i - 1) * 8)) return 'keys out of order';
  // An internal node's values are read as u64s after max_entries keys, whatever its value size.
  if (!h.leaf && NODE.header + (h.maxEntries + h.nrEntries) * 8 > BLOCK_SIZE) return 'incomplete data';
  return h;
}

/** check_and_unpack_node: 1.1.0's NodeError words for the node at `block`, or its header. */
export function checkNode1x(
  md: MetadataBytes,
  block: number,
  valueSize: number,
  isRoot: boolean,
  ignoreNonFatal: boolean,
  onNonFatal?: (block: number) => void,
): Header1x | string {
  const type = blockType1x(md, block);
  if (type !== 'NODE') return type === 'UNKNOWN' ? 'checksum error' : 'not a btree node';
  const h = unpackNode1x(md, block, valueSize, isRoot, ignoreNonFatal, onNonFatal);
  if (typeof h === 'string') return h;
  if (md.u64Big(block * BLOCK_SIZE + NODE.blocknr) !== BigInt(block)) return 'blocknr mismatch';
  return h;
}

/** split_key_ranges: each child's range, or null where a key does not split the range (a context error). */
export function splitKeyRanges1x(
  kr: KeyRange1x,
  keys: readonly bigint[],
): KeyRange1x[] | { key: bigint; range: KeyRange1x } {
  const out: KeyRange1x[] = [];
  let rest: KeyRange1x = { start: keys[0]!, end: kr.end };
  for (const k of keys.slice(1)) {
    const ok = (rest.start === null || rest.start < k) && (rest.end === null || k < rest.end);
    if (!ok) return { key: k, range: rest };
    out.push({ start: rest.start, end: k });
    rest = { start: k, end: rest.end };
  }
  out.push(rest);
  return out;
}

/**
 * Where a walk starts: the path of blocks its messages name above the root (thin_delta's bottom
 * trees start at [], the trees thin_check reads from the superblock at [0]), and whether the
 * walker lets non-fatal node problems pass (thin_check's --ignore-non-fatal-errors).
 */
export interface WalkStart1x {
  readonly path?: readonly number[];
  readonly ignoreNonFatal?: boolean;
  /** Told of each node whose non-fatal problem ignoreNonFatal let pass. */
  readonly onNonFatal?: (block: number) => void;
  /** Told of each node the walker unpacks as an internal node, with the value size it claims. */
  readonly onInternal?: (block: number, valueSize: number) => void;
  /**
   * The blocks a space map shared with earlier walks has counted (new_with_sm): a node counted
   * before is not read again (its values are not visited), and each root and child pointer the
   * walk meets is added.
   */
  readonly seen?: Set<number>;
  /**
   * A visitor that can fail a leaf (the space maps' OverflowChecker): given its keys and where its
   * values start, the words of its value error, or null where the leaf passes.
   */
  readonly checkLeaf?: (keys: readonly bigint[], valuesAt: number) => string | null;
}

/**
 * One BTreeWalker of 1.1.0 (a new one for each tree it reads, as thin_delta makes), walking the
 * tree at `root` whose leaves hold `valueSize`-byte values and visiting each leaf entry.
 */
export function walkTree1x(
  md: MetadataBytes,
  root: number,
  valueSize: number,
  visit: LeafVisit1x,
  start: WalkStart1x = {},
): WalkResult1x {
  const ignoreNonFatal = start.ignoreNonFatal ?? false;
  const seen = start.seen ?? new Set<number>();
  const fails = new Map<number, string>();
  const walkNode = (parents: readonly number[], kr: KeyRange1x, block: number, isRoot: boolean): string | null => {
    const path = [...parents, block];
    const node = checkNode1x(md, block, valueSize, isRoot, ignoreNonFatal, start.onNonFatal);
    if (typeof node === 'string') {
      const e = `node error: ${node} ${encodeNodePath(path)}, effecting keys ${showRange1x(kr)}`;
      fails.set(block, e);
      return e;
    }
    const at = block * BLOCK_SIZE + NODE.header;
    const keys = Array.from({ length: node.nrEntries }, (_, i) => md.u64Big(at + i * 8));
    const valuesAt = at + node.maxEntries * 8;
    if (node.leaf) {
      const refused = start.checkLeaf?.(keys, valuesAt) ?? null;
      if (refused !== null) {
        const e = `value error: ${refused} ${encodeNodePath(path)}, effecting keys ${showRange1x(kr)}`;
        fails.set(block, e);
        return e;
      }
      keys.forEach((k, i) => visit(k, valuesAt + i * valueSize));
      return null;
    }
    start.onInternal?.(block, node.valueSize);
    if (keys.length === 0) return `context error: split_key_ranges: no keys present ${encodeNodePath(path)}`;
    const krs = splitKeyRanges1x(kr, keys);
    if (!Array.isArray(krs))
      return `context error: couldn't split key range ${showRange1x(krs.range)} at ${krs.key} ${encodeNodePath(path)}`;
    const errors = walkChildren(
      path,
      krs,
      keys.map((_, i) => md.u64Big(valuesAt + i * 8)),
    );
    if (errors.length === 0) return null;
    // An aggregate error prints its errors one after the other, with nothing between them.
    const e = errors.join('');
    fails.set(block, e);
    return e;
  };
  /** walk_nodes: every child's reference taken first, then the new ones walked in order. */
  const walkChildren = (path: readonly number[], krs: readonly KeyRange1x[], children: readonly bigint[]): string[] => {
    const errors: string[] = [];
    const fresh: { block: number; kr: KeyRange1x }[] = [];
    children.forEach((child, i) => {
      if (child >= BigInt(md.nrBlocks)) return;
      const block = Number(child);
      if (!seen.has(block)) {
        seen.add(block);
        fresh.push({ block, kr: krs[i]! });
        return;
      }
      const failed = fails.get(block);
      if (failed !== undefined) errors.push(failed);
    });
    for (const { block, kr } of fresh) {
      const e = walkNode(path, kr, block, false);
      if (e !== null) errors.push(e);
    }
    return errors;
  };
  if (root >= md.nrBlocks || root < 0) return { ok: false, error: 'value error: block out of bounds' };
  // A root its space map has counted before is visited again, which a value collector ignores.
  if (seen.has(root)) return { ok: true };
  seen.add(root);
  const e = walkNode(start.path ?? [], { start: null, end: null }, root, true);
  return e === null ? { ok: true } : { ok: false, error: e };
}

/**
 * btree_to_key_set of a tree at `root` (path [0], from the superblock): its keys, or null on any
 * error; `ignoreNonFatal` as its caller passes it.
 */
export function keySet1x(md: MetadataBytes, root: number, valueSize: number, ignoreNonFatal = false): bigint[] | null {
  const keys: bigint[] = [];
  return walkTree1x(md, root, valueSize, (k) => keys.push(k), { path: [0], ignoreNonFatal }).ok ? keys : null;
}
