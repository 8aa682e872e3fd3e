/**
 * Comparing two moments of a lab (two positions, or two branches): per pool its counters and
 * mode, per thin device the blocks that differ, in thin_delta's terms (left only, right only,
 * different data block, same). Pools are matched by device name, thins by pool name and id.
 */

import type { SummaryChange } from '../lab/lab-summary.js';
import type { Machine } from '../model/machine.js';
import type { MappingTable } from '../model/mapping.js';

export interface ThinDiff {
  readonly key: string;
  readonly leftMapped: number | null;
  readonly rightMapped: number | null;
  readonly leftOnly: number;
  readonly rightOnly: number;
  readonly different: number;
  readonly same: number;
}

export interface PoolDiff {
  readonly name: string;
  readonly left: string | null;
  readonly right: string | null;
}

export interface LabDiff {
  readonly pools: readonly PoolDiff[];
  readonly thins: readonly ThinDiff[];
  readonly devicesLeft: readonly string[];
  readonly devicesRight: readonly string[];
}

function poolLines(
  m: Machine,
): Map<string, { line: string; tables: Map<number, { table: MappingTable; mapped: number }> }> {
  const out = new Map<string, { line: string; tables: Map<number, { table: MappingTable; mapped: number }> }>();
  for (const pool of m.livePools()) {
    const name = m.poolDevice(pool)?.name ?? pool.name;
    const md = pool.md;
    const line =
      `mode ${pool.mode}${md.needsCheck ? ' needs_check' : ''}, transaction ${md.transactionId}, ` +
      `data ${md.spaceMap.nrBlocks - md.spaceMap.nrFree}/${md.spaceMap.nrBlocks} blocks, ` +
      `metadata ${md.metadataNrBlocks - md.freeMetadataBlocks()}/${md.metadataNrBlocks}, time ${md.time}, ${md.devices.size} thin devices`;
    const tables = new Map<number, { table: MappingTable; mapped: number }>();
    for (const [id, d] of md.devices) tables.set(id, { table: d.table, mapped: d.details.mappedBlocks });
    out.set(name, { line, tables });
  }
  return out;
}

export function diffLabs(left: Machine, right: Machine): LabDiff {
  const l = poolLines(left);
  const r = poolLines(right);
  const pools: PoolDiff[] = [];
  const thins: ThinDiff[] = [];
  for (const name of [...new Set([...l.keys(), ...r.keys()])].sort()) {
    const a = l.get(name);
    const b = r.get(name);
    pools.push({ name, left: a?.line ?? null, right: b?.line ?? null });
    const ids = [...new Set([...(a?.tables.keys() ?? []), ...(b?.tables.keys() ?? [])])].sort((x, y) => x - y);
    for (const id of ids) {
      const ta = a?.tables.get(id);
      const tb = b?.tables.get(id);
      const counts = { leftOnly: 0, rightOnly: 0, different: 0, same: 0 };
      const right = new Map<number, number>();
      tb?.table.forEach((vb, d) => {
        right.set(vb, d);
      });
      ta?.table.forEach((vb, d) => {
        const other = right.get(vb);
        if (other === undefined) counts.leftOnly++;
        else if (other === d) counts.same++;
        else counts.different++;
        right.delete(vb);
      });
      counts.rightOnly = right.size;
      thins.push({ key: `${name}/${id}`, leftMapped: ta?.mapped ?? null, rightMapped: tb?.mapped ?? null, ...counts });
    }
  }
  const names = (m: Machine): string[] => m.deviceList().map((d) => d.name);
  const dl = names(left);
  const dr = names(right);
  return {
    pools,
    thins,
    devicesLeft: dl.filter((n) => !dr.includes(n)),
    devicesRight: dr.filter((n) => !dl.includes(n)),
  };
}

/**
 * The diff as text; `summary` adds what changed beyond device-mapper (Docker, containerd, LVM:
 * src/lab/lab-summary.ts's diffSummaries), each thing as its line on both sides.
 */
export function formatDiff(
  diff: LabDiff,
  leftName: string,
  rightName: string,
  summary: readonly SummaryChange[] = [],
): string {
  let out = `--- ${leftName}\n+++ ${rightName}\n`;
  for (const n of diff.devicesLeft) out += `device ${n}: only in ${leftName}\n`;
  for (const n of diff.devicesRight) out += `device ${n}: only in ${rightName}\n`;
  for (const p of diff.pools) {
    if (p.left === p.right) continue;
    out += `pool ${p.name}:\n  - ${p.left ?? '(absent)'}\n  + ${p.right ?? '(absent)'}\n`;
  }
  for (const t of diff.thins) {
    if (t.leftOnly === 0 && t.rightOnly === 0 && t.different === 0 && t.leftMapped === t.rightMapped) continue;
    const mapped = `${t.leftMapped ?? '(absent)'} -> ${t.rightMapped ?? '(absent)'} mapped blocks`;
    out += `thin ${t.key}: ${mapped}; blocks left_only ${t.leftOnly}, right_only ${t.rightOnly}, different ${t.different}, same ${t.same}\n`;
  }
  for (const c of summary) out += `${c.key}:\n  - ${c.left ?? '(absent)'}\n  + ${c.right ?? '(absent)'}\n`;
  if (out.split('\n').length === 3) out += 'no differences\n';
  return out;
}
