/**
 * Directories and inodes as the oracle VM shows them to `ls`, `stat` and globbing: which names a
 * directory holds, and each node's type, permissions, owner, size and device numbers. The
 * directories the lab knows whole are /, /dev, /dev/mapper, /sys, /sys/block, /patterns, /files,
 * /tmp, /run and the directories that hold the lab's files; any other directory (/proc, /bin,
 * /dev/input, ...) is "not modelled" here, so ls refuses it by name and a glob in it matches
 * nothing (the pattern stays, as when nothing matches). Times are not kept per node: every node
 * carries the lab's clock at boot (see wallClockSecs).
 */
import { type BlockDev, DM_MAJOR, LOOP_MAJOR, RAM_MAJOR } from '../model/machine.js';
import { SECTOR_BYTES } from '../model/sectors.js';
import type { ShellContext } from './context.js';
import { PATTERN_BYTES, PATTERN_LETTERS } from './fs.js';
import { DM_CONTROL_NODE, ROOT_ENTRIES, SYS_ENTRIES, VM_NODES, type VmNodes } from './vm-nodes.js';
import { DIRECTORIES, lookupPath, lvmLinkedVolumes, lvmLinkNow, staleMapperNode } from './vfs.js';

/** What `stat` tells of a node. */
export interface NodeInfo {
  /** `-` regular file, `d` directory, `b` block and `c` character device, `l` symbolic link. */
  readonly type: '-' | 'd' | 'b' | 'c' | 'l';
  /** Permission bits (with the sticky bit of /tmp). */
  readonly perm: number;
  readonly links: number;
  readonly uid: number;
  readonly gid: number;
  readonly sizeBytes: number;
  /** 512-byte blocks allocated. */
  readonly blocks: number;
  /** Major and minor of a device node. */
  readonly rdev?: readonly [number, number];
  /** Where a symbolic link points. */
  readonly target?: string;
  /** The device number of the file system the node is on (`stat -c %d`). */
  readonly fsDev: number;
}

/** The mode as `ls -l` and `stat %A` print it: the type letter and rwx bits (`t` for the sticky bit). */
export function modeString(info: NodeInfo): string {
  const bits = 'rwxrwxrwx';
  let s = '';
  for (let i = 0; i < 9; i++) s += info.perm & (1 << (8 - i)) ? bits[i]! : '-';
  if (info.perm & 0o1000) s = s.slice(0, 8) + (info.perm & 1 ? 't' : 'T');
  return info.type + s;
}

/** The lab's wall clock at boot: 2024-01-01 00:00:00 UTC (the VM's is the host's, which changes every run). */
export const BOOT_EPOCH_SECS = 1_704_067_200;

/** The lab's wall clock now, in whole seconds since 1970, from the machine's simulated time since boot. */
export function wallClockSecs(ctx: ShellContext): number {
  return BOOT_EPOCH_SECS + Math.floor(ctx.machine.nowMs / 1000);
}

/** A tmpfs or devtmpfs directory's size: 40 bytes and 20 more per entry, as the VM shows them. */
function dirSize(entries: number): number {
  return 40 + 20 * entries;
}

/** The nodes of the machine's stack's VM. */
function vmNodes(ctx: ShellContext): VmNodes {
  return VM_NODES[ctx.machine.stack];
}

/** The /dev/mapper nodes: those dmsetup mknodes, LVM or Docker made, not every device (src/lab/dmsetup.ts). */
function mapperNodeNames(ctx: ShellContext): string[] {
  return ctx.machine.mapperNodeNames();
}

function blockNames(ctx: ShellContext): string[] {
  const m = ctx.machine;
  return [
    ...m.ramdisks.map((d) => d.kernelName),
    ...m.loops.map((d) => d.kernelName),
    ...m.deviceList().map((d) => d.kernelName),
  ];
}

/** The first names of the lab's files and made directories under `dir/` (a file, or a directory that holds some). */
function fileEntries(ctx: ShellContext, dir: string): string[] {
  const prefix = dir === '/' ? '/' : `${dir}/`;
  const made = ctx.fs.madeDirectories(dir === '/' ? '' : dir).filter((d) => d.startsWith(prefix));
  return [...ctx.fs.list(prefix), ...made].map((p) => p.slice(prefix.length).split('/')[0]!);
}

function devEntries(ctx: ShellContext): string[] {
  const removed = ctx.host?.removedNodes ?? [];
  const vm = vmNodes(ctx);
  const lvm = [...lvmLinkedVolumes(ctx).keys()];
  const names = [...vm.charNodes.map((n) => n[0]), ...blockNames(ctx), ...vm.devDirectories, 'mapper', ...lvm];
  return names.filter((n) => !removed.includes(`/dev/${n}`));
}

/**
 * The names in a directory, `.` and `..` left out, unsorted; null when the path is no directory;
 * 'not modelled' for a directory of the VM whose entries the lab does not know.
 */
export function listDirectory(ctx: ShellContext, path: string): string[] | null | 'not modelled' {
  const p = normalize(path);
  const unique = (names: string[]): string[] => [...new Set(names)];
  switch (p) {
    case '/':
      return unique([...ROOT_ENTRIES, ...fileEntries(ctx, '/')]);
    case '/dev':
      return devEntries(ctx);
    case '/dev/mapper':
      return [DM_CONTROL_NODE[0], ...mapperNodeNames(ctx)];
    case '/sys':
      return [...SYS_ENTRIES];
    case '/sys/block':
      return blockNames(ctx);
    case '/patterns':
      return [...PATTERN_LETTERS];
    default:
      break;
  }
  const group = /^\/dev\/([^/]+)$/.exec(p);
  const volumes = group === null ? undefined : lvmLinkedVolumes(ctx).get(group[1]!);
  if (volumes !== undefined) return volumes;
  const files = fileEntries(ctx, p);
  if (p === '/run') return unique([...vmNodes(ctx).runDirectories, ...files]);
  if (/^\/(tmp|files)$/.test(p) || files.length > 0 || ctx.fs.madeDirectory(p)) return unique(files);
  return DIRECTORIES.has(p) || vmNodes(ctx).opaqueDirectories[p] !== undefined || /^\/sys\/block\/[^/]+$/.test(p)
    ? 'not modelled'
    : null;
}

/** The path without repeated or trailing slashes (`//dev/` is `/dev`). */
export function normalize(path: string): string {
  // The lab shell's working directory is always /.
  const absolute = path.startsWith('/') ? path : `/${path}`;
  const p = absolute.replace(/\/+/g, '/').replace(/\/\.(?=\/|$)/g, '');
  return p.length > 1 ? p.replace(/\/$/, '') : p === '' ? '/' : p;
}

function blockMajor(dev: BlockDev): number {
  return dev.kind === 'ram' ? RAM_MAJOR : dev.kind === 'loop' ? LOOP_MAJOR : DM_MAJOR;
}

function directoryInfo(ctx: ShellContext, p: string, entries: readonly string[]): NodeInfo {
  const subdirs = entries.filter((e) => {
    const child = `${p === '/' ? '' : p}/${e}`;
    return opaqueDirectory(ctx, child) !== null || Array.isArray(listDirectory(ctx, child));
  }).length;
  const sys = p.startsWith('/sys');
  const fs = vmNodes(ctx).fsDeviceNumbers;
  return {
    type: 'd',
    perm: p === '/tmp' ? 0o1777 : 0o755,
    links: 2 + subdirs,
    uid: 0,
    gid: 0,
    // sysfs directories report no size.
    sizeBytes: sys ? 0 : dirSize(entries.length),
    blocks: 0,
    fsDev: sys ? fs.sys : p.startsWith('/dev') ? fs.dev : fsOf(ctx, p),
  };
}

function fsOf(ctx: ShellContext, p: string): number {
  const fs = vmNodes(ctx).fsDeviceNumbers;
  return p === '/tmp' || p.startsWith('/tmp/') ? fs.tmp : fs.root;
}

function devNodeInfo(ctx: ShellContext, p: string): NodeInfo | null {
  const vm = vmNodes(ctx);
  const base = { links: 1, uid: 0, sizeBytes: 0, blocks: 0, fsDev: vm.fsDeviceNumbers.dev } as const;
  const name = p.slice(p.lastIndexOf('/') + 1);
  if (p === '/dev/mapper/control') return { ...base, type: 'c', perm: 0o600, gid: 0, rdev: [10, 236] };
  const char = p === `/dev/${name}` ? vm.charNodes.find((n) => n[0] === name) : undefined;
  if (char !== undefined) return { ...base, type: 'c', perm: char[3], gid: 0, rdev: [char[1], char[2]] };
  const mapper = p.startsWith('/dev/mapper/');
  const stale = staleMapperNode(ctx, p);
  const target = lookupPath(ctx, p);
  if (target.kind !== 'block' && stale === null) return null;
  // dmsetup makes /dev/mapper nodes 0660 in group disk (6); devtmpfs makes the others 0600.
  const rdev = target.kind === 'block' ? ([blockMajor(target.dev), target.dev.minor] as const) : stale!;
  return { ...base, type: 'b', perm: mapper ? 0o660 : 0o600, gid: mapper ? 6 : 0, rdev };
}

/** A directory of the VM whose entries the lab does not list, as `ls -ld` shows it. */
function opaqueDirectory(ctx: ShellContext, p: string): NodeInfo | null {
  const vm = vmNodes(ctx);
  const known = vm.opaqueDirectories[p];
  if (known === undefined) return null;
  const fs = vm.fsDeviceNumbers;
  const fsDev = p === '/proc' ? fs.proc : p === '/sys' ? fs.sys : p.startsWith('/dev') ? fs.dev : fs.root;
  return { type: 'd', perm: known[0], links: known[1], uid: 0, gid: 0, sizeBytes: known[2], blocks: 0, fsDev };
}

/** What `stat` (lstat) finds at a path; null when nothing is there, 'not modelled' when the lab cannot say. */
export function nodeInfo(ctx: ShellContext, path: string): NodeInfo | null | 'not modelled' {
  const p = normalize(path);
  const sysLink = /^\/sys\/block\/([^/]+)$/.exec(p);
  if (sysLink !== null) {
    if (!blockNames(ctx).includes(sysLink[1]!)) return null;
    const target = `../devices/virtual/block/${sysLink[1]!}`;
    return {
      type: 'l',
      perm: 0o777,
      links: 1,
      uid: 0,
      gid: 0,
      sizeBytes: 0,
      blocks: 0,
      target,
      fsDev: vmNodes(ctx).fsDeviceNumbers.sys,
    };
  }
  // The VM's own directories (/sys, /lib, /usr ...) are as the VM shows them, even where the lab
  // lists some entries or keeps packaged files under them; /etc only while the lab keeps none there.
  const entries = listDirectory(ctx, p);
  const opaque = opaqueDirectory(ctx, p);
  if (opaque !== null && !(p === '/etc' && Array.isArray(entries))) return opaque;
  if (Array.isArray(entries)) return directoryInfo(ctx, p, entries);
  if (entries === 'not modelled') return 'not modelled';
  const vm = vmNodes(ctx);
  if (p === '/init') return regularFile(vm.initFile.sizeBytes, 4096, vm.fsDeviceNumbers.root, vm.initFile.perm);
  if (p.startsWith('/dev/')) return lvmLinkInfo(ctx, p) ?? devNodeInfo(ctx, p);
  const target = lookupPath(ctx, p);
  if (target.kind === 'pattern') return regularFile(PATTERN_BYTES, PATTERN_BYTES, vm.fsDeviceNumbers.root);
  if (target.kind === 'file') return regularFile(target.file.sizeBytes, target.file.allocatedBytes, fsOf(ctx, p));
  if (target.kind === 'missing') {
    const parent = p.slice(0, p.lastIndexOf('/')) || '/';
    const siblings = listDirectory(ctx, parent);
    return Array.isArray(siblings) && !siblings.includes(p.slice(p.lastIndexOf('/') + 1)) ? null : 'not modelled';
  }
  return 'not modelled';
}

/** LVM's `/dev/VG/LV`: an absolute symbolic link to `/dev/mapper/VG-LV` (fixtures/lvm/103). */
function lvmLinkInfo(ctx: ShellContext, p: string): NodeInfo | null {
  const target = lvmLinkNow(ctx, p);
  if (target === null) return null;
  const fsDev = vmNodes(ctx).fsDeviceNumbers.dev;
  // A symbolic link's size is its target's length.
  return { type: 'l', perm: 0o777, links: 1, uid: 0, gid: 0, sizeBytes: target.length, blocks: 0, target, fsDev };
}

/** `test -L`: the path itself is a symbolic link (a part of the VM the lab does not know is none). */
export function isLink(ctx: ShellContext, path: string): boolean {
  const info = nodeInfo(ctx, path);
  return info !== null && info !== 'not modelled' && info.type === 'l';
}

/** The path a symbolic link at `path` leads to: its target, taken from the link's directory when relative. */
export function linkTargetPath(path: string, target: string): string {
  return target.startsWith('/') ? target : path.replace(/[^/]+$/, target);
}

function regularFile(sizeBytes: number, allocatedBytes: number, fsDev: number, perm = 0o644): NodeInfo {
  const blocks = allocatedBytes / SECTOR_BYTES;
  return { type: '-', perm, links: 1, uid: 0, gid: 0, sizeBytes, blocks, fsDev };
}
