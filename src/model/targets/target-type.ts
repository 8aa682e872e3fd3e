/**
 * A device-mapper target type, as the kernel's `struct target_type`: how a table line becomes a
 * target (the constructor, with the kernel's `ti->error` text), what `dmsetup status` and
 * `dmsetup table` print for it, how it maps reads, writes, discards and flushes, and the hooks the
 * dm core calls on suspend, resume and messages. The live target itself stays plain data (the
 * `Target` union in index.ts): checkpoints walk it field by field, so the behaviour lives in
 * these stateless objects, looked up by `target.type` in the registry (index.ts).
 */
import type { KernelBehaviour } from '../kernel-behaviour.js';
import type { SectorDictionary } from '../sectors.js';
import { IoTicket, type ExternalOrigin, type PoolTable, type ThinPool } from '../pool.js';
import type { Result } from '../result.js';
import type { BlockDev, DmDevice, Storage } from '../machine.js';
import type { Target } from './index.js';
import type { Parsed } from './ctr-args.js';
import type { QueueLimits } from '../queue-limits.js';

/** An area of another device that a target maps, checked to fit when the table is loaded. */
export interface DeviceArea {
  readonly under: BlockDev;
  readonly offset: number;
  /** Sectors of the area; the whole target's length when absent. */
  readonly lengthSectors?: number;
}

/**
 * What a target may ask of the dm core and the block layer below it: the machine implements it.
 * Targets get it as an argument on every call (no closures: a read or write allocates nothing more
 * than it did when the machine switched on the type).
 */
export interface DmCore {
  readonly nowMs: number;
  /** Milliseconds of I/O delay the running command waits for (dm-delay adds to it). */
  ioDelayOwedMs: number;
  readonly dictionary: SectorDictionary;
  resolve(path: string): BlockDev | null;
  /** How this kernel differs from the other stack's (src/model/kernel-behaviour.ts). */
  readonly kernel: KernelBehaviour;
  /** The errno of a table naming a device that is not there (it differs between kernels). */
  lookupErrno(path: string): number;
  sizeSectors(dev: BlockDev): number;
  readSectors(dev: BlockDev, start: number, count: number): Result<Uint32Array>;
  writeSectors(dev: BlockDev, start: number, tokens: Uint32Array): IoTicket;
  discardSectors(dev: BlockDev, start: number, count: number): number;
  supportsDiscard(dev: BlockDev): boolean;
  deviceWorks(dev: BlockDev, op: 'read' | 'write'): boolean;
  /** Whether writes to the device are acknowledged and never reach its disk (flakey's drop_writes). */
  deviceDropsWrites(dev: BlockDev): boolean;
  writeDelayMs(dev: BlockDev): number;
  storageUnder(dev: BlockDev): Storage | null;
  offsetUnder(dev: BlockDev): number;
  /** dm's device_area_is_invalid: logs and returns false when the area does not fit. */
  areaFits(dev: DmDevice, under: BlockDev, offset: number, length: number): boolean;
  log(text: string): void;
  /** A thin's external origin as the pool reads it. */
  originOf(origin: BlockDev | null): ExternalOrigin | null;
  /** pool_ctr's __pool_find: the pool a thin-pool table drives, found or opened. */
  poolForTable(dev: DmDevice, table: PoolTable, metadataDev: BlockDev, dataDev: BlockDev): Parsed<ThinPool>;
  /** A table holds the pool: it stays open until the last holder lets go. */
  holdPool(pool: ThinPool): void;
  /** A holder lets go; the last one closes the pool (with a commit). */
  dropPoolRef(pool: ThinPool): void;
}

/**
 * One target type. Method syntax on purpose: a `TargetType<TargetOf<'linear'>>` then stands in
 * the registry as a `TargetType` of any target, and the dm core only ever hands a type its own
 * records (it looks the type up by the record's `type`).
 */
export interface TargetType<T extends Target = Target> {
  /** The kernel's name of the target type, as tables spell it. */
  readonly name: T['type'];
  /** The constructor (`ctr`): the kernel's checks in its order, and its `ti->error` on refusal. */
  construct(core: DmCore, dev: DmDevice, lengthSectors: number, argv: readonly string[]): Parsed<T>;
  /**
   * A table of several lines of this type end to end, when the lab models that (LVM's volumes of
   * several linear segments). Refusals are logged here; the dm core installs the result.
   */
  constructLines?(core: DmCore, dev: DmDevice, lines: readonly string[]): Result<T>;
  /** After the references are taken, before the areas are checked (the pool's io_hints). */
  loaded?(target: T): void;
  /** The areas of other devices the target maps (iterate_devices). */
  areas(target: T): readonly DeviceArea[];
  /** The devices whose queue limits the target stacks (iterate_devices); its areas' when absent. */
  limitDevices?(target: T): readonly BlockDev[];
  /** The target's io_hints: its own changes to the queue limits stacked from its devices. */
  ioHints?(target: T, limits: QueueLimits, kernel: KernelBehaviour): QueueLimits;
  /** The devices the table holds open, once for each reference it takes (dm_get_device). */
  heldDevices(target: T): readonly BlockDev[];
  /** References beyond the devices' open counts (a pool, a thin) taken when the table is loaded. */
  acquire?(core: DmCore, target: T): void;
  /** Those references dropped when the table is destroyed (`dtr`). */
  release?(core: DmCore, target: T): void;
  /** The `dmsetup status` text after `start length type `. */
  status(target: T, noFlush: boolean, suspended: boolean): string;
  /** The `dmsetup table` text after `start length type `. */
  table(target: T): string;
  read(core: DmCore, target: T, start: number, count: number): Result<Uint32Array>;
  write(core: DmCore, target: T, start: number, tokens: Uint32Array): IoTicket;
  /** 0 or the errno; EOPNOTSUPP where the target cannot discard. */
  discard(core: DmCore, target: T, start: number, count: number): number;
  /** An empty flush bio (fsync) on a device with this live target. */
  flush(target: T, suspended: boolean): IoTicket;
  supportsDiscard(core: DmCore, target: T): boolean;
  /** False when I/O of this direction through the target would fail. */
  works(core: DmCore, target: T, op: 'read' | 'write'): boolean;
  /** Whether writes through the target now succeed without reaching the disk; absent: never. */
  dropsWrites?(core: DmCore, target: T): boolean;
  /** Milliseconds one write waits in and below the target (dm-delay, slow devices under it). */
  writeDelayMs(core: DmCore, target: T): number;
  /** The storage at the bottom of the target's stack, where metadata lives, if it leads to one. */
  storageUnder(core: DmCore, target: T): Storage | null;
  /** Sectors from the start of that storage to the start of the target's device. */
  offsetUnder(core: DmCore, target: T): number;
  presuspend?(target: T): void;
  postsuspend?(target: T): void;
  /** May refuse the resume with an errno; `reloaded` when a new table was swapped in. */
  preresume?(target: T, reloaded: boolean): Result<undefined>;
  resume?(target: T): void;
  /** DM_TARGET_MSG; absent when the target takes no messages. Returns 0 or the errno. */
  message?(target: T, argv: readonly string[]): number;
}

/**
 * A target type with every member present, in one order. The dm core reads `read`, `write` and the
 * rest off whichever type a device has: objects of one shape keep that a single inline-cached load
 * on the I/O path, where seven shapes (each type leaving out other hooks) would make it megamorphic.
 */
export function defineTargetType<T extends Target>(spec: TargetType<T>): TargetType<T> {
  return {
    name: spec.name,
    construct: spec.construct,
    constructLines: spec.constructLines,
    loaded: spec.loaded,
    areas: spec.areas,
    limitDevices: spec.limitDevices,
    ioHints: spec.ioHints,
    heldDevices: spec.heldDevices,
    acquire: spec.acquire,
    release: spec.release,
    status: spec.status,
    table: spec.table,
    read: spec.read,
    write: spec.write,
    discard: spec.discard,
    flush: spec.flush,
    supportsDiscard: spec.supportsDiscard,
    works: spec.works,
    dropsWrites: spec.dropsWrites,
    writeDelayMs: spec.writeDelayMs,
    storageUnder: spec.storageUnder,
    offsetUnder: spec.offsetUnder,
    presuspend: spec.presuspend,
    postsuspend: spec.postsuspend,
    preresume: spec.preresume,
    resume: spec.resume,
    message: spec.message,
  };
}

/** A ticket for I/O that finished at once. */
export function finishedIo(errno: number): IoTicket {
  const t = new IoTicket();
  t.pending = 1;
  t.complete(errno);
  return t;
}
