/**
 * Lab states for the format tests, built through {@link ThinMetadata} the way a pool builds them:
 * messages, allocations and commits. Each one exercises a different part of the on-disk layout.
 */
import { ThinMetadata, type MetadataImage } from '../model/metadata.js';

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
