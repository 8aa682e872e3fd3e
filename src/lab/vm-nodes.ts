import type { StackId } from '../model/stack.js';

/** A character device node: name, major, minor and permission bits (owner and group are root's). */
export type CharNode = readonly [name: string, major: number, minor: number, mode: number];

/**
 * The oracle VM's character device nodes in /dev, as devtmpfs makes them at boot (busybox `ls -l
 * /dev` on the debian12 oracle, Linux 6.1): name, major, minor and permission bits. Owner and group
 * are root's (0). The block devices (RAM disks, loop and dm devices) come from the machine instead.
 */
const DEV_CHAR_NODES_6_1: readonly CharNode[] = [
  ['console', 5, 1, 0o600],
  ['cpu_dma_latency', 10, 125, 0o600],
  ['full', 1, 7, 0o666],
  ['hpet', 10, 228, 0o600],
  ['hwrng', 10, 183, 0o600],
  ['kmsg', 1, 11, 0o644],
  ['loop-control', 10, 237, 0o600],
  ['mem', 1, 1, 0o600],
  ['null', 1, 3, 0o666],
  ['port', 1, 4, 0o600],
  ['psaux', 10, 1, 0o600],
  ['ptmx', 5, 2, 0o666],
  ['random', 1, 8, 0o666],
  ['rtc0', 251, 0, 0o600],
  ['snapshot', 10, 231, 0o600],
  ['tty', 5, 0, 0o666],
  ['tty0', 4, 0, 0o600],
  ['tty1', 4, 1, 0o600],
  ['tty10', 4, 10, 0o600],
  ['tty11', 4, 11, 0o600],
  ['tty12', 4, 12, 0o600],
  ['tty13', 4, 13, 0o600],
  ['tty14', 4, 14, 0o600],
  ['tty15', 4, 15, 0o600],
  ['tty16', 4, 16, 0o600],
  ['tty17', 4, 17, 0o600],
  ['tty18', 4, 18, 0o600],
  ['tty19', 4, 19, 0o600],
  ['tty2', 4, 2, 0o600],
  ['tty20', 4, 20, 0o600],
  ['tty21', 4, 21, 0o600],
  ['tty22', 4, 22, 0o600],
  ['tty23', 4, 23, 0o600],
  ['tty24', 4, 24, 0o600],
  ['tty25', 4, 25, 0o600],
  ['tty26', 4, 26, 0o600],
  ['tty27', 4, 27, 0o600],
  ['tty28', 4, 28, 0o600],
  ['tty29', 4, 29, 0o600],
  ['tty3', 4, 3, 0o600],
  ['tty30', 4, 30, 0o600],
  ['tty31', 4, 31, 0o600],
  ['tty32', 4, 32, 0o600],
  ['tty33', 4, 33, 0o600],
  ['tty34', 4, 34, 0o600],
  ['tty35', 4, 35, 0o600],
  ['tty36', 4, 36, 0o600],
  ['tty37', 4, 37, 0o600],
  ['tty38', 4, 38, 0o600],
  ['tty39', 4, 39, 0o600],
  ['tty4', 4, 4, 0o600],
  ['tty40', 4, 40, 0o600],
  ['tty41', 4, 41, 0o600],
  ['tty42', 4, 42, 0o600],
  ['tty43', 4, 43, 0o600],
  ['tty44', 4, 44, 0o600],
  ['tty45', 4, 45, 0o600],
  ['tty46', 4, 46, 0o600],
  ['tty47', 4, 47, 0o600],
  ['tty48', 4, 48, 0o600],
  ['tty49', 4, 49, 0o600],
  ['tty5', 4, 5, 0o600],
  ['tty50', 4, 50, 0o600],
  ['tty51', 4, 51, 0o600],
  ['tty52', 4, 52, 0o600],
  ['tty53', 4, 53, 0o600],
  ['tty54', 4, 54, 0o600],
  ['tty55', 4, 55, 0o600],
  ['tty56', 4, 56, 0o600],
  ['tty57', 4, 57, 0o600],
  ['tty58', 4, 58, 0o600],
  ['tty59', 4, 59, 0o600],
  ['tty6', 4, 6, 0o600],
  ['tty60', 4, 60, 0o600],
  ['tty61', 4, 61, 0o600],
  ['tty62', 4, 62, 0o600],
  ['tty63', 4, 63, 0o600],
  ['tty7', 4, 7, 0o600],
  ['tty8', 4, 8, 0o600],
  ['tty9', 4, 9, 0o600],
  ['ttyS0', 4, 64, 0o600],
  ['ttyS1', 4, 65, 0o600],
  ['ttyS2', 4, 66, 0o600],
  ['ttyS3', 4, 67, 0o600],
  ['urandom', 1, 9, 0o666],
  ['userfaultfd', 10, 126, 0o600],
  ['vcs', 7, 0, 0o600],
  ['vcs1', 7, 1, 0o600],
  ['vcsa', 7, 128, 0o600],
  ['vcsa1', 7, 129, 0o600],
  ['vcsu', 7, 64, 0o600],
  ['vcsu1', 7, 65, 0o600],
  ['vga_arbiter', 10, 127, 0o600],
  ['zero', 1, 5, 0o666],
];

/** /dev/mapper/control, which dm-mod makes: `crw------- 10, 236`. */
export const DM_CONTROL_NODE = ['control', 10, 236, 0o600] as const;

/**
 * Linux 6.12's nodes where they differ from 6.1's (fixtures/kernel-probes/148-dev-debian13): the
 * misc devices with dynamic minors are numbered from 256 up (6.1 gave them free minors below 128),
 * rtc takes major 249 (dma_heap, new in the VM's kernel, took 251), and fuse and udmabuf are new.
 */
const DEV_CHAR_NODES_6_12_CHANGES: readonly CharNode[] = [
  ['cpu_dma_latency', 10, 259, 0o600],
  ['fuse', 10, 229, 0o600],
  ['rtc0', 249, 0, 0o600],
  ['udmabuf', 10, 258, 0o600],
  ['userfaultfd', 10, 257, 0o600],
  ['vga_arbiter', 10, 256, 0o600],
];

function withChanges(base: readonly CharNode[], changes: readonly CharNode[]): readonly CharNode[] {
  const byName = new Map(base.map((n) => [n[0], n]));
  for (const n of changes) byName.set(n[0], n);
  return [...byName.values()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** The oracle VM's root directory (its initramfs): the entries `ls /` prints there. */
export const ROOT_ENTRIES: readonly string[] = [
  'bin',
  'dev',
  'etc',
  'files',
  'init',
  'lib',
  'lib64',
  'patterns',
  'proc',
  'root',
  'run',
  'sbin',
  'scenario.sh',
  'sys',
  'tmp',
  'usr',
];

/**
 * The VM's directories whose entries the lab does not list (busybox's /bin, the kernel's /proc),
 * with what `ls -ld` shows of them: permissions, links and size.
 */
type OpaqueDirectories = Readonly<Record<string, readonly [perm: number, links: number, sizeBytes: number]>>;

const OPAQUE_DIRECTORIES_DEBIAN12: OpaqueDirectories = {
  '/bin': [0o755, 2, 5420],
  '/etc': [0o755, 2, 40],
  '/lib': [0o755, 4, 80],
  '/lib64': [0o755, 2, 60],
  '/proc': [0o555, 61, 0],
  '/root': [0o700, 2, 40],
  '/sbin': [0o755, 2, 240],
  '/sys': [0o555, 13, 0],
  '/usr': [0o755, 3, 60],
  '/dev/input': [0o755, 2, 60],
};

/**
 * The same on debian13 (fixtures/kernel-probes/148-dev-debian13): busybox 1.37 has more applets
 * (/bin), LVM's names are in /sbin and its files in /etc, /lib, /usr and /run, and /dev has dma_heap.
 * /proc's link count is its number of subdirectories, most of them processes, as the probe saw it.
 */
const OPAQUE_DIRECTORIES_DEBIAN13: OpaqueDirectories = {
  '/bin': [0o755, 2, 5480],
  '/etc': [0o755, 3, 60],
  '/lib': [0o755, 3, 60],
  '/lib64': [0o755, 2, 60],
  '/proc': [0o555, 69, 0],
  '/root': [0o700, 2, 40],
  '/sbin': [0o755, 2, 1040],
  '/sys': [0o555, 13, 0],
  '/usr': [0o755, 4, 80],
  '/dev/dma_heap': [0o755, 2, 60],
  '/dev/input': [0o755, 2, 60],
  // fixtures/kernel-probes/147-dmeventd-debian13: /run/lock holds LVM's lock directory.
  '/run/lock': [0o755, 3, 60],
  '/run/lvm': [0o755, 2, 40],
};

/** /sys's top-level entries in the VM. */
export const SYS_ENTRIES: readonly string[] = [
  'block',
  'bus',
  'class',
  'dev',
  'devices',
  'firmware',
  'fs',
  'hypervisor',
  'kernel',
  'module',
  'power',
];

/** The device numbers (`stat -c %d`) of the VM's file systems. */
export interface FsDeviceNumbers {
  readonly root: number;
  readonly dev: number;
  readonly proc: number;
  readonly sys: number;
  readonly tmp: number;
}

/** What differs between the stacks' VMs in the nodes above. */
export interface VmNodes {
  readonly charNodes: readonly CharNode[];
  /** /dev's subdirectories besides mapper, whose entries the lab does not list. */
  readonly devDirectories: readonly string[];
  /** The directories the VM's image has in /run (debian13's LVM keeps its locks and state there). */
  readonly runDirectories: readonly string[];
  readonly opaqueDirectories: OpaqueDirectories;
  /** /init: the oracle's boot script, which names the stack's own steps. */
  readonly initFile: { readonly perm: number; readonly sizeBytes: number };
  readonly fsDeviceNumbers: FsDeviceNumbers;
}

/**
 * Each stack's VM. Linux 6.1 mounts the initramfs root as 0:2, devtmpfs 0:5, proc 0:19, sysfs 0:20
 * and the /tmp tmpfs 0:21 at boot; 6.12 numbers its anonymous devices one further from devtmpfs on
 * (0:6, 0:21, 0:22, 0:23: fixtures/kernel-probes/148-dev-debian13).
 */
export const VM_NODES: Readonly<Record<StackId, VmNodes>> = {
  debian12: {
    charNodes: DEV_CHAR_NODES_6_1,
    devDirectories: ['input'],
    runDirectories: [],
    opaqueDirectories: OPAQUE_DIRECTORIES_DEBIAN12,
    initFile: { perm: 0o755, sizeBytes: 652 },
    fsDeviceNumbers: { root: 2, dev: 5, proc: 19, sys: 20, tmp: 21 },
  },
  debian13: {
    charNodes: withChanges(DEV_CHAR_NODES_6_1, DEV_CHAR_NODES_6_12_CHANGES),
    devDirectories: ['dma_heap', 'input'],
    runDirectories: ['lock', 'lvm'],
    opaqueDirectories: OPAQUE_DIRECTORIES_DEBIAN13,
    initFile: { perm: 0o755, sizeBytes: 658 },
    fsDeviceNumbers: { root: 2, dev: 6, proc: 21, sys: 22, tmp: 23 },
  },
};
