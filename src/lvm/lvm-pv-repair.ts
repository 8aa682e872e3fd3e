/**
 * pvremove and vgreduce: taking a disk out of LVM, as fixtures/lvm/99 recorded them on both stacks
 * (the two LVMs print the same). A disk still holding extents stays; what would leave a group with
 * a missing disk (`pvremove -ff` answered yes) is refused by name.
 */
import { CommandFailed, notModelled } from '../lab/command-errors.js';
import type { CommandIo } from '../shell/io.js';
import {
  ECMD_FAILED,
  EINVALID_CMD_LINE,
  type LvmContext,
  parseArgs,
  requireLv,
  requireVg,
  stdinLines,
} from './lvm-commands.js';
import { commitVg, findPv, type PhysicalVolume, type VolumeGroup } from './lvm-state.js';

/** Runs `each` for every name; a failure is printed where it happens and the command exits 5 at the end. */
function eachDevice(names: readonly string[], each: (name: string) => void, io: CommandIo): number {
  let status = 0;
  for (const name of names) {
    try {
      each(name);
    } catch (e) {
      if (!(e instanceof CommandFailed) || e.text.startsWith('thinlab:')) throw e;
      io.err(`${e.text}\n`);
      status = ECMD_FAILED;
    }
  }
  return status;
}

/**
 * `pvremove PV...`: wipes the label of a disk in no group. One in a group is refused (`-ff` asks
 * first, and the lab takes a yes no further).
 */
export function pvremove(ctx: LvmContext, args: readonly string[], io: CommandIo): number {
  const p = parseArgs(ctx, 'pvremove', args);
  if (p.positional.length === 0)
    throw new CommandFailed(
      "  No command with matching syntax recognised.  Run 'pvremove --help' for more information.\n  Correct command syntax is:\n  pvremove PV ...\n\n",
      EINVALID_CMD_LINE,
    );
  const forced = (p.options.get('--force')?.length ?? 0) >= 2;
  const yes = p.options.has('--yes');
  const answers = yes ? [] : stdinLines(io);
  return eachDevice(
    p.positional,
    (device) => {
      if (ctx.machine.resolve(device) === null) throw new CommandFailed(`  No device found for ${device}.`);
      const pv = findPv(ctx.lvm, device);
      if (pv === undefined) throw new CommandFailed(`  No PV found on device ${device}.`);
      if (pv.vg !== null) refuseGroupMember(pv, forced, yes, answers, io);
      ctx.lvm.pvs = ctx.lvm.pvs.filter((x) => x !== pv);
      io.out(`  Labels on physical volume "${device}" successfully wiped.\n`);
    },
    io,
  );
}

function refuseGroupMember(pv: PhysicalVolume, forced: boolean, yes: boolean, answers: string[], io: CommandIo): void {
  const notRemoved = `  ${pv.device}: physical volume label not removed.`;
  if (!forced)
    throw new CommandFailed(
      `  PV ${pv.device} is used by VG ${pv.vg!} so please use vgreduce first.\n  (If you are certain you need pvremove, then confirm by using --force twice.)\n${notRemoved}`,
    );
  if (yes) throw notModelled('pvremove -ff of a disk in a volume group (the group would miss it)');
  io.err(
    `  WARNING: PV ${pv.device} is used by VG ${pv.vg!}.\nReally WIPE LABELS from physical volume "${pv.device}" of volume group "${pv.vg!}" [y/n]? `,
  );
  const answer = answers.shift();
  if (answer === undefined) {
    io.err('[n]\n');
    throw new CommandFailed(notRemoved);
  }
  if (!/^\s*y/i.test(answer)) throw new CommandFailed(notRemoved);
  throw notModelled('pvremove -ff of a disk in a volume group (the group would miss it)');
}

function usedExtents(vg: VolumeGroup, device: string): number {
  return vg.lvs.reduce((n, lv) => n + lv.segments.filter((s) => s.pv === device).reduce((m, s) => m + s.extents, 0), 0);
}

/** Takes one disk out of the group: refused while a volume has extents on it, or when it is the last. */
function reduceOne(ctx: LvmContext, vg: VolumeGroup, device: string, io: CommandIo): void {
  if (usedExtents(vg, device) > 0) throw new CommandFailed(`  Physical volume "${device}" still in use`);
  if (vg.pvs.length === 1)
    throw new CommandFailed(`  Can't remove final physical volume "${device}" from volume group "${vg.name}"`);
  vg.pvs = vg.pvs.filter((d) => d !== device);
  const pv = findPv(ctx.lvm, device)!;
  pv.vg = null;
  pv.peCount = 0;
  commitVg(vg);
  io.out(`  Removed "${device}" from volume group "${vg.name}"\n`);
}

/**
 * `vgreduce VG PV...`, `vgreduce -a VG` (every disk without extents in use) and `vgreduce
 * --removemissing VG` (the lab's groups miss no disk: `already consistent`).
 */
export function vgreduce(ctx: LvmContext, args: readonly string[], io: CommandIo): number {
  const p = parseArgs(ctx, 'vgreduce', args);
  const [name, ...devices] = p.positional;
  const all = p.options.has('--all');
  const missing = p.options.has('--removemissing');
  if (name === undefined || (!all && !missing && devices.length === 0))
    throw new CommandFailed(
      "  No command with matching syntax recognised.  Run 'vgreduce --help' for more information.",
      EINVALID_CMD_LINE,
    );
  if ((all || missing) && devices.length > 0)
    throw new CommandFailed(`  Command does not accept argument: ${devices[0]!}.`, EINVALID_CMD_LINE);
  if (all && missing) throw notModelled('vgreduce -a with --removemissing');
  let vg: VolumeGroup;
  try {
    vg = requireVg(ctx, name);
  } catch (e) {
    // LVM still looks for the disks it was given, and says so (fixtures/lvm/99: a PV).
    if (!(e instanceof CommandFailed)) throw e;
    if (devices.some((d) => findPv(ctx.lvm, d) === undefined))
      throw notModelled('vgreduce of a missing volume group with a disk that is no PV');
    throw new CommandFailed(
      [e.text, ...devices.map((d) => `  Failed to find physical volume "${d}".`)].join('\n'),
      ECMD_FAILED,
    );
  }
  if (missing) {
    io.out(`  Volume group "${vg.name}" is already consistent.\n`);
    return 0;
  }
  const named = all ? [...vg.pvs] : devices;
  return eachDevice(
    named,
    (device) => {
      if (ctx.machine.resolve(device) === null) throw new CommandFailed(`  Cannot use ${device}: device not found`);
      if (findPv(ctx.lvm, device)?.vg !== vg.name)
        throw notModelled(`vgreduce of ${device}, which is not in volume group ${vg.name}`);
      reduceOne(ctx, vg, device, io);
    },
    io,
  );
}

/**
 * `lvreduce -L|-l SIZE LV` of a thin pool: LVM cannot shrink a pool's data and says so before it
 * asks anything (fixtures/lvm/99, both stacks). Reducing a thin or linear volume (2.03.16 asks and
 * reduces, 2.03.31 looks for a file system first) is refused by name.
 */
export function lvreduce(ctx: LvmContext, args: readonly string[], _io: CommandIo): number {
  const p = parseArgs(ctx, 'lvreduce', args);
  const target = p.positional[0];
  if (target === undefined || !(p.options.has('--size') || p.options.has('--extents')))
    throw new CommandFailed(
      "  No command with matching syntax recognised.  Run 'lvreduce --help' for more information.\n  Correct command syntax is:\n  lvreduce -L|--size [-]Size[m|UNIT] LV\n\n",
      EINVALID_CMD_LINE,
    );
  // lvreduce is lvresize: 2.03.16 words a missing volume as lvresize does.
  const { vg, lv } = requireLv(ctx, target, 'lvextend');
  if (lv.role === 'thin-pool')
    throw new CommandFailed(`  Thin pool volumes ${vg.name}/${lv.dataLv!} cannot be reduced in size yet.`, ECMD_FAILED);
  throw notModelled('lvreduce of a volume that is not a thin pool');
}
