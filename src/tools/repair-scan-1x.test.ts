/**
 * 1.1.0's root search (repair-scan-1x.ts) on chains of internal nodes: it follows children
 * recursively, so a chain deep enough to outrun the lab's stack must be refused by name rather
 * than end the tool in a RangeError (issue 17: no tool throws on any input). The real 1.1.0 (run
 * on chainImage's images by hand, ulimit -s 8192) says `no compatible roots found` (64) up to
 * 10,000 levels and from 15,000 aborts with "thread 'main' has overflowed its stack" (134); the
 * lab follows about 1,000 to 3,000 and refuses past that, so between the two it refuses where the
 * real tool answers (docs/reliability.md).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { INTERNAL_NODE, LEAF_NODE } from '../format/layout.js';
import { MetadataOutput, writeNode } from '../format/metadata-blocks.js';
import { LabShell } from '../lab/lab-shell.js';
import { MetadataBytes } from './metadata-view.js';
import { repairScan } from './repair-scan-1x.js';

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

  it('reports a chain deeper than the lab follows instead of throwing', () => {
    expect(repairScan(new MetadataBytes(chainImage(30_000)))).toEqual({ tooDeep: true });
  });

  it('thin_dump --repair refuses that chain by name on debian13, with nothing on stdout', () => {
    const shell = new LabShell({ stack: 'debian13' });
    const file = shell.fs.openForWrite('/run/deep.img', true);
    if (typeof file === 'string') throw new Error(file);
    file.writeBytes(0, chainImage(30_000));
    const out = shell.runLine('thin_dump --repair /run/deep.img 2>/dev/null; echo "rc=$?"');
    // 127: the lab's status for a run it does not model (src/lab/command-errors.ts).
    expect(out).toBe('rc=127\n');
    expect(shell.runLine('thin_dump --repair /run/deep.img 2>&1 >/dev/null')).toMatch(
      /^thinlab: not modelled: thin_dump of thin-provisioning-tools 1\.1\.0 \(stack debian13\)/,
    );
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
