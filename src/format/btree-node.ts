/**
 * The one validator of a btree node, called by the one metadata walker (metadata-walker.ts) for
 * every node it meets; the strict reader (metadata-reader.ts) stops at the first problem and the
 * tools' tolerant view (tools/metadata-view.ts) words it as thin_check 0.9.0 does and walks on.
 * It checks what a node says about itself: the block exists, its checksum and block number, its
 * flags, value size, max_entries and nr_entries, that a node below the root is at least a third
 * full, and that its keys go strictly up. What depends on the tree around it (the parent's key
 * range, loops, depth) is the walker's and its visitors' job.
 */
import { dmChecksum } from './crc32c.js';
import {
  BLOCK_SIZE,
  BTREE_CSUM_XOR,
  getU64,
  INTERNAL_NODE,
  LEAF_NODE,
  maxEntries,
  NODE,
  ROOT_VALUE_SIZE,
} from './layout.js';

export interface NodeHeader {
  readonly block: number;
  readonly leaf: boolean;
  readonly nrEntries: number;
  readonly maxEntries: number;
  /** The size of this node's values: the tree's value size in a leaf, 8 (a block) inside. */
  readonly valueSize: number;
}

/** Why a node cannot be used, with what each caller needs to word it. */
export type NodeProblem =
  | { readonly code: 'out-of-bounds'; readonly nrBlocks: number }
  | { readonly code: 'checksum' }
  | { readonly code: 'blocknr'; readonly found: number }
  | { readonly code: 'flags'; readonly flags: number }
  | { readonly code: 'value-size'; readonly found: number; readonly expected: number }
  | {
      readonly code: 'max-entries-too-large' | 'max-entries-not-divisible' | 'too-many-entries';
      readonly maxEntries: number;
      readonly nrEntries: number;
    }
  | { readonly code: 'too-few-entries'; readonly nrEntries: number; readonly maxEntries: number }
  | { readonly code: 'empty-internal' }
  | { readonly code: 'key-too-large'; readonly index: number }
  | { readonly code: 'keys-out-of-order'; readonly previous: bigint; readonly next: bigint }
  /** Found by the walker, not here: the parent's key for the node is above its first key. */
  | { readonly code: 'parent-key'; readonly parent: number; readonly lowest: number }
  /** Found by the walker: a leaf's first key is not above the previous leaf's last. */
  | { readonly code: 'leaf-key-overlap'; readonly last: number; readonly first: number };

export type NodeCheck =
  | { readonly ok: true; readonly node: NodeHeader }
  | { readonly ok: false; readonly block: number; readonly problem: NodeProblem };

/**
 * Whether a node's flags word makes it a leaf, read as the tools and the kernel read it: as bits,
 * so that other bits set beside one of the two are ignored (thin_check 0.9.0 passes a leaf whose
 * flags are 0x00640002; seed 17 case 115 of the metadata campaign). Both bits or neither is not a
 * node (null).
 */
export function isLeafFlags(flags: number): boolean | null {
  const internal = (flags & INTERNAL_NODE) !== 0;
  const leaf = (flags & LEAF_NODE) !== 0;
  return internal === leaf ? null : leaf;
}

/**
 * Checks the node at `block` of a tree whose leaves hold `valueSize`-byte values. `isRoot` lifts
 * the one-third-full rule, which the kernel keeps for every node but the root. `wideKeys` accepts
 * keys above 2^53, as thin_check does (its keys are 64-bit); the caller then reads them rounded.
 * `fewEntriesPass` lifts the one-third rule for every node, as thin_dump 0.9.0's walks do (they
 * run with ignore_non_fatal, which skips btree_node_checker's entry-count check).
 */
export function checkBtreeNode(
  bytes: Uint8Array,
  dv: DataView,
  block: number,
  valueSize: number,
  isRoot: boolean,
  wideKeys = false,
  fewEntriesPass = false,
): NodeCheck {
  const bad = (problem: NodeProblem): NodeCheck => ({ ok: false, block, problem });
  const nrBlocks = Math.floor(bytes.length / BLOCK_SIZE);
  if (block < 0 || block >= nrBlocks) return bad({ code: 'out-of-bounds', nrBlocks });
  const at = block * BLOCK_SIZE;
  if (dv.getUint32(at + NODE.csum, true) !== dmChecksum(bytes, at + 4, at + BLOCK_SIZE, BTREE_CSUM_XOR))
    return bad({ code: 'checksum' });
  const flags = dv.getUint32(at + NODE.flags, true);
  const leaf = isLeafFlags(flags);
  if (leaf === null) return bad({ code: 'flags', flags });
  const blocknr = getU64(dv, at + NODE.blocknr);
  if (blocknr !== block) return bad({ code: 'blocknr', found: blocknr });
  const nr = dv.getUint32(at + NODE.nrEntries, true);
  const max = dv.getUint32(at + NODE.maxEntries, true);
  const vsize = dv.getUint32(at + NODE.valueSize, true);
  const expected = leaf ? valueSize : ROOT_VALUE_SIZE;
  if (vsize !== expected) return bad({ code: 'value-size', found: vsize, expected });
  if (max > maxEntries(vsize)) return bad({ code: 'max-entries-too-large', maxEntries: max, nrEntries: nr });
  if (max % 3 !== 0) return bad({ code: 'max-entries-not-divisible', maxEntries: max, nrEntries: nr });
  if (nr > max) return bad({ code: 'too-many-entries', maxEntries: max, nrEntries: nr });
  if (!isRoot && !fewEntriesPass && nr < Math.floor(max / 3))
    return bad({ code: 'too-few-entries', nrEntries: nr, maxEntries: max });
  if (!leaf && nr === 0) return bad({ code: 'empty-internal' });
  const keyBase = at + NODE.header;
  // The order is checked on the full 64-bit keys first, as the tools do, so that a key too large
  // for the model is reported as the order it breaks when it breaks one.
  let previous = -1n;
  let tooLarge = -1;
  for (let i = 0; i < nr; i++) {
    const key = dv.getBigUint64(keyBase + i * 8, true);
    if (key <= previous) return bad({ code: 'keys-out-of-order', previous, next: key });
    if (tooLarge < 0 && key > BigInt(Number.MAX_SAFE_INTEGER)) tooLarge = i;
    previous = key;
  }
  if (tooLarge >= 0 && !wideKeys) return bad({ code: 'key-too-large', index: tooLarge });
  return { ok: true, node: { block, leaf, nrEntries: nr, maxEntries: max, valueSize: vsize } };
}
