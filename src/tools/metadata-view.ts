/**
 * The thin tools' tolerant view of dm-thin metadata bytes, over the one metadata walker
 * (format/metadata-walker.ts). Unlike the kernel's reader, which stops at the first damage, the
 * tools must carry on past a damaged subtree and report it the way thin_check 0.9.0 does
 * ("missing devices: [0, -]" followed by the reason), and thin_dump --repair must dump whatever
 * is still readable. So the walker's damage is worded here and handed to a callback with its key
 * range, and the walk goes on.
 */
import type { NodeHeader, NodeProblem } from '../format/btree-node.js';
import {
  BITMAP_CSUM_XOR,
  BLOCK_SIZE,
  DETAILS_VALUE_SIZE,
  ENTRIES_PER_BITMAP,
  getBlockTime,
  INDEX_CSUM_XOR,
  INDEX_ENTRY_SIZE,
  INTERNAL_NODE,
  MAPPING_VALUE_SIZE,
  METADATA_INDEX_ENTRIES,
  REFCOUNT_VALUE_SIZE,
  ROOT_VALUE_SIZE,
} from '../format/layout.js';
import {
  MetadataBlocks,
  type NodeDamage,
  type NodePlace,
  type RawSuperblock,
  readRawSuperblock,
  type SpaceMapRoot,
  walkBtree,
} from '../format/metadata-walker.js';

export type { RawSuperblock, SpaceMapRoot } from '../format/metadata-walker.js';

export interface DetailsValue {
  readonly mappedBlocks: number;
  readonly transactionId: bigint;
  readonly creationTime: number;
  readonly snapshottedTime: number;
}

/** One mapping entry as a bottom-tree leaf holds it (the model's mappings are `MappingTable`s). */
export interface LeafMapping {
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
  /** The damaged node, and what is wrong with it (a NodeProblem code, or 'loop'), for 1.1.0's words. */
  readonly block: number;
  readonly code: string;
}

/** The tools read a value too large for a safe integer as this impossible block (it is damage anyway). */
const impossible = (value: number): number => (value < 0 ? Number.MAX_SAFE_INTEGER : value);

/** A superblock's u64 fields with the tools' reading of values too large to fit. */
function tolerantSuperblock(sb: RawSuperblock): RawSuperblock {
  const sm = (r: SpaceMapRoot): SpaceMapRoot => ({
    nrBlocks: impossible(r.nrBlocks),
    nrAllocated: impossible(r.nrAllocated),
    bitmapRoot: impossible(r.bitmapRoot),
    refCountRoot: impossible(r.refCountRoot),
  });
  return {
    ...sb,
    blocknr: impossible(sb.blocknr),
    magic: impossible(sb.magic),
    heldRoot: impossible(sb.heldRoot),
    dataMappingRoot: impossible(sb.dataMappingRoot),
    deviceDetailsRoot: impossible(sb.deviceDetailsRoot),
    metadataNrBlocks: impossible(sb.metadataNrBlocks),
    dataSm: sm(sb.dataSm),
    metadataSm: sm(sb.metadataSm),
  };
}

/** A superblock copy past the end of the metadata reads as a block of zeros (a bad checksum). */
const ZERO_BLOCK = new MetadataBlocks(new Uint8Array(BLOCK_SIZE));

export class MetadataBytes extends MetadataBlocks {
  /**
   * With `wideKeys` (thin_check's view) keys above 2^53 are read, rounded, instead of being damage:
   * 0.9.0's keys are 64-bit. The tools that print keys keep them as damage, so that no rounded
   * key is ever printed as a device or block number.
   */
  constructor(
    bytes: Uint8Array,
    private readonly wideKeys = false,
    /** thin_dump 0.9.0's walks: a node below one-third full is no damage (see checkBtreeNode). */
    private readonly fewEntriesPass = false,
  ) {
    super(bytes);
  }

  /** A u64 followed as a block pointer: too large to fit reads as an impossible block. */
  pointer(offset: number): number {
    return impossible(this.u64(offset));
  }

  superblock(block = 0): RawSuperblock {
    const sb = readRawSuperblock(this, block) ?? { ...readRawSuperblock(ZERO_BLOCK, 0)!, block };
    return tolerantSuperblock(sb);
  }

  /**
   * Why a block of the given kind cannot be used, worded as thin_check 0.9.0 words it, or null.
   * The out-of-bounds message really is followed by an empty line in 0.9.0's output.
   */
  blockProblem(wide: number | bigint, xor: number, kind: string): string | null {
    // A u64 pointer past 2^53 is printed as the u64 it is, as 0.9.0 prints it (seed 17 case 1896).
    if (typeof wide === 'bigint' && wide >= BigInt(this.nrBlocks))
      return `block out of bounds (${wide} >= ${this.nrBlocks})\n`;
    const block = Number(wide);
    const sums = this.checksums(block, xor);
    if (sums === null) return `block out of bounds (${block} >= ${this.nrBlocks})\n`;
    return sums.stored === sums.computed ? null : `bad checksum in ${kind} (block ${block})`;
  }

  /**
   * blockProblem, then the block number the block records (bytes 8-15 of a space map bitmap or
   * index block), as 0.9.0's bitmap and index validators check it after the checksum. 1.1.0 reads
   * the same blocks without looking at that field (its thin_check passes seed 17 case 1423).
   */
  placedBlockProblem(wide: number | bigint, xor: number, kind: string, checkBlockNr: boolean): string | null {
    const problem = this.blockProblem(wide, xor, kind);
    if (problem !== null || !checkBlockNr) return problem;
    const block = Number(wide);
    return this.u64Big(block * BLOCK_SIZE + 8) === BigInt(block) ? null : `bad block nr in ${kind} (block ${block})`;
  }

  /**
   * Visits the leaf values of a btree in key order. A node that cannot be read is reported to
   * `onDamage` with the key range it covers, and the walk goes on with its siblings.
   */
  walkBtree(
    root: number,
    valueSize: number,
    visit: (key: number, valueOffset: number, keyOffset: number) => void,
    onDamage: (d: TreeDamage) => void,
    onNode: (block: number, place: NodePlace, header: NodeHeader) => void = () => undefined,
    wideKeys = this.wideKeys,
  ): void {
    walkBtree(this, root, valueSize, {
      surroundingKeys: true,
      wideKeys,
      fewEntriesPass: this.fewEntriesPass,
      node: (place, header) => onNode(place.block, place, header),
      entry: visit,
      damage: (d) => {
        const low = d.lastKey === null ? d.place.low : d.lastKey + 1;
        onDamage({
          low,
          high: d.place.high,
          reason: thinCheckReason(d),
          visitedBefore: d.entriesBefore,
          block: d.place.block,
          code: d.problem?.code ?? 'loop',
        });
      },
    });
  }

  /**
   * The device details by id. With `wideKeys` an id of 2^53 or more is read, rounded, instead of
   * being damage (0.9.0's thin_dump keeps details by u64 id): it can match no device of a mapping
   * tree whose ids are exact.
   */
  details(root: number, onDamage: (d: TreeDamage) => void, wideKeys = this.wideKeys): Map<number, DetailsValue> {
    const out = new Map<number, DetailsValue>();
    this.walkBtree(
      root,
      DETAILS_VALUE_SIZE,
      (id, v) => {
        out.set(id, {
          mappedBlocks: this.pointer(v),
          transactionId: this.u64Big(v + 8),
          creationTime: this.u32(v + 16),
          snapshottedTime: this.u32(v + 20),
        });
      },
      onDamage,
      undefined,
      wideKeys,
    );
    return out;
  }

  /** The top-level mapping tree: device id → root of its bottom tree (`wideKeys` as details'). */
  deviceRoots(root: number, onDamage: (d: TreeDamage) => void, wideKeys = this.wideKeys): Map<number, number> {
    const out = new Map<number, number>();
    this.walkBtree(root, ROOT_VALUE_SIZE, (id, v) => out.set(id, this.pointer(v)), onDamage, undefined, wideKeys);
    return out;
  }

  mappings(root: number, onDamage: (d: TreeDamage) => void): LeafMapping[] {
    const out: LeafMapping[] = [];
    this.forEachMapping(root, (vblock, dataBlock, time) => out.push({ vblock, dataBlock, time }), onDamage);
    return out;
  }

  /** Visits a bottom tree's mappings in order without building them (big dumps stream). */
  forEachMapping(
    root: number,
    visit: (vblock: number, dataBlock: number, time: number) => void,
    onDamage: (d: TreeDamage) => void,
  ): void {
    this.walkBtree(
      root,
      MAPPING_VALUE_SIZE,
      (vblock, v) => {
        const { dataBlock, time } = getBlockTime(this.dv, v);
        visit(vblock, dataBlock, time);
      },
      onDamage,
    );
  }

  /**
   * forEachMapping as 0.9.0's thin_dump reads keys, as u64s: a key of 2^53 or more is no damage
   * and is handed on exactly, as a bigint (seed 17 case 3145's origin_block 17732923532771370);
   * every other key stays a number, so the common path pays one comparison.
   */
  forEachMappingWide(
    root: number,
    visit: (vblock: number | bigint, dataBlock: number, time: number) => void,
    onDamage: (d: TreeDamage) => void,
  ): void {
    this.walkBtree(
      root,
      MAPPING_VALUE_SIZE,
      (vblock, v, k) => {
        const { dataBlock, time } = getBlockTime(this.dv, v);
        visit(vblock > Number.MAX_SAFE_INTEGER ? this.u64Big(k) : vblock, dataBlock, time);
      },
      onDamage,
      undefined,
      true,
    );
  }

  /**
   * The data space map's reference counts (overflow entries resolved), or the reason it cannot be
   * read, worded like thin_check.
   */
  dataCounts(sm: SpaceMapRoot): { ok: true; counts: Uint32Array } | { ok: false; reason: string } {
    const nr = sm.nrBlocks;
    if (Math.ceil(nr / ENTRIES_PER_BITMAP) > this.nrBlocks)
      return { ok: false, reason: 'data space map too large for the metadata' };
    const counts = new Uint32Array(nr);
    let reason: string | null = null;
    this.walkBtree(
      sm.bitmapRoot,
      INDEX_ENTRY_SIZE,
      (i, v) => {
        if (reason !== null) return;
        const block = this.pointer(v);
        reason = this.blockProblem(block, BITMAP_CSUM_XOR, 'space map bitmap');
        if (reason !== null) return;
        const first = i * ENTRIES_PER_BITMAP;
        const n = Math.max(0, Math.min(ENTRIES_PER_BITMAP, nr - first));
        this.bitmapEntries(block, n, counts, first);
      },
      (d) => {
        reason ??= d.reason;
      },
    );
    if (reason !== null) return { ok: false, reason };
    const overflow = this.overflow(sm.refCountRoot, counts);
    return overflow === null ? { ok: true, counts } : { ok: false, reason: overflow };
  }

  /**
   * The metadata space map's bitmap entries as they are, from its single index block (3: look in
   * the overflow tree). `indexRoot` is the index block's number as the superblock's u64 holds it,
   * so that one past 2^53 is printed whole.
   */
  metadataBitmapCounts(
    sm: SpaceMapRoot,
    checkBlockNr = false,
    indexRoot: number | bigint = sm.bitmapRoot,
  ): { ok: true; counts: Uint32Array } | { ok: false; reason: string } {
    const index = this.placedBlockProblem(indexRoot, INDEX_CSUM_XOR, 'metadata index block', checkBlockNr);
    if (index !== null) return { ok: false, reason: index };
    const nr = Math.min(sm.nrBlocks, METADATA_INDEX_ENTRIES * ENTRIES_PER_BITMAP);
    const counts = new Uint32Array(nr);
    const at = sm.bitmapRoot * BLOCK_SIZE;
    for (let i = 0; i * ENTRIES_PER_BITMAP < nr; i++) {
      const wide = this.u64Big(at + 16 + i * INDEX_ENTRY_SIZE);
      const problem = this.placedBlockProblem(wide, BITMAP_CSUM_XOR, 'space map bitmap', checkBlockNr);
      const block = Number(wide);
      if (problem !== null) return { ok: false, reason: problem };
      const first = i * ENTRIES_PER_BITMAP;
      this.bitmapEntries(block, Math.min(ENTRIES_PER_BITMAP, nr - first), counts, first);
    }
    return { ok: true, counts };
  }

  private overflow(root: number, counts: Uint32Array): string | null {
    let reason: string | null = null;
    this.walkBtree(
      root,
      REFCOUNT_VALUE_SIZE,
      (b, v) => {
        if (b < counts.length && counts[b] === 3) counts[b] = this.u32(v);
      },
      (d) => {
        reason ??= d.reason;
      },
    );
    return reason;
  }
}

/**
 * The walker's damage as thin_check 0.9.0 words it: a block past the end or with a bad checksum
 * first, then a loop (too deep, or a node met twice in one tree), then what the node says.
 */
function thinCheckReason(d: NodeDamage): string {
  const block = d.place.block;
  const early = d.problem !== null && (d.problem.code === 'out-of-bounds' || d.problem.code === 'checksum');
  if (!early && d.loop !== null) return `btree loop at block ${block}`;
  return thinCheckWords(block, d.problem!);
}

/**
 * A node problem as 0.9.0 words it (btree-node-0.ts, which thin_check's own walk uses, has the
 * same words; the out-of-bounds line really ends in a newline). An empty internal node is damage
 * because 0.9.0 asks for its first key (node_ref::key_at throws). The walker checks the flags
 * before the block number, 0.9.0 the other way round: a node with both wrong is worded by its
 * flags here.
 */
function thinCheckWords(block: number, p: NodeProblem): string {
  switch (p.code) {
    case 'out-of-bounds':
      return `block out of bounds (${block} >= ${p.nrBlocks})\n`;
    case 'checksum':
      return `bad checksum in btree node (block ${block})`;
    case 'flags':
      return (p.flags & INTERNAL_NODE) !== 0
        ? `btree node is both internal and leaf (block ${block})`
        : `unknown node type (block ${block})`;
    case 'blocknr':
      return `bad block nr in btree node (block = ${block})`;
    case 'value-size':
      return `value size mismatch: expected ${p.expected}, but got ${p.found} (block ${block}).`;
    case 'max-entries-too-large':
      return `max entries too large: ${p.maxEntries} (block ${block})`;
    case 'max-entries-not-divisible':
      return `max entries is not divisible by 3: ${p.maxEntries} (block ${block})`;
    case 'too-many-entries':
      return `bad nr_entries: ${p.nrEntries} < ${p.maxEntries} (block ${block})`;
    case 'too-few-entries':
      return `too few entries in btree_node: ${p.nrEntries}, expected at least ${Math.floor(p.maxEntries / 3)} (block ${block}, max_entries = ${p.maxEntries})`;
    case 'keys-out-of-order':
      return `keys are out of order, ${p.next} <= ${p.previous} (block ${block})`;
    case 'parent-key':
      return `parent key mismatch: parent was ${p.parent}, but lowest in node was ${p.lowest} (block ${block})`;
    case 'leaf-key-overlap':
      return `the last key of the previous leaf was ${p.last} and the first key of this leaf is ${p.first} (block ${block})`;
    case 'key-too-large':
      return `key too large in btree node (block ${block})`;
    default:
      return 'key index out of bounds';
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
    if (
      r !== null &&
      vblock === r.vbegin + r.length &&
      dataBlock === r.dbegin + r.length &&
      (!this.sameTime || time === r.time)
    ) {
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

export function mappingRuns(mappings: readonly LeafMapping[], sameTime: boolean): MappingRun[] {
  const runs: MappingRun[] = [];
  const merger = new RunMerger(sameTime, (r) => runs.push(r));
  for (const m of mappings) merger.add(m.vblock, m.dataBlock, m.time);
  merger.flush();
  return runs;
}
