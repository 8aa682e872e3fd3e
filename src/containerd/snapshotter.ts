/**
 * containerd's devmapper snapshotter on the lab's pool (docker-devicemapper.md §3): its
 * configuration, its device records (the `<pool>.db` bbolt buckets `devices` and `device_ids`),
 * id allocation that never hands out a faulty id again, `transition` around every dm operation,
 * CreateThinDevice / CreateSnapshotDevice / Commit / RemoveDevice, and the reconciliation at
 * start. It never sends set_transaction_id: the pool's transaction id stays 0.
 */

import { PowerLoss } from '../lab/command-errors.js';
import { createDevice, removeDevice as removeDmDevice, writeFill } from '../lab/dm-ops.js';
import {
  type DeviceState,
  type Operation,
  reconcile,
  stateAfter,
  stateString,
  tryingState,
} from '../lifecycle/containerd-device-states.js';
import { Errno, strerror } from '../model/errno.js';
import type { Machine } from '../model/machine.js';
import { CONTAINERD_BUILDS, type ContainerdBuild, DEFAULT_CONTAINERD_BUILD } from './versions.js';

export const PLUGIN_ID = 'io.containerd.snapshotter.v1.devmapper';
const MAX_DEVICE_ID = 0xffffff;

export interface DevmapperConfig {
  readonly rootPath: string;
  readonly poolName: string;
  readonly baseImageSizeBytes: number;
  readonly asyncRemove: boolean;
  readonly discardBlocks: boolean;
  readonly fsType: 'ext4' | 'xfs' | 'ext2';
}

/** DeviceInfo in the `devices` bucket. */
export interface DeviceRecord {
  deviceId: number;
  size: number;
  readonly name: string;
  readonly parentName: string;
  state: DeviceState;
  error: string;
}

export interface Snapshot {
  readonly key: string;
  readonly id: number;
  readonly parent: string | null;
  kind: 'Active' | 'Committed';
}

export interface CtrdState {
  running: boolean;
  config: DevmapperConfig | null;
  devices: Record<string, DeviceRecord>;
  /** `device_ids`: decimal id -> free, taken or faulty. */
  deviceIds: Record<string, 'free' | 'taken' | 'faulty'>;
  /** The bucket's NextSequence. */
  idSequence: number;
  /** metadata.db: snapshots by key, and its id sequence. */
  snapshots: Record<string, Snapshot>;
  snapshotSequence: number;
  images: Record<string, string[]>;
  containers: Record<string, string>;
  log: string[];
  /** Lab fault: power is lost inside the next operation of this kind (after its trying state is saved). */
  crashDuring: Operation | null;
  /** Lab fault: power is lost after the next snapshot's device is ready, before metadata.db commits (containerd#5646). */
  crashBeforeCommit: boolean;
  /** Lab fault `containerd-fault fail suspend N`: the next N suspends fail with EINVAL (containerd#11637). */
  failSuspends: number;
  /** Lab fault `containerd-fault gone-before-suspend`: the next parent to snapshot vanishes between dmsetup info and its suspend. */
  goneBeforeSuspend?: boolean;
  /** The containerd build that runs, by package version (src/containerd/versions.ts); absent in older checkpoints: the default. */
  version?: string;
  /** Lab fault: the next pool message of this kind fails with EINVAL (containerd#7048). */
  failMessage: 'create_thin' | 'create_snap' | null;
  /**
   * Databases removed with rm while containerd ran: the running daemon keeps its open (unlinked)
   * bbolt files and sees its records until it stops; the next start finds them gone.
   */
  unlinked?: StateRemoval | null;
}

/** What an `rm -r` of containerd's directories deletes: the snapshotter's root_path, or all of /var/lib/containerd. */
export type StateRemoval = 'snapshotter' | 'all';

/** Deletes containerd's records as removing their files does: the snapshotter's, and with `all` the images and containers. */
export function wipeState(ctrd: CtrdState, removal: StateRemoval): void {
  ctrd.devices = {};
  ctrd.deviceIds = {};
  ctrd.idSequence = 0;
  ctrd.snapshots = {};
  ctrd.snapshotSequence = 0;
  if (removal === 'all') {
    ctrd.images = {};
    ctrd.containers = {};
  }
  ctrd.unlinked = null;
}

export function newCtrdState(): CtrdState {
  return {
    running: false,
    config: null,
    devices: {},
    deviceIds: {},
    idSequence: 0,
    snapshots: {},
    snapshotSequence: 0,
    images: {},
    containers: {},
    log: [],
    crashDuring: null,
    crashBeforeCommit: false,
    failMessage: null,
    failSuspends: 0,
  };
}

/** The build that runs: its behaviours before and after the fixes the catalogue names. */
export function containerdBuild(ctrd: CtrdState): ContainerdBuild {
  return CONTAINERD_BUILDS[ctrd.version ?? DEFAULT_CONTAINERD_BUILD]!;
}

export class SnapshotterError extends Error {
  constructor(readonly text: string) {
    super(text);
  }
}

/** What a containerd power-loss fault prints when it fires during `op`. */
function powerLoss(op: string): PowerLoss {
  return new PowerLoss(`thinlab: power lost during ${op} (containerd-fault): the machine is down, containerd with it`);
}

/** The lab fault `containerd-fault crash-before-commit`: power is lost once the snapshotter is done, before metadata.db commits. */
export function crashBeforeMetadataCommit(ctx: CtrdContext): void {
  if (!ctx.ctrd.crashBeforeCommit) return;
  ctx.ctrd.crashBeforeCommit = false;
  ctx.machine.crash();
  ctx.ctrd.running = false;
  throw powerLoss('the metadata.db commit');
}

export interface CtrdContext {
  readonly machine: Machine;
  readonly ctrd: CtrdState;
}

function warn(ctx: CtrdContext, text: string): void {
  ctx.ctrd.log.push(`time="${(ctx.machine.nowMs / 1000).toFixed(3)}" level=warning msg="${text.replace(/"/g, '\\"')}"`);
}

export function deviceNameFor(config: DevmapperConfig, snapshotId: number): string {
  return `${config.poolName}-snap-${snapshotId}`;
}

/** getNextDeviceID: the first free id in the bucket's (lexicographic) order, else the next sequence; faulty ids are skipped. */
function nextDeviceId(ctx: CtrdContext): number {
  const keys = Object.keys(ctx.ctrd.deviceIds).sort();
  for (const k of keys) {
    if (ctx.ctrd.deviceIds[k] === 'free') {
      ctx.ctrd.deviceIds[k] = 'taken';
      return Number(k);
    }
  }
  const id = ++ctx.ctrd.idSequence;
  if (id >= MAX_DEVICE_ID) throw new SnapshotterError("dm-meta: couldn't find free device key");
  ctx.ctrd.deviceIds[String(id)] = 'taken';
  return id;
}

function addDevice(ctx: CtrdContext, name: string, parentName: string, size: number): DeviceRecord {
  const existing = ctx.ctrd.devices[name];
  if (existing !== undefined && existing.state !== 'Faulty') {
    throw new SnapshotterError(
      `failed to save metadata for device "${name}" (parent: "${parentName}"): device "${name}" is already there {DeviceID:${existing.deviceId} Size:${existing.size} Name:${existing.name} ParentName:${existing.parentName} State:${stateString(existing.state)} Error:${existing.error}}: object already exists`,
    );
  }
  // A Faulty record is overwritten with a new id; the old id stays marked faulty.
  const record: DeviceRecord = { deviceId: nextDeviceId(ctx), size, name, parentName, state: 'Unknown', error: '' };
  ctx.ctrd.devices[name] = record;
  return record;
}

function markFaulty(ctx: CtrdContext, record: DeviceRecord): void {
  record.state = 'Faulty';
  ctx.ctrd.deviceIds[String(record.deviceId)] = 'faulty';
}

/** transition(name, trying, success, fn): the trying state is saved before the dm operation runs. */
function transition(ctx: CtrdContext, record: DeviceRecord, op: Operation, fn: () => number): void {
  record.state = tryingState(op);
  if (ctx.ctrd.crashDuring === op) {
    ctx.ctrd.crashDuring = null;
    ctx.machine.crash();
    ctx.ctrd.running = false;
    throw powerLoss(op);
  }
  const errno = fn();
  if (errno !== 0) {
    record.error = strerror(errno).toLowerCase();
    throw new SnapshotterError(record.error);
  }
  record.state = stateAfter(op, true);
  record.error = '';
}

function pool(ctx: CtrdContext) {
  const cfg = ctx.ctrd.config!;
  const dev = ctx.machine.device(cfg.poolName);
  if (dev === undefined || dev.live?.type !== 'thin-pool')
    throw new SnapshotterError(`failed to query pool "${cfg.poolName}": device not found`);
  return dev;
}

function message(ctx: CtrdContext, text: string): number {
  const kind = text.split(' ')[0] as 'create_thin' | 'create_snap';
  if (ctx.ctrd.failMessage === kind) {
    ctx.ctrd.failMessage = null;
    return Errno.EINVAL;
  }
  return ctx.machine.message(pool(ctx), text.split(' '));
}

function activate(ctx: CtrdContext, record: DeviceRecord): number {
  if (ctx.machine.device(record.name) !== undefined) return 0;
  return createDevice(
    ctx.machine,
    record.name,
    `0 ${Math.floor(record.size / 512)} thin /dev/mapper/${ctx.ctrd.config!.poolName} ${record.deviceId}`,
  );
}

function deactivate(ctx: CtrdContext, record: DeviceRecord): number {
  const dev = ctx.machine.device(record.name);
  if (dev === undefined) return 0; // ENXIO is ignored
  // Deactivate and delete are retried 100 times, 100 ms apart, while busy.
  for (let i = 0; i < 100; i++) {
    if (removeDmDevice(ctx.machine, dev).ok) return 0;
    if (i % 10 === 9) warn(ctx, `retrying... (${i + 1} of 100)`);
    ctx.machine.advance(100);
  }
  return Errno.EBUSY;
}

/** CreateThinDevice: a device for a snapshot without a parent, then mkfs on it. */
export function createThinDevice(ctx: CtrdContext, name: string): DeviceRecord {
  const cfg = ctx.ctrd.config!;
  const record = addDevice(ctx, name, '', cfg.baseImageSizeBytes);
  try {
    transition(ctx, record, 'create', () => message(ctx, `create_thin ${record.deviceId}`));
  } catch (e) {
    if (e instanceof SnapshotterError) {
      markFaulty(ctx, record);
      throw new SnapshotterError(`failed to create new thin device "${name}" (dev: ${record.deviceId}): ${e.text}`);
    }
    throw e;
  }
  activateOrRollBack(ctx, record, `failed to activate new thin device "${name}" (dev: ${record.deviceId})`);
  // mkfs: the filesystem's first blocks.
  writeRecord(ctx, record, 0, 4 * 1024 * 1024, 0x46);
  return record;
}

/** The kernel's answer to a suspend: EINVAL when it refuses, or when a lab fault says so. */
function suspendErrno(ctx: CtrdContext, dev: NonNullable<ReturnType<Machine['device']>>): number {
  if (ctx.ctrd.failSuspends > 0) {
    ctx.ctrd.failSuspends--;
    return Errno.EINVAL;
  }
  return ctx.machine.suspend(dev).ok ? 0 : Errno.EINVAL;
}

/**
 * SuspendDevice / ResumeDevice: up to 3 attempts, 100·attempt ms apart, while the kernel answers
 * "invalid argument" or busy (a device under load, containerd#11637); any other error at once.
 */
function suspendOrResume(
  ctx: CtrdContext,
  record: DeviceRecord,
  op: 'suspend' | 'resume',
  dev: NonNullable<ReturnType<Machine['device']>>,
): void {
  const fn = op === 'suspend' ? () => suspendErrno(ctx, dev) : () => (ctx.machine.resume(dev).ok ? 0 : Errno.EINVAL);
  for (let attempt = 1; ; attempt++) {
    try {
      transition(ctx, record, op, fn);
      return;
    } catch (e) {
      if (!(e instanceof SnapshotterError)) throw e;
      const retried = e.text === strerror(Errno.EINVAL).toLowerCase() || e.text === strerror(Errno.EBUSY).toLowerCase();
      if (!retried) throw new SnapshotterError(`failed to ${op} device "${record.name}": ${e.text}`);
      if (attempt === 3)
        throw new SnapshotterError(`failed to ${op} device "${record.name}" after 3 attempts: ${e.text}`);
      ctx.machine.advance(100 * attempt);
    }
  }
}

/**
 * The parent's suspend before its snapshot: up to 3 attempts on its dm device. With the lab fault
 * `containerd-fault gone-before-suspend`, `dmsetup info` still saw the parent (a deferred removal
 * pending) and the kernel removed it before the suspend: ENXIO, not retried (containerd#5110, #3787).
 */
function suspendParent(ctx: CtrdContext, parent: DeviceRecord, parentDev: ReturnType<Machine['device']>): void {
  if (ctx.ctrd.goneBeforeSuspend === true) {
    ctx.ctrd.goneBeforeSuspend = false;
    transition(ctx, parent, 'suspend', () => Errno.ENXIO);
  }
  if (parentDev !== undefined) suspendOrResume(ctx, parent, 'suspend', parentDev);
}

/**
 * CreateSnapshotDevice: the parent is suspended (if loaded) before anything else and resumed after.
 * A containerd before PR #5111 saved the new record first, and a failed suspend left it behind
 * (src/containerd/versions.ts, containerd#5110).
 */
export function createSnapshotDevice(ctx: CtrdContext, parentName: string, name: string): DeviceRecord {
  const parent = ctx.ctrd.devices[parentName];
  if (parent === undefined)
    throw new SnapshotterError(`failed to query device metadata for "${parentName}": not found`);
  const parentDev = ctx.machine.device(parentName);
  const early = containerdBuild(ctx.ctrd).addDeviceBeforeSuspend ? addDevice(ctx, name, parentName, parent.size) : null;
  try {
    suspendParent(ctx, parent, parentDev);
  } catch (e) {
    if (e instanceof SnapshotterError && !e.text.startsWith('failed to'))
      throw new SnapshotterError(`failed to suspend device "${parentName}": ${e.text}`);
    throw e;
  }
  try {
    const record = early ?? addDevice(ctx, name, parentName, parent.size);
    try {
      transition(ctx, record, 'create', () => message(ctx, `create_snap ${record.deviceId} ${parent.deviceId}`));
    } catch (e) {
      if (e instanceof SnapshotterError) {
        markFaulty(ctx, record);
        throw new SnapshotterError(
          `failed to create snapshot "${name}" (dev: ${record.deviceId}) from "${parentName}" (dev: ${parent.deviceId}): ${e.text}`,
        );
      }
      throw e;
    }
    activateOrRollBack(ctx, record, `failed to activate new thin device "${name}" (dev: ${record.deviceId})`);
    return record;
  } finally {
    if (parentDev !== undefined && ctx.ctrd.running && ctx.machine.device(parentName) === parentDev) {
      suspendOrResume(ctx, parent, 'resume', parentDev);
    }
  }
}

function activateOrRollBack(ctx: CtrdContext, record: DeviceRecord, what: string): void {
  try {
    transition(ctx, record, 'activate', () => activate(ctx, record));
  } catch (e) {
    if (!(e instanceof SnapshotterError)) throw e;
    // rollbackActivate: delete the pool device; if that fails too, the id stays reserved as faulty.
    if (message(ctx, `delete ${record.deviceId}`) !== 0) markFaulty(ctx, record);
    else removeRecord(ctx, record);
    throw new SnapshotterError(`${what}: ${e.text}`);
  }
}

function removeRecord(ctx: CtrdContext, record: DeviceRecord): void {
  delete ctx.ctrd.devices[record.name];
  if (ctx.ctrd.deviceIds[String(record.deviceId)] === 'taken') ctx.ctrd.deviceIds[String(record.deviceId)] = 'free';
}

/** Writes into an active device (a layer's unpacked files, a container's writes). */
export function writeRecord(
  ctx: CtrdContext,
  record: DeviceRecord,
  offsetBytes: number,
  bytes: number,
  token: number,
): number {
  const r = writeFill(ctx.machine, record.name, offsetBytes, bytes, token, (ticket) =>
    ctx.machine.runUntil(ctx.machine.nowMs + 3_600_000, () => ticket.done),
  );
  return r === 'hang' ? Errno.EIO : r;
}

/** Commit: suspend, resume, then a deferred deactivate (containerd#4234's fix keeps that order). */
export function commitDevice(ctx: CtrdContext, record: DeviceRecord): void {
  const dev = ctx.machine.device(record.name);
  if (dev !== undefined) {
    suspendOrResume(ctx, record, 'suspend', dev);
    suspendOrResume(ctx, record, 'resume', dev);
  }
  transition(ctx, record, 'deactivate', () => deactivate(ctx, record));
}

/** RemoveDevice: forced deactivate (no-op if not loaded), `delete ID` (ENODATA ignored), then the record goes. */
export function removeDevice(ctx: CtrdContext, record: DeviceRecord): void {
  const cfg = ctx.ctrd.config!;
  const dev = ctx.machine.device(record.name);
  if (cfg.discardBlocks && dev !== undefined) {
    if (dev.openCount !== 0) warn(ctx, `device "${record.name}" is in use, skipping blkdiscard`);
    else ctx.machine.discardSectors(dev, 0, Math.floor(record.size / 512));
  }
  transition(ctx, record, 'deactivate', () => deactivate(ctx, record));
  transition(ctx, record, 'remove', () => {
    const errno = message(ctx, `delete ${record.deviceId}`);
    return errno === Errno.ENODATA ? 0 : errno;
  });
  removeRecord(ctx, record);
}

/** ensureDeviceStates, at start: stuck devices become Faulty; Activated devices that are gone are activated again. */
export function reconcileDevices(ctx: CtrdContext): void {
  for (const record of Object.values(ctx.ctrd.devices)) {
    const r = reconcile(record.name, record.state, ctx.machine.device(record.name) !== undefined);
    if (r.action === 'keep') continue;
    warn(ctx, r.warning);
    if (r.action === 'faulty') markFaulty(ctx, record);
    else {
      try {
        transition(ctx, record, 'activate', () => activate(ctx, record));
      } catch (e) {
        if (!(e instanceof SnapshotterError)) throw e;
        warn(ctx, `failed to activate device "${record.name}": ${e.text}`);
      }
    }
  }
}
