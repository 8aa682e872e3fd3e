/**
 * What the real-kernel VM of each stack is made of, as data: the Debian suite its packages come
 * from, the packages, the kernel modules it loads, and how its script's output reaches the
 * console. The builder (vm-image.ts) and the init script (vm-init.ts) read only this, so a stack is
 * one entry here, not a second builder.
 */
import { KERNEL_BEHAVIOUR } from '../model/kernel-behaviour.js';
import type { StackId } from '../model/stack.js';

export interface VmStack {
  /** The Debian release whose packages the VM is built from. */
  readonly suite: string;
  /** The kernel the project's fixtures for this stack were recorded on (`uname -r` in the oracle). */
  readonly fixturesKernelRelease: string;
  /**
   * Whether the script's output goes through a pipe before the console. Debian 13's
   * thin-provisioning-tools 1.x draw progress bars on a terminal, and its fixtures hold what a log
   * holds; Debian 12's were recorded straight on the console.
   */
  readonly pipeOutput: boolean;
}

export const VM_STACKS: Readonly<Record<StackId, VmStack>> = {
  debian12: { suite: 'bookworm', fixturesKernelRelease: KERNEL_BEHAVIOUR.debian12.release, pipeOutput: false },
  debian13: { suite: 'trixie', fixturesKernelRelease: KERNEL_BEHAVIOUR.debian13.release, pipeOutput: true },
};

/** The packages unpacked into the VM besides the kernel (their dependencies come along). */
export const VM_PACKAGES = ['busybox-static', 'dmsetup', 'thin-provisioning-tools', 'lvm2', 'dmeventd'] as const;

/** The metapackage whose dependency names the distribution kernel of the day. */
export const KERNEL_METAPACKAGE = 'linux-image-amd64';

/**
 * The kernel modules the VM loads (those built into a kernel are simply absent): dm-thin and what
 * it needs (crc32c_generic is only a soft dependency of libcrc32c, so it is named), the targets
 * people stack under a pool, the RAM disk driver and loop devices.
 */
export const VM_MODULES = [
  'dm-mod',
  'dm-bufio',
  'crc32c_generic',
  'libcrc32c',
  'dm-persistent-data',
  'dm-bio-prison',
  'dm-thin-pool',
  'dm-zero',
  'dm-flakey',
  'dm-delay',
  'dm-log-writes',
  'brd',
  'loop',
] as const;

/** The binaries of the packages the VM runs, by name, found in the unpacked packages' sbin and bin folders. */
export const VM_PROGRAMS = ['dmsetup', 'pdata_tools', 'lvm', 'dmeventd'] as const;

/**
 * LVM's configuration for a VM without udev, lvmpolld or (unless a script starts it) dmeventd; the
 * lab is given the same file before the script, so both sides run LVM the same way.
 */
export const VM_LVM_CONF = `devices { obtain_device_list_from_udev = 0 }
activation { udev_sync = 0 udev_rules = 0 monitoring = 0 }
global { thin_check_executable = "/sbin/thin_check" thin_repair_executable = "/sbin/thin_repair" thin_dump_executable = "/sbin/thin_dump" use_lvmpolld = 0 }
`;

/** The 4 MiB pattern files every script finds under /patterns, each its letter repeated. */
export const PATTERN_LETTERS = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'] as const;
export const PATTERN_BYTES = 4 * 1024 * 1024;
