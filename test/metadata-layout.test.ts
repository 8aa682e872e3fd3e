/**
 * The metadata layout probes (fixtures/kernel-probes/95-98 and 100, recorded on the oracle) run through the
 * lab: every root, space map count and allocation the probe reads off the metadata device with
 * `dd | od -t u8`, and thin_dump's output, are the kernel's. The lines of `od -t x1` (the bitmap's
 * bytes, which the lab's od does not print) are left out here; src/model/metadata-allocator.test.ts
 * compares those bytes for probe 95.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { itInFullSuite } from './slice.js';
import { LabShell } from '../src/lab/lab-shell.js';
import type { StackId } from '../src/model/stack.js';
import { maskMetadataPercent, maskMetadataUsed } from './transcript-compare.js';

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

function runInLab(script: string, stack: StackId, ramdiskKb?: number): string[] {
  return comparable(new LabShell({ stack, ...(ramdiskKb === undefined ? {} : { ramdiskKb }) }).runScript(script));
}

/**
 * Probe 100's three big writes each spanned a periodic commit on the oracle (run 1, the `.out`):
 * one transaction with a few mappings, then the rest. The lab's copy commits after the first
 * block of each (any count that does not fill a node gives the same blocks).
 */
function withProbe100Commits(script: string): string {
  let out = script;
  for (const [count, seek] of [
    [300, 0],
    [300, 1],
    [600, 1],
  ] as const) {
    const big = `dd if=/dev/zero of=/dev/mapper/t0 bs=${count * 64}k count=1${seek === 0 ? '' : ` seek=${seek}`} oflag=direct 2>/dev/null;`;
    expect(out).toContain(big);
    const first = count * seek;
    out = out.replace(
      big,
      `dd if=/dev/zero of=/dev/mapper/t0 bs=64k count=1 seek=${first} oflag=direct 2>/dev/null; commit; ` +
        `dd if=/dev/zero of=/dev/mapper/t0 bs=64k count=${count - 1} seek=${first + 1} oflag=direct 2>/dev/null;`,
    );
  }
  return out;
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

  itInFullSuite(
    'puts every node of trees of hundreds of mappings where Linux 6.1 did: splits, a snapshot, copies, a delete, a discard (probe 100)',
    () => {
      const kernel = comparable(probe('100-metadata-layout-splits.out'));
      const lab = runInLab(withProbe100Commits(probe('100-metadata-layout-splits.sh')), 'debian12', 131072);
      // On the oracle the first commit inside the first write fell between a data block's
      // allocation and its mapping's insert, so the next transaction shadowed the top-level tree
      // (25) before the data bitmap; the lab allocates and inserts at once (27, and the device's
      // root one block later). Those two lines of the first write's step are the only exceptions.
      const exceptions = new Map([
        [
          'trans_id=0 held_root=0 mapping_root=25 details_root=31',
          'trans_id=0 held_root=0 mapping_root=27 details_root=31',
        ],
        ['device 0 root 27', 'device 0 root 28'],
        ['node 27 flags=1 nr=2 keys=0..126', 'node 28 flags=1 nr=2 keys=0..126'],
      ]);
      // The used-metadata count of the pool's status included: the allocator's, as the kernel's.
      const expected = kernel.map((line) => exceptions.get(line) ?? line);
      expect(lab).toEqual(expected);
      expect(kernel.filter((line) => exceptions.has(line))).toHaveLength(3);
    },
  );

  itInFullSuite(
    'puts every node of the top-level, details, data index and overflow trees where Linux 6.1 did, and follows a growing metadata device (probe 171)',
    () => {
      let script = probe('171-metadata-layout-trees.sh');
      const substitute = (from: string, to: string): void => {
        expect(script).toContain(from);
        script = script.replace(from, to);
      };
      // Part C's second 175-block write spanned the VM's periodic commit (run 1, the `.out`): the
      // lab commits after its first block, as for probe 100.
      substitute(
        'dd if=/dev/zero of=/dev/mapper/t0 bs=11200k count=1 seek=1 oflag=direct 2>/dev/null;',
        'dd if=/dev/zero of=/dev/mapper/t0 bs=64k count=1 seek=175 oflag=direct 2>/dev/null; commit; ' +
          'dd if=/dev/zero of=/dev/mapper/t0 bs=64k count=174 seek=176 oflag=direct 2>/dev/null;',
      );
      // Part D's data device is a RAM disk followed by a `zero` target; the lab refuses a table that
      // mixes targets, so it backs the same sectors with a sparse file on a loop device. The layout
      // of the metadata does not depend on what backs the data.
      substitute(
        "printf '0 262144 linear /dev/ram1 0\\n262144 354861056 zero\\n' | dmsetup reload data",
        'truncate -s 181688860672 /tmp/big; losetup /dev/loop0 /tmp/big; ' +
          "printf '0 262144 linear /dev/ram1 0\\n262144 354861056 linear /dev/loop0 0\\n' | dmsetup reload data",
      );
      // The used-metadata count of the pool's status included: the allocator's, as the kernel's.
      const kernel = comparable(probe('171-metadata-layout-trees.out'));
      expect(runInLab(script, 'debian12', 131072)).toEqual(kernel);
      // The parts the probe is for: a details tree of three leaves, a top-level tree that split and
      // merged back, a data overflow tree and a data index of two leaves, a second metadata bitmap.
      expect(kernel).toContain('node 1459 flags=1 nr=3 max=252 vs=8');
      expect(kernel).toContain('node 81 flags=1 nr=2 max=252 vs=8');
      expect(kernel).toContain('node 91 flags=1 nr=2 max=252 vs=8');
      expect(kernel.some((line) => line.includes('index=4098 refcount_root=2 bitmaps=4097 4096 0'))).toBe(true);
    },
  );

  it('puts every node of a metadata overflow tree past one node where Linux 6.1 and 6.12 did, and follows a metadata device at, over and grown to its limit (probe 182)', () => {
    const script = probe('182-metadata-overflow-and-limits.sh');
    for (const [stack, out] of [
      ['debian12', '182-metadata-overflow-and-limits.out'],
      ['debian13', '182-metadata-overflow-and-limits.debian13.out'],
    ] as const) {
      const kernel = comparable(probe(out));
      expect(runInLab(script, stack, 131072), stack).toEqual(kernel);
      // The parts the probe is for: 340 metadata blocks counted 3 (two leaves under a new root),
      // 140 after the deletes (merged into one), a device of 4,161,600 blocks (255 bitmaps, the
      // warning), a growth to it from 2048 blocks, and the refused shrink.
      expect(kernel.filter((line) => /^node \d+ flags=2 nr=(168|172|140) max=336 vs=4$/.test(line))).toHaveLength(3);
      expect(kernel.filter((line) => line.includes('metadata_sm nr_blocks=4161600'))).toHaveLength(5);
      expect(kernel).toContain('device-mapper: thin: 254:1: growing the metadata device from 2048 to 4161600 blocks');
      expect(kernel).toContain('device-mapper: thin: 254:1: metadata device (4096 blocks) too small: expected 4161600');
    }
  });

  it("names LVM 86's damaged block 26 and prints its whole transcript when it commits where the VM's periodic commit fell (probe 172)", () => {
    // Probe 172 read the pool's superblock after each of 86's commands on the oracle: the 4 MiB
    // dd was committed by the periodic commit after its first MiB (after its first block in the
    // second run) and the rest at the deactivation, which leaves the data space map's index at
    // block 26 either way. The lab's clock does not
    // move for commands, so its copy of the script commits there itself.
    const lvm = (name: string): string => readFileSync(new URL(`../fixtures/lvm/${name}`, import.meta.url), 'latin1');
    const conf = /^cat > \/etc\/lvm\/lvm\.conf <<'CONF'\n[\s\S]*?\nCONF\n/m.exec(lvm('oracle-preamble.sh'));
    expect(conf).not.toBeNull();
    const dd = 'dd if=/patterns/C of=/dev/vg/thin1 bs=1M count=4 oflag=direct 2>/dev/null; echo dd=$?';
    const script = lvm('86-swap-metadata-manual-repair.sh');
    expect(script).toContain(dd);
    const split =
      'dd if=/patterns/C of=/dev/vg/thin1 bs=1M count=1 oflag=direct 2>/dev/null; ' +
      'dmsetup suspend vg-pool-tpool; dmsetup resume vg-pool-tpool; ' +
      'dd if=/patterns/C of=/dev/vg/thin1 bs=1M count=3 seek=1 oflag=direct 2>/dev/null; echo dd=$?';
    const shell = new LabShell({ ramdiskKb: 131072, stack: 'debian12' });
    expect(shell.runScript(conf![0])).toBe('');
    const lab = shell.runScript(script.replace(dd, split));
    expect(lab).toContain('bad checksum in btree node (block 26)');
    const masked = (text: string): string => maskMetadataPercent(maskMetadataUsed(text));
    expect(masked(lab)).toBe(masked(lvm('86-swap-metadata-manual-repair.out')));
  });

  it("gives the superblock and the unwritten block of the lost-writes fixtures 131 and 132 when it commits where the VM's periodic commit fell", () => {
    // The first recordings of both differ from the lab for this alone (their timing variants,
    // TIMING_VARIANTS in test/stack-fixtures.ts, are the lab's): on the oracle each 2-block dd was
    // committed between its two writes by the 1-second periodic commit (the VM's commands can take
    // longer than a second under emulation; the lab's clock does not move for them).
    const commit = 'dmsetup suspend pool; dmsetup resume pool;';
    const splitDd = (script: string, letter: string, seek: number, quiet: string): string => {
      const dd = `dd if=/patterns/${letter} of=/dev/mapper/thin bs=64k count=2${seek === 0 ? '' : ` seek=${seek}`} oflag=direct conv=fsync${quiet};`;
      expect(script).toContain(dd);
      const one = (at: number, tail: string): string =>
        `dd if=/patterns/${letter} of=/dev/mapper/thin bs=64k count=1${at === 0 ? '' : ` seek=${at}`} oflag=direct${tail}`;
      return script.replace(dd, `${one(seek, ' 2>/dev/null;')} ${commit} ${one(seek + 1, ` conv=fsync${quiet};`)}`);
    };
    const fixture = (name: string): string =>
      readFileSync(new URL(`../fixtures/kernel/${name}`, import.meta.url), 'latin1');
    const rollback = splitDd(fixture('131-metadata-drop-writes-rollback.sh'), 'A', 0, ' 2>/dev/null');
    expect(new LabShell({}).runScript(rollback)).toBe(fixture('131-metadata-drop-writes-rollback.out'));
    const recover = splitDd(
      splitDd(fixture('132-metadata-drop-writes-recover.sh'), 'A', 0, ' 2>/dev/null'),
      'B',
      4,
      '',
    );
    // The second dd's own record counts are those of its last, 1-block part.
    const expected = fixture('132-metadata-drop-writes-recover.out').replace(
      '2+0 records in\n2+0 records out',
      '1+0 records in\n1+0 records out',
    );
    const lab = new LabShell({}).runScript(recover);
    expect(lab).toContain('bad checksum in btree node (block 45)');
    expect(lab.replace(/\d+ bytes \([^)]*\) copied[^\n]*/, 'COPIED')).toBe(
      expected.replace(/\d+ bytes \([^)]*\) copied[^\n]*/, 'COPIED'),
    );
  });

  it('puts every block where Linux 6.12 did over probe 95 (probe 96)', () => {
    const script = withProbe95Commit(probe('96-metadata-block-layout-debian13.sh'));
    expect(runInLab(script, 'debian13')).toEqual(comparable(probe('96-metadata-block-layout-debian13.out')));
  });
});
