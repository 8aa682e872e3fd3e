/**
 * Docker's devicemapper options (`--storage-opt dm.*` and `storage-opts` in daemon.json), parsed
 * and checked as moby's `NewDeviceSet` and `validateLVMConfig` do, with their defaults and their
 * error texts (docker-devicemapper.md §1). Keys are lower-cased; sizes are binary (RAMInBytes).
 */
import { ramInBytes } from './units.js';

export interface DmOptions {
  baseSizeBytes: number;
  /** dm.basesize was given on this start: only then may the base device grow (§2.9). */
  userBaseSize: boolean;
  loopDataSizeBytes: number;
  loopMetadataSizeBytes: number;
  blockSizeSectors: number;
  fs: 'xfs' | 'ext4' | null;
  mkfsArgs: string[];
  mountOptions: string;
  thinPoolDevice: string | null;
  dataDevice: string | null;
  metadataDevice: string | null;
  directLvmDevice: string | null;
  directLvmForce: boolean;
  thinpPercent: number | null;
  thinpMetaPercent: number | null;
  autoextendThreshold: number;
  autoextendPercent: number;
  blkDiscard: boolean;
  blkDiscardGiven: boolean;
  overrideUdevSyncCheck: boolean;
  deferredRemoval: boolean;
  deferredDeletion: boolean;
  minFreeSpacePercent: number;
  xfsNospaceMaxRetries: number | null;
  libdmLogLevel: number;
}

export const GIB = 1024 * 1024 * 1024;

/** The `dm.*` keys that parse as Docker parses them but whose effect the lab does not model: refused. */
export const UNMODELLED_DM_OPTIONS: readonly string[] = [
  'dm.directlvm_device_force',
  'dm.libdm_log_level',
  'dm.mkfsarg',
  'dm.mountopt',
  'dm.override_udev_sync_check',
  'dm.xfs_nospace_max_retries',
];

/** The refusal of the first option given whose effect the lab does not model, or null. */
function unmodelledOption(opts: readonly string[]): string | null {
  const keys = opts.map((raw) => raw.slice(0, raw.indexOf('=')).trim().toLowerCase());
  const unmodelled = UNMODELLED_DM_OPTIONS.find((k) => keys.includes(k));
  return unmodelled === undefined ? null : `thinlab: not modelled: storage option ${unmodelled}`;
}

/** Every `dm.*` key parseDmOptions parses; any other is moby's `devmapper: Unknown option` (test/not-modelled.test.ts). */
export const DM_OPTION_KEYS: readonly string[] = [
  'dm.basesize',
  'dm.blkdiscard',
  'dm.blocksize',
  'dm.datadev',
  'dm.directlvm_device',
  'dm.directlvm_device_force',
  'dm.fs',
  'dm.libdm_log_level',
  'dm.loopdatasize',
  'dm.loopmetadatasize',
  'dm.metadatadev',
  'dm.min_free_space',
  'dm.mkfsarg',
  'dm.mountopt',
  'dm.override_udev_sync_check',
  'dm.thinp_autoextend_percent',
  'dm.thinp_autoextend_threshold',
  'dm.thinp_metapercent',
  'dm.thinp_percent',
  'dm.thinpooldev',
  'dm.use_deferred_deletion',
  'dm.use_deferred_removal',
  'dm.xfs_nospace_max_retries',
];

export function defaultDmOptions(): DmOptions {
  return {
    baseSizeBytes: 10 * GIB,
    userBaseSize: false,
    loopDataSizeBytes: 100 * GIB,
    loopMetadataSizeBytes: 2 * GIB,
    blockSizeSectors: 128,
    fs: null,
    mkfsArgs: [],
    mountOptions: '',
    thinPoolDevice: null,
    dataDevice: null,
    metadataDevice: null,
    directLvmDevice: null,
    directLvmForce: false,
    thinpPercent: null,
    thinpMetaPercent: null,
    autoextendThreshold: 80,
    autoextendPercent: 20,
    blkDiscard: true,
    blkDiscardGiven: false,
    overrideUdevSyncCheck: false,
    // The lab's kernel is 6.1 (dm 4.47 >= 4.27) and its libdm supports deferred remove, so both
    // default to true in the driver's code (§1; the CLI docs say deletion is off by default).
    deferredRemoval: true,
    deferredDeletion: true,
    minFreeSpacePercent: 10,
    xfsNospaceMaxRetries: null,
    libdmLogLevel: 2,
  };
}

/** Go's strconv.ParseBool. */
function parseBool(v: string): boolean | null {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return null;
}

/** A percentage option of direct-lvm: an optional `%`, below 100 (the checks of `NewDeviceSet`). */
function percent(key: string, value: string, limit: number): number | string {
  const v = value.replace(/%$/, '');
  if (!/^[0-9]+$/.test(v)) return `could not parse \`${key}=${value}\``;
  const n = Number(v);
  if (n > limit || (limit === 99 && n >= 100)) return `${key} must be greater than 0 and less than 100`;
  return n;
}

/** Parses the options; a string is the error the daemon fails to start with. */
// biome-ignore lint/complexity/noExcessiveLinesPerFunction: one case per dm.* option, in moby's order (parseOptions in deviceset.go), so each can be checked against the source.
export function parseDmOptions(opts: readonly string[]): DmOptions | string {
  const o = defaultDmOptions();
  let deletionGiven = false;
  for (const raw of opts) {
    const eq = raw.indexOf('=');
    if (eq < 0) return `Unable to parse key/value option: ${raw}`;
    const key = raw.slice(0, eq).trim().toLowerCase();
    const val = raw.slice(eq + 1).trim();
    const size = (): number | string => ramInBytes(val);
    const bool = (): boolean | string => {
      const b = parseBool(val);
      return b === null ? `strconv.ParseBool: parsing "${val}": invalid syntax` : b;
    };
    switch (key) {
      case 'dm.basesize': {
        const s = size();
        if (typeof s === 'string') return s;
        o.baseSizeBytes = s;
        o.userBaseSize = true;
        break;
      }
      case 'dm.loopdatasize':
      case 'dm.loopmetadatasize': {
        const s = size();
        if (typeof s === 'string') return s;
        if (key === 'dm.loopdatasize') o.loopDataSizeBytes = s;
        else o.loopMetadataSizeBytes = s;
        break;
      }
      case 'dm.blocksize': {
        const s = size();
        if (typeof s === 'string') return s;
        o.blockSizeSectors = Math.floor(s / 512);
        break;
      }
      case 'dm.fs':
        if (val !== 'ext4' && val !== 'xfs') return `devmapper: Unsupported filesystem ${val}`;
        o.fs = val;
        break;
      case 'dm.mkfsarg':
        o.mkfsArgs.push(val);
        break;
      case 'dm.mountopt':
        o.mountOptions = o.mountOptions === '' ? val : `${o.mountOptions},${val}`;
        break;
      case 'dm.thinpooldev':
        o.thinPoolDevice = val.replace(/^\/dev\/mapper\//, '');
        break;
      case 'dm.datadev':
        o.dataDevice = val;
        break;
      case 'dm.metadatadev':
        o.metadataDevice = val;
        break;
      case 'dm.directlvm_device':
        o.directLvmDevice = val;
        break;
      case 'dm.directlvm_device_force': {
        const b = bool();
        if (typeof b === 'string') return b;
        o.directLvmForce = b;
        break;
      }
      case 'dm.thinp_percent':
      case 'dm.thinp_metapercent': {
        const p = percent(key, val, 99);
        if (typeof p === 'string') return p;
        if (key === 'dm.thinp_percent') o.thinpPercent = p;
        else o.thinpMetaPercent = p;
        break;
      }
      case 'dm.thinp_autoextend_threshold':
      case 'dm.thinp_autoextend_percent': {
        const p = percent(key, val, 100);
        if (typeof p === 'string') return p;
        if (key === 'dm.thinp_autoextend_threshold') o.autoextendThreshold = p;
        else o.autoextendPercent = p;
        break;
      }
      case 'dm.blkdiscard': {
        const b = bool();
        if (typeof b === 'string') return b;
        o.blkDiscard = b;
        o.blkDiscardGiven = true;
        break;
      }
      case 'dm.override_udev_sync_check': {
        const b = bool();
        if (typeof b === 'string') return b;
        o.overrideUdevSyncCheck = b;
        break;
      }
      case 'dm.use_deferred_removal':
      case 'dm.use_deferred_deletion': {
        const b = bool();
        if (typeof b === 'string') return b;
        if (key === 'dm.use_deferred_removal') o.deferredRemoval = b;
        else {
          o.deferredDeletion = b;
          deletionGiven = true;
        }
        break;
      }
      case 'dm.min_free_space': {
        if (!val.endsWith('%')) return 'devmapper: Option dm.min_free_space requires % suffix';
        const n = Number(val.slice(0, -1));
        if (!/^[0-9]+$/.test(val.slice(0, -1)))
          return `strconv.ParseUint: parsing "${val.slice(0, -1)}": invalid syntax`;
        if (n >= 100) return `devmapper: Invalid value ${n} for option dm.min_free_space`;
        o.minFreeSpacePercent = n;
        break;
      }
      case 'dm.xfs_nospace_max_retries': {
        if (!/^[0-9]+$/.test(val)) return `strconv.ParseUint: parsing "${val}": invalid syntax`;
        o.xfsNospaceMaxRetries = Number(val);
        break;
      }
      case 'dm.libdm_log_level': {
        const n = Number(val);
        if (!/^-?[0-9]+$/.test(val)) return `strconv.ParseInt: parsing "${val}": invalid syntax`;
        if (n < 2 || n > 7) return 'dm.libdm_log_level must be in range [2,7]';
        o.libdmLogLevel = n;
        break;
      }
      default:
        return `devmapper: Unknown option ${key}`;
    }
  }
  // Options Docker has whose effect the lab does not model (mkfs and mount arguments, XFS's retries,
  // udev, forcing direct-lvm over a filesystem): refused by name once they parse, never ignored.
  const refused = unmodelledOption(opts);
  if (refused !== null) return refused;
  // validateLVMConfig (MOBY-SETUP) and the rules that tie options together.
  if (o.directLvmDevice !== null && o.thinPoolDevice !== null)
    return 'cannot setup direct-lvm when `dm.thinpooldev` is also specified';
  if ((o.thinpPercent !== null || o.thinpMetaPercent !== null) && o.directLvmDevice === null) {
    return 'must provide device path in `dm.directlvm_device` in order to configure direct-lvm';
  }
  if ((o.thinpPercent === null) !== (o.thinpMetaPercent === null))
    return 'must set both `dm.thinp_percent` and `dm.thinp_metapercent` if either is specified';
  if (o.thinpPercent !== null && o.thinpMetaPercent !== null && o.thinpPercent + o.thinpMetaPercent > 100) {
    return 'combined `dm.thinp_percent` and `dm.thinp_metapercent` must not be greater than 100';
  }
  if (!o.blkDiscardGiven && (o.thinPoolDevice !== null || o.dataDevice !== null)) o.blkDiscard = false;
  // Without an explicit dm.use_deferred_deletion, deletion follows removal (both default on together).
  if (!deletionGiven) o.deferredDeletion = o.deferredRemoval;
  if (o.deferredDeletion && !o.deferredRemoval) {
    return 'devmapper: Deferred deletion can not be enabled as deferred removal is not enabled. Enable deferred removal using --storage-opt dm.use_deferred_removal=true parameter';
  }
  return o;
}

/**
 * The dockerd versions a lab can run (`docker-fault version VERSION`, a lab setting recorded like
 * every command): today's by default, and older ones where a catalogue incident
 * (docker-devicemapper.md §4) happens only before a fix. Each behaviour names the change that ended it.
 */
export interface DockerBehaviour {
  /** What `docker info` prints as Server Version. */
  readonly serverVersion: string;
  /** The Engine API version it serves (`docker version`). */
  readonly apiVersion: string;
  /**
   * A pool `delete` answered with ENODATA (the device is already gone) fails the removal. moby PR
   * #35919 (carrying #35333, merged 2018-01-03, first released in Docker CE 18.02) treats it as
   * deleted; before it a daemon killed between the pool delete and the metadata file's removal left
   * a container that could never be removed (moby/moby#34463, §4 entry 10).
   */
  readonly deleteNoDataFails: boolean;
  /**
   * takeSnapshot suspends the origin with the device info it read before cancelling the origin's
   * deferred removal, even when the cancel found the device already gone (ENXIO): `devicemapper:
   * Error running deviceSuspend dm_task_run failed`. moby PR #31356 (merged 2017-03, Docker 17.04)
   * drops the stale info and skips the suspend (docker-devicemapper.md §4 entry 19).
   */
  readonly suspendAfterEnxio: boolean;
}

export const DOCKER_VERSIONS: Readonly<Record<string, DockerBehaviour>> = {
  '20.10.24': { serverVersion: '20.10.24', apiVersion: '1.41', deleteNoDataFails: false, suspendAfterEnxio: false },
  // RHEL/CentOS 7's docker 1.13.1, the version of the 2021 workaround quoted in entry 10.
  '1.13.1': { serverVersion: '1.13.1', apiVersion: '1.26', deleteNoDataFails: true, suspendAfterEnxio: true },
};

export const CURRENT_DOCKER_VERSION = '20.10.24';
