/**
 * The kernel fixtures on both stacks: which transcript a script is compared with on each, and the
 * debian13 transcripts the lab does not reproduce yet, each with the reason. The list may only
 * shrink: test/transcripts.test.ts runs a pending script with `it.fails`, so one that passes fails
 * the suite until it leaves the list.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { StackId } from '../src/model/stack.js';

/** `NAME.out` on debian12 (the transcripts recorded first), `NAME.STACK.out` on any other stack. */
export function transcriptFile(script: string, stack: StackId): string {
  const base = script.replace(/\.sh$/, '');
  return stack === 'debian12' ? `${base}.out` : `${base}.${stack}.out`;
}

/**
 * `NAME.timing-K.out` on debian12, `NAME.STACK.timing-K.out` on another stack (K from 2): another
 * transcript the real kernel printed for the same script on the same stack, recorded on the oracle
 * like the first and never edited, for the scripts of TIMING_VARIANTS only. Returns those of the
 * transcript `file` in `dir`, in order.
 */
export function timingVariantsOf(dir: string, file: string): string[] {
  const files: string[] = [];
  for (let k = 2; existsSync(join(dir, file.replace(/\.out$/, `.timing-${k}.out`))); k++) {
    files.push(file.replace(/\.out$/, `.timing-${k}.out`));
  }
  return files;
}

/**
 * A transcript of TIMING_VARIANTS: the lab's output must be one of its timing variants and not its
 * first recording (which would take it off the list); none of them shows the difference from the
 * first variant.
 */
export function expectTimingVariant(output: string, first: string, variants: readonly string[], label: string): void {
  expect(output, `${label}: the first recording now matches; remove it from TIMING_VARIANTS`).not.toBe(first);
  if (!variants.includes(output)) expect(output).toBe(variants[0]);
}

/**
 * `STACK:script` -> why the real kernel printed more than one transcript for it: where the pool's
 * 1 s periodic commit fell against the oracle VM's commands (which take 0.1 to 0.6 s each under
 * software emulation, more under load; fixtures/kernel-probes/150) decides which blocks a commit
 * wrote, or whether a flush's commit or the periodic one failed first. The lab's commands take no
 * time, as on a fast machine, so it prints one of them: the test asks that its transcript be one
 * the real kernel printed, the first recording or a timing variant (`timingVariantsOf`), and a
 * script leaves this list when the lab matches its first recording.
 */
export const TIMING_VARIANTS: ReadonlyMap<string, string> = new Map<string, string>([
  [
    'debian13:40-obs-s07.sh',
    "one `status --noflush` line after a discard and a write refused for want of space: 1651 used metadata blocks in the first recording (and one of three session-10 runs), where the discard's passdown pt1 came over a second after the last worker commit, so pt1's pass committed and pt2 shadowed the data space map again (+2, fixtures/kernel/191 and probe 183); 1653 in timing-2 (the other two runs, identical), with no commit between them, as on 6.1 and in the lab",
  ],
  [
    'debian12:131-metadata-drop-writes-rollback.sh',
    "the md5 of the superblock block on disk, which names the kernel's blocks after the lost writes: 555e6aeb... in the first recording (and in two of four session-10 runs), where the VM's periodic commit fell between the first dd's two blocks (fixture 155 puts it there with `sleep 2` and matches on both stacks), and 966a99d9... in timing-2 (the other two runs), with no commit inside a dd, as in the lab. Every other line, the rollback included, is the same",
  ],
  [
    'debian13:23-needs-check-io-error.sh',
    "three outcomes in four runs: the first recording, where the VM's periodic commit fell between the first dd's two writes, so the last commit put the metadata space map's index block at 30, past the 26 blocks the device is shortened to, and the abort's reopen could not read it (fail mode; fixture 153 is that history and matches on both stacks); timing-2 (two runs in session 10, identical), with no commit inside the dd, where the abort goes read-only with needs_check as on 6.1, as in the lab; and one run where the periodic commit also raced the dd's fsync (rc=0, as in 134's first recording)",
  ],
  [
    'debian13:61-metadata-flakey-delay.sh',
    "the worker pass that maps a new block also commits when the last worker commit is over 1 s old (need_commit_due_to_time): in the first recording (and one of four session-10 runs) that commit failed, aborted and went read-only before dd's fsync, whose flush then passed (rc=0); in timing-2 (the other three runs) under 1 s had passed, the flush's own commit failed and dd got EIO (rc=1), as in the lab and on 6.1. Probe 149 shows both kernels do the former after a 3 s pause",
  ],
  [
    'debian12:132-metadata-drop-writes-recover.sh',
    "one line: thin_check names the unwritten block 45 (thin 1's empty mapping root) in the first recording, where the VM's periodic commit fell between the two writes of each 2-block `dd`, and block 31 in timing-2 (two runs in session 10, identical), where it did not, as in the lab. Fixture 156 puts the commit inside the dds with `sleep 2` and gives block 45 on both kernels and in the lab",
  ],
  [
    'debian12:134-metadata-error-writes-recover.sh',
    "the pool's periodic commit racing the dd's fsync over metadata on flakey error_writes: in the first recording the periodic commit failed first, the abort left the thin unchanged, and the fsync's flush went through (rc=0); in timing-2 (two runs in session 10, identical) the flush's own commit failed and dd got EIO (rc=1), as in the lab and in fixture 61. Fixture 154 (`sleep 2` before the fsync) gives rc=0 on both kernels and in the lab",
  ],
  [
    'debian13:134-metadata-error-writes-recover.sh',
    "as on debian12: rc=0 in the first recording (the periodic commit failed before the fsync), rc=1 in timing-2 (two runs in session 10, identical: the flush's own commit failed), as in the lab. Fixture 154 gives rc=0 on both kernels and in the lab",
  ],
  [
    'debian13:131-metadata-drop-writes-rollback.sh',
    "the md5 of the superblock block on disk, which names the kernel's blocks after the lost writes: 1afd9422... in the first recording, 555e6aeb... (the periodic commit between the first dd's two blocks, fixture 155) in the second run when it was recorded, and 966a99d9... in timing-2 (two runs in session 10, identical), with no commit inside a dd, as in the lab; 6.1 gave 966a99d9... too in one session-10 run. Every other line, the rollback included, is the same in all three",
  ],
  [
    'debian13:51-held-root.sh',
    "the held metadata roots from write10 on: 7 to 11 blocks later in the first recording (145 ... 287), where the VM's periodic commit fell inside the 10-block dd and between a discard's two passdown passes (fixture 192 makes both commits certain and matches on both stacks), and 6.1's numbers (138 ... 276) in timing-2 (two runs in session 10, identical), with neither, as in the lab",
  ],
]);

/** The key of TIMING_VARIANTS for a script on a stack. */
export function timingKey(script: string, stack: StackId): string {
  return `${stack}:${script}`;
}

/** Script -> why its debian13 transcript still differs. */
export const DEBIAN13_PENDING: ReadonlyMap<string, string> = new Map<string, string>([]);

/**
 * Script -> why its debian12 transcript (`NAME.out`) still differs, for fixtures recorded before
 * the lab could match them. Each runs as `it.fails`, so the list may only shrink.
 */
export const DEBIAN12_PENDING: ReadonlyMap<string, string> = new Map<string, string>([]);

/**
 * `STACK:script` -> why the used-metadata count of that transcript's pool status lines still
 * differs from the kernel's. Everywhere else the transcript tests compare it unmasked: the pool
 * reads it from `MetadataAllocator.usedBlocks()` wherever the lab follows the kernel's allocator
 * (docs/metadata-layout.md, "Used metadata"). A script here is compared with the count masked and
 * must still differ unmasked, so the list may only shrink.
 */
export const USED_METADATA_MASKED: ReadonlyMap<string, string> = new Map<string, string>([]);

/** The key of USED_METADATA_MASKED for a script on a stack. */
export function usedMetadataKey(script: string, stack: StackId): string {
  return `${stack}:${script}`;
}
