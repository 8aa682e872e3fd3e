/**
 * The lab's virtual file system: what a path names in the oracle VM, with the VM's semantics.
 * Regular files live in LabFileSystem (src/lab/fs.ts); the special paths resolve here: /dev (block
 * devices, LVM's /dev/VG/LV links, /dev/zero, /dev/null), /proc and /sys (text the lab makes up
 * from the machine when read), /patterns (the oracle's fill files) and the no_space_timeout module
 * parameter. Every command that opens, reads, probes or removes a path goes through here, so a
 * path means the same to cat, dd, `test -e`, a redirection and rm.
 */
import { procVersionText } from './host/uname.js';
import { Errno, type ErrnoValue, strerror } from '../model/errno.js';
import {
  type BlockDev,
  DM_MAJOR,
  type DmDevice,
  LAB_WOULD_BLOCK,
  type Machine,
  type MetadataContent,
} from '../model/machine.js';
import { queueAttributeText } from '../model/queue-limits.js';
import { SECTOR_BYTES } from '../model/sectors.js';
import { latin1Bytes } from '../shared/bytes.js';
import { dmName } from '../lvm/lvm-state.js';
import type { ShellContext } from './context.js';
import { type LabFile, NO_SPACE_TIMEOUT_PATH, PATTERN_BYTES, PATTERN_LETTERS } from './fs.js';
import { usrMerged } from './host/programs.js';

/** Directories of the oracle VM, for `test -d` and friends. */
export const DIRECTORIES: ReadonlySet<string> = new Set([
  '/',
  '/bin',
  '/sbin',
  '/dev',
  '/dev/mapper',
  '/run',
  '/tmp',
  '/patterns',
  '/files',
  '/proc',
  '/sys',
  '/sys/block',
  '/sys/module',
  '/sys/module/dm_thin_pool',
  '/sys/module/dm_thin_pool/parameters',
  '/lib',
  '/lib/modules',
  '/etc',
  '/etc/docker',
  '/etc/lvm',
  '/etc/lvm/profile',
  '/etc/containerd',
  '/var',
  '/var/lib',
  '/var/lib/docker',
  '/var/lib/containerd',
  '/usr',
  '/usr/sbin',
  '/etc/modprobe.d',
]);

/** Something a path names, for dd, cat and redirections. */
export type PathTarget =
  | { readonly kind: 'block'; readonly dev: BlockDev }
  | { readonly kind: 'pattern'; readonly token: number; readonly sizeBytes: number }
  | { readonly kind: 'zero' }
  /** The lab's seeded /dev/urandom (src/model/urandom.ts). */
  | { readonly kind: 'urandom' }
  | { readonly kind: 'null' }
  | { readonly kind: 'file'; readonly file: LabFile }
  | { readonly kind: 'param' }
  /** A read-only kernel file whose text the lab makes up when it is read (/proc, /sys). */
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'missing' };

/** /proc/uptime: seconds since boot, and idle seconds (the lab's one CPU is as good as always idle). */
function uptimeText(machine: Machine): string {
  const secs = (machine.nowMs / 1000).toFixed(2);
  return `${secs} ${secs}\n`;
}

/** /sys/block/NAME/queue/ATTRIBUTE: the device's queue limits (src/model/queue-limits.ts). */
function sysBlockText(machine: Machine, kernelName: string, attribute: string): string | null {
  const dev = machine.resolve(`/dev/${kernelName}`);
  return dev === null ? null : queueAttributeText(machine.queueLimits(dev), attribute);
}

/**
 * `/dev/VG/LV`, the link LVM's udev rules make to a volume's dm device `VG-LV` (a `-` in either
 * name doubled); hidden volumes (`_tdata`, `_tmeta`, `_pmspare`) get none, except a pool's
 * `_tdata` or `_tmeta` activated on its own (LVM's component activation, fixtures/lvm/86: the pool
 * itself is not active then). Null for other paths.
 */
export function lvmLinkTarget(machine: Machine, path: string): string | null {
  const m = /^\/dev\/([^/]+)\/([^/]+)$/.exec(path);
  if (m === null || ['mapper', 'disk', 'block', 'char', 'pts', 'shm'].includes(m[1]!)) return null;
  const esc = (t: string): string => t.replace(/-/g, '--');
  const target = `${esc(m[1]!)}-${esc(m[2]!)}`;
  const hidden = /^(.*)_(tdata|tmeta|pmspare)$/.exec(m[2]!);
  if (hidden !== null) {
    const pool = `${esc(m[1]!)}-${esc(hidden[1]!)}`;
    const component =
      hidden[2] !== 'pmspare' &&
      machine.device(target) !== undefined &&
      machine.device(pool) === undefined &&
      machine.device(`${pool}-tpool`) === undefined;
    if (!component) return null;
  }
  return `/dev/mapper/${target}`;
}

/**
 * Where LVM's `/dev/VG/LV` link of one volume points while it is there, else null: a link is there
 * while its LVM volume's dm device is (LVM makes it on activation, removes it on deactivation:
 * probe 214, fixtures/lvm/103). A device dmsetup made gets none, whatever its name (probe 214's
 * `pool-meta` has no /dev/pool).
 */
function volumeLink(ctx: ShellContext, vgName: string, lvName: string): string | null {
  const target = `/dev/mapper/${dmName(vgName, lvName)}`;
  if (lvmLinkTarget(ctx.machine, `/dev/${vgName}/${lvName}`) !== target) return null;
  return ctx.machine.resolve(target) === null ? null : target;
}

/**
 * The volumes with a `/dev/VG/LV` link, by group (`/dev/VG` goes with the group's last one).
 * Empty where the context has no LVM.
 */
export function lvmLinkedVolumes(ctx: ShellContext): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const vg of ctx.lvm?.vgs ?? [])
    for (const lv of vg.lvs)
      if (volumeLink(ctx, vg.name, lv.name) !== null) groups.set(vg.name, [...(groups.get(vg.name) ?? []), lv.name]);
  return groups;
}

/** Where `/dev/VG/LV` points while LVM's link is there, else null (one volume looked at, not every group's). */
export function lvmLinkNow(ctx: ShellContext, path: string): string | null {
  const m = /^\/dev\/([^/]+)\/([^/]+)$/.exec(path);
  if (m === null) return null;
  const vgName = m[1]!;
  const lvName = m[2]!;
  const vg = ctx.lvm?.vgs.find((g) => g.name === vgName);
  if (vg === undefined || !vg.lvs.some((lv) => lv.name === lvName)) return null;
  return volumeLink(ctx, vgName, lvName);
}

export function lookupPath(ctx: ShellContext, path: string): PathTarget {
  if (path === '/dev/zero') return { kind: 'zero' };
  if (path === '/dev/urandom') return { kind: 'urandom' };
  if (path === '/dev/null') return { kind: 'null' };
  if (path === NO_SPACE_TIMEOUT_PATH) return { kind: 'param' };
  if (path === '/proc/uptime') return { kind: 'text', text: uptimeText(ctx.machine) };
  if (path === '/proc/version') return { kind: 'text', text: procVersionText(ctx.machine.kernel) };
  const sys = /^\/sys\/block\/([a-z]+-?[0-9]+)\/queue\/([a-z_]+)$/.exec(path);
  if (sys !== null) {
    const text = sysBlockText(ctx.machine, sys[1]!, sys[2]!);
    return text === null ? { kind: 'missing' } : { kind: 'text', text };
  }
  const dmAttr = /^\/sys\/block\/dm-([0-9]+)\/dm\/(name|uuid|suspended)$/.exec(path);
  if (dmAttr !== null) {
    const dev = ctx.machine.deviceByMinor(Number(dmAttr[1]));
    return dev === null ? { kind: 'missing' } : { kind: 'text', text: `${dmAttribute(dev, dmAttr[2]!)}\n` };
  }
  const pattern = /^\/patterns\/([A-H])$/.exec(path);
  if (pattern && (PATTERN_LETTERS as readonly string[]).includes(pattern[1]!)) {
    return { kind: 'pattern', token: pattern[1]!.charCodeAt(0), sizeBytes: PATTERN_BYTES };
  }
  if (path.startsWith('/dev/')) {
    if (ctx.host?.removedNodes.includes(path) === true) return { kind: 'missing' };
    // A stale /dev/mapper node (its device gone, its minor free) is there but opens nowhere: the
    // lab's openers see it as missing and say ENXIO (missingReason), test and stat see a node.
    const dev = ctx.machine.resolve(lvmLinkNow(ctx, path) ?? path);
    return dev === null ? { kind: 'missing' } : { kind: 'block', dev };
  }
  const file = ctx.fs.get(usrMerged(path));
  return file === undefined ? { kind: 'missing' } : { kind: 'file', file };
}

/** /sys/block/dm-N/dm/ATTRIBUTE: the device's name, UUID ('' until one is set) or 1 while suspended. */
function dmAttribute(dev: DmDevice, attribute: string): string {
  if (attribute === 'name') return dev.name;
  if (attribute === 'uuid') return dev.uuid ?? '';
  return dev.suspended ? '1' : '0';
}

/**
 * A /dev/mapper node whose minor no device has now: its major and minor, else null. Opening it
 * fails with ENXIO, as opening a real node of no device does.
 */
export function staleMapperNode(ctx: ShellContext, path: string): readonly [number, number] | null {
  const m = /^\/dev\/mapper\/(.+)$/.exec(path);
  if (m === null) return null;
  const minor = ctx.machine.mapperNode(m[1]!);
  return minor === undefined || ctx.machine.deviceByMinor(minor) !== null ? null : [DM_MAJOR, minor];
}

/** The dm-thin metadata a reader of this path would find at its start, if it is a metadata store. */
export function metadataAt(ctx: ShellContext, target: PathTarget): MetadataContent | undefined {
  let content: MetadataContent | undefined;
  if (target.kind === 'file') content = target.file.metadata;
  else if (target.kind === 'block') content = ctx.machine.metadataOfDevice(target.dev);
  // Only a lab-written image travels with a copy; anything else is just bytes, which the format
  // reader parses when a pool opens the device they land on.
  return content?.kind === 'image' ? content : undefined;
}

/**
 * Whether a path is a directory: one of the VM's own, one `mkdir` made, or one that holds the
 * lab's files (the daemons' state under /var/lib, a copy's target).
 */
export function isDirectory(ctx: ShellContext, path: string): boolean {
  const p = path.length > 1 ? path.replace(/\/+$/, '') : path;
  if (DIRECTORIES.has(p) || ctx.fs.madeDirectory(p) || (p !== '/' && ctx.fs.list(`${p}/`).length > 0)) return true;
  const vg = /^\/dev\/([^/]+)$/.exec(p);
  return vg !== null && lvmLinkedVolumes(ctx).has(vg[1]!);
}

/**
 * Opens a scratch file for writing as open(2) with O_CREAT does: a directory is EISDIR before
 * anything is made (the lab's file system would otherwise put a file beside the directory), and a
 * path outside the writable mounts is EROFS or ENOENT as src/lab/fs.ts `openForWrite` says.
 * fixtures/kernel/219-output-targets records each on the VM.
 */
export function openFileForWrite(ctx: ShellContext, path: string, truncate: boolean): LabFile | ErrnoValue {
  if (isDirectory(ctx, path)) return Errno.EISDIR;
  const f = ctx.fs.openForWrite(path, truncate);
  if (typeof f !== 'string') return f;
  return f.endsWith(strerror(Errno.EROFS)) ? Errno.EROFS : Errno.ENOENT;
}

/** What `test -f/-d/-b/-c` sees at a path; null when nothing is there. */
export function fileKind(ctx: ShellContext, path: string): 'file' | 'dir' | 'block' | 'char' | null {
  const p = path.length > 1 ? path.replace(/\/+$/, '') : path;
  if (isDirectory(ctx, p)) return 'dir';
  // device-mapper's control node, made at boot (devtmpfs): fixtures/kernel/135-mapper-nodes.
  if (p === '/dev/mapper/control') return 'char';
  const sysDev = /^\/sys\/block\/([a-z]+-?[0-9]+)(\/queue)?$/.exec(p);
  if (sysDev !== null) return ctx.machine.resolve(`/dev/${sysDev[1]!}`) === null ? null : 'dir';
  const target = lookupPath(ctx, p);
  if (target.kind === 'missing' && staleMapperNode(ctx, p) !== null) return 'block';
  switch (target.kind) {
    case 'block':
      return 'block';
    case 'zero':
    case 'urandom':
    case 'null':
      return 'char';
    case 'missing':
      return null;
    default:
      return 'file';
  }
}

/**
 * Why opening a path that names nothing openable fails: a directory, a stale /dev/mapper node
 * (the node is there but no device has its minor, so the kernel's open says ENXIO to every opener;
 * fixtures/kernel/180), or nothing at all.
 */
export function missingReason(ctx: ShellContext, path: string): string {
  if (isDirectory(ctx, path)) return 'Is a directory';
  return strerror(staleMapperNode(ctx, path) === null ? Errno.ENOENT : Errno.ENXIO);
}

/** Whole contents of a path, for cat, md5sum FILE and `<` redirections; a string is the reason it cannot be read. */
export function readPath(ctx: ShellContext, path: string): Uint8Array | string {
  const target = lookupPath(ctx, path);
  switch (target.kind) {
    case 'missing':
      return missingReason(ctx, path);
    case 'param':
      return latin1Bytes(`${ctx.machine.noSpaceTimeoutSecs}\n`);
    case 'text':
      return latin1Bytes(target.text);
    case 'null':
      return new Uint8Array(0);
    case 'zero':
      return 'reading /dev/zero never ends; use dd with count=';
    case 'urandom':
      return 'reading /dev/urandom never ends; use dd with count=';
    case 'pattern':
      return new Uint8Array(PATTERN_BYTES).fill(target.token);
    case 'file':
      return target.file.readBytes(0, target.file.sizeBytes);
    case 'block':
      return readWholeDevice(ctx.machine, target.dev);
    default:
      return 'No such file or directory';
  }
}

/**
 * What a read says that waits for a suspended device's resume when nothing in the lab will resume
 * it: the real read waits, so the script would hang there; the lab stops the read instead.
 */
export function suspendedRead(awaited: BlockDev): string {
  return `thinlab: the read waits for the resume of suspended device ${awaited.kind === 'dm' ? awaited.name : awaited.kernelName}, and nothing in the lab will resume it: a real read would wait forever, thinlab stops it here`;
}

function readWholeDevice(machine: Machine, dev: BlockDev): Uint8Array | string {
  const sectors = machine.sizeSectors(dev);
  const r = machine.readSectors(dev, 0, sectors);
  if (!r.ok) return r.errno === LAB_WOULD_BLOCK ? suspendedRead(machine.awaitedResume(dev)) : strerror(r.errno);
  const bytes = machine.dictionary.bytesOf(r.value);
  return bytes.subarray(0, sectors * SECTOR_BYTES);
}

/**
 * Unlinks a path as busybox rm does; null when it is gone, else the reason (the text after
 * `rm: can't remove 'PATH': `). A directory goes only when `recursive`, with the files under it.
 * A device node goes from /dev until the next boot (devtmpfs makes it again; the device itself
 * stays, and a table that names it by major:minor still finds it). The kernel's /proc and /sys
 * refuse, and so does the read-only /patterns.
 */
export function removePath(ctx: ShellContext, path: string, recursive: boolean): string | null {
  const p = path.length > 1 ? path.replace(/\/+$/, '') : path;
  if (ctx.fs.remove(usrMerged(p))) return null;
  if (isDirectory(ctx, p)) {
    if (!recursive) return 'Is a directory';
    for (const f of ctx.fs.list(`${p}/`)) ctx.fs.remove(f);
    // A directory mkdir made goes with what it held; the VM's own stay (rm -r empties them).
    ctx.fs.removeDirectory(p);
    return null;
  }
  const mapper = /^\/dev\/mapper\/(.+)$/.exec(p);
  if (mapper !== null && mapper[1] !== 'control') {
    // A /dev/mapper node is the machine's (devtmpfs): rm unlinks it, the device stays.
    return ctx.machine.removeMapperNode(mapper[1]!) ? null : strerror(Errno.ENOENT);
  }
  const target = lookupPath(ctx, p);
  if (target.kind === 'missing') return strerror(Errno.ENOENT);
  if (/^\/(proc|sys)\//.test(p)) return strerror(Errno.EPERM);
  if (p.startsWith('/patterns/')) return 'Read-only file system';
  if (target.kind === 'block') {
    if (ctx.host === undefined) return 'thinlab: not modelled: removing a device node outside a lab';
    ctx.host.removedNodes.push(p);
    return null;
  }
  return `thinlab: not modelled: removing ${p}`;
}
