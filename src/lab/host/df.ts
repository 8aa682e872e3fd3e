/**
 * busybox df on the oracle VM (fixtures/kernel/92-df): its two tmpfs mounts, /dev and /tmp, with
 * the sizes each stack's kernel gives them in a 1 GiB VM (`VM_MOUNT_SIZES`). /tmp's used space is the pages its files hold: a page counts
 * once anything was written to it, zeros included, and a hole in a sparse file costs nothing
 * (LabFile.allocatedBytes; fixtures/kernel/140-memory-run-full).
 */
import type { StackId } from '../../model/stack.js';
import { type LabFileSystem, VM_MOUNT_SIZES } from '../fs.js';

interface Mount {
  readonly device: string;
  readonly path: string;
  readonly totalKb: number;
}

/** The VM's mounts that df lists on a stack (its rootfs has no size, so df leaves it out). */
function mounts(stack: StackId): readonly Mount[] {
  const sizes = VM_MOUNT_SIZES[stack];
  return [
    { device: 'dev', path: '/dev', totalKb: sizes.devKb },
    { device: 'tmp', path: '/tmp', totalKb: sizes.tmpKb },
  ];
}

export const DF_HEADER = 'Filesystem           1K-blocks      Used Available Use% Mounted on\n';

/** The mount a path is on, or null when it is on none that df lists. */
export function mountOf(path: string, stack: StackId): Mount | null {
  return mounts(stack).find((m) => path === m.path || path.startsWith(`${m.path}/`)) ?? null;
}

function usedKb(fs: LabFileSystem, mount: Mount): number {
  if (mount.path !== '/tmp') return 0;
  return fs.list('/tmp/').reduce((kb, path) => kb + fs.get(path)!.allocatedBytes / 1024, 0);
}

/** One line of df's table, as busybox prints it. */
export function dfLine(fs: LabFileSystem, mount: Mount): string {
  const used = usedKb(fs, mount);
  const avail = mount.totalKb - used;
  const percent = Math.floor((used * 100 + Math.floor(mount.totalKb / 2)) / mount.totalKb);
  return `${mount.device.padEnd(20, ' ')}${String(mount.totalKb).padStart(10, ' ')}${String(used).padStart(10, ' ')}${String(avail).padStart(10, ' ')}${String(percent).padStart(4, ' ')}% ${mount.path}\n`;
}

export function allMounts(stack: StackId): readonly Mount[] {
  return mounts(stack);
}
