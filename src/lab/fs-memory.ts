/**
 * The oracle VM's memory as one budget (issue 17): its tmpfs files (`/tmp`, and the rootfs that
 * holds `/run`), its RAM disks' written pages and the shell's values and pipes all live in the
 * same 1 GiB, so the lab counts them against one figure instead of giving each its own bound.
 * The files and disks are counted here; the shell adds its own values (src/shell/interp.ts).
 */
import type { Machine, Storage } from '../model/machine.js';
import { storageWriteCount } from '../model/machine.js';
import { FS_PAGE_BYTES, type LabFileSystem, VM_FREE_MEMORY_BYTES } from './fs.js';

const PAGE_SECTORS = FS_PAGE_BYTES / 512;

/** Pages written on each RAM disk, kept until the disk is written again (counting reads every sector). */
const diskPages = new WeakMap<Storage, { readonly writes: number; readonly bytes: number }>();

/**
 * The memory a RAM disk's pages take: brd allocates a page when a sector in it is first written.
 * The lab's sectors do not remember a write of zeros, so a page counts when it holds data (as
 * df counts a file's pages, src/lab/host/df.ts).
 */
function ramDiskBytes(storage: Storage): number {
  const writes = storageWriteCount(storage);
  const known = diskPages.get(storage);
  if (known !== undefined && known.writes === writes) return known.bytes;
  const store = storage.store;
  const chunk = 64 * 1024;
  let pages = 0;
  for (let first = 0; first < store.sizeSectors; first += chunk) {
    const tokens = store.read(first, Math.min(chunk, store.sizeSectors - first));
    for (let p = 0; p < tokens.length; p += PAGE_SECTORS) {
      for (let s = p; s < Math.min(p + PAGE_SECTORS, tokens.length); s++) {
        if (tokens[s] !== 0) {
          pages++;
          break;
        }
      }
    }
  }
  const bytes = pages * FS_PAGE_BYTES;
  diskPages.set(storage, { writes, bytes });
  return bytes;
}

/** The memory the VM's RAM disks hold now. */
export function ramDisksBytes(machine: Machine): number {
  let bytes = 0;
  for (const disk of machine.ramdisks) bytes += ramDiskBytes(disk.storage);
  return bytes;
}

/** The memory the VM's files and RAM disks hold now. */
export function filesAndDisksBytes(fs: LabFileSystem, machine: Machine): number {
  return fs.allocatedBytes() + ramDisksBytes(machine);
}

/** The memory left for the shell's values and pipes, and for the commands' own buffers. */
export function memoryFreeBytes(fs: LabFileSystem, machine: Machine): number {
  return Math.max(0, VM_FREE_MEMORY_BYTES - filesAndDisksBytes(fs, machine));
}
