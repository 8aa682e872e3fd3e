/**
 * The bottom level of 1.1.0's mapping check (src/thin/check.rs of v1.1.0,
 * check_mappings_bottom_level_ and check_mapped_blocks), ported step by step because its results
 * follow from its own three passes and not from a tree walk:
 *
 * 1. collect_nodes_in_use: for each root, get_depth follows the first child that reads (non-fatal
 *    problems let pass) down to a leaf, and read_internal_nodes then reads every internal node to
 *    that depth, noting the blocks at the bottom as leaves whatever they hold. A root or child the
 *    metadata space map has counted before is not read again (is_seen).
 * 2. read_leaf_nodes: each noted leaf read once, in block order: one that does not unpack is a node
 *    in error, one that unpacks as a leaf is summarised (its keys) and counts its data blocks.
 * 3. count_mapped_blocks: summarize_tree from each root adds up the children's summaries; a child
 *    that is no summarised node, an internal node under 84 entries, or a node whose keys fall
 *    outside its parent's range is one error. A root with no summary is "missing root".
 *
 * Seed 17 cases 7143 (a root whose flags word is 0x20 is internal to 1.1.0, and one of its
 * leaves has keys out of order), 4735, 4930, 4950 and 4975 of the metadata campaign, which the
 * lab's tree walk got wrong or refused.
 */
import { BLOCK_SIZE, MAPPING_VALUE_SIZE, NODE } from '../format/layout.js';
import { checkNode1x } from './btree-walk-1x.js';
import type { MetadataBytes } from './metadata-view.js';

/** check.rs MIN_ENTRIES: the fewest entries a non-root node of the mapping tree may hold. */
const MIN_ENTRIES = 84;

/** A subtree's summary (NodeSummary): its key span, mappings, entries (a u8) and errors (a saturating u8). */
interface Summary {
  readonly keyLow: bigint;
  readonly keyHigh: bigint;
  readonly nrMappings: number;
  readonly nrEntries: number;
  readonly nrErrors: number;
}

const ERROR_SUMMARY: Summary = { keyLow: 0n, keyHigh: 0n, nrMappings: 0, nrEntries: 0, nrErrors: 1 };

/** NodeSummary::append: a child whose keys overlap the keys before it is left out. */
function appended(sum: Summary, child: Summary): Summary {
  let { keyLow, keyHigh } = sum;
  if (sum.nrMappings === 0) {
    keyLow = child.keyLow;
    keyHigh = child.keyHigh;
  } else if (child.nrMappings > 0) {
    if (child.keyLow <= sum.keyHigh) return sum;
    keyHigh = child.keyHigh;
  }
  return {
    keyLow,
    keyHigh,
    nrMappings: sum.nrMappings + child.nrMappings,
    nrEntries: (sum.nrEntries + 1) & 0xff,
    nrErrors: Math.min(255, sum.nrErrors + child.nrErrors),
  };
}

type NodeType = 'leaf' | 'internal' | 'error';

/** What the bottom-level check found: each root's summary, the nodes in error, the data blocks' counts. */
export interface MappingCheck1x {
  readonly summaries: ReadonlyMap<number, Summary>;
  /** Each node that did not read, with its NodeError words ('checksum error', 'io error', ...). */
  readonly nodeErrors: ReadonlyMap<number, string>;
  readonly nrInternal: number;
  readonly nrLeaves: number;
  /** How many times the leaves read map each data block, as the in-core data space map counts. */
  readonly dataCounts: Uint32Array;
}

/** Thrown where the real tool's behaviour is not modelled (a loop in summarize_tree, a runaway get_depth). */
export class MappingCheckUnmodelled extends Error {}

/** The most nodes get_depth may visit before the lab gives up (its search can be exponential on damage). */
const DEPTH_STEPS = 1_000_000;

/** The NodeMap of check.rs: the type of each block met, the internal nodes' keys and children. */
class NodeMap {
  readonly types = new Map<number, NodeType>();
  readonly internal = new Map<number, { keys: bigint[]; children: number[] }>();
  readonly errors = new Map<number, string>();

  insertInternal(block: number, keys: bigint[], children: number[]): void {
    const t = this.types.get(block);
    if (t !== undefined && t !== 'leaf') return;
    this.internal.set(block, { keys, children });
    this.types.set(block, 'internal');
  }

  insertLeaf(block: number): void {
    if (!this.types.has(block)) this.types.set(block, 'leaf');
  }

  insertError(block: number, words: string): void {
    const t = this.types.get(block);
    if (t !== undefined && t !== 'leaf') return;
    this.errors.set(block, words);
    this.types.set(block, 'error');
  }
}

/** A node's keys and its values read as u64 child pointers, from the header checkNode1x gave. */
function keysAndChildren(md: MetadataBytes, block: number, nr: number, max: number): [bigint[], bigint[]] {
  const at = block * BLOCK_SIZE + NODE.header;
  const keys = Array.from({ length: nr }, (_, i) => md.u64Big(at + i * 8));
  const children = Array.from({ length: nr }, (_, i) => md.u64Big(at + (max + i) * 8));
  return [keys, children];
}

/**
 * Runs the bottom-level check on `roots` (all_roots: the live devices' then the held snapshot's,
 * as u64s). `seen` holds the blocks the metadata space map counted before (the superblocks, the
 * details and top-level trees' nodes); it is null under -m, whose space map counts to one only, so
 * that nothing is ever seen twice there. `dataCountCap` is the data space map's largest count.
 */
export function checkMappings1x(
  md: MetadataBytes,
  roots: readonly bigint[],
  seen: Set<number> | null,
  ignoreNonFatal: boolean,
  nrDataBlocks: number,
  dataCountCap: number,
): MappingCheck1x {
  const nodes = new NodeMap();
  // is_seen: the count taken (a block past the device fails it), then whether it was taken before.
  const isSeen = (b: number): boolean | null => {
    if (b >= md.nrBlocks) return null;
    if (seen === null) return false;
    const was = seen.has(b);
    seen.add(b);
    return was;
  };
  const depth = depthFinder(md);
  for (const root of roots) {
    const block = Number(root & 0xffffffffn);
    if (isSeen(block) !== false) continue;
    const d = depth(block);
    if (d === null) continue;
    if (d === 0) nodes.insertLeaf(block);
    else readNode(md, nodes, block, d - 1, ignoreNonFatal, isSeen);
  }
  const { summaries, dataCounts } = readLeaves(md, nodes, ignoreNonFatal, nrDataBlocks, dataCountCap);
  for (const root of roots)
    summarize(
      nodes,
      summaries,
      { start: null, end: null },
      Number(root & 0xffffffffn),
      true,
      ignoreNonFatal,
      new Set(),
    );
  let nrLeaves = 0;
  for (const t of nodes.types.values()) if (t === 'leaf') nrLeaves++;
  return { summaries, nodeErrors: nodes.errors, nrInternal: nodes.internal.size, nrLeaves, dataCounts };
}

/**
 * get_depth: how many levels lie below a root, following the first child that reads, read with
 * the non-fatal problems let pass; null where no path reaches a leaf.
 */
function depthFinder(md: MetadataBytes): (root: number) => number | null {
  let steps = 0;
  const depthOf = (path: bigint[], block: bigint, isRoot: boolean): number | null => {
    if (++steps > DEPTH_STEPS) throw new MappingCheckUnmodelled('a get_depth search this long');
    if (block >= BigInt(md.nrBlocks)) return null;
    const b = Number(block);
    const h = checkNode1x(md, b, MAPPING_VALUE_SIZE, isRoot, true);
    if (typeof h === 'string') return null;
    if (h.leaf) return 0;
    const [, children] = keysAndChildren(md, b, h.nrEntries, h.maxEntries);
    for (const child of children) {
      if (path.includes(child)) continue;
      path.push(child);
      const d = depthOf(path, child, false);
      if (d !== null) return d + 1;
      path.pop();
    }
    return null;
  };
  return (root) => {
    steps = 0;
    return depthOf([], BigInt(root), true);
  };
}

/**
 * read_node_: an internal node's children, noted as leaves at depth 0 or read on below it. A node
 * that does not unpack is in error; one that unpacks as a leaf where an internal node was expected
 * is noted as nothing (summarize_tree then counts it an error).
 */
function readNode(
  md: MetadataBytes,
  nodes: NodeMap,
  block: number,
  depth: number,
  ignoreNonFatal: boolean,
  isSeen: (b: number) => boolean | null,
): void {
  const h = checkNode1x(md, block, MAPPING_VALUE_SIZE, true, ignoreNonFatal);
  if (typeof h === 'string') {
    nodes.insertError(block, h);
    return;
  }
  if (h.leaf) return;
  const [keys, values] = keysAndChildren(md, block, h.nrEntries, h.maxEntries);
  nodes.insertInternal(
    block,
    keys,
    values.map((v) => Number(v & 0xffffffffn)),
  );
  const fresh: bigint[] = [];
  for (const v of values) {
    const child = Number(v & 0xffffffffn);
    const seen = isSeen(child);
    if (seen === null) continue;
    // A child read before as a leaf may be an internal node here, and one never read a leaf.
    const t = nodes.types.get(child);
    if (!seen || (depth > 0 && t === 'leaf') || (depth === 0 && t === undefined)) fresh.push(v);
  }
  for (const v of fresh) {
    if (depth === 0) {
      nodes.insertLeaf(Number(v & 0xffffffffn));
      continue;
    }
    // A pointer of 2^32 or more passes is_seen by its low bits and is then read whole.
    if (v > 0xffffffffn) throw new MappingCheckUnmodelled('a child pointer of 2^32 or more');
    readNode(md, nodes, Number(v), depth - 1, ignoreNonFatal, isSeen);
  }
}

/**
 * read_leaf_nodes: the noted leaves in block order, each unpacked as a mapping leaf (under-full
 * allowed): a summary of its keys, and its data blocks counted, or an error for the block.
 */
function readLeaves(
  md: MetadataBytes,
  nodes: NodeMap,
  ignoreNonFatal: boolean,
  nrDataBlocks: number,
  cap: number,
): { summaries: Map<number, Summary>; dataCounts: Uint32Array } {
  const summaries = new Map<number, Summary>();
  const dataCounts = new Uint32Array(nrDataBlocks);
  const leaves = [...nodes.types].filter(([, t]) => t === 'leaf').map(([b]) => b);
  leaves.sort((a, b) => a - b);
  for (const block of leaves) {
    const h = checkNode1x(md, block, MAPPING_VALUE_SIZE, true, ignoreNonFatal);
    if (typeof h === 'string') {
      nodes.insertError(block, h);
      continue;
    }
    if (!h.leaf) continue;
    const [keys, values] = keysAndChildren(md, block, h.nrEntries, h.maxEntries);
    for (const v of values) {
      const data = v >> 24n;
      // A block past the data device is not counted (the increment fails and is ignored).
      if (data < BigInt(nrDataBlocks) && dataCounts[Number(data)]! < cap) dataCounts[Number(data)]! += 1;
    }
    const n = keys.length;
    summaries.set(block, {
      keyLow: n > 0 ? keys[0]! : 0n,
      keyHigh: n > 0 ? keys[n - 1]! : 0n,
      nrMappings: n,
      nrEntries: n & 0xff,
      nrErrors: 0,
    });
  }
  return { summaries, dataCounts };
}

interface KeyRange {
  readonly start: bigint | null;
  readonly end: bigint | null;
}

/** split_key_ranges: each child's range, or null where the keys do not split the range. */
function splitRanges(kr: KeyRange, keys: readonly bigint[]): KeyRange[] | null {
  if (keys.length === 0) return null;
  const out: KeyRange[] = [];
  let rest: KeyRange = { start: keys[0]!, end: kr.end };
  for (const k of keys.slice(1)) {
    if (!((rest.start === null || rest.start < k) && (rest.end === null || k < rest.end))) return null;
    out.push({ start: rest.start, end: k });
    rest = { start: k, end: rest.end };
  }
  out.push(rest);
  return out;
}

/** summarize_tree: the summary of the subtree at `block` in the key range its parent gives it. */
function summarize(
  nodes: NodeMap,
  summaries: Map<number, Summary>,
  kr: KeyRange,
  block: number,
  isRoot: boolean,
  ignoreNonFatal: boolean,
  onPath: Set<number>,
): Summary {
  const known = summaries.get(block);
  if (known !== undefined) {
    if (!ignoreNonFatal && !isRoot && known.nrEntries < MIN_ENTRIES) return ERROR_SUMMARY;
    if (known.nrMappings > 0) {
      if (kr.start !== null && kr.start > known.keyLow) return ERROR_SUMMARY;
      if (kr.end !== null && kr.end < known.keyHigh) return ERROR_SUMMARY;
    }
    return known;
  }
  const info = nodes.types.get(block) === 'internal' ? nodes.internal.get(block) : undefined;
  if (info === undefined) return ERROR_SUMMARY;
  if (!ignoreNonFatal && !isRoot && info.keys.length < MIN_ENTRIES) return ERROR_SUMMARY;
  const ranges = splitRanges(kr, info.keys);
  if (ranges === null) return ERROR_SUMMARY;
  // A node below itself: 1.1.0 recurses until its stack overflows.
  if (onPath.has(block)) throw new MappingCheckUnmodelled('a loop in a mapping tree');
  onPath.add(block);
  let sum: Summary = { keyLow: 0n, keyHigh: 0n, nrMappings: 0, nrEntries: 0, nrErrors: 0 };
  info.children.forEach((child, i) => {
    sum = appended(sum, summarize(nodes, summaries, ranges[i]!, child, false, ignoreNonFatal, onPath));
  });
  onPath.delete(block);
  summaries.set(block, sum);
  return sum;
}
