/**
 * The contents of a pool's metadata device: superblock fields, the device details, one mapping
 * table per thin and the data space map, with the kernel's single-transaction model
 * (dm-thin-metadata.c). Everything here is what survives a crash once committed; the pool's
 * runtime state (mode, queues, timers) lives in {@link ThinPool}.
 */
import { ENTRIES_PER_BITMAP } from '../format/layout.js';
import { assert } from './assert.js';
import { Errno } from './errno.js';
import { leavesOf, MappingTable, type MappingPage, type PageAccounting } from './mapping.js';
import { MetadataAllocator, type MetadataPlan } from './metadata-allocator.js';
import type { ModelMutation } from './mutations.js';
import { fail, OK_VOID, type Result } from './result.js';
import { DataSpaceMap } from './space-map.js';

export const MAX_DEV_ID = 0xffffff;
const DETAILS_PER_LEAF = 126;
const ROOTS_PER_LEAF = 252;

export interface DeviceDetails {
  mappedBlocks: number;
  transactionId: bigint;
  creationTime: number;
  snapshottedTime: number;
}

export class ThinDevice {
  readonly id: number;
  table: MappingTable;
  details: DeviceDetails;
  /** Details at the last commit; null for a device created in this transaction. */
  committedDetails: DeviceDetails | null;
  /** Mappings changed since the last commit (the kernel's `td->changed`). */
  changed = false;
  /** Set when an abort threw away this device's changes: later flushes fail with EIO. */
  abortedWithChanges = false;
  /** Active `thin` targets holding the device open. */
  openCount = 0;

  constructor(id: number, table: MappingTable, details: DeviceDetails, committed: DeviceDetails | null) {
    this.id = id;
    this.table = table;
    this.details = details;
    this.committedDetails = committed;
  }
}

/** A frozen copy of committed metadata: what a metadata device holds once written. */
export interface MetadataImage {
  readonly time: number;
  readonly transactionId: bigint;
  readonly dataBlockSizeSectors: number;
  readonly nrDataBlocks: number;
  readonly metadataNrBlocks: number;
  readonly needsCheck: boolean;
  readonly devices: ReadonlyMap<number, { readonly details: DeviceDetails; readonly table: MappingTable }>;
  readonly refcounts: Uint32Array;
  readonly heldRoot: HeldMetadataSnapshot | null;
  readonly generation: number;
  readonly metadataCursor: number;
  /**
   * The metadata space map's allocated count, for an image read from bytes: what the kernel
   * reports as used metadata when it opens them, whatever layout wrote them.
   */
  readonly metadataBlocksAllocatedOnDisk?: number;
  /** See ThinMetadata.metadataUsedSkew; carried by images the lab keeps as objects. */
  readonly metadataUsedSkew?: number;
  /** Damage found when the image was read from bytes the way the kernel reads them, if any. */
  readonly damage?: MetadataDamage | null;
  /**
   * Where the kernel's allocator put each block after the history that made this image
   * (src/model/metadata-allocator.ts), for the writer; absent or null when the lab did not follow
   * it (metadata read from bytes or built by a tool, or a tree that outgrew one node).
   */
  readonly layout?: MetadataPlan | null;
  /**
   * Data count minus mappings per block, as committed (see ThinMetadata.refcountSkew); carried by
   * images the lab keeps as objects. An image read from bytes has it in `damage` instead.
   */
  readonly refcountSkew?: ReadonlyMap<number, number>;
}

/**
 * A metadata block the kernel's validator refuses: the log lines it prints each time it reads the
 * block (node_check or bitmap check, then the block manager's line) and the errno it returns
 * (ENOTBLK for a wrong block number, EILSEQ for a bad checksum or header).
 */
export interface MetadataBlockFailure {
  readonly block: number;
  readonly lines: readonly string[];
  readonly errno: number;
}

/** Keys [low, high) of a tree that sit below a refused node; `rightmost` when high is the end. */
export interface DamagedKeys {
  readonly low: number;
  readonly high: number;
  readonly rightmost: boolean;
  readonly failure: MetadataBlockFailure;
}

/**
 * What is wrong on disk in metadata the pool opened anyway, as the kernel opens it: it reads the
 * superblock and the metadata space map index at open, and everything else when first used, so
 * each damaged structure fails the operation that reads it (dm-thin.md §8, fixtures/kernel/7x).
 */
export interface MetadataDamage {
  /** Device ids the details tree cannot be read for: opening those thins fails. */
  readonly details: readonly DamagedKeys[];
  /** Device ids the top-level mapping tree cannot be read for: their I/O fails. */
  readonly top: readonly DamagedKeys[];
  /** Per device, virtual blocks its bottom tree cannot be read for. */
  readonly bottom: ReadonlyMap<number, readonly DamagedKeys[]>;
  /** The damaged space-map block the first data allocation reads, with the lines it adds. */
  readonly allocation: { readonly failure: MetadataBlockFailure; readonly after: readonly string[] } | null;
  /**
   * Data blocks whose count on disk differs from their mappings (a leak, blocks mapped below a
   * damaged node, a mapping to a block counted free): count minus mappings. The kernel allocates
   * from the counts on disk, so the difference stays.
   */
  readonly refcountSkew: ReadonlyMap<number, number>;
  /** The held metadata snapshot's superblock copy fails sb_check: release_metadata_snap fails. */
  readonly heldRoot?: MetadataBlockFailure | null;
}

/** A metadata snapshot taken by `reserve_metadata_snap`: the trees as they were, read-only. */
export interface HeldMetadataSnapshot {
  readonly block: number;
  readonly time: number;
  readonly transactionId: bigint;
  readonly nrDataBlocks: number;
  readonly devices: ReadonlyMap<number, { readonly details: DeviceDetails; readonly table: MappingTable }>;
}

const copyDetails = (d: DeviceDetails): DeviceDetails => ({ ...d });

export class ThinMetadata implements PageAccounting {
  /** Left out of checkpoints: a cache, so that reading a status never changes the state hash. */
  static readonly checkpointSkip = ['structureFor', 'structureCache'] as const;
  readonly dataBlockSizeSectors: number;
  time = 0;
  transactionId = 0n;
  needsCheck = false;
  /** needs_check is set in memory, but the superblock that carries it has not reached the disk. */
  needsCheckUnwritten = false;
  metadataNrBlocks: number;
  heldRoot: HeldMetadataSnapshot | null = null;
  readonly spaceMap: DataSpaceMap;
  devices = new Map<number, ThinDevice>();
  /**
   * False until the first change after the metadata was opened: until then a commit writes
   * nothing (the kernel's `in_service`), so a failed metadata device goes unnoticed.
   */
  inService = false;
  /** Counts commits and rollbacks: the committed state changes only then. */
  commitCount = 0;
  /** Counts the commits that wrote something (the kernel's commits that rewrite metadata blocks). */
  changingCommits = 0;
  /** Pages of this generation may be changed in place; see {@link MappingTable}. */
  generation: number;
  /**
   * Where the metadata space map would allocate next. The kernel prints the block a held metadata
   * snapshot lands on; the lab approximates it by advancing this cursor by the blocks each commit
   * shadows.
   */
  metadataCursor: number;
  /**
   * How far the used-metadata estimate was from the count on disk when metadata written elsewhere
   * (the kernel, thin_restore, a damaged image) was opened. The kernel reports its own count and
   * changes it as the estimate changes, so the difference stays; it is zero for the lab's own pools.
   */
  private metadataUsedSkew = 0;
  /** On-disk damage the kernel meets when it first reads the damaged blocks (null: none). */
  damage: MetadataDamage | null = null;
  /**
   * How far each device's mapped_blocks was from its mappings when the metadata was opened. The
   * kernel takes mapped_blocks as stored and counts on from it, so a wrong value stays wrong by
   * the same amount; it is zero for metadata the lab wrote.
   */
  readonly mappedBlocksSkew = new Map<number, number>();
  /**
   * Per data block, its count minus the mappings that point at it, where they differ: counts read
   * from damaged metadata ({@link MetadataDamage.refcountSkew}; see dropDataRef), and blocks the
   * kernel allocated for a write the data device then failed, which stay counted with no mapping
   * (fixtures/kernel/60-data-flakey) until a repair rebuilds the space map. Part of the
   * transaction, like the counts themselves: a crash or an abort takes this transaction's changes back.
   */
  refcountSkew = new Map<number, number>();
  private committedRefcountSkew = new Map<number, number>();
  /** Deliberate bugs (mutation suite only); null in normal use. */
  mutations: ReadonlySet<ModelMutation> | null = null;
  /**
   * The kernel's metadata block allocator, followed operation by operation so that the writer can
   * put every block where the kernel would; null for metadata the lab opened without a layout.
   */
  allocator: MetadataAllocator | null = null;
  /** Discards of this transaction, kept only under the `crash-keeps-discards` mutation. */
  private mutationDiscards: Array<readonly [ThinDevice, number]> = [];

  private committedTime = 0;
  private committedTransactionId = 0n;
  private committedDevices = new Map<number, ThinDevice>();
  private committedMetadataNrBlocks: number;
  private messageShadowBlocks = 0;
  /** Metadata blocks this transaction's messages allocate (shadows plus new roots). */
  private messageAllocatedBlocks = 0;
  private superblockDirty = false;
  // Metadata estimate, kept up to date incrementally (see rawUsedMetadataBlocks).
  private readonly pageRefs = new Map<MappingPage, number>();
  private leafBlocks = 0;
  private readonly emptyRootRefs = new Map<object, number>();
  private undoPages = 0;
  private changedDevices = 0;

  private constructor(
    dataBlockSizeSectors: number,
    metadataNrBlocks: number,
    spaceMap: DataSpaceMap,
    generation: number,
  ) {
    this.dataBlockSizeSectors = dataBlockSizeSectors;
    this.metadataNrBlocks = metadataNrBlocks;
    this.committedMetadataNrBlocks = metadataNrBlocks;
    this.spaceMap = spaceMap;
    this.generation = generation;
    this.metadataCursor = 0;
  }

  /** Fresh metadata, as the kernel writes it on an all-zero metadata device. */
  static format(dataBlockSizeSectors: number, metadataNrBlocks: number): ThinMetadata {
    const md = new ThinMetadata(dataBlockSizeSectors, metadataNrBlocks, new DataSpaceMap(0), 1);
    md.metadataCursor = md.rawUsedMetadataBlocks();
    md.allocator = MetadataAllocator.format(metadataNrBlocks);
    return md;
  }

  /**
   * Drops a mapping's reference to a data block. A block that damaged metadata counted free while
   * mapped has no reference left to drop: the count stays at zero and the skew records it, where
   * the kernel would fail the operation ("unable to decrement a reference count below 0"; not modelled).
   */
  dropDataRef(block: number): void {
    if (this.spaceMap.refcount(block) === 0 && (this.refcountSkew.get(block) ?? 0) < 0) {
      this.skewRefcount(block, 1);
      return;
    }
    this.spaceMap.decrement(block);
  }

  /**
   * A block allocated for a write that then failed on the data device: the kernel never inserts
   * the mapping, and the block stays counted, mapped by nobody.
   */
  keepLeakedDataBlock(block: number): void {
    this.skewRefcount(block, 1);
    // The kernel counted the block when it allocated it: its space map changed in this transaction.
    this.followAllocator((a) => a.allocateData(block));
  }

  private skewRefcount(block: number, by: number): void {
    const skew = (this.refcountSkew.get(block) ?? 0) + by;
    if (skew === 0) this.refcountSkew.delete(block);
    else this.refcountSkew.set(block, skew);
  }

  /** Metadata read back from an image; the allocation cursor starts at 0 as on a real open. */
  static open(image: MetadataImage): ThinMetadata {
    const md = new ThinMetadata(
      image.dataBlockSizeSectors,
      image.metadataNrBlocks,
      DataSpaceMap.fromCommitted(withHeldReferences(image.refcounts, image.heldRoot, 1), image.nrDataBlocks),
      image.generation + 1,
    );
    md.time = image.time;
    md.committedTime = image.time;
    md.transactionId = image.transactionId;
    md.committedTransactionId = image.transactionId;
    md.needsCheck = image.needsCheck;
    md.heldRoot = image.heldRoot;
    // An image read from bytes carries no allocation cursor: start it where the estimate says the
    // used blocks end, as on a fresh format.
    md.metadataCursor = image.metadataCursor;
    for (const [id, dev] of image.devices) {
      const details = copyDetails(dev.details);
      md.devices.set(id, new ThinDevice(id, dev.table.shareAll(), details, copyDetails(details)));
    }
    md.committedDevices = new Map(md.devices);
    md.damage = image.damage ?? null;
    md.allocator = image.layout == null ? null : MetadataAllocator.open(image.layout);
    // An image the lab kept carries the skew as committed; one read from bytes has it from the damage.
    md.refcountSkew = new Map(image.refcountSkew ?? md.damage?.refcountSkew ?? []);
    md.committedRefcountSkew = new Map(md.refcountSkew);
    for (const [id, dev] of md.devices) {
      const skew = dev.details.mappedBlocks - dev.table.count();
      if (skew !== 0) md.mappedBlocksSkew.set(id, skew);
    }
    md.recomputeAccounting();
    md.metadataUsedSkew =
      image.metadataBlocksAllocatedOnDisk === undefined
        ? (image.metadataUsedSkew ?? 0)
        : image.metadataBlocksAllocatedOnDisk - md.rawUsedMetadataBlocks();
    if (md.metadataCursor === 0) md.metadataCursor = md.rawUsedMetadataBlocks();
    return md;
  }

  /** Switches on deliberate bugs for the mutation suite (src/model/mutations.ts). */
  switchOnMutations(mutations: readonly ModelMutation[]): void {
    this.mutations = new Set(mutations);
    this.spaceMap.reuseBeforeCommit = this.mutations.has('reuse-before-commit');
  }

  get changedThisTransaction(): boolean {
    return (
      this.superblockDirty ||
      this.spaceMap.changedThisTransaction ||
      this.changedDevices > 0 ||
      this.messageAllocatedBlocks > 0 ||
      this.undoPages > 0
    );
  }

  // ---- PageAccounting: how the tables report changes to the estimate ----

  pageReplaced(old: MappingPage | undefined, next: MappingPage | undefined): void {
    if (old !== undefined) {
      const refs = (this.pageRefs.get(old) ?? 1) - 1;
      if (refs === 0) {
        this.pageRefs.delete(old);
        this.leafBlocks -= leavesOf(old);
      } else this.pageRefs.set(old, refs);
    }
    if (next !== undefined) {
      const refs = (this.pageRefs.get(next) ?? 0) + 1;
      this.pageRefs.set(next, refs);
      if (refs === 1) this.leafBlocks += leavesOf(next);
    }
  }

  leavesChanged(delta: number): void {
    this.leafBlocks += delta;
  }

  undoRecorded(): void {
    this.undoPages++;
  }

  emptyRootAcquired(token: object): void {
    this.emptyRootRefs.set(token, (this.emptyRootRefs.get(token) ?? 0) + 1);
  }

  emptyRootReleased(token: object): void {
    const refs = (this.emptyRootRefs.get(token) ?? 1) - 1;
    if (refs === 0) this.emptyRootRefs.delete(token);
    else this.emptyRootRefs.set(token, refs);
  }

  /**
   * dm_pool_changed_this_transaction: whether a thin device changed since the last commit. The
   * pool's periodic commit asks only this, so a change to the space map alone (the data blocks a
   * passed-down discard frees when it completes) waits for a commit something else causes.
   */
  get thinDevicesChanged(): boolean {
    return this.changedDevices > 0;
  }

  private markChanged(dev: ThinDevice): void {
    if (!dev.changed) {
      dev.changed = true;
      this.changedDevices++;
    }
  }

  /** Recounts the estimate from scratch after a change to the set of trees. */
  private recomputeAccounting(): void {
    this.pageRefs.clear();
    this.leafBlocks = 0;
    this.emptyRootRefs.clear();
    const add = (table: MappingTable): void => {
      for (const page of table.pageObjects()) this.pageReplaced(undefined, page);
      if (table.emptyRootToken !== null) this.emptyRootAcquired(table.emptyRootToken);
    };
    for (const dev of this.devices.values()) {
      dev.table.accounting = this;
      add(dev.table);
    }
    if (this.heldRoot !== null) for (const d of this.heldRoot.devices.values()) add(d.table);
    this.changedDevices = 0;
    for (const dev of this.devices.values()) if (dev.changed) this.changedDevices++;
  }

  device(id: number): ThinDevice | undefined {
    return this.devices.get(id);
  }

  createThin(id: number): Result<undefined> {
    if (this.devices.has(id)) return fail(Errno.EEXIST);
    this.mappedBlocksSkew.delete(id);
    const details: DeviceDetails = {
      mappedBlocks: 0,
      transactionId: this.transactionId,
      creationTime: this.time,
      snapshottedTime: this.time,
    };
    this.devices.set(id, new ThinDevice(id, new MappingTable(), details, null));
    this.followAllocator((a) => a.createThin(id));
    this.messageShadowBlocks += 4 + this.deviceTreeDepthExtra();
    this.messageAllocatedBlocks += 5 + this.deviceTreeDepthExtra();
    this.recomputeAccounting();
    return OK_VOID;
  }

  createSnap(id: number, originId: number): Result<undefined> {
    if (this.devices.has(id)) return fail(Errno.EEXIST);
    const origin = this.devices.get(originId);
    if (origin === undefined) return fail(Errno.ENODATA);
    this.mappedBlocksSkew.set(id, this.mappedBlocksSkew.get(originId) ?? 0);
    // The snapshot shares the origin's tree; refcounts follow the mappings (dm-thin.md §3.2).
    const table = origin.table.shareAll();
    // A root shared by a third device moves its count to the overflow tree: one more block.
    if (this.devicesSharingRoot(origin.table.rootToken) >= 2) this.messageAllocatedBlocks += 1;
    table.forEach((_vb, dataBlock) => this.spaceMap.increment(dataBlock));
    this.generation++;
    this.time++;
    this.superblockDirty = true;
    origin.details.snapshottedTime = this.time;
    this.markChanged(origin);
    const details: DeviceDetails = {
      mappedBlocks: origin.details.mappedBlocks,
      transactionId: this.transactionId,
      creationTime: this.time,
      snapshottedTime: this.time,
    };
    this.devices.set(id, new ThinDevice(id, table, details, null));
    this.followAllocator((a) => a.createSnap(id, originId));
    this.messageShadowBlocks += 4 + this.deviceTreeDepthExtra();
    this.messageAllocatedBlocks += 4 + this.deviceTreeDepthExtra();
    this.recomputeAccounting();
    return OK_VOID;
  }

  /** Deletes a device; the caller has checked that no thin target holds it open. */
  deleteThin(id: number): Result<undefined> {
    const dev = this.devices.get(id);
    if (dev === undefined) return fail(Errno.ENODATA);
    if (this.devicesSharingRoot(dev.table.rootToken) >= 3) this.messageAllocatedBlocks += 1;
    this.followAllocator((a) => a.deleteThin(id));
    dev.table.forEach((_vb, dataBlock) => this.dropDataRef(dataBlock));
    this.devices.delete(id);
    this.messageShadowBlocks += 3 + this.deviceTreeDepthExtra();
    this.messageAllocatedBlocks += 4 + this.deviceTreeDepthExtra();
    this.recomputeAccounting();
    return OK_VOID;
  }

  /**
   * Blocks a device message shadows beyond the leaves: one more for each tree (details, top-level
   * mappings) that has grown an interior level (past 126 and 252 devices). Seen on the oracle as
   * one more metadata low-water crossing on a 256-block device near 190 devices.
   */
  private deviceTreeDepthExtra(): number {
    const n = this.devices.size;
    return (n > DETAILS_PER_LEAF ? 1 : 0) + (n > ROOTS_PER_LEAF ? 1 : 0);
  }

  private devicesSharingRoot(token: object): number {
    let n = 0;
    for (const d of this.devices.values()) if (d.table.rootToken === token) n++;
    return n;
  }

  setTransactionId(current: bigint, next: bigint): Result<undefined> {
    if (current !== this.transactionId) return fail(Errno.EINVAL);
    this.transactionId = next;
    this.superblockDirty = true;
    return OK_VOID;
  }

  /** Takes the metadata snapshot; the caller commits first, as the kernel does. */
  reserveMetadataSnap(): Result<undefined> {
    if (this.heldRoot !== null) return fail(Errno.EBUSY);
    // Where the kernel's allocator puts the superblock copy, while the lab follows it; otherwise an
    // estimate: the kernel shadows the space-map blocks for the root increments (4 allocations,
    // measured on the oracle) before it allocates the copy.
    let block = (this.metadataCursor + 4) % this.metadataNrBlocks;
    this.followAllocator((a) => {
      block = a.reserveMetadataSnap();
    });
    this.metadataCursor = block + 1;
    this.heldRoot = {
      block,
      time: this.time,
      transactionId: this.transactionId,
      nrDataBlocks: this.spaceMap.nrBlocks,
      devices: this.frozenDevices(),
    };
    // The snapshot's trees keep every data block they map in use: in the kernel a leaf shared with
    // them is shadowed (its blocks' counts raised) before the live thin changes it, and a deleted
    // thin's tree is still reached from the held root, so nothing it maps is freed until the
    // release drops those trees (fixtures/kernel/100-held-snapshot-delete). The lab keeps one
    // reference per held mapping, which gives the same blocks in use.
    forEachHeldMapping(this.heldRoot, (b) => this.spaceMap.increment(b));
    this.superblockDirty = true;
    this.recomputeAccounting();
    return OK_VOID;
  }

  releaseMetadataSnap(): Result<undefined> {
    if (this.heldRoot === null) return fail(Errno.EINVAL);
    this.followAllocator((a) => a.releaseMetadataSnap());
    forEachHeldMapping(this.heldRoot, (b) => this.dropDataRef(b));
    this.heldRoot = null;
    this.superblockDirty = true;
    this.recomputeAccounting();
    return OK_VOID;
  }

  /** Inserts or replaces a mapping; drops the reference of a replaced block. */
  insertMapping(dev: ThinDevice, vb: number, dataBlock: number): void {
    this.allocatorInsert(dev, vb, dataBlock);
    const old = dev.table.insert(vb, dataBlock, this.time, this.generation);
    if (old < 0) dev.details.mappedBlocks++;
    else if (old !== dataBlock && !(this.mutations?.has('cow-keeps-old-reference') ?? false)) this.dropDataRef(old);
    this.markChanged(dev);
  }

  /** Removes a mapping; returns the data block it held (its reference is dropped), or -1. */
  removeMapping(dev: ThinDevice, vb: number): number {
    const mapped = dev.table.lookupData(vb);
    if (mapped >= 0) this.followAllocator((a) => a.removeMapping(dev.id, vb));
    const old = dev.table.remove(vb, this.generation);
    if (old < 0) return -1;
    dev.details.mappedBlocks--;
    this.markChanged(dev);
    this.dropDataRef(old);
    if (this.mutations?.has('crash-keeps-discards') ?? false) this.mutationDiscards.push([dev, vb]);
    return old;
  }

  /** After the last of consecutive removed mappings: the kernel's walk for the next key (MetadataAllocator.endRemovalRun). */
  endRemovalRun(dev: ThinDevice, nextVb: number): void {
    this.followAllocator((a) => a.endRemovalRun(dev.id, nextVb));
  }

  /**
   * Discard passdown's hold on a run of data blocks it unmapped (pt1's dm_pool_inc_data_range) or
   * its release once the passed-down discard completed (pt2's dm_pool_dec_data_range): every block
   * of the run, shared ones included, so that none is allocated under the discard.
   */
  changePassdownRange(begin: number, end: number, by: 1 | -1): void {
    for (let b = begin; b < end; b++) {
      if (by === 1) this.spaceMap.increment(b);
      else this.dropDataRef(b);
    }
    this.followAllocator((a) => a.changeDataRange(begin, end, by));
  }

  resizeData(nrBlocks: number): void {
    const bitmaps = (n: number): number => Math.ceil(n / ENTRIES_PER_BITMAP);
    this.metadataCursor += bitmaps(nrBlocks) - bitmaps(this.spaceMap.nrBlocksUncommitted);
    this.spaceMap.resize(nrBlocks);
    this.followAllocator((a) => a.resizeData(nrBlocks));
  }

  resizeMetadata(nrBlocks: number): void {
    this.followAllocator((a) => a.resizeMetadata(nrBlocks));
    this.metadataNrBlocks = nrBlocks;
    this.superblockDirty = true;
  }

  commit(): void {
    if (this.changedThisTransaction) this.changingCommits++;
    this.followAllocator((a) => a.commit());
    this.metadataCursor += this.allocatedThisTransaction();
    this.messageShadowBlocks = 0;
    this.messageAllocatedBlocks = 0;
    for (const dev of this.devices.values()) {
      dev.table.commit();
      dev.committedDetails = copyDetails(dev.details);
      dev.changed = false;
    }
    this.spaceMap.commit();
    this.committedRefcountSkew = new Map(this.refcountSkew);
    this.committedDevices = new Map(this.devices);
    this.committedTime = this.time;
    this.committedTransactionId = this.transactionId;
    this.committedMetadataNrBlocks = this.metadataNrBlocks;
    this.superblockDirty = false;
    this.undoPages = 0;
    this.changedDevices = 0;
    this.generation++;
    this.commitCount++;
    if (this.mutations !== null) this.mutationDiscards = [];
  }

  /**
   * Throws away the transaction (crash, or the kernel's abort). Returns the devices that had
   * changes, which the kernel flags `aborted_with_changes`. The allocation cursor restarts at 0
   * because the kernel reopens the metadata.
   */
  rollback(options: { keepOpenDetails?: boolean } = {}): ThinDevice[] {
    const changed: ThinDevice[] = [];
    for (const dev of this.devices.values()) if (dev.changed) changed.push(dev);
    const live = this.devices;
    this.devices = new Map(this.committedDevices);
    for (const dev of this.devices.values()) {
      dev.table.rollback();
      assert(dev.committedDetails !== null, 'a committed device has committed details');
      // The kernel's abort rebuilds the btrees from disk but keeps the in-memory details of the
      // devices it has open (mapped_blocks and all), so a thin's status may count mappings the
      // aborted transaction lost (seen on the oracle: 20-metadata-fail, 23-needs-check-io-error).
      const keep = options.keepOpenDetails === true && live.get(dev.id) === dev;
      if (!keep) dev.details = copyDetails(dev.committedDetails);
      dev.changed = false;
    }
    this.spaceMap.rollback();
    this.followAllocator((a) => a.rollback());
    this.refcountSkew = new Map(this.committedRefcountSkew);
    this.spaceMap.cursor = 0;
    this.time = this.committedTime;
    this.transactionId = this.committedTransactionId;
    this.metadataNrBlocks = this.committedMetadataNrBlocks;
    this.messageShadowBlocks = 0;
    this.messageAllocatedBlocks = 0;
    this.superblockDirty = false;
    this.undoPages = 0;
    this.generation++;
    this.commitCount++;
    this.recomputeAccounting();
    if (this.mutations !== null) this.redoDiscardsAfterRollback();
    return changed;
  }

  /**
   * The `crash-keeps-discards` bug: the lost transaction's discards are applied again and
   * committed, as if they had reached the metadata device before the crash.
   */
  private redoDiscardsAfterRollback(): void {
    const discards = this.mutationDiscards;
    this.mutationDiscards = [];
    let redone = false;
    for (const [dev, vb] of discards) {
      if (this.devices.get(dev.id) === dev && dev.table.lookupData(vb) >= 0) {
        this.removeMapping(dev, vb);
        redone = true;
      }
    }
    if (redone) this.commit();
  }

  /** The committed state as an image, for writing to the metadata device. */
  image(): MetadataImage {
    const devices = new Map<number, { details: DeviceDetails; table: MappingTable }>();
    for (const [id, dev] of this.committedDevices) {
      assert(dev.committedDetails !== null, 'a committed device has committed details');
      devices.set(id, { details: copyDetails(dev.committedDetails), table: dev.table.committedView() });
    }
    return {
      time: this.committedTime,
      transactionId: this.committedTransactionId,
      dataBlockSizeSectors: this.dataBlockSizeSectors,
      nrDataBlocks: this.spaceMap.nrBlocks,
      metadataNrBlocks: this.committedMetadataNrBlocks,
      needsCheck: this.needsCheck && !this.needsCheckUnwritten,
      devices,
      // An image counts the live thins' references only; the writer adds the held trees' own.
      refcounts: withHeldReferences(this.spaceMap.committedCopy(), this.heldRoot, -1),
      heldRoot: this.heldRoot,
      generation: this.generation,
      refcountSkew: new Map(this.committedRefcountSkew),
      metadataCursor: this.metadataCursor,
      metadataUsedSkew: this.metadataUsedSkew,
      // Damaged blocks stay on disk until the kernel rewrites them, which the lab does not model.
      damage: this.damage,
      layout: this.allocator?.plan() ?? null,
    };
  }

  /**
   * Tells the allocator about a mapping going in: a block nobody counts yet was allocated for it
   * (the kernel allocates before it inserts).
   */
  private allocatorInsert(dev: ThinDevice, vb: number, dataBlock: number): void {
    this.followAllocator((a) => {
      if (!a.countsData(dataBlock)) a.allocateData(dataBlock);
      a.insertMapping(dev.id, vb, dataBlock);
    });
  }

  /**
   * Runs one operation on the allocator. Once the layout is no longer the kernel's the allocator
   * is dropped for good: the writer lays the metadata out compactly from then on, and the lab stops
   * paying for an allocator it no longer uses.
   */
  private followAllocator(operation: (allocator: MetadataAllocator) => void): void {
    if (this.allocator === null || this.allocator === undefined) return;
    operation(this.allocator);
    if (this.allocator.inexactReason !== null) this.allocator = null;
  }

  // ---- metadata space accounting (an estimate: see docs/model.md) ----

  /**
   * Blocks in use on the metadata device, before the reserve is applied. An estimate: the fixed
   * structures a freshly formatted device has, one leaf per 126 mappings in every distinct page
   * (pages shared by snapshots count once), one root per empty tree, the details and top-level
   * trees, the held metadata snapshot, and the blocks this transaction has shadowed.
   */
  rawUsedMetadataBlocks(): number {
    let used = this.structureBlocks() + this.leafBlocks + this.emptyRootRefs.size;
    if (this.leafBlocks > ROOTS_PER_LEAF) used += Math.ceil(this.leafBlocks / ROOTS_PER_LEAF);
    if (this.heldRoot !== null) used += 1;
    return Math.max(0, used + this.shadowedBlocks() + this.metadataUsedSkew);
  }

  /**
   * A cache, not state: checkpoints leave it out (checkpointSkip) so that reading a status
   * never changes what a lab's state hash is.
   */
  private structureFor: readonly [number, number, number] | undefined;
  private structureCache = 0;

  /**
   * The fixed structures: superblock; metadata space map (index, bitmaps, overflow tree); data
   * space map (index root, bitmaps, overflow tree); the mapping and details trees' interior.
   * Cached, since it changes only with the device count and the two device sizes.
   */
  private structureBlocks(): number {
    const nrData = this.spaceMap.nrBlocksUncommitted;
    const n = this.devices.size;
    const f = this.structureFor;
    if (f !== undefined && f[0] === nrData && f[1] === this.metadataNrBlocks && f[2] === n) return this.structureCache;
    const metaBitmaps = Math.ceil(this.metadataNrBlocks / ENTRIES_PER_BITMAP);
    const dataBitmaps = Math.ceil(nrData / ENTRIES_PER_BITMAP);
    this.structureCache =
      1 +
      (1 + metaBitmaps + 1) +
      (1 + dataBitmaps + 1) +
      1 +
      1 +
      extraTreeBlocks(n, DETAILS_PER_LEAF) +
      extraTreeBlocks(n, ROOTS_PER_LEAF);
    this.structureFor = [nrData, this.metadataNrBlocks, n];
    return this.structureCache;
  }

  /** Blocks copied by this transaction's shadowing, released at the next commit. */
  shadowedBlocks(): number {
    const dirty = this.spaceMap.dirtyCount > 0;
    if (this.undoPages === 0 && this.changedDevices === 0 && !dirty) return this.messageShadowBlocks;
    return this.messageShadowBlocks + this.undoPages + 1 + this.changedDevices + (dirty ? 1 : 0);
  }

  /**
   * Metadata blocks the transaction allocates by the time its commit is done, for the allocation
   * cursor: the messages' blocks, and for mapping changes one block per new or copied leaf, one per
   * changed device's details, and five for the trees' upper levels and the space maps, which the
   * commit writes (measured on the oracle: 7 for a transaction that maps blocks in one leaf).
   */
  /** The highest metadata block (exclusive) this transaction's commit would write. */
  commitWriteEnd(): number {
    return (this.metadataCursor % Math.max(this.metadataNrBlocks, 1)) + this.allocatedThisTransaction();
  }

  private allocatedThisTransaction(): number {
    // Only mapping changes touch pages; a snapshot's details update is part of its message cost.
    const mappings = this.undoPages > 0;
    return this.messageAllocatedBlocks + (mappings ? this.undoPages + this.changedDevices + 5 : 0);
  }

  /** The kernel hides a reserve from the free count: min(4096 blocks, 10%). */
  metadataReserveBlocks(): number {
    return Math.min(4096, Math.floor(this.metadataNrBlocks / 10));
  }

  /**
   * Metadata blocks in use as the kernel counts them (sm_metadata_get_nr_free: allocated at the
   * last commit plus allocated since): the allocator's own count while the lab follows it block for
   * block, else the estimate (rawUsedMetadataBlocks). The status and every decision the pool takes
   * on metadata space read this one number, so what a reader of the status sees is what the pool
   * decides by.
   */
  usedMetadataBlocks(): number {
    return this.followedAllocator()?.usedBlocks() ?? this.rawUsedMetadataBlocks();
  }

  /** The kernel's allocator while the lab follows it block for block, else null. */
  followedAllocator(): MetadataAllocator | null {
    const allocator = this.allocator;
    return allocator === null || allocator === undefined || allocator.inexactReason !== null ? null : allocator;
  }

  rawFreeMetadataBlocks(): number {
    return Math.max(0, this.metadataNrBlocks - this.usedMetadataBlocks());
  }

  /** Free metadata blocks as the kernel reports them (reserve excluded). */
  freeMetadataBlocks(): number {
    return Math.max(0, this.rawFreeMetadataBlocks() - this.metadataReserveBlocks());
  }

  private frozenDevices(): Map<number, { details: DeviceDetails; table: MappingTable }> {
    const devices = new Map<number, { details: DeviceDetails; table: MappingTable }>();
    for (const [id, dev] of this.devices) {
      devices.set(id, { details: copyDetails(dev.details), table: dev.table.committedView() });
    }
    return devices;
  }
}

/** Calls `visit` with the data block of every mapping a held metadata snapshot's trees hold. */
export function forEachHeldMapping(held: HeldMetadataSnapshot | null, visit: (dataBlock: number) => void): void {
  for (const dev of held?.devices.values() ?? []) dev.table.forEach((_vb, dataBlock) => visit(dataBlock));
}

/**
 * Counts with the held snapshot's references added (+1) or taken off (-1): the model keeps them in
 * its space map, an image (MetadataImage.refcounts) only the live thins' ones.
 */
function withHeldReferences(counts: Uint32Array, held: HeldMetadataSnapshot | null, sign: 1 | -1): Uint32Array {
  if (held === null) return counts;
  const out = counts.slice();
  forEachHeldMapping(held, (b) => {
    if (b < out.length) out[b] = Math.max(0, out[b]! + sign);
  });
  return out;
}

/** Blocks a btree of `n` entries needs beyond its single root leaf. */
function extraTreeBlocks(n: number, perLeaf: number): number {
  const leaves = Math.max(1, Math.ceil(n / perLeaf));
  return leaves === 1 ? 0 : leaves;
}
