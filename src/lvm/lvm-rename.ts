/**
 * lvrename and vgrename (fixtures/lvm/88). LVM renames a volume in its metadata and, when it is
 * active, renames its device-mapper devices in place (DM_DEV_RENAME: the minor numbers stay, so a
 * thin volume's table still names its pool by major:minor). A thin pool takes its hidden
 * `_tdata`/`_tmeta` volumes and its `-tpool` layer with it, and its thin volumes follow it.
 */
import { CommandFailed } from '../lab/command-errors.js';
import type { CommandIo } from '../shell/io.js';
import { EINVALID_CMD_LINE, ECMD_FAILED, type LvmContext, parseArgs, requireVg } from './lvm-commands.js';
import { commitVg, dmName, findLv, findVg, type LogicalVolume, type VolumeGroup, validLvName } from './lvm-state.js';

/** The dm devices a volume has when active: the pool's `-tpool` layer besides its own. */
function dmNamesOf(vg: string, lv: LogicalVolume): string[] {
  return lv.role === 'thin-pool' ? [dmName(vg, lv.name), dmName(vg, lv.name, 'tpool')] : [dmName(vg, lv.name)];
}

/** Renames the active dm devices from the old names to the new, as LVM does after committing its metadata. */
function renameDevices(ctx: LvmContext, pairs: ReadonlyArray<readonly [string, string]>): void {
  for (const [from, to] of pairs) {
    const dev = ctx.machine.device(from);
    if (dev === undefined) continue;
    const r = ctx.machine.rename(dev, to);
    if (!r.ok)
      throw new CommandFailed(`  device-mapper: rename ioctl on ${from} failed: Device or resource busy`, ECMD_FAILED);
    // udev_sync = 0: libdevmapper renames the /dev/mapper node itself.
    ctx.machine.renameMapperNode(from, to);
  }
}

/** `lvrename VG/OLD VG/NEW`, `lvrename VG/OLD NEW` or `lvrename VG OLD NEW`: the group and the two names. */
function renameArgs(positional: readonly string[]): { vg: string; from: string; to: string } {
  let vg: string;
  let from: string;
  let to: string;
  if (positional.length === 3) [vg, from, to] = positional as [string, string, string];
  else if (positional.length === 2 && positional[0]!.includes('/')) {
    [vg, from] = positional[0]!.replace(/^\/dev\//, '').split('/') as [string, string];
    to = positional[1]!;
  } else
    throw new CommandFailed(
      "  No command with matching syntax recognised.  Run 'lvrename --help' for more information.",
      EINVALID_CMD_LINE,
    );
  const slash = /^(?:\/dev\/)?([^/]+)\/([^/]*)$/.exec(to);
  if (slash !== null) {
    if (slash[1] !== vg)
      throw new CommandFailed(
        `  Logical volume names must have the same volume group ("${vg}" or "${slash[1]!}")${RUN_HELP}`,
        EINVALID_CMD_LINE,
      );
    to = slash[2]!;
  }
  return { vg, from, to };
}

/** How lvm2 ends a command-line error of lvrename. */
const RUN_HELP = "\n  Run `lvrename --help' for more information.";

/** lvm2's checks of the new name (apply_lvname_restrictions, and a leading `-` naming a historical LV). */
function checkNewName(to: string): void {
  const reserved = /_(tdata|tmeta|pmspare)/.exec(to);
  if (reserved !== null)
    throw new CommandFailed(
      `  Names including "_${reserved[1]!}" are reserved. Please choose a different LV name.${RUN_HELP}`,
      EINVALID_CMD_LINE,
    );
  if (to.startsWith('-'))
    throw new CommandFailed(
      `  Old name references live LV while new name is for historical LV.${RUN_HELP}`,
      EINVALID_CMD_LINE,
    );
  if (!validLvName(to))
    throw new CommandFailed(`  New logical volume name "${to}" is invalid.${RUN_HELP}`, EINVALID_CMD_LINE);
}

export function lvrename(ctx: LvmContext, args: readonly string[], io: CommandIo): number {
  const p = parseArgs(ctx, 'lvrename', args);
  const { vg: vgName, from, to } = renameArgs(p.positional);
  checkNewName(to);
  if (from === to)
    throw new CommandFailed(`  Old and new logical volume names must differ.${RUN_HELP}`, EINVALID_CMD_LINE);
  const vg = requireVg(ctx, vgName);
  const lv = findLv(vg, from);
  if (lv === undefined)
    throw new CommandFailed(`  Existing logical volume "${from}" not found in volume group "${vgName}"`, ECMD_FAILED);
  if (lv.role === 'pool-data' || lv.role === 'pool-metadata' || lv.role === 'pool-spare')
    throw new CommandFailed(`  Cannot rename internal LV "${from}".`, ECMD_FAILED);
  if (findLv(vg, to) !== undefined)
    throw new CommandFailed(`  Logical Volume "${to}" already exists in volume group "${vgName}"`, ECMD_FAILED);
  renameLv(ctx, vg, lv, to);
  commitVg(vg);
  io.out(`  Renamed "${from}" to "${to}" in volume group "${vgName}"\n`);
  return 0;
}

function renameLv(ctx: LvmContext, vg: VolumeGroup, lv: LogicalVolume, to: string): void {
  const from = lv.name;
  const pairs: Array<[string, string]> = [];
  const oldNames = dmNamesOf(vg.name, lv);
  lv.name = to;
  dmNamesOf(vg.name, lv).forEach((n, i) => pairs.push([oldNames[i]!, n]));
  if (lv.role === 'thin-pool') {
    // The hidden volumes carry the pool's name: `POOL_tdata`, `POOL_tmeta`.
    for (const [key, suffix] of [
      ['dataLv', '_tdata'],
      ['metadataLv', '_tmeta'],
    ] as const) {
      const sub = findLv(vg, lv[key]!)!;
      pairs.push([dmName(vg.name, sub.name), dmName(vg.name, `${to}${suffix}`)]);
      sub.name = `${to}${suffix}`;
      lv[key] = sub.name;
    }
    for (const thin of vg.lvs) if (thin.role === 'thin' && thin.pool === from) thin.pool = to;
  }
  renameDevices(ctx, pairs);
}

export function vgrename(ctx: LvmContext, args: readonly string[], io: CommandIo): number {
  const p = parseArgs(ctx, 'vgrename', args);
  if (p.positional.length !== 2)
    throw new CommandFailed('  Old and new volume group names need specifying', EINVALID_CMD_LINE);
  const [from, to] = p.positional as [string, string];
  if (!/^[A-Za-z0-9+_.][A-Za-z0-9+_.-]*$/.test(to))
    throw new CommandFailed(`  New volume group name "${to}" is invalid.`, EINVALID_CMD_LINE);
  // LVM looks for /dev/NEW first: the group's own directory when it has active volumes (fixtures/lvm/88).
  const dir = `${to.replace(/-/g, '--')}-`;
  if (ctx.machine.deviceList().some((d) => d.name.startsWith(dir)))
    throw new CommandFailed(`  /dev/${to}: already exists in filesystem`, ECMD_FAILED);
  if (from === to) throw new CommandFailed('  Old and new volume group names must differ', EINVALID_CMD_LINE);
  const vg = requireVg(ctx, from);
  if (findVg(ctx.lvm, to) !== undefined)
    throw new CommandFailed(`  New volume group "${to}" already exists`, ECMD_FAILED);
  const pairs = vg.lvs.flatMap((lv) => {
    const layers = lv.role === 'thin-pool' ? ['', 'tpool'] : [''];
    return layers.map((layer) => [dmName(from, lv.name, layer), dmName(to, lv.name, layer)] as const);
  });
  (vg as { name: string }).name = to;
  for (const pv of ctx.lvm.pvs) if (pv.vg === from) pv.vg = to;
  renameDevices(ctx, pairs);
  commitVg(vg);
  io.out(`  Volume group "${from}" successfully renamed to "${to}"\n`);
  return 0;
}
