/**
 * dockerd's start and stop with the devicemapper driver: daemon.json and flags, the dm.* options,
 * direct-lvm setup (dm.directlvm_device, with the lab's LVM), the external pool (dm.thinpooldev),
 * crash recovery (processPendingTransaction), the base device and its growth at restart
 * (docker-devicemapper.md §2.1, §2.1b, §2.2, §2.9), and `docker info`'s devicemapper section (§2.8).
 */

import { createDevice, removeDevice } from '../lab/dm-ops.js';
import type { LabFileSystem } from '../lab/fs.js';
import { type LvmCommandName, type LvmContext, runLvmCommand } from '../lvm/lvm-commands.js';
import { findPv } from '../lvm/lvm-state.js';
import { strerror } from '../model/errno.js';
import { latin1Text } from '../shared/bytes.js';
import type { CommandIo } from '../shell/io.js';
import {
  activateDevice,
  createBaseDevice,
  type DriverContext,
  DriverError,
  deactivateDevice,
  deletedDeviceCount,
  deviceName,
  driverLog,
  forgetDaemonMemory,
  type PoolStatus,
  poolStatus,
  processPendingTransaction,
  writeDevice,
} from './deviceset.js';
import { type DockerState, type LoopbackDevices, newDockerState } from './docker-state.js';
import { type JsonValue, parseGoJson } from './go-json.js';
import { type DmOptions, parseDmOptions } from './options.js';
import { humanSize } from './units.js';

export const DAEMON_JSON = '/etc/docker/daemon.json';
/** The daemon.json directives the lab models. */
export const MODELLED_DIRECTIVES: readonly string[] = ['storage-driver', 'storage-opts', 'debug'];

/**
 * Directives dockerd has that the lab does not model: refused by name rather than ignored, since
 * each changes what the real daemon does (where its files are, what it logs, what survives a
 * restart). Any other key is dockerd's own error (no configuration option matches it).
 */
export const UNMODELLED_DIRECTIVES: readonly string[] = [
  'log-level',
  'data-root',
  'log-driver',
  'log-opts',
  'live-restore',
  'exec-opts',
  'insecure-registries',
  'registry-mirrors',
];
const KNOWN_DIRECTIVES = new Set([...MODELLED_DIRECTIVES, ...UNMODELLED_DIRECTIVES]);

export interface DaemonContext extends DriverContext {
  readonly fs: LabFileSystem;
  readonly lvmCtx: LvmContext;
}

export interface DaemonFlags {
  readonly storageDriver: string | null;
  readonly storageOpts: readonly string[];
}

function readFile(fs: LabFileSystem, path: string): string | null {
  const f = fs.get(path);
  return f === undefined ? null : latin1Text(f.readBytes(0, f.sizeBytes));
}

/** daemon.json merged with the flags, as dockerd's getConflictFreeConfiguration does. */
export function loadConfiguration(
  fs: LabFileSystem,
  flags: DaemonFlags,
): { driver: string; opts: string[]; debug: boolean } | string {
  const text = readFile(fs, DAEMON_JSON);
  let fileDriver: string | null = null;
  let fileOpts: string[] | null = null;
  let debug = false;
  if (text !== null && text.trim() !== '') {
    const parsed = parseGoJson(text);
    const prefix = `unable to configure the Docker daemon with file ${DAEMON_JSON}: `;
    if (!parsed.ok) return prefix + parsed.error;
    const v = parsed.value;
    if (v === null || typeof v !== 'object' || Array.isArray(v))
      return `${prefix}json: cannot unmarshal ${goType(v)} into Go value of type map[string]interface {}`;
    const unknown = Object.keys(v).filter((k) => !KNOWN_DIRECTIVES.has(k));
    if (unknown.length > 0)
      return `${prefix}the following directives don't match any configuration option: ${unknown.join(', ')}`;
    const unmodelled = Object.keys(v).find((k) => UNMODELLED_DIRECTIVES.includes(k));
    if (unmodelled !== undefined) return `thinlab: not modelled: daemon.json directive "${unmodelled}"`;
    if (v.debug !== undefined) {
      if (typeof v.debug !== 'boolean')
        return `${prefix}json: cannot unmarshal ${goType(v.debug)} into Go struct field Config.debug of type bool`;
      debug = v.debug;
    }
    const sd = v['storage-driver'];
    if (sd !== undefined) {
      if (typeof sd !== 'string')
        return `${prefix}json: cannot unmarshal ${goType(sd)} into Go struct field Config.storage-driver of type string`;
      fileDriver = sd;
    }
    const so = v['storage-opts'];
    if (so !== undefined) {
      if (!Array.isArray(so))
        return `${prefix}json: cannot unmarshal ${goType(so)} into Go struct field Config.storage-opts of type []string`;
      const bad = so.find((x) => typeof x !== 'string');
      if (bad !== undefined)
        return `${prefix}json: cannot unmarshal ${goType(bad)} into Go struct field Config.storage-opts of type string`;
      fileOpts = so as string[];
    }
    const conflicts: string[] = [];
    if (fileDriver !== null && flags.storageDriver !== null)
      conflicts.push(`storage-driver: (from flag: ${flags.storageDriver}, from file: ${fileDriver})`);
    if (fileOpts !== null && flags.storageOpts.length > 0)
      conflicts.push(`storage-opts: (from flag: [${flags.storageOpts.join(' ')}], from file: [${fileOpts.join(' ')}])`);
    if (conflicts.length > 0)
      return `${prefix}the following directives are specified both as a flag and in the configuration file: ${conflicts.join(', ')}`;
  }
  return { driver: flags.storageDriver ?? fileDriver ?? 'overlay2', opts: [...(fileOpts ?? flags.storageOpts)], debug };
}

function goType(v: JsonValue): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  return typeof v === 'boolean' ? 'bool' : typeof v === 'number' ? 'number' : 'string';
}

/** Starts the daemon; the error dockerd exits with, or null. */
export function startDaemon(ctx: DaemonContext, flags: DaemonFlags): string | null {
  const d = ctx.docker;
  if (d.running) return null;
  const config = loadConfiguration(ctx.fs, flags);
  if (typeof config === 'string') return config;
  if (config.driver !== 'devicemapper') {
    return `thinlab: the lab runs Docker with the devicemapper storage driver only (storage-driver is "${config.driver}"); set "storage-driver": "devicemapper" in ${DAEMON_JSON}`;
  }
  d.debug = config.debug;
  const options = parseDmOptions(config.opts);
  if (typeof options === 'string') return `error initializing graphdriver: ${options}`;
  try {
    initDevmapper(ctx, options);
  } catch (e) {
    if (e instanceof DriverError) return `error initializing graphdriver: ${e.text}`;
    throw e;
  }
  d.running = true;
  d.workerLastMs = ctx.machine.nowMs;
  // Containers that were running do not come back by themselves (no restart policy in the lab).
  return null;
}

function initDevmapper(ctx: DaemonContext, o: DmOptions): void {
  const built: { pool: string | null } = { pool: null };
  try {
    initPoolAndBase(ctx, o, built);
  } catch (e) {
    // CreatePool's deferred cleanup: a pool Docker built in this start is deactivated again when
    // a later step fails (its loop devices, autoclear, go with it).
    const pool = built.pool === null ? undefined : ctx.machine.device(built.pool);
    if (e instanceof DriverError && pool !== undefined) removeDevice(ctx.machine, pool);
    throw e;
  }
}

function initPoolAndBase(ctx: DaemonContext, o: DmOptions, built: { pool: string | null }): void {
  const d = ctx.docker;
  if (o.directLvmDevice !== null) setupDirectLvm(ctx, o);
  let poolName = o.directLvmDevice !== null ? 'docker-thinpool' : o.thinPoolDevice;
  if (poolName === null && o.dataDevice !== null && o.metadataDevice !== null) {
    // dm.datadev and dm.metadatadev: Docker builds and owns the pool `<prefix>-pool` on them.
    poolName = `${d.devicePrefix}-pool`;
    if (ctx.machine.device(poolName) === undefined) {
      createDockerPool(ctx, poolName, o);
      built.pool = poolName;
    }
  }
  d.loopback = null;
  if (poolName === null) {
    // Loop-lvm: the pool on two sparse files Docker makes itself.
    poolName = `${d.devicePrefix}-pool`;
    if (ctx.machine.device(poolName) === undefined) {
      d.loopback = createLoopbackPool(ctx, poolName, o);
      built.pool = poolName;
    } else {
      d.loopback = loopbackOfPool(ctx, poolName);
    }
  }
  const dev = ctx.machine.device(poolName);
  if (dev === undefined) throw new DriverError(`devmapper: Non existing device ${poolName}`);
  if (dev.live?.type !== 'thin-pool') throw new DriverError(`devmapper: Device ${poolName} is not a thin pool`);
  const previous = d.options;
  d.options = o;
  d.poolName = poolName;
  const status = poolStatus(ctx)!;
  d.transactionId = status.transactionId;
  // initMetaData: the device files are on disk; a pending transaction is rolled back.
  processPendingTransaction(ctx);
  d.transaction = null;
  // Step 15 of initDevmapper, before the base image: the loop-lvm warning in the daemon's log.
  if (d.loopback !== null) {
    driverLog(
      ctx,
      'warning',
      'devmapper: Usage of loopback devices is strongly discouraged for production use. Please use `--storage-opt dm.thinpooldev` or use `man dockerd` to refer to dm.thinpooldev section.',
    );
  }
  try {
    setupBaseImage(ctx, o, status);
  } catch (e) {
    d.options = previous;
    throw e;
  }
  if (o.deferredRemoval) driverLog(ctx, 'info', 'devmapper: Deferred removal support enabled.');
  if (o.deferredDeletion) driverLog(ctx, 'info', 'devmapper: Deferred deletion support enabled.');
}

/**
 * verifyBaseDeviceUUIDFS (§2.2): the base device Docker recorded is activated for blkid. In a pool
 * that does not hold it (a daemon started without its storage options meets a fresh pool,
 * moby/moby#6325, #21606) the activation fails, and the start with it. The lab's filesystems
 * all carry one UUID, so another pool that has a device with the base's id would pass.
 */
function verifyBaseDevice(ctx: DaemonContext, base: NonNullable<DockerState['devices'][string]>): void {
  try {
    activateDevice(ctx, base);
  } catch (e) {
    if (e instanceof DriverError)
      throw new DriverError(`devmapper: Base Device UUID and Filesystem verification failed: ${e.text}`);
    throw e;
  }
  deactivateDevice(ctx, '', false);
}

function setupBaseImage(ctx: DaemonContext, o: DmOptions, status: { dataUsed: number; transactionId: number }): void {
  const d = ctx.docker;
  const base = d.devices[''];
  if (base?.initialized && !base.deleted) {
    verifyBaseDevice(ctx, base);
    if (o.fs !== null && o.fs !== d.baseFs) {
      driverLog(
        ctx,
        'warning',
        `devmapper: Base device already exists and has filesystem ${d.baseFs} on it. User specified filesystem ${o.fs} will be ignored.`,
      );
    }
    if (!o.userBaseSize || o.baseSizeBytes === base.sizeBytes) return;
    if (o.baseSizeBytes < base.sizeBytes)
      throw new DriverError(`devmapper: Base device size cannot be smaller than ${humanSize(base.sizeBytes)}`);
    // checkGrowBaseDeviceFS: a new size, then the filesystem grown (resize writes new group headers).
    const oldSize = base.sizeBytes;
    base.sizeBytes = o.baseSizeBytes;
    activateDevice(ctx, base);
    const r = writeDevice(ctx, deviceName(d, ''), Math.floor(oldSize / (1024 * 1024)) * 1024 * 1024, 4096, 0x46);
    deactivateDevice(ctx, '', false);
    if (r !== 0)
      throw new DriverError(`Failed to grow rootfs:${r === 'hang' ? 'the pool never answered' : strerror(r)}:`);
    driverLog(
      ctx,
      'info',
      `devmapper: Base device size grown from ${humanSize(oldSize)} to ${humanSize(o.baseSizeBytes)}`,
    );
    return;
  }
  if (o.thinPoolDevice !== null || o.directLvmDevice !== null) {
    // checkThinPool: only a pool Docker did not build has to be unused.
    if (status.dataUsed !== 0)
      throw new DriverError(
        `devmapper: Unable to take ownership of thin-pool (${d.poolName}) that already has used data blocks`,
      );
    if (status.transactionId !== 0)
      throw new DriverError(
        `devmapper: Unable to take ownership of thin-pool (${d.poolName}) with non-zero transaction ID`,
      );
  }
  createBaseDevice(ctx);
}

function createDockerPool(ctx: DaemonContext, poolName: string, o: DmOptions): void {
  createPoolTable(ctx, poolName, o.dataDevice!, o.metadataDevice!, o, () => undefined);
}

/** CreatePool: `0 <data sectors> thin-pool <metadata> <data> <block size> 32768 1 skip_block_zeroing` (§2.1 step 12). */
function createPoolTable(
  ctx: DaemonContext,
  poolName: string,
  dataDevice: string,
  metadataDevice: string,
  o: DmOptions,
  onFailure: () => void,
): void {
  const data = ctx.machine.resolve(dataDevice);
  const meta = ctx.machine.resolve(metadataDevice);
  const table =
    data === null
      ? ''
      : `0 ${ctx.machine.sizeSectors(data)} thin-pool ${metadataDevice} ${dataDevice} ${o.blockSizeSectors} 32768 1 skip_block_zeroing`;
  if (data === null || meta === null || createDevice(ctx.machine, poolName, table) !== 0) {
    onFailure();
    throw new DriverError('devicemapper: Error running deviceCreate (CreatePool) dm_task_run failed');
  }
}

/** Docker's loop files: `<root>/devicemapper/data` and `<root>/devicemapper/metadata` (§2.0). */
export const LOOP_DATA_FILE = '/var/lib/docker/devicemapper/devicemapper/data';
export const LOOP_METADATA_FILE = '/var/lib/docker/devicemapper/devicemapper/metadata';

/**
 * ensureImage: a missing file is made sparse at its size; an existing smaller one is grown (which
 * is how a larger dm.loopdatasize takes effect at a restart); a larger one is kept, with a warning.
 */
function ensureImage(ctx: DaemonContext, path: string, sizeBytes: number): void {
  const existing = ctx.fs.get(path);
  if (existing !== undefined && existing.sizeBytes > sizeBytes) {
    driverLog(ctx, 'warning', `devmapper: Can't shrink loopback file ${path}`);
    return;
  }
  if (existing !== undefined && existing.sizeBytes === sizeBytes) return;
  const f = ctx.fs.openForWrite(path, false);
  if (typeof f === 'string') throw new DriverError(`devmapper: ${f}`);
  f.resize(sizeBytes);
}

/** AttachLoopDevice: the first free loop device, with autoclear, as pkg/loopback does. */
function attachLoopFile(ctx: DaemonContext, path: string): string {
  const file = ctx.fs.get(path)!;
  const loop = ctx.machine.loops.find((l) => l.storage === null) ?? ctx.machine.addLoopDevice();
  if (ctx.machine.attachLoop(loop, file.storage, path, file.sizeBytes, true) !== 0)
    throw new DriverError('Error: Loopback mounting failed');
  return `/dev/${loop.kernelName}`;
}

/** Loop-lvm pool creation (§2.1 steps 11-12): the sparse files, their loop devices, CreatePool. */
function createLoopbackPool(ctx: DaemonContext, poolName: string, o: DmOptions): LoopbackDevices {
  ensureImage(ctx, LOOP_DATA_FILE, o.loopDataSizeBytes);
  const dataDevice = attachLoopFile(ctx, LOOP_DATA_FILE);
  ensureImage(ctx, LOOP_METADATA_FILE, o.loopMetadataSizeBytes);
  const metadataDevice = attachLoopFile(ctx, LOOP_METADATA_FILE);
  const loopback = { dataDevice, metadataDevice, dataFile: LOOP_DATA_FILE, metadataFile: LOOP_METADATA_FILE };
  createPoolTable(ctx, poolName, dataDevice, metadataDevice, o, () => {
    // A pool that could not be built leaves no loop devices behind (their autoclear needs a user).
    for (const dev of [dataDevice, metadataDevice]) {
      const loop = ctx.machine.resolve(dev);
      if (loop?.kind === 'loop') ctx.machine.detachLoop(loop);
    }
  });
  return loopback;
}

/** loadThinPoolLoopBackInfo: the pool already exists; its table names the loop devices. */
function loopbackOfPool(ctx: DaemonContext, poolName: string): LoopbackDevices | null {
  const t = ctx.machine.device(poolName)?.live;
  if (t?.type !== 'thin-pool' || t.dataDev.kind !== 'loop' || t.metadataDev.kind !== 'loop') return null;
  if (t.dataDev.backingFile !== LOOP_DATA_FILE || t.metadataDev.backingFile !== LOOP_METADATA_FILE) return null;
  return {
    dataDevice: `/dev/${t.dataDev.kernelName}`,
    metadataDevice: `/dev/${t.metadataDev.kernelName}`,
    dataFile: LOOP_DATA_FILE,
    metadataFile: LOOP_METADATA_FILE,
  };
}

/** setupDirectLVM: pvcreate, vgcreate docker, the data and metadata LVs, lvconvert, the profile. */
function setupDirectLvm(ctx: DaemonContext, o: DmOptions): void {
  const dev = o.directLvmDevice!;
  const config = JSON.stringify({
    Device: dev,
    ThinpPercent: o.thinpPercent ?? 95,
    ThinpMetaPercent: o.thinpMetaPercent ?? 1,
    AutoExtendPercent: o.autoextendPercent,
    AutoExtendThreshold: o.autoextendThreshold,
  });
  const d = ctx.docker;
  if (d.directLvmConfig !== null) {
    if (d.directLvmConfig !== config) throw new DriverError('changing direct-lvm config is not supported');
    return;
  }
  if (ctx.machine.resolve(dev) === null) throw new DriverError(`${dev} is not available for use with devicemapper`);
  const pv = findPv(ctx.lvmCtx.lvm, dev);
  if (pv?.vg != null)
    throw new DriverError(
      `${dev} is already part of a volume group "${pv.vg}": must remove this device from any volume group or provide a different device`,
    );
  const quiet: CommandIo = { stdin: new Uint8Array(0), out: () => undefined, err: () => undefined };
  const steps: Array<readonly [LvmCommandName, string[]]> = [
    ['pvcreate', ['-f', dev]],
    ['vgcreate', ['docker', dev]],
    ['lvcreate', ['--wipesignatures', 'y', '-n', 'thinpool', 'docker', '--extents', `${o.thinpPercent ?? 95}%VG`]],
    [
      'lvcreate',
      ['--wipesignatures', 'y', '-n', 'thinpoolmeta', 'docker', '--extents', `${o.thinpMetaPercent ?? 1}%VG`],
    ],
    [
      'lvconvert',
      ['-y', '--zero', 'n', '-c', '512K', '--thinpool', 'docker/thinpool', '--poolmetadata', 'docker/thinpoolmeta'],
    ],
  ];
  for (const [cmd, args] of steps) {
    let err = '';
    const status = runLvmCommand(ctx.lvmCtx, cmd, args, { ...quiet, err: (t) => (err += t) });
    if (status !== 0) throw new DriverError(`error running ${cmd}: exit status ${status}: ${err.trim()}`);
  }
  const profile = ctx.fs.openForWrite('/etc/lvm/profile/docker-thinpool.profile', true);
  if (typeof profile !== 'string') {
    profile.writeBytes(
      0,
      new TextEncoder().encode(
        `activation {\n\tthin_pool_autoextend_threshold=${o.autoextendThreshold}\n\tthin_pool_autoextend_percent=${o.autoextendPercent}\n}\n`,
      ),
    );
  }
  runLvmCommand(ctx.lvmCtx, 'lvchange', ['--metadataprofile', 'docker-thinpool', 'docker/thinpool'], quiet);
  d.directLvmConfig = config;
}

export function stopDaemon(ctx: DaemonContext): void {
  const d = ctx.docker;
  if (!d.running) return;
  for (const c of d.containers) {
    if (c.state === 'running') {
      c.state = 'exited';
      c.exitCode = 0;
    }
  }
  // Shutdown: unmount and deactivate every mounted device, then the base device.
  for (const hash of Object.keys(d.mounts)) {
    try {
      deactivateDevice(ctx, hash, false);
    } catch (e) {
      if (!(e instanceof DriverError)) throw e;
      driverLog(ctx, 'warning', `devmapper: error deactivating device ${hash}: ${e.text}`);
    }
  }
  // Docker removes a pool it owns (dm.datadev/dm.metadatadev) at shutdown.
  const o = d.options;
  if (o !== null && o.thinPoolDevice === null && o.directLvmDevice === null) {
    const pool = ctx.machine.device(d.poolName);
    if (pool !== undefined && !removeDevice(ctx.machine, pool).ok)
      driverLog(ctx, 'warning', `devmapper: device ${d.poolName} still has ${pool.openCount} active dependents`);
  }
  forgetDaemonMemory(d);
}

const ZERO_COUNTS: PoolStatus = {
  transactionId: 0,
  metaUsed: 0,
  metaTotal: 0,
  dataUsed: 0,
  dataTotal: 0,
  lengthSectors: 0,
};

/** poolStatus for Status(), which ignores its error: `unreadable` instead of the DriverError. */
function poolStatusForInfo(ctx: DaemonContext): PoolStatus | null | 'unreadable' {
  try {
    return poolStatus(ctx);
  } catch (e) {
    if (e instanceof DriverError) return 'unreadable';
    throw e;
  }
}

/** The devicemapper lines of `docker info` (MOBY-DRV Status), with Docker's formulas. */
export function infoLines(ctx: DaemonContext): string[] {
  const d = ctx.docker;
  const o = d.options!;
  const read = poolStatusForInfo(ctx);
  const lines = [` Pool Name: ${d.poolName}`];
  if (read === null) return lines;
  // Status() keeps its zero counts when poolStatus fails (a pool in Fail mode): 0B everywhere.
  const s = read === 'unreadable' ? ZERO_COUNTS : read;
  const loop = d.loopback;
  const blockSectors = s.dataTotal === 0 ? 0 : Math.floor(s.lengthSectors / s.dataTotal);
  const blockBytes = blockSectors * 512;
  const dataUsed = s.dataUsed * blockBytes;
  const dataTotal = s.dataTotal * blockBytes;
  const metaUsed = s.metaUsed * 4096;
  const metaTotal = s.metaTotal * 4096;
  // Loop files that are regular files: what is left is also bounded by their filesystem's free
  // space (statfs Bfree*Bsize), which may be far less than the sparse files promise (moby#23869).
  const hostFree = loopHostFreeBytes(ctx, metaUsed);
  const available = (total: number, used: number): number =>
    hostFree === null ? total - used : Math.min(total - used, hostFree);
  lines.push(
    ` Pool Blocksize: ${humanSize(blockBytes)}`,
    ` Base Device Size: ${humanSize(d.devices['']?.sizeBytes ?? o.baseSizeBytes)}`,
    ` Backing Filesystem: ${d.baseFs}`,
    ' Udev Sync Supported: true',
    ...(o.dataDevice !== null && o.thinPoolDevice === null ? [` Data file: ${o.dataDevice}`] : []),
    ...(o.metadataDevice !== null && o.thinPoolDevice === null ? [` Metadata file: ${o.metadataDevice}`] : []),
    ...(loop !== null
      ? [
          ` Data file: ${loop.dataDevice}`,
          ` Metadata file: ${loop.metadataDevice}`,
          ` Data loop file: ${loop.dataFile}`,
          ` Metadata loop file: ${loop.metadataFile}`,
        ]
      : []),
    ` Data Space Used: ${humanSize(dataUsed)}`,
    ` Data Space Total: ${humanSize(dataTotal)}`,
    ` Data Space Available: ${humanSize(available(dataTotal, dataUsed))}`,
    ` Metadata Space Used: ${humanSize(metaUsed)}`,
    ` Metadata Space Total: ${humanSize(metaTotal)}`,
    ` Metadata Space Available: ${humanSize(available(metaTotal, metaUsed))}`,
    ` Thin Pool Minimum Free Space: ${humanSize(Math.floor((s.dataTotal * o.minFreeSpacePercent) / 100) * blockBytes)}`,
    ` Deferred Removal Enabled: ${o.deferredRemoval}`,
    ` Deferred Deletion Enabled: ${o.deferredDeletion}`,
    ` Deferred Deleted Device Count: ${deletedDeviceCount(d)}`,
    ' Library Version: 1.02.185 (2022-05-18)',
  );
  return lines;
}

/**
 * Free bytes of the filesystem under the loop files, when the lab gave it a size: the data file
 * occupies the sectors written into it (holes cost nothing), the metadata file the pool's used
 * metadata blocks (the kernel writes no others).
 */
function loopHostFreeBytes(ctx: DaemonContext, metadataUsedBytes: number): number | null {
  const d = ctx.docker;
  const size = d.hostDiskBytes ?? null;
  if (d.loopback === null || size === null) return null;
  const data = ctx.fs.get(d.loopback.dataFile);
  const occupied = (data?.storage.store.nonZeroSectors() ?? 0) * 512 + metadataUsedBytes;
  return Math.max(0, size - occupied);
}

/** `rm -rf /var/lib/docker`: the driver's files, images and containers are gone; the pool is not touched. */
export function wipeDockerRoot(docker: DockerState, io: CommandIo, fs: LabFileSystem): number {
  if (docker.running) {
    io.err("rm: can't remove '/var/lib/docker/devicemapper/mnt': Device or resource busy\n");
    return 1;
  }
  // Loop-lvm's sparse files go too (a loop device still attached keeps their sectors, as a deleted
  // file stays alive while it is open).
  for (const path of fs.list('/var/lib/docker/')) fs.remove(path);
  const fresh = newDockerState();
  // The log, and the size of the disk the files were on, are not in /var/lib/docker.
  const keep = { log: docker.log, counter: docker.counter, hostDiskBytes: docker.hostDiskBytes };
  Object.assign(docker, fresh, keep);
  return 0;
}
