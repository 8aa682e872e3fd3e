/**
 * The kernel's btree operations (drivers/md/persistent-data/dm-btree.c and dm-btree-remove.c at
 * Linux 6.1) on every tree of the thin metadata: a device's mapping tree, the top-level tree of
 * device roots, the details tree, the data space map's index and both space maps' overflow trees
 * (they differ only in how many entries a leaf holds and what a leaf's values point at), as far as
 * they decide which metadata blocks are shadowed, allocated and freed, and in what order: an insert walks down shadowing each node, splits a full root beneath itself
 * (`btree_split_beneath`), and makes room in a full child by moving entries to a neighbour with
 * at least 8 free entries (`rebalance_left/right`) or by splitting (`split_one_into_two`,
 * `split_two_into_three`); `dm_btree_del` drops a tree, leaving shared subtrees with one reference
 * less. Pure model code: the allocator (metadata-allocator.ts) supplies the transaction manager.
 */
import {
  DETAILS_VALUE_SIZE,
  INDEX_ENTRY_SIZE,
  MAPPING_VALUE_SIZE,
  maxEntries,
  REFCOUNT_VALUE_SIZE,
  ROOT_VALUE_SIZE,
} from '../format/layout.js';
import { assert } from './assert.js';

/**
 * Which tree a node belongs to. The writer needs it to fill a leaf's values: a mapping leaf's are
 * data blocks, a top-level leaf's the roots of device trees; the others' values (a device's
 * details, a bitmap's index entry, a count above 2) are the image's and the plan's, by key.
 */
export type TreeName = 'mapping' | 'top' | 'details' | 'index' | 'metadata-overflow' | 'data-overflow';

/** A node's keys and values: a leaf's values as its tree says, child blocks in an internal node. */
export interface TreeNode {
  tree: TreeName;
  leaf: boolean;
  keys: number[];
  values: number[];
}

/**
 * What a tree's leaves hold: how many entries (dm-btree.c `calc_max_entries` of the value size),
 * and whether their values hold references, to data blocks (a device's mappings) or to metadata
 * blocks (the top-level tree's device roots), that a shared leaf's copy raises and a delete drops.
 */
export interface TreeKind {
  readonly name: TreeName;
  readonly leafEntries: number;
  readonly leafValues: 'data' | 'subtrees' | 'plain';
}

export const MAPPING_TREE: TreeKind = {
  name: 'mapping',
  leafEntries: maxEntries(MAPPING_VALUE_SIZE),
  leafValues: 'data',
};
export const TOP_TREE: TreeKind = { name: 'top', leafEntries: maxEntries(ROOT_VALUE_SIZE), leafValues: 'subtrees' };
export const DETAILS_TREE: TreeKind = {
  name: 'details',
  leafEntries: maxEntries(DETAILS_VALUE_SIZE),
  leafValues: 'plain',
};
export const INDEX_TREE: TreeKind = { name: 'index', leafEntries: maxEntries(INDEX_ENTRY_SIZE), leafValues: 'plain' };
export const METADATA_OVERFLOW_TREE: TreeKind = {
  name: 'metadata-overflow',
  leafEntries: maxEntries(REFCOUNT_VALUE_SIZE),
  leafValues: 'plain',
};
export const DATA_OVERFLOW_TREE: TreeKind = {
  name: 'data-overflow',
  leafEntries: maxEntries(REFCOUNT_VALUE_SIZE),
  leafValues: 'plain',
};

/** Internal nodes of every tree hold 8-byte child blocks (btree_split_beneath gives the root that size). */
const INTERNAL_ENTRIES = maxEntries(ROOT_VALUE_SIZE);

/** How many entries a node holds at most (its header's max_entries). */
export function capacity(node: TreeNode): number {
  return node.leaf ? KINDS[node.tree].leafEntries : INTERNAL_ENTRIES;
}

const KINDS: Readonly<Record<TreeName, TreeKind>> = {
  mapping: MAPPING_TREE,
  top: TOP_TREE,
  details: DETAILS_TREE,
  index: INDEX_TREE,
  'metadata-overflow': METADATA_OVERFLOW_TREE,
  'data-overflow': DATA_OVERFLOW_TREE,
};

export function treeKind(name: TreeName): TreeKind {
  return KINDS[name];
}
/** The free entries a neighbour needs before an insert moves entries to it (dm-btree.c SPACE_THRESHOLD). */
const SPACE_THRESHOLD = 8;

/** What the btree code asks of the transaction manager and the space maps. */
export interface BtreeTransaction {
  readonly nodes: Map<number, TreeNode>;
  /** dm_tm_new_block, holding `node`. */
  newNode(node: TreeNode): number;
  /** bn_shadow: the node shadowed (a copy on a new block, or itself when already shadowed), children raised when it was shared. */
  shadowNode(block: number): number;
  /** dm_tm_block_is_shared. */
  isShared(block: number): boolean;
  decBlock(block: number): void;
  decData(block: number): void;
}

/** The index of the last key at or below `key`, -1 when every key is above it (dm-btree.c lower_bound). */
export function lowerBound(keys: readonly number[], key: number): number {
  let lo = -1;
  let hi = keys.length;
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    const k = keys[mid]!;
    if (k === key) return mid;
    if (k < key) lo = mid;
    else hi = mid;
  }
  return lo;
}

function hasSpaceForInsert(node: TreeNode, key: number): boolean {
  if (node.keys.length < capacity(node)) return true;
  // A full leaf needs no room for an overwrite.
  return node.leaf && node.keys[lowerBound(node.keys, key)] === key;
}

/** redistribute2 (and redistribute3 with an empty centre): entries keep their order, split by the targets. */
function redistribute(nodes: readonly TreeNode[], targets: readonly number[]): void {
  const keys = nodes.flatMap((n) => n.keys);
  const values = nodes.flatMap((n) => n.values);
  let at = 0;
  nodes.forEach((n, i) => {
    n.keys = keys.slice(at, at + targets[i]!);
    n.values = values.slice(at, at + targets[i]!);
    at += targets[i]!;
  });
}

const halves = (total: number): number[] => [Math.floor(total / 2), total - Math.floor(total / 2)];

function thirds(total: number): number[] {
  const left = Math.floor(total / 3);
  const centre = Math.floor((total - left) / 2);
  return [left, centre, total - left - centre];
}

/** shadow_child: a neighbour shadowed, and the parent pointed at the shadow. */
function shadowChild(tx: BtreeTransaction, parent: TreeNode, index: number): number {
  const block = tx.shadowNode(parent.values[index]!);
  parent.values[index] = block;
  return block;
}

/** btree_split_beneath: the root's entries go to two new children (left allocated first), and it points at them. */
function splitBeneath(tx: BtreeTransaction, block: number): void {
  const node = tx.nodes.get(block)!;
  const nrLeft = Math.floor(node.keys.length / 2);
  const half = (from: number, to?: number): TreeNode => ({
    tree: node.tree,
    leaf: node.leaf,
    keys: node.keys.slice(from, to),
    values: node.values.slice(from, to),
  });
  const leftNode = half(0, nrLeft);
  const left = tx.newNode(leftNode);
  const rightNode = half(nrLeft);
  const right = tx.newNode(rightNode);
  node.leaf = false;
  node.keys = [leftNode.keys[0]!, rightNode.keys[0]!];
  node.values = [left, right];
}

/** rebalance_left/right: entries shared evenly with a neighbour; the one the key now falls in is returned. */
function rebalance(
  tx: BtreeTransaction,
  parent: TreeNode,
  index: number,
  current: number,
  key: number,
  side: -1 | 1,
): number {
  const sibling = shadowChild(tx, parent, index + side);
  const [left, right] = side < 0 ? [sibling, current] : [current, sibling];
  const leftNode = tx.nodes.get(left)!;
  const rightNode = tx.nodes.get(right)!;
  redistribute([leftNode, rightNode], halves(leftNode.keys.length + rightNode.keys.length));
  parent.keys[side < 0 ? index : index + 1] = rightNode.keys[0]!;
  return key < rightNode.keys[0]! ? left : right;
}

/** split_one_into_two: a new right neighbour takes half the entries. */
function splitOneIntoTwo(tx: BtreeTransaction, parent: TreeNode, index: number, current: number, key: number): number {
  const node = tx.nodes.get(current)!;
  const rightNode: TreeNode = { tree: node.tree, leaf: node.leaf, keys: [], values: [] };
  const right = tx.newNode(rightNode);
  redistribute([node, rightNode], halves(node.keys.length));
  parent.keys.splice(index + 1, 0, rightNode.keys[0]!);
  parent.values.splice(index + 1, 0, right);
  return key < rightNode.keys[0]! ? current : right;
}

/** split_two_into_three: the node and its left neighbour spread over three, a new one in the middle. */
function splitTwoIntoThree(
  tx: BtreeTransaction,
  parent: TreeNode,
  index: number,
  current: number,
  key: number,
): number {
  const left = shadowChild(tx, parent, index - 1);
  const leftNode = tx.nodes.get(left)!;
  const middleNode: TreeNode = { tree: leftNode.tree, leaf: leftNode.leaf, keys: [], values: [] };
  const middle = tx.newNode(middleNode);
  const rightNode = tx.nodes.get(current)!;
  redistribute([leftNode, middleNode, rightNode], thirds(leftNode.keys.length + rightNode.keys.length));
  parent.keys[index] = rightNode.keys[0]!;
  parent.keys.splice(index, 0, middleNode.keys[0]!);
  parent.values.splice(index, 0, middle);
  if (key < middleNode.keys[0]!) return left;
  return key < rightNode.keys[0]! ? middle : current;
}

/** rebalance_or_split: a neighbour with room and not shared takes entries; otherwise a split. */
function rebalanceOrSplit(tx: BtreeTransaction, parent: TreeNode, index: number, current: number, key: number): number {
  const nrParent = parent.keys.length;
  const roomIn = (block: number): number => {
    const node = tx.nodes.get(block)!;
    return capacity(node) - node.keys.length;
  };
  let leftShared = false;
  let rightShared = false;
  if (index > 0) {
    const left = parent.values[index - 1]!;
    leftShared = tx.isShared(left);
    if (!leftShared && roomIn(left) >= SPACE_THRESHOLD) return rebalance(tx, parent, index, current, key, -1);
  }
  if (index < nrParent - 1) {
    const right = parent.values[index + 1]!;
    rightShared = tx.isShared(right);
    if (!rightShared && roomIn(right) >= SPACE_THRESHOLD) return rebalance(tx, parent, index, current, key, 1);
  }
  // Monotonic inserts are better served by one-into-two; so are the edges and shared neighbours.
  if (leftShared || rightShared || nrParent <= 2 || index === 0 || index + 1 === nrParent) {
    return splitOneIntoTwo(tx, parent, index, current, key);
  }
  return splitTwoIntoThree(tx, parent, index, current, key);
}

/**
 * btree_insert_raw: walks down to the leaf where `key` goes, shadowing each node and making room
 * in a full one; returns the new root and that leaf (already shadowed), its key's place found by
 * the caller.
 */
function insertRaw(tx: BtreeTransaction, root: number, key: number): { root: number; leaf: TreeNode } {
  let parent: TreeNode | null = null;
  let index = -1;
  let block = root;
  let newRoot = root;
  for (;;) {
    let current = tx.shadowNode(block);
    if (parent === null) newRoot = current;
    else parent.values[index] = current;
    if (!hasSpaceForInsert(tx.nodes.get(current)!, key)) {
      if (parent === null) splitBeneath(tx, current);
      else current = rebalanceOrSplit(tx, parent, index, current, key);
    }
    const node = tx.nodes.get(current)!;
    index = lowerBound(node.keys, key);
    if (node.leaf) return { root: newRoot, leaf: node };
    if (index < 0) {
      // The lowest key's bound moves down to the new key.
      node.keys[0] = key;
      index = 0;
    }
    parent = node;
    block = node.values[index]!;
  }
}

/**
 * dm_btree_insert into one tree (btree_insert_raw, then insert_at or an overwrite): the new root,
 * and the value an overwrite replaced (a replaced data block or device tree has lost its
 * reference already), or null.
 */
export function btreeInsert(
  tx: BtreeTransaction,
  root: number,
  key: number,
  value: number,
): { root: number; replaced: number | null } {
  const path = insertRaw(tx, root, key);
  return { root: path.root, replaced: insertInLeaf(tx, path.leaf, key, value) };
}

/**
 * The first level of a two-level insert (dm-btree.c insert(), the top-level tree of device roots):
 * the walk to the leaf holding `key`, which must be there; `setValue` gets the leaf and the key's
 * place, for the device tree's new root.
 */
export function btreeUpdate(
  tx: BtreeTransaction,
  root: number,
  key: number,
  update: (leaf: TreeNode, index: number) => void,
): number {
  const path = insertRaw(tx, root, key);
  const index = lowerBound(path.leaf.keys, key);
  assert(index >= 0 && path.leaf.keys[index] === key, `the tree holds key ${key}`);
  update(path.leaf, index);
  return path.root;
}

/** What a leaf's value held, dropped: a data block's reference, or a device tree (subtree_dec). */
function dropLeafValue(tx: BtreeTransaction, leaf: TreeNode, value: number): void {
  if (KINDS[leaf.tree].leafValues === 'data') tx.decData(value);
  else if (KINDS[leaf.tree].leafValues === 'subtrees') btreeDel(tx, value);
}

function insertInLeaf(tx: BtreeTransaction, leaf: TreeNode, key: number, value: number): number | null {
  const lower = lowerBound(leaf.keys, key);
  if (lower >= 0 && leaf.keys[lower] === key) {
    const old = leaf.values[lower]!;
    leaf.values[lower] = value;
    if (old === value || KINDS[leaf.tree].leafValues === 'plain') return null;
    dropLeafValue(tx, leaf, old);
    return old;
  }
  leaf.keys.splice(lower + 1, 0, key);
  leaf.values.splice(lower + 1, 0, value);
  return null;
}

/** dm-btree-remove.c merge_threshold: a third of a node. */
const mergeThreshold = (node: TreeNode): number => Math.floor(capacity(node) / 3);

/** delete_at on an internal node: the child's entry goes. */
function deleteAt(node: TreeNode, index: number): void {
  node.keys.splice(index, 1);
  node.values.splice(index, 1);
}

/** __rebalance2: two neighbours merge into the left when small enough, else share their entries evenly. */
function rebalanceTwo(tx: BtreeTransaction, parent: TreeNode, left: number, rightIndex: number): void {
  const leftNode = tx.nodes.get(left)!;
  const right = parent.values[rightIndex]!;
  const rightNode = tx.nodes.get(right)!;
  const total = leftNode.keys.length + rightNode.keys.length;
  // Each side keeps at least a third of a node plus one, whichever later loses an entry (__rebalance2).
  if (total < 2 * (mergeThreshold(leftNode) + 1)) {
    redistribute([leftNode, rightNode], [total, 0]);
    deleteAt(parent, rightIndex);
    // The right node's children stay referenced, now by the left.
    tx.decBlock(right);
    return;
  }
  redistribute([leftNode, rightNode], halves(total));
  parent.keys[rightIndex] = rightNode.keys[0]!;
}

/** delete_center_node: the centre's entries fill the left, the rest go to the right, and the centre goes. */
function deleteCentre(tx: BtreeTransaction, parent: TreeNode, index: number, nodes: readonly TreeNode[]): void {
  const [leftNode, centreNode, rightNode] = nodes as [TreeNode, TreeNode, TreeNode];
  const toLeft = Math.min(capacity(leftNode) - leftNode.keys.length, centreNode.keys.length);
  const total = leftNode.keys.length + centreNode.keys.length + rightNode.keys.length;
  redistribute(nodes, [leftNode.keys.length + toLeft, 0, total - leftNode.keys.length - toLeft]);
  parent.keys[index + 2] = rightNode.keys[0]!;
  const centre = parent.values[index + 1]!;
  deleteAt(parent, index + 1);
  tx.decBlock(centre);
  rebalanceTwo(tx, parent, parent.values[index]!, index + 1);
}

/** rebalance3: three neighbours, shadowed left to right, lose their centre or share their entries. */
function rebalanceThree(tx: BtreeTransaction, parent: TreeNode, index: number): void {
  const blocks = [0, 1, 2].map((k) => shadowChild(tx, parent, index + k));
  const nodes = blocks.map((b) => tx.nodes.get(b)!);
  const total = nodes.reduce((sum, n) => sum + n.keys.length, 0);
  if (total < mergeThreshold(nodes[0]!) * 4 + 1) return deleteCentre(tx, parent, index, nodes);
  const right = Math.floor(total / 3);
  const left = right + (right * 3 === total ? 0 : 1);
  redistribute(nodes, [left, total - left - right, right]);
  parent.keys[index + 1] = nodes[1]!.keys[0]!;
  parent.keys[index + 2] = nodes[2]!.keys[0]!;
}

/**
 * rebalance_children: before stepping down, the child the key is in is rebalanced with its
 * neighbours (every time, whatever its size); a node left with one child takes the child's place.
 */
function rebalanceChildren(tx: BtreeTransaction, node: TreeNode, key: number): void {
  if (node.keys.length === 1) {
    const only = node.values[0]!;
    const child = tx.nodes.get(only)!;
    node.leaf = child.leaf;
    node.keys = [...child.keys];
    node.values = [...child.values];
    tx.decBlock(only);
    return;
  }
  const i = lowerBound(node.keys, key);
  if (i === 0 || i === node.keys.length - 1) {
    const left = i === 0 ? 0 : i - 1;
    const leftBlock = shadowChild(tx, node, left);
    shadowChild(tx, node, left + 1);
    rebalanceTwo(tx, node, leftBlock, left + 1);
  } else rebalanceThree(tx, node, i - 1);
}

/**
 * remove_one of dm_btree_remove_leaves: the spine is shadowed top down, each internal node's
 * children rebalanced before the step down, and the key's entry deleted from its leaf, its data
 * block losing the leaf's reference. The kernel also walks down for the key after the last one
 * it removes, to find that it is not to be removed: `remove` false is that walk, which rebalances
 * all the same. Returns the new root.
 */
export function btreeRemove(tx: BtreeTransaction, root: number, key: number, remove = true): number {
  let parent: TreeNode | null = null;
  let index = 0;
  let block = root;
  let newRoot = root;
  for (;;) {
    const current = tx.shadowNode(block);
    if (parent === null) newRoot = current;
    else parent.values[index] = current;
    const node = tx.nodes.get(current)!;
    if (!node.leaf) rebalanceChildren(tx, node, key);
    if (node.leaf) {
      if (remove) removeFromLeaf(tx, node, key);
      return newRoot;
    }
    index = lowerBound(node.keys, key);
    parent = node;
    block = node.values[index]!;
  }
}

function removeFromLeaf(tx: BtreeTransaction, leaf: TreeNode, key: number): void {
  const i = lowerBound(leaf.keys, key);
  assert(i >= 0 && leaf.keys[i] === key, `the tree holds key ${key}`);
  // The value is dropped before its entry goes (dm_btree_remove: value_type.dec, then delete_at).
  dropLeafValue(tx, leaf, leaf.values[i]!);
  leaf.values.splice(i, 1);
  leaf.keys.splice(i, 1);
}

/**
 * dm_btree_del: a shared node loses a reference; an unshared one drops its children first (a
 * leaf's data blocks, or the device trees a top-level leaf holds, each in turn).
 */
export function btreeDel(tx: BtreeTransaction, block: number): void {
  if (tx.isShared(block)) {
    tx.decBlock(block);
    return;
  }
  const node = tx.nodes.get(block)!;
  if (node.leaf && KINDS[node.tree].leafValues === 'data') for (const d of node.values) tx.decData(d);
  else if (!node.leaf || KINDS[node.tree].leafValues === 'subtrees')
    for (const child of node.values) btreeDel(tx, child);
  tx.decBlock(block);
}

/** The blocks of every node reachable from `roots` (a top-level leaf reaches its device trees), each once. */
export function reachableNodes(nodes: ReadonlyMap<number, TreeNode>, roots: Iterable<number>): Set<number> {
  const seen = new Set<number>();
  const stack = [...roots];
  while (stack.length > 0) {
    const b = stack.pop()!;
    if (seen.has(b)) continue;
    seen.add(b);
    const node = nodes.get(b);
    if (node !== undefined && (!node.leaf || node.tree === 'top')) stack.push(...node.values);
  }
  return seen;
}
