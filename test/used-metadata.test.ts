/**
 * The pool's used-metadata count and its metadata-space decisions read one number: the kernel
 * allocator's count wherever the lab follows it (docs/metadata-layout.md, "Used metadata"). The
 * transcripts check the figures against the kernel; these name the rules.
 */
import { describe, expect, it } from 'vitest';
import { LabShell } from '../src/lab/lab-shell.js';
import type { ThinPool } from '../src/model/pool.js';

function poolOf(shell: LabShell): ThinPool {
  const pool = shell.machine.livePools()[0];
  if (pool === undefined) throw new Error('no live pool');
  return pool;
}

/** The `used/total` metadata field of `dmsetup status --noflush pool`. */
function statusUsed(shell: LabShell): number {
  const m = / thin-pool [0-9]+ ([0-9]+)\/[0-9]+ /.exec(shell.runLine('dmsetup status --noflush pool'));
  if (m === null) throw new Error('no pool status');
  return Number(m[1]);
}

/** What the kernel shows as used: the total less the free count, the reserve hidden from it. */
function shownUsed(pool: ThinPool, used: number): number {
  const total = pool.md.metadataNrBlocks;
  return total - Math.max(0, total - used - pool.md.metadataReserveBlocks());
}

describe('the used-metadata count', () => {
  it("is the allocator's count while the lab follows the kernel's allocator, within a transaction too", () => {
    const sh = new LabShell();
    sh.runLine('dmsetup create pool --table "0 131072 thin-pool /dev/ram0 /dev/ram1 128 0"; dmsetup mknodes');
    sh.runLine('dmsetup message pool 0 "create_thin 0"; dmsetup create t --table "0 262144 thin /dev/mapper/pool 0"');
    sh.runLine('dmsetup mknodes; dd if=/patterns/A of=/dev/mapper/t bs=64k count=200 oflag=direct 2>/dev/null');
    // A copy out of a block the snapshot shares, its transaction not committed yet.
    sh.runLine('dmsetup message pool 0 "create_snap 1 0"');
    sh.runLine('dd if=/patterns/B of=/dev/mapper/t bs=64k count=1 seek=100 oflag=direct 2>/dev/null');
    const pool = poolOf(sh);
    const allocator = pool.md.allocator;
    expect(allocator?.inexactReason).toBe(null);
    expect(statusUsed(sh)).toBe(shownUsed(pool, allocator!.usedBlocks()));
    // Here the estimate counts a block more than the kernel's allocator does.
    expect(allocator!.usedBlocks()).not.toBe(pool.md.rawUsedMetadataBlocks());
  });

  it('follows the allocator from metadata bytes read back, with the layout they hold', () => {
    const sh = new LabShell();
    sh.runLine('dmsetup create pool --table "0 131072 thin-pool /dev/ram0 /dev/ram1 128 0"');
    sh.runLine('dmsetup message pool 0 "create_thin 0"; dmsetup message pool 0 "create_snap 1 0"');
    const before = poolOf(sh).md.allocator!.plan();
    sh.runLine('dmsetup remove pool');
    // Bytes copied through a file come back as bytes: the pool reads its layout back from them.
    sh.runLine('dd if=/dev/ram0 of=/tmp/m bs=1M count=4 2>/dev/null; dd if=/tmp/m of=/dev/ram0 bs=1M 2>/dev/null');
    sh.runLine('dmsetup create pool --table "0 131072 thin-pool /dev/ram0 /dev/ram1 128 0"');
    const pool = poolOf(sh);
    expect(pool.md.followedAllocator()?.plan()).toEqual(before);
    sh.runLine('dmsetup message pool 0 "create_thin 2"');
    // The message's commit went through the allocator taken from the bytes.
    expect(pool.md.followedAllocator()!.plan()!.deviceRoots.has(2)).toBe(true);
    expect(statusUsed(sh)).toBe(shownUsed(pool, pool.md.followedAllocator()!.usedBlocks()));
  });

  it('is the estimate for damaged metadata bytes, which hold no layout the lab can take', () => {
    const sh = new LabShell();
    sh.runLine('dmsetup create pool --table "0 131072 thin-pool /dev/ram0 /dev/ram1 128 0"');
    sh.runLine('dmsetup message pool 0 "create_thin 0"');
    const leaf = poolOf(sh).md.allocator!.plan()!.deviceRoots.get(0)!;
    sh.runLine('dmsetup remove pool');
    // A byte of thin 0's (empty) mapping leaf flipped: the kernel meets it only when it reads the leaf.
    sh.runLine(`printf 'X' | dd of=/dev/ram0 bs=1 seek=${leaf * 4096 + 100} conv=notrunc 2>/dev/null`);
    sh.runLine('dmsetup create pool --table "0 131072 thin-pool /dev/ram0 /dev/ram1 128 0"');
    const pool = poolOf(sh);
    expect(pool.md.allocator ?? null).toBe(null);
    expect(statusUsed(sh)).toBe(shownUsed(pool, pool.md.rawUsedMetadataBlocks()));
  });

  it('decides the commit that does not fit: ENOSPC, the abort back to the last commit, and following goes on', () => {
    const sh = new LabShell();
    sh.runLine('dmsetup create meta --table "0 256 linear /dev/ram0 0"; dmsetup mknodes');
    sh.runLine('dmsetup create pool --table "0 65536 thin-pool /dev/mapper/meta /dev/ram1 128 0"; dmesg -c >/dev/null');
    const pool = poolOf(sh);
    let committed = pool.md.allocator!.usedBlocks();
    let failedAt = -1;
    for (let id = 0; id < 40 && failedAt < 0; id++) {
      sh.runLine(`dmsetup message pool 0 "create_thin ${id}"`);
      if (pool.mode === 'read_only') failedAt = id;
      else committed = pool.md.allocator!.usedBlocks();
    }
    expect(failedAt).toBeGreaterThan(0);
    const allocator = pool.md.allocator!;
    expect(allocator.inexactReason).toBe(null);
    expect(allocator.outOfBlocks).toBe(false);
    expect(allocator.usedBlocks()).toBe(committed);
    expect(sh.runLine("dmesg | sed 's/^\\[[^]]*\\] //' | grep -e allocate -e dm_pool_commit")).toBe(
      'device-mapper: space map metadata: unable to allocate new metadata block\n' +
        "device-mapper: thin: 254:1: metadata operation 'dm_pool_commit_metadata' failed: error = -28\n",
    );
  });
});
