/**
 * Everything the page shows at one position, as plain JSON: the devices with their table and
 * status lines (what `thinlab at` prints), per pool its usage, mode, thin devices (size, mapped,
 * exclusive, shared, origin) and block map, and the LVM and Docker views where the lab has them.
 * It only reads the lab: `targetStatus(dev, true)` is --noflush, so looking commits nothing.
 */
import type { Lab } from '../lab/lab.js';
import { poolDmName, poolUsage, thinPools } from '../lvm/lvm-commands.js';
import { dmName } from '../lvm/lvm-state.js';
import type { Machine } from '../model/machine.js';
import type { ThinPool } from '../model/pool.js';
import { modeOf, type PoolUsage, usageOf } from '../replay/event-summaries.js';
import { guessOrigins, type PoolBlocks, poolBlocks, runLength } from './block-map.js';
import { dockerRoles } from './docker-roles.js';

export interface DeviceLines {
  readonly name: string;
  readonly state: string;
  readonly table: string | null;
  readonly status: string | null;
}

export interface ThinView {
  readonly id: number;
  /** The dm device that has it active, if any. */
  readonly device: string | null;
  readonly label: string;
  readonly originId: number | null;
  /** Where the origin came from: Docker's records or the most shared blocks. */
  readonly originBy: 'docker' | 'shared blocks' | null;
  readonly sizeSectors: number | null;
  readonly mapped: number;
  readonly exclusive: number;
  readonly shared: number;
  readonly runs: ReadonlyArray<readonly [number, number]>;
}

export interface PoolView extends PoolUsage {
  readonly name: string;
  readonly mode: string;
  readonly blockSizeSectors: number;
  readonly lowWaterBlocks: number;
  readonly leaked: number;
  /** The block map as [code, count] runs: a thin id, or -1 free, -2 shared, -3 leaked. */
  readonly map: ReadonlyArray<readonly [number, number]>;
  readonly thins: readonly ThinView[];
}

export interface LvmVolume {
  readonly name: string;
  readonly role: string;
  readonly sizeSectors: number;
  readonly dataPercent: number | null;
  readonly metaPercent: number | null;
  readonly pool: string | null;
}

export interface PositionView {
  readonly timeMs: number;
  readonly devices: readonly DeviceLines[];
  readonly pools: readonly PoolView[];
  readonly lifecycle: { pools: Record<string, string>; thins: Record<string, string> };
  readonly lvm: ReadonlyArray<{ name: string; volumes: readonly LvmVolume[] }>;
  readonly docker: {
    readonly images: ReadonlyArray<{ ref: string; layers: number }>;
    readonly containers: ReadonlyArray<{ name: string; state: string; image: string; thinId: number | null }>;
  } | null;
}

function deviceLines(m: Machine): DeviceLines[] {
  return m.deviceList().map((dev) => {
    const t = dev.live;
    return {
      name: dev.name,
      state: `${dev.suspended ? 'SUSPENDED' : 'ACTIVE'}, open ${dev.openCount}, events ${dev.eventNr}`,
      table: t === null ? null : `0 ${t.lengthSectors} ${t.type} ${m.targetTable(t)}`,
      status: t === null ? null : `0 ${t.lengthSectors} ${t.type} ${m.targetStatus(dev, true)}`,
    };
  });
}

function thinViews(lab: Lab, pool: ThinPool, blocks: PoolBlocks): ThinView[] {
  const m = lab.machine;
  const active = new Map<number, { name: string; sizeSectors: number }>();
  for (const dev of m.deviceList()) {
    if (dev.live?.type === 'thin' && dev.live.pool === pool)
      active.set(dev.live.thin.id, { name: dev.name, sizeSectors: dev.live.lengthSectors });
  }
  const docker = m.poolDevice(pool)?.name === lab.docker.poolName ? dockerRoles(lab.docker) : new Map();
  const lvmNames = new Map<number, string>();
  for (const { vg, pool: lvPool } of thinPools(lab.lvm)) {
    if (poolDmName(vg.name, lvPool) !== m.poolDevice(pool)?.name) continue;
    for (const lv of vg.lvs)
      if (lv.role === 'thin' && lv.pool === lvPool.name) lvmNames.set(lv.thinId, `${vg.name}/${lv.name}`);
  }
  const guessed = guessOrigins(pool, blocks);
  return blocks.thins.map((t) => {
    const role = docker.get(t.id);
    const originId = role !== undefined ? role.originId : (guessed.get(t.id) ?? null);
    return {
      id: t.id,
      device: active.get(t.id)?.name ?? null,
      label: role?.label ?? lvmNames.get(t.id) ?? active.get(t.id)?.name ?? `thin ${t.id}`,
      originId,
      originBy: originId === null ? null : role !== undefined ? 'docker' : 'shared blocks',
      sizeSectors: active.get(t.id)?.sizeSectors ?? null,
      mapped: t.mapped,
      exclusive: t.exclusive,
      shared: t.shared,
      runs: t.runs,
    };
  });
}

export function poolView(lab: Lab, pool: ThinPool): PoolView {
  const m = lab.machine;
  const blocks = poolBlocks(pool);
  return {
    name: m.poolDevice(pool)?.name ?? pool.name,
    mode: modeOf(pool),
    ...usageOf(pool),
    blockSizeSectors: pool.dataBlockSizeSectors,
    lowWaterBlocks: pool.table.lowWaterBlocks,
    leaked: blocks.leaked,
    map: runLength(blocks.owners),
    thins: thinViews(lab, pool, blocks),
  };
}

/** A thin volume's Data% as lvs prints it: mapped blocks over its virtual size, when it is active. */
function thinDataPercent(lab: Lab, vg: string, lv: string): number | null {
  const t = lab.machine.device(dmName(vg, lv))?.live;
  if (t?.type !== 'thin' || t.lengthSectors === 0) return null;
  return (t.thin.details.mappedBlocks * t.pool.dataBlockSizeSectors * 100) / t.lengthSectors;
}

function lvmView(lab: Lab): PositionView['lvm'] {
  const pools = new Map(
    thinPools(lab.lvm).map(({ vg, pool }) => [`${vg.name}/${pool.name}`, poolUsage(lab, vg, pool)]),
  );
  return lab.lvm.vgs.map((vg) => ({
    name: vg.name,
    volumes: vg.lvs
      .filter((lv) => lv.role === 'thin-pool' || lv.role === 'thin' || lv.role === 'linear')
      .map((lv) => {
        const usage = pools.get(`${vg.name}/${lv.name}`) ?? null;
        // A pool's extents are those of its hidden data volume.
        const holder = lv.role === 'thin-pool' ? (vg.lvs.find((x) => x.name === lv.dataLv) ?? lv) : lv;
        const sizeSectors =
          lv.role === 'thin'
            ? lv.virtualSectors
            : holder.segments.reduce((n, s) => n + s.extents, 0) * vg.extentSectors;
        return {
          name: lv.name,
          role: lv.role,
          sizeSectors,
          dataPercent: usage?.dataPercent ?? (lv.role === 'thin' ? thinDataPercent(lab, vg.name, lv.name) : null),
          metaPercent: usage?.metadataPercent ?? null,
          pool: lv.pool,
        };
      }),
  }));
}

function dockerView(lab: Lab): PositionView['docker'] {
  const d = lab.docker;
  if (d.options === null && d.images.length === 0) return null;
  const ids = new Map(Object.values(d.devices).map((x) => [x.hash, x.deviceId]));
  return {
    images: d.images.map((i) => ({ ref: i.ref, layers: i.layers.length })),
    containers: d.containers.map((c) => ({
      name: c.name,
      state: c.state,
      image: c.image,
      thinId: ids.get(c.mountId) ?? null,
    })),
  };
}

export function positionView(lab: Lab, lifecycle: PositionView['lifecycle']): PositionView {
  const m = lab.machine;
  return {
    timeMs: m.nowMs,
    devices: deviceLines(m),
    pools: m.livePools().map((p) => poolView(lab, p)),
    lifecycle,
    lvm: lvmView(lab),
    docker: dockerView(lab),
  };
}
