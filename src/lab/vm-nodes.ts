/**
 * The oracle VM's character device nodes in /dev, as devtmpfs makes them at boot (busybox `ls -l
 * /dev` on the debian12 oracle, Linux 6.1): name, major, minor and permission bits. Owner and group
 * are root's (0). The block devices (RAM disks, loop and dm devices) come from the machine instead.
 */
export const DEV_CHAR_NODES: ReadonlyArray<readonly [name: string, major: number, minor: number, mode: number]> = [
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
export const OPAQUE_DIRECTORIES: Readonly<Record<string, readonly [perm: number, links: number, sizeBytes: number]>> = {
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

/** /init in the VM: the oracle's boot script. */
export const INIT_FILE = { perm: 0o755, sizeBytes: 652 } as const;

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

/**
 * The device numbers (`stat -c %d`) of the VM's file systems: the initramfs root 0:2, devtmpfs
 * 0:5, proc 0:19, sysfs 0:20 and the /tmp tmpfs 0:21, in the order Linux 6.1 mounts them at boot.
 */
export const FS_DEVICE_NUMBERS = { root: 2, dev: 5, proc: 19, sys: 20, tmp: 21 } as const;
