/**
 * What Docker keeps, as plain data (so a lab snapshot holds it): the devicemapper driver's files
 * under /var/lib/docker/devicemapper (one metadata file per device, `deviceset-metadata`,
 * `transaction-metadata`), the layer store, images and containers, and what lives only in the
 * running daemon's memory (mount counts, the id bitmap, the pool's transaction id).
 */
import { CURRENT_DOCKER_VERSION, type DmOptions } from './options.js';

/** `metadata/<hash>`: `{"device_id","size","transaction_id","initialized","deleted"}`. */
export interface DeviceFile {
  readonly hash: string;
  deviceId: number;
  sizeBytes: number;
  transactionId: number;
  initialized: boolean;
  deleted: boolean;
}

/** `transaction-metadata`. */
export interface TransactionFile {
  openTransactionId: number;
  deviceHash: string;
  deviceId: number;
}

export interface Layer {
  /** chain id (sha256:...), what images refer to. */
  readonly chainId: string;
  readonly parent: string | null;
  /** The driver's id for the layer: the device hash. */
  readonly cacheId: string;
  readonly sizeBytes: number;
  readonly shortId: string;
}

export interface Image {
  readonly ref: string;
  readonly id: string;
  readonly layers: string[];
  readonly created: string;
  readonly command: string;
}

export type ContainerState = 'created' | 'running' | 'exited' | 'dead';

export interface Container {
  readonly id: string;
  readonly name: string;
  readonly image: string;
  readonly imageId: string;
  readonly mountId: string;
  state: ContainerState;
  exitCode: number;
  /** Bytes written into the container's read-write layer. */
  sizeRwBytes: number;
  readonly command: string;
  readonly createdSeq: number;
}

export interface LoopbackDevices {
  readonly dataDevice: string;
  readonly metadataDevice: string;
  readonly dataFile: string;
  readonly metadataFile: string;
}

export interface DockerState {
  /** The daemon's configuration as last started: daemon.json plus flags. */
  running: boolean;
  options: DmOptions | null;
  poolName: string;
  devicePrefix: string;
  /** /var/lib/docker/devicemapper/metadata/<hash> files (survive restarts and crashes). */
  devices: Record<string, DeviceFile>;
  /** deviceset-metadata. */
  nextDeviceId: number;
  baseFs: string;
  baseUuid: string;
  transaction: TransactionFile | null;
  /** setup-config.json of direct-lvm. */
  directLvmConfig: string | null;
  /**
   * Daemon memory in loop-lvm: the loop devices under the pool Docker built on its two sparse
   * files (`DataDevicePath` and the loop file paths `docker info` prints); null otherwise.
   */
  loopback: LoopbackDevices | null;
  /** Lab setting `docker-fault host-disk SIZE`: the size of the filesystem under /var/lib/docker; null is unbounded. */
  hostDiskBytes: number | null;
  /** Daemon memory: the pool's transaction id as the driver last set it. */
  transactionId: number;
  /** Daemon memory: device mount counts (Driver.Get / Put). */
  mounts: Record<string, number>;
  /** Devices whose removal was deferred: the kernel removes them when the last opener closes. */
  deferredRemovals: string[];
  /** When the deferred-deletion worker last ran (every 30 s). */
  workerLastMs: number;
  layers: Record<string, Layer>;
  images: Image[];
  containers: Container[];
  /** Where each device's filesystem puts the next file (the lab's filesystem model). */
  fsCursor: Record<string, number>;
  /** daemon.json's "debug": the driver's debug lines go to the log too. */
  debug: boolean;
  /** The daemon's log (`journalctl -u docker`). */
  log: string[];
  counter: number;
  /** What each removal gave back, for `thinlab why` (the lab's record, not Docker's). */
  removals: Array<{ keys: string[]; hashes: string[]; text: string }>;
  /** Lab fault `docker-fault hold`: container name -> the dm device a leaked mount holds open. */
  held: Record<string, string>;
  /**
   * Lab fault `docker-fault gone-before-cancel`: the next snapshot's origin is seen active with its
   * deferred removal pending, and the kernel removes it before the driver cancels that removal (ENXIO).
   */
  goneBeforeCancel?: boolean;
  /** A lab fault: crash the machine when the driver reaches this step (one shot). */
  crashBefore: string | null;
  /** Lab setting `docker-fault version VERSION`: which dockerd runs (a key of DOCKER_VERSIONS in options.ts). */
  version: string;
}

export function newDockerState(): DockerState {
  return {
    running: false,
    options: null,
    poolName: '',
    devicePrefix: 'docker-8:1-1048577',
    devices: {},
    nextDeviceId: 0,
    baseFs: '',
    baseUuid: '',
    transaction: null,
    directLvmConfig: null,
    loopback: null,
    hostDiskBytes: null,
    transactionId: 0,
    mounts: {},
    deferredRemovals: [],
    workerLastMs: 0,
    layers: {},
    images: [],
    containers: [],
    fsCursor: {},
    debug: false,
    log: [],
    counter: 0,
    removals: [],
    held: {},
    crashBefore: null,
    version: CURRENT_DOCKER_VERSION,
  };
}
