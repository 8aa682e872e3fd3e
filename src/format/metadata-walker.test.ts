import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MetadataImage } from '../model/metadata.js';
import { addHandMadeHeldRoot, bigPool, smallPool } from './lab-states.js';
import { BLOCK_SIZE } from './layout.js';
import { readMetadataAsKernel, readMetadataImage } from './metadata-reader.js';
import { walkMetadata, type MetadataTree, type MetadataVisitor } from './metadata-walker.js';
import { writeMetadataImage } from './metadata-writer.js';

const write = (image: MetadataImage): Uint8Array => writeMetadataImage(image, image.metadataNrBlocks);

/** Everything a walk reports, keyed so that tests can compare walks. */
interface WalkRecord {
  superblocks: number[];
  mappings: Map<string, number[]>;
  devices: Map<string, number>;
  /** Block → what it was reported as ("details node", "data-bitmap", ...), per superblock copy. */
  blocks: Map<number, string>;
  damage: { copy: number; what: string; block: number }[];
}

function record(bytes: Uint8Array): WalkRecord {
  const r: WalkRecord = { superblocks: [], mappings: new Map(), devices: new Map(), blocks: new Map(), damage: [] };
  const visitor: MetadataVisitor = {
    superblock: (sb) => r.superblocks.push(sb.block),
    node: (copy, tree, place) => {
      if (copy === 0) r.blocks.set(place.block, `${tree} node`);
    },
    device: (copy, id, details) => r.devices.set(`${copy}:${id}`, details.mappedBlocks),
    mapping: (copy, device, vblock, dataBlock, time) => {
      const key = `${copy}:${device}`;
      const list = r.mappings.get(key) ?? [];
      list.push(vblock, dataBlock, time);
      r.mappings.set(key, list);
    },
    bitmap: (copy, kind, _index, block) => {
      if (copy === 0) r.blocks.set(block, kind);
    },
    nodeDamage: (copy, tree: MetadataTree, d) => r.damage.push({ copy, what: `${tree} node`, block: d.place.block }),
    blockDamage: (copy, d) => r.damage.push({ copy, what: d.kind, block: d.block }),
  };
  walkMetadata(bytes, visitor);
  return r;
}

function flipByte(bytes: Uint8Array, block: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  out[block * BLOCK_SIZE + 100]! ^= 0xff;
  return out;
}

describe('the metadata walker', () => {
  it('reports every mapping and device of a lab-written image, and no damage', () => {
    const image = bigPool();
    const walked = record(write(image));
    expect(walked.damage).toEqual([]);
    expect(walked.superblocks).toEqual([0]);
    for (const [id, dev] of image.devices) {
      const expected: number[] = [];
      dev.table.forEach((vb, d, t) => expected.push(vb, d, t));
      expect(walked.mappings.get(`0:${id}`) ?? []).toEqual(expected);
      expect(walked.devices.get(`0:${id}`)).toBe(dev.details.mappedBlocks);
    }
    expect(walked.devices.size).toBe(image.devices.size);
  });

  it('walks a held metadata snapshot as a second copy of the trees', () => {
    const bytes = write(smallPool());
    addHandMadeHeldRoot(bytes, 50);
    const walked = record(bytes);
    expect(walked.superblocks).toEqual([0, 50]);
    expect(walked.damage).toEqual([]);
    for (const [key, list] of walked.mappings) {
      if (key.startsWith('0:')) expect(walked.mappings.get(`50:${key.slice(2)}`)).toEqual(list);
    }
  });

  it('reports a flipped byte in each kind of node or block as damage at that block', () => {
    const bytes = write(smallPool());
    const sound = record(bytes);
    // Every kind the walk knows must be present in the image, or this test would prove less.
    const kinds = new Set(sound.blocks.values());
    for (const kind of [
      'details node',
      'top node',
      'bottom node',
      'data-index node',
      'data-refcount node',
      'metadata-refcount node',
      'data-bitmap',
      'metadata-bitmap',
    ]) {
      expect(kinds).toContain(kind);
    }
    for (const [block, kind] of sound.blocks) {
      const walked = record(flipByte(bytes, block));
      expect(walked.damage).toContainEqual({ copy: 0, what: kind, block });
      // A damaged node hides its own entries only: the rest of the walk still happens.
      expect(walked.damage.every((d) => d.block === block)).toBe(true);
    }
  });

  it('reports a damaged metadata space map index', () => {
    const bytes = write(smallPool());
    let index = -1;
    walkMetadata(bytes, { superblock: (sb) => (index = sb.metadataSm.bitmapRoot) });
    expect(record(flipByte(bytes, index)).damage).toEqual([{ copy: 0, what: 'metadata-index', block: index }]);
  });

  it('reports a held root past the end without walking it', () => {
    const bytes = write(smallPool());
    addHandMadeHeldRoot(bytes, 50);
    const truncated = bytes.slice(0, 40 * BLOCK_SIZE);
    const missing: number[] = [];
    walkMetadata(truncated, { missingSuperblock: (block) => missing.push(block) });
    expect(missing).toEqual([50]);
  });

  it('never throws, and neither do the readers built on it, on flipped bytes or truncation', () => {
    const plain = write(smallPool());
    const held = Uint8Array.from(plain);
    addHandMadeHeldRoot(held, 50);
    // Damage lands in the blocks in use (0-9) and the held copy (50), where it changes the walk.
    const blockInUse = fc.oneof(fc.integer({ min: 0, max: 9 }), fc.constant(50));
    const flip = fc.record({
      block: blockInUse,
      offset: fc.integer({ min: 0, max: BLOCK_SIZE - 1 }),
      mask: fc.integer({ min: 1, max: 255 }),
    });
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.array(flip, { minLength: 1, maxLength: 6 }),
        fc.option(fc.integer({ min: 0, max: 60 * BLOCK_SIZE })),
        (withHeld, flips, cut) => {
          let bytes = Uint8Array.from(withHeld ? held : plain);
          for (const f of flips) bytes[f.block * BLOCK_SIZE + f.offset]! ^= f.mask;
          if (cut !== null) bytes = bytes.slice(0, cut);
          expect(() => walkMetadata(bytes, {})).not.toThrow();
          expect(() => readMetadataImage(bytes)).not.toThrow();
          expect(() => readMetadataAsKernel(bytes)).not.toThrow();
        },
      ),
      { numRuns: 300, seed: 11 },
    );
  });
});
