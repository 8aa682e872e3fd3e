/**
 * The lab's machine: RAM disks and loop devices, the device-mapper core (devices, live and
 * inactive tables, suspend/resume, messages, open counts, events, a crash), the registry of live
 * pools, a kernel log and the simulated clock. The targets themselves are in targets/, one file
 * per type, and the core reaches them only through that registry (targets/index.ts), passing
 * itself as their DmCore. It is what `dmsetup`, `dd` and `blkdiscard`
 * talk to in the lab shell, and it matches the oracle VM: RAM disks are block major 1, dm devices
 * major 254 with the lowest free minor, and brd cannot discard (Linux 6.1).
 */

import { URANDOM_SEED, urandomBytes } from './urandom.js';
import { MAX_METADATA_BLOCKS, METADATA_BLOCK_SECTORS } from '../format/layout.js';
import { readMetadataAsKernel, superblockCheckFailure } from '../format/metadata-reader.js';
import { readMetadataPlan } from '../format/plan-reader.js';
import { superblockWithNeedsCheck, writeMetadataImage, writeMetadataImagePrefix } from '../format/metadata-writer.js';
import { assert } from './assert.js';
import {
  LOOP_LIMITS,
  type QueueLimits,
  RAM_DISK_LIMITS,
  STACKING_LIMITS,
  stackLimits,
  withoutDiscard,
} from './queue-limits.js';
import { Errno, errnoSymbol } from './errno.js';
import { type DeviceFaults, ioHitsErrorRange, noFaults } from './io-faults.js';
import { type MetadataImage, ThinMetadata } from './metadata.js';
import { type MetadataContent, MetadataRegion } from './metadata-region.js';
import type { ModelMutation } from './mutations.js';
import {
  type ExternalOrigin,
  type IoTicket,
  metadataDeviceBlocks,
  type PoolDataDevice,
  type PoolTable,
  ThinPool,
} from './pool.js';
import { fail, OK_VOID, ok, type Result } from './result.js';
import { SECTOR_BYTES, SectorDictionary, SectorStore, ZERO_TOKEN } from './sectors.js';
import { KERNEL_BEHAVIOUR, type KernelBehaviour } from './kernel-behaviour.js';
import { DEFAULT_STACK, type StackId } from './stack.js';
import type { CtrError, Parsed } from './targets/ctr-args.js';
import { type Target, targetType, typeOf } from './targets/index.js';
import { type DmCore, finishedIo } from './targets/target-type.js';

export const DM_MAJOR = 254;
export const RAM_MAJOR = 1;
/** The loop driver's block major (Documentation/admin-guide/devices.txt). */
export const LOOP_MAJOR = 7;
/** /dev/loop0 ... /dev/loop7 exist at boot (max_loop's default), as in the oracle VM. */
export const BOOT_LOOP_DEVICES = 8;
/** EWOULDBLOCK stands for "this I/O would wait forever" (a suspended device, a hung queue). */
export const LAB_WOULD_BLOCK = 11;

export type { MetadataContent } from './metadata-region.js';

export function storageWriteCount(storage: Storage): number {
  return storage.writeCount ?? 0;
}

function countWrite(storage: Storage): void {
  // `?? 0`: a storage restored from a snapshot has no count (snapshots leave it out).
  storage.writeCount = (storage.writeCount ?? 0) + 1;
}

/**
 * Sectors plus the dm-thin metadata they carry, one region per place a metadata device starts;
 * RAM disks and lab files are both storage.
 */
export class Storage {
  /** Left out of checkpoints: a cache count, refilled on demand (see the field). */
  static readonly checkpointSkip = ['writeCount'] as const;
  store: SectorStore;
  /**
   * How many times the sectors were written, for caches of a file's whole contents (a loop
   * device writes a file's sectors without going through the file). Not state: snapshots leave it
   * out, so that a read that lays metadata out does not change the state hash. A plain field, as
   * every write of the model counts.
   */
  writeCount?: number = 0;
  /** A loop device was attached to this storage (a lab file's): its bytes may lag its image. */
  loopBacked = false;
  /**
   * The places on this storage where a metadata device starts, in the order they were first
   * used: 0 for a whole disk, a linear volume's offset otherwise (an LVM `_tmeta` volume sits
   * after other volumes on its physical volume; two pools may have two pieces of one disk).
   */
  regions: MetadataRegion[] = [];

  constructor(sizeSectors: number) {
    this.store = new SectorStore(sizeSectors);
  }

  /** The region that starts at `offsetSectors`, if one was ever used. */
  regionAt(offsetSectors: number): MetadataRegion | undefined {
    return this.regions.find((r) => r.offsetSectors === offsetSectors);
  }

  /** The region that starts at `offsetSectors`, made (holding nothing) if it is new. */
  region(offsetSectors: number): MetadataRegion {
    const found = this.regionAt(offsetSectors);
    if (found !== undefined) return found;
    const made = new MetadataRegion(offsetSectors);
    this.regions.push(made);
    return made;
  }

  /** What a metadata device over the whole storage holds (the region at its start). */
  get metadata(): MetadataContent {
    return this.regionAt(0)?.metadata ?? NO_METADATA;
  }

  set metadata(content: MetadataContent) {
    this.region(0).metadata = content;
  }

  /** The metadata content as a reader of the whole storage would find it now. */
  currentMetadata(): MetadataContent {
    return this.regionAt(0)?.currentMetadata() ?? NO_METADATA;
  }
}

const NO_METADATA: MetadataContent = { kind: 'none' };

/**
 * The target types of the lab the kernel marks DM_TARGET_ALWAYS_WRITEABLE: a table loaded
 * read-only may not hold them (dm-thin.c's pool_target).
 */
const ALWAYS_WRITEABLE_TARGETS: ReadonlySet<string> = new Set(['thin-pool']);

/** Whether two byte ranges are equal, compared a word at a time where both are aligned. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  if (a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0 && a.length % 4 === 0) {
    const wa = new Uint32Array(a.buffer, a.byteOffset, a.length / 4);
    const wb = new Uint32Array(b.buffer, b.byteOffset, b.length / 4);
    for (let i = 0; i < wa.length; i++) if (wa[i] !== wb[i]) return false;
    return true;
  }
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** brd keeps a RAM disk in pages of 4 KiB: a discard frees whole pages only. */
const BRD_PAGE_SECTORS = 8;

export interface RamDisk {
  readonly kind: 'ram';
  readonly kernelName: string;
  readonly minor: number;
  readonly storage: Storage;
  openCount: number;
  /** A writeback error the page cache holds until the next fsync reports it (errseq). */
  writebackErrno: number;
  /** Lab faults on this disk (`fault io`, `fault slow-commit`). */
  faults: DeviceFaults;
}

/**
 * A loop device: a lab file's sectors seen as a block device. Detached, it has no storage and a
 * size of 0 (reads of it return nothing, as the kernel's do). Its size is fixed when it is attached;
 * growing the file later does not change it. It can discard: on tmpfs a discard punches a hole.
 */
export interface LoopDevice {
  readonly kind: 'loop';
  readonly kernelName: string;
  readonly minor: number;
  /** The backing file's storage, shared with the lab file; null when detached. */
  storage: Storage | null;
  /** The backing file's path as `losetup -a` prints it; null when detached. */
  backingFile: string | null;
  sizeSectors: number;
  /** `losetup -d` while the device was open: it detaches when its last user closes it. */
  autoclear: boolean;
  openCount: number;
  writebackErrno: number;
  faults: DeviceFaults;
}

export interface DmDevice {
  readonly kind: 'dm';
  /** The device's name; DM_DEV_RENAME (`Machine.rename`) changes it and nothing else. */
  name: string;
  readonly minor: number;
  readonly kernelName: string;
  live: Target | null;
  inactive: Target | null;
  suspended: boolean;
  openCount: number;
  /**
   * `dmsetup remove --deferred` while the device was open: the kernel removes it when its last
   * opener closes it, and `dmsetup info` shows "ACTIVE (DEFERRED REMOVE)" until then.
   */
  deferredRemove: boolean;
  eventNr: number;
  /** A writeback error the page cache holds until the next fsync reports it (errseq). */
  writebackErrno: number;
  /** Lab faults on this device (`fault io`, `fault slow-commit`). */
  faults: DeviceFaults;
  /** The device's UUID, given at create (`dmsetup create -u`) or by `dmsetup rename --setuuid` (the kernel sets it only once). */
  uuid?: string;
  /**
   * The disk's read-only flag: do_resume sets it from the mode of the table it swaps in (a table
   * loaded with DM_READONLY_FLAG, `dmsetup create -r` or `load -r`), and only then; a resume without
   * a new table keeps it. Writes through the block device then fail with EPERM (blkdev_write_iter).
   * Absent when false, as in checkpoints written before it existed.
   */
  readOnly?: true;
  /** The inactive table was loaded read-only (DM_READONLY_FLAG at DM_TABLE_LOAD). */
  inactiveReadOnly?: true;
}

export type BlockDev = RamDisk | LoopDevice | DmDevice;

/** A block device whose sectors are a store of their own (a RAM disk, an attached loop device). */
type StoredDev = RamDisk | (LoopDevice & { storage: Storage });

function storedDev(dev: BlockDev): StoredDev | null {
  if (dev.kind === 'ram') return dev;
  if (dev.kind === 'loop') return dev.storage === null ? null : (dev as StoredDev);
  return null;
}

/**
 * The kernel counts data references lazily: after a snapshot the shared btree nodes hold the
 * counts, and a data block's own count is raised only when a node is copied. The lab counts one
 * reference per mapping, so metadata with shared subtrees gets its counts from its mappings.
 * Without shared subtrees (metadata the lab or thin_restore wrote) the counts on disk are exact
 * unless damaged, and the kernel allocates from them: a count above the mappings (a leak, blocks
 * below a damaged node) or below them (a mapping to a block counted free) is kept as it is, and
 * the difference recorded (fixtures/kernel/72, 77).
 */
export function withRecountedRefcounts(image: MetadataImage, sharedNodes: boolean): MetadataImage {
  const refcounts = new Uint32Array(image.nrDataBlocks);
  for (const dev of image.devices.values()) {
    dev.table.forEach((_vb, dataBlock) => {
      if (dataBlock < refcounts.length) refcounts[dataBlock]!++;
    });
  }
  // The references a held metadata snapshot's own trees hold are not the live thins' (the lab
  // counts live mappings only), so they are taken off first.
  const held = new Uint32Array(refcounts.length);
  for (const dev of image.heldRoot?.devices.values() ?? []) {
    dev.table.forEach((_vb, dataBlock) => {
      if (dataBlock < held.length) held[dataBlock]!++;
    });
  }
  const refcountSkew = new Map<number, number>();
  const stored = image.refcounts;
  // A space map the kernel could not read (a damaged bitmap) says nothing about the counts.
  const countsReadable = image.damage?.allocation == null;
  for (let b = 0; countsReadable && b < refcounts.length && b < stored.length; b++) {
    const own = Math.max(0, stored[b]! - held[b]!);
    if (own > refcounts[b]! || (!sharedNodes && own < refcounts[b]!)) {
      refcountSkew.set(b, own - refcounts[b]!);
      refcounts[b] = own;
    }
  }
  if (refcountSkew.size === 0) return { ...image, refcounts };
  const damage = image.damage ?? { details: [], top: [], bottom: new Map(), allocation: null, refcountSkew };
  return { ...image, refcounts, damage: { ...damage, refcountSkew } };
}

/**
 * bio_discard_limit on 6.1: the sectors a discard bio starting at `sector` may cover. The kernel's
 * round_up is `((x - 1) | (y - 1)) + 1` on 64 bits, right only for powers of two; 0 rounds to 0.
 */
function discardPieceLimit(sector: number, granularitySectors: number): number {
  const g = BigInt(Math.max(granularitySectors, 1));
  const s = BigInt(sector);
  const aligned = s === 0n ? 0n : ((s - 1n) | (g - 1n)) + 1n;
  if (aligned !== s) return Number(aligned - s);
  // round_down(UINT_MAX, granularity in bytes), also a mask, in sectors.
  return Number((0xffffffffn & ~(g * 512n - 1n)) >> 9n);
}

/** The most metadata blocks on which the kernel's format was seen failing (fixtures/kernel/152). */
const TOO_SMALL_TO_FORMAT_BLOCKS = 2;
/** The fewest metadata blocks on which the kernel's format was seen working (fixtures/kernel/152: 64 KiB). */
const SMALLEST_FORMATTED_BLOCKS = 16;

/**
 * The ctr error of a pool whose metadata device covers sectors of a live pool's metadata through
 * another device (not modelled: the kernel would open both, and each would overwrite the other's).
 */
export const NOT_MODELLED_SHARED_METADATA_DISK =
  "thinlab: not modelled: a second pool whose metadata device overlaps a live pool's metadata on its disk";

/** Whether one of a mapped device's tables holds `dev`. */
function heldByAny(tables: readonly (Target | null)[], dev: BlockDev): boolean {
  return tables.some((t) => t !== null && typeOf(t).heldDevices(t).includes(dev));
}

export function devNumber(dev: BlockDev): string {
  return `${dev.kind === 'ram' ? RAM_MAJOR : dev.kind === 'loop' ? LOOP_MAJOR : DM_MAJOR}:${dev.minor}`;
}

export interface MachineConfig {
  /** Size of every RAM disk, or one size per disk. */
  readonly ramdiskKb: number | readonly number[];
  readonly ramdiskCount?: number;
  /** Deliberate bugs for the mutation suite (src/model/mutations.ts); none in normal use. */
  readonly mutations?: readonly ModelMutation[];
  /** The software stack this machine reproduces (src/model/stack.ts); debian12 unless said. */
  readonly stack?: StackId;
}

export class Machine implements DmCore {
  /** Left out of checkpoints: the operation trace belongs to the command being recorded, not to the lab. */
  static readonly checkpointSkip = ['traceOperations', 'operations'] as const;
  readonly dictionary = new SectorDictionary();
  readonly ramdisks: RamDisk[] = [];
  /** Loop devices by minor: /dev/loop0 ... /dev/loop7 from boot, more as `losetup -f` asks. */
  loops: LoopDevice[] = [];
  private readonly devices = new Map<string, DmDevice>();
  /**
   * The block nodes in /dev/mapper (devtmpfs): name -> the dm minor the node was made for. Nothing
   * here follows the devices by itself: in the oracle VM, with no udev, dmsetup leaves nodes to
   * udev, so only `dmsetup mknodes` (or a tool whose libdevmapper falls back to making them: LVM,
   * Docker) adds, renames and removes them. A node outlives its device (stale) and then names
   * whichever device gets its minor next, as a real node does (fixtures/kernel/135, 136).
   */
  private readonly mapperNodes = new Map<string, number>();
  /** Where each live pool's metadata persists: its region of the disk under its metadata device. */
  private readonly pools = new Map<MetadataRegion, { readonly storage: Storage; readonly pool: ThinPool }>();
  /** Live pools by metadata device, as the kernel's __pool_find looks them up. */
  private readonly poolsByMetadataDev = new Map<BlockDev, ThinPool>();
  private readonly poolRefs = new Map<ThinPool, number>();
  private readonly poolTargets = new Map<ThinPool, DmDevice>();
  /** Kernel log lines with the simulated time they were written at. */
  readonly kernelLog: Array<{ readonly timeMs: number; readonly text: string }> = [];
  private clockMs = 0;
  noSpaceTimeoutSecs = 60;
  /** Where the lab's /dev/urandom stream continues from (src/model/urandom.ts). */
  urandomState = URANDOM_SEED;
  /**
   * Target types whose kernel module is not loaded (`rmmod dm_thin_pool`, a module missing at
   * boot): a table of one of these types is refused as an unknown type, as the kernel refuses it
   * when dm_get_target_type finds no registered type. The host (src/lab/host) keeps this list.
   */
  unloadedTargetTypes: string[] = [];
  /**
   * Milliseconds of I/O delay (dm-delay, a slow commit) that the command running now has to wait
   * for; the shell lets that much simulated time pass when the command ends.
   */
  ioDelayOwedMs = 0;
  /** Counts device-mapper operations and pool lifecycle decisions: `lifecycleEpoch`. */
  private dmOperations = 0;
  /** Deliberate bugs switched on for the mutation suite; empty in normal use. */
  readonly mutations: readonly ModelMutation[];
  /** The software stack this machine reproduces: where Linux 6.1 and 6.12 differ, the model asks it. */
  readonly stack: StackId;

  /** How this machine's kernel differs from the other stack's (src/model/kernel-behaviour.ts). */
  get kernel(): KernelBehaviour {
    return KERNEL_BEHAVIOUR[this.stack];
  }

  constructor(config: MachineConfig) {
    this.mutations = config.mutations ?? [];
    this.stack = config.stack ?? DEFAULT_STACK;
    const sizesKb =
      typeof config.ramdiskKb === 'number'
        ? new Array<number>(config.ramdiskCount ?? 2).fill(config.ramdiskKb)
        : config.ramdiskKb;
    sizesKb.forEach((kb, i) => {
      this.ramdisks.push({
        kind: 'ram',
        kernelName: `ram${i}`,
        minor: i,
        storage: new Storage(kb * 2),
        openCount: 0,
        writebackErrno: 0,
        faults: noFaults(),
      });
    });
    for (let i = 0; i < BOOT_LOOP_DEVICES; i++) this.addLoopDevice();
  }

  /** LOOP_CTL_ADD: a new detached loop device with the next minor. */
  addLoopDevice(): LoopDevice {
    const minor = this.loops.length;
    const loop: LoopDevice = {
      kind: 'loop',
      kernelName: `loop${minor}`,
      minor,
      storage: null,
      backingFile: null,
      sizeSectors: 0,
      autoclear: false,
      openCount: 0,
      writebackErrno: 0,
      faults: noFaults(),
    };
    this.loops.push(loop);
    return loop;
  }

  /**
   * LOOP_SET_FD: EBUSY when the device already has a file. The size is the file's whole sectors.
   * `autoclear` (LO_FLAGS_AUTOCLEAR, as Docker attaches its loop files) detaches the device when
   * its last user closes it.
   */
  attachLoop(loop: LoopDevice, storage: Storage, backingFile: string, sizeBytes: number, autoclear = false): number {
    if (loop.storage !== null) return Errno.EBUSY;
    this.dmOperations++;
    loop.autoclear = autoclear;
    loop.storage = storage;
    storage.loopBacked = true;
    loop.backingFile = backingFile;
    loop.sizeSectors = Math.floor(sizeBytes / 512);
    // The kernel announces the new size; on 6.1 a device added by LOOP_CTL_GET_FREE (loop8 and up)
    // printed no such line when it was first attached (fixtures/kernel/85).
    if (loop.sizeSectors !== 0 && loop.minor < BOOT_LOOP_DEVICES) {
      this.kernelLog.push({
        timeMs: this.clockMs,
        text: `${loop.kernelName}: detected capacity change from 0 to ${loop.sizeSectors}`,
      });
    }
    return 0;
  }

  /**
   * LOOP_CLR_FD: ENXIO when nothing is attached. A device still open (under a dm table) succeeds
   * too, but the kernel only marks it autoclear: it keeps working, `losetup -a` still lists it,
   * and it detaches when its last user closes it (fixtures/kernel/86).
   */
  detachLoop(loop: LoopDevice): number {
    if (loop.storage === null) return Errno.ENXIO;
    if (loop.openCount > 0) {
      loop.autoclear = true;
      return 0;
    }
    this.dmOperations++;
    loop.autoclear = false;
    loop.storage = null;
    loop.backingFile = null;
    loop.sizeSectors = 0;
    return 0;
  }

  // ------------------------------------------------------------------ time and log

  get nowMs(): number {
    return this.clockMs;
  }

  /**
   * Changes whenever a device, a table, a suspension, a thin's open count, a pool's mode or its
   * needs_check flag may have changed; observers of the lifecycle compare it to skip quiet steps.
   */
  get lifecycleEpoch(): number {
    return this.dmOperations;
  }

  /** Moves the simulated clock forward, running every pool's timers in order on the way. */
  advance(ms: number): void {
    assert(ms >= 0, 'time only moves forward');
    this.runUntil(this.clockMs + ms, () => false);
  }

  /**
   * Moves time forward until `done()` holds or nothing is left that could change it. Returns false
   * when it gave up (no timer can ever make progress), which the shell reports as a hang.
   */
  runUntil(limitMs: number, done: () => boolean): boolean {
    for (let guard = 0; guard < 10_000_000; guard++) {
      if (done()) return true;
      // When no pool has a timer that could change anything, waking up every second changes
      // nothing either: jump to the limit, or report that the wait can never end.
      if ([...this.poolRefs.keys()].every((pool) => pool.idle)) {
        if (!Number.isFinite(limitMs)) return false;
        this.clockMs = Math.max(this.clockMs, limitMs);
        return done();
      }
      let next = Number.POSITIVE_INFINITY;
      for (const pool of this.poolRefs.keys()) {
        const wake = pool.nextWakeMs();
        if (wake !== null && wake < next) next = wake;
      }
      if (next > limitMs) {
        // A slow commit may have carried the clock past the limit: it never goes back.
        if (Number.isFinite(limitMs)) this.clockMs = Math.max(this.clockMs, limitMs);
        return done();
      }
      this.clockMs = Math.max(this.clockMs, next);
      // The commits the pools' timers make are waited for by no command.
      const owed = this.ioDelayOwedMs;
      for (const pool of [...this.poolRefs.keys()]) pool.onTime();
      this.ioDelayOwedMs = owed;
    }
    return done();
  }

  log(text: string): void {
    this.kernelLog.push({ timeMs: this.clockMs, text: `device-mapper: ${text}` });
  }

  // ------------------------------------------------------------------ devices

  /** Finds a block device by path (`/dev/ram0`, `/dev/mapper/x`, `/dev/dm-0`) or `major:minor`. */
  resolve(path: string): BlockDev | null {
    let m = /^\/dev\/ram([0-9]+)$/.exec(path);
    if (m) return this.ramdisks[Number(m[1])] ?? null;
    m = /^\/dev\/loop([0-9]+)$/.exec(path);
    if (m) return this.loops[Number(m[1])] ?? null;
    m = /^\/dev\/mapper\/(.+)$/.exec(path);
    if (m) {
      const minor = this.mapperNodes.get(m[1]!);
      return minor === undefined ? null : this.deviceByMinor(minor);
    }
    m = /^\/dev\/dm-([0-9]+)$/.exec(path);
    if (m) return this.deviceByMinor(Number(m[1]));
    m = /^([0-9]+):([0-9]+)$/.exec(path);
    if (m) {
      const major = Number(m[1]);
      const minor = Number(m[2]);
      if (major === RAM_MAJOR) return this.ramdisks[minor] ?? null;
      if (major === LOOP_MAJOR) return this.loops[minor] ?? null;
      if (major === DM_MAJOR) return this.deviceByMinor(minor);
    }
    return null;
  }

  /**
   * The lab's own lookup, for its directives, expectations and replay: `/dev/mapper/NAME` is the
   * device of that name whether or not a node exists; any other path as `resolve` finds it.
   */
  resolveDevice(path: string): BlockDev | null {
    const m = /^\/dev\/mapper\/(.+)$/.exec(path);
    return m === null ? this.resolve(path) : (this.devices.get(m[1]!) ?? null);
  }

  device(name: string): DmDevice | undefined {
    return this.devices.get(name);
  }

  /** The /dev/mapper node NAME: the minor it was made for, undefined when there is none. */
  mapperNode(name: string): number | undefined {
    return this.mapperNodes.get(name);
  }

  /** The names of the /dev/mapper nodes (control not included), in the order they were made. */
  mapperNodeNames(): string[] {
    return [...this.mapperNodes.keys()];
  }

  /**
   * libdevmapper's _add_dev_node: makes /dev/mapper/NAME for a device, replacing a node of
   * another device number (one for the same number is left as it is).
   */
  addMapperNode(name: string, minor: number): void {
    if (this.mapperNodes.get(name) === minor) return;
    this.mapperNodes.delete(name);
    this.mapperNodes.set(name, minor);
  }

  /** libdevmapper's _rm_dev_node (and `rm /dev/mapper/NAME`): true when a node was there. */
  removeMapperNode(name: string): boolean {
    return this.mapperNodes.delete(name);
  }

  /**
   * `dmsetup mknodes [NAME]` (DM_DEVICE_MKNODES): a node for each device named (every device when
   * none is), and the stale nodes named (every stale one when none is) pruned.
   */
  mknodes(name?: string): void {
    for (const node of [...this.mapperNodes.keys()])
      if ((name === undefined || node === name) && !this.devices.has(node)) this.mapperNodes.delete(node);
    for (const dev of this.devices.values())
      if (name === undefined || dev.name === name) this.addMapperNode(dev.name, dev.minor);
  }

  deviceByMinor(minor: number): DmDevice | null {
    for (const d of this.devices.values()) if (d.minor === minor) return d;
    return null;
  }

  /** Devices sorted by name, as `dmsetup ls` and `dmsetup status` list them. */
  deviceList(): DmDevice[] {
    return [...this.devices.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  sizeSectors(dev: BlockDev): number {
    if (dev.kind === 'ram') return dev.storage.store.sizeSectors;
    if (dev.kind === 'loop') return dev.sizeSectors;
    return dev.live?.lengthSectors ?? 0;
  }

  /**
   * Whether device-mapper operations are written down for the caller (`takeOperations`): the
   * event log records, under each command, the operations it made the kernel do (a `docker run`
   * and the snapshots and table loads beneath it). Off unless someone reads them.
   */
  traceOperations = false;
  private operations: string[] = [];

  /** The operations done since the last call, in order (empty when tracing is off). */
  takeOperations(): string[] {
    const taken = this.operations;
    this.operations = [];
    return taken;
  }

  private traced(text: () => string, errno: number): void {
    if (this.traceOperations) this.operations.push(errno === 0 ? text() : `${text()} -> ${errnoSymbol(errno)}`);
  }

  /**
   * DM_DEV_CREATE: a new device with no table, or EBUSY if the name or the UUID is taken
   * (dm_hash_insert, which logs neither). An empty UUID is no UUID, as the kernel reads it.
   */
  create(name: string, uuid = ''): Result<DmDevice> {
    const r = this.createDevice(name, uuid);
    this.traced(() => `dm create ${name}${uuid === '' ? '' : ` -u ${uuid}`}`, r.ok ? 0 : r.errno);
    return r;
  }

  /** The device whose UUID this is (`dmsetup -u`), if any. */
  deviceByUuid(uuid: string): DmDevice | undefined {
    return [...this.devices.values()].find((d) => d.uuid === uuid);
  }

  private createDevice(name: string, uuid: string): Result<DmDevice> {
    this.dmOperations++;
    if (this.devices.has(name)) return fail(Errno.EBUSY);
    if (uuid !== '' && this.deviceByUuid(uuid) !== undefined) return fail(Errno.EBUSY);
    let minor = 0;
    const used = new Set([...this.devices.values()].map((d) => d.minor));
    while (used.has(minor)) minor++;
    const dev: DmDevice = {
      kind: 'dm',
      name,
      minor,
      kernelName: `dm-${minor}`,
      live: null,
      inactive: null,
      suspended: false,
      openCount: 0,
      deferredRemove: false,
      eventNr: 0,
      writebackErrno: 0,
      faults: noFaults(),
    };
    if (uuid !== '') dev.uuid = uuid;
    this.devices.set(name, dev);
    return ok(dev);
  }

  /**
   * DM_TABLE_LOAD: builds the target; a constructor error is logged as the kernel logs it. With
   * `readOnly` (DM_READONLY_FLAG) the table's mode has no FMODE_WRITE: the disk turns read-only when
   * it is resumed, and a target type the kernel marks always writeable (thin-pool) is refused.
   */
  load(dev: DmDevice, tableLine: string, options: { readOnly?: boolean } = {}): Result<undefined> {
    const readOnly = options.readOnly === true;
    const r = this.loadTable(dev, tableLine, readOnly);
    this.traced(
      () =>
        `dm load${readOnly ? ' -r' : ''} ${dev.name}: ${tableLine
          .trim()
          .split(/\s*\n\s*/)
          .join('; ')}`,
      r.ok ? 0 : r.errno,
    );
    if (r.ok && readOnly) dev.inactiveReadOnly = true;
    else if (r.ok) delete dev.inactiveReadOnly;
    return r;
  }

  private loadTable(dev: DmDevice, tableLine: string, readOnly: boolean): Result<undefined> {
    this.dmOperations++;
    const lines = tableLine.split('\n').filter((l) => l.trim() !== '');
    const words = tableLine.trim().split(/\s+/);
    const typeName = words[2] ?? '';
    if (lines.length > 1) {
      // Tables of several lines exist only for types that build them (linear: LVM's volumes of
      // several segments); the first line's type decides.
      const several = targetType(lines[0]!.trim().split(/\s+/)[2] ?? '')?.constructLines?.(this, dev, lines);
      if (several === undefined) {
        this.log(`table: ${devNumber(dev)}: only tables of linear targets may have several lines in the lab`);
        this.log('ioctl: error adding target to table');
        return fail(Errno.EINVAL);
      }
      if (!several.ok) return several;
      this.acquire(several.value, [dev.live, dev.inactive]);
      if (dev.inactive !== null) this.destroyTarget(dev.inactive, [dev.live, several.value]);
      dev.inactive = several.value;
      return OK_VOID;
    }
    if (words.length < 3 || !/^[0-9]+$/.test(words[0]!) || !/^[0-9]+$/.test(words[1]!)) {
      this.log('table: Invalid argument list');
      return fail(Errno.EINVAL);
    }
    const start = Number(words[0]);
    const length = Number(words[1]);
    if (start !== 0) {
      this.log(`table: ${devNumber(dev)}: ${typeName}: Gap in table (-EINVAL)`);
      this.log('ioctl: error adding target to table');
      return fail(Errno.EINVAL);
    }
    if (length === 0) {
      this.log(`table: ${devNumber(dev)}: zero-length target`);
      this.log('ioctl: error adding target to table');
      return fail(Errno.EINVAL);
    }
    const type = this.unloadedTargetTypes.includes(typeName) ? undefined : targetType(typeName);
    if (type === undefined) {
      this.log(`table: ${devNumber(dev)}: ${typeName}: unknown target type`);
      this.log('ioctl: error adding target to table');
      return fail(Errno.EINVAL);
    }
    // dm_table_add_target refuses a DM_TARGET_ALWAYS_WRITEABLE type in a read-only table before
    // its constructor runs (fixtures/kernel/213).
    if (readOnly && ALWAYS_WRITEABLE_TARGETS.has(typeName))
      return this.targetCtrFailed(dev, typeName, {
        error: 'target type may not be included in a read-only table',
        errno: Errno.EINVAL,
      });
    const built = type.construct(this, dev, length, words.slice(3));
    if (!built.ok) return this.targetCtrFailed(dev, typeName, built);
    const target = built.value;
    this.acquire(target, [dev.live, dev.inactive]);
    type.loaded?.(target);
    // Only a device's first table sets its queue up at load (dm_setup_md_queue); a reload's limits
    // are calculated when it is swapped in at resume, so a reload that does not fit its devices is
    // accepted here and fails there (fixtures/kernel/101-live-reload).
    const firstTable = dev.live === null && dev.inactive === null;
    if (firstTable && !this.targetFits(dev, target)) {
      this.log('core: Cannot calculate initial queue limits');
      this.log('ioctl: unable to set up device queue for new table.');
      this.destroyTarget(target, [dev.live, dev.inactive]);
      return fail(Errno.EINVAL);
    }
    if (dev.inactive !== null) this.destroyTarget(dev.inactive, [dev.live, target]);
    dev.inactive = target;
    return OK_VOID;
  }

  /**
   * A target constructor refused the table: logged as the kernel logs it. A method rather than a
   * closure in `load`, which runs for every table the property tests load.
   */
  private targetCtrFailed(dev: DmDevice, typeName: string, e: CtrError): Result<undefined> {
    this.log(`table: ${devNumber(dev)}: ${typeName}: ${e.error} (-${errnoSymbol(e.errno)})`);
    this.log('ioctl: error adding target to table');
    return fail(e.errno);
  }

  /** Every area a target maps fits on the device under it (dm_calculate_queue_limits' check). */
  private targetFits(dev: DmDevice, target: Target): boolean {
    return typeOf(target)
      .areas(target)
      .every((area) => this.areaFits(dev, area.under, area.offset, area.lengthSectors ?? target.lengthSectors));
  }

  /** Checks that `length` sectors from `offset` fit on `under`, as dm's device_area_is_invalid. */
  areaFits(dev: DmDevice, under: BlockDev, offset: number, length: number): boolean {
    const size = this.sizeSectors(under);
    if (offset + length > size) {
      this.log(
        `table: ${devNumber(dev)}: ${under.kernelName} too small for target: start=${offset}, len=${length}, dev_size=${size}`,
      );
      return false;
    }
    return true;
  }

  /**
   * pool_ctr's __pool_find and pool creation: the pool a thin-pool table on `dev` drives, the one
   * already open on its metadata device or a new one opened from what that device holds. The
   * registry of pools is the dm core's (pools outlive their tables' reloads), the checks the kernel's.
   */
  poolForTable(dev: DmDevice, table: PoolTable, metadataDev: BlockDev, dataDev: BlockDev): Parsed<ThinPool> {
    const storage = this.storageUnder(metadataDev);
    const offset = this.offsetUnder(metadataDev);
    // The kernel's pool table is keyed by the metadata block device, not by the disk under it.
    let pool = this.poolsByMetadataDev.get(metadataDev);
    const current = dev.live?.type === 'thin-pool' ? dev.live.pool : undefined;
    if (pool !== undefined && this.poolTargets.get(pool) !== dev) {
      return { ok: false, error: 'metadata device already in use by a pool', errno: Errno.EBUSY };
    }
    if (pool === undefined && current !== undefined) {
      return { ok: false, error: 'different pool cannot replace a pool', errno: Errno.EINVAL };
    }
    if (pool === undefined && storage !== null && this.liveRegionOver(storage, offset, this.sizeSectors(metadataDev))) {
      // Two devices over the same metadata sectors: the kernel would open two pools on them.
      return { ok: false, error: NOT_MODELLED_SHARED_METADATA_DISK, errno: Errno.EBUSY };
    }
    const created = pool === undefined;
    if (pool === undefined) {
      for (const [other, owner] of this.poolTargets) {
        const t = owner.live ?? owner.inactive;
        if (t?.type === 'thin-pool' && t.dataDev === dataDev && other !== pool) {
          return { ok: false, error: 'data device already in use by a pool', errno: Errno.EBUSY };
        }
      }
      // A device smaller than one metadata block: the block manager's read of the superblock fails
      // before anything is looked at (fixtures/kernel/152: 0 and 512 bytes give -EIO).
      if (metadataDeviceBlocks(this.sizeSectors(metadataDev)) === 0)
        return { ok: false, error: 'Error creating metadata object', errno: Errno.EIO };
      const region = storage === null ? null : this.claimRegion(storage, offset, this.sizeSectors(metadataDev));
      // Only bytes on the disk can be a superblock of zeros; an image is laid out lazily.
      const formatted =
        storage !== null &&
        region !== null &&
        region.currentMetadata().kind !== 'image' &&
        this.superblockIsZero(storage, region);
      const opened = this.openMetadata(
        metadataDev,
        storage,
        region,
        table.dataBlockSizeSectors,
        table.features.readOnly,
      );
      if (!opened.ok) return opened;
      if (this.mutations.length > 0) opened.value.switchOnMutations(this.mutations);
      pool = new ThinPool(
        `${DM_MAJOR}:${dev.minor}`,
        opened.value,
        table,
        this.poolEnvironment(dev, metadataDev),
        this.poolDataDevice(dataDev),
      );
      if (storage !== null && region !== null) this.openRegion(storage, region, pool, metadataDev, formatted);
      this.poolsByMetadataDev.set(metadataDev, pool);
      this.poolTargets.set(pool, dev);
    } else if (pool.mode === 'fail') {
      return { ok: false, error: 'Error registering metadata threshold', errno: Errno.EINVAL };
    }
    // A reload of a live pool with another block size is accepted and ignored: __pool_find hands
    // back the pool as it is, and its table and status go on showing the pool's own block size
    // (fixtures/kernel/101-live-reload). The caller's table takes the pool's.
    if (!created && table.features.discardEnabled !== pool.discardEnabled) {
      return { ok: false, error: 'Discard support cannot be disabled once enabled', errno: Errno.EINVAL };
    }
    return { ok: true, value: pool };
  }

  private openMetadata(
    metadataDev: BlockDev,
    storage: Storage | null,
    region: MetadataRegion | null,
    blockSize: number,
    readOnly: boolean,
  ): { ok: true; value: ThinMetadata } | ({ ok: false } & CtrError) {
    const content = storage === null || region === null ? NO_METADATA : this.contentToOpen(storage, region);
    const blocks = metadataDeviceBlocks(this.sizeSectors(metadataDev));
    this.warnIfMetadataDeviceTooBig(metadataDev);
    switch (content.kind) {
      case 'none':
        if (readOnly) return { ok: false, error: 'Error creating metadata object', errno: Errno.EPERM };
        return this.formatMetadata(blockSize, blocks);
      case 'bytes': {
        const parsed =
          storage === null || region === null
            ? ({ ok: true, value: null } as const)
            : this.metadataFromBytes(storage, region, this.sizeSectors(metadataDev));
        if (!parsed.ok) return parsed;
        if (parsed.value === null) {
          if (readOnly) return { ok: false, error: 'Error creating metadata object', errno: Errno.EPERM };
          return this.formatMetadata(blockSize, blocks);
        }
        if (parsed.value.dataBlockSizeSectors !== blockSize) {
          this.log(
            `thin metadata: changing the data block size (from ${parsed.value.dataBlockSizeSectors} to ${blockSize}) is not supported`,
          );
          return { ok: false, error: 'Error creating metadata object', errno: Errno.EINVAL };
        }
        return { ok: true, value: ThinMetadata.open(parsed.value) };
      }
      case 'image':
        if (content.image.dataBlockSizeSectors !== blockSize) {
          this.log(
            `thin metadata: changing the data block size (from ${content.image.dataBlockSizeSectors} to ${blockSize}) is not supported`,
          );
          return { ok: false, error: 'Error creating metadata object', errno: Errno.EINVAL };
        }
        return { ok: true, value: ThinMetadata.open(content.image) };
      default:
        return { ok: false, error: 'Error creating metadata object', errno: Errno.EINVAL };
    }
  }

  /**
   * warn_if_metadata_device_too_big: over 16 GiB the kernel says that it uses only its first
   * 4,161,600 blocks (one index block of 255 bitmaps), at the pool's creation and again when the
   * device grows (fixtures/kernel-probes/182).
   */
  private warnIfMetadataDeviceTooBig(metadataDev: BlockDev): void {
    if (this.sizeSectors(metadataDev) > 16 * 1024 * 1024 * 2) {
      this.log(
        `thin: Metadata device ${metadataDev.kernelName} is larger than ${MAX_METADATA_BLOCKS * METADATA_BLOCK_SECTORS} sectors: excess space will not be used.`,
      );
    }
  }

  /**
   * A new pool's metadata, formatted on `blocks` blocks. The kernel's format uses blocks 0 to 12
   * (docs/metadata-layout.md), so a device of one or two blocks fails as fixtures/kernel/152 shows:
   * the metadata space map's first shadow falls past the end. Between three and fifteen blocks the
   * format fails somewhere not seen yet, and the lab says so instead of formatting.
   */
  private formatMetadata(
    blockSize: number,
    blocks: number,
  ): { ok: true; value: ThinMetadata } | ({ ok: false } & CtrError) {
    if (blocks <= TOO_SMALL_TO_FORMAT_BLOCKS) {
      this.log('space map common: metadata block out of bounds');
      this.log('space map common: dm_tm_shadow_block() failed');
      this.log('space map metadata: dm_sm_metadata_create: apply_bops failed');
      this.log("transaction manager: couldn't create metadata space map");
      this.log('thin metadata: tm_create_with_sm failed');
      return { ok: false, error: 'Error creating metadata object', errno: Errno.EINVAL };
    }
    if (blocks < SMALLEST_FORMATTED_BLOCKS) {
      return {
        ok: false,
        error: `thinlab: not modelled: formatting a metadata device of ${blocks} blocks (the kernel's format was seen failing on 1 and 2 and working on ${SMALLEST_FORMATTED_BLOCKS})`,
        errno: Errno.EINVAL,
      };
    }
    return { ok: true, value: ThinMetadata.format(blockSize, blocks) };
  }

  /** Whether a live pool's metadata covers any of `lengthSectors` sectors from `offset` of the storage. */
  private liveRegionOver(storage: Storage, offset: number, lengthSectors: number): boolean {
    return storage.regions.some((r) => r.livePool !== null && r.overlaps(offset, lengthSectors));
  }

  /**
   * The region a pool is about to open at `offset`. Other regions its sectors overlap (the old
   * place of metadata LVM moved) are laid out first and become plain bytes: the new pool's
   * commits will overwrite them. Nothing else is laid out: an open reads its own image.
   */
  private claimRegion(storage: Storage, offset: number, lengthSectors: number): MetadataRegion {
    const region = storage.region(offset);
    for (const other of storage.regions) {
      if (other === region || other.livePool !== null || other.metadata.kind !== 'image') continue;
      if (!other.overlaps(offset, lengthSectors)) continue;
      this.materializeRegion(storage, other);
      other.metadata = { kind: 'bytes' };
      other.materializedFrom = null;
    }
    return region;
  }

  /**
   * What a pool opening the region reads: a region nothing was written to holds whatever the
   * disk's sectors there do, so a superblock that is not all zeros is read from the bytes.
   */
  private contentToOpen(storage: Storage, region: MetadataRegion): MetadataContent {
    const content = region.currentMetadata();
    if (content.kind !== 'none') return content;
    return this.superblockIsZero(storage, region) ? content : { kind: 'bytes' };
  }

  /** Whether the region's first block reads as zeros on the disk (a pool formats it). */
  private superblockIsZero(storage: Storage, region: MetadataRegion): boolean {
    return storage.store.read(region.offsetSectors, 8).every((t) => t === ZERO_TOKEN);
  }

  /** The pool has opened the region's metadata: it is live there until the pool closes. */
  private openRegion(
    storage: Storage,
    region: MetadataRegion,
    pool: ThinPool,
    metadataDev: BlockDev,
    formatted: boolean,
  ): void {
    this.pools.set(region, { storage, pool });
    region.livePool = pool;
    region.lengthSectors = this.sizeSectors(metadataDev);
    // Bytes the pool opened (a tool's, dd's, damaged or sound) stay on the device, as foreign
    // writes do, until it writes: the kernel writes nothing at an open. Laying the image out
    // instead would rewrite blocks the lab's layout does not hold (a free block a tool left a
    // node in, as 0.9.0's restorer does), so the disk would change with the first read, and a
    // run with a read would differ from the replay of its events.
    if (!formatted && region.metadata.kind !== 'image') region.foreignWrites = pool.md.changingCommits;
    // Metadata formatted on a device that drops writes never reaches its disk.
    if (formatted && this.deviceDropsWrites(metadataDev)) {
      region.lostWrites = { durable: null, lastLayout: this.layoutOf(storage, region, pool.md.image()) };
    }
  }

  /**
   * DM_TABLE_DEPS: the devices the live table holds, as the kernel lists them (dm_get_device adds
   * each new one at the head of the table's list, so the last one named comes first).
   */
  dependencies(dev: DmDevice): BlockDev[] {
    if (dev.live === null) return [];
    return [...new Set(typeOf(dev.live).heldDevices(dev.live))].reverse();
  }

  /**
   * References a target takes when its table is loaded (dm_get_device and the thin open). A
   * mapped device opens each device its tables use once: dm_get_device shares the device's
   * table_devices entry between its live and inactive tables, so a device that one of `others`
   * (the same mapped device's tables) already holds is not opened again (fixtures/kernel/208: a
   * pool used by a thin's live and loaded tables counts one open from it).
   */
  private acquire(target: Target, others: readonly (Target | null)[]): void {
    const type = typeOf(target);
    for (const d of type.heldDevices(target)) if (!heldByAny(others, d)) d.openCount++;
    type.acquire?.(this, target);
  }

  /**
   * A table is destroyed: drop its references (each device none of `others`, the mapped device's
   * tables that stay, still holds); the last one closes the pool (with a commit).
   */
  private destroyTarget(target: Target, others: readonly (Target | null)[]): void {
    const type = typeOf(target);
    const held = type.heldDevices(target);
    for (const d of held) if (!heldByAny(others, d)) d.openCount--;
    type.release?.(this, target);
    // A loop device whose detach waited for its last user goes now (after the pool's last commit).
    for (const dev of held) if (dev.kind === 'loop' && dev.autoclear && dev.openCount === 0) this.detachLoop(dev);
  }

  /** A table holds a pool: it stays open (and its timers run) until the last holder lets go. */
  holdPool(pool: ThinPool): void {
    this.poolRefs.set(pool, (this.poolRefs.get(pool) ?? 0) + 1);
  }

  /** A holder lets go of a pool; the last one closes it (with a commit) and forgets it. */
  dropPoolRef(pool: ThinPool): void {
    const refs = (this.poolRefs.get(pool) ?? 0) - 1;
    if (refs > 0) {
      this.poolRefs.set(pool, refs);
      return;
    }
    this.poolRefs.delete(pool);
    pool.close();
    this.poolTargets.delete(pool);
    for (const [md, p] of this.poolsByMetadataDev) if (p === pool) this.poolsByMetadataDev.delete(md);
    for (const [region, held] of this.pools) {
      if (held.pool !== pool) continue;
      this.pools.delete(region);
      this.closeStorage(held.storage, region, pool, true);
    }
  }

  /**
   * What a closed pool leaves on its metadata device: its committed image, or, when foreign
   * writes hit the device and the pool committed nothing since, those bytes (the kernel never
   * rewrote the blocks) with the superblock the close rewrites (`rewriteSuperblock`; not after a
   * crash). After a commit the lab lays the image out afresh: which damaged blocks the kernel
   * would have rewritten is not modelled (docs/metadata-damage.md).
   */
  private closeStorage(storage: Storage, region: MetadataRegion, pool: ThinPool, rewriteSuperblock: boolean): void {
    const untouched = region.foreignWrites === pool.md.changingCommits;
    const lost = region.lostWrites;
    region.livePool = null;
    region.foreignWrites = null;
    region.lostWrites = null;
    region.materializedFrom = null;
    if (lost !== null) {
      // Commits were lost: the disk keeps what reached it, an image the lab knows or bytes.
      region.metadata = lost.durable === null ? { kind: 'bytes' } : { kind: 'image', image: lost.durable };
      return;
    }
    if (!untouched) {
      region.metadata = { kind: 'image', image: pool.md.image() };
      return;
    }
    if (rewriteSuperblock) {
      // Nothing the pool committed changed the trees, so the superblock on disk still points at
      // them: the close writes it back with the pool's needs_check and a sound checksum.
      const at = region.offsetSectors;
      const block0 = this.dictionary.bytesOf(storage.store.read(at, 8));
      storage.store.write(at, this.dictionary.tokensOf(superblockWithNeedsCheck(block0, pool.md.needsCheck)));
    }
    region.metadata = { kind: 'bytes' };
  }

  /** DM_DEV_SUSPEND (suspend). */
  suspend(dev: DmDevice, options: { noFlush?: boolean } = {}): Result<undefined> {
    const r = this.suspendDevice(dev, options);
    this.traced(() => `dm suspend ${dev.name}${options.noFlush === true ? ' --noflush' : ''}`, r.ok ? 0 : r.errno);
    return r;
  }

  private suspendDevice(dev: DmDevice, options: { noFlush?: boolean }): Result<undefined> {
    this.dmOperations++;
    // A pool commits at postsuspend either way; --noflush only matters for queued I/O, which the
    // lab keeps queued across a suspend in both cases.
    void options;
    if (dev.suspended) return OK_VOID;
    const t = dev.live;
    const type = t === null ? undefined : typeOf(t);
    if (t !== null) type?.presuspend?.(t);
    dev.suspended = true;
    if (t !== null) type?.postsuspend?.(t);
    this.freezeMetadataBelow(dev);
    return OK_VOID;
  }

  /** DM_DEV_SUSPEND (resume): swaps in a loaded table; preresume may refuse. */
  resume(dev: DmDevice): Result<undefined> {
    const r = this.resumeDevice(dev);
    this.traced(() => `dm resume ${dev.name}`, r.ok ? 0 : r.errno);
    return r;
  }

  private resumeDevice(dev: DmDevice): Result<undefined> {
    this.dmOperations++;
    const incoming = dev.inactive;
    if (incoming !== null) {
      // The implicit suspend is part of this resume, not an operation of its own.
      if (!dev.suspended) this.suspendDevice(dev, {});
      if (!this.targetFits(dev, incoming)) {
        // dm_swap_table refuses the table: do_resume destroys it and leaves the device suspended
        // with its old table, which a plain resume then brings back.
        this.destroyTarget(incoming, [dev.live]);
        dev.inactive = null;
        delete dev.inactiveReadOnly;
        return fail(Errno.EINVAL);
      }
      if (dev.live !== null) this.destroyTarget(dev.live, [incoming]);
      dev.live = incoming;
      dev.inactive = null;
      // set_disk_ro from the new table's mode: only a resume that swaps a table in changes it.
      if (dev.inactiveReadOnly === true) dev.readOnly = true;
      else delete dev.readOnly;
      delete dev.inactiveReadOnly;
    } else if (!dev.suspended) {
      return OK_VOID;
    }
    const t = dev.live;
    const type = t === null ? undefined : typeOf(t);
    const pre = t === null ? undefined : type?.preresume?.(t, incoming !== null);
    if (pre !== undefined && !pre.ok) {
      this.log(`table: ${devNumber(dev)}: ${type!.name}: preresume failed, error = -${pre.errno}`);
      return pre;
    }
    dev.suspended = false;
    this.thawMetadataBelow(dev);
    if (t !== null) type?.resume?.(t);
    this.finishHeldCommits();
    return OK_VOID;
  }

  /**
   * DM_DEV_RENAME: the device keeps its minor, tables and openers under the new name (LVM's
   * lvrename and vgrename of active volumes); EBUSY when the name is taken.
   */
  rename(dev: DmDevice, name: string): Result<undefined> {
    return this.renameDevice(dev.name, name, false);
  }

  /**
   * DM_DEV_RENAME as dm_hash_rename checks it, in its order: the new name (or UUID) taken is
   * EBUSY, a missing device ENXIO, a UUID set twice EINVAL, each with the kernel's log line. A
   * rename wakes the device's event waiters, so a device with a live table counts one event.
   */
  renameDevice(oldName: string, target: string, changeUuid: boolean): Result<undefined> {
    this.dmOperations++;
    const r = this.checkRename(oldName, target, changeUuid);
    const dev = this.devices.get(oldName);
    if (r.ok && dev !== undefined) {
      if (changeUuid) dev.uuid = target;
      else {
        this.devices.delete(oldName);
        dev.name = target;
        this.devices.set(target, dev);
      }
      if (dev.live !== null) dev.eventNr++;
    }
    this.traced(() => `dm rename ${oldName} ${changeUuid ? '--setuuid ' : ''}${target}`, r.ok ? 0 : r.errno);
    return r;
  }

  private checkRename(oldName: string, target: string, changeUuid: boolean): Result<undefined> {
    const what = changeUuid ? 'uuid' : 'name';
    const taken = changeUuid ? this.deviceByUuid(target) !== undefined : this.devices.has(target);
    if (taken) {
      this.log(`ioctl: Unable to change ${what} on mapped device ${oldName} to one that already exists: ${target}`);
      return fail(Errno.EBUSY);
    }
    const dev = this.devices.get(oldName);
    if (dev === undefined) {
      this.log(`ioctl: Unable to rename non-existent device, ${oldName} to ${changeUuid ? 'uuid ' : ''}${target}`);
      return fail(Errno.ENXIO);
    }
    if (changeUuid && dev.uuid !== undefined) {
      this.log(
        `ioctl: Unable to change uuid of mapped device ${oldName} to ${target} because uuid is already set to ${dev.uuid}`,
      );
      return fail(Errno.EINVAL);
    }
    return OK_VOID;
  }

  /** libdevmapper's _rename_dev_node: the old node (if any) moves to the new name, replacing what was there. */
  renameMapperNode(oldName: string, newName: string): void {
    const minor = this.mapperNodes.get(oldName);
    if (minor === undefined) return;
    this.mapperNodes.delete(newName);
    this.mapperNodes.delete(oldName);
    this.mapperNodes.set(newName, minor);
  }

  /**
   * DM_DEV_REMOVE: refused while anything holds the device open, unless `deferred` (the
   * DM_DEFERRED_REMOVE flag), which then marks the device to go at its last close and succeeds.
   */
  remove(dev: DmDevice, options: { deferred?: boolean } = {}): Result<undefined> {
    const r = this.removeDevice(dev, options.deferred === true);
    this.traced(() => `dm remove ${dev.name}${options.deferred === true ? ' (deferred)' : ''}`, r.ok ? 0 : r.errno);
    return r;
  }

  /** The next `count` bytes of /dev/urandom. */
  readUrandom(count: number): Uint8Array {
    const r = urandomBytes(this.urandomState, count);
    this.urandomState = r.state;
    return r.bytes;
  }

  /** A process opens a block device (a shell redirection, for as long as its command runs). */
  openBlock(dev: BlockDev): void {
    dev.openCount++;
  }

  /** The process closes it: the last close of a device marked for deferred removal removes it. */
  closeBlock(dev: BlockDev): void {
    // A reboot while the opener ran has already dropped every open (resetDevices).
    if (dev.openCount <= 0) return;
    dev.openCount--;
    if (dev.kind === 'dm' && dev.deferredRemove && dev.openCount === 0 && this.devices.get(dev.name) === dev)
      this.remove(dev);
  }

  private removeDevice(dev: DmDevice, deferred: boolean): Result<undefined> {
    this.dmOperations++;
    if (dev.openCount > 0) {
      if (!deferred) return fail(Errno.EBUSY);
      dev.deferredRemove = true;
      return OK_VOID;
    }
    if (dev.inactive !== null) this.destroyTarget(dev.inactive, [dev.live]);
    if (dev.live !== null) {
      const live = dev.live;
      if (!dev.suspended) typeOf(live).postsuspend?.(live);
      this.destroyTarget(live, []);
    }
    this.devices.delete(dev.name);
    return OK_VOID;
  }

  /** DM_DEV_REMOVE for a device whose table load failed during `dmsetup create`. */
  discardFailedCreate(dev: DmDevice): void {
    this.dmOperations++;
    if (dev.live === null && dev.inactive === null) this.devices.delete(dev.name);
  }

  /** DM_CLEAR_TABLE. */
  clearInactive(dev: DmDevice): void {
    this.dmOperations++;
    if (dev.inactive !== null) this.destroyTarget(dev.inactive, [dev.live]);
    dev.inactive = null;
    delete dev.inactiveReadOnly;
  }

  /** Whether a write through the block device fails with EPERM (its disk is read-only). */
  isReadOnly(dev: BlockDev): boolean {
    return dev.kind === 'dm' && dev.readOnly === true;
  }

  /** DM_TARGET_MSG: the message goes to the target that holds `sector`. */
  message(dev: DmDevice, argv: readonly string[], sector = 0): number {
    const errno = this.messageTarget(dev, argv, sector);
    this.traced(() => `dm message ${dev.name} ${sector} ${argv.join(' ')}`, errno);
    return errno;
  }

  private messageTarget(dev: DmDevice, argv: readonly string[], sector: number): number {
    this.dmOperations++;
    const t = dev.live;
    if (t === null) return Errno.EINVAL;
    if (argv.length === 0) {
      this.log('ioctl: Empty message received.');
      return Errno.EINVAL;
    }
    if (sector >= t.lengthSectors) {
      this.log('ioctl: Target message sector outside device.');
      return Errno.EINVAL;
    }
    const type = typeOf(t);
    if (type.message === undefined) {
      this.log('ioctl: Target type does not support messages');
      return Errno.EINVAL;
    }
    return type.message(t, argv);
  }

  /** The status text of the live table's target (no `start length type` prefix). */
  targetStatus(dev: DmDevice, noFlush: boolean): string {
    const t = dev.live;
    return t === null ? '' : typeOf(t).status(t, noFlush, dev.suspended);
  }

  /** The table text of a target (no prefix). */
  targetTable(t: Target): string {
    return typeOf(t).table(t);
  }

  // ------------------------------------------------------------------ block I/O

  /**
   * The lab faults on a device a write meets before it reaches the device: EIO for an error
   * range, and the device's extra write delay owed by the command. Returns 0 or the errno.
   */
  writeFault(dev: BlockDev, start: number, count: number): number {
    if (dev.faults.slowWriteMs > 0) this.ioDelayOwedMs += dev.faults.slowWriteMs;
    return ioHitsErrorRange(dev.faults, start, count, 'write') ? Errno.EIO : 0;
  }

  /** Reads sectors from any block device; EWOULDBLOCK (lab) when it is suspended. */
  readSectors(dev: BlockDev, start: number, count: number): Result<Uint32Array> {
    if (ioHitsErrorRange(dev.faults, start, count, 'read')) return fail(Errno.EIO);
    if (dev.kind === 'ram') {
      this.materialize(dev.storage);
      return ok(dev.storage.store.read(start, count));
    }
    if (dev.kind === 'loop') {
      const stored = storedDev(dev);
      if (stored === null || start + count > stored.storage.store.sizeSectors) return fail(Errno.EIO);
      this.materialize(stored.storage);
      return ok(stored.storage.store.read(start, count));
    }
    if (dev.suspended || this.metadataLockWait(dev) !== null) return fail(LAB_WOULD_BLOCK);
    const t = dev.live;
    if (t === null) return fail(Errno.ENXIO);
    return typeOf(t).read(this, t, start, count);
  }

  /** Writes sectors; thin writes may queue, so the result is a ticket for the caller to wait on. */
  writeSectors(dev: BlockDev, start: number, tokens: Uint32Array): IoTicket {
    const fault = this.writeFault(dev, start, tokens.length);
    if (fault !== 0) return finishedIo(fault);
    if (dev.kind === 'ram') {
      this.writeStorage(dev.storage, start, tokens);
      return finishedIo(0);
    }
    if (dev.kind === 'loop') {
      const stored = storedDev(dev);
      if (stored === null || start + tokens.length > Math.min(dev.sizeSectors, stored.storage.store.sizeSectors))
        return finishedIo(Errno.EIO);
      this.writeStorage(stored.storage, start, tokens);
      return finishedIo(0);
    }
    if (dev.suspended || this.metadataLockWait(dev) !== null) return finishedIo(LAB_WOULD_BLOCK);
    const t = dev.live;
    if (t === null) return finishedIo(Errno.ENXIO);
    return typeOf(t).write(this, t, start, tokens);
  }

  /** The external origin of a thin as the pool reads it; its size is read at every I/O. */
  originOf(origin: BlockDev | null): ExternalOrigin | null {
    if (origin === null) return null;
    return { sizeSectors: this.sizeSectors(origin), read: (start, count) => this.readSectors(origin, start, count) };
  }

  /**
   * The BLKDISCARD ioctl (__blkdev_issue_discard): the range goes down as bios that the block
   * layer cuts so that each after the first starts on a multiple of the device's discard
   * granularity. It finds the boundary with round_up, a power-of-two mask, so with a granularity
   * that is not a power of two (a pool of 384-sector blocks) the cuts fall inside blocks, and a
   * discard of a whole block can reach dm-thin as two pieces that cover no block, which unmaps
   * nothing (fixtures/kernel/103-queue-limits). Returns 0 or the first piece's errno.
   */
  issueDiscard(dev: BlockDev, start: number, count: number): number {
    const granularity = Math.floor(this.queueLimits(dev).discardGranularityBytes / SECTOR_BYTES);
    let sector = start;
    let left = count;
    let errno = 0;
    while (left > 0) {
      const piece = Math.min(left, discardPieceLimit(sector, granularity));
      errno ||= this.discardSectors(dev, sector, piece);
      sector += piece;
      left -= piece;
    }
    return errno;
  }

  /** BLKDISCARD. EOPNOTSUPP where the device cannot discard (brd on 6.1, ignore_discard). */
  discardSectors(dev: BlockDev, start: number, count: number): number {
    if (dev.kind === 'ram') return this.discardRam(dev, start, count);
    if (dev.kind === 'loop') {
      const stored = storedDev(dev);
      if (stored === null || start + count > dev.sizeSectors) return Errno.EIO;
      // A discard on a loop device punches a hole in its file: the range reads as zeros again
      // and costs the file's filesystem nothing (what re-sparsifies Docker's loop files).
      this.writeStorage(stored.storage, start, new Uint32Array(count).fill(ZERO_TOKEN));
      return 0;
    }
    if (dev.suspended || this.metadataLockWait(dev) !== null) return LAB_WOULD_BLOCK;
    const t = dev.live;
    if (t === null) return Errno.ENXIO;
    return typeOf(t).discard(this, t, start, count);
  }

  /**
   * The device's queue limits: a disk's own, a dm device's stacked from the devices its live
   * target maps and adjusted by the target's io_hints (docs/model.md, "Queue limits").
   */
  queueLimits(dev: BlockDev): QueueLimits {
    if (dev.kind === 'ram')
      return this.kernel.ramDisksDiscard
        ? {
            ...RAM_DISK_LIMITS,
            discardGranularityBytes: this.kernel.ramDiscardGranularityBytes,
            maxDiscardSectors: this.kernel.ramDiscardMaxBytes / SECTOR_BYTES,
            maxHwDiscardSectors: this.kernel.ramDiscardMaxBytes / SECTOR_BYTES,
          }
        : RAM_DISK_LIMITS;
    if (dev.kind === 'loop') return LOOP_LIMITS;
    const t = dev.live;
    if (t === null) return STACKING_LIMITS;
    const type = typeOf(t);
    let limits = STACKING_LIMITS;
    for (const under of type.limitDevices?.(t) ?? type.areas(t).map((a) => a.under))
      limits = stackLimits(limits, this.queueLimits(under));
    if (type.ioHints !== undefined) limits = type.ioHints(t, limits, this.kernel);
    return this.supportsDiscard(dev) ? limits : withoutDiscard(limits);
  }

  /**
   * A discard on a RAM disk: 6.1's brd refuses it; 6.12's frees the whole pages (4 KiB) the range
   * covers, which read as zeros afterwards, and leaves the partial pages at its ends as they were.
   */
  private discardRam(dev: RamDisk, start: number, count: number): number {
    if (!this.kernel.ramDisksDiscard) return Errno.EOPNOTSUPP;
    if (start + count > this.sizeSectors(dev)) return Errno.EIO;
    const first = Math.ceil(start / BRD_PAGE_SECTORS) * BRD_PAGE_SECTORS;
    const end = Math.floor((start + count) / BRD_PAGE_SECTORS) * BRD_PAGE_SECTORS;
    if (end > first) this.writeStorage(dev.storage, first, new Uint32Array(end - first).fill(ZERO_TOKEN));
    return 0;
  }

  /** The errno of a table that names a device `path` the kernel cannot find. */
  lookupErrno(path: string): number {
    return path.startsWith('/') ? this.kernel.missingDevicePathErrno : Errno.ENODEV;
  }

  /** Whether the device advertises discard (blkdiscard checks this first). */
  supportsDiscard(dev: BlockDev): boolean {
    if (dev.kind === 'ram') return this.kernel.ramDisksDiscard;
    if (dev.kind === 'loop') return dev.storage !== null;
    const t = dev.live;
    if (t === null) return false;
    return typeOf(t).supportsDiscard(this, t);
  }

  /** An fsync's empty flush bio. */
  flush(dev: BlockDev): IoTicket {
    const t = dev.kind === 'dm' ? dev.live : null;
    return t === null ? finishedIo(0) : typeOf(t).flush(t, dev.kind === 'dm' && dev.suspended);
  }

  /** Lab directive: power loss. Every dm device vanishes without a commit; disks keep what was committed. */
  crash(): void {
    this.dmOperations++;
    for (const pool of this.poolRefs.keys()) pool.crash();
    for (const [region, held] of this.pools) {
      this.closeStorage(held.storage, region, held.pool, false);
      region.frozen = null;
    }
    this.pools.clear();
    this.poolsByMetadataDev.clear();
    this.poolRefs.clear();
    this.poolTargets.clear();
    this.devices.clear();
    // devtmpfs starts empty at the next boot: /dev/mapper holds control only.
    this.mapperNodes.clear();
    for (const r of this.ramdisks) r.openCount = 0;
    // Loop devices do not survive a reboot either; their files do.
    for (const l of this.loops) {
      l.openCount = 0;
      this.detachLoop(l);
    }
  }

  /** The storage at the bottom of a stack of linear devices (where metadata lives), if any. */
  storageUnder(dev: BlockDev): Storage | null {
    if (dev.kind !== 'dm') return dev.storage;
    const t = dev.live ?? dev.inactive;
    return t === null ? null : typeOf(t).storageUnder(this, t);
  }

  /** Sectors from the start of the disk at the bottom of a stack of linear devices to this device's start. */
  offsetUnder(dev: BlockDev): number {
    if (dev.kind !== 'dm') return 0;
    const t = dev.live ?? dev.inactive;
    return t === null ? 0 : typeOf(t).offsetUnder(this, t);
  }

  /**
   * Writes sectors of a RAM disk. A copy that carries a lab-written image (`metadata`, from dd of a
   * whole metadata device) starts a region there that keeps it; any other write inside a metadata
   * image turns that region into plain bytes, read with the on-disk format when a pool next opens
   * it. A live pool's region is left to the pool: its next commit writes its own superblock again.
   */
  writeStorage(storage: Storage, start: number, tokens: Uint32Array, metadata?: MetadataContent): void {
    if (metadata !== undefined) {
      const region = storage.region(start);
      this.touchRegions(storage, start, tokens.length, region);
      storage.store.write(start, tokens);
      region.metadata = metadata;
      region.materializedFrom = null;
      countWrite(storage);
      return;
    }
    this.touchRegions(storage, start, tokens.length, null);
    storage.store.write(start, tokens);
    countWrite(storage);
  }

  /**
   * Before a write of `count` sectors from `start`: each region it touches (but `except`) is laid
   * out as bytes first, so that the write lands on them. A live pool keeps its own copy and the
   * foreign bytes stay until it commits again; any other region becomes plain bytes.
   */
  private touchRegions(storage: Storage, start: number, count: number, except: MetadataRegion | null): void {
    for (const region of storage.regions) {
      if (region === except || !region.overlaps(start, count)) continue;
      this.materializeRegion(storage, region);
      if (region.livePool !== null) {
        if (region.lostWrites === null) region.foreignWrites = region.livePool.md.changingCommits;
      } else if (region.metadata.kind !== 'bytes') {
        region.metadata = { kind: 'bytes' };
        region.materializedFrom = null;
      }
    }
  }

  /** The metadata a reader of the device finds at its start (the region under it), if any. */
  metadataOfDevice(dev: BlockDev): MetadataContent {
    const storage = this.storageUnder(dev);
    return storage?.regionAt(this.offsetUnder(dev))?.currentMetadata() ?? NO_METADATA;
  }

  /** A whole metadata image copied onto the device (dd): the region under it holds it now. */
  carryMetadataTo(dev: BlockDev, content: MetadataContent): void {
    const storage = this.storageUnder(dev);
    if (storage === null) return;
    const region = storage.region(this.offsetUnder(dev));
    region.metadata = content;
    region.materializedFrom = null;
  }

  /**
   * Lays a lab file's image out as bytes before someone reads the file: a file under a loop device
   * holds the metadata a pool on it wrote as an image, like a RAM disk does.
   */
  materializeFile(storage: Storage): void {
    if (storage.loopBacked) this.materialize(storage);
  }

  /** Lays every region's image out as real dm-thin metadata bytes, once per image version. */
  private materialize(storage: Storage): void {
    for (const region of storage.regions) this.materializeRegion(storage, region);
  }

  private materializeRegion(storage: Storage, region: MetadataRegion): void {
    // After a lost commit the disk's sectors are what reached them: nothing is laid out.
    if (region.lostWrites !== null && region.frozen === null) return;
    if (region.foreignWrites !== null && region.frozen === null && region.livePool !== null) {
      // Foreign bytes on a live pool's device stay until the pool commits again.
      if (region.foreignWrites === region.livePool.md.changingCommits) return;
      region.foreignWrites = null;
    }
    const content = region.currentMetadata();
    if (content.kind !== 'image') return;
    const source: object = region.frozen !== null ? region.frozen : (region.livePool?.md ?? content.image);
    const version = region.frozen === null && region.livePool !== null ? region.livePool.md.commitCount : 0;
    const last = region.materializedFrom ?? null;
    if (last !== null && last.source === source && last.version === version) return;
    const blocks = this.regionBlocks(storage, region, content.image);
    const prefix = this.dictionary.tokensOf(writeMetadataImagePrefix(content.image, blocks));
    storage.store.write(region.offsetSectors, prefix);
    // The blocks after the image's last are free: zeros, without holding a 16 GiB device as bytes.
    const rest = blocks * METADATA_BLOCK_SECTORS - prefix.length;
    if (rest > 0) storage.store.fill(region.offsetSectors + prefix.length, rest, ZERO_TOKEN);
    region.materializedFrom = { source, version };
    countWrite(storage);
  }

  /** The bytes of an image laid out as dm-thin metadata, as many blocks as fit on the disk there. */
  private layoutOf(storage: Storage, region: MetadataRegion, image: MetadataImage): Uint8Array {
    return writeMetadataImage(image, this.regionBlocks(storage, region, image));
  }

  /** How many blocks of an image's metadata the lab lays out: as many as fit on the disk there. */
  private regionBlocks(storage: Storage, region: MetadataRegion, image: MetadataImage): number {
    return Math.min(image.metadataNrBlocks, Math.floor((storage.store.sizeSectors - region.offsetSectors) / 8));
  }

  /**
   * Reads the metadata a device's bytes hold, checking the superblock as the kernel's sb_check
   * does (block number, magic, checksum, in that order) and logging what it logs.
   */
  private metadataFromBytes(
    storage: Storage,
    region: MetadataRegion,
    sizeSectors: number,
  ): { ok: true; value: MetadataImage | null } | ({ ok: false } & CtrError) {
    const at = region.offsetSectors;
    const sb = this.dictionary.bytesOf(storage.store.read(at, 8));
    if (sb.every((b) => b === 0)) return { ok: true, value: null };
    const failure = superblockCheckFailure(sb, 0);
    if (failure !== null) {
      for (const line of failure.lines) this.log(line);
      this.log("thin metadata: couldn't read superblock");
      return { ok: false, error: 'Error creating metadata object', errno: failure.errno };
    }
    const all = this.dictionary.bytesOf(storage.store.read(at, sizeSectors - (sizeSectors % 8)));
    const read = readMetadataAsKernel(all);
    if (!read.ok && read.openFailure !== undefined) {
      for (const line of read.openFailure.lines) this.log(line);
      this.log("transaction manager: couldn't open metadata space map");
      this.log('thin metadata: tm_open_with_sm failed');
      return { ok: false, error: 'Error creating metadata object', errno: read.openFailure.errno };
    }
    if (!read.ok) {
      // Damage the kernel would meet only later and that the lab cannot carry (a mapping beyond the
      // data device, a broken overflow tree): the lab refuses at once and says why.
      this.log(`thin metadata: ${read.error}`);
      return { ok: false, error: 'Error creating metadata object', errno: Errno.EIO };
    }
    const image = withRecountedRefcounts(read.image, read.sharedNodes);
    // Sound metadata carries its own layout: the lab follows the kernel's allocator from the open on.
    const layout = image.damage === null ? readMetadataPlan(all) : null;
    return { ok: true, value: layout === null ? image : { ...image, layout } };
  }

  /** The region of a live pool's metadata under `dev` (a device suspended or reloaded below the pool). */
  private liveRegionUnder(dev: DmDevice): MetadataRegion | null {
    const storage = this.storageUnder(dev);
    const region = storage?.regionAt(this.offsetUnder(dev));
    return region?.livePool != null ? region : null;
  }

  private freezeMetadataBelow(dev: DmDevice): void {
    const region = this.liveRegionUnder(dev);
    if (region !== null && region.livePool !== null && region.frozen === null && region.lostWrites === null) {
      region.frozen = { kind: 'image', image: region.livePool.md.image() };
    }
  }

  private thawMetadataBelow(dev: DmDevice): void {
    const storage = this.storageUnder(dev);
    const region = storage?.regionAt(this.offsetUnder(dev));
    if (region !== undefined && region.frozen !== null) region.frozen = null;
  }

  /** The region and disk a live pool keeps its metadata in. */
  private regionOf(
    pool: ThinPool,
  ): { readonly storage: Storage; readonly region: MetadataRegion; readonly pool: ThinPool } | null {
    for (const [region, held] of this.pools) if (held.pool === pool) return { ...held, region };
    return null;
  }

  /**
   * A commit is about to be written: on a device that drops writes it never reaches the disk.
   * From the first such commit on, the disk's sectors of the region hold what really reached
   * them (laid out once, from the last commit that did), and `commitReached` writes each later
   * commit's changed blocks only, so a superblock written after lost commits points at blocks
   * that never were (fixtures/kernel/131-134).
   */
  private commitStarting(pool: ThinPool | undefined, metadataDev: BlockDev): void {
    const held = pool === undefined ? null : this.regionOf(pool);
    if (held === null || held.region.lostWrites !== null || !this.deviceDropsWrites(metadataDev)) return;
    const { storage, region } = held;
    region.frozen = null;
    this.materializeRegion(storage, region);
    const durable = held.pool.md.image();
    region.lostWrites = { durable, lastLayout: this.layoutOf(storage, region, durable) };
  }

  /** A commit was made: what of it reaches the disk, when earlier commits were lost. */
  private commitReached(pool: ThinPool | undefined, metadataDev: BlockDev): void {
    const held = pool === undefined ? null : this.regionOf(pool);
    const lost = held?.region.lostWrites ?? null;
    if (held === null || lost === null) return;
    const { storage, region } = held;
    const layout = this.layoutOf(storage, region, held.pool.md.image());
    if (!this.deviceDropsWrites(metadataDev)) {
      lost.durable = null;
      this.writeChangedBlocks(storage, region.offsetSectors, lost.lastLayout, layout);
    }
    lost.lastLayout = layout;
  }

  /** Writes the blocks of `next` that differ from `previous`, and the superblock (block 0) always. */
  private writeChangedBlocks(storage: Storage, offset: number, previous: Uint8Array, next: Uint8Array): void {
    const blockBytes = 8 * SECTOR_BYTES;
    for (let at = 0; at < next.length; at += blockBytes) {
      const block = next.subarray(at, at + blockBytes);
      const old = previous.subarray(at, at + blockBytes);
      if (at !== 0 && sameBytes(old, block)) continue;
      storage.store.write(offset + at / SECTOR_BYTES, this.dictionary.tokensOf(block));
    }
    countWrite(storage);
  }

  /** Whether writes to the device are acknowledged and thrown away (dm-flakey's drop_writes, down). */
  deviceDropsWrites(dev: BlockDev): boolean {
    if (dev.kind !== 'dm' || dev.live === null) return false;
    return typeOf(dev.live).dropsWrites?.(this, dev.live) ?? false;
  }

  private poolEnvironment(dev: DmDevice, metadataDev: BlockDev) {
    const pool = () => this.poolsByMetadataDev.get(metadataDev);
    return {
      nowMs: () => this.clockMs,
      noSpaceTimeoutSecs: () => this.noSpaceTimeoutSecs,
      log: (line: string) => this.log(line),
      raiseEvent: () => {
        dev.eventNr++;
      },
      lifecycleChanged: () => {
        this.dmOperations++;
      },
      metadataDeviceWorks: () => this.deviceWorks(metadataDev),
      metadataDeviceReads: () => this.deviceWorks(metadataDev, 'read'),
      metadataCommitting: () => this.commitStarting(pool(), metadataDev),
      metadataCommitWritten: () => {
        this.commitReached(pool(), metadataDev);
        // A commit writes the changed blocks, then the superblock after a flush: two writes in a
        // row, during which the pool's worker does nothing else, so the clock moves at once.
        this.clockMs += 2 * this.writeDelayMs(metadataDev);
      },
      metadataDeviceSectors: () => this.sizeSectors(metadataDev),
      metadataDeviceSuspended: () => this.suspendedInStack(metadataDev) !== null,
      warnIfMetadataDeviceTooBig: () => this.warnIfMetadataDeviceTooBig(metadataDev),
    };
  }

  /** The first suspended device-mapper device in `dev`'s stack: itself or a device its live table holds. */
  suspendedInStack(dev: BlockDev): DmDevice | null {
    if (dev.kind !== 'dm') return null;
    if (dev.suspended) return dev;
    const t = dev.live;
    if (t === null) return null;
    for (const below of typeOf(t).heldDevices(t)) {
      const suspended = this.suspendedInStack(below);
      if (suspended !== null) return suspended;
    }
    return null;
  }

  /**
   * The pool of a pool or thin device whose metadata lock a commit holds while it waits for the
   * suspended metadata device (ThinPool.commitWaitsForResume), and the device whose resume ends
   * the wait; null when nothing of the kind holds `dev`'s I/O or its status.
   */
  metadataLockWait(dev: BlockDev, commits = false): { readonly pool: ThinPool; readonly resume: DmDevice } | null {
    const pool = this.poolOfDevice(dev);
    if (pool === null || !(commits ? pool.commitWouldWait : pool.commitWaitsForResume)) return null;
    const metadataDev = [...this.poolsByMetadataDev].find(([, p]) => p === pool)?.[0];
    const resume = metadataDev === undefined ? null : this.suspendedInStack(metadataDev);
    return resume === null ? null : { pool, resume };
  }

  /** The pool a pool device or a thin device belongs to. */
  private poolOfDevice(dev: BlockDev): ThinPool | null {
    if (dev.kind !== 'dm' || dev.live === null) return null;
    const t = dev.live;
    return t.type === 'thin-pool' || t.type === 'thin' ? t.pool : null;
  }

  /** A device was resumed: commits that waited for it go through (fixtures/kernel/190). */
  private finishHeldCommits(): void {
    for (const pool of new Set(this.poolsByMetadataDev.values())) pool.finishHeldCommit();
  }

  /**
   * The device whose resume a read or write of `dev` that returned LAB_WOULD_BLOCK waits for:
   * itself when suspended, else the suspended metadata device of a pool whose commit holds the lock.
   */
  awaitedResume(dev: BlockDev): BlockDev {
    if (dev.kind === 'dm' && dev.suspended) return dev;
    return this.metadataLockWait(dev)?.resume ?? dev;
  }

  /**
   * False when I/O to the device would fail: an error target somewhere in its stack, a flakey
   * device in its down interval that fails this direction, a lab error range over its whole start
   * (the superblock every commit and abort touches).
   */
  deviceWorks(dev: BlockDev, op: 'read' | 'write' = 'write'): boolean {
    if (ioHitsErrorRange(dev.faults, 0, 8, op)) return false;
    if (dev.kind === 'ram') return true;
    if (dev.kind === 'loop') return dev.storage !== null;
    const t = dev.live;
    if (t === null) return false;
    return typeOf(t).works(this, t, op);
  }

  /** Milliseconds one write to the device waits: dm-delay write classes and lab slow faults in its stack. */
  writeDelayMs(dev: BlockDev): number {
    let ms = dev.faults.slowWriteMs;
    const t = dev.kind === 'dm' ? dev.live : null;
    if (t != null) ms += typeOf(t).writeDelayMs(this, t);
    return ms;
  }

  private poolDataDevice(dataDev: BlockDev): PoolDataDevice {
    const machine = this;
    return {
      get sizeSectors() {
        return machine.sizeSectors(dataDev);
      },
      get supportsDiscard() {
        return machine.supportsDiscard(dataDev);
      },
      kernelName: dataDev.kernelName,
      read: (start, count) => this.dataRead(dataDev, start, count),
      readInto: (start, count, out, outOffset) => this.dataReadInto(dataDev, start, count, out, outOffset),
      write: (start, tokens, offset, count) =>
        this.dataWrite(
          dataDev,
          start,
          offset === 0 && count === tokens.length ? tokens : tokens.subarray(offset, offset + count),
        ),
      fill: (start, count, token) => this.dataWrite(dataDev, start, new Uint32Array(count).fill(token)),
      copy: (from, to, count) => {
        const r = this.dataRead(dataDev, from, count);
        return r.ok ? this.dataWrite(dataDev, to, r.value) : r;
      },
      discard: (start, count) => {
        const r = this.discardSectors(dataDev, start, count);
        return r === 0 ? OK_VOID : fail(r);
      },
    };
  }

  private dataRead(dev: BlockDev, start: number, count: number): Result<Uint32Array> {
    if (start + count > this.sizeSectors(dev)) return fail(Errno.EIO);
    return this.readSectors(dev, start, count);
  }

  /**
   * `dataRead` into a caller's array. A pool straight on a RAM disk, the common case, reads the
   * store in place (the same checks as readSectors: error ranges first); any other device goes
   * through readSectors.
   */
  private dataReadInto(dev: BlockDev, start: number, count: number, out: Uint32Array, outOffset: number): number {
    if (dev.kind === 'ram') {
      if (start + count > dev.storage.store.sizeSectors) return Errno.EIO;
      if (ioHitsErrorRange(dev.faults, start, count, 'read')) return Errno.EIO;
      this.materialize(dev.storage);
      dev.storage.store.readInto(start, count, out, outOffset);
      return 0;
    }
    const r = this.dataRead(dev, start, count);
    if (!r.ok) return r.errno;
    out.set(r.value, outOffset);
    return 0;
  }

  private dataWrite(dev: BlockDev, start: number, tokens: Uint32Array): Result<undefined> {
    if (dev.kind === 'ram') {
      // The common case, kept free of allocations: a pool straight on a RAM disk.
      if (start + tokens.length > dev.storage.store.sizeSectors) return fail(Errno.EIO);
      const fault = this.writeFault(dev, start, tokens.length);
      if (fault !== 0) return fail(fault);
      this.writeStorage(dev.storage, start, tokens);
      return OK_VOID;
    }
    if (start + tokens.length > this.sizeSectors(dev)) return fail(Errno.EIO);
    const t = this.writeSectors(dev, start, tokens);
    return t.errno === 0 ? OK_VOID : fail(t.errno);
  }

  /** After a snapshot is restored: give every pool its environment again (closures are not stored). */
  rewire(): void {
    // Tracing is the reader's choice, not state: snapshots leave it out.
    this.operations = [];
    this.traceOperations = false;
    // Checkpoints written before lab faults existed carry no fault fields: they had none.
    for (const dev of [...this.ramdisks, ...this.devices.values()])
      (dev as { faults?: DeviceFaults }).faults ??= noFaults();
    // Checkpoints written before loop devices existed had the boot devices, all detached.
    if (this.loops === undefined) {
      this.loops = [];
      for (let i = 0; i < BOOT_LOOP_DEVICES; i++) this.addLoopDevice();
    }
    this.ioDelayOwedMs ??= 0;
    for (const [pool, dev] of this.poolTargets) {
      const t = dev.live?.type === 'thin-pool' && dev.live.pool === pool ? dev.live : dev.inactive;
      if (t?.type !== 'thin-pool') continue;
      pool.rewire(this.poolEnvironment(dev, t.metadataDev), this.poolDataDevice(t.dataDev));
    }
  }

  /** Pools currently alive, for invariant checks. */
  livePools(): ThinPool[] {
    return [...this.poolRefs.keys()];
  }

  /** The dm device whose thin-pool target a pool belongs to. */
  poolDevice(pool: ThinPool): DmDevice | undefined {
    return this.poolTargets.get(pool);
  }
}
