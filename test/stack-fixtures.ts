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
    '131-metadata-drop-writes-rollback.sh',
    "the md5 of the superblock block on disk, which names the kernel's blocks after the lost writes: they depend on where the oracle VM's 1-second periodic commit fell inside the 2-block dds, and on 6.12 it gave another md5 in each of two runs (1afd9422..., kept, and 555e6aeb..., 6.1's). Fixture 155 (each dd split by `sleep 2`, so the periodic commit falls between the two blocks) gives 555e6aeb on both kernels, twice each, and the lab reproduces it on both stacks: the layout is the kernel's, the commit points are the VM's timing (the lab's commands take no time). Every other line, the rollback included, matches Linux 6.12",
  ],
  [
    '134-metadata-error-writes-recover.sh',
    "the dd of a new block with conv=fsync over metadata on flakey error_writes exits 0 on Linux 6.12 in both recorded runs (and on 6.1, DEBIAN12_PENDING): the VM's periodic commit failed, aborted and went read-only before the dd's fsync, whose flush then passed; the lab's commands take no time, so its flush's own commit fails first and dd gets EIO, as in 61. Fixture 154 (the write without fsync, `sleep 2`, then the fsync) gives rc=0 on both kernels, twice each, and the lab reproduces it on both stacks; 137 (no fsync at all) matches too. Every other line (the abort, read-only with needs_check, thin_check 1.1.0 and --clear-needs-check-flag) matches",
  ],
  [
    '23-needs-check-io-error.sh',
    "not a 6.12 difference but where the oracle VM's 1-second periodic commit fell: between the two writes of the first 2-block dd, so the last commit put the metadata space map's index block at 30, past the 26 blocks the metadata device is shortened to, and the abort's reopen cannot read it (couldn't open metadata space map, tm_open_with_sm failed, fail mode). Fixture 153 (the same history with the dd split by a commit) gives exactly this on both kernels (twice each, identical) and the lab reproduces it; with one commit (23 on 6.1, probe 152 on 6.12) the index is at 23 and the abort goes read-only. The lab's commands take no time, so it commits once there",
  ],
  [
    '51-held-root.sh',
    "the held metadata root lands 7 blocks later from write10 on and 11 from discard1 on, on Linux 6.12 (145, 154, 166, 182, 287 where 6.1 gave 138, 147, 159, 171, 276): two commits the VM's timing added, which the lab's commands, taking no time, do not make. The periodic commit fell inside the 10-block dd (its first block's worker pass came over a second after the last worker commit: one more transaction, 7 blocks), and the worker pass of the discard's passdown pt1 committed for the same reason, so pt2's decrements shadowed the data space map again in the next transaction (16 blocks to discard1 where 6.1, without passdown, and the lab give 12). Fixture 192 is this script with both commits made certain (`sleep 2` before the dd and before the discard): Linux 6.12 gives exactly these five numbers, 6.1 gives discard1 12 blocks after cow1, both twice, and the lab reproduces both stacks; fixture 191 pins passdown's cost on both kernels (docs/metadata-layout.md)",
  ],
  [
    '61-metadata-flakey-delay.sh',
    "not a kernel difference but the pool's 1 s commit period against the VM's speed when each transcript was recorded: the worker pass that maps a new block also commits when the last worker commit is over 1 s old (need_commit_due_to_time), and that commit fails, aborts and goes read-only before dd's fsync, whose flush then passes (rc=0); when under 1 s has passed, the flush's own commit fails and dd gets EIO. Probe 149 (fixtures/kernel-probes) shows both kernels do the former after a 3 s pause and after a quick write, and the lab does the same; probe 150 timed 61's steps between the fsync commit and the write at 1.5 s on 6.12 and 2.3 s on 6.1 under load 22, where 61's 6.1 transcript was recorded in under 1 s. The lab's commands take no time, so it gives the fast case (61.out) on both stacks; 134 is the same race on debian12, and fixture 154 (the fsync 2 s after the write) is the slow case, which the lab reproduces on both stacks",
  ],
]);

/**
 * Script -> why its debian12 transcript (`NAME.out`) still differs, for fixtures recorded before
 * the lab could match them. Each runs as `it.fails`, so the list may only shrink.
 */
export const DEBIAN12_PENDING: ReadonlyMap<string, string> = new Map<string, string>([
  [
    '131-metadata-drop-writes-rollback.sh',
    "the md5 of the superblock block on disk, which names the kernel's blocks: the lab lays them out as the kernel does, but the oracle VM's 1-second periodic commit fell between the first `dd`'s two writes (its commands take over a second under emulation; the lab's clock does not move for them). Fixture 155 (each 2-block dd split by `sleep 2`, so the periodic commit falls there) gives this md5 (555e6aeb...) on both kernels, twice each, and the lab reproduces it on both stacks. Every other line, the rollback included, matches",
  ],
  [
    '132-metadata-drop-writes-recover.sh',
    "one line: thin_check names the unwritten block 45 (thin 1's empty mapping root) on the kernel and 31 in the lab, because the oracle VM's 1-second periodic commit fell between the two writes of each 2-block `dd` (its commands take over a second under emulation; the lab's clock does not move for them). Fixture 156 (each dd split by `sleep 2`, so the periodic commit falls there) names block 45 on both kernels, twice each, and the lab reproduces it on both stacks: the layout is the kernel's, the commit points are the VM's timing",
  ],
  [
    '134-metadata-error-writes-recover.sh',
    "a race in the kernel between the pool's periodic commit (its waker, every second) and the dd's fsync: here the periodic commit failed first, the abort left the thin unchanged in this transaction, so the flush that followed went straight to the data device and dd exited 0 (so did both 6.12 runs); in fixture 61 the flush's own commit failed and dd got EIO, which is what the lab does, its commands taking no time. Fixture 154 (the write without fsync, `sleep 2` for the periodic commit to fail, then the fsync) gives rc=0 on both kernels, twice each, and the lab reproduces it on both stacks; 137 is the same history without any fsync. Everything after the failure (read-only with needs_check once writes work again, a reload that does not reopen, the flag on disk, --clear-needs-check-flag) matches",
  ],
]);

/**
 * `STACK:script` -> why the used-metadata count of that transcript's pool status lines still
 * differs from the kernel's. Everywhere else the transcript tests compare it unmasked: the pool
 * reads it from `MetadataAllocator.usedBlocks()` wherever the lab follows the kernel's allocator
 * (docs/metadata-layout.md, "Used metadata"). A script here is compared with the count masked and
 * must still differ unmasked, so the list may only shrink.
 */
export const USED_METADATA_MASKED: ReadonlyMap<string, string> = new Map<string, string>([
  [
    'debian13:40-obs-s07.sh',
    "one `status --noflush` line: after a discard and a write refused for want of space, Linux 6.12 counts 1651 where 6.1 and the lab count 1653. Not a kernel difference but the VM's timing: on 6.12 the discard's passdown pt1 came over a second after the last worker commit (the 5-block dd's), so its worker pass committed before pt2, whose decrements then shadowed the data space map's bitmap (and the metadata space map's) again, 2 blocks; the lab's commands take no time, so it commits at neither point, as 6.1 (no passdown on its RAM disk) did. Probe 183 on 6.12 gives 1653 for a discard right after a dd's fsync commit and +2 for one 2 s later, as the lab does, and fixture 191 (the latter, on both kernels) is reproduced exactly (docs/metadata-layout.md, \"What discard passdown costs in metadata blocks\")",
  ],
]);

/** The key of USED_METADATA_MASKED for a script on a stack. */
export function usedMetadataKey(script: string, stack: StackId): string {
  return `${stack}:${script}`;
}
