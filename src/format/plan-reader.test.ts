/**
 * The layout read back from metadata bytes (plan-reader.ts) is the one the allocator planned for
 * them: after a history with snapshots (shared leaves, counts of 3), deletes and a held metadata
 * snapshot, reading the planned writer's bytes gives the allocator's own plan, node for node and
 * count for count. Damaged bytes give no plan, so the lab keeps its estimate there.
 */
import { describe, expect, it } from 'vitest';
import { LabShell } from '../lab/lab-shell.js';
import { dmChecksum } from './crc32c.js';
import { BLOCK_SIZE, SUPERBLOCK_CSUM_XOR } from './layout.js';
import { writeMetadataImage } from './metadata-writer.js';
import { readMetadataPlan } from './plan-reader.js';

const HISTORY = `
dmsetup create pool --table "0 131072 thin-pool /dev/ram0 /dev/ram1 128 0"; dmsetup mknodes
dmsetup message pool 0 "create_thin 0"
dmsetup create t0 --table "0 262144 thin /dev/mapper/pool 0"; dmsetup mknodes
dd if=/dev/zero of=/dev/mapper/t0 bs=64k count=300 oflag=direct 2>/dev/null
dmsetup suspend t0; dmsetup message pool 0 "create_snap 1 0"; dmsetup message pool 0 "create_snap 2 1"; dmsetup resume t0
dd if=/dev/zero of=/dev/mapper/t0 bs=64k count=1 seek=7 oflag=direct 2>/dev/null
dmsetup message pool 0 "create_thin 3"; dmsetup message pool 0 "delete 3"
dmsetup message pool 0 "reserve_metadata_snap"
dd if=/dev/zero of=/dev/mapper/t0 bs=64k count=1 seek=299 oflag=direct 2>/dev/null
dmsetup suspend pool; dmsetup resume pool
`;

type History = { bytes: Uint8Array; plan: NonNullable<ReturnType<typeof readMetadataPlan>> };
let history: History | undefined;

/** The history run once for both tests (each copies the bytes before it changes them). */
function pooledHistory(): History {
  history ??= runHistory();
  return history;
}

function runHistory(): History {
  const shell = new LabShell({ stack: 'debian12' });
  expect(shell.runScript(HISTORY)).toBe('');
  const md = shell.machine.livePools()[0]!.md;
  const plan = md.allocator?.plan() ?? null;
  expect(plan).not.toBeNull();
  return { bytes: writeMetadataImage(md.image(), md.metadataNrBlocks), plan: plan! };
}

describe('the layout read back from metadata bytes', () => {
  it("is the allocator's plan for the bytes the planned writer laid out", () => {
    const { bytes, plan } = pooledHistory();
    const read = readMetadataPlan(bytes);
    expect(read).not.toBeNull();
    // The history reached what the reader must get right: counts of 3 and a held snapshot.
    expect([...plan.metadataCounts.values()].some((c) => c >= 3)).toBe(true);
    expect(plan.held).not.toBeNull();
    expect(read).toEqual(plan);
  });

  it('gives no plan for bytes with a damaged node or fewer blocks allocated than counted', () => {
    const { bytes, plan } = pooledHistory();
    const leaf = plan.deviceRoots.get(0)!;
    const flipped = bytes.slice();
    // The node's entry count, beyond its max_entries: a node of the wrong shape.
    flipped[leaf * BLOCK_SIZE + 16] = 0xff;
    flipped[leaf * BLOCK_SIZE + 17] = 0xff;
    expect(readMetadataPlan(flipped)).toBeNull();
    const miscounted = bytes.slice();
    // The metadata space map root's nr_allocated (superblock offset 192 + 8), one fewer than its bitmaps hold.
    const view = new DataView(miscounted.buffer);
    const setAllocated = (n: number): void => {
      view.setUint32(200, n, true);
      // Sealed again, so that only the count is wrong.
      view.setUint32(0, dmChecksum(miscounted, 4, BLOCK_SIZE, SUPERBLOCK_CSUM_XOR), true);
    };
    setAllocated(plan.metadataAllocated - 1);
    expect(readMetadataPlan(miscounted)).toBeNull();
    // One more than the bitmaps hold is what 0.9.0's restorer leaves (metadata-writer-0.ts): the
    // kernel takes it as it is, and the plan carries it.
    setAllocated(plan.metadataAllocated + 1);
    expect(readMetadataPlan(miscounted)).toEqual({ ...plan, metadataAllocated: plan.metadataAllocated + 1 });
    setAllocated(plan.metadataAllocated);
    expect(readMetadataPlan(miscounted)).toEqual(plan);
  });
});
