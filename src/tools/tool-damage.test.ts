/**
 * No thin tool may throw on any input: damaged bytes are damage, reported as the tool reports it.
 * Issue 17 met `RangeError: Offset is outside the bounds of the DataView` on images with a held
 * metadata snapshot, so these images carry one and the damage also lands in its block.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { dmChecksum } from '../format/crc32c.js';
import { BLOCK_SIZE, SB, setU64, SUPERBLOCK_CSUM_XOR } from '../format/layout.js';
import { ToolBench } from './tool-test-support.js';
import { testImages } from './tool-images.js';

const READERS = [
  'thin_check @m',
  'thin_check -m @m',
  'thin_dump @m',
  'thin_dump -r @m',
  'thin_dump -m @m',
  'thin_dump -r -m @m',
  'thin_ls -m -o DEV,MAPPED,EXCLUSIVE,SHARED @m',
  'thin_rmap --region 0..2000 @m',
  'thin_delta -m --thin1 7 --thin2 7 @m',
  'thin_repair -i @m -o @out',
];

describe('the thin tools on damaged images with a held snapshot', () => {
  const bench = new ToolBench();
  afterAll(() => bench.dispose());
  const { held } = testImages();

  it('never throw, whatever bytes are flipped or cut off', () => {
    // The image's blocks in use are 0-9 and the held superblock copy is block 50.
    const block = fc.oneof(fc.integer({ min: 0, max: 9 }), fc.constant(50));
    const flip = fc.record({
      block,
      offset: fc.integer({ min: 0, max: BLOCK_SIZE - 1 }),
      mask: fc.integer({ min: 1, max: 255 }),
    });
    const line = READERS.map((r) => `${r} >/dev/null 2>&1`).join('; ');
    fc.assert(
      fc.property(
        fc.array(flip, { minLength: 1, maxLength: 4 }),
        fc.option(fc.integer({ min: BLOCK_SIZE, max: 60 * BLOCK_SIZE }), { freq: 4 }),
        (flips, cut) => {
          let bytes = Uint8Array.from(held!);
          for (const f of flips) bytes[f.block * BLOCK_SIZE + f.offset]! ^= f.mask;
          if (cut !== null) bytes = bytes.slice(0, cut);
          expect(() => bench.lab({ m: bytes, out: new Uint8Array(64 * BLOCK_SIZE) }, line)).not.toThrow();
        },
      ),
      { numRuns: 40, seed: 17 },
    );
  });

  it('count metadata references past a held copy whose roots point beyond the end', () => {
    // A sound checksum over absurd roots: only the space map check reads the held copy's trees.
    const bytes = Uint8Array.from(held!);
    const dv = new DataView(bytes.buffer);
    const at = 50 * BLOCK_SIZE;
    setU64(dv, at + SB.deviceDetailsRoot, 1_000_000);
    setU64(dv, at + SB.dataMappingRoot, 2 ** 40);
    dv.setUint32(at, dmChecksum(bytes, at + 4, at + BLOCK_SIZE, SUPERBLOCK_CSUM_XOR), true);
    const r = bench.lab({ m: bytes }, 'thin_check @m');
    expect(r.stderr).toContain('checking space map counts');
  });
});
