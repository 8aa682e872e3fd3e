/**
 * A host image on a RAM disk (`thinlab sh --attach FILE:/dev/ramN`): the image is written over
 * the start of the disk as a `dd of=/dev/ramN` would, zeros included, so the lab reads it back
 * byte for byte (a metadata image opens as the pool's metadata). An image larger than the disk,
 * or a device that is not a RAM disk, is refused by name before anything is written. The image
 * travels in its event as runs of non-zero 4 KiB blocks (`imageRuns`), which keeps a mostly empty
 * metadata image small in the history.
 */
import { SECTOR_BYTES } from '../model/sectors.js';
import type { Lab } from './lab.js';

/** The unit of the sparse encoding: a metadata block. */
const BLOCK_BYTES = 4096;

export interface ImageRun {
  readonly offset: number;
  readonly base64: string;
}

export class AttachRefused extends Error {
  override readonly name = 'AttachRefused';
  readonly code = 'ATTACH_REFUSED';
}

function isZero(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0) return false;
  return true;
}

/** The image's non-zero 4 KiB blocks, consecutive ones merged, base64-encoded. */
export function imageRuns(bytes: Uint8Array): ImageRun[] {
  const out: ImageRun[] = [];
  let start = -1;
  const flush = (end: number): void => {
    if (start < 0) return;
    out.push({ offset: start, base64: Buffer.from(bytes.subarray(start, end)).toString('base64') });
    start = -1;
  };
  for (let pos = 0; pos < bytes.length; pos += BLOCK_BYTES) {
    const block = bytes.subarray(pos, Math.min(bytes.length, pos + BLOCK_BYTES));
    if (isZero(block)) flush(pos);
    else if (start < 0) start = pos;
  }
  flush(bytes.length);
  return out;
}

/** Refuses what cannot be attached; returns the RAM disk's size in bytes when it can. */
export function checkAttach(lab: Lab, device: string, file: string, sizeBytes: number): number {
  const m = lab.machine;
  const dev = m.resolve(device);
  const disks = m.ramdisks.map((_r, i) => `/dev/ram${i}`).join(', ');
  if (dev === null || dev.kind !== 'ram')
    throw new AttachRefused(`an image can only be attached to a RAM disk (${disks}), not '${device}'`);
  const diskBytes = m.sizeSectors(dev) * SECTOR_BYTES;
  if (sizeBytes > diskBytes) {
    throw new AttachRefused(
      `${file} (${sizeBytes} bytes) is larger than ${device} (${diskBytes} bytes): start the lab with --ramdisk-kb ${Math.ceil(sizeBytes / 1024)} or more`,
    );
  }
  return diskBytes;
}

/** Writes the image over the start of a RAM disk: zeros first, then its non-zero runs. */
export function attachImage(
  lab: Lab,
  device: string,
  file: string,
  sizeBytes: number,
  runs: readonly ImageRun[],
): void {
  checkAttach(lab, device, file, sizeBytes);
  const m = lab.machine;
  const dev = m.resolve(device)!;
  // Token 0 is a sector of zeros: what the image holds outside its runs, whatever was there.
  m.writeSectors(dev, 0, new Uint32Array(Math.ceil(sizeBytes / SECTOR_BYTES)));
  for (const run of runs) {
    const bytes = Buffer.from(run.base64, 'base64');
    const padded = new Uint8Array(Math.ceil(bytes.length / SECTOR_BYTES) * SECTOR_BYTES);
    padded.set(bytes);
    m.writeSectors(dev, run.offset / SECTOR_BYTES, m.dictionary.tokensOf(padded));
  }
}
