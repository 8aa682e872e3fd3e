/**
 * Where Linux 6.1's dm-thin puts each metadata block, modelled as the kernel decides it: the
 * transaction manager (dm-transaction-manager.c: a block is shadowed, copied to a new block, once
 * per transaction), the metadata space map's allocator (dm-space-map-metadata.c: next-fit from a
 * cursor that a commit does not reset, over blocks free in both the committed and the current
 * map, with the recursion of its own bitmap updates queued as the kernel's `bops`), the data space
 * map's bitmaps and index, and the btrees of dm-thin-metadata.c, with snapshots sharing a device's
 * mapping tree (its root's count raised) until a write shadows the path it changes. A device's
 * mapping tree is kept node by node (keys, and data blocks or children) and changed as
 * dm-btree.c and dm-btree-remove.c change it (metadata-btree.ts): splits, rebalancing, merges.
 *
 * Pure model code, driven by the operations the lab's metadata already does (format, resize of the
 * data and metadata devices, create thin and snapshot, insert and remove a mapping, delete, commit,
 * rollback, the metadata snapshot). Every tree is kept node by node: the devices' mapping trees,
 * the top-level tree of their roots, the details tree, the data space map's index (behind the
 * kernel's cache of index entries) and both space maps' overflow trees. What still makes the layout
 * inexact (`inexactReason`, after which the writer falls back to its compact layout): a full
 * metadata device, counts the lab and the kernel keep differently. (A metadata device never shrinks
 * under a live pool, which refuses to resume on it, nor outgrows one index block: the kernel uses
 * the first 4,161,600 blocks of a larger one.) The measurements behind it are in docs/metadata-layout.md
 * (fixtures/kernel-probes/95-98, 100 and 171).
 */
import { ENTRIES_PER_BITMAP, METADATA_INDEX_ENTRIES } from '../format/layout.js';
import { assert } from './assert.js';
import {
  type BtreeTransaction,
  btreeDel,
  btreeInsert,
  btreeRemove,
  btreeUpdate,
  lowerBound as lowerBoundOf,
  reachableNodes,
  type TreeName,
  type TreeNode,
} from './metadata-btree.js';

/** The data space map's cache of index entries (dm-space-map-common.c IE_CACHE_SIZE). */
const IE_CACHE_SIZE = 64;

/** The cache slot of a bitmap's index entry: dm_hash_block(index, IE_CACHE_MASK), a multiply by 2^32 - 5. */
function ieCacheSlot(index: number): number {
  return (((-5 * (index % IE_CACHE_SIZE)) % IE_CACHE_SIZE) + IE_CACHE_SIZE) % IE_CACHE_SIZE;
}

/** One slot of that cache: the bitmap whose entry it holds, and whether the index tree has it yet. */
interface IeCacheSlot {
  index: number;
  dirty: boolean;
}

/** One bitmap's index entry (struct disk_index_entry) as the kernel keeps it up to date. */
export interface IndexEntryPlan {
  readonly block: number;
  readonly nrFree: number;
  readonly noneFreeBefore: number;
}

/**
 * One node of a device's mapping tree as the kernel left it: a leaf's values are data blocks, an
 * internal node's the blocks of its children. Nodes are never changed once committed (a change
 * shadows them to a new block), so plans share them.
 */
export interface TreeNodePlan {
  readonly tree: TreeName;
  readonly leaf: boolean;
  readonly keys: readonly number[];
  readonly values: readonly number[];
}

/** The trees a metadata snapshot (`reserve_metadata_snap`) holds, by block. */
export interface HeldPlan {
  readonly block: number;
  readonly mappingRoot: number;
  readonly detailsRoot: number;
  readonly deviceRoots: ReadonlyMap<number, number>;
}

/**
 * The committed layout: where each structure of a metadata image lives and the counts of both
 * space maps as the kernel keeps them (a data block's count is the number of mapping leaves that
 * hold it, so a leaf shared by a snapshot counts once).
 */
export interface MetadataPlan {
  readonly metadataNrBlocks: number;
  readonly metadataIndex: number;
  readonly metadataBitmaps: readonly IndexEntryPlan[];
  readonly metadataCounts: ReadonlyMap<number, number>;
  readonly metadataAllocated: number;
  readonly metadataRefCountRoot: number;
  readonly nrDataBlocks: number;
  readonly dataBitmaps: readonly IndexEntryPlan[];
  readonly dataCounts: ReadonlyMap<number, number>;
  readonly dataAllocated: number;
  readonly dataIndexRoot: number;
  readonly dataRefCountRoot: number;
  readonly mappingRoot: number;
  readonly detailsRoot: number;
  readonly deviceRoots: ReadonlyMap<number, number>;
  readonly held: HeldPlan | null;
  /** Every node of every live and held tree (mapping, top-level, details, data index, overflow), by block. */
  readonly nodes: ReadonlyMap<number, TreeNodePlan>;
}

interface MutableEntry {
  block: number;
  nrFree: number;
  noneFreeBefore: number;
}

/** One space map's counts and bitmaps (struct ll_disk), metadata or data. */
export class SpaceMapBlocks {
  counts = new Map<number, number>();
  allocated = 0;
  bitmaps: MutableEntry[] = [];
  /** The bitmap index changed since the last commit (`bitmap_index_changed`, the data map's ie cache). */
  indexChanged = false;
  refCountRoot = 0;
  nrBlocks = 0;

  count(b: number): number {
    return this.counts.get(b) ?? 0;
  }

  /** Sets a count and keeps the index entry as sm_ll_inc/dec do (none_free_before only moves back on a free). */
  setCount(b: number, next: number): void {
    const old = this.count(b);
    const entry = this.bitmaps[Math.floor(b / ENTRIES_PER_BITMAP)]!;
    const bit = b % ENTRIES_PER_BITMAP;
    if (old === 0 && next > 0) {
      this.allocated++;
      entry.nrFree--;
      if (entry.noneFreeBefore === bit) entry.noneFreeBefore = bit + 1;
    } else if (old > 0 && next === 0) {
      this.allocated--;
      entry.nrFree++;
      if (entry.noneFreeBefore > bit) entry.noneFreeBefore = bit;
    }
    if (next === 0) this.counts.delete(b);
    else this.counts.set(b, next);
    this.indexChanged = true;
  }

  /**
   * New bitmaps for blocks up to `nrBlocks`; each entry starts with a whole bitmap free, as
   * sm_ll_extend writes it, and is saved (`saved`, the space map's save_ie) after its block.
   */
  extend(nrBlocks: number, newBlock: () => number, saved: (index: number) => void = () => {}): void {
    const before = Math.ceil(this.nrBlocks / ENTRIES_PER_BITMAP);
    const after = Math.ceil(nrBlocks / ENTRIES_PER_BITMAP);
    this.nrBlocks = nrBlocks;
    for (let i = before; i < after; i++) {
      this.bitmaps.push({ block: newBlock(), nrFree: ENTRIES_PER_BITMAP, noneFreeBefore: 0 });
      this.indexChanged = true;
      saved(i);
    }
  }

  static of(
    nrBlocks: number,
    bitmaps: readonly IndexEntryPlan[],
    counts: ReadonlyMap<number, number>,
    refCountRoot: number,
    allocated = counts.size,
  ): SpaceMapBlocks {
    const sm = new SpaceMapBlocks();
    sm.nrBlocks = nrBlocks;
    sm.bitmaps = bitmaps.map((e) => ({ ...e }));
    sm.counts = new Map(counts);
    sm.allocated = allocated;
    sm.refCountRoot = refCountRoot;
    return sm;
  }

  clone(): SpaceMapBlocks {
    const c = new SpaceMapBlocks();
    c.counts = new Map(this.counts);
    c.allocated = this.allocated;
    c.bitmaps = this.bitmaps.map((e) => ({ ...e }));
    c.indexChanged = this.indexChanged;
    c.refCountRoot = this.refCountRoot;
    c.nrBlocks = this.nrBlocks;
    return c;
  }
}

type BlockOp = readonly ['inc' | 'dec', number];

/** The parts of the allocator a commit freezes and a rollback returns to. */
interface Committed {
  readonly meta: SpaceMapBlocks;
  readonly data: SpaceMapBlocks;
  readonly metadataIndex: number;
  readonly dataIndexRoot: number;
  readonly mappingRoot: number;
  readonly detailsRoot: number;
  readonly deviceRoots: ReadonlyMap<number, number>;
  readonly held: HeldPlan | null;
}

export class MetadataAllocator {
  /** The current space map (`ll`) and the one committed (`old_ll`). */
  private meta = new SpaceMapBlocks();
  private committedMetaCounts = new Map<number, number>();
  private data = new SpaceMapBlocks();
  /** Where the next metadata allocation starts searching (`smm->begin`). */
  private begin = 0;
  /**
   * sm_metadata_extend's bootstrap mode: blocks are handed out from `begin` on without being
   * counted, and every count change is queued, until the new area's blocks are counted.
   */
  private bootstrap = false;
  /** Blocks allocated or shadowed in this transaction: changed in place (the tm's shadow table). */
  private shadowed = new Set<number>();
  private recursion = 0;
  /** Blocks allocated since the last commit (`allocated_this_transaction`), for the free count. */
  private allocatedThisTransaction = 0;
  /**
   * The blocks the last commit allocated itself (the details tree's path, the data space map's
   * index entries, the metadata space map's index block), each one allocation at which the space
   * map checks its low-water threshold (ThinPool's commit dip).
   */
  lastCommitAllocations = 0;
  private readonly bops: BlockOp[] = [];
  private metadataIndex = 0;
  private dataIndexRoot = 0;
  private mappingRoot = 0;
  private detailsRoot = 0;
  private deviceRoots = new Map<number, number>();
  /** The nodes of every tree, by block: those committed, held, and this transaction's. */
  private nodes = new Map<number, TreeNode>();
  /** Devices whose details a commit writes (`td->changed`). */
  private readonly changedDetails = new Set<number>();
  /**
   * The devices the kernel has open (`pmd->thin_devices`), most recently opened first: the order
   * in which a commit writes their details (__write_changed_details).
   */
  private openDevices: number[] = [];
  /** The data space map's index entry cache, by slot (null: empty). */
  private ieCache: Array<IeCacheSlot | null> = new Array<IeCacheSlot | null>(IE_CACHE_SIZE).fill(null);
  /** The metadata device grew in this transaction: a commit writes its new size even with nothing else changed. */
  private resized = false;
  private held: HeldPlan | null = null;
  private committed: Committed | null = null;
  /**
   * The metadata device ran out of free blocks in this transaction. The kernel fails the operation
   * and aborts the transaction (the pool goes read-only), so nothing more is followed until the
   * rollback takes the allocator back to its last commit; a commit instead ends the following.
   */
  private exhausted = false;
  /** Why the layout stopped following the kernel's, or null while it is exact. */
  inexactReason: string | null = null;

  /**
   * A freshly formatted metadata device, as __format_metadata leaves it after its first commit:
   * the bootstrap allocator hands out the index, the metadata count tree and the bitmaps from block
   * 1, then the data space map's index and count trees and the empty mapping and details trees.
   */
  static format(metadataNrBlocks: number): MetadataAllocator {
    const a = new MetadataAllocator();
    const nrBitmaps = Math.ceil(metadataNrBlocks / ENTRIES_PER_BITMAP);
    assert(nrBitmaps <= METADATA_INDEX_ENTRIES, 'the metadata device fits one index block');
    a.meta.nrBlocks = metadataNrBlocks;
    a.metadataIndex = 1;
    a.meta.refCountRoot = 2;
    a.nodes.set(2, emptyLeaf('metadata-overflow'));
    for (let i = 0; i < nrBitmaps; i++)
      a.meta.bitmaps.push({ block: 3 + i, nrFree: ENTRIES_PER_BITMAP, noneFreeBefore: 0 });
    a.begin = 3 + nrBitmaps;
    for (let b = 0; b < a.begin; b++) a.shadowed.add(b);
    // The bootstrap allocations are counted together once the real allocator takes over.
    for (let b = 0; b < a.begin; b++) a.bops.push(['inc', b]);
    a.applyBops();
    a.dataIndexRoot = a.tx.newNode(emptyLeaf('index'));
    a.data.refCountRoot = a.tx.newNode(emptyLeaf('data-overflow'));
    a.mappingRoot = a.tx.newNode(emptyLeaf('top'));
    a.detailsRoot = a.tx.newNode(emptyLeaf('details'));
    a.commit();
    return a;
  }

  /**
   * The allocator of metadata the lab wrote with this layout, reopened as the kernel opens it: the
   * committed state, with the search cursor back at 0 (sm_metadata_open).
   */
  static open(plan: MetadataPlan): MetadataAllocator {
    const a = new MetadataAllocator();
    a.adopt({
      ...plan,
      meta: SpaceMapBlocks.of(
        plan.metadataNrBlocks,
        plan.metadataBitmaps,
        plan.metadataCounts,
        plan.metadataRefCountRoot,
        plan.metadataAllocated,
      ),
      data: SpaceMapBlocks.of(
        plan.nrDataBlocks,
        plan.dataBitmaps,
        plan.dataCounts,
        plan.dataRefCountRoot,
        plan.dataAllocated,
      ),
    });
    for (const [b, n] of plan.nodes)
      a.nodes.set(b, { tree: n.tree, leaf: n.leaf, keys: [...n.keys], values: [...n.values] });
    a.commit();
    return a;
  }

  /** Takes a committed state as the current one (a plan opened, or a rollback), copying what later changes. */
  private adopt(c: Committed): void {
    this.meta = c.meta.clone();
    this.data = c.data.clone();
    this.metadataIndex = c.metadataIndex;
    this.dataIndexRoot = c.dataIndexRoot;
    this.mappingRoot = c.mappingRoot;
    this.detailsRoot = c.detailsRoot;
    this.deviceRoots = new Map(c.deviceRoots);
    this.held = c.held;
    // A reopened space map starts with an empty index entry cache.
    this.ieCache = new Array<IeCacheSlot | null>(IE_CACHE_SIZE).fill(null);
  }

  /** Whether this transaction ran out of metadata blocks (and the allocator waits for the rollback). */
  get outOfBlocks(): boolean {
    return this.exhausted;
  }

  /** Whether the data space map counts block `b` (a block the pool allocated and has not freed). */
  countsData(b: number): boolean {
    return this.data.count(b) > 0;
  }

  // ---- the transaction manager and the metadata space map ----

  private freeInBoth(b: number): boolean {
    return this.meta.count(b) === 0 && !this.committedMetaCounts.has(b);
  }

  /** sm_metadata_new_block: next-fit from `begin`, then from 0; in bootstrap mode the next block, uncounted. */
  private newBlock(): number {
    if (this.bootstrap) return this.bootstrapBlock();
    let found = -1;
    for (let b = this.begin; b < this.meta.nrBlocks && found < 0; b++) if (this.freeInBoth(b)) found = b;
    for (let b = 0; b < this.begin && found < 0; b++) if (this.freeInBoth(b)) found = b;
    if (found < 0) {
      this.exhausted = true;
      return 0;
    }
    this.begin = found + 1;
    this.allocatedThisTransaction++;
    this.incBlock(found);
    this.shadowed.add(found);
    return found;
  }

  /** sm_bootstrap_new_block: the whole new area is free, so the next block is taken as it is. */
  private bootstrapBlock(): number {
    if (this.begin >= this.meta.nrBlocks) {
      this.exhausted = true;
      return 0;
    }
    const block = this.begin++;
    this.shadowed.add(block);
    return block;
  }

  private incBlock(b: number): void {
    this.blockOp(['inc', b]);
  }

  private decBlock(b: number): void {
    this.blockOp(['dec', b]);
  }

  /** Inside a space map update (or in bootstrap mode) the change is queued and applied when the outermost one ends. */
  private blockOp(op: BlockOp): void {
    if (this.recursion > 0 || this.bootstrap) {
      this.bops.push(op);
      return;
    }
    this.recursion++;
    this.applyOp(op);
    if (this.recursion === 1) this.applyBops();
    this.recursion--;
  }

  private applyBops(): void {
    // The kernel looks at a queued op, applies it and only then drops it, so a count it reads
    // meanwhile still sees the op as pending.
    while (this.bops.length > 0) {
      this.recursion++;
      this.applyOp(this.bops[0]!);
      this.recursion--;
      this.bops.shift();
    }
  }

  private applyOp([kind, b]: BlockOp): void {
    const old = this.meta.count(b);
    assert(kind === 'inc' || old > 0, `metadata block ${b} decremented below 0`);
    this.changeCount(this.meta, b, kind === 'inc' ? old + 1 : old - 1);
  }

  /**
   * sm_ll_inc/dec: the index entry loaded and the bitmap shadowed; a count going above 2 is
   * inserted into the overflow tree, one changing above 2 has its leaf shadowed
   * (btree_get_overwrite_leaf), one going back to 2 is removed from it; the entry saved.
   */
  private changeCount(sm: SpaceMapBlocks, b: number, next: number): void {
    const i = Math.floor(b / ENTRIES_PER_BITMAP);
    const entry = sm.bitmaps[i];
    assert(entry !== undefined, `block ${b} is beyond the space map`);
    const isData = sm === this.data;
    if (isData) this.loadIe(i);
    entry.block = this.shadow(entry.block).block;
    const old = sm.count(b);
    sm.setCount(b, next);
    if (old <= 2 && next > 2) sm.refCountRoot = btreeInsert(this.tx, sm.refCountRoot, b, 0).root;
    else if (old > 2) {
      sm.refCountRoot = btreeUpdate(this.tx, sm.refCountRoot, b, () => {});
      if (next <= 2) sm.refCountRoot = btreeRemove(this.tx, sm.refCountRoot, b);
    }
    if (isData) this.saveIe(i);
  }

  // ---- the data space map's index entry cache (disk_ll_load_ie, disk_ll_save_ie, disk_ll_commit) ----

  /** An entry read: a slot holding another bitmap's unwritten entry writes it to the index tree first. */
  private loadIe(index: number): void {
    const slot = ieCacheSlot(index);
    const held = this.ieCache[slot];
    if (held?.index === index) return;
    if (held?.dirty) this.writeBackIe(held);
    this.ieCache[slot] = { index, dirty: false };
  }

  private saveIe(index: number): void {
    const slot = ieCacheSlot(index);
    const held = this.ieCache[slot];
    if (held?.index === index) {
      held.dirty = true;
      return;
    }
    if (held?.dirty) this.writeBackIe(held);
    this.ieCache[slot] = { index, dirty: true };
  }

  /** ie_cache_writeback: the entry inserted (or overwritten) in the data space map's index tree. */
  private writeBackIe(slot: IeCacheSlot): void {
    slot.dirty = false;
    this.dataIndexRoot = btreeInsert(this.tx, this.dataIndexRoot, slot.index, 0).root;
  }

  /** The count dm_tm_shadow_block asks about: the current count plus what is queued for the block. */
  private countIsMoreThanOne(b: number): boolean {
    if (this.bootstrap) return false;
    let adjustment = 0;
    for (const [kind, block] of this.bops) if (block === b) adjustment += kind === 'inc' ? 1 : -1;
    if (adjustment > 1) return true;
    const rc = Math.min(this.meta.count(b), 3);
    return rc === 3 || rc + adjustment > 1;
  }

  /**
   * dm_tm_shadow_block: a block already shadowed in this transaction and not shared is changed in
   * place; otherwise it is copied to a new block and the old one loses a reference. `inc` says the
   * block was shared, so the caller raises the counts of what the copy points at.
   */
  private shadow(orig: number): { block: number; inc: boolean } {
    const inc = this.countIsMoreThanOne(orig);
    if (this.shadowed.has(orig) && !inc) return { block: orig, inc };
    const block = this.newBlock();
    this.decBlock(orig);
    return { block, inc };
  }

  private markInexact(reason: string): void {
    this.inexactReason ??= reason;
  }

  // ---- the data space map ----

  private dataInc(b: number): void {
    this.changeCount(this.data, b, this.data.count(b) + 1);
  }

  private dataDec(b: number): void {
    const old = this.data.count(b);
    if (old === 0) {
      this.markInexact(`data block ${b} freed with no count`);
      return;
    }
    this.changeCount(this.data, b, old - 1);
  }

  /** A data block the pool allocated: its count goes from 0 to 1 (sm_disk_new_block). */
  allocateData(b: number): void {
    if (this.exhausted) return;
    if (b >= this.data.nrBlocks) return this.markInexact(`data block ${b} is beyond the data space map`);
    this.dataInc(b);
  }

  /**
   * dm_pool_inc_data_range / dm_pool_dec_data_range, which discard passdown runs on each run of
   * blocks it unmapped (pt1 holds them while the discard it passed down is in flight, pt2 lets them
   * go): sm_ll_inc/dec over the range, block by block in order, shared blocks included (a count
   * going above 2 reaches the overflow tree).
   */
  changeDataRange(begin: number, end: number, by: 1 | -1): void {
    if (this.exhausted) return;
    for (let b = begin; b < end; b++) {
      if (by === 1) this.dataInc(b);
      else this.dataDec(b);
    }
  }

  /** sm_ll_extend of the data space map: a bitmap allocated for each new index entry, each entry saved after its block. */
  resizeData(nrBlocks: number): void {
    if (this.exhausted) return;
    if (nrBlocks < this.data.nrBlocks) return this.markInexact('the data space map shrank');
    this.data.extend(
      nrBlocks,
      () => this.newBlock(),
      (i) => this.saveIe(i),
    );
  }

  /**
   * sm_metadata_extend: in bootstrap mode from the old end of the device, the new bitmaps are
   * allocated, then the blocks the new area gave out are counted and the index written, again
   * and again until that allocates nothing more. The search cursor stays where it ended, so the
   * next allocations start at the old end of the device.
   */
  resizeMetadata(nrBlocks: number): void {
    if (this.exhausted) return;
    if (nrBlocks === this.meta.nrBlocks) return;
    // The pool refuses to resume on a smaller metadata device ("metadata device (N blocks) too
    // small"), and it never sees more of one than one index block describes (the rest of a larger
    // device is unused: fixtures/kernel-probes/182), so neither reaches the allocator.
    assert(nrBlocks > this.meta.nrBlocks, 'the metadata device only grows');
    assert(
      Math.ceil(nrBlocks / ENTRIES_PER_BITMAP) <= METADATA_INDEX_ENTRIES,
      'the metadata device fits one index block',
    );
    let counted = this.meta.nrBlocks;
    this.begin = counted;
    this.bootstrap = true;
    this.meta.extend(nrBlocks, () => this.newBlock());
    do {
      for (let b = counted; b < this.begin; b++) this.bops.push(['inc', b]);
      counted = this.begin;
      this.applyBops();
      if (this.meta.indexChanged) {
        this.metadataIndex = this.shadow(this.metadataIndex).block;
        this.meta.indexChanged = false;
      }
    } while (counted !== this.begin);
    this.bootstrap = false;
    this.resized = true;
  }

  // ---- the trees ----

  /**
   * The transaction manager as the btree code sees it (dm-btree.c's calls into
   * dm-transaction-manager.c). Made on demand, not kept: checkpoints store the allocator's fields
   * and cannot store functions.
   */
  private get tx(): BtreeTransaction {
    return {
      nodes: this.nodes,
      newNode: (node) => {
        const block = this.newBlock();
        this.nodes.set(block, node);
        return block;
      },
      shadowNode: (orig) => this.shadowNode(orig),
      isShared: (b) => this.countIsMoreThanOne(b),
      decBlock: (b) => this.decBlock(b),
      decData: (b) => this.dataDec(b),
    };
  }

  /**
   * bn_shadow: a copy on a new block unless shadowed already; a shared node's children gain a
   * reference (a mapping leaf's data blocks, a top-level leaf's device trees, an internal node's children).
   */
  private shadowNode(orig: number): number {
    const node = this.nodes.get(orig);
    assert(node !== undefined, `metadata block ${orig} is a tree node`);
    const { block, inc } = this.shadow(orig);
    if (block !== orig)
      this.nodes.set(block, { tree: node.tree, leaf: node.leaf, keys: [...node.keys], values: [...node.values] });
    if (inc && node.leaf && node.tree === 'mapping') for (const d of node.values) this.dataInc(d);
    else if (inc && (!node.leaf || node.tree === 'top')) for (const child of node.values) this.incBlock(child);
    return block;
  }

  /** __open_device: a device the kernel had not open goes to the head of its list. */
  private openDevice(id: number): void {
    if (!this.openDevices.includes(id)) this.openDevices.unshift(id);
  }

  /** __create_thin: an empty leaf, inserted into the top-level tree. */
  createThin(id: number): void {
    if (this.exhausted) return;
    const leaf = this.tx.newNode(emptyLeaf('mapping'));
    this.mappingRoot = btreeInsert(this.tx, this.mappingRoot, id, leaf).root;
    this.deviceRoots.set(id, leaf);
    this.openDevice(id);
    this.changedDetails.add(id);
  }

  /** __create_snap: the origin's root gains a reference and is inserted under the new id; both are opened. */
  createSnap(id: number, originId: number): void {
    if (this.exhausted) return;
    const root = this.deviceRoots.get(originId);
    assert(root !== undefined, `origin ${originId} has a mapping tree`);
    this.incBlock(root);
    this.mappingRoot = btreeInsert(this.tx, this.mappingRoot, id, root).root;
    this.deviceRoots.set(id, root);
    this.openDevice(id);
    this.openDevice(originId);
    this.changedDetails.add(id);
    this.changedDetails.add(originId);
  }

  /** The top-level tree walked (shadowed) to a device, its root there replaced by what `change` makes of it. */
  private changeDeviceTree(id: number, change: (root: number) => number): void {
    this.mappingRoot = btreeUpdate(this.tx, this.mappingRoot, id, (leaf, index) => {
      const root = change(leaf.values[index]!);
      leaf.values[index] = root;
      this.deviceRoots.set(id, root);
    });
  }

  /**
   * dm_thin_insert_block: the two-level insert walks the top-level tree to the device, then the
   * device's tree as dm_btree_insert walks it (splitting and rebalancing full nodes); a replaced
   * mapping's data block loses the leaf's reference.
   */
  insertMapping(id: number, key: number, dataBlock: number): void {
    if (this.exhausted) return;
    assert(this.deviceRoots.has(id), `device ${id} has a mapping tree`);
    this.openDevice(id);
    this.changeDeviceTree(id, (root) => btreeInsert(this.tx, root, key, dataBlock).root);
    this.changedDetails.add(id);
  }

  /**
   * __remove_range: the device's root is held by an extra reference while it is taken out of the
   * top-level tree (its value dropped there, as the extra reference), the mapping is removed from
   * it as dm_btree_remove_leaves removes it (rebalancing the nodes on its way down), its data block
   * losing its reference, and the root goes back into the top-level tree.
   */
  removeMapping(id: number, key: number): void {
    if (this.exhausted) return;
    const root = this.deviceRoots.get(id);
    assert(root !== undefined, `device ${id} has a mapping tree`);
    this.openDevice(id);
    this.incBlock(root);
    this.mappingRoot = btreeRemove(this.tx, this.mappingRoot, id);
    const newRoot = btreeRemove(this.tx, root, key);
    this.mappingRoot = btreeInsert(this.tx, this.mappingRoot, id, newRoot).root;
    this.deviceRoots.set(id, newRoot);
    this.changedDetails.add(id);
  }

  /**
   * The end of a run of removed mappings (dm_btree_remove_leaves): the kernel walks down once more
   * for the key after the run's last, rebalancing on the way, before it finds nothing to remove.
   */
  endRemovalRun(id: number, nextKey: number): void {
    if (this.exhausted) return;
    assert(this.deviceRoots.has(id), `device ${id} has a mapping tree`);
    this.changeDeviceTree(id, (root) => btreeRemove(this.tx, root, nextKey, false));
  }

  /** __delete_device: out of the details tree, then out of the top-level tree, which drops its subtree. */
  deleteThin(id: number): void {
    if (this.exhausted) return;
    assert(this.deviceRoots.has(id), `device ${id} has a mapping tree`);
    if (!this.committedDetails(id)) return this.markInexact('a device deleted before its details were committed');
    this.detailsRoot = btreeRemove(this.tx, this.detailsRoot, id);
    this.mappingRoot = btreeRemove(this.tx, this.mappingRoot, id);
    this.deviceRoots.delete(id);
    this.changedDetails.delete(id);
    this.openDevices = this.openDevices.filter((d) => d !== id);
  }

  /** Whether the details tree holds a device (a device's details reach it at the first commit after its creation). */
  private committedDetails(id: number): boolean {
    let node = this.nodes.get(this.detailsRoot);
    while (node !== undefined && !node.leaf) {
      const i = Math.max(0, lowerBoundOf(node.keys, id));
      node = this.nodes.get(node.values[i]!);
    }
    return node?.keys.includes(id) ?? false;
  }

  /**
   * __reserve_metadata_snap (after its commit): the superblock gains a reference and is shadowed to
   * its copy, and the trees the copy points at gain one each.
   */
  reserveMetadataSnap(): number {
    if (this.exhausted) {
      this.markInexact('a metadata snapshot reserved on a full metadata device');
      return 0;
    }
    this.incBlock(0);
    const copy = this.shadow(0);
    assert(copy.inc, 'the superblock is shared once it has been incremented');
    this.incBlock(this.mappingRoot);
    this.incBlock(this.detailsRoot);
    this.held = {
      block: copy.block,
      mappingRoot: this.mappingRoot,
      detailsRoot: this.detailsRoot,
      deviceRoots: new Map(this.deviceRoots),
    };
    return copy.block;
  }

  /** __release_metadata_snap: the held trees are dropped (dm_btree_del), then the superblock copy. */
  releaseMetadataSnap(): void {
    if (this.exhausted) return;
    const held = this.held;
    if (held === null) return this.markInexact('a metadata snapshot released that the layout did not hold');
    btreeDel(this.tx, held.mappingRoot);
    btreeDel(this.tx, held.detailsRoot);
    this.decBlock(held.block);
    this.held = null;
  }

  /**
   * __commit_transaction: the changed details (in the order of the kernel's list of open devices),
   * then the data space map's index entries still in its cache, then the metadata space map's
   * index block; blocks shadowed so far become shared with the committed state, and the committed
   * counts are the current ones.
   */
  commit(): void {
    this.lastCommitAllocations = 0;
    // A transaction that changed anything has shadowed at least one block; one that did not
    // leaves the committed state as it is, and commits often happen with nothing to write.
    if (this.exhausted) return this.markInexact('a transaction that ran out of metadata blocks was committed');
    if (this.shadowed.size === 0 && !this.resized && this.committed !== null) return;
    const allocatedBefore = this.allocatedThisTransaction;
    for (const id of this.openDevices) {
      if (this.changedDetails.has(id)) this.detailsRoot = btreeInsert(this.tx, this.detailsRoot, id, 0).root;
    }
    this.changedDetails.clear();
    for (const slot of this.ieCache) if (slot?.dirty) this.writeBackIe(slot);
    if (this.meta.indexChanged) {
      this.metadataIndex = this.shadow(this.metadataIndex).block;
      this.meta.indexChanged = false;
    }
    this.lastCommitAllocations = this.allocatedThisTransaction - allocatedBefore;
    this.shadowed.clear();
    this.resized = false;
    this.allocatedThisTransaction = 0;
    this.committedMetaCounts = new Map(this.meta.counts);
    this.committed = {
      meta: this.meta.clone(),
      data: this.data.clone(),
      metadataIndex: this.metadataIndex,
      dataIndexRoot: this.dataIndexRoot,
      mappingRoot: this.mappingRoot,
      detailsRoot: this.detailsRoot,
      deviceRoots: new Map(this.deviceRoots),
      held: this.held,
    };
    this.dropUnreachableNodes();
  }

  /** Forgets the nodes no live or held tree reaches any more (their blocks are free, or will be reused). */
  private dropUnreachableNodes(): void {
    const reachable = reachableNodes(this.nodes, this.treeRoots());
    for (const b of this.nodes.keys()) if (!reachable.has(b)) this.nodes.delete(b);
  }

  private treeRoots(): number[] {
    return [
      this.mappingRoot,
      this.detailsRoot,
      this.dataIndexRoot,
      this.data.refCountRoot,
      this.meta.refCountRoot,
      ...(this.held === null ? [] : [this.held.mappingRoot, this.held.detailsRoot]),
    ];
  }

  /** The kernel's abort reopens the metadata: the committed state, and the cursor back at 0. */
  rollback(): void {
    const c = this.committed;
    assert(c !== null, 'a formatted layout has a commit');
    this.adopt(c);
    this.changedDetails.clear();
    this.shadowed.clear();
    this.bops.length = 0;
    this.recursion = 0;
    this.exhausted = false;
    this.resized = false;
    this.allocatedThisTransaction = 0;
    this.begin = 0;
  }

  /**
   * Metadata blocks in use as the kernel counts them for the pool's status (sm_metadata_get_nr_free):
   * those allocated at the last commit plus those this transaction has allocated since, freed or not.
   */
  usedBlocks(): number {
    assert(this.committed !== null, 'a formatted layout has a commit');
    return this.committed.meta.allocated + this.allocatedThisTransaction;
  }

  /** The committed layout, or null once it is no longer the kernel's. */
  plan(): MetadataPlan | null {
    const c = this.committed;
    if (c === null || this.inexactReason !== null) return null;
    return {
      metadataNrBlocks: c.meta.nrBlocks,
      metadataIndex: c.metadataIndex,
      metadataBitmaps: c.meta.bitmaps.map((e) => ({ ...e })),
      metadataCounts: new Map(c.meta.counts),
      metadataAllocated: c.meta.allocated,
      metadataRefCountRoot: c.meta.refCountRoot,
      nrDataBlocks: c.data.nrBlocks,
      dataBitmaps: c.data.bitmaps.map((e) => ({ ...e })),
      dataCounts: new Map(c.data.counts),
      dataAllocated: c.data.allocated,
      dataIndexRoot: c.dataIndexRoot,
      dataRefCountRoot: c.data.refCountRoot,
      mappingRoot: c.mappingRoot,
      detailsRoot: c.detailsRoot,
      deviceRoots: new Map(c.deviceRoots),
      held: c.held,
      nodes: this.committedNodes(c),
    };
  }

  private committedNodes(c: Committed): Map<number, TreeNodePlan> {
    const roots = [
      c.mappingRoot,
      c.detailsRoot,
      c.dataIndexRoot,
      c.data.refCountRoot,
      c.meta.refCountRoot,
      ...(c.held === null ? [] : [c.held.mappingRoot, c.held.detailsRoot]),
    ];
    const nodes = new Map<number, TreeNodePlan>();
    for (const b of reachableNodes(this.nodes, roots)) {
      const node = this.nodes.get(b);
      if (node !== undefined) nodes.set(b, node);
    }
    return nodes;
  }
}

function emptyLeaf(tree: TreeName): TreeNode {
  return { tree, leaf: true, keys: [], values: [] };
}
