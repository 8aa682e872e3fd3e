/**
 * The data space map: a reference count per data block, with the kernel's transaction rules
 * (dm-space-map-disk.c, dm-thin.md §3.3).
 *
 * - The committed counts are kept beside the current ones, like the kernel's `old_ll` and `ll`.
 *   A block may be allocated only when it is free in both, so a block freed in this transaction
 *   cannot be reused before the next commit, although the free count shows it at once.
 * - Allocation is next-fit from a cursor that starts after the last allocated block and wraps to 0;
 *   the cursor survives commits and is reset only when the metadata is opened again.
 * - The free count is `committed size - blocks in use now`: a resize shows only after its commit.
 */
import { assert } from './assert.js';

export class DataSpaceMap {
  private refcounts: Uint32Array;
  private committedRefcounts: Uint32Array;
  /** Blocks whose count changed since the last commit, each listed once. */
  private dirty: Uint32Array;
  private dirtyLength = 0;
  private dirtyFlags: Uint8Array;
  private allocatedNow = 0;
  private allocatedCommitted = 0;
  private nrBlocksNow: number;
  private nrBlocksCommitted: number;
  /** Next-fit cursor: the search for a free block starts here. */
  cursor = 0;
  /** The `reuse-before-commit` bug of the mutation suite (src/model/mutations.ts); false in normal use. */
  reuseBeforeCommit = false;

  constructor(nrBlocks: number) {
    this.nrBlocksNow = nrBlocks;
    this.nrBlocksCommitted = nrBlocks;
    this.refcounts = new Uint32Array(nrBlocks);
    this.committedRefcounts = new Uint32Array(nrBlocks);
    this.dirtyFlags = new Uint8Array(nrBlocks);
    this.dirty = new Uint32Array(Math.min(Math.max(nrBlocks, 1), 1 << 16));
  }

  /** Size recorded in the last commit: what status and the free count use. */
  get nrBlocks(): number {
    return this.nrBlocksCommitted;
  }

  get nrBlocksUncommitted(): number {
    return this.nrBlocksNow;
  }

  get nrAllocated(): number {
    return this.allocatedNow;
  }

  /** Free blocks as the kernel reports them (includes blocks freed in this transaction). */
  get nrFree(): number {
    return Math.max(0, this.nrBlocksCommitted - this.allocatedNow);
  }

  get changedThisTransaction(): boolean {
    return this.dirtyLength > 0 || this.nrBlocksNow !== this.nrBlocksCommitted;
  }

  get dirtyCount(): number {
    return this.dirtyLength;
  }

  refcount(block: number): number {
    return this.refcounts[block]!;
  }

  committedRefcount(block: number): number {
    return this.committedRefcounts[block]!;
  }

  /**
   * Finds a block free now and at the last commit, next-fit from the cursor, sets its count to 1
   * and moves the cursor past it. Returns -1 when there is none (the kernel's -ENOSPC).
   */
  allocate(): number {
    const limit = this.nrBlocksNow;
    let b = this.findCommonFree(this.cursor, limit);
    if (b < 0) b = this.findCommonFree(0, Math.min(this.cursor, limit));
    if (b < 0) return -1;
    this.set(b, 1);
    this.cursor = b + 1;
    return b;
  }

  increment(block: number): void {
    this.set(block, this.refcounts[block]! + 1);
  }

  /** Drops one reference; returns the new count. */
  decrement(block: number): number {
    const count = this.refcounts[block]!;
    assert(count > 0, `refcount of data block ${block} would go below zero`);
    this.set(block, count - 1);
    return count - 1;
  }

  /** Grows the map (uncommitted until the next commit). Shrinking is refused by the caller. */
  resize(nrBlocks: number): void {
    assert(nrBlocks >= this.nrBlocksNow, 'the data space map never shrinks');
    if (nrBlocks > this.refcounts.length) {
      const grow = (old: Uint32Array): Uint32Array => {
        const next = new Uint32Array(nrBlocks);
        next.set(old);
        return next;
      };
      this.refcounts = grow(this.refcounts);
      this.committedRefcounts = grow(this.committedRefcounts);
      const flags = new Uint8Array(nrBlocks);
      flags.set(this.dirtyFlags);
      this.dirtyFlags = flags;
    }
    this.nrBlocksNow = nrBlocks;
  }

  commit(): void {
    for (let i = 0; i < this.dirtyLength; i++) {
      const b = this.dirty[i]!;
      this.committedRefcounts[b] = this.refcounts[b]!;
      this.dirtyFlags[b] = 0;
    }
    this.dirtyLength = 0;
    this.allocatedCommitted = this.allocatedNow;
    this.nrBlocksCommitted = this.nrBlocksNow;
  }

  /** Back to the last commit (crash or aborted transaction). */
  rollback(): void {
    for (let i = 0; i < this.dirtyLength; i++) {
      const b = this.dirty[i]!;
      this.refcounts[b] = this.committedRefcounts[b]!;
      this.dirtyFlags[b] = 0;
    }
    this.dirtyLength = 0;
    this.allocatedNow = this.allocatedCommitted;
    this.nrBlocksNow = this.nrBlocksCommitted;
  }

  /** The committed counts, copied (for a metadata image). */
  committedCopy(): Uint32Array {
    return this.committedRefcounts.slice(0, this.nrBlocksCommitted);
  }

  /** Calls `visit` for every block with a non-zero current count. */
  forEachAllocated(visit: (block: number, count: number) => void): void {
    const counts = this.refcounts;
    for (let b = 0; b < this.nrBlocksNow; b++) {
      const c = counts[b]!;
      if (c !== 0) visit(b, c);
    }
  }

  static fromCommitted(counts: Uint32Array, nrBlocks: number): DataSpaceMap {
    const map = new DataSpaceMap(nrBlocks);
    map.refcounts.set(counts.subarray(0, nrBlocks));
    map.committedRefcounts.set(counts.subarray(0, nrBlocks));
    let allocated = 0;
    for (let b = 0; b < nrBlocks; b++) if (counts[b] !== 0) allocated++;
    map.allocatedNow = allocated;
    map.allocatedCommitted = allocated;
    return map;
  }

  private findCommonFree(begin: number, end: number): number {
    const now = this.refcounts;
    const then = this.committedRefcounts;
    for (let b = begin; b < end; b++) {
      if (now[b] === 0 && (b >= this.nrBlocksCommitted || then[b] === 0 || this.reuseBeforeCommit)) return b;
    }
    return -1;
  }

  private set(block: number, count: number): void {
    assert(block >= 0 && block < this.nrBlocksNow, `data block ${block} outside the pool`);
    const before = this.refcounts[block]!;
    if (before === 0 && count > 0) this.allocatedNow++;
    else if (before > 0 && count === 0) this.allocatedNow--;
    this.refcounts[block] = count;
    if (this.dirtyFlags[block] === 0) {
      this.dirtyFlags[block] = 1;
      if (this.dirtyLength === this.dirty.length) {
        const bigger = new Uint32Array(this.dirty.length * 2);
        bigger.set(this.dirty);
        this.dirty = bigger;
      }
      this.dirty[this.dirtyLength++] = block;
    }
  }
}
