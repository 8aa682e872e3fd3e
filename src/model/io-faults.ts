/**
 * Faults the lab puts on a block device directly (the `fault io` and `fault slow-commit` lab
 * directives): sector ranges whose reads, writes or both fail with EIO, as dm-dust's bad-block
 * list does, and extra milliseconds every write and flush to the device takes. They belong to the
 * device (a RAM disk or a dm device), so they survive table reloads, and they are plain data, so
 * snapshots of the lab keep them.
 */

export type IoDirection = 'read' | 'write' | 'rw';

export interface IoErrorRange {
  readonly startSector: number;
  readonly lengthSectors: number;
  readonly direction: IoDirection;
}

/** The faults on one device; an absent field means none. */
export interface DeviceFaults {
  errorRanges: IoErrorRange[];
  /** Milliseconds added to every write and flush (a slow commit when this is a metadata device). */
  slowWriteMs: number;
}

export function noFaults(): DeviceFaults {
  return { errorRanges: [], slowWriteMs: 0 };
}

/** Whether an I/O of `count` sectors from `start` touches a range that fails this direction. */
export function ioHitsErrorRange(faults: DeviceFaults, start: number, count: number, op: 'read' | 'write'): boolean {
  // Every read and write of the model asks, and almost always of a device with no ranges.
  const ranges = faults.errorRanges;
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i]!;
    if (r.direction !== 'rw' && r.direction !== op) continue;
    if (start < r.startSector + r.lengthSectors && r.startSector < start + count) return true;
  }
  return false;
}
