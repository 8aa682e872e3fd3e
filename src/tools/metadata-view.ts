/**
 * A tolerant view of dm-thin metadata bytes for the lab's thin-provisioning-tools. Unlike
 * `readMetadataImage`, which stops at the first damage, the tools must carry on past a damaged
 * subtree and report it the way thin_check 0.9.0 does ("missing devices: [0, -]" followed by
 * the reason), and thin_dump --repair must dump whatever is still readable. So this module walks
 * the trees itself and hands every damaged subtree to a callback with its key range.
 */
import { checkBtreeNode, type NodeProblem } from '../format/btree-node.js';
import { dmChecksum } from '../format/crc32c.js';
import {
  BITMAP_CSUM_XOR,
  BITMAP_HEADER,
  BLOCK_SIZE,
  DETAILS_VALUE_SIZE,
  ENTRIES_PER_BITMAP,
  getBitmapEntry,
  getBlockTime,
  getU64,
  INDEX_CSUM_XOR,
  INDEX_ENTRY_SIZE,
  LEAF_NODE,
  MAPPING_VALUE_SIZE,
  NODE,
  REFCOUNT_VALUE_SIZE,
  ROOT_VALUE_SIZE,
  SB,
  SM_ROOT,
  SUPERBLOCK_CSUM_XOR,
} from '../format/layout.js';

/** The superblock fields the tools print or follow, read without validation. */
export interface RawSuperblock {
  readonly block: number;
  readonly storedCsum: number;
  /** The checksum the block's contents give: what thin_check says it "wanted". */
  readonly computedCsum: number;
  readonly flags: number;
  readonly magic: number;
  readonly version: number;
  readonly time: number;
  readonly transactionId: bigint;
  readonly heldRoot: number;
  readonly dataMappingRoot: number;
  readonly deviceDetailsRoot: number;
  readonly dataBlockSize: number;
  readonly metadataNrBlocks: number;
  readonly dataSm: SpaceMapRoot;
  readonly metadataSm: SpaceMapRoot;
}

export interface SpaceMapRoot {
  readonly nrBlocks: number;
  readonly nrAllocated: number;
  readonly bitmapRoot: number;
  readonly refCountRoot: number;
}

export interface DetailsValue {
  readonly mappedBlocks: number;
  readonly transactionId: bigint;
  readonly creationTime: number;
  readonly snapshottedTime: number;
}

export interface Mapping {
  readonly vblock: number;
  readonly dataBlock: number;
  readonly time: number;
}

/**
 * A damaged subtree: the keys it would have held (`high` null = to the end), why, and how many
 * leaf entries the walk had visited before it. As in 0.9.0, `low` is one past the last key seen
 * before the damage (or the parent's bound when none was), not the damaged node's own key.
 */
export interface TreeDamage {
  readonly low: number;
  readonly high: number | null;
  readonly reason: string;
  readonly visitedBefore: number;
}

export class MetadataBytes {
  readonly dv: DataView;
  readonly nrBlocks: number;

  constructor(readonly bytes: Uint8Array) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.nrBlocks = Math.floor(bytes.length / BLOCK_SIZE);
  }

  u64(offset: number): number {
    // Values too large for a double are treated as an impossible block (they are damage anyway).
    const v = getU64(this.dv, offset);
    return v < 0 ? Number.MAX_SAFE_INTEGER : v;
  }

  superblock(block = 0): RawSuperblock {
    const at = block * BLOCK_SIZE;
    const dv = this.dv;
    const sm = (offset: number): SpaceMapRoot => ({
      nrBlocks: this.u64(at + offset + SM_ROOT.nrBlocks),
      nrAllocated: this.u64(at + offset + SM_ROOT.nrAllocated),
      bitmapRoot: this.u64(at + offset + SM_ROOT.bitmapRoot),
      refCountRoot: this.u64(at + offset + SM_ROOT.refCountRoot),
    });
    return {
      block,
      storedCsum: dv.getUint32(at + SB.csum, true),
      computedCsum: dmChecksum(this.bytes, at + 4, at + BLOCK_SIZE, SUPERBLOCK_CSUM_XOR),
      flags: dv.getUint32(at + SB.flags, true),
      magic: this.u64(at + SB.magic),
      version: dv.getUint32(at + SB.version, true),
      time: dv.getUint32(at + SB.time, true),
      transactionId: dv.getBigUint64(at + SB.transId, true),
      heldRoot: this.u64(at + SB.heldRoot),
      dataMappingRoot: this.u64(at + SB.dataMappingRoot),
      deviceDetailsRoot: this.u64(at + SB.deviceDetailsRoot),
      dataBlockSize: dv.getUint32(at + SB.dataBlockSize, true),
      metadataNrBlocks: this.u64(at + SB.metadataNrBlocks),
      dataSm: sm(SB.dataSpaceMapRoot),
      metadataSm: sm(SB.metadataSpaceMapRoot),
    };
  }

  /**
   * Why a block of the given kind cannot be used, worded as thin_check 0.9.0 words it, or null.
   * The out-of-bounds message really is followed by an empty line in 0.9.0's output.
   */
  blockProblem(block: number, xor: number, kind: string): string | null {
    if (block >= this.nrBlocks) return `block out of bounds (${block} >= ${this.nrBlocks})\n`;
    const at = block * BLOCK_SIZE;
    if (this.dv.getUint32(at, true) !== dmChecksum(this.bytes, at + 4, at + BLOCK_SIZE, xor)) {
      return `bad checksum in ${kind} (block ${block})`;
    }
    return null;
  }

  /**
   * Visits the leaf values of a btree in key order. A node that cannot be read is reported to
   * `onDamage` with the key range it covers, and the walk goes on with its siblings.
   */
  walkBtree(
    root: number,
    valueSize: number,
    visit: (key: number, valueOffset: number) => void,
    onDamage: (d: TreeDamage) => void,
    onNode: (block: number) => void = () => undefined,
  ): void {
    const visited = new Set<number>();
    let lastKey: number | null = null;
    let count = 0;
    const walk = (block: number, depth: number, low: number, high: number | null): void => {
      const problem = this.nodeProblem(block, depth, valueSize, visited);
      if (problem !== null) {
        onDamage({ low: lastKey === null ? low : lastKey + 1, high, reason: problem, visitedBefore: count });
        return;
      }
      visited.add(block);
      onNode(block);
      const at = block * BLOCK_SIZE;
      const dv = this.dv;
      const nr = dv.getUint32(at + NODE.nrEntries, true);
      const max = dv.getUint32(at + NODE.maxEntries, true);
      const leaf = dv.getUint32(at + NODE.flags, true) === LEAF_NODE;
      const vsize = leaf ? valueSize : ROOT_VALUE_SIZE;
      const keyBase = at + NODE.header;
      const valueBase = keyBase + max * 8;
      for (let i = 0; i < nr; i++) {
        const key = this.u64(keyBase + i * 8);
        if (leaf) {
          lastKey = key;
          count++;
          visit(key, valueBase + i * vsize);
        }
        else {
          const next = i + 1 < nr ? this.u64(keyBase + (i + 1) * 8) : high;
          walk(this.u64(valueBase + i * 8), depth + 1, i === 0 ? low : key, next);
        }
      }
    };
    walk(root, 0, 0, null);
  }

  private nodeProblem(block: number, depth: number, valueSize: number, visited: Set<number>): string | null {
    const checked = checkBtreeNode(this.bytes, this.dv, block, valueSize, depth === 0);
    const early = !checked.ok && (checked.problem.code === 'out-of-bounds' || checked.problem.code === 'checksum');
    if (!early && (depth > 16 || visited.has(block))) return `btree loop at block ${block}`;
    return checked.ok ? null : thinCheckWords(block, checked.problem);
  }

  details(root: number, onDamage: (d: TreeDamage) => void): Map<number, DetailsValue> {
    const out = new Map<number, DetailsValue>();
    this.walkBtree(root, DETAILS_VALUE_SIZE, (id, v) => {
      out.set(id, {
        mappedBlocks: this.u64(v),
        transactionId: this.dv.getBigUint64(v + 8, true),
        creationTime: this.dv.getUint32(v + 16, true),
        snapshottedTime: this.dv.getUint32(v + 20, true),
      });
    }, onDamage);
    return out;
  }

  /** The top-level mapping tree: device id → root of its bottom tree. */
  deviceRoots(root: number, onDamage: (d: TreeDamage) => void): Map<number, number> {
    const out = new Map<number, number>();
    this.walkBtree(root, ROOT_VALUE_SIZE, (id, v) => out.set(id, this.u64(v)), onDamage);
    return out;
  }

  mappings(root: number, onDamage: (d: TreeDamage) => void): Mapping[] {
    const out: Mapping[] = [];
    this.forEachMapping(root, (vblock, dataBlock, time) => out.push({ vblock, dataBlock, time }), onDamage);
    return out;
  }

  /** Visits a bottom tree's mappings in order without building them (big dumps stream). */
  forEachMapping(root: number, visit: (vblock: number, dataBlock: number, time: number) => void, onDamage: (d: TreeDamage) => void): void {
    this.walkBtree(root, MAPPING_VALUE_SIZE, (vblock, v) => {
      const { dataBlock, time } = getBlockTime(this.dv, v);
      visit(vblock, dataBlock, time);
    }, onDamage);
  }

  /**
   * The data space map's reference counts (overflow entries resolved), or the reason it cannot be
   * read, worded like thin_check.
   */
  dataCounts(sm: SpaceMapRoot): { ok: true; counts: Uint32Array } | { ok: false; reason: string } {
    const nr = sm.nrBlocks;
    if (Math.ceil(nr / ENTRIES_PER_BITMAP) > this.nrBlocks) return { ok: false, reason: 'data space map too large for the metadata' };
    const counts = new Uint32Array(nr);
    let reason: string | null = null;
    this.walkBtree(sm.bitmapRoot, INDEX_ENTRY_SIZE, (i, v) => {
      if (reason !== null) return;
      const block = this.u64(v);
      reason = this.blockProblem(block, BITMAP_CSUM_XOR, 'space map bitmap');
      if (reason !== null) return;
      const first = i * ENTRIES_PER_BITMAP;
      const n = Math.max(0, Math.min(ENTRIES_PER_BITMAP, nr - first));
      for (let e = 0; e < n; e++) counts[first + e] = getBitmapEntry(this.bytes, block * BLOCK_SIZE + BITMAP_HEADER, e);
    }, (d) => {
      reason ??= d.reason;
    });
    if (reason !== null) return { ok: false, reason };
    const overflow = this.overflow(sm.refCountRoot, counts);
    return overflow === null ? { ok: true, counts } : { ok: false, reason: overflow };
  }

  /** The metadata space map's counts, from its single index block. */
  metadataCounts(sm: SpaceMapRoot): { ok: true; counts: Uint32Array } | { ok: false; reason: string } {
    const index = this.blockProblem(sm.bitmapRoot, INDEX_CSUM_XOR, 'metadata index block');
    if (index !== null) return { ok: false, reason: index };
    const nr = Math.min(sm.nrBlocks, 255 * ENTRIES_PER_BITMAP);
    const counts = new Uint32Array(nr);
    const at = sm.bitmapRoot * BLOCK_SIZE;
    for (let i = 0; i * ENTRIES_PER_BITMAP < nr; i++) {
      const block = this.u64(at + 16 + i * INDEX_ENTRY_SIZE);
      const problem = this.blockProblem(block, BITMAP_CSUM_XOR, 'space map bitmap');
      if (problem !== null) return { ok: false, reason: problem };
      const first = i * ENTRIES_PER_BITMAP;
      const n = Math.min(ENTRIES_PER_BITMAP, nr - first);
      for (let e = 0; e < n; e++) counts[first + e] = getBitmapEntry(this.bytes, block * BLOCK_SIZE + BITMAP_HEADER, e);
    }
    const overflow = this.overflow(sm.refCountRoot, counts);
    return overflow === null ? { ok: true, counts } : { ok: false, reason: overflow };
  }

  private overflow(root: number, counts: Uint32Array): string | null {
    let reason: string | null = null;
    this.walkBtree(root, REFCOUNT_VALUE_SIZE, (b, v) => {
      if (b < counts.length && counts[b] === 3) counts[b] = this.dv.getUint32(v, true);
    }, (d) => {
      reason ??= d.reason;
    });
    return reason;
  }

  /** Blocks of the btree at `root` (for counting metadata references). */
  treeBlocks(root: number, valueSize: number): number[] {
    const blocks: number[] = [];
    this.walkBtree(root, valueSize, () => undefined, () => undefined, (b) => blocks.push(b));
    return blocks;
  }
}

/** A node problem as thin_check 0.9.0 words it (the out-of-bounds line really ends in a newline). */
function thinCheckWords(block: number, p: NodeProblem): string {
  switch (p.code) {
    case 'out-of-bounds':
      return `block out of bounds (${block} >= ${p.nrBlocks})\n`;
    case 'checksum':
      return `bad checksum in btree node (block ${block})`;
    case 'flags':
      return `bad flags in btree node (block ${block})`;
    case 'blocknr':
      return `blocknr mismatch in btree node (block ${block})`;
    case 'value-size':
      return `value size mismatch in btree node (block ${block})`;
    case 'too-few-entries':
      return `too few entries in btree_node: ${p.nrEntries}, expected at least ${Math.floor(p.maxEntries / 3)} (block ${block}, max_entries = ${p.maxEntries})`;
    case 'keys-out-of-order':
      return `keys are out of order, ${p.next} <= ${p.previous} (block ${block})`;
    case 'key-too-large':
      return `key too large in btree node (block ${block})`;
    default:
      return `bad nr_entries in btree node (block ${block})`;
  }
}

/** thin_check's way of printing a key range: "[0, -]" when it runs to the end. */
export function formatRange(d: TreeDamage): string {
  return `[${d.low}, ${d.high === null ? '-' : d.high}]`;
}

/** Groups sorted mappings into runs where both the virtual and the data block go up by one. */
/** A run of mappings that continue each other: virtual and data blocks both consecutive. */
export interface MappingRun {
  vbegin: number;
  dbegin: number;
  length: number;
  time: number;
}

/**
 * Merges mappings, given in virtual-block order, into runs as they arrive, handing each run on
 * when it ends: a dump of a million mappings then needs no array of them. With `sameTime` a run
 * also needs one time stamp throughout, as thin_dump's runs do; thin_delta's do not.
 */
export class RunMerger {
  private run: MappingRun | null = null;

  constructor(
    private readonly sameTime: boolean,
    private readonly emit: (run: MappingRun) => void,
  ) {}

  add(vblock: number, dataBlock: number, time: number): void {
    const r = this.run;
    if (r !== null && vblock === r.vbegin + r.length && dataBlock === r.dbegin + r.length && (!this.sameTime || time === r.time)) {
      r.length++;
      return;
    }
    if (r !== null) this.emit(r);
    this.run = { vbegin: vblock, dbegin: dataBlock, length: 1, time };
  }

  /** Hands on the run in progress; the merger is then empty. */
  flush(): void {
    if (this.run !== null) this.emit(this.run);
    this.run = null;
  }
}

export function mappingRuns(mappings: readonly Mapping[], sameTime: boolean): MappingRun[] {
  const runs: MappingRun[] = [];
  const merger = new RunMerger(sameTime, (r) => runs.push(r));
  for (const m of mappings) merger.add(m.vblock, m.dataBlock, m.time);
  merger.flush();
  return runs;
}
