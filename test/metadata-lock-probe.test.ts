/**
 * fixtures/kernel-probes/203-metadata-lock-waiting-create through the lab, byte for byte, on both
 * stacks: a create_thin message and a thin's table load wait behind a flushing pool status whose
 * commit holds the metadata lock. A probe, not a transcript (its `sleep 2`s stand for the VM's
 * timing), whose recorded runs the lab now reproduces: the held status prints the counts after the
 * queued create_thin ran (830, not the 829 before it), as the kernel's rw_semaphore hands the lock
 * to the commands queued before the status can read under it again (src/lab/dmsetup-lock.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LabShell } from '../src/lab/lab-shell.js';
import type { StackId } from '../src/model/stack.js';
import { asOracleCaptures } from './transcript-compare.js';

const PROBE = join(import.meta.dirname, '..', 'fixtures', 'kernel-probes', '203-metadata-lock-waiting-create');

function labOutput(stack: StackId): string {
  const shell = new LabShell({ stack });
  let output = '';
  for (const step of shell.steps(readFileSync(`${PROBE}.sh`, 'latin1'))) output += step.output;
  return asOracleCaptures(output);
}

describe('probe 203: commands queued on a held metadata lock', () => {
  it.each([
    ['debian12', '.out'],
    ['debian13', '.debian13.out'],
  ] as const)('%s prints what the oracle printed (%s)', (stack, suffix) => {
    expect(labOutput(stack)).toBe(readFileSync(`${PROBE}${suffix}`, 'latin1'));
  });
});
