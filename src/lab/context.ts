/**
 * What every lab shell command sees: the machine, the file system, standard input, and writers for
 * standard output and standard error (which the shell interleaves in order, as a terminal would).
 */
import type { BlockDev, Machine, MetadataContent } from '../model/machine.js';
import { PATTERN_BYTES, PATTERN_LETTERS, NO_SPACE_TIMEOUT_PATH, type LabFile, type LabFileSystem } from './fs.js';

export interface CommandIo {
  readonly stdin: Uint8Array;
  out(bytes: Uint8Array | string): void;
  err(text: string): void;
}

export interface ShellContext {
  readonly machine: Machine;
  readonly fs: LabFileSystem;
}

/** Something a path names, for dd, cat and redirections. */
export type PathTarget =
  | { readonly kind: 'block'; readonly dev: BlockDev }
  | { readonly kind: 'pattern'; readonly token: number; readonly sizeBytes: number }
  | { readonly kind: 'zero' }
  | { readonly kind: 'null' }
  | { readonly kind: 'file'; readonly file: LabFile }
  | { readonly kind: 'param' }
  /** A read-only kernel file whose text the lab makes up when it is read (/proc, /sys). */
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'missing' };

/** dm-thin's max_discard_sectors on 6.1: a fixed 16 GiB whatever the block size (kernel-observations §17). */
const THIN_DISCARD_MAX_BYTES = 17179869184;

const LOOP_DISCARD_GRANULARITY_BYTES = 4096;
const LOOP_DISCARD_MAX_BYTES = 4294966784;

/** /proc/uptime: seconds since boot, and idle seconds (the lab's one CPU is as good as always idle). */
function uptimeText(machine: Machine): string {
  const secs = (machine.nowMs / 1000).toFixed(2);
  return `${secs} ${secs}\n`;
}

/** /sys/block/dm-N/queue/discard_{granularity,max_bytes}: what a thin advertises, 0 elsewhere. */
function sysBlockText(machine: Machine, kernelName: string, attribute: string): string | null {
  const dev = machine.resolve(`/dev/${kernelName}`);
  if (dev === null) return null;
  if (dev.kind === 'loop') {
    // A loop device over a tmpfs file discards by punching holes, a page at a time (fixtures/kernel/85).
    if (attribute === 'discard_granularity') return `${LOOP_DISCARD_GRANULARITY_BYTES}\n`;
    if (attribute === 'discard_max_bytes') return `${LOOP_DISCARD_MAX_BYTES}\n`;
    return null;
  }
  const t = dev.kind === 'dm' ? dev.live : null;
  const thin = t !== null && t.type === 'thin' && t.pool.thinsSupportDiscard ? t : null;
  if (attribute === 'discard_granularity') return `${thin === null ? 0 : thin.pool.dataBlockSizeSectors * 512}\n`;
  if (attribute === 'discard_max_bytes') return `${thin === null ? 0 : THIN_DISCARD_MAX_BYTES}\n`;
  return null;
}

/**
 * `/dev/VG/LV`, the link LVM's udev rules make to a volume's dm device `VG-LV` (a `-` in either
 * name doubled); hidden volumes (`_tdata`, `_tmeta`, `_pmspare`) get none. Null for other paths.
 */
function lvmLinkTarget(path: string): string | null {
  const m = /^\/dev\/([^/]+)\/([^/]+)$/.exec(path);
  if (m === null || ['mapper', 'disk', 'block', 'char', 'pts', 'shm'].includes(m[1]!) || /_(tdata|tmeta|pmspare)$/.test(m[2]!)) return null;
  const esc = (t: string): string => t.replace(/-/g, '--');
  return `/dev/mapper/${esc(m[1]!)}-${esc(m[2]!)}`;
}

export function lookupPath(ctx: ShellContext, path: string): PathTarget {
  if (path === '/dev/zero') return { kind: 'zero' };
  if (path === '/dev/null') return { kind: 'null' };
  if (path === NO_SPACE_TIMEOUT_PATH) return { kind: 'param' };
  if (path === '/proc/uptime') return { kind: 'text', text: uptimeText(ctx.machine) };
  const sys = /^\/sys\/block\/([a-z]+-?[0-9]+)\/queue\/([a-z_]+)$/.exec(path);
  if (sys !== null) {
    const text = sysBlockText(ctx.machine, sys[1]!, sys[2]!);
    return text === null ? { kind: 'missing' } : { kind: 'text', text };
  }
  const pattern = /^\/patterns\/([A-H])$/.exec(path);
  if (pattern && (PATTERN_LETTERS as readonly string[]).includes(pattern[1]!)) {
    return { kind: 'pattern', token: pattern[1]!.charCodeAt(0), sizeBytes: PATTERN_BYTES };
  }
  if (path.startsWith('/dev/')) {
    const dev = ctx.machine.resolve(lvmLinkTarget(path) ?? path);
    return dev === null ? { kind: 'missing' } : { kind: 'block', dev };
  }
  const file = ctx.fs.get(path);
  return file === undefined ? { kind: 'missing' } : { kind: 'file', file };
}

/** The dm-thin metadata a reader of this path would find at its start, if it is a metadata store. */
export function metadataAt(ctx: ShellContext, target: PathTarget): MetadataContent | undefined {
  let content: MetadataContent | undefined;
  if (target.kind === 'file') content = target.file.metadata;
  else if (target.kind === 'block' && target.dev.kind === 'ram') content = target.dev.storage.currentMetadata();
  else if (target.kind === 'block') content = ctx.machine.storageUnder(target.dev)?.currentMetadata();
  // Only a lab-written image travels with a copy; anything else is just bytes, which the format
  // reader parses when a pool opens the device they land on.
  return content?.kind === 'image' ? content : undefined;
}
