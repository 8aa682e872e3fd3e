/**
 * Where a write to a path lands. A redirection (ash's openredirect) and a file a command opens for
 * writing itself (uniq's OUTFILE, tee's FILEs: busybox's xopen and fopen_or_warn) open the same
 * things with the same open(2), so they resolve the path here and differ only in how they word a
 * failure. fixtures/kernel/219-output-targets records both on the VM.
 */
import { Errno, type ErrnoValue, strerror } from '../model/errno.js';
import { parseKernelUint } from '../model/module-params.js';
import { latin1Text } from '../shared/bytes.js';
import type { WritableFile } from '../shell/io.js';
import { notModelled } from './command-errors.js';
import type { ShellContext } from './context.js';
import { appendingWriter, NO_SPACE_TIMEOUT_PATH, VM_MOUNT_SIZES } from './fs.js';
import { openFileForWrite, staleMapperNode } from './vfs.js';

/** What opening `path` for writing gave, before the writer words it. */
export type OutputTarget =
  /** /dev/null, /dev/zero, /dev/urandom: the kernel takes every write. */
  | { readonly kind: 'discard' }
  /** dm_thin_pool's no_space_timeout: each write sets it. */
  | { readonly kind: 'param' }
  /** A block device: the lab writes devices only with dd, so each writer refuses it in its words. */
  | { readonly kind: 'device' }
  | { readonly kind: 'failed'; readonly errno: ErrnoValue }
  | { readonly kind: 'file'; readonly file: WritableFile };

const DISCARD: OutputTarget = { kind: 'discard' };
const PARAM: OutputTarget = { kind: 'param' };
const DEVICE: OutputTarget = { kind: 'device' };

/** Opens `path` for writing, truncated unless `append`. */
export function openOutputTarget(ctx: ShellContext, path: string, append: boolean): OutputTarget {
  if (path === '/dev/null' || path === '/dev/zero' || path === '/dev/urandom') return DISCARD;
  if (path === NO_SPACE_TIMEOUT_PATH) return PARAM;
  // A stale /dev/mapper node opens nowhere (ENXIO), for writing as for reading.
  if (staleMapperNode(ctx, path) !== null) return { kind: 'failed', errno: Errno.ENXIO };
  if (path.startsWith('/dev/')) return DEVICE;
  const f = openFileForWrite(ctx, path, !append);
  if (typeof f === 'number') return { kind: 'failed', errno: f };
  return { kind: 'file', file: appendingWriter(ctx.fs, f, VM_MOUNT_SIZES[ctx.machine.stack]) };
}

/**
 * One write(2) of `text` to dm_thin_pool's no_space_timeout, as sysfs's store takes it: the value
 * set, or the errno text of a value it refuses. A redirection applies its text when it closes, a
 * command at each write (paramWriter).
 */
export function writeNoSpaceTimeout(ctx: ShellContext, text: string): string | null {
  const value = parseKernelUint(text);
  if (!value.ok) return strerror(value.errno);
  ctx.machine.noSpaceTimeoutSecs = value.value;
  return null;
}

/** What the kernel discards (and /dev/urandom takes as entropy): a write there always succeeds. */
const DISCARDING: WritableFile = { append: () => true, failure: null };

/**
 * A module parameter a command writes itself: sysfs applies each write(2) on its own, and one the
 * parameter refuses fails that write (busybox's tee then says `I/O error` and exits 1; uniq writes
 * through stdio, so its one write comes at exit). fixtures/kernel/219-output-targets.
 */
function paramWriter(ctx: ShellContext): WritableFile {
  let failure: string | null = null;
  return {
    append(bytes: Uint8Array): boolean {
      // A stream's error stays set (ferror), whatever later writes do.
      const error = writeNoSpaceTimeout(ctx, latin1Text(bytes));
      failure ??= error;
      return error === null;
    },
    get failure() {
      return failure;
    },
  };
}

/**
 * Opens `path` for a command that writes it itself: the file, or the errno text of a failed open
 * (busybox prints it after `can't open 'PATH': ` or `NAME: `). `tool` names the command in the
 * refusal of a device.
 */
export function openCommandOutput(
  ctx: ShellContext,
  path: string,
  append: boolean,
  tool: string,
): WritableFile | string {
  const target = openOutputTarget(ctx, path, append);
  switch (target.kind) {
    case 'discard':
      return DISCARDING;
    case 'param':
      return paramWriter(ctx);
    case 'device':
      throw notModelled(`${tool} writing to ${path} (the lab writes devices with dd of=)`);
    case 'failed':
      return strerror(target.errno);
    case 'file':
      return target.file;
  }
}
