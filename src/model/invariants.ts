/**
 * The pool invariants every test checks after every step (dm-thin.md §7.1, the checks thin_check
 * makes): each data block's refcount equals the mappings that point at it (the held metadata snapshot's included); used + free = total;
 * `mapped_blocks` equals the mappings counted; no mapping points outside the pool or at a free block.
 */
import { forEachHeldMapping, type ThinMetadata } from './metadata.js';

export function checkPoolInvariants(md: ThinMetadata): string[] {
  const problems: string[] = [];
  const sm = md.spaceMap;
  const nrBlocks = sm.nrBlocksUncommitted;
  const expected = new Uint32Array(nrBlocks);
  for (const dev of md.devices.values()) {
    let counted = 0;
    dev.table.forEach((vb, dataBlock) => {
      counted++;
      if (dataBlock >= nrBlocks)
        problems.push(
          `device ${dev.id} maps virtual block ${vb} to data block ${dataBlock}, beyond the pool (${nrBlocks} blocks)`,
        );
      else expected[dataBlock]!++;
    });
    // After an aborted transaction the kernel keeps a stale in-memory count for devices it has
    // open (seen on the oracle); the count on disk, the committed one, must still be right.
    const mapped =
      dev.abortedWithChanges && dev.committedDetails !== null
        ? dev.committedDetails.mappedBlocks
        : dev.details.mappedBlocks;
    // mapped_blocks read from damaged metadata stays off by what it was off when opened.
    if (counted + (md.mappedBlocksSkew.get(dev.id) ?? 0) !== mapped) {
      problems.push(`device ${dev.id}: mapped_blocks is ${mapped} but ${counted} mappings were counted`);
    }
  }
  // A held metadata snapshot's trees keep the blocks they map (a deleted thin's included).
  forEachHeldMapping(md.heldRoot, (b) => {
    if (b < nrBlocks) expected[b]!++;
  });
  let allocated = 0;
  for (let b = 0; b < nrBlocks; b++) {
    const actual = sm.refcount(b);
    // Counts that differed from the mappings when damaged metadata was opened stay as far off, and
    // a block allocated for a write the data device failed is counted by the space map alone.
    const skew = md.refcountSkew.get(b) ?? 0;
    if (actual !== expected[b]! + skew)
      problems.push(`data block ${b}: refcount ${actual}, but ${expected[b]} mappings point at it`);
    if (actual > 0) allocated++;
    if (problems.length > 20) break;
  }
  if (allocated !== sm.nrAllocated)
    problems.push(`${allocated} blocks have references but the space map counts ${sm.nrAllocated} allocated`);
  const used = sm.nrBlocks - sm.nrFree;
  if (sm.nrBlocks >= sm.nrAllocated && used + sm.nrFree !== sm.nrBlocks)
    problems.push(`used ${used} + free ${sm.nrFree} != total ${sm.nrBlocks}`);
  return problems;
}
