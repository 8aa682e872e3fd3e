/**
 * Docker's devicemapper driver (moby `deviceset.go`, docker-devicemapper.md §2) on the lab's
 * pool: device ids, the transaction protocol, the base device, snapshots for layers and
 * containers, activation and removal (synchronous with retries, deferred), deferred deletion,
 * the dm.min_free_space gate and discards. It talks to the pool only through device-mapper
 * operations on the lab machine, so every step shows in `dmsetup` and in the kernel log.
 */

import { PowerLoss } from '../lab/command-errors.js';
import { createDevice, removeDevice, writeFill } from '../lab/dm-ops.js';
import { Errno, strerror } from '../model/errno.js';
import type { Machine } from '../model/machine.js';
import { parsePoolStatus } from '../model/status-line.js';
import type { DeviceFile, DockerState } from './docker-state.js';
import { DOCKER_VERSIONS } from './options.js';
import { humanSize } from './units.js';

export const MAX_DEVICE_ID = 0xffffff;
/** Docker retries a busy removal 200 times, 100 ms apart. */
const REMOVE_RETRIES = 200;
const REMOVE_RETRY_MS = 100;
/** The deferred-deletion worker runs every 30 s. */
export const DELETION_WORKER_MS = 30_000;

/** An error Docker returns: `text` is what the daemon prints. */
export class DriverError extends Error {
  constructor(readonly text: string) {
    super(text);
  }
}

export interface DriverContext {
  readonly machine: Machine;
  readonly docker: DockerState;
  /**
   * What else runs on the clock while a write waits (dmeventd's look at the pools): called every
   * 10 simulated seconds of a wait, so an autoextend can release writes the pool has queued.
   */
  readonly whileWaiting?: () => void;
}

/** Waits for a ticket on the simulated clock, letting `whileWaiting` run every 10 s; false if it never ends. */
function waitFor(ctx: DriverContext, ticket: { readonly done: boolean }): boolean {
  // An hour of simulated time is far beyond any no_space_timeout the kernel accepts in practice.
  for (let slice = 0; slice < 360 && !ticket.done; slice++) {
    ctx.machine.runUntil(ctx.machine.nowMs + 10_000, () => ticket.done);
    if (!ticket.done) ctx.whileWaiting?.();
  }
  return ticket.done;
}

/** The counts Docker scans from the pool's status line (`%d %d/%d %d/%d`), with the pool's length. */
export interface PoolStatus {
  readonly transactionId: number;
  readonly metaUsed: number;
  readonly metaTotal: number;
  readonly dataUsed: number;
  readonly dataTotal: number;
  readonly lengthSectors: number;
}

export function deviceName(docker: DockerState, hash: string): string {
  return `${docker.devicePrefix}-${hash === '' ? 'base' : hash}`;
}

function log(ctx: DriverContext, level: 'info' | 'warning' | 'error' | 'debug', text: string): void {
  if (level === 'debug' && !ctx.docker.debug) return;
  const secs = (ctx.machine.nowMs / 1000).toFixed(3);
  ctx.docker.log.push(`time="${secs}" level=${level} msg="${text.replace(/"/g, '\\"')}" storage-driver=devicemapper`);
}

/**
 * Docker's poolStatus: null when the pool device is gone. A status without counts (`Fail`) fails
 * Go's Sscanf, whose error text is all the daemon passes on.
 */
export function poolStatus(ctx: DriverContext): PoolStatus | null {
  const dev = ctx.machine.device(ctx.docker.poolName);
  if (dev === undefined || dev.live?.type !== 'thin-pool') return null;
  const status = parsePoolStatus(ctx.machine.targetStatus(dev, false));
  if (status === null || status.kind !== 'fields') throw new DriverError('expected integer');
  return {
    transactionId: Number(status.transactionId),
    metaUsed: status.metadataUsedBlocks,
    metaTotal: status.metadataTotalBlocks,
    dataUsed: status.dataUsedBlocks,
    dataTotal: status.dataTotalBlocks,
    lengthSectors: dev.live.lengthSectors,
  };
}

function maybeCrash(ctx: DriverContext, step: string): void {
  if (ctx.docker.crashBefore !== step) return;
  ctx.docker.crashBefore = null;
  ctx.machine.crash();
  forgetDaemonMemory(ctx.docker);
  throw new PowerLoss(
    `thinlab: power lost before ${step} (docker-fault crash-before ${step}): the machine is down, the daemon with it`,
  );
}

/** What a daemon that stops (or loses power) forgets: everything that is not in a file. */
export function forgetDaemonMemory(docker: DockerState): void {
  docker.running = false;
  docker.mounts = {};
  docker.deferredRemovals = [];
  for (const c of docker.containers) if (c.state === 'running') c.state = 'exited';
}

/** `dmsetup message POOL 0 TEXT`: the errno, 0 on success. */
function poolMessage(ctx: DriverContext, text: string): number {
  log(ctx, 'debug', `devmapper: dm_task_run message ${ctx.docker.poolName} 0 "${text}"`);
  const dev = ctx.machine.device(ctx.docker.poolName);
  if (dev === undefined) return Errno.ENXIO;
  return ctx.machine.message(dev, text.split(' '));
}

// ------------------------------------------------------------------ ids and transactions

/** getNextFreeDeviceID: the next clear bit after NextDeviceID, wrapping at 24 bits. */
function nextFreeDeviceId(docker: DockerState): number {
  const used = new Set(Object.values(docker.devices).map((d) => d.deviceId));
  for (let i = 0; i <= MAX_DEVICE_ID; i++) {
    docker.nextDeviceId = (docker.nextDeviceId + 1) & MAX_DEVICE_ID;
    if (!used.has(docker.nextDeviceId) && !reserved.has(docker.nextDeviceId)) {
      reserved.add(docker.nextDeviceId);
      return docker.nextDeviceId;
    }
  }
  throw new DriverError('devmapper: Unable to find a free device ID');
}
/** Ids handed out within one operation before their metadata file exists (the bitmap's bits). */
const reserved = new Set<number>();

function openTransaction(ctx: DriverContext, hash: string, id: number): void {
  ctx.docker.transaction = { openTransactionId: ctx.docker.transactionId + 1, deviceHash: hash, deviceId: id };
}

function closeTransaction(ctx: DriverContext): void {
  const tx = ctx.docker.transaction;
  if (tx === null) return;
  maybeCrash(ctx, 'set_transaction_id');
  const errno = poolMessage(ctx, `set_transaction_id ${ctx.docker.transactionId} ${tx.openTransactionId}`);
  if (errno !== 0) {
    throw new DriverError(
      'devmapper: Error setting devmapper transaction ID: devicemapper: Error running SetTransactionID dm_task_run failed',
    );
  }
  ctx.docker.transactionId = tx.openTransactionId;
}

/**
 * createRegisterDevice / createRegisterSnapDevice: a new id in a transaction; an id the pool
 * already has ("File exists") is logged and the next free id is tried.
 */
function createRegister(ctx: DriverContext, hash: string, sizeBytes: number, origin: DeviceFile | null): DeviceFile {
  let id = nextFreeDeviceId(ctx.docker);
  try {
    for (;;) {
      openTransaction(ctx, hash, id);
      maybeCrash(ctx, origin === null ? 'create_thin' : 'create_snap');
      const errno = poolMessage(ctx, origin === null ? `create_thin ${id}` : `create_snap ${id} ${origin.deviceId}`);
      if (errno === Errno.EEXIST) {
        log(ctx, 'debug', `devmapper: Device ID ${id} exists in pool but it is supposed to be unused`);
        id = nextFreeDeviceId(ctx.docker);
        continue;
      }
      if (errno !== 0) {
        throw new DriverError(
          origin === null
            ? 'devicemapper: Error running CreateDevice dm_task_run failed'
            : 'devicemapper: Error running deviceCreate (CreateSnapDeviceRaw) dm_task_run failed',
        );
      }
      break;
    }
    const info: DeviceFile = {
      hash,
      deviceId: id,
      sizeBytes,
      transactionId: ctx.docker.transaction!.openTransactionId,
      initialized: false,
      deleted: false,
    };
    ctx.docker.devices[hash] = info;
    try {
      closeTransaction(ctx);
    } catch (e) {
      if (e instanceof DriverError) {
        delete ctx.docker.devices[hash];
        poolMessage(ctx, `delete ${id}`);
      }
      throw e;
    }
    return info;
  } finally {
    reserved.clear();
  }
}

/** processPendingTransaction, at start: an open transaction beyond the pool's is rolled back. */
export function processPendingTransaction(ctx: DriverContext): void {
  const tx = ctx.docker.transaction;
  if (tx === null || tx.openTransactionId === ctx.docker.transactionId) return;
  if (tx.openTransactionId < ctx.docker.transactionId) {
    log(
      ctx,
      'info',
      `devmapper: Open Transaction id ${tx.openTransactionId} is less than pool transaction id ${ctx.docker.transactionId}`,
    );
    return;
  }
  log(
    ctx,
    'debug',
    `devmapper: Rolling back open transaction: TransactionID=${tx.openTransactionId} hash=${tx.deviceHash} device_id=${tx.deviceId}`,
  );
  const errno = poolMessage(ctx, `delete ${tx.deviceId}`);
  if (errno !== 0 && errno !== Errno.ENODATA)
    log(ctx, 'error', `devmapper: Unable to delete device: ${strerror(errno)}`);
  delete ctx.docker.devices[tx.deviceHash];
  ctx.docker.transaction = null;
}

// ------------------------------------------------------------------ activation

export function isActive(ctx: DriverContext, hash: string): boolean {
  return ctx.machine.device(deviceName(ctx.docker, hash)) !== undefined;
}

/** activateDeviceIfNeeded: `dmsetup create NAME --table "0 SIZE thin POOL ID"`. */
export function activateDevice(ctx: DriverContext, info: DeviceFile, forDiscard = false): void {
  if (info.deleted && !forDiscard)
    throw new DriverError(`devmapper: Can't activate device ${info.hash} as it is marked for deletion`);
  const name = deviceName(ctx.docker, info.hash);
  const pending = ctx.docker.deferredRemovals.indexOf(name);
  if (pending >= 0) ctx.docker.deferredRemovals.splice(pending, 1);
  if (ctx.machine.device(name) !== undefined) return;
  log(ctx, 'debug', `devmapper: activateDeviceIfNeeded(${info.hash})`);
  if (
    createDevice(
      ctx.machine,
      name,
      `0 ${Math.floor(info.sizeBytes / 512)} thin /dev/mapper/${ctx.docker.poolName} ${info.deviceId}`,
    ) !== 0
  ) {
    throw new DriverError('devicemapper: Error running deviceCreate (ActivateDevice) dm_task_run failed');
  }
}

/**
 * deactivateDeviceMode: with deferred removal the kernel removes the device when its last user
 * closes it; otherwise up to 200 tries 100 ms apart while it is busy (the clock moves 20 s).
 */
export function deactivateDevice(ctx: DriverContext, hash: string, deferred: boolean): void {
  const name = deviceName(ctx.docker, hash);
  const dev = ctx.machine.device(name);
  if (dev === undefined) return;
  log(ctx, 'debug', `devmapper: deactivateDevice START(${hash})`);
  if (removeDevice(ctx.machine, dev).ok) return;
  if (deferred) {
    if (!ctx.docker.deferredRemovals.includes(name)) ctx.docker.deferredRemovals.push(name);
    return;
  }
  for (let i = 1; i < REMOVE_RETRIES; i++) {
    ctx.machine.advance(REMOVE_RETRY_MS);
    if (removeDevice(ctx.machine, dev).ok) return;
  }
  throw new DriverError('Device is Busy');
}

/** Deferred removals the kernel completes once nothing holds the device. */
export function completeDeferredRemovals(ctx: DriverContext): void {
  ctx.docker.deferredRemovals = ctx.docker.deferredRemovals.filter((name) => {
    const dev = ctx.machine.device(name);
    if (dev === undefined) return false;
    return !removeDevice(ctx.machine, dev).ok;
  });
}

// ------------------------------------------------------------------ snapshots and the free-space gate

/** poolHasFreeSpace: checked before every snapshot (pull, build, container create). */
export function checkFreeSpace(ctx: DriverContext): void {
  const pct = ctx.docker.options!.minFreeSpacePercent;
  if (pct === 0) return;
  const s = poolStatus(ctx);
  if (s === null) throw new DriverError(`devmapper: Non existing device ${ctx.docker.poolName}`);
  const minData = Math.max(1, Math.floor((s.dataTotal * pct) / 100));
  const freeData = s.dataTotal - s.dataUsed;
  if (freeData < minData) {
    throw new DriverError(
      `devmapper: Thin Pool has ${freeData} free data blocks which is less than minimum required ${minData} free data blocks. Create more free space in thin pool or use dm.min_free_space option to change behavior`,
    );
  }
  const minMeta = Math.max(1, Math.floor((s.metaTotal * pct) / 100));
  const freeMeta = s.metaTotal - s.metaUsed;
  if (freeMeta < minMeta) {
    throw new DriverError(
      `devmapper: Thin Pool has ${freeMeta} free metadata blocks which is less than minimum required ${minMeta} free metadata blocks. Create more free metadata space in thin pool or use dm.min_free_space option to change behavior`,
    );
  }
}

/**
 * takeSnapshot's cancel of the origin's deferred removal meeting a device the kernel has just
 * removed (the lab fault `docker-fault gone-before-cancel`, with dm.use_deferred_removal): ENXIO.
 * A dockerd before moby PR #31356 suspends it anyway, with the device info it read before.
 */
function originGoneBeforeCancel(ctx: DriverContext, baseHash: string): void {
  if (ctx.docker.goneBeforeCancel !== true || !ctx.docker.options!.deferredRemoval) return;
  ctx.docker.goneBeforeCancel = false;
  const name = deviceName(ctx.docker, baseHash);
  ctx.docker.deferredRemovals = ctx.docker.deferredRemovals.filter((n) => n !== name);
  log(ctx, 'debug', `devmapper: cancelDeferredRemoval(${baseHash}): no such device or address`);
  if (DOCKER_VERSIONS[ctx.docker.version]!.suspendAfterEnxio)
    throw new DriverError('devicemapper: Error running deviceSuspend dm_task_run failed');
}

/** AddDevice(hash, baseHash): a snapshot of the parent, the origin suspended around it when active. */
export function addDevice(ctx: DriverContext, hash: string, baseHash: string, sizeBytes?: number): DeviceFile {
  log(ctx, 'debug', `devmapper: AddDevice START(hash=${hash} basehash=${baseHash})`);
  const base = ctx.docker.devices[baseHash];
  if (base === undefined) throw new DriverError(`devmapper: Unknown device ${baseHash}`);
  if (base.deleted) throw new DriverError(`devmapper: Base device ${baseHash} has been marked for deferred deletion`);
  const existing = ctx.docker.devices[hash];
  if (existing !== undefined)
    throw new DriverError(`devmapper: device ${hash} already exists. Deleted=${existing.deleted}`);
  const size = sizeBytes ?? base.sizeBytes;
  if (size < base.sizeBytes)
    throw new DriverError(`devmapper: Container size cannot be smaller than ${humanSize(base.sizeBytes)}`);
  checkFreeSpace(ctx);
  originGoneBeforeCancel(ctx, baseHash);
  const originDev = ctx.machine.device(deviceName(ctx.docker, baseHash));
  if (originDev !== undefined) ctx.machine.suspend(originDev);
  try {
    const info = createRegister(ctx, hash, size, base);
    ctx.docker.fsCursor[hash] = ctx.docker.fsCursor[baseHash] ?? 0;
    info.initialized = true;
    log(ctx, 'debug', `devmapper: AddDevice END(hash=${hash} basehash=${baseHash})`);
    return info;
  } finally {
    if (originDev !== undefined && ctx.machine.device(originDev.name) === originDev) ctx.machine.resume(originDev);
  }
}

/** The base device: created with `create_thin` in a transaction, activated, mkfs'd, then deactivated. */
export function createBaseDevice(ctx: DriverContext): DeviceFile {
  const o = ctx.docker.options!;
  const info = createRegister(ctx, '', o.baseSizeBytes, null);
  activateDevice(ctx, info);
  const fs = o.fs ?? 'xfs';
  const r = mkfs(ctx, info, fs);
  deactivateDevice(ctx, '', false);
  if (r !== 0)
    throw new DriverError(
      `devmapper: Error creating filesystem: ${r === 'hang' ? 'the pool never answered' : strerror(r)}`,
    );
  info.initialized = true;
  ctx.docker.baseFs = fs;
  ctx.docker.baseUuid = ctx.docker.baseUuid || '5b1f7b3c-5d0e-4a3b-9c3e-2f6d1c0a7e42';
  log(ctx, 'info', `devmapper: Successfully created filesystem ${fs} on device ${deviceName(ctx.docker, '')}`);
  return info;
}

const MIB = 1024 * 1024;

/**
 * mkfs as it touches a fresh thin device (what allocates pool blocks): xfs writes a header at the
 * start of each of its 4 allocation groups and zeroes its 17 MiB internal log in the middle; ext4
 * (with lazy_itable_init=0, as Docker runs it) writes every block group's bitmaps and inode table
 * (2 MiB per 128 MiB) and a 128 MiB journal.
 */
function mkfs(ctx: DriverContext, info: DeviceFile, fs: 'xfs' | 'ext4'): number | 'hang' {
  const size = info.sizeBytes;
  const name = deviceName(ctx.docker, info.hash);
  const writes: Array<readonly [number, number]> = [];
  if (fs === 'xfs') {
    for (let ag = 0; ag < 4; ag++) writes.push([Math.floor(size / 4 / MIB) * MIB * ag, 4096]);
    writes.push([Math.floor(size / 2 / MIB) * MIB + MIB, 17 * MIB]);
  } else {
    for (let g = 0; g * 128 * MIB < size; g++) writes.push([g * 128 * MIB, 2 * MIB]);
    writes.push([Math.floor(size / 2 / MIB) * MIB + 2 * MIB, 128 * MIB]);
  }
  for (const [offset, bytes] of writes) {
    const r = writeDevice(ctx, name, offset, bytes, FS_METADATA_TOKEN);
    if (r !== 0) return r;
  }
  ctx.docker.fsCursor[info.hash] = DATA_START_BYTES;
  return 0;
}

/** Sector contents the lab writes: filesystem metadata, and file data (one byte value per writer). */
const FS_METADATA_TOKEN = 0x46;
/** Where the lab's filesystem starts putting file data inside a device. */
const DATA_START_BYTES = 64 * MIB;

/**
 * Writes `bytes` at `offsetBytes` of an active device, 1 MiB at a time. A write the pool queues
 * (out of data space, queue mode) waits on the simulated clock for `no_space_timeout`; 'hang'
 * when nothing could ever end the wait.
 */
export function writeDevice(
  ctx: DriverContext,
  name: string,
  offsetBytes: number,
  bytes: number,
  token: number,
): number | 'hang' {
  const r = writeFill(ctx.machine, name, offsetBytes, bytes, token, (ticket) => waitFor(ctx, ticket));
  if (r !== 0) return r;
  // The filesystem commits its journal: a flush, which commits the pool's metadata.
  const flush = ctx.machine.flush(ctx.machine.device(name)!);
  if (!flush.done && !waitFor(ctx, flush)) return 'hang';
  return flush.errno;
}

/**
 * Writes a file of `bytes` into a device's filesystem (a layer's contents, a container's write):
 * file data at the filesystem's cursor plus an update of its first allocation group's header.
 * ENOSPC from the filesystem when the device (dm.basesize) is full.
 */
export function writeFile(ctx: DriverContext, hash: string, bytes: number, token: number): number | 'hang' {
  const info = ctx.docker.devices[hash]!;
  const cursor = ctx.docker.fsCursor[hash] ?? DATA_START_BYTES;
  const room = info.sizeBytes - cursor;
  const name = deviceName(ctx.docker, hash);
  const header = writeDevice(ctx, name, 0, 4096, FS_METADATA_TOKEN);
  if (header !== 0) return header;
  const n = Math.min(bytes, Math.max(0, room));
  if (n > 0) {
    const r = writeDevice(ctx, name, cursor, n, token);
    if (r !== 0) return r;
  }
  // Files start on 4 KiB filesystem blocks.
  ctx.docker.fsCursor[hash] = cursor + Math.ceil(n / 4096) * 4096;
  return n < bytes ? Errno.ENOSPC : 0;
}

// ------------------------------------------------------------------ removal

/**
 * DeleteDevice: discard (dm.blkdiscard), deactivate, then `delete ID` in a transaction. A busy
 * device with deferred deletion is marked deleted and left to the worker.
 */
export function deleteDevice(ctx: DriverContext, hash: string, syncDelete: boolean): void {
  const info = ctx.docker.devices[hash];
  if (info === undefined) return;
  log(ctx, 'debug', `devmapper: DeleteDevice START(hash=${hash} syncDelete=${syncDelete})`);
  const o = ctx.docker.options!;
  const name = deviceName(ctx.docker, hash);
  if (o.blkDiscard) {
    // deleteDevice ignores what issueDiscard returns: a device the pool no longer has cannot be
    // activated for the discard (moby/moby#34463), and the delete goes on without it.
    try {
      activateDevice(ctx, info, true);
    } catch (e) {
      if (!(e instanceof DriverError)) throw e;
    }
    const dev = ctx.machine.device(name);
    if (dev !== undefined && dev.openCount === 0) ctx.machine.discardSectors(dev, 0, Math.floor(info.sizeBytes / 512));
  }
  deactivateDevice(ctx, hash, o.deferredRemoval && o.deferredDeletion);
  openTransaction(ctx, hash, info.deviceId);
  let failure: DriverError | null = null;
  try {
    maybeCrash(ctx, 'delete');
    const errno = poolMessage(ctx, `delete ${info.deviceId}`);
    // Before moby PR #35919 an id the pool no longer has failed the removal (options.ts DOCKER_VERSIONS).
    const gone = errno === Errno.ENODATA && !DOCKER_VERSIONS[ctx.docker.version]!.deleteNoDataFails;
    if (errno === 0 || gone) {
      if (info.deleted)
        log(
          ctx,
          'debug',
          `devmapper: Deleted device ${hash} (device_id=${info.deviceId}) marked for deferred deletion`,
        );
      delete ctx.docker.devices[hash];
      delete ctx.docker.fsCursor[hash];
    } else if (errno === Errno.EBUSY && !syncDelete && o.deferredDeletion) {
      if (!info.deleted) {
        info.deleted = true;
        log(ctx, 'debug', `devmapper: Marked device ${hash} (device_id=${info.deviceId}) for deferred deletion`);
      }
    } else {
      failure = new DriverError(
        errno === Errno.EBUSY ? 'Device is Busy' : 'devicemapper: Error running DeleteDevice dm_task_run failed',
      );
    }
  } finally {
    // closeTransaction is deferred in Docker: set_transaction_id goes out even when delete failed,
    // and the delete's error is the one returned (its own failure is only logged then).
    try {
      closeTransaction(ctx);
    } catch (e) {
      // biome-ignore lint/correctness/noUnsafeFinally: Go's deferred close: its own error wins only when the delete succeeded.
      if (!(e instanceof DriverError) || failure === null) throw e;
      log(ctx, 'error', `devmapper: ${e.text}`);
    }
  }
  if (failure !== null) throw failure;
}

/** The deferred-deletion worker: every 30 s it retries every device marked deleted. */
export function runDeletionWorker(ctx: DriverContext): void {
  if (!ctx.docker.running) return;
  completeDeferredRemovals(ctx);
  if (ctx.machine.nowMs - ctx.docker.workerLastMs < DELETION_WORKER_MS) return;
  ctx.docker.workerLastMs = ctx.machine.nowMs - ((ctx.machine.nowMs - ctx.docker.workerLastMs) % DELETION_WORKER_MS);
  for (const info of Object.values(ctx.docker.devices).filter((d) => d.deleted)) {
    try {
      deleteDevice(ctx, info.hash, false);
    } catch (e) {
      if (!(e instanceof DriverError)) throw e;
      log(ctx, 'error', `devmapper: Deletion of device ${info.hash}, device_id=${info.deviceId} failed:${e.text}`);
    }
  }
}

export function deletedDeviceCount(docker: DockerState): number {
  return Object.values(docker.devices).filter((d) => d.deleted).length;
}

export { log as driverLog };
