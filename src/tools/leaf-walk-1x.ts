/**
 * How thin_dump of thin-provisioning-tools 1.1.0 reads the bottom trees (src/pdata/btree_leaf_walker.rs
 * and emit_leaf in src/thin/dump.rs of v1.1.0), in two steps that the lab keeps apart as 1.1.0 does.
 *
 * Before it writes anything, `collect_leaves` lists each mapping root's leaves with a LeafWalker
 * that checks every node but the leaves strictly (the non-fatal problems fail it too) and never
 * looks at a node's block number. It first reads the root and its leftmost path down to a leaf
 * (get_depth): damage there is named by the path the walk started from, `node error: keys out of
 * order AA==`. Then it walks the internal nodes: damage there is named by the node's own path,
 * and a checksum error with its key range too. The leaves of the lowest internal nodes are listed
 * unread. Then, while writing, each leaf is read on its own (emit_leaf) with the non-fatal problems
 * let pass and the empty path: `node error: keys out of order AQ==`, `checksum failed for node 9,
 * UNKNOWN`, or `block 16 is not a leaf` for an internal node where a leaf was listed.
 *
 * A node pointer past the end of the device makes 1.1.0 panic on its space map of the walk (or
 * fail a read, at a root); the lab refuses those by name, as a leftmost path deeper than any
 * metadata device can hold (1.1.0 recurses without a bound).
 */
import { BLOCK_SIZE, MAPPING_VALUE_SIZE, NODE } from '../format/layout.js';
import {
  blockType1x,
  type Header1x,
  type KeyRange1x,
  showRange1x,
  splitKeyRanges1x,
  unpackNode1x,
} from './btree-walk-1x.js';
import type { MetadataBytes } from './metadata-view.js';
import { encodeNodePath } from './node-path-1x.js';

/** What collect_leaves found: each root's leaves in key order, its error, its panic, or a refusal. */
export type CollectedLeaves1x =
  | { readonly kind: 'leaves'; readonly byRoot: ReadonlyMap<number, readonly number[]> }
  | { readonly kind: 'error'; readonly message: string }
  /** get_depth's `values[0]` of an internal node with no entries (btree_leaf_walker.rs:190). */
  | { readonly kind: 'panic' }
  | { readonly kind: 'unmodelled'; readonly what: string };

/** Deeper than a leftmost path can be in a metadata device of 16 GiB (the lab's refusal bound). */
const MAX_DEPTH = 64;

type Stop = Exclude<CollectedLeaves1x, { kind: 'leaves' }>;

const isStop = (r: unknown): r is Stop => typeof r === 'object' && r !== null && 'kind' in r;

/** An internal node's child pointers (its values, u64s after max_entries keys). */
function childrenOf(md: MetadataBytes, block: number, h: Header1x): bigint[] {
  const valuesAt = block * BLOCK_SIZE + NODE.header + h.maxEntries * 8;
  return Array.from({ length: h.nrEntries }, (_, i) => md.u64Big(valuesAt + i * 8));
}

function keysOf(md: MetadataBytes, block: number, h: Header1x): bigint[] {
  const at = block * BLOCK_SIZE + NODE.header;
  return Array.from({ length: h.nrEntries }, (_, i) => md.u64Big(at + i * 8));
}

/** A node as the LeafWalker reads it (checksum, then unpack_node without the lenient flag). */
function readStrict(md: MetadataBytes, block: number, isRoot: boolean): Header1x | string {
  if (blockType1x(md, block) !== 'NODE') return 'checksum error';
  return unpackNode1x(md, block, MAPPING_VALUE_SIZE, isRoot, false);
}

/** get_depth: how many internal levels the leftmost path has, its error at path [0], or a stop. */
function depthOf(md: MetadataBytes, root: number): number | Stop {
  let block = root;
  for (let depth = 0; depth <= MAX_DEPTH; depth++) {
    const h = readStrict(md, block, depth === 0);
    if (typeof h === 'string') return { kind: 'error', message: `node error: ${h} ${encodeNodePath([0])}` };
    if (h.leaf) return depth;
    if (h.nrEntries === 0) return { kind: 'panic' };
    const child = childrenOf(md, block, h)[0]!;
    if (child >= BigInt(md.nrBlocks)) return { kind: 'unmodelled', what: 'a read past the end of the device' };
    block = Number(child);
  }
  return { kind: 'unmodelled', what: `a leftmost path deeper than ${MAX_DEPTH} nodes` };
}

/**
 * walk_node: the node at `block`, `depth` levels above the lowest internal one, its leaves added
 * to `leaves`; its error in 1.1.0's words, or a stop.
 */
function walkNode(
  md: MetadataBytes,
  parents: readonly number[],
  kr: KeyRange1x,
  block: number,
  depth: number,
  isRoot: boolean,
  leaves: number[],
): Stop | null {
  const path = [...parents, block];
  const at = encodeNodePath(path);
  if (blockType1x(md, block) !== 'NODE')
    return { kind: 'error', message: `node error: checksum error ${at}, effecting keys ${showRange1x(kr)}` };
  const h = unpackNode1x(md, block, MAPPING_VALUE_SIZE, isRoot, false);
  if (typeof h === 'string') return { kind: 'error', message: `node error: ${h} ${at}` };
  if (h.leaf) return { kind: 'error', message: `context error: btree nodes are not all at the same depth. ${at}` };
  const keys = keysOf(md, block, h);
  if (keys.length === 0) return { kind: 'error', message: `context error: split_key_ranges: no keys present ${at}` };
  const krs = splitKeyRanges1x(kr, keys);
  if (!Array.isArray(krs))
    return {
      kind: 'error',
      message: `context error: couldn't split key range ${showRange1x(krs.range)} at ${krs.key} ${at}`,
    };
  const children = childrenOf(md, block, h);
  // Every child's reference is counted before any is read: one past the end panics first.
  if (children.some((c) => c >= BigInt(md.nrBlocks)))
    return { kind: 'unmodelled', what: 'a node pointer past the end of the device' };
  if (depth === 0) {
    for (const c of children) leaves.push(Number(c));
    return null;
  }
  for (const [i, c] of children.entries()) {
    const stop = walkNode(md, path, krs[i]!, Number(c), depth - 1, false, leaves);
    if (stop !== null) return stop;
  }
  return null;
}

/** collect_leaves: each root's leaves (roots in block order, as its BTreeSet gives them). */
export function collectLeaves1x(md: MetadataBytes, roots: Iterable<number>): CollectedLeaves1x {
  const byRoot = new Map<number, number[]>();
  for (const root of [...new Set(roots)].sort((a, b) => a - b)) {
    if (root >= md.nrBlocks) return { kind: 'unmodelled', what: 'a mapping root past the end of the device' };
    const depth = depthOf(md, root);
    if (isStop(depth)) return depth;
    const leaves: number[] = [];
    if (depth === 0) leaves.push(root);
    else {
      const stop = walkNode(md, [0], { start: null, end: null }, root, depth - 1, true, leaves);
      if (stop !== null) return stop;
    }
    byRoot.set(root, leaves);
  }
  return { kind: 'leaves', byRoot };
}

/** What emit_leaf reads in one listed leaf: its entries (key, value offset), or its error. */
export type EmittedLeaf1x =
  | { readonly ok: true; readonly entries: readonly (readonly [bigint, number])[] }
  | { readonly ok: false; readonly message: string };

/** emit_leaf: the leaf at `block` read on its own, with the non-fatal problems let pass. */
export function emitLeaf1x(md: MetadataBytes, block: number): EmittedLeaf1x {
  const type = blockType1x(md, block);
  if (type !== 'NODE') return { ok: false, message: `checksum failed for node ${block}, ${type}` };
  const h = unpackNode1x(md, block, MAPPING_VALUE_SIZE, true, true);
  if (typeof h === 'string') return { ok: false, message: `node error: ${h} ${encodeNodePath([])}` };
  if (!h.leaf) return { ok: false, message: `block ${block} is not a leaf` };
  const valuesAt = block * BLOCK_SIZE + NODE.header + h.maxEntries * 8;
  return { ok: true, entries: keysOf(md, block, h).map((k, i) => [k, valuesAt + i * MAPPING_VALUE_SIZE] as const) };
}
