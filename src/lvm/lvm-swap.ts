/**
 * The manual repair of a thin pool's metadata (lvmthin(7), fixtures/lvm/86): `lvconvert --thinpool
 * VG/POOL --poolmetadata VG/LV` (or `--swapmetadata --poolmetadata VG/LV VG/POOL`) on an existing
 * pool swaps the pool's metadata volume with the ordinary volume LV, so the metadata becomes a
 * volume the user can activate, check and repair, and a repaired copy can be swapped back in. And
 * component activation: `lvchange -ay VG/POOL_tmeta` of an inactive pool activates its metadata
 * volume alone, read-only, for thin_check or thin_dump.
 */
import { CommandFailed } from '../lab/command-errors.js';
import { createDevice } from '../lab/dm-ops.js';
import type { CommandIo } from '../shell/io.js';
import {
  confirm,
  deactivateLv,
  ECMD_FAILED,
  isActive,
  type LvmContext,
  linearTable,
  opt,
  type ParsedArgs,
  requireLv,
  stdinLines,
} from './lvm-commands.js';
import { commitVg, dmName, findLv, type LogicalVolume, type VolumeGroup } from './lvm-state.js';

/** lvm2's answer to `--swapmetadata` without `--poolmetadata`: no command form matches. */
const NO_MATCHING_SWAP_SYNTAX = `  No command with matching syntax recognised.  Run 'lvconvert --help' for more information.
  Nearest similar command has syntax:
  lvconvert --swapmetadata --poolmetadata LV LV
  Swap metadata LV in a thin pool or cache pool (for repair only).

`;

/**
 * Whether `lvconvert` asks for a metadata swap rather than a conversion: `--swapmetadata`, or
 * `--thinpool` naming an existing volume that is not a plain linear one (a pool to swap, or a
 * volume LVM refuses as a pool).
 */
export function isMetadataSwap(ctx: LvmContext, p: ParsedArgs): boolean {
  if (p.options.has('--swapmetadata')) return true;
  const poolText = opt(p, '--thinpool');
  if (poolText === undefined || opt(p, '--poolmetadata') === undefined) return false;
  const path = poolText.includes('/') ? poolText : `${p.positional[0] ?? ''}/${poolText}`;
  try {
    return requireLv(ctx, path).lv.role !== 'linear';
  } catch {
    return false;
  }
}

/** The pool and the volume to swap in, from either spelling of the command, with LVM's refusals. */
function swapTargets(ctx: LvmContext, p: ParsedArgs): { vg: VolumeGroup; pool: LogicalVolume; meta: LogicalVolume } {
  const metaText = opt(p, '--poolmetadata');
  const poolText = opt(p, '--thinpool') ?? p.positional[0];
  if (metaText === undefined || poolText === undefined) throw new CommandFailed(NO_MATCHING_SWAP_SYNTAX, 3);
  const { vg, lv: pool } = requireLv(ctx, poolText);
  if (pool.role !== 'thin-pool')
    throw new CommandFailed(
      `  LV ${vg.name}/${pool.name} with type ${pool.role} cannot be used as a thin pool LV.`,
      ECMD_FAILED,
    );
  const metaName = metaText.split('/').pop()!;
  const meta = findLv(vg, metaName);
  if (meta === undefined) throw new CommandFailed(`  Metadata LV ${metaName} not found.`, ECMD_FAILED);
  if (meta.role !== 'linear')
    throw new CommandFailed(
      `  LV ${vg.name}/${meta.name} with type ${meta.role} cannot be used as a metadata LV.`,
      ECMD_FAILED,
    );
  return { vg, pool, meta };
}

export function swapPoolMetadata(ctx: LvmContext, p: ParsedArgs, io: CommandIo): number {
  const { vg, pool, meta } = swapTargets(ctx, p);
  if (isActive(ctx, vg, pool))
    throw new CommandFailed(`  Cannot convert pool ${vg.name}/${pool.name} with active volumes.`, ECMD_FAILED);
  if (
    !p.options.has('--yes') &&
    !confirm(
      io,
      stdinLines(io),
      `Do you want to swap metadata of ${vg.name}/${pool.name} pool with metadata volume ${vg.name}/${meta.name}?`,
    )
  )
    throw new CommandFailed('  Conversion aborted.', ECMD_FAILED);
  // An active LV is taken down first, as lvm2 does without a word (fixtures/lvm/86).
  if (isActive(ctx, vg, meta)) deactivateLv(ctx, vg, meta);
  // LVM exchanges the two volumes' segments: the pool's `_tmeta` now lies where LV was, and LV
  // holds the pool's old metadata.
  const tmeta = findLv(vg, pool.metadataLv!)!;
  [tmeta.segments, meta.segments] = [meta.segments, tmeta.segments];
  commitVg(vg);
  return 0;
}

/**
 * lvchange -ay of a pool's hidden volume: LVM activates it alone and read-only when its pool is
 * inactive (after asking), and refuses while the pool is active.
 */
export function activateComponent(
  ctx: LvmContext,
  vg: VolumeGroup,
  lv: LogicalVolume,
  yes: boolean,
  io: CommandIo,
): void {
  const pool = vg.lvs.find((l) => l.role === 'thin-pool' && (l.metadataLv === lv.name || l.dataLv === lv.name))!;
  if (isActive(ctx, vg, pool) || ctx.machine.device(dmName(vg.name, lv.name)) !== undefined) return;
  if (!yes && !confirm(io, stdinLines(io), 'Do you want to activate component LV in read-only mode?'))
    throw new CommandFailed(`  Operation not permitted on hidden LV ${vg.name}/${lv.name}.`, ECMD_FAILED);
  io.out('  Allowing activation of component LV.\n');
  const errno = createDevice(ctx.machine, dmName(vg.name, lv.name), linearTable(ctx, vg, lv));
  if (errno !== 0) throw new CommandFailed(`  Failed to activate ${vg.name}/${lv.name}.`, ECMD_FAILED);
  lv.active = true;
  lv.component = true;
}

/** lvchange -an of a component volume activated alone. */
export function deactivateComponent(ctx: LvmContext, vg: VolumeGroup, lv: LogicalVolume): void {
  if (lv.component !== true) return;
  deactivateLv(ctx, vg, lv);
  delete lv.component;
}
