/**
 * Taking a device out of the lab (`thinlab export`): a block device (a RAM disk, a loop device, a
 * dm device) or a regular lab file (a loop file such as Docker's sparse data file) read through
 * the machine's own read path, in chunks, so the host file holds byte for byte what a `dd if=` in
 * the lab would read, and a 512 MiB RAM disk never sits in one buffer. Reading a metadata device
 * lays the pool's metadata out as on-disk bytes, as a reader in the lab would see it. Pure: the
 * CLI writes the chunks.
 */
import { strerror } from '../model/errno.js';
import { LAB_WOULD_BLOCK } from '../model/machine.js';
import { SECTOR_BYTES } from '../model/sectors.js';
import type { Lab } from './lab.js';

/** 1 MiB: large enough to stream quickly, small enough to never hold a device at once. */
export const EXPORT_CHUNK_SECTORS = 2048;

export class ExportError extends Error {
  override readonly name = 'ExportError';
  readonly code = 'EXPORT_FAILED';
}

export interface ExportSource {
  /** What it is: `block device /dev/ram1`, `lab file /var/lib/docker/...`. */
  readonly what: string;
  readonly sizeBytes: number;
  /** The contents in order; throws ExportError when a read fails part way. */
  chunks(): Generator<Uint8Array>;
}

/** The block devices and files a path could have named, for the message when it names none. */
function knownNames(lab: Lab): string {
  const m = lab.machine;
  const devices = [
    ...m.ramdisks.map((_r, i) => `/dev/ram${i}`),
    ...m.loops.map((_l, i) => `/dev/loop${i}`),
    ...m.deviceList().map((d) => `/dev/mapper/${d.name}`),
  ];
  return devices.join(', ');
}

/** Opens a lab device or file for export; an ExportError names what the path is not. */
export function openForExport(lab: Lab, path: string, chunkSectors = EXPORT_CHUNK_SECTORS): ExportSource {
  const m = lab.machine;
  const dev = m.resolve(path);
  if (dev !== null) {
    const sectors = m.sizeSectors(dev);
    return {
      what: `block device ${path}`,
      sizeBytes: sectors * SECTOR_BYTES,
      *chunks() {
        for (let s = 0; s < sectors; s += chunkSectors) {
          const count = Math.min(chunkSectors, sectors - s);
          const r = m.readSectors(dev, s, count);
          if (!r.ok) {
            const why = r.errno === LAB_WOULD_BLOCK ? 'the device is suspended (resume it first)' : strerror(r.errno);
            throw new ExportError(`cannot read ${path} at sector ${s}: ${why}`);
          }
          yield m.dictionary.bytesOf(r.value).subarray(0, count * SECTOR_BYTES);
        }
      },
    };
  }
  const file = lab.fs.get(path);
  if (file !== undefined) {
    const chunkBytes = chunkSectors * SECTOR_BYTES;
    return {
      what: `lab file ${path}`,
      sizeBytes: file.sizeBytes,
      *chunks() {
        for (let pos = 0; pos < file.sizeBytes; pos += chunkBytes)
          yield file.readBytes(pos, Math.min(chunkBytes, file.sizeBytes - pos));
      },
    };
  }
  throw new ExportError(
    `no block device or file '${path}' in the lab at this position (block devices: ${knownNames(lab)})`,
  );
}
