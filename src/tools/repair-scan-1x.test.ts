/**
 * 1.1.0's root search (repair-scan-1x.ts) on chains of internal nodes. The real 1.1.0 follows
 * children recursively on its 8 MiB main stack: `no compatible roots found` (64) up to about
 * 10,681 levels, then "thread 'main' has overflowed its stack" (134; bisected by hand, ulimit -s
 * 8192, the edge moving by a few levels from run to run). The lab runs the search on an explicit
 * stack, answers as the real tool on both sides, and refuses by name near the edge. No depth may
 * end the lab's tool in a RangeError (issue 17: no tool throws on any input).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { itInFullSuite } from '../../test/slice.js';
import { INTERNAL_NODE, LEAF_NODE } from '../format/layout.js';
import { MetadataOutput, writeNode } from '../format/metadata-blocks.js';
import { LabShell } from '../lab/lab-shell.js';
import { MetadataBytes } from './metadata-view.js';
import {
  ROOT_SEARCH_OVERFLOWS_DEPTH,
  ROOT_SEARCH_SURVIVES_DEPTH,
  repairScan,
  STACK_OVERFLOW_TEXT_1X,
} from './repair-scan-1x.js';
import { findRealTools1x } from './real-tools-1x.js';

/**
 * An image whose blocks 1 .. depth-1 are internal nodes, each with one child, the next block, and
 * whose last block is a mapping leaf: the search nests `depth` levels deep from block 1.
 */
function chainImage(depth: number): Uint8Array {
  const out = new MetadataOutput(depth + 1);
  for (let b = 1; b <= depth; b++) {
    const leaf = b === depth;
    // An internal node's value is its child; the leaf's a block-time past the device (a mapping).
    writeNode(out, b, leaf ? LEAF_NODE : INTERNAL_NODE, [0], 0, 1, 8, (dv, offset) =>
      dv.setBigUint64(offset, leaf ? 1n << 40n : BigInt(b + 1), true),
    );
  }
  return out.bytes;
}

describe("1.1.0's root search on nested internal nodes", () => {
  it('follows a short chain to its leaf: a mapping tree, no top-level tree', () => {
    expect(repairScan(new MetadataBytes(chainImage(40)))).toEqual({ devRoots: [] });
  });

  /** thin_dump --repair on a lab of debian13 holding `bytes`: its stdout, stderr and status. */
  function labRepair(bytes: Uint8Array): { out: string; err: string; status: string } {
    const shell = new LabShell({ stack: 'debian13' });
    const file = shell.fs.openForWrite('/run/deep.img', true);
    if (typeof file === 'string') throw new Error(file);
    file.writeBytes(0, bytes);
    const out = shell.runLine('thin_dump --repair /run/deep.img 2>/dev/null; echo "rc=$?"');
    const err = shell.runLine('thin_dump --repair /run/deep.img 2>&1 >/dev/null');
    return { out: out.slice(0, out.lastIndexOf('rc=')), err, status: out.slice(out.lastIndexOf('rc=')) };
  }

  // The search runs on an explicit stack: 10,000 levels answer as the real 1.1.0 does (64), past
  // its overflow it aborts as the real one does (134), and at the edge, which moves with the host,
  // it refuses by name.
  it('answers `no compatible roots found` on a chain of 10,000 levels, as the real 1.1.0', () => {
    expect(repairScan(new MetadataBytes(chainImage(10_000)))).toEqual({ devRoots: [] });
    expect(labRepair(chainImage(10_000))).toEqual({ out: '', err: 'no compatible roots found\n', status: 'rc=64\n' });
  });

  itInFullSuite(
    "aborts with Rust's stack overflow past 1.1.0's stack (15,000 and 30,000 levels), nothing on stdout",
    () => {
      for (const depth of [15_000, 30_000]) {
        expect(repairScan(new MetadataBytes(chainImage(depth)))).toEqual({ overflow: true });
        expect(labRepair(chainImage(depth))).toEqual({ out: '', err: STACK_OVERFLOW_TEXT_1X, status: 'rc=134\n' });
      }
    },
  );

  it('refuses by name between the depths where the real stack surely holds and surely overflows', () => {
    for (const depth of [ROOT_SEARCH_SURVIVES_DEPTH + 1, ROOT_SEARCH_OVERFLOWS_DEPTH]) {
      expect(repairScan(new MetadataBytes(chainImage(depth)))).toEqual({ tooDeep: true });
      const lab = labRepair(chainImage(depth));
      // 127: the lab's status for a run it does not model (src/lab/command-errors.ts).
      expect(lab.status).toBe('rc=127\n');
      expect(lab.err).toMatch(/^thinlab: not modelled: thin_dump of thin-provisioning-tools 1\.1\.0 .*stack holds/);
    }
    expect(repairScan(new MetadataBytes(chainImage(ROOT_SEARCH_SURVIVES_DEPTH)))).toEqual({ devRoots: [] });
    expect(repairScan(new MetadataBytes(chainImage(ROOT_SEARCH_OVERFLOWS_DEPTH + 1)))).toEqual({ overflow: true });
  });

  // The real 1.1.0 where it is installed: the two sides of the edge, well clear of it.
  const real = findRealTools1x();
  it.skipIf(!('binDir' in real))('the real 1.1.0 gives 64 at 10,000 levels and 134 at 15,000', () => {
    if (!('binDir' in real)) return;
    for (const [depth, status] of [
      [10_000, 64],
      [15_000, 134],
    ] as const) {
      const img = join(tmpdir(), `thinlab-chain-${process.pid}-${depth}.img`);
      writeFileSync(img, chainImage(depth));
      const r = spawnSync(join(real.binDir, 'thin_dump'), ['--repair', img], { encoding: 'latin1' });
      rmSync(img, { force: true });
      // An abort is SIGABRT to spawnSync; the shell reports it as 134.
      expect(r.status ?? 128 + (r.signal === 'SIGABRT' ? 6 : 0)).toBe(status);
      expect(r.stderr).toBe(status === 64 ? 'no compatible roots found\n' : STACK_OVERFLOW_TEXT_1X);
    }
  });

  /** A lab on debian13 with `bytes` at /run/in.img and a 4 MiB /run/out.img for thin_repair. */
  function labWith(bytes: Uint8Array): LabShell {
    const shell = new LabShell({ stack: 'debian13' });
    const file = shell.fs.openForWrite('/run/in.img', true);
    if (typeof file === 'string') throw new Error(file);
    file.writeBytes(0, bytes);
    shell.runLine('truncate -s 4M /run/out.img');
    return shell;
  }

  // thin_repair's read_or_rebuild_superblock runs the same search before the superblock. The real
  // 1.1.0, run by hand on the same inputs: `no compatible roots found` (64) on a 1,000-level
  // chain, and the fixedbitset panic (101) on seed 17 case 61 (fixtures/reliability/).
  it('thin_repair runs the search first: no compatible roots on a chain of mapping nodes', () => {
    const shell = labWith(chainImage(40));
    expect(shell.runLine('thin_repair -i /run/in.img -o /run/out.img 2>&1; echo "rc=$?"')).toBe(
      'no compatible roots found\nrc=64\n',
    );
  });

  it('thin_repair panics as the real 1.1.0 does on a child pointer past the device (seed 17 case 61)', () => {
    const image = gunzipSync(
      readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'reliability', 'seed17-case61.img.gz')),
    );
    const shell = labWith(new Uint8Array(image));
    expect(shell.runLine('thin_repair -i /run/in.img -o /run/out.img 2>&1 >/dev/null; echo "rc=$?"')).toBe(
      "\nthread 'main' panicked at /usr/share/cargo/registry/fixedbitset-0.4.2/src/lib.rs:258:9:\n" +
        'set at index 3355443200 exceeds fixbitset size 1024\n' +
        'note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\nrc=101\n',
    );
  });
});
