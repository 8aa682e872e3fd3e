/**
 * The metadata layout probes (fixtures/kernel-probes/95-98, recorded on the oracle) run through the
 * lab: every root, space map count and allocation the probe reads off the metadata device with
 * `dd | od -t u8`, and thin_dump's output, are the kernel's. The lines of `od -t x1` (the bitmap's
 * bytes, which the lab's od does not print) are left out here; src/model/metadata-allocator.test.ts
 * compares those bytes for probe 95.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LabShell } from '../src/lab/lab-shell.js';
import type { StackId } from '../src/model/stack.js';

const probe = (name: string): string =>
  readFileSync(new URL(`../fixtures/kernel-probes/${name}`, import.meta.url), 'latin1');

/** The lines both sides print: everything but the od dump of the bitmap (and the lab's refusal of `-t x1`). */
function comparable(text: string): string[] {
  return text.split('\n').filter((line) => !/^(\d{7}( |$)|\*$|od: )/.test(line) && line !== '');
}

/**
 * Probe 95's `dd` of 8 blocks spanned the pool's 1-second periodic commit on the emulated machine
 * (docs/metadata-layout.md, point 5): the lab's copy of the script commits where the kernel did,
 * after 4 of them (any split gives the same blocks).
 */
function withProbe95Commit(script: string): string {
  const eight = 'dd if=/patterns/A of=/dev/mapper/t0 bs=64k count=8 seek=2 oflag=direct 2>/dev/null;';
  expect(script).toContain(eight);
  return script.replace(
    eight,
    'dd if=/patterns/A of=/dev/mapper/t0 bs=64k count=4 seek=2 oflag=direct 2>/dev/null; commit; ' +
      'dd if=/patterns/A of=/dev/mapper/t0 bs=64k count=4 seek=6 oflag=direct 2>/dev/null;',
  );
}

function runInLab(script: string, stack: StackId): string[] {
  return comparable(new LabShell({ stack }).runScript(script));
}

describe('the metadata layout probes, in the lab', () => {
  it('puts every block where Linux 6.1 did over probe 95', () => {
    const script = withProbe95Commit(probe('95-metadata-block-layout.sh'));
    expect(runInLab(script, 'debian12')).toEqual(comparable(probe('95-metadata-block-layout.out')));
  });

  it('puts every block where Linux 6.1 did over a snapshot of a snapshot and a copy out of it (probe 97)', () => {
    const script = probe('97-metadata-layout-sharing.sh');
    expect(runInLab(script, 'debian12')).toEqual(comparable(probe('97-metadata-layout-sharing.out')));
  });

  it('names the damaged leaf by the block Linux 6.1 named after a history of shared leaves (probe 98)', () => {
    const kernel = comparable(probe('98-metadata-layout-sharing-damage.out'));
    // The kernel's page cache retries the failed read twice more and logs a buffer I/O error;
    // the lab's read fails once. Everything up to the first failure is compared.
    const cut = kernel.findIndex((line) => line.includes('process_cell')) + 1;
    expect(cut).toBeGreaterThan(0);
    expect(kernel).toContain('device-mapper: block manager: btree_node validator check failed for block 66');
    const lab = runInLab(probe('98-metadata-layout-sharing-damage.sh'), 'debian12');
    expect(lab).toEqual(kernel.slice(0, cut));
  });

  it('puts every block where Linux 6.12 did over probe 95 (probe 96)', () => {
    const script = withProbe95Commit(probe('96-metadata-block-layout-debian13.sh'));
    expect(runInLab(script, 'debian13')).toEqual(comparable(probe('96-metadata-block-layout-debian13.out')));
  });
});
