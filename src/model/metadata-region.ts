/**
 * One place on a disk (or a lab file) where a metadata device starts: what dm-thin metadata it
 * holds, which pool has it open, and how much of it reached the disk. A disk can hold several,
 * as two pools whose metadata devices are two `linear` pieces of one RAM disk do
 * (fixtures/kernel/130-two-pools-one-disk); each is keyed by its offset on the disk.
 */
import type { MetadataImage } from './metadata.js';
import type { ThinPool } from './pool.js';

/**
 * What a metadata device holds: nothing yet, a dm-thin image the lab wrote (kept as an object, so
 * that a copy carries the lab's bookkeeping too), or bytes someone else wrote (`dd of=`), which are
 * parsed with the on-disk format reader when a pool opens the device.
 */
export type MetadataContent =
  | { readonly kind: 'none' }
  | { readonly kind: 'image'; readonly image: MetadataImage }
  | { readonly kind: 'bytes' };

/** The sectors of one metadata block: the superblock is the first. */
const BLOCK_SECTORS = 8;

/**
 * Commits that did not all reach the disk (a `flakey ... drop_writes` under the metadata device):
 * from the first lost commit on, the disk's sectors hold what really reached them, and each later
 * commit writes only the blocks it changed (see Machine's commit hooks).
 */
export interface LostWrites {
  /** The image whose layout the disk still holds exactly, until a commit reaches it; then null. */
  durable: MetadataImage | null;
  /** The layout of the pool's last commit, to find the blocks the next commit changes. */
  lastLayout: Uint8Array;
}

export class MetadataRegion {
  /** Left out of checkpoints: a cache, refilled on demand. */
  static readonly checkpointSkip = ['materializedFrom'] as const;
  metadata: MetadataContent = { kind: 'none' };
  /** The pool whose live metadata is here, if any; its committed state is what reads see. */
  livePool: ThinPool | null = null;
  /** Sectors the live pool's metadata device covers (its size when it was opened). */
  lengthSectors = BLOCK_SECTORS;
  /** A copy taken when a device above was suspended: commits cannot reach the disk meanwhile. */
  frozen: MetadataContent | null = null;
  /**
   * Which image the sectors were last laid out from (a cache: snapshots leave it out). Reading a
   * metadata device lays the image out as real on-disk bytes first.
   */
  materializedFrom: { readonly source: object; readonly version: number } | null = null;
  /**
   * Someone else wrote the live pool's metadata blocks (`dd of=`, `fault metadata`) since they
   * were last laid out, or wrote the bytes the pool opened (a tool, `dd` of an image). The pool
   * does not see it, readers of the device do, and it stays on disk
   * while the pool commits nothing (see Machine.writeStorage and closeStorage). The value is the
   * pool's count of commits that wrote something: once it moves on, the lab lays the image out again.
   */
  foreignWrites: number | null = null;
  /** Commits that never reached the disk, while the pool that made them is open; null when none. */
  lostWrites: LostWrites | null = null;

  constructor(readonly offsetSectors: number) {}

  /** The metadata content as a reader of the device would find it now. */
  currentMetadata(): MetadataContent {
    if (this.frozen !== null) return this.frozen;
    // After a lost commit the disk's own sectors are the truth, not the pool's image.
    if (this.lostWrites !== null) return { kind: 'bytes' };
    if (this.livePool !== null) return { kind: 'image', image: this.livePool.md.image() };
    return this.metadata;
  }

  /** Sectors past the offset that a write must miss to leave this region's metadata alone. */
  extentSectors(): number {
    if (this.livePool !== null) return this.lengthSectors;
    const content = this.metadata;
    return content.kind === 'image' ? content.image.metadataNrBlocks * BLOCK_SECTORS : BLOCK_SECTORS;
  }

  /** Whether `count` sectors from `start` (on the disk) touch this region's metadata. */
  overlaps(start: number, count: number): boolean {
    return start < this.offsetSectors + this.extentSectors() && start + count > this.offsetSectors;
  }
}
