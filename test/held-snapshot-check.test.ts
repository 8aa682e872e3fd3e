/**
 * Issue 17, defect 12: thin_check on metadata whose held snapshot has trees of its own (writes
 * after `reserve_metadata_snap` shadowed the live ones). 0.9.0 reads those trees only when it
 * counts metadata references: a node it cannot read there ends the check (status 1, the message
 * unindented), a node failing a structural check is left uncounted (the counts then differ,
 * status 1). The lab exited 0 on both. Every block only the snapshot reaches is damaged here in
 * three ways, and the lab must exit 1 and, where the real tools are installed, print what they print.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { baseImages } from '../reliability/metadata-images.js';
import { dmChecksum } from '../src/format/crc32c.js';
import { BLOCK_SIZE } from '../src/format/layout.js';
import { hasRealTools, ToolBench } from '../src/tools/tool-test-support.js';

describe('thin_check on a held snapshot with trees of its own', () => {
  const bench = new ToolBench();
  afterAll(() => bench.dispose());
  const diverged = baseImages().find((b) => b.name === 'diverged.img')!;

  const damaged = (block: number, offset: number, mask: number, xor: number | null): Uint8Array => {
    const bytes = Uint8Array.from(diverged.bytes);
    bytes[block * BLOCK_SIZE + offset]! ^= mask;
    if (xor !== null) {
      const at = block * BLOCK_SIZE;
      new DataView(bytes.buffer).setUint32(at, dmChecksum(bytes, at + 4, at + BLOCK_SIZE, xor), true);
    }
    return bytes;
  };

  it('has blocks only the snapshot reaches, and passes whole', () => {
    // The held superblock copy and the tree nodes the live trees shadowed away since. With the
    // kernel's layout the two share every node the writes did not touch (3 blocks here; the compact
    // layout, which wrote the held trees apart, gave 11), so the snapshot reaches at least one node
    // of its own besides its superblock.
    expect(diverged.heldOnly.length).toBeGreaterThan(1);
    expect(bench.lab({ m: diverged.bytes }, 'thin_check @m').status).toBe(0);
  });

  for (const [name, offset, mask, sealed] of [
    ['a flipped byte (bad checksum)', 100, 0xff, false],
    ['a wrong block number, re-sealed', 8, 1, true],
    ['a wrong nr_entries, re-sealed', 16, 7, true],
  ] as const) {
    it(`exits 1 on ${name} in any block only the snapshot reaches`, () => {
      for (const block of diverged.heldOnly) {
        // The held superblock copy itself: the re-sealed bytes there are in no field 0.9.0 reads.
        if (block === diverged.heldOnly[0] && sealed) continue;
        const xor = sealed ? diverged.blocks.get(block)! : null;
        const bytes = damaged(block, offset, mask, xor);
        const lab = bench.lab({ m: bytes }, 'thin_check @m');
        expect({ block, status: lab.status }).toEqual({ block, status: 1 });
        if (hasRealTools) {
          const real = bench.real({ m: bytes }, 'thin_check @m');
          expect({ block, ...lab, files: undefined }).toEqual({ block, ...real, files: undefined });
        }
      }
    });
  }
});
