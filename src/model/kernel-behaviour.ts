/**
 * Where the two kernels the lab reproduces behave differently, as data: Linux 6.1 (debian12) and
 * Linux 6.12 (debian13). Every entry was seen on the oracle: the debian13 transcripts beside the
 * 6.1 ones in fixtures/kernel (`NAME.debian13.out`) show it, and docs/stacks.md lists them by
 * cause. The model asks `machine.kernel` (the entry of the machine's stack) instead of branching
 * on the stack's name, so a third kernel is one more entry here.
 */
import { Errno } from './errno.js';
import type { StackId } from './stack.js';

export interface KernelBehaviour {
  /**
   * Whether brd (the RAM disks) accepts discards. 6.1's brd has no discard support, so a pool on
   * a RAM disk logs "discard unsupported: Disabling discard passdown" and reports
   * no_discard_passdown; 6.12's brd frees the pages a discard covers, so passdown stays on.
   */
  readonly ramDisksDiscard: boolean;
  /**
   * A RAM disk's /sys/block/ramN/queue/discard_granularity and discard_max_bytes: 0 on 6.1; on
   * 6.12 a page and UINT_MAX sectors (fixtures/kernel/24-brd-discard).
   */
  readonly ramDiscardGranularityBytes: number;
  readonly ramDiscardMaxBytes: number;
  /**
   * The errno of a table naming a device path that does not exist: dm_get_device looked the path
   * up with dm_get_dev_t on 6.1 (-ENODEV when it found nothing) and with lookup_bdev on 6.12,
   * which passes on the path walk's -ENOENT.
   */
  readonly missingDevicePathErrno: number;
  /**
   * Whether the pool device itself takes discards only when its table passes them down. 6.12's
   * pool_io_hints sets the pool's max_hw_discard_sectors to 0 under ignore_discard or without
   * (effective) passdown, so a BLKDISCARD on the pool is refused; 6.1 left the data device's
   * limits on the pool device whatever the features said.
   */
  readonly poolDiscardsOnlyWithPassdown: boolean;
  /**
   * A thin device's discard_max_bytes for a pool of this block size: 6.1's thin_io_hints set a
   * fixed 16 GiB; 6.12's sets a block size times BIO_PRISON_MAX_RANGE (1024 blocks), since a
   * discard now locks a range of blocks at once.
   */
  thinDiscardMaxBytes(dataBlockSizeSectors: number): number;
  /**
   * Whether thin_io_hints sets that limit as the hardware one (6.12: max_hw_discard_sectors, from
   * which the block layer derives max_discard_sectors, so both read the same) or only the soft
   * one (6.1: max_discard_sectors, the hardware limit stacked from the pool's).
   */
  readonly thinSetsHwDiscardMax: boolean;
  /**
   * Whether the zero and error targets take discards: 6.12's dm-zero drops them as it drops
   * writes and dm-error fails them, and both advertise 512-byte granularity and UINT_MAX sectors
   * (fixtures/kernel/103-queue-limits.debian13.out); 6.1's took none.
   */
  readonly zeroAndErrorDiscard: boolean;
  /** Target versions `dmsetup targets` shows where they differ from 6.1's (src/lab/host/kernel-modules.ts). */
  readonly targetVersions: Readonly<Record<string, string>>;
  /**
   * Module sizes `lsmod` shows where they differ from 6.1's (src/lab/host/kernel-modules.ts): each
   * kernel's build of the same modules has its own size, in whole pages.
   */
  readonly moduleSizesBytes: Readonly<Record<string, number>>;
  /**
   * Whether dm-flakey is the newer one (6.12's; `dmsetup targets` still says v1.5.0): it has the
   * `error_reads` feature and the random_read_corrupt/random_write_corrupt ones, takes up to 11
   * feature arguments (6.1: 6), turns a table without features into `error_reads error_writes`
   * (6.1 failed reads and writes without saying so), passes writes through unless told to fail or
   * drop them, and prints its table line without 6.1's trailing space
   * (fixtures/kernel/60-data-flakey.debian13.out; src/model/targets/flakey.ts).
   */
  readonly flakeyErrorReads: boolean;
  /** The device-mapper (and brd) lines the kernel logs while it boots, before any script runs (ms, text). */
  readonly bootLog: ReadonlyArray<readonly [number, string]>;
  /** dm's ioctl interface version, as `dmsetup version` prints it (`Driver version:`). */
  readonly dmIoctlVersion: string;
  /**
   * The running kernel's release (`uname -r`): it names the kernel's Debian package
   * (linux-image-RELEASE) and the module directory (/lib/modules/RELEASE) kmod's messages show.
   */
  readonly release: string;
  /**
   * The Debian version of that package, as `apt-get install` prints it: the one `uname -v` names
   * on the oracle's VM of each stack (fixtures/kernel/127-uname). A test holds the two together.
   */
  readonly packageVersion: string;
  /** `uname -v`: the build number, preemption model, Debian version and build date. */
  readonly buildVersion: string;
  /** The compiler and linker /proc/version names between the release and the build. */
  readonly compiler: string;
}

/** 6.12's dm-bio-prison-v1: the most blocks one cell locks (a discard's range). */
const BIO_PRISON_MAX_RANGE = 1024;

const IMA_LINE =
  'device-mapper: core: CONFIG_IMA_DISABLE_HTABLE is disabled. Duplicate IMA measurements will not be recorded in the IMA log.';

/** The VM's init loads brd after dm-mod; both kernels say so (fixtures/kernel/24-brd-discard). */
const BRD_LINE: readonly [number, string] = [1_206, 'brd: module loaded'];

export const KERNEL_BEHAVIOUR: Readonly<Record<StackId, KernelBehaviour>> = {
  debian12: {
    ramDisksDiscard: false,
    targetVersions: {},
    moduleSizesBytes: {},
    flakeyErrorReads: false,
    ramDiscardGranularityBytes: 0,
    ramDiscardMaxBytes: 0,
    missingDevicePathErrno: Errno.ENODEV,
    poolDiscardsOnlyWithPassdown: false,
    thinDiscardMaxBytes: () => 16 * 1024 * 1024 * 1024,
    thinSetsHwDiscardMax: false,
    zeroAndErrorDiscard: false,
    bootLog: [
      [1_203, IMA_LINE],
      [1_204, 'device-mapper: uevent: version 1.0.3'],
      [1_205, 'device-mapper: ioctl: 4.47.0-ioctl (2022-07-28) initialised: dm-devel@redhat.com'],
      BRD_LINE,
    ],
    dmIoctlVersion: '4.47.0',
    release: '6.1.0-57-amd64',
    packageVersion: '6.1.192-3',
    // fixtures/kernel/127-uname.out
    buildVersion: '#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-3 (2026-11-26)',
    compiler: 'gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40',
  },
  debian13: {
    ramDisksDiscard: true,
    // fixtures/kernel/91-kernel-modules.debian13.out lists every target; striped, linear, flakey and log-writes kept 6.1's.
    targetVersions: { 'thin-pool': 'v1.23.0', thin: 'v1.23.0', delay: 'v1.4.0', zero: 'v1.2.0', error: 'v1.7.0' },
    // The same modules' lsmod sizes on 6.12 (fixtures/kernel/91-kernel-modules.debian13.out); dm_log_writes and dm_flakey kept 6.1's.
    moduleSizesBytes: {
      dm_mod: 221184,
      dm_bufio: 57344,
      crc32c_generic: 12288,
      libcrc32c: 12288,
      dm_persistent_data: 131072,
      dm_bio_prison: 28672,
      dm_thin_pool: 102400,
      dm_zero: 12288,
      dm_delay: 12288,
      loop: 45056,
      brd: 12288,
    },
    flakeyErrorReads: true,
    ramDiscardGranularityBytes: 4096,
    ramDiscardMaxBytes: 0xffffffff * 512,
    missingDevicePathErrno: Errno.ENOENT,
    poolDiscardsOnlyWithPassdown: true,
    thinDiscardMaxBytes: (dataBlockSizeSectors) => dataBlockSizeSectors * BIO_PRISON_MAX_RANGE * 512,
    thinSetsHwDiscardMax: true,
    zeroAndErrorDiscard: true,
    bootLog: [
      [1_203, IMA_LINE],
      [1_204, 'device-mapper: uevent: version 1.0.3'],
      [1_205, 'device-mapper: ioctl: 4.48.0-ioctl (2023-03-01) initialised: dm-devel@lists.linux.dev'],
      BRD_LINE,
    ],
    dmIoctlVersion: '4.48.0',
    // fixtures/kernel/127-uname.debian13.out
    release: '6.12.117+deb13-amd64',
    packageVersion: '6.12.117-1',
    buildVersion: '#1 SMP PREEMPT_DYNAMIC Debian 6.12.117-1 (2026-11-12)',
    compiler: 'x86_64-linux-gnu-gcc-14 (Debian 14.2.0-19) 14.2.0, GNU ld (GNU Binutils for Debian) 2.44',
  },
};
