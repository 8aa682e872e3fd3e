/**
 * LVM's own state, the part thin pools need: physical volumes, volume groups, logical volumes as
 * runs of extents on the physical volumes, thin pools with their hidden `_tdata`, `_tmeta` and
 * `lvol0_pmspare` volumes, and the configuration profiles. Pure data and pure functions: the shell
 * adapter (lvm-commands.ts) turns volumes into device-mapper tables on the lab machine.
 *
 * Everything here is plain objects and arrays, so a snapshot of the lab stores it as it is.
 */

/** LVM's default physical extent: 4 MiB. */
export const EXTENT_SECTORS = 8192;
/** Where the first extent starts on a physical volume: after the label and the 1 MiB metadata area. */
export const PE_START_SECTORS = 2048;
/** lvm2's DEFAULT_THIN_POOL_MIN_METADATA_SIZE: 2 MiB. */
export const MIN_POOL_METADATA_SECTORS = 4096;
/** The largest metadata LVM plans for (16192 MiB, the value "can address at most" is computed from). */
export const MAX_POOL_METADATA_SECTORS = 16192 * 2048;
/** lvm2's DEFAULT_THIN_POOL_OPTIMAL_METADATA_SIZE: 128 MiB; a bigger estimate doubles the chunk size. */
export const OPTIMAL_POOL_METADATA_SECTORS = 128 * 2048;
/** Default chunk size of a thin pool (allocation/thin_pool_chunk_size_policy "generic"): 64 KiB. */
export const DEFAULT_CHUNK_SECTORS = 128;

export interface PhysicalVolume {
  readonly device: string;
  readonly sizeSectors: number;
  vg: string | null;
  /** Extents, once the volume belongs to a group. */
  peCount: number;
}

export interface LvSegment {
  readonly pv: string;
  readonly startExtent: number;
  extents: number;
}

export type LvRole = 'linear' | 'thin-pool' | 'thin' | 'pool-data' | 'pool-metadata' | 'pool-spare';

export interface LogicalVolume {
  name: string;
  role: LvRole;
  /** Extents on physical volumes (linear volumes and the hidden volumes of a pool). */
  segments: LvSegment[];
  active: boolean;
  // Thin pools.
  chunkSectors: number;
  zeroNewBlocks: boolean;
  dataLv: string | null;
  metadataLv: string | null;
  /** The metadata profile (`--metadataprofile`), by name. */
  profile: string | null;
  /** The transaction id LVM expects the pool to have: LVM moves it with each thin volume it creates or removes. */
  transactionId: number;
  errorWhenFull: boolean;
  /** LVM's permission `r` (lv_attr's second letter): a repair's `POOL_meta0` on LVM 2.03.31. */
  readOnly?: boolean;
  /** A pool's hidden volume activated on its own, read-only (component activation, fixtures/lvm/86). */
  component?: boolean;
  /** When the command that made it ran, on the lab's wall clock (lvdisplay's `LV Creation host, time`). */
  createdSecs?: number;
  // Thin volumes.
  pool: string | null;
  thinId: number;
  virtualSectors: number;
}

export interface VolumeGroup {
  readonly name: string;
  readonly extentSectors: number;
  /**
   * LVM's metadata sequence number (`seqno` in the metadata, vgdisplay's `Metadata Sequence No`,
   * vgs's `vg_seqno`): each commit of the group's metadata (vg_write and vg_commit) moves it by one.
   */
  seqno: number;
  pvs: string[];
  lvs: LogicalVolume[];
}

export interface LvmState {
  pvs: PhysicalVolume[];
  vgs: VolumeGroup[];
  /** When the monitor (dmeventd) last looked at the pools, on the simulated clock. */
  monitorLastMs: number;
  /** What the monitor logged (syslog in real life): `journalctl -u dm-event` prints it. */
  monitorLog: string[];
  /** Per pool (dm name): the device's event counter and the usage step (5 %) last seen by the monitor. */
  monitorSeen: Record<string, { events: number; dataStep: number; metaStep: number }>;
  /** What the running LVM command found out about the kernel's thin targets (src/lvm/lvm-modprobe.ts). */
  targetCheck?: { checked: boolean; present: boolean };
  /** The pools whose metadata check failed in the running LVM command (VG/POOL). */
  failedChecks?: string[];
}

export function newLvmState(): LvmState {
  return { pvs: [], vgs: [], monitorLastMs: 0, monitorLog: [], monitorSeen: {} };
}

export function newLv(name: string, role: LvRole, segments: LvSegment[]): LogicalVolume {
  return {
    name,
    role,
    segments,
    active: false,
    chunkSectors: 0,
    zeroNewBlocks: true,
    dataLv: null,
    metadataLv: null,
    profile: null,
    transactionId: 0,
    errorWhenFull: false,
    pool: null,
    thinId: 0,
    virtualSectors: 0,
  };
}

/**
 * One commit of the group's metadata (lvm2's vg_write then vg_commit): the sequence number moves
 * by one. A command commits as often as lvm2 does (fixtures/lvm/100: a thin pool or a thin volume
 * takes more than one), so each caller commits where lvm2 does.
 */
export function commitVg(vg: VolumeGroup): void {
  vg.seqno += 1;
}

export function findVg(state: LvmState, name: string): VolumeGroup | undefined {
  return state.vgs.find((v) => v.name === name);
}

export function findPv(state: LvmState, device: string): PhysicalVolume | undefined {
  return state.pvs.find((p) => p.device === device);
}

export function findLv(vg: VolumeGroup, name: string): LogicalVolume | undefined {
  return vg.lvs.find((l) => l.name === name);
}

export function lvExtents(lv: LogicalVolume): number {
  return lv.segments.reduce((n, s) => n + s.extents, 0);
}

/** Size of a volume: its extents, or for a pool its data volume, or for a thin volume its virtual size. */
export function lvSizeSectors(vg: VolumeGroup, lv: LogicalVolume): number {
  if (lv.role === 'thin') return lv.virtualSectors;
  if (lv.role === 'thin-pool') {
    const data = lv.dataLv === null ? undefined : findLv(vg, lv.dataLv);
    return data === undefined ? 0 : lvExtents(data) * vg.extentSectors;
  }
  return lvExtents(lv) * vg.extentSectors;
}

export function vgExtentCount(state: LvmState, vg: VolumeGroup): number {
  return vg.pvs.reduce((n, d) => n + (findPv(state, d)?.peCount ?? 0), 0);
}

export function vgFreeExtents(state: LvmState, vg: VolumeGroup): number {
  const used = vg.lvs.reduce((n, lv) => n + lvExtents(lv), 0);
  return vgExtentCount(state, vg) - used;
}

/** Free runs of extents on one physical volume, in disk order. */
export function freeRuns(state: LvmState, vg: VolumeGroup, device: string): Array<{ start: number; extents: number }> {
  const pv = findPv(state, device);
  if (pv === undefined) return [];
  const used = new Uint8Array(pv.peCount);
  for (const lv of vg.lvs)
    for (const s of lv.segments) if (s.pv === device) used.fill(1, s.startExtent, s.startExtent + s.extents);
  const runs: Array<{ start: number; extents: number }> = [];
  for (let i = 0; i < pv.peCount; ) {
    if (used[i] === 1) {
      i++;
      continue;
    }
    let j = i;
    while (j < pv.peCount && used[j] === 0) j++;
    runs.push({ start: i, extents: j - i });
    i = j;
  }
  return runs;
}

/**
 * Picks extents for a new volume (or the growth of one) as LVM's "normal" policy does in the
 * simple cases: one free run that holds it all, else free runs in disk order. Null when the group
 * has too few free extents.
 */
export function allocateExtents(state: LvmState, vg: VolumeGroup, extents: number): LvSegment[] | null {
  if (extents > vgFreeExtents(state, vg)) return null;
  for (const device of vg.pvs) {
    const fit = freeRuns(state, vg, device).find((r) => r.extents >= extents);
    if (fit !== undefined) return [{ pv: device, startExtent: fit.start, extents }];
  }
  const out: LvSegment[] = [];
  let left = extents;
  for (const device of vg.pvs) {
    for (const r of freeRuns(state, vg, device)) {
      if (left === 0) break;
      const take = Math.min(left, r.extents);
      out.push({ pv: device, startExtent: r.start, extents: take });
      left -= take;
    }
  }
  return left === 0 ? out : null;
}

/** Grows a volume by `extents`: in place after its last segment when that space is free, else new segments. */
export function growLv(state: LvmState, vg: VolumeGroup, lv: LogicalVolume, extents: number): boolean {
  if (extents > vgFreeExtents(state, vg)) return false;
  let left = extents;
  const last = lv.segments[lv.segments.length - 1];
  if (last !== undefined) {
    const after = freeRuns(state, vg, last.pv).find((r) => r.start === last.startExtent + last.extents);
    if (after !== undefined) {
      const take = Math.min(left, after.extents);
      last.extents += take;
      left -= take;
    }
  }
  if (left > 0) {
    const more = allocateExtents(state, vg, left);
    if (more === null) return false;
    lv.segments.push(...more);
  }
  return true;
}

/**
 * lvm2's metadata estimate for a pool: 64 bytes per chunk (`_estimate_metadata_size`), at least
 * 2 MiB, rounded up to whole extents. With the default chunk size, a big pool doubles the chunk
 * until the estimate is at most 128 MiB.
 */
export function estimatePoolMetadata(
  dataSectors: number,
  chunkSectors: number | null,
  extentSectors: number,
): { chunkSectors: number; metadataSectors: number } {
  let chunk = chunkSectors ?? DEFAULT_CHUNK_SECTORS;
  let meta = Math.floor(dataSectors / (chunk * 8));
  if (chunkSectors === null) {
    while (meta > OPTIMAL_POOL_METADATA_SECTORS && chunk < 2 * 1024 * 1024) {
      chunk *= 2;
      meta = Math.floor(meta / 2);
    }
  }
  meta = Math.max(meta, MIN_POOL_METADATA_SECTORS);
  meta = Math.min(meta, MAX_POOL_METADATA_SECTORS);
  meta = Math.ceil(meta / extentSectors) * extentSectors;
  return { chunkSectors: chunk, metadataSectors: meta };
}

/**
 * The data a pool with this chunk size can address: LVM 2.03.16 prints 127 x 2^21 chunks
 * (`127.00 TiB` for 512 KiB chunks, `<15.88 TiB` for 64 KiB: fixtures/lvm/80 and 81).
 */
export const MAX_POOL_DATA_CHUNKS = 127 * 2 ** 21;

export function maxPoolDataSectors(chunkSectors: number): number {
  return MAX_POOL_DATA_CHUNKS * chunkSectors;
}

/**
 * The name LVM gives a volume created without one: `lvolN` with N one above the highest N of the
 * group's `lvolN...` names (LVM scans with `lvol%d`, so `lvol0_pmspare` takes lvol0: fixtures/lvm/84).
 */
export function nextLvolName(vg: VolumeGroup, suffix = ''): string {
  let high = -1;
  for (const lv of vg.lvs) {
    const m = /^lvol([0-9]+)/.exec(lv.name);
    if (m !== null) high = Math.max(high, Number(m[1]));
  }
  return `lvol${high + 1}${suffix}`;
}

/** dm names: a `-` inside a VG or LV name is doubled, and the two are joined with `-`. */
export function dmName(vg: string, lv: string, layer = ''): string {
  const esc = (s: string): string => s.replace(/-/g, '--');
  return `${esc(vg)}-${esc(lv)}${layer === '' ? '' : `-${layer}`}`;
}

/** LVM's names for volumes: letters, digits, `+_.-`, not starting with `-`, and not reserved suffixes. */
export function validLvName(name: string): boolean {
  return (
    /^[A-Za-z0-9+_.][A-Za-z0-9+_.-]*$/.test(name) &&
    name !== '.' &&
    name !== '..' &&
    !/_(tdata|tmeta|pmspare)$/.test(name)
  );
}
