/**
 * Lab states for the format tests, built through {@link ThinMetadata} the way a pool builds them:
 * messages, allocations and commits. Each one exercises a different part of the on-disk layout.
 */
import { ThinMetadata, type MetadataImage } from '../model/metadata.js';
import { dmChecksum } from './crc32c.js';
import { BLOCK_SIZE, SB, setU64, SUPERBLOCK_CSUM_XOR } from './layout.js';

/** Allocates a data block and maps it; the lab's equivalent of a write to an unmapped block. */
function write(md: ThinMetadata, dev: number, vb: number): void {
  const block = md.spaceMap.allocate();
  if (block < 0) throw new Error('lab state ran out of data blocks');
  md.insertMapping(md.device(dev)!, vb, block);
}

function must(r: { ok: boolean }): void {
  if (!r.ok) throw new Error('lab state message failed');
}

/** A formatted pool with no devices. */
export function emptyPool(): MetadataImage {
  const md = ThinMetadata.format(128, 1024);
  md.resizeData(1000);
  md.commit();
  return md.image();
}

/** One thin with a handful of mappings, needs_check set. */
export function smallPool(): MetadataImage {
  const md = ThinMetadata.format(256, 1024);
  md.resizeData(5000);
  md.commit();
  must(md.createThin(7));
  for (const vb of [0, 1, 2, 10, 11, 500]) write(md, 7, vb);
  must(md.setTransactionId(0n, 3n));
  md.needsCheck = true;
  md.commit();
  return md.image();
}

/**
 * Laid out where the kernel would put it (every tree one node, src/model/metadata-allocator.ts):
 * a snapshot of a snapshot sharing one leaf (3 references, in the metadata overflow tree), copies
 * out of shared leaves (data counts of 3, in the data overflow tree), a discard, a delete, and a
 * metadata snapshot held while the origin changes.
 */
export function sharedLeavesPool(): MetadataImage {
  const md = ThinMetadata.format(128, 1024);
  md.resizeData(1000);
  md.commit();
  must(md.createThin(0));
  for (const vb of [0, 1, 2, 3]) write(md, 0, vb);
  md.commit();
  must(md.createSnap(1, 0));
  must(md.createSnap(2, 1));
  md.commit();
  write(md, 0, 0);
  write(md, 1, 1);
  md.commit();
  md.removeMapping(md.device(0)!, 2);
  must(md.deleteThin(2));
  md.commit();
  must(md.reserveMetadataSnap());
  md.commit();
  write(md, 0, 5);
  md.commit();
  return md.image();
}

/**
 * Thousands of mappings (bottom trees with interior nodes), snapshots of snapshots (refcounts of
 * 3 and 4, so the overflow tree is used), broken sharing at a later time stamp, a deleted device,
 * data blocks in the second and third space-map bitmaps, 300 devices (details and top-level trees
 * with interior nodes) and a 64-bit transaction id.
 */
export function bigPool(): MetadataImage {
  const md = ThinMetadata.format(128, 4096);
  md.resizeData(40000);
  md.commit();
  must(md.createThin(0));
  for (let vb = 0; vb < 6000; vb++) write(md, 0, vb * 2);
  md.commit();
  must(md.createSnap(1, 0));
  must(md.createSnap(2, 1));
  must(md.createSnap(3, 2));
  // Rewrite some of device 1 elsewhere: those blocks drop to 3 references, the new ones have 1.
  md.spaceMap.cursor = 20000;
  for (let vb = 0; vb < 2000; vb += 3) write(md, 1, vb * 2);
  md.commit();
  must(md.deleteThin(3));
  md.spaceMap.cursor = 33000;
  for (let id = 10; id < 310; id++) {
    must(md.createThin(id));
    if (id % 50 === 0) write(md, id, id);
  }
  must(md.setTransactionId(0n, (1n << 40n) + 5n));
  md.commit();
  return md.image();
}

/** What an image says, as plain data, so that two images compare with `toEqual`. */
export function imageContents(image: MetadataImage): object {
  const devices = [...image.devices.entries()]
    .sort(([a], [b]) => a - b)
    .map(([id, dev]) => {
      const mappings: number[] = [];
      dev.table.forEach((vb, d, t) => mappings.push(vb, d, t));
      return { id, details: { ...dev.details }, mappings };
    });
  return {
    time: image.time,
    transactionId: image.transactionId,
    dataBlockSizeSectors: image.dataBlockSizeSectors,
    nrDataBlocks: image.nrDataBlocks,
    metadataNrBlocks: image.metadataNrBlocks,
    needsCheck: image.needsCheck,
    devices,
    refcounts: Array.from(image.refcounts.subarray(0, image.nrDataBlocks)),
  };
}

/**
 * Gives written metadata a held snapshot by hand, since the writer does not write one yet: copies
 * the superblock to the free block `held`, clears the copy's space map roots as the kernel's
 * `__reserve_metadata_snap` does, and points `held_root` at it. The copy shares the live trees
 * without the extra references the kernel would take, so thin_check reports metadata counts.
 */
export function addHandMadeHeldRoot(bytes: Uint8Array, held: number): void {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = held * BLOCK_SIZE;
  bytes.copyWithin(at, 0, BLOCK_SIZE);
  setU64(dv, at + SB.blocknr, held);
  bytes.fill(0, at + SB.dataSpaceMapRoot, at + SB.dataMappingRoot);
  dv.setUint32(at, dmChecksum(bytes, at + 4, at + BLOCK_SIZE, SUPERBLOCK_CSUM_XOR), true);
  setU64(dv, SB.heldRoot, held);
  dv.setUint32(0, dmChecksum(bytes, 4, BLOCK_SIZE, SUPERBLOCK_CSUM_XOR), true);
}
