/**
 * The kernel fixtures on both stacks: which transcript a script is compared with on each, and the
 * debian13 transcripts the lab does not reproduce yet, each with the reason. The list may only
 * shrink: test/transcripts.test.ts runs a pending script with `it.fails`, so one that passes fails
 * the suite until it leaves the list.
 */
import type { StackId } from '../src/model/stack.js';

/** `NAME.out` on debian12 (the transcripts recorded first), `NAME.STACK.out` on any other stack. */
export function transcriptFile(script: string, stack: StackId): string {
  const base = script.replace(/\.sh$/, '');
  return stack === 'debian12' ? `${base}.out` : `${base}.${stack}.out`;
}

/** Script -> why its debian13 transcript still differs. */
export const DEBIAN13_PENDING: ReadonlyMap<string, string> = new Map<string, string>([
  [
    '123-ls.sh',
    "the debian13 VM's /dev has three more entries (the dma_heap directory, fuse and udmabuf), so /dev has 5 links and 2260 bytes where 6.1's has 4 and 2200: src/lab/vm-nodes.ts holds debian12's nodes only (their device numbers on 6.12 not probed yet)",
  ],
  [
    '23-needs-check-io-error.sh',
    "Linux 6.12 cannot abort the failed commit on the shortened metadata device (couldn't open metadata space map, tm_open_with_sm failed) and goes to fail mode where 6.1 aborted to read-only with needs_check; after the device is restored the pool comes back writable. The script's own header says the outcome depends on where the metadata space map allocates, which the lab does not lay out block for block",
  ],
  [
    '51-held-root.sh',
    "the held metadata root lands 7 to 11 blocks later on Linux 6.12 (145, 154, 166, 182, 287 where 6.1 gave 138, 147, 159, 171, 276). Not the allocator: 6.12 lays metadata out as 6.1 does (fixtures/kernel-probes/96), and the lab now gives 6.1's 20 held roots from it (docs/metadata-layout.md). The 7 at write10 are one more transaction of a write (the VM's 1-second periodic commit fell inside the 10-block dd on 6.12), and the 4 more at discard1 likely come from 6.12's discard passdown on the RAM disk; the lab commits at neither point",
  ],
  [
    '61-metadata-flakey-delay.sh',
    "Linux 6.12 completes the `dd conv=fsync` of a new block over metadata on flakey error_writes (rc=0) where 6.1 failed its fsync with EIO, though both log the failed dm_pool_commit_metadata, abort the transaction and go read-only with needs_check: the fsync's flush is not failed by the aborted commit on 6.12, for a reason not found yet in dm-thin.c (process_deferred_bios, issue and complete_overwrite_bio read the same on both)",
  ],
]);

/**
 * Script -> why its debian12 transcript (`NAME.out`) still differs, for fixtures recorded before
 * the lab could match them. Each runs as `it.fails`, so the list may only shrink.
 */
export const DEBIAN12_PENDING: ReadonlyMap<string, string> = new Map<string, string>([
  [
    '131-metadata-drop-writes-rollback.sh',
    "the md5 of the superblock block on disk, which names the kernel's blocks: the lab now lays them out as the kernel does, and gives the kernel's md5 when its copy of the script commits between the first `dd`'s two writes, where the oracle VM's 1-second periodic commit fell (its commands take over a second under emulation; the lab's clock does not move for them). Every other line, the rollback included, matches",
  ],
  [
    '132-metadata-drop-writes-recover.sh',
    "one line: thin_check names the unwritten block 45 (thin 1's empty mapping root) on the kernel and 31 in the lab. With each of the two 2-block `dd`s committed between its writes, where the oracle VM's 1-second periodic commit fell (its commands take over a second under emulation; the lab's clock does not move for them), the lab names block 45 too: the layout is the kernel's, the commit points are not",
  ],
  [
    '135-mapper-nodes.sh',
    "in the oracle VM (devtmpfs, no udev) dmsetup 1.02.185 makes no /dev/mapper node at create and removes none at rename or remove: only `dmsetup mknodes [NAME]` adds and prunes them (a stale node stays until then; /dev/dm-N follows the device). The lab's /dev/mapper/NAME follows the devices; modelling the nodes means reviewing the lab-written scripts, scenarios and tests that use a node without mknodes. `dmsetup rename` is refused by name (the lab's dmsetup has no rename yet); /dev/mapper/control matches",
  ],
  [
    '134-metadata-error-writes-recover.sh',
    "a race in the kernel between the pool's periodic commit (its waker, every second) and the dd's fsync: here the periodic commit failed first, the abort left the thin unchanged in this transaction, so the flush that followed went straight to the data device and dd exited 0; in fixture 61 (the same operations with a `dmsetup table` between) the flush's own commit failed and dd got EIO, which is what the lab does. An earlier version of this script, failing a create_thin message's commit, gave `Fail` in one run and read-only in the other. Everything after the failure (read-only with needs_check once writes work again, a reload that does not reopen, the flag on disk, --clear-needs-check-flag) matches",
  ],
]);
