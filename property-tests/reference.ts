/**
 * The reference model of the property tests: what a thin pool must do, written from the rules
 * (docs/model.md, dm-thin.md) and sharing no code with src/model beyond types. It knows nothing
 * of data block numbers, pages, undo logs or the allocator's cursor: a mapping points at an
 * abstract block (a number the reference hands out), each abstract block holds what its sectors
 * must read back, and the committed state is a plain copy taken at every point the kernel commits.
 *
 * What it predicts exactly: every sector of every thin (or "any value" where the kernel leaves old
 * data: a partial write to a new block with zeroing off), the mappings and which of them are
 * shared, the data space in use, the pool mode among write / out_of_data_space / fail (the data
 * rules and a failed metadata device), each command's errno, and the state after a crash.
 */
import type { PoolMode } from '../src/model/lifecycle.js';

/** Sector value the reference does not predict (stale data in a block that was not zeroed). */
export const ANY = -1;
export const ZERO = 0;

export const EIO = 5;
export const ENOSPC = 28;
export const EEXIST = 17;
export const ENODATA = 61;
export const EBUSY = 16;
export const EOPNOTSUPP = 95;

interface RefMapping {
  /** Abstract block id. */
  readonly block: number;
  /** Pool time the mapping was made at: shared when older than the thin's snapshotted time. */
  readonly time: number;
}

interface RefThin {
  readonly mappings: Map<number, RefMapping>;
  snapshottedTime: number;
}

interface RefCommitted {
  readonly time: number;
  readonly poolBlocks: number;
  readonly thins: ReadonlyMap<
    number,
    { readonly mappings: ReadonlyMap<number, RefMapping>; readonly snapshottedTime: number }
  >;
}

/** Which copy-on-write situations a sequence went through (the coverage counts). */
export interface CowEvents {
  firstWriteSharedFromOrigin: number;
  firstWriteSharedFromSnapshot: number;
  discardShared: number;
  snapshotOfSnapshot: number;
  crashAfterRemap: number;
}

export class ReferencePool {
  readonly blockSectors: number;
  readonly thinBlocks: number;
  poolBlocks: number;
  time = 0;
  mode: PoolMode = 'write';
  zeroNewBlocks = true;
  readonly thins = new Map<number, RefThin>();
  /** Thins a snapshot was taken of (origins), and snapshots: for the coverage of both sides. */
  readonly snapshots = new Set<number>();
  /** Thins whose mappings changed since the last commit (a flush to them commits). */
  readonly changed = new Set<number>();
  /** The metadata device fails every I/O (a fault): the next commit that writes fails the pool. */
  metadataBroken = false;
  /**
   * Some change since the pool was opened: from then on every commit writes (the kernel's
   * in_service). A new pool starts in service: sizing its data device from 0 blocks is a change.
   */
  inService = true;
  /** A block was remapped (copy-on-write or a new mapping) since the last commit. */
  remappedSinceCommit = false;
  readonly cow: CowEvents = {
    firstWriteSharedFromOrigin: 0,
    firstWriteSharedFromSnapshot: 0,
    discardShared: 0,
    snapshotOfSnapshot: 0,
    crashAfterRemap: 0,
  };
  private readonly content = new Map<number, Int32Array>();
  /** The same sectors as bytes (a view, no copy), for comparing a whole block at once. */
  private readonly contentBytes = new Map<number, Uint8Array>();
  private nextBlock = 0;
  /** Scratch for `countBlocks`: the stamp of the last count that saw each abstract block. */
  private blockStamps = new Uint32Array(0);
  private stampNow = 0;
  private committed: RefCommitted;

  constructor(poolBlocks: number, blockSectors: number, thinBlocks: number) {
    this.poolBlocks = poolBlocks;
    this.blockSectors = blockSectors;
    this.thinBlocks = thinBlocks;
    this.committed = this.snapshot();
  }

  get isReadOnly(): boolean {
    return this.mode === 'read_only' || this.mode === 'out_of_metadata_space' || this.mode === 'fail';
  }

  /** Data blocks in use as `dmsetup status` counts them: the abstract blocks the live mappings reference. */
  usedBlocks(): number {
    return this.countBlocks(false);
  }

  /**
   * How many distinct abstract blocks the live mappings reference, and the committed ones too when
   * `withCommitted`. Counted with a stamp per block rather than a Set of them: this runs after
   * every command and on every allocation, and the Sets were a good part of the garbage.
   */
  private countBlocks(withCommitted: boolean): number {
    if (this.blockStamps.length < this.nextBlock) {
      const grown = new Uint32Array(Math.max(this.nextBlock, this.blockStamps.length * 2));
      grown.set(this.blockStamps);
      this.blockStamps = grown;
    }
    const stamp = ++this.stampNow;
    const stamps = this.blockStamps;
    let n = 0;
    for (const t of this.thins.values()) {
      for (const m of t.mappings.values()) {
        if (stamps[m.block] !== stamp) {
          stamps[m.block] = stamp;
          n++;
        }
      }
    }
    if (!withCommitted) return n;
    for (const t of this.committed.thins.values()) {
      for (const m of t.mappings.values()) {
        if (stamps[m.block] !== stamp) {
          stamps[m.block] = stamp;
          n++;
        }
      }
    }
    return n;
  }

  /** What sector `s` of thin `id` must read back (ZERO when unmapped, ANY when unpredictable). */
  expectedSector(id: number, s: number): number {
    const t = this.thins.get(id);
    if (t === undefined) return ZERO;
    const m = t.mappings.get(Math.floor(s / this.blockSectors));
    if (m === undefined) return ZERO;
    return this.content.get(m.block)![s % this.blockSectors]!;
  }

  /** What a virtual block of a thin must read back: its sectors, or null when unmapped (zeros). */
  expectedBlock(id: number, vb: number): Int32Array | null {
    const m = this.thins.get(id)?.mappings.get(vb);
    return m === undefined ? null : this.content.get(m.block)!;
  }

  /** `expectedBlock` as the bytes of its 32-bit sector values (ANY is -1, 0xffffffff). */
  expectedBlockBytes(id: number, vb: number): Uint8Array | null {
    const m = this.thins.get(id)?.mappings.get(vb);
    return m === undefined ? null : this.contentBytes.get(m.block)!;
  }

  /** The abstract block a thin maps at a virtual block, or -1. */
  mappedBlock(id: number, vb: number): number {
    return this.thins.get(id)?.mappings.get(vb)?.block ?? -1;
  }

  committedView(): RefCommitted {
    return this.committed;
  }

  // ---------------------------------------------------------------- commits

  private snapshot(): RefCommitted {
    const thins = new Map<number, { mappings: ReadonlyMap<number, RefMapping>; snapshottedTime: number }>();
    for (const [id, t] of this.thins)
      thins.set(id, { mappings: new Map(t.mappings), snapshottedTime: t.snapshottedTime });
    return { time: this.time, poolBlocks: this.poolBlocks, thins };
  }

  /**
   * A commit point (message, status, flush of a changed thin, suspend, resize, allocation with
   * nothing free). Refused in the read-only modes; with a failed metadata device a commit that has
   * something to write fails the pool (the abort cannot read the superblock back: fail mode).
   * Returns false when nothing was committed.
   */
  commit(): boolean {
    if (this.isReadOnly) return false;
    if (this.metadataBroken && this.inService) {
      this.mode = 'fail';
      return false;
    }
    this.committed = this.snapshot();
    this.changed.clear();
    this.remappedSinceCommit = false;
    if (this.mode === 'out_of_data_space' && this.poolBlocks - this.usedBlocks() > 0) this.mode = 'write';
    return true;
  }

  private change(): void {
    this.inService = true;
  }

  /** Power loss: back to the last commit; data written in place to committed blocks stays. */
  crash(): void {
    if (this.remappedSinceCommit) this.cow.crashAfterRemap++;
    const c = this.committed;
    this.time = c.time;
    this.poolBlocks = c.poolBlocks;
    this.thins.clear();
    for (const [id, t] of c.thins)
      this.thins.set(id, { mappings: new Map(t.mappings), snapshottedTime: t.snapshottedTime });
    this.changed.clear();
    this.remappedSinceCommit = false;
    this.inService = false;
    for (const id of [...this.snapshots]) if (!this.thins.has(id)) this.snapshots.delete(id);
  }

  /** The pool is opened again from the metadata device (after a crash). */
  reopen(): void {
    this.mode = 'write';
    this.inService = false;
  }

  // ---------------------------------------------------------------- messages

  createThin(id: number): number {
    if (this.isReadOnly) return EOPNOTSUPP;
    if (this.thins.has(id)) return EEXIST;
    this.thins.set(id, { mappings: new Map(), snapshottedTime: this.time });
    this.change();
    this.commit();
    return 0;
  }

  createSnap(id: number, originId: number): number {
    if (this.isReadOnly) return EOPNOTSUPP;
    if (this.thins.has(id)) return EEXIST;
    const origin = this.thins.get(originId);
    if (origin === undefined) return ENODATA;
    if (this.snapshots.has(originId)) this.cow.snapshotOfSnapshot++;
    this.time++;
    origin.snapshottedTime = this.time;
    this.thins.set(id, { mappings: new Map(origin.mappings), snapshottedTime: this.time });
    this.snapshots.add(id);
    this.change();
    this.commit();
    return 0;
  }

  deleteThin(id: number, open: boolean): number {
    if (this.isReadOnly) return EOPNOTSUPP;
    if (!this.thins.has(id)) return ENODATA;
    if (open) return EBUSY;
    this.thins.delete(id);
    this.snapshots.delete(id);
    this.changed.delete(id);
    this.change();
    this.commit();
    return 0;
  }

  /**
   * A reloaded pool table is bound at resume: suspend commits, then the pool takes the table's
   * mode (write), whatever space it has (bind_control_target; fail is never left).
   */
  reload(zeroNewBlocks: boolean): void {
    this.commit();
    if (this.mode !== 'fail') this.mode = 'write';
    this.zeroNewBlocks = zeroNewBlocks;
  }

  /** The pool grows to `blocks` (a reload with a longer table): the resize commits. */
  resize(blocks: number): void {
    this.reload(this.zeroNewBlocks);
    if (blocks > this.poolBlocks && !this.isReadOnly) {
      this.poolBlocks = blocks;
      this.change();
      this.commit();
    }
  }

  // ---------------------------------------------------------------- I/O

  /**
   * One bio: `count` sectors of `token` at sector `offset` of virtual block `vb` (never crossing a
   * block). Returns 0 or the errno, as dm-thin's process_bio and alloc_data_block decide.
   */
  writeBio(id: number, vb: number, offset: number, count: number, token: number): number {
    if (this.mode === 'fail') return EIO;
    const thin = this.thins.get(id)!;
    const m = thin.mappings.get(vb);
    const shared = m !== undefined && m.time < thin.snapshottedTime;
    if (m !== undefined && !shared) {
      this.content.get(m.block)!.fill(token, offset, offset + count);
      return 0;
    }
    if (this.mode !== 'write') return this.mode === 'out_of_data_space' ? ENOSPC : EIO;
    // alloc_data_block: nothing free -> commit and look again; a block must be free both now and
    // at the last commit, else out-of-data-space.
    if (this.poolBlocks - this.usedBlocks() === 0) {
      if (!this.commit()) return EIO;
      if (this.poolBlocks - this.usedBlocks() === 0) {
        this.mode = 'out_of_data_space';
        return ENOSPC;
      }
    }
    if (this.poolBlocks - this.countBlocks(true) <= 0) {
      this.mode = 'out_of_data_space';
      return ENOSPC;
    }
    const block = this.nextBlock++;
    const bs = this.blockSectors;
    let data: Int32Array;
    if (offset === 0 && count === bs) data = new Int32Array(bs);
    else if (m !== undefined) data = Int32Array.from(this.content.get(m.block)!);
    else data = new Int32Array(bs).fill(this.zeroNewBlocks ? ZERO : ANY);
    data.fill(token, offset, offset + count);
    this.content.set(block, data);
    this.contentBytes.set(block, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    if (shared) {
      if (this.snapshots.has(id)) this.cow.firstWriteSharedFromSnapshot++;
      else this.cow.firstWriteSharedFromOrigin++;
    }
    thin.mappings.set(vb, { block, time: this.time });
    this.changed.add(id);
    this.remappedSinceCommit = true;
    this.change();
    return 0;
  }

  /** A discard of whole blocks, rounded inward; a no-op in the read-only modes. */
  discard(id: number, startSector: number, sectors: number): number {
    if (this.mode === 'fail') return EIO;
    if (this.isReadOnly) return 0;
    const bs = this.blockSectors;
    const thin = this.thins.get(id)!;
    const begin = Math.ceil(startSector / bs);
    const end = Math.floor((startSector + sectors) / bs);
    for (let vb = begin; vb < end; vb++) {
      const m = thin.mappings.get(vb);
      if (m === undefined) continue;
      if (this.isShared(id, m.block)) this.cow.discardShared++;
      thin.mappings.delete(vb);
      this.changed.add(id);
      this.change();
    }
    return 0;
  }

  /** A flush: commits when the thin's mappings changed in this transaction. */
  flush(id: number): number {
    if (this.mode === 'fail') return EIO;
    if (!this.changed.has(id)) return 0;
    return this.commit() ? 0 : EIO;
  }

  private isShared(id: number, block: number): boolean {
    for (const [other, t] of this.thins) {
      if (other === id) continue;
      for (const m of t.mappings.values()) if (m.block === block) return true;
    }
    return false;
  }
}
