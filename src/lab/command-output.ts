/**
 * A file a command opens for writing itself (uniq's OUTFILE, tee's FILEs), as busybox's xopen and
 * fopen_or_warn open it: the same files a redirection can write (src/lab/fs.ts `openForWrite`),
 * with the errno texts busybox prints after `can't open 'PATH': `.
 */
import { Errno, strerror } from '../model/errno.js';
import type { WritableFile } from '../shell/io.js';
import { notModelled } from './command-errors.js';
import type { ShellContext } from './context.js';
import { appendingWriter, VM_MOUNT_SIZES } from './fs.js';
import { fileKind, staleMapperNode } from './vfs.js';

/** What the kernel discards (and /dev/urandom takes as entropy): a write there always succeeds. */
const DISCARDING: WritableFile = { append: () => true, failure: null };

/**
 * Opens `path` for writing (truncated unless `append`): the file, or the errno text of a failed
 * open. `tool` names the command in the refusal of a device, which the lab writes only with dd.
 */
export function openCommandOutput(
  ctx: ShellContext,
  path: string,
  append: boolean,
  tool: string,
): WritableFile | string {
  if (path === '/dev/null' || path === '/dev/zero' || path === '/dev/urandom') return DISCARDING;
  // A stale /dev/mapper node opens nowhere (ENXIO), for writing as for reading.
  if (staleMapperNode(ctx, path) !== null) return strerror(Errno.ENXIO);
  if (path.startsWith('/dev/')) throw notModelled(`${tool} writing to ${path} (the lab writes devices with dd of=)`);
  if (fileKind(ctx, path) === 'dir') return 'Is a directory';
  const f = ctx.fs.openForWrite(path, !append);
  if (typeof f === 'string')
    return f.endsWith('Read-only file system') ? 'Read-only file system' : strerror(Errno.ENOENT);
  return appendingWriter(ctx.fs, f, VM_MOUNT_SIZES[ctx.machine.stack]);
}
