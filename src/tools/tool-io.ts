/**
 * How the lab's thin-provisioning-tools reach files and devices: whole-content reads of a
 * metadata file or block device, and the one place where metadata bytes are written back
 * (`writeMetadataBytes`), so that the device path can be adapted in one spot.
 */
import { BLOCK_SIZE } from '../format/layout.js';
import { SECTOR_BYTES } from '../model/sectors.js';
import type { BlockDev } from '../model/machine.js';
import type { ShellContext } from '../lab/context.js';
import type { CommandIo } from '../shell/io.js';
import { fileKind, lookupPath, openFileForWrite, type PathTarget, staleMapperNode } from '../lab/vfs.js';
import type { ErrnoValue } from '../model/errno.js';
import { notModelled } from '../lab/command-errors.js';
import { MetadataBytes, type RawSuperblock } from './metadata-view.js';
import type { ToolsRelease } from './release.js';

/** A directory of the lab machine (vfs decides which): the tools say "bad path" for it, as for a real one. */
function isDirectory(ctx: ShellContext, path: string): boolean {
  return fileKind(ctx, path) === 'dir';
}

export type InputBytes =
  | { readonly ok: true; readonly bytes: Uint8Array; readonly isBlock: boolean }
  | {
      readonly ok: false;
      /** `no device`: a stale /dev/mapper node, there to stat but opening no device (ENXIO). */
      readonly why: 'missing' | 'directory' | 'unreadable' | 'busy' | 'no device';
      readonly detail?: string;
    };

/**
 * What 0.9.0 prints when it opens a device exclusively (O_EXCL) while something holds it, such as
 * the metadata device of a live pool. Each tool adds its own newline (thin_rmap adds none).
 */
export const LIVE_METADATA =
  "syscall 'open' failed: Device or resource busy\nNote: you cannot run this tool with these options on live metadata.";

/** A block device something holds open (an active table), which an O_EXCL open refuses. */
function isHeld(target: PathTarget): boolean {
  return target.kind === 'block' && target.dev.openCount > 0;
}

/**
 * Reads a whole file or block device, as the tools' block manager would see it. `exclusive` is how
 * 0.9.0 opens it: exclusively, except when reading a held metadata snapshot (-m), which is what
 * lets those run on live metadata.
 */
export function readInputBytes(ctx: ShellContext, path: string, exclusive = true): InputBytes {
  const p = path.length > 1 ? path.replace(/\/+$/, '') : path;
  if (isDirectory(ctx, p)) return { ok: false, why: 'directory' };
  const target = lookupPath(ctx, p);
  if (exclusive && isHeld(target)) return { ok: false, why: 'busy' };
  switch (target.kind) {
    case 'file':
      ctx.machine.materializeFile(target.file.storage);
      // Shared with the file's cache: no tool modifies its input (clearing needs_check copies block 0).
      return { ok: true, bytes: target.file.readWholeShared(), isBlock: false };
    case 'block': {
      const bytes = readDevice(ctx, target.dev);
      return bytes === null ? { ok: false, why: 'unreadable' } : { ok: true, bytes, isBlock: true };
    }
    case 'text':
      return { ok: true, bytes: new TextEncoder().encode(target.text), isBlock: false };
    case 'null':
      return { ok: true, bytes: new Uint8Array(0), isBlock: false };
    case 'missing':
      return { ok: false, why: staleMapperNode(ctx, p) === null ? 'missing' : 'no device' };
    default:
      return { ok: false, why: 'unreadable' };
  }
}

export type OpenedMetadata =
  | { readonly ok: true; readonly md: MetadataBytes; readonly sb: RawSuperblock }
  /** `message` is 0.9.0's line without its newline; `failedAt` lets thin_dump --repair word its own. */
  | { readonly ok: false; readonly message: string; readonly failedAt: 'open' | 'size' | 'superblock' };

/**
 * Opens metadata and its superblock as thin_dump, thin_ls, thin_delta, thin_rmap and thin_trim
 * 0.9.0 do, failing in their order: the open, then a file smaller than a block, then block 0's
 * checksum. Each tool prints the message in its own way (with or without a newline).
 */
export function openMetadata(ctx: ShellContext, path: string, exclusive = true): OpenedMetadata {
  const input = readInputBytes(ctx, path, exclusive);
  if (!input.ok) return { ok: false, message: openFailure(input), failedAt: 'open' };
  if (input.bytes.length < BLOCK_SIZE)
    return { ok: false, message: 'Metadata is not large enough for superblock.', failedAt: 'size' };
  const md = new MetadataBytes(input.bytes);
  const sb = md.superblock(0);
  if (sb.storedCsum !== sb.computedCsum)
    return { ok: false, message: `bad checksum in superblock, wanted ${sb.computedCsum}`, failedAt: 'superblock' };
  return { ok: true, md, sb };
}

/** The line 0.9.0 prints when an input cannot be opened (without its newline). */
export function openFailure(input: InputBytes & { ok: false }, noun: 'path' | 'file' = 'path'): string {
  if (input.why === 'directory') return 'bad path';
  if (input.why === 'busy') return LIVE_METADATA;
  // get_file_length stats the path (a stale node is a block device) and then opens it for its size.
  if (input.why === 'no device') return "couldn't open block device to ascertain size";
  return `Couldn't stat ${noun}`;
}

function readDevice(ctx: ShellContext, dev: BlockDev): Uint8Array | null {
  const sectors = ctx.machine.sizeSectors(dev);
  const r = ctx.machine.readSectors(dev, 0, sectors);
  if (!r.ok) return null;
  return ctx.machine.dictionary.bytesOf(r.value).subarray(0, sectors * SECTOR_BYTES);
}

/** The size of an output path, or why it cannot be written (for thin_restore's checks). */
export type OutputTarget =
  | { readonly ok: true; readonly sizeBytes: number; readonly isBlock: boolean; readonly held: boolean }
  | { readonly ok: false; readonly why: 'missing' | 'directory' | 'unwritable' };

export function outputTarget(ctx: ShellContext, path: string): OutputTarget {
  const p = path.length > 1 ? path.replace(/\/+$/, '') : path;
  if (isDirectory(ctx, p)) return { ok: false, why: 'directory' };
  const target = lookupPath(ctx, p);
  if (target.kind === 'file') return { ok: true, sizeBytes: target.file.sizeBytes, isBlock: false, held: false };
  if (target.kind === 'block')
    return {
      ok: true,
      sizeBytes: ctx.machine.sizeSectors(target.dev) * SECTOR_BYTES,
      isBlock: true,
      held: isHeld(target),
    };
  if (target.kind === 'missing') return { ok: false, why: 'missing' };
  return { ok: false, why: 'unwritable' };
}

/**
 * Writes metadata bytes at the start of a file or block device. A file keeps its size when the
 * bytes are shorter (the tools write blocks in place); a device gets whole sectors. Returns false
 * when the path cannot be written.
 */
export function writeMetadataBytes(ctx: ShellContext, path: string, bytes: Uint8Array): boolean {
  const target = lookupPath(ctx, path);
  if (target.kind === 'file') {
    target.file.writeBytes(0, bytes);
    return true;
  }
  if (target.kind === 'block') {
    refuseReadOnlyDevice(ctx, target.dev, path);
    const padded = new Uint8Array(Math.ceil(bytes.length / SECTOR_BYTES) * SECTOR_BYTES);
    padded.set(bytes);
    ctx.machine.writeSectors(target.dev, 0, ctx.machine.dictionary.tokensOf(padded));
    return true;
  }
  return false;
}

/**
 * The thin tools' writes (and discards) to a read-only device-mapper disk fail with EPERM, in
 * words of their own that the lab has not recorded (fixtures/kernel-probes/211 has some): refused
 * by name.
 */
export function refuseReadOnlyDevice(ctx: ShellContext, dev: BlockDev, path: string): void {
  if (ctx.machine.isReadOnly(dev))
    throw notModelled(`a thin tool writing to the read-only device ${path} (the kernel refuses it with EPERM)`);
}

/**
 * Creates or truncates a text output file (thin_dump -o) and writes `text` to it: the errno of an
 * open that failed (a directory, a missing directory, a read-only mount), else null.
 */
export function writeTextFile(ctx: ShellContext, path: string, text: string): ErrnoValue | null {
  const f = openFileForWrite(ctx, path, true);
  if (typeof f === 'number') return f;
  f.writeBytes(0, new TextEncoder().encode(text));
  return null;
}

/** What each tool receives: the lab, and the command's output streams. */
export interface ToolEnv {
  readonly ctx: ShellContext;
  readonly io: CommandIo;
  /** The release running (src/tools/release.ts); set by defineTool from the machine's stack. */
  readonly release?: ToolsRelease;
}

/** An input 1.1.0 could open: its bytes, or the line (with its newline) it prints instead. */
export type Input1x =
  | { readonly ok: true; readonly bytes: Uint8Array }
  | { readonly ok: false; readonly message: string };

/** 1.1.0's check_not_xml (utils.rs): thin_check, cache_check and era_check refuse an input that starts as XML. */
export const XML_INPUT_1X = 'This looks like XML.  This tool only supports the binary metadata format.\n';

/** is_xml of 1.1.0 on the first 16 bytes: `<superblock`, `?xml` (sic) or `<!DOCTYPE`. */
export function looksLikeXml1x(bytes: Uint8Array): boolean {
  const start = new TextDecoder('latin1').decode(bytes.subarray(0, 16));
  return ['<superblock', '?xml', '<!DOCTYPE'].some((x) => start.startsWith(x));
}

/**
 * Opens an input as 1.1.0 does: it checks that the path exists and is a regular file or a block
 * device before opening it (exclusively, except for a metadata snapshot), then reads it.
 */
export function openInput1x(ctx: ShellContext, path: string, exclusive = true): Input1x {
  const notFileOrDevice: Input1x = { ok: false, message: `Not a block device or regular file '${path}'.\n` };
  const input = readInputBytes(ctx, path, exclusive);
  if (!input.ok) {
    if (input.why === 'missing') return { ok: false, message: `Couldn't find input file '${path}'\n` };
    if (input.why === 'directory') return notFileOrDevice;
    if (input.why === 'busy') return { ok: false, message: 'Device or resource busy (os error 16)\n' };
    // A stale node passes the path check; the open for the device's size gets ENXIO (fixtures/kernel/180).
    if (input.why === 'no device')
      return { ok: false, message: "Couldn't get file size: No such device or address (os error 6)\n" };
    return { ok: false, message: 'Input/output error (os error 5)\n' };
  }
  const kind = lookupPath(ctx, path.length > 1 ? path.replace(/\/+$/, '') : path).kind;
  return kind === 'file' || kind === 'block' ? { ok: true, bytes: input.bytes } : notFileOrDevice;
}
