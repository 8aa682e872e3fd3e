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
import type { MetadataBytes } from './metadata-view.js';
import { FAILURE_1X } from './release.js';
import { PANIC_STATUS, panicText } from './rust-panic-1x.js';

/** What a node read as: the kind of tree it belongs to and its keys' range (the search's NodeInfo). */
interface Info {
  readonly kind: 'dev' | 'mappings' | 'details';
  readonly low: bigint;
  readonly high: bigint;
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

  constructor(private readonly md: MetadataBytes) {
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
    if (valueSize === DETAILS_VALUE_SIZE) return leaf ? { kind: 'details', ...own } : null;
    const valuesAt = at + HEADER_SIZE + max * U64_SIZE;
    const values = Array.from({ length: nr }, (_, i) => this.md.u64Big(valuesAt + i * U64_SIZE));
    if (!leaf) return yield* this.subtree(values);
    const nrBlocks = BigInt(this.md.nrBlocks);
    // maybe_top_level: every value no more than the block count makes a top-level leaf.
    if (values.length === 0 || values.some((v) => v > nrBlocks)) return { kind: 'mappings', ...own };
    for (const v of values) if ((yield v)?.kind !== 'mappings') return null;
    return { kind: 'dev', ...own };
  }

  /** `gather_subtree_info`: the first child decides the kind; each child must follow the last. */
  private *subtree(values: readonly bigint[]): Search {
    if (values.length === 0) return null;
    const first = yield values[0]!;
    if (first === null) return null;
    let high = first.high;
    for (const [i, v] of values.entries()) {
      const child = yield v;
      if (child === null || child.kind !== first.kind) return null;
      // push_child: each child after the first must start past the keys before it.
      if (i > 0 && child.low <= high) return null;
      high = child.high;
    }
    for (const v of values) this.referenced[Number(v)] = 1;
    return { kind: first.kind, low: first.low, high };
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

/**
 * The search as both repairs run it before they read anything else (thin_dump --repair, and
 * thin_repair through read_or_rebuild_superblock in src/thin/metadata_repair.rs): the status the
 * tool ends with (its panic; its stack overflow; `no compatible roots found`, whatever the
 * superblock holds; a refusal by name where the real stack may or may not hold), or null to go on.
 */
export function rootSearchEnding(md: MetadataBytes, err: (text: string) => void, tool: string): number | null {
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
  if (scan.devRoots.length > 0) return null;
  err('no compatible roots found\n');
  return FAILURE_1X;
}
