/**
 * Every kernel transcript in fixtures/kernel (a script and what the real Linux dm-thin printed for
 * it, captured with shared/oracle/kernel-dm-thin) must come out of `thinlab sh` unchanged, the
 * used-metadata-blocks count in pool status lines included (the kernel allocator's count, which the
 * lab follows; test/stack-fixtures.ts lists the few where it does not yet). Pool invariants are checked after every
 * top-level command (a line, or the lines of a compound command such as a loop or a function).
 *
 * Each script runs on both stacks (docs/stacks.md): the lab as debian12 against `NAME.out`
 * (Linux 6.1 with thin-provisioning-tools 0.9.0) and as debian13 against `NAME.debian13.out`
 * (Linux 6.12 with 1.1.0), both recorded on the oracle and never edited.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LabShell } from '../src/lab/lab-shell.js';
import { checkPoolInvariants } from '../src/model/invariants.js';
import type { StackId } from '../src/model/stack.js';
import { fixtureFiles } from './damage-images.js';
import {
  DEBIAN12_PENDING,
  DEBIAN13_PENDING,
  expectTimingVariant,
  TIMING_VARIANTS,
  timingKey,
  timingVariantsOf,
  transcriptFile,
  USED_METADATA_MASKED,
  usedMetadataKey,
} from './stack-fixtures.js';
import { asOracleCaptures, maskMetadataUsed } from './transcript-compare.js';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'kernel');
const scripts = readdirSync(DIR)
  .filter((f) => f.endsWith('.sh'))
  .sort();

/** What the lab prints for a script on a stack, checking the pool invariants after every command. */
function labOutput(script: string, stack: StackId): string {
  const source = readFileSync(join(DIR, script), 'latin1');
  const shell = new LabShell({ files: fixtureFiles(source), stack });
  let output = '';
  for (const step of shell.steps(source)) {
    output += step.output;
    for (const pool of shell.machine.livePools()) {
      const problems = checkPoolInvariants(pool.md);
      expect(problems, `invariants after line ${step.firstLine}: ${step.source}`).toEqual([]);
    }
  }
  return asOracleCaptures(output);
}

/** The timing variants of a script on a stack (test/stack-fixtures.ts, TIMING_VARIANTS), in order. */
function timingVariants(script: string, stack: StackId): string[] {
  return timingVariantsOf(DIR, transcriptFile(script, stack));
}

/**
 * The lab's transcript against the kernel's, the used-metadata count included, except for the
 * scripts of USED_METADATA_MASKED: those compare with it masked and must still differ without the
 * mask (a script whose count comes right leaves the list). A script of TIMING_VARIANTS must print
 * one of its timing variants, and not its first recording (which would take it off the list).
 */
function expectTranscript(script: string, stack: StackId, expected: string): void {
  const output = labOutput(script, stack);
  if (TIMING_VARIANTS.has(timingKey(script, stack))) {
    const variants = timingVariants(script, stack).map((f) => readFileSync(join(DIR, f), 'latin1'));
    expectTimingVariant(output, expected, variants, script);
    return;
  }
  if (!USED_METADATA_MASKED.has(usedMetadataKey(script, stack))) {
    expect(output).toBe(expected);
    return;
  }
  expect(maskMetadataUsed(output)).toBe(maskMetadataUsed(expected));
  expect(output, `${script}: the used-metadata count now matches; remove it from USED_METADATA_MASKED`).not.toBe(
    expected,
  );
}

describe('kernel transcripts', () => {
  it('has at least 15 transcripts', () => {
    expect(scripts.length).toBeGreaterThanOrEqual(15);
  });

  it('every script whose used-metadata count is masked names a transcript that exists, and why', () => {
    for (const [key, reason] of USED_METADATA_MASKED) {
      const [stack, script] = key.split(':') as [StackId, string];
      expect(scripts, key).toContain(script);
      expect(existsSync(join(DIR, transcriptFile(script, stack))), key).toBe(true);
      expect(reason.length, key).toBeGreaterThan(20);
    }
  });

  it('only the scripts of TIMING_VARIANTS have timing variants, each a transcript of its own', () => {
    const variantFiles = readdirSync(DIR).filter((f) => /\.timing-\d+\.out$/.test(f));
    const listed = new Set<string>();
    for (const [key, reason] of TIMING_VARIANTS) {
      const [stack, script] = key.split(':') as [StackId, string];
      expect(scripts, key).toContain(script);
      expect(reason.length, key).toBeGreaterThan(20);
      expect(DEBIAN12_PENDING.has(script) && stack === 'debian12', key).toBe(false);
      expect(DEBIAN13_PENDING.has(script) && stack === 'debian13', key).toBe(false);
      expect(USED_METADATA_MASKED.has(usedMetadataKey(script, stack)), key).toBe(false);
      const first = readFileSync(join(DIR, transcriptFile(script, stack)), 'latin1');
      const variants = timingVariants(script, stack);
      expect(variants.length, key).toBeGreaterThan(0);
      for (const f of variants) {
        expect(readFileSync(join(DIR, f), 'latin1'), f).not.toBe(first);
        listed.add(f);
      }
    }
    expect(variantFiles.sort()).toEqual([...listed].sort());
  });

  it('every pending script names a transcript that exists, and why it is pending', () => {
    for (const [script, reason] of DEBIAN12_PENDING) {
      expect(scripts, script).toContain(script);
      expect(existsSync(join(DIR, transcriptFile(script, 'debian12'))), script).toBe(true);
      expect(reason.length, script).toBeGreaterThan(20);
    }
  });

  for (const script of scripts) {
    const pending = DEBIAN12_PENDING.get(script);
    // A pending script still fails: when it passes, it must leave the list (it.fails reports it).
    const test = pending === undefined ? it : it.fails;
    test(`${script} prints what the kernel printed${pending === undefined ? '' : ` (pending: ${pending})`}`, () => {
      const expected = readFileSync(join(DIR, transcriptFile(script, 'debian12')), 'latin1');
      expectTranscript(script, 'debian12', expected);
    });
  }
});

describe('kernel transcripts on debian13 (Linux 6.12)', () => {
  it('every pending script names a transcript that exists, and why it is pending', () => {
    for (const [script, reason] of DEBIAN13_PENDING) {
      expect(scripts, script).toContain(script);
      expect(existsSync(join(DIR, transcriptFile(script, 'debian13'))), script).toBe(true);
      expect(reason.length, script).toBeGreaterThan(20);
    }
  });

  for (const script of scripts) {
    const file = transcriptFile(script, 'debian13');
    if (!existsSync(join(DIR, file))) continue;
    const pending = DEBIAN13_PENDING.get(script);
    // A pending script still fails: when it passes, it must leave the list (it.fails reports it).
    const test = pending === undefined ? it : it.fails;
    test(`${script} prints what Linux 6.12 printed${pending === undefined ? '' : ` (pending: ${pending})`}`, () => {
      const expected = readFileSync(join(DIR, file), 'latin1');
      expectTranscript(script, 'debian13', expected);
    });
  }
});
