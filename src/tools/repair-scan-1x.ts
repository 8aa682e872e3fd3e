/**
 * The panic of 1.1.0's root search (`NodeCollector` in src/thin/metadata_repair.rs), which
 * thin_dump --repair runs before anything else. The search reads every block in turn as a btree
 * node and follows each node's children; a child it has not examined yet is marked in a bitset of
 * one bit per metadata block *before* it is read, without a bounds check. So a node that reads as
 * internal (1.1.0 takes any flags word but exactly LEAF for internal) whose child pointer is past
 * the end of the device, or a top-level leaf whose value is exactly the device's block count (its
 * `maybe_top_level` test is `> nr_blocks`), panics in fixedbitset, status 101 (seed 17 case 61 of
 * the reliability campaign: "set at index 3355443200 exceeds fixbitset size 1024").
 *
 * This module repeats the search's order and its errors (which stop a node's children from being
 * followed), so it also knows whether the search finds any top-level mapping tree at all: with
 * none, --repair fails with "no compatible roots found" (seed 17 cases 233, 311, 364 ...: the lab's
 * root-search-1x.ts, which looks at the superblock's own trees only, decided otherwise). What the
 * search then rebuilds from is root-search-1x.ts's.
 */
import { BLOCK_SIZE, BTREE_CSUM_XOR, DETAILS_VALUE_SIZE, LEAF_NODE } from '../format/layout.js';
import { NOT_MODELLED_STATUS, notModelled1x } from './define-tool.js';
import { keySet1x } from './btree-walk-1x.js';
import type { MetadataBytes } from './metadata-view.js';
import { FAILURE_1X } from './release.js';
import { PANIC_STATUS, panicText } from './rust-panic-1x.js';

/** What a node read as: the kind of tree it belongs to and its keys' range (the search's NodeInfo). */
interface Info {
  readonly kind: 'dev' | 'mappings' | 'details';
  readonly low: bigint;
  readonly high: bigint;
  /** What thin_repair -v logs of a candidate root (DevInfo, DetailsInfo): kept only when asked for. */
  readonly stats?: CandidateStats;
}

/** A subtree's sums as 1.1.0's DevInfo, MappingsInfo and DetailsInfo keep them. */
export interface CandidateStats {
  readonly nrDevices: bigint;
  readonly nrMappings: bigint;
  readonly highest: bigint;
  readonly age: number;
  /** How many mappings have each time (mapping and top-level trees). */
  readonly timeCounts: ReadonlyMap<number, number>;
  /** The highest transaction id of the devices (details trees). */
  readonly maxTid: bigint;
}

const NO_STATS: CandidateStats = {
  nrDevices: 0n,
  nrMappings: 0n,
  highest: 0n,
  age: 0,
  timeCounts: new Map(),
  maxTid: 0n,
};

/** The larger of two u64s (Math.max takes no bigint). */
const maxBig = (a: bigint, b: bigint): bigint => (a > b ? a : b);

/** push_child (and a top-level leaf's sum of its subtrees): the two subtrees' sums as one. */
function addStats(a: CandidateStats, b: CandidateStats): CandidateStats {
  const timeCounts = new Map(a.timeCounts);
  for (const [t, n] of b.timeCounts) timeCounts.set(t, (timeCounts.get(t) ?? 0) + n);
  return {
    nrDevices: a.nrDevices + b.nrDevices,
    nrMappings: a.nrMappings + b.nrMappings,
    highest: maxBig(a.highest, b.highest),
    age: Math.max(a.age, b.age),
    timeCounts: [...timeCounts].sort(([x], [y]) => x - y).reduce((m, [t, n]) => m.set(t, n), new Map<number, number>()),
    maxTid: maxBig(a.maxTid, b.maxTid),
  };
}

/** A child pointer past the bitset: the search panics on it. */
class BitsetOverflow {
  constructor(readonly index: bigint) {}
}

const HEADER_SIZE = 32;
const U64_SIZE = 8;

/** A recursive call of the search: the block whose info the caller waits for. */
type Search = Generator<bigint, Info | null, Info | null>;

/**
 * How deep 1.1.0's recursion goes before its 8 MiB main stack overflows, in nested get_info calls
 * (chains of internal nodes, as src/tools/repair-scan-1x.test.ts builds them). Measured on the
 * real 1.1.0 by bisection (ulimit -s 8192): 10,681 levels passed and 10,682 overflowed; runs
 * repeated at 10,670 always passed and at 10,690 always overflowed, but stack randomisation moves
 * the edge by a few levels from run to run, and a 100 KB environment moved it below 10,670.
 * Between the two bounds the outcome depends on the host, so the lab refuses it by name.
 */
export const ROOT_SEARCH_SURVIVES_DEPTH = 10_500;
export const ROOT_SEARCH_OVERFLOWS_DEPTH = 10_800;

/** The real search's stack overflowed: Rust aborts. */
class StackOverflow1x {}

/**
 * The search over one image: `examined` is the bitset, `infos` the nodes that read. 1.1.0 recurses
 * from a node to its children; the lab runs the same calls on an explicit stack of generators (a
 * child's info is `yield`ed for), so a chain of any depth costs no JavaScript stack, and the depth
 * reached decides where 1.1.0's own stack gives out.
 */
class NodeCollector {
  private readonly examined: Uint8Array;
  /** The children of every node that read as a parent: no root (`referenced`). */
  private readonly referenced: Uint8Array;
  private readonly infos = new Map<number, Info>();
  /** The deepest nesting of get_info calls so far. */
  maxDepth = 0;

  constructor(
    private readonly md: MetadataBytes,
    private readonly withStats = false,
  ) {
    this.examined = new Uint8Array(md.nrBlocks);
    this.referenced = new Uint8Array(md.nrBlocks);
  }

  collect(): void {
    for (let b = 0; b < this.md.nrBlocks; b++) this.run(BigInt(b));
  }

  /** `gather_roots`: the top-level mapping trees no node refers to. */
  devRoots(): number[] {
    return [...this.infos].filter(([b, info]) => info.kind === 'dev' && this.referenced[b] === 0).map(([b]) => b);
  }

  /** `gather_roots` with what each root's tree sums to, in block order (the search's BTreeMap). */
  candidates(kind: 'dev' | 'details'): { block: number; stats: CandidateStats }[] {
    return [...this.infos]
      .filter(([b, info]) => info.kind === kind && this.referenced[b] === 0)
      .sort(([a], [b]) => a - b)
      .map(([block, info]) => ({ block, stats: info.stats ?? NO_STATS }));
  }

  /** get_ro_info: the number of mappings below a mapping subtree's root the search read, else null. */
  mappingsBelow(block: number): bigint | null {
    const info = this.infos.get(block);
    return info?.kind === 'mappings' ? info.stats!.nrMappings : null;
  }

  /** Runs get_info(b) to its end, each nested call a frame of `frames`. */
  private run(b: bigint): Info | null {
    const frames: Search[] = [this.info(b)];
    let result: Info | null = null;
    while (frames.length > 0) {
      if (frames.length > this.maxDepth) this.maxDepth = frames.length;
      if (frames.length > ROOT_SEARCH_OVERFLOWS_DEPTH) throw new StackOverflow1x();
      const step = frames[frames.length - 1]!.next(result);
      result = null;
      if (step.done) {
        frames.pop();
        result = step.value;
      } else frames.push(this.info(step.value));
    }
    return result;
  }

  /** `get_info`: the bit is set before the node is read, and that is where a bad pointer panics. */
  private *info(b: bigint): Search {
    if (b >= BigInt(this.md.nrBlocks)) throw new BitsetOverflow(b);
    const block = Number(b);
    if (this.examined[block] === 1) return this.infos.get(block) ?? null;
    this.examined[block] = 1;
    const info = yield* this.gather(block);
    if (info !== null) this.infos.set(block, info);
    return info;
  }

  /** `gather_info`: a node whose checksum, header and keys read, by its value size and flags. */
  private *gather(block: number): Search {
    const sums = this.md.checksums(block, BTREE_CSUM_XOR);
    if (sums === null || sums.stored !== sums.computed) return null;
    const at = block * BLOCK_SIZE;
    const flags = this.md.u32(at + 4);
    const nr = this.md.u32(at + 16);
    const max = this.md.u32(at + 20);
    const valueSize = this.md.u32(at + 24);
    if (valueSize !== U64_SIZE && valueSize !== DETAILS_VALUE_SIZE) return null;
    // unpack_node's checks, with ignore_non_fatal and as a root (no fullness rules).
    if ((valueSize + U64_SIZE) * max + HEADER_SIZE > BLOCK_SIZE || nr > max) return null;
    const keys: bigint[] = [];
    for (let i = 0; i < nr; i++) keys.push(this.md.u64Big(at + HEADER_SIZE + i * U64_SIZE));
    if (keys.some((k, i) => i > 0 && k <= keys[i - 1]!)) return null;
    const own = { low: keys[0] ?? 0n, high: keys[nr - 1] ?? 0n };
    const leaf = flags === LEAF_NODE;
    const valuesAt = at + HEADER_SIZE + max * U64_SIZE;
    if (valueSize === DETAILS_VALUE_SIZE)
      return leaf ? { kind: 'details', ...own, ...this.detailsStats(valuesAt, nr) } : null;
    const values = Array.from({ length: nr }, (_, i) => this.md.u64Big(valuesAt + i * U64_SIZE));
    if (!leaf) return yield* this.subtree(values);
    const nrBlocks = BigInt(this.md.nrBlocks);
    // maybe_top_level: every value no more than the block count makes a top-level leaf.
    if (values.length === 0 || values.some((v) => v > nrBlocks))
      return { kind: 'mappings', ...own, ...this.mappingStats(values) };
    let stats: CandidateStats = { ...NO_STATS, nrDevices: BigInt(nr) };
    for (const v of values) {
      const child = yield v;
      if (child?.kind !== 'mappings') return null;
      if (this.withStats) stats = addStats(stats, child.stats!);
    }
    return { kind: 'dev', ...own, ...(this.withStats ? { stats } : {}) };
  }

  /** gather_mapping_leaf_info: the leaf's mappings, their highest data block, times and age. */
  private mappingStats(values: readonly bigint[]): { stats?: CandidateStats } {
    if (!this.withStats) return {};
    const timeCounts = new Map<number, number>();
    let highest = 0n;
    for (const v of values) {
      const block = v >> 24n;
      const time = Number(v & 0xffffffn);
      if (block > highest) highest = block;
      timeCounts.set(time, (timeCounts.get(time) ?? 0) + 1);
    }
    const age = Math.max(0, ...timeCounts.keys());
    return { stats: addStats(NO_STATS, { ...NO_STATS, nrMappings: BigInt(values.length), highest, age, timeCounts }) };
  }

  /** gather_details_leaf_info: the devices, their mapped blocks summed, the highest transaction and time. */
  private detailsStats(valuesAt: number, nr: number): { stats?: CandidateStats } {
    if (!this.withStats) return {};
    let stats: CandidateStats = { ...NO_STATS, nrDevices: BigInt(nr) };
    for (let i = 0; i < nr; i++) {
      const v = valuesAt + i * DETAILS_VALUE_SIZE;
      const age = Math.max(this.md.u32(v + 16), this.md.u32(v + 20));
      stats = addStats(stats, { ...NO_STATS, nrMappings: this.md.u64Big(v), maxTid: this.md.u64Big(v + 8), age });
    }
    return { stats };
  }

  /** `gather_subtree_info`: the first child decides the kind; each child must follow the last. */
  private *subtree(values: readonly bigint[]): Search {
    if (values.length === 0) return null;
    const first = yield values[0]!;
    if (first === null) return null;
    let high = first.high;
    let stats = NO_STATS;
    for (const [i, v] of values.entries()) {
      const child = yield v;
      if (child === null || child.kind !== first.kind) return null;
      // push_child: each child after the first must start past the keys before it.
      if (i > 0 && child.low <= high) return null;
      high = child.high;
      if (this.withStats) stats = addStats(stats, child.stats!);
    }
    for (const v of values) this.referenced[Number(v)] = 1;
    return { kind: first.kind, low: first.low, high, ...(this.withStats ? { stats } : {}) };
  }
}

/** What Rust prints when the main thread's stack overflows, before it aborts (SIGABRT, 134). */
export const STACK_OVERFLOW_TEXT_1X = "\nthread 'main' has overflowed its stack\nfatal runtime error: stack overflow\n";
export const ABORT_STATUS = 134;

/**
 * What 1.1.0's root search finds on `md`: the panic it ends in, its stack overflow, the top-level
 * mapping trees it found (none: "no compatible roots found", whatever the superblock says), or
 * that its nodes nest to a depth where the real stack may or may not hold (`tooDeep`).
 */
export function repairScan(
  md: MetadataBytes,
):
  | { readonly panic: string }
  | { readonly devRoots: readonly number[] }
  | { readonly tooDeep: true }
  | { readonly overflow: true } {
  const collector = new NodeCollector(md);
  try {
    collector.collect();
  } catch (e) {
    if (e instanceof StackOverflow1x) return { overflow: true };
    if (!(e instanceof BitsetOverflow)) throw e;
    // A panic met after the search went deeper than 1.1.0's stack surely holds may never be reached.
    if (collector.maxDepth > ROOT_SEARCH_SURVIVES_DEPTH) return { tooDeep: true };
    return {
      panic: panicText(
        '/usr/share/cargo/registry/fixedbitset-0.4.2/src/lib.rs:258:9',
        `set at index ${e.index} exceeds fixbitset size ${md.nrBlocks}`,
      ),
    };
  }
  if (collector.maxDepth > ROOT_SEARCH_SURVIVES_DEPTH) return { tooDeep: true };
  return { devRoots: collector.devRoots() };
}

/** What a caller adds to the search's end: its report (a quiet one drops the error) and what it does once the search is done. */
export interface SearchHooks {
  readonly report?: (text: string) => void;
  /** Runs when the search ended without a panic (thin_repair -v logs it here); a status ends the tool. */
  readonly searched?: () => number | null;
}

/**
 * The search as both repairs run it before they read anything else (thin_dump --repair, and
 * thin_repair through read_or_rebuild_superblock in src/thin/metadata_repair.rs): the status the
 * tool ends with (its panic; its stack overflow; `no compatible roots found`, whatever the
 * superblock holds; a refusal by name where the real stack may or may not hold), or null to go on.
 */
export function rootSearchEnding(
  md: MetadataBytes,
  err: (text: string) => void,
  tool: string,
  hooks: SearchHooks = {},
): number | null {
  const scan = repairScan(md);
  if ('tooDeep' in scan) {
    err(
      notModelled1x(
        tool,
        `a root search nested over ${ROOT_SEARCH_SURVIVES_DEPTH.toLocaleString('en-US')} nodes deep, where whether 1.1.0's 8 MiB stack holds depends on the host (it overflows from about 10,682)`,
      ),
    );
    return NOT_MODELLED_STATUS;
  }
  if ('overflow' in scan) {
    err(STACK_OVERFLOW_TEXT_1X);
    return ABORT_STATUS;
  }
  if ('panic' in scan) {
    err(scan.panic);
    return PANIC_STATUS;
  }
  const stop = hooks.searched?.() ?? null;
  if (stop !== null) return stop;
  if (scan.devRoots.length > 0) return null;
  (hooks.report ?? err)('no compatible roots found\n');
  return FAILURE_1X;
}

/** compare_time_counts: the latest time first, then the one with more mappings at it, then the longer. */
function compareTimeCounts(a: ReadonlyMap<number, number>, b: ReadonlyMap<number, number>): number {
  const x = [...a].reverse();
  const y = [...b].reverse();
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const [[ta, ca], [tb, cb]] = [x[i]!, y[i]!];
    if (ta !== tb) return tb - ta;
    if (ca !== cb) return cb - ca;
  }
  return y.length - x.length;
}

const timeCountsDebug = (m: ReadonlyMap<number, number>): string =>
  `{${[...m].map(([t, n]) => `${t}: ${n}`).join(', ')}}`;

/**
 * The info lines 1.1.0's root search logs (`log_results` in src/thin/metadata_repair.rs), which
 * thin_repair -v prints, for a search that ends without a panic: the top-level mapping trees no
 * node refers to (in the order find_root_pairs sorted them: by their latest times), the details
 * trees, and the pairs of the two with the same devices and as many mappings. Null where 1.1.0's
 * order is ipnsort's: more than 20 candidates to sort, two of which compare equal (rootPairs1x).
 */
export function rootSearchLog1x(md: MetadataBytes): string | null {
  const found = rootPairs1x(md);
  if (found === null) return null;
  const { devs, details, pairs } = found;
  const lines = [`mapping candidates (${devs.length}):`];
  for (const { block, stats: s } of devs)
    lines.push(
      `b=${block}, nr_devices=${s.nrDevices}, nr_mappings=${s.nrMappings}, highest_mapped=${s.highest}, age=${s.age}, time_counts=${timeCountsDebug(s.timeCounts)}`,
    );
  lines.push('', `device candidates (${details.length}):`);
  for (const { block, stats: s } of details)
    lines.push(`b=${block}, nr_devices=${s.nrDevices}, nr_mappings=${s.nrMappings}, max_tid=${s.maxTid}, age=${s.age}`);
  lines.push('', `compatible roots (${pairs.length}):`, ...pairs.map(([a, b]) => `(${a.block}, ${b.block})`));
  return `${lines.join('\n')}\n`;
}

/** A root the search found, with its tree's sums. */
export interface Candidate1x {
  readonly block: number;
  readonly stats: CandidateStats;
}

/** More than this many candidates are sorted by ipnsort, whose order of equal ones is not the input's. */
const INSERTION_SORT_MAX = 20;

/**
 * Rust 1.85's sort_unstable_by (the 1.1.0 of Debian 13 is built with it): a slice of at most 20
 * is sorted by insertion sort, which never moves an element past an equal one, so its order is
 * JavaScript's stable sort's. A longer one goes to ipnsort, whose order of equal elements the lab
 * does not model: null where such a slice has two that compare equal.
 */
function sortUnstable1x<T>(items: readonly T[], compare: (a: T, b: T) => number): T[] | null {
  const sorted = [...items].sort(compare);
  if (sorted.length <= INSERTION_SORT_MAX) return sorted;
  return sorted.some((x, i) => i > 0 && compare(sorted[i - 1]!, x) === 0) ? null : sorted;
}

/** The search's findings, and the number of mappings of each mapping subtree it read (`get_ro_info`). */
export interface RootPairs1x {
  readonly devs: Candidate1x[];
  readonly details: Candidate1x[];
  readonly pairs: [Candidate1x, Candidate1x][];
  readonly mappingsBelow: (block: number) => bigint | null;
}

/**
 * The search's candidates and pairs (`find_root_pairs`), in 1.1.0's order: the mapping trees by
 * their latest times (equal ones in block order), and for each the details trees of as many
 * mappings (in block order), whose device ids are the same. Null where that order is ipnsort's
 * (sortUnstable1x).
 */
export function rootPairs1x(md: MetadataBytes): RootPairs1x | null {
  const collector = new NodeCollector(md, true);
  collector.collect();
  const devs = sortUnstable1x(collector.candidates('dev'), (a, b) =>
    compareTimeCounts(a.stats.timeCounts, b.stats.timeCounts),
  );
  const details = collector.candidates('details');
  // filter_details_roots keeps the details trees with as many devices as some mapping tree.
  const counts = new Set(devs?.map((d) => d.stats.nrDevices));
  const byMappings = sortUnstable1x(
    details.filter((d) => counts.has(d.stats.nrDevices)),
    (a, b) => (a.stats.nrMappings < b.stats.nrMappings ? -1 : a.stats.nrMappings > b.stats.nrMappings ? 1 : 0),
  );
  if (devs === null || byMappings === null) return null;
  const pairs: [Candidate1x, Candidate1x][] = [];
  for (const dev of devs)
    for (const d of byMappings)
      if (d.stats.nrMappings === dev.stats.nrMappings && sameDevices(md, dev.block, d.block)) pairs.push([dev, d]);
  return { devs, details, pairs, mappingsBelow: (block) => collector.mappingsBelow(block) };
}

/**
 * devices_identical: the top-level tree and the details tree hold the same device ids, each read
 * whole by 1.1.0's walker with its non-fatal problems let pass (btree_to_key_set).
 */
function sameDevices(md: MetadataBytes, devRoot: number, detailsRoot: number): boolean {
  const ids = keySet1x(md, devRoot, U64_SIZE, true);
  return ids !== null && ids.join() === keySet1x(md, detailsRoot, DETAILS_VALUE_SIZE, true)?.join();
}
