/**
 * thin_check 0.9.0's walk of one btree for damage: btree::walk_tree with btree_damage_visitor.h
 * (persistent-data/data-structures), reproduced step by step because its bookkeeping decides the
 * key ranges and the messages thin_check prints:
 *
 * - One damage tracker serves the whole walk, even of the two-level mapping tree. A bad node only
 *   marks the tracker damaged and queues its message; the damage is issued when the next good node
 *   is met (its first key ends the range) or when the walk moves to another device's subtree or
 *   ends (an open range, "[N, -]"). So consecutive bad nodes make one damage whose text is their
 *   messages run together with no separator, and a range begins where the last good leaf ended
 *   (or at 0 after a change of subtree).
 * - One set of visited nodes serves the whole walk: a node shared by two devices' trees (a
 *   snapshot) is checked once, and when met again it is skipped silently, neither good nor bad.
 * - An internal node's children are all prefetched before the first is walked, and the block
 *   manager's bounds check throws there, so one child past the end is damage of the parent and
 *   none of its children is walked.
 *
 * The walk keeps an explicit stack, visiting nodes in the recursion's order, because a damaged
 * tree can be as deep as the metadata device is long.
 */
import { isInternal0, Node0, NodeError0, nodeProblem0, readNode0, valueAt0 } from './btree-node-0.js';
import type { MetadataBytes } from './metadata-view.js';

/** One damage as btree_damage_visitor issues it: the path (device ids above), keys, messages. */
export interface Damage0 {
  readonly path: readonly bigint[];
  readonly begin: bigint;
  /** One past the last lost key; null: to the end ("-"). */
  readonly end: bigint | null;
  readonly desc: string;
}

/** node_location: the keys leading to this subtree, the depth in it, and the parent's key. */
interface Location {
  readonly path: readonly bigint[];
  readonly depth: number;
  readonly key: bigint | null;
  readonly block: bigint;
}

const samePath = (a: readonly bigint[], b: readonly bigint[]): boolean =>
  a.length === b.length && a.every((k, i) => k === b[i]);

/** damage_tracker and path_tracker, with the reasons queued since the last issue. */
class Tracker {
  private damaged = false;
  private begin = 0n;
  private reasons: string[] = [];
  private current: readonly bigint[] = [];

  constructor(private readonly issue: (d: Damage0) => void) {}

  /** update_path: moving to another subtree issues what was pending on the old one. */
  enter(path: readonly bigint[]): void {
    if (samePath(path, this.current)) return;
    const old = this.current;
    this.current = path;
    this.end(old);
  }

  bad(reason: string): void {
    this.reasons.push(reason);
    this.damaged = true;
  }

  goodInternal(first: bigint): void {
    this.close(first);
    this.begin = first;
  }

  goodLeaf(first: bigint, onePastLast: bigint): void {
    this.close(first);
    this.begin = onePastLast;
  }

  /** damage_tracker::end, for the given path; also what visit_complete does for the current one. */
  end(path: readonly bigint[] = this.current): void {
    if (this.damaged) this.emit(path, null);
    this.damaged = false;
    this.begin = 0n;
  }

  private close(first: bigint): void {
    if (!this.damaged) return;
    this.emit(this.current, first);
    this.damaged = false;
  }

  private emit(path: readonly bigint[], end: bigint | null): void {
    this.issue({ path, begin: this.begin, end, desc: this.reasons.join('') });
    this.reasons = [];
  }
}

/** The tree to walk: its root, levels, and the value size of its bottom leaves. */
export interface Tree0 {
  readonly root: bigint;
  readonly levels: 1 | 2;
  readonly leafValueSize: number;
  /** --ignore-non-fatal-errors: the walk skips the one-third-full check (check_nr_entries). */
  readonly ignoreNonFatal?: boolean;
}

/**
 * Walks a tree as thin_check 0.9.0 checks it, handing each damage on in order. `onLeaf` is the
 * value visitor: it is given each good bottom leaf after its checks, as visit_values is, so what it
 * does falls between the damages issued before and after (thin_dump's top level walks so).
 */
export function walkDamage0(
  md: MetadataBytes,
  tree: Tree0,
  onDamage: (d: Damage0) => void,
  onLeaf?: (n: Node0) => void,
): void {
  const tracker = new Tracker(onDamage);
  const seen = new Set<number>();
  const lastLeafKey: (bigint | null)[] = [null, null];
  const stack: Location[] = [{ path: [], depth: 0, key: null, block: tree.root }];
  while (stack.length > 0) {
    const loc = stack.pop()!;
    try {
      const children = visitNode(md, tree, loc, { tracker, seen, lastLeafKey, onLeaf });
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
    } catch (e) {
      if (!(e instanceof NodeError0)) throw e;
      // btree::walk_tree's catch: error_accessing_node updates the path and reports the damage.
      tracker.enter(loc.path);
      tracker.bad(e.message);
    }
  }
  tracker.end();
}

interface WalkState {
  readonly tracker: Tracker;
  readonly seen: Set<number>;
  readonly lastLeafKey: (bigint | null)[];
  readonly onLeaf: ((n: Node0) => void) | undefined;
}

/** walk_tree_internal for one node: its checks, and the children to walk next (in key order). */
function visitNode(md: MetadataBytes, tree: Tree0, loc: Location, state: WalkState): Location[] {
  const block = readNode0(md, loc.block);
  const internal = isInternal0(md, block);
  const n = new Node0(md, block);
  const bottom = !internal && loc.path.length >= tree.levels - 1;
  const { tracker } = state;
  tracker.enter(loc.path);
  const level = loc.path.length;
  if (loc.depth === 0) state.lastLeafKey[level] = null;
  if (state.seen.has(block)) return [];
  state.seen.add(block);
  const problem = nodeProblem0(
    n,
    bottom ? tree.leafValueSize : 8,
    {
      subRoot: loc.depth === 0,
      ignoreNonFatal: tree.ignoreNonFatal === true,
      parentKey: loc.depth === 0 ? null : loc.key,
      lastLeafKey: internal ? null : (state.lastLeafKey[level] ?? null),
    },
    !internal,
  );
  if (problem !== null) {
    tracker.bad(problem);
    return [];
  }
  if (internal) {
    tracker.goodInternal(n.key(0));
    n.prefetchChildren();
    return Array.from({ length: n.nrEntries }, (_, i) => ({
      path: loc.path,
      depth: loc.depth + 1,
      key: n.key(i),
      block: n.value64(i),
    }));
  }
  if (n.nrEntries > 0) {
    const last = n.key(n.nrEntries - 1);
    state.lastLeafKey[level] = last;
    tracker.goodLeaf(n.key(0), BigInt.asUintN(64, last + 1n));
  }
  // The first value_at of the leaf's values (visit_values, or the loop over a top-level leaf's
  // subtrees) runs check_fits_within_block: under ignore_non_fatal a node can hold more entries
  // than fit, and that throws here, after the leaf's keys were found good.
  if (n.nrEntries > 0) valueAt0(n, 0, bottom ? tree.leafValueSize : 8);
  if (bottom) {
    state.onLeaf?.(n);
    return [];
  }
  // A top-level leaf of the mapping tree: each value is a device's subtree root.
  return Array.from({ length: n.nrEntries }, (_, i) => ({
    path: [...loc.path, n.key(i)],
    depth: 0,
    key: null,
    block: n.value64(i),
  }));
}

/** thin_check's words for a range of keys: "[0, -]" when it runs to the end. */
export function formatRange0(d: Damage0): string {
  return `[${d.begin}, ${d.end === null ? '-' : d.end}]`;
}
