import { describe, expect, it } from 'vitest';
import { ThinMetadata, type MetadataImage } from '../model/metadata.js';
import { dmChecksum } from './crc32c.js';
import { addHandMadeHeldRoot, bigPool, emptyPool, imageContents, sharedLeavesPool, smallPool } from './lab-states.js';
import { BLOCK_SIZE, BTREE_CSUM_XOR, getU64, maxEntries, SB, setU64, SUPERBLOCK_CSUM_XOR } from './layout.js';
import { readMetadataImage } from './metadata-reader.js';
import { writeMetadataImage } from './metadata-writer.js';

function roundTrip(image: MetadataImage): MetadataImage {
  const bytes = writeMetadataImage(image, image.metadataNrBlocks);
  expect(bytes.length).toBe(image.metadataNrBlocks * BLOCK_SIZE);
  const r = readMetadataImage(bytes);
  if (!r.ok) throw new Error(r.error);
  return r.image;
}

/** Re-seals the superblock after a deliberate change, so only the change itself is wrong. */
function resealSuperblock(bytes: Uint8Array): void {
  new DataView(bytes.buffer).setUint32(0, dmChecksum(bytes, 4, BLOCK_SIZE, SUPERBLOCK_CSUM_XOR), true);
}

describe('node capacity', () => {
  it('follows the kernel rule: fit after the 32-byte header, rounded down to a multiple of 3', () => {
    expect(maxEntries(8)).toBe(252);
    expect(maxEntries(24)).toBe(126);
    expect(maxEntries(16)).toBe(168);
    expect(maxEntries(4)).toBe(336);
  });
});

describe('metadata round trip', () => {
  it.each([
    ['an empty pool', emptyPool],
    ['one thin with needs_check set', smallPool],
    // The compact layout (no plan): the allocator follows this history too, and its layout keeps
    // the kernel's per-leaf data counts, checked below.
    [
      'snapshots, thousands of mappings, refcounts above 2, 300 devices',
      (): MetadataImage => ({ ...bigPool(), layout: null }),
    ],
  ])('writes and reads back %s exactly', (_name, build) => {
    const image = build();
    expect(imageContents(roundTrip(image))).toEqual(imageContents(image));
  });

  it('exercises the parts of the layout it claims to', () => {
    const image = bigPool();
    expect(Math.max(...image.refcounts)).toBeGreaterThanOrEqual(3);
    expect(image.devices.get(0)!.table.count()).toBe(6000);
    expect(image.devices.size).toBe(303);
    expect(image.refcounts[20000]).toBe(1);
    expect(image.refcounts[33000]).toBe(1);
    const bytes = writeMetadataImage(image, image.metadataNrBlocks);
    const dv = new DataView(bytes.buffer);
    // The details and top-level trees need interior roots at 303 devices.
    const flagsOf = (block: number): number => dv.getUint32(block * BLOCK_SIZE + 4, true);
    expect(flagsOf(getU64(dv, SB.deviceDetailsRoot))).toBe(1);
    expect(flagsOf(getU64(dv, SB.dataMappingRoot))).toBe(1);
  });

  it('writes and reads back shared leaves and a held snapshot, with the kernel counts of a data block per leaf', () => {
    const image = sharedLeavesPool();
    const back = roundTrip(image);
    const { refcounts: lab, ...rest } = imageContents(image) as { refcounts: number[] };
    const { refcounts, ...restBack } = imageContents(back) as { refcounts: number[] };
    expect(restBack).toEqual(rest);
    // The lab counts a data block once per device that maps it; the kernel, and so the bytes,
    // once per mapping leaf that holds it, and a leaf shared by a snapshot holds it once.
    const perLeaf = refcounts.flatMap((c, b) => (c === 0 ? [] : [[b, c]]));
    expect(perLeaf).toEqual([...image.layout!.dataCounts].sort(([a], [b]) => a! - b!));
    expect(refcounts).not.toEqual(lab);
    expect(back.heldRoot?.block).toBe(image.layout!.held!.block);
    const heldDevices = (m: MetadataImage): unknown =>
      (imageContents({ ...m, devices: m.heldRoot!.devices }) as { devices: unknown }).devices;
    expect(heldDevices(back)).toEqual(heldDevices(image));
  });

  it('puts every structure where the plan of the allocator says, and lays out compactly what it does not follow', () => {
    const image = sharedLeavesPool();
    const plan = image.layout;
    if (plan == null) throw new Error('the allocator follows this history');
    const bytes = writeMetadataImage(image, image.metadataNrBlocks);
    const dv = new DataView(bytes.buffer);
    expect(getU64(dv, SB.dataMappingRoot)).toBe(plan.mappingRoot);
    expect(getU64(dv, SB.deviceDetailsRoot)).toBe(plan.detailsRoot);
    expect(getU64(dv, SB.heldRoot)).toBe(plan.held?.block);
    expect(getU64(dv, SB.metadataSpaceMapRoot + 16)).toBe(plan.metadataIndex);
    expect(getU64(dv, SB.metadataSpaceMapRoot + 24)).not.toBe(2);
    expect(getU64(dv, SB.dataSpaceMapRoot + 24)).toBe(plan.dataRefCountRoot);
    // A leaf shared by the held snapshot and a snapshot is one block, named by both trees.
    const shared = [...plan.deviceRoots.values()].filter((b) => [...plan.held!.deviceRoots.values()].includes(b));
    expect(shared.length).toBeGreaterThan(0);
    for (const block of shared) expect(getU64(dv, block * BLOCK_SIZE + 8)).toBe(block);
    // A plan that does not describe the image (another pool's) is not used: the compact layout is.
    const other = { ...image, layout: smallPool().layout };
    expect(other.layout).not.toBeNull();
    const compact = writeMetadataImage({ ...image, layout: null }, image.metadataNrBlocks);
    // Compared as buffers: a deep equality of two 16 MiB arrays takes most of a minute.
    expect(Buffer.from(writeMetadataImage(other, other.metadataNrBlocks)).equals(Buffer.from(compact))).toBe(true);
  });

  it('writes 303 devices, thousands of mappings and counts above 2 in the kernel layout and reads them back', () => {
    const image = bigPool();
    expect(image.layout).not.toBeNull();
    const back = roundTrip(image);
    const { refcounts: _lab, ...rest } = imageContents(image) as { refcounts: number[] };
    const { refcounts, ...restBack } = imageContents(back) as { refcounts: number[] };
    expect(restBack).toEqual(rest);
    const perLeaf = refcounts.flatMap((c, b) => (c === 0 ? [] : [[b, c]]));
    expect(perLeaf).toEqual([...image.layout!.dataCounts].sort(([a], [b]) => a! - b!));
    const dv = new DataView(writeMetadataImage(image, image.metadataNrBlocks).buffer);
    expect(getU64(dv, SB.deviceDetailsRoot)).toBe(image.layout!.detailsRoot);
    expect(getU64(dv, SB.dataMappingRoot)).toBe(image.layout!.mappingRoot);
  });

  it('keeps needs_check both ways and round-trips a re-opened image', () => {
    const withFlag = roundTrip(smallPool());
    expect(withFlag.needsCheck).toBe(true);
    const md = ThinMetadata.open(withFlag);
    md.needsCheck = false;
    md.insertMapping(md.device(7)!, 9, md.spaceMap.allocate());
    md.commit();
    const next = md.image();
    const back = roundTrip(next);
    expect(back.needsCheck).toBe(false);
    expect(imageContents(back)).toEqual(imageContents(next));
  });

  it('reads a held metadata snapshot (a superblock copy at held_root, as the kernel makes it)', () => {
    const image = smallPool();
    const bytes = writeMetadataImage(image, image.metadataNrBlocks);
    const held = 1000;
    addHandMadeHeldRoot(bytes, held);
    const r = readMetadataImage(bytes);
    if (!r.ok) throw new Error(r.error);
    expect(r.image.heldRoot).not.toBeNull();
    const snap = r.image.heldRoot!;
    expect(snap.block).toBe(held);
    expect(snap.transactionId).toBe(3n);
    expect(imageContents({ ...r.image, devices: snap.devices })).toEqual(imageContents(image));
  });

  it('refuses a device too small for the image', () => {
    expect(() => writeMetadataImage(bigPool(), 16)).toThrow(RangeError);
  });
});

describe('damaged metadata', () => {
  const good = (): Uint8Array => writeMetadataImage(smallPool(), 1024);

  it('reports a flipped superblock byte as a bad checksum', () => {
    const bytes = good();
    bytes[SB.time] = bytes[SB.time]! ^ 0x40;
    expect(readMetadataImage(bytes)).toEqual({ ok: false, error: 'bad checksum in superblock' });
  });

  it('reports an all-zero superblock as unformatted', () => {
    const bytes = good();
    bytes.fill(0, 0, BLOCK_SIZE);
    const r = readMetadataImage(bytes);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/no superblock.*unformatted/);
  });

  it('reports a bad magic number once the checksum is fixed up', () => {
    const bytes = good();
    bytes[SB.magic] = bytes[SB.magic]! ^ 1;
    resealSuperblock(bytes);
    expect(readMetadataImage(bytes)).toEqual({ ok: false, error: 'bad magic in superblock' });
  });

  it('reports truncated input', () => {
    const bytes = good();
    for (const cut of [100, BLOCK_SIZE * 3]) {
      const r = readMetadataImage(bytes.subarray(0, cut));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatch(/too small|truncated/);
    }
  });

  it('reports a damaged btree node by its block', () => {
    const bytes = good();
    const root = getU64(new DataView(bytes.buffer), SB.deviceDetailsRoot);
    bytes[root * BLOCK_SIZE + 100] = bytes[root * BLOCK_SIZE + 100]! ^ 1;
    const r = readMetadataImage(bytes);
    expect(r).toEqual({ ok: false, error: `device details tree node: bad checksum in block ${root}` });
  });

  it('reports a btree loop instead of walking it forever', () => {
    const image = bigPool();
    const bytes = writeMetadataImage(image, image.metadataNrBlocks);
    const dv = new DataView(bytes.buffer);
    // The details root is an interior node at 303 devices: point its first child at itself.
    const root = getU64(dv, SB.deviceDetailsRoot);
    const at = root * BLOCK_SIZE;
    const max = dv.getUint32(at + 20, true);
    setU64(dv, at + 32 + max * 8, root);
    dv.setUint32(at, dmChecksum(bytes, at + 4, at + BLOCK_SIZE, BTREE_CSUM_XOR), true);
    expect(readMetadataImage(bytes)).toEqual({
      ok: false,
      error: `device details tree: block ${root} is referenced twice in the same tree`,
    });
  });

  it('never throws on random damage', () => {
    const base = good();
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    for (let i = 0; i < 200; i++) {
      const bytes = base.slice();
      // Damage somewhere in the written blocks, then re-seal the superblock half the time so the
      // reader gets past it.
      for (let k = 0; k < 4; k++) {
        const at = rand(20 * BLOCK_SIZE);
        bytes[at] = bytes[at]! ^ (1 << rand(8));
      }
      if (i % 2 === 0) resealSuperblock(bytes);
      expect(() => readMetadataImage(bytes)).not.toThrow();
    }
  });
});
