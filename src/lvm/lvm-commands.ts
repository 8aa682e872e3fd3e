/**
 * The LVM commands of the lab shell (lvm2 2.03's wording): pvcreate, vgcreate, vgextend,
 * vgchange, lvcreate, lvconvert, lvextend, lvchange, lvremove, lvs, vgs, pvs. Volumes become
 * device-mapper devices on the lab machine the way LVM names and stacks them: `vg-lv` (linear),
 * `vg-pool_tmeta` and `vg-pool_tdata` (linear) under the pool `vg-pool` (thin-pool).
 *
 * LVM prints its reports and progress on standard output and its errors and warnings on standard
 * error; a refused command exits 5 (ECMD_FAILED) and leaves the state as it was, 3 for bad
 * arguments (EINVALID_CMD_LINE).
 */

import { CommandFailed, failureStatus } from '../lab/command-errors.js';
import type { ShellContext } from '../lab/context.js';
import { createDevice, removeDevice } from '../lab/dm-ops.js';
import { assert } from '../model/assert.js';
import { strerror } from '../model/errno.js';
import { type DmDevice, devNumber, type Machine } from '../model/machine.js';
import { type PoolStatus, parsePoolStatus } from '../model/status-line.js';
import { latin1Text } from '../shared/bytes.js';
import type { CommandIo } from '../shell/io.js';
import { checkLvmConf, thinRepairExecutable } from './lvm-conf.js';
import {
  allocateExtents,
  commitVg,
  dmName,
  EXTENT_SECTORS,
  estimatePoolMetadata,
  findLv,
  findPv,
  findVg,
  freeRuns,
  growLv,
  type LogicalVolume,
  type LvSegment as LvmSegment,
  type LvmState,
  lvExtents,
  lvSizeSectors,
  maxPoolDataSectors,
  newLv,
  nextLvolName,
  PE_START_SECTORS,
  type VolumeGroup,
  validLvName,
  vgExtentCount,
  vgFreeExtents,
} from './lvm-state.js';
import { newTargetCheck, type TargetCheck, thinTargetsPresent } from './lvm-modprobe.js';
import { type ParsedArgs, parseLvmArgs } from './lvm-options.js';
import { type ReportColumn, type ReportStyle, renderReport, reportStyle } from './lvm-report-format.js';
import { lvmStack, lvmVersionText } from './lvm-stack.js';
import { monitoringEnabled, profilePath, readProfile } from './profile.js';
import { execThinTool, runPoolThinCheck } from './thin-check-exec.js';
import { lvmSize, parseLvmSize } from './units.js';

export const ECMD_FAILED = 5;
export const EINVALID_CMD_LINE = 3;

export type { ParsedArgs } from './lvm-options.js';

export interface LvmContext extends ShellContext {
  readonly lvm: LvmState;
}

/**
 * The LVM commands by name, for the lab's command registry (src/lab/commands/lvm.ts). A refused
 * command throws CommandFailed, which the registry's runner prints.
 */
export const LVM_HANDLERS = readingLvmConf({
  pvcreate,
  vgcreate,
  vgextend,
  vgchange,
  vgremove,
  lvcreate,
  lvconvert,
  lvextend: (ctx: LvmContext, args: readonly string[], io: CommandIo) => lvextend(ctx, 'lvextend', args, io),
  lvresize: (ctx: LvmContext, args: readonly string[], io: CommandIo) => lvextend(ctx, 'lvresize', args, io),
  lvchange,
  lvremove,
  lvs,
  vgs,
  pvs,
});

/** LVM reads lvm.conf at the start of every command: a setting the lab does not model refuses it. */
export function readingLvmConf<T extends Record<string, LvmHandler>>(handlers: T): T {
  const wrapped: Record<string, LvmHandler> = {};
  for (const [name, handler] of Object.entries(handlers)) {
    wrapped[name] = (ctx, args, io) => {
      checkLvmConf(ctx.fs);
      // Every LVM command takes --version (lvm_run_command answers it before the command runs).
      if (args.some((a) => a.startsWith('--v')) && parseArgs(ctx, name, args).options.has('--version')) {
        io.out(lvmVersionText(ctx));
        return 0;
      }
      // What a command found out (the kernel's targets, failed checks) lasts as long as the
      // command: the next one looks afresh, and the lab's state keeps none of it.
      delete ctx.lvm.targetCheck;
      delete ctx.lvm.failedChecks;
      try {
        return handler(ctx, args, io);
      } finally {
        delete ctx.lvm.targetCheck;
        delete ctx.lvm.failedChecks;
      }
    };
  }
  return wrapped as T;
}

/** What this command found out about the kernel's thin targets (a context made outside a command gets its own). */
function targetCheck(ctx: LvmContext): TargetCheck {
  ctx.lvm.targetCheck ??= newTargetCheck();
  return ctx.lvm.targetCheck;
}

/** An LVM command; the lab's registry passes the lab itself, which is an LVM context as it is. */
export type LvmHandler = (ctx: LvmContext, args: readonly string[], io: CommandIo) => number;
export type LvmCommandName = keyof typeof LVM_HANDLERS;

/**
 * Runs an LVM command the way another program runs the binary (Docker's direct-lvm setup): a
 * refusal is printed and comes back as the exit status.
 */
export function runLvmCommand(ctx: LvmContext, name: LvmCommandName, args: readonly string[], io: CommandIo): number {
  try {
    return LVM_HANDLERS[name](ctx, args, io);
  } catch (e) {
    return failureStatus(e, io);
  }
}

// ------------------------------------------------------------------ arguments

/**
 * Parses an LVM command's line with its own options in the stack's LVM (src/lvm/lvm-options.ts):
 * LVM's errors for an option it does not know, a refusal by name for one the lab does not model.
 */
export function parseArgs(ctx: ShellContext, command: string, args: readonly string[]): ParsedArgs {
  return parseLvmArgs(command, args, lvmStack(ctx).version);
}

export function opt(p: ParsedArgs, name: string): string | undefined {
  const v = p.options.get(name);
  return v === undefined ? undefined : v[v.length - 1];
}

export function yesNo(value: string | undefined, option: string): boolean | undefined {
  if (value === undefined) return undefined;
  // `ay` (auto-activation) activates what `y` does: the lab has no auto_activation_volume_list.
  if (/^(a?y|yes|1)$/i.test(value)) return true;
  if (/^(n|no|0)$/i.test(value)) return false;
  throw new CommandFailed(
    `  Invalid argument for ${option}: ${value}\n  Error during parsing of command line.`,
    EINVALID_CMD_LINE,
  );
}

/** `VG/LV`, `/dev/VG/LV` or `/dev/mapper/VG-LV` (simple names only). */
export function splitLvPath(text: string): { vg: string; lv: string } | null {
  const t = text.replace(/^\/dev\//, '');
  const m = /^([^/]+)\/([^/]+)$/.exec(t);
  if (m !== null) return { vg: m[1]!, lv: m[2]! };
  const mapper = /^mapper\/(.+)$/.exec(t);
  if (mapper !== null) {
    const parts = /^((?:[^-]|--)+)-((?:[^-]|--)+)$/.exec(mapper[1]!);
    if (parts !== null) return { vg: parts[1]!.replace(/--/g, '-'), lv: parts[2]!.replace(/--/g, '-') };
  }
  return null;
}

export function requireVg(ctx: LvmContext, name: string): VolumeGroup {
  const vg = findVg(ctx.lvm, name);
  if (vg === undefined)
    throw new CommandFailed(`  Volume group "${name}" not found\n  Cannot process volume group ${name}`, ECMD_FAILED);
  return vg;
}

export function requireLv(ctx: LvmContext, text: string, command = ''): { vg: VolumeGroup; lv: LogicalVolume } {
  const path = splitLvPath(text);
  if (path === null) throw new CommandFailed(`  Invalid logical volume name: ${text}`, EINVALID_CMD_LINE);
  const vg = requireVg(ctx, path.vg);
  const lv = findLv(vg, path.lv);
  // 2.03.16's lvresize words it differently from the other commands (fixtures/lvm/82).
  if (lv === undefined && command === 'lvextend' && lvmStack(ctx).lvextendOwnNotFoundText)
    throw new CommandFailed(`  Logical volume ${path.lv} not found in volume group ${path.vg}.`, ECMD_FAILED);
  if (lv === undefined) throw new CommandFailed(`  Failed to find logical volume "${path.vg}/${path.lv}"`, ECMD_FAILED);
  return { vg, lv };
}

// ------------------------------------------------------------------ device-mapper

function pvDevice(m: Machine, device: string): DmDevice | ReturnType<Machine['resolve']> {
  return m.resolve(device);
}

export function linearTable(ctx: LvmContext, vg: VolumeGroup, lv: LogicalVolume): string {
  let start = 0;
  const lines: string[] = [];
  for (const s of lv.segments) {
    const dev = pvDevice(ctx.machine, s.pv);
    if (dev === null) throw new CommandFailed(`  Couldn't find device for ${s.pv}.`, ECMD_FAILED);
    const length = s.extents * vg.extentSectors;
    lines.push(`${start} ${length} linear ${devNumber(dev)} ${PE_START_SECTORS + s.startExtent * vg.extentSectors}`);
    start += length;
  }
  return lines.join('\n');
}

function dmReload(m: Machine, name: string, table: string): number {
  const dev = m.device(name);
  if (dev === undefined) return 6;
  const loaded = m.load(dev, table);
  if (!loaded.ok) return loaded.errno;
  const suspended = m.suspend(dev);
  if (!suspended.ok) return suspended.errno;
  const resumed = m.resume(dev);
  return resumed.ok ? 0 : resumed.errno;
}

/**
 * The pool's low-water mark: LVM sets it from the autoextend threshold (at least 50 %), so that the
 * kernel raises an event when the free data blocks fall to `(100 - threshold) %` of the pool
 * (fixtures/lvm/83: 128 of 640 blocks at threshold 80, 153 of 768); 0 when the threshold is 100.
 */
function lowWaterBlocks(ctx: LvmContext, vg: VolumeGroup, pool: LogicalVolume): number {
  const threshold = Math.max(50, readProfile(ctx.fs, pool.profile).threshold);
  if (threshold >= 100) return 0;
  const blocks = Math.floor(lvSizeSectors(vg, pool) / pool.chunkSectors);
  return Math.floor((blocks * (100 - threshold)) / 100);
}

function poolTable(ctx: LvmContext, vg: VolumeGroup, pool: LogicalVolume): string {
  const meta = ctx.machine.device(dmName(vg.name, pool.metadataLv!));
  const data = ctx.machine.device(dmName(vg.name, pool.dataLv!));
  if (meta === undefined || data === undefined)
    throw new CommandFailed(`  Failed to activate ${vg.name}/${pool.name}.`, ECMD_FAILED);
  const features: string[] = [];
  if (!pool.zeroNewBlocks) features.push('skip_block_zeroing');
  if (pool.errorWhenFull) features.push('error_if_no_space');
  const size = lvSizeSectors(vg, pool);
  return `0 ${size} thin-pool ${devNumber(meta)} ${devNumber(data)} ${pool.chunkSectors} ${lowWaterBlocks(ctx, vg, pool)} ${features.length}${features.map((f) => ` ${f}`).join('')}`;
}

/**
 * LVM activates a pool that has held thin volumes (its transaction id is above 0) under a `-tpool`
 * layer, with `vg-pool` a linear over it; a pool it never put a thin volume in (Docker's) is the
 * thin-pool device `vg-pool` itself (fixtures/lvm/80 and 81).
 */
export function poolDmName(vg: string, pool: LogicalVolume): string {
  return pool.transactionId > 0 ? dmName(vg, pool.name, 'tpool') : dmName(vg, pool.name);
}

/** The dm device of a pool: the thin-pool target itself (`vg-pool-tpool` when LVM put thin volumes in it). */
export function poolDevice(ctx: ShellContext, vg: string, pool: string): DmDevice | undefined {
  return ctx.machine.device(dmName(vg, pool, 'tpool')) ?? ctx.machine.device(dmName(vg, pool));
}

const QUIET_IO: CommandIo = { stdin: new Uint8Array(0), out: () => undefined, err: () => undefined };

export function activateLv(
  ctx: LvmContext,
  vg: VolumeGroup,
  lv: LogicalVolume,
  io: CommandIo,
  checkMetadata = true,
): number {
  const m = ctx.machine;
  if (
    (lv.role === 'thin-pool' || lv.role === 'thin') &&
    !isActive(ctx, vg, lv) &&
    !thinTargetsPresent(ctx, targetCheck(ctx), io)
  )
    throw new CommandFailed(
      `  Can't process LV ${vg.name}/${lv.name}: ${lv.role} target support missing from kernel?`,
      ECMD_FAILED,
    );
  if (lv.role === 'thin-pool') {
    const name = poolDmName(vg.name, lv);
    if (m.device(name) !== undefined) return 0;
    const meta = findLv(vg, lv.metadataLv!)!;
    const data = findLv(vg, lv.dataLv!)!;
    // A hidden volume activated on its own (component activation) keeps its pool down.
    const component = [meta, data].find((sub) => sub.component === true);
    if (component !== undefined)
      throw new CommandFailed(
        `  Activation of logical volume ${vg.name}/${lv.name} is prohibited while logical volume ${vg.name}/${component.name} is active.`,
        ECMD_FAILED,
      );
    for (const sub of [meta, data]) {
      if (m.device(dmName(vg.name, sub.name)) === undefined) {
        const errno = createDevice(m, dmName(vg.name, sub.name), linearTable(ctx, vg, sub));
        if (errno !== 0)
          throw new CommandFailed(`  device-mapper: create ioctl on ${dmName(vg.name, sub.name)} failed.`, ECMD_FAILED);
      }
      sub.active = true;
    }
    if (checkMetadata) checkPoolMetadata(ctx, vg, lv, meta, io);
    const errno = createDevice(m, name, poolTable(ctx, vg, lv));
    if (errno !== 0) {
      deactivateSubvolumes(ctx, vg, lv);
      throw new CommandFailed(`  Failed to activate ${vg.name}/${lv.name}.`, ECMD_FAILED);
    }
    checkActivatedTransactionId(ctx, vg, lv, m.device(name)!);
    if (lv.transactionId > 0) {
      const tpool = m.device(name)!;
      createDevice(m, dmName(vg.name, lv.name), `0 ${lvSizeSectors(vg, lv)} linear ${devNumber(tpool)} 0`);
    }
    lv.active = true;
    return 0;
  }
  if (lv.role === 'thin') {
    const pool = findLv(vg, lv.pool!)!;
    activateLv(ctx, vg, pool, io, checkMetadata);
    if (m.device(dmName(vg.name, lv.name)) === undefined) {
      const tpool = m.device(poolDmName(vg.name, pool))!;
      // The minor the new device gets: the lowest free one, as the kernel hands them out.
      const used = new Set(m.deviceList().map((d) => d.minor));
      let minor = 0;
      while (used.has(minor)) minor++;
      const errno = createDevice(
        m,
        dmName(vg.name, lv.name),
        `0 ${lv.virtualSectors} thin ${devNumber(tpool)} ${lv.thinId}`,
      );
      // LVM creates the device first and loads its table after; the kernel's refusal names it by number.
      if (errno !== 0)
        throw new CommandFailed(
          `  device-mapper: reload ioctl on  (${devNumber(tpool).split(':')[0]!}:${minor}) failed: ${strerror(errno)}`,
          ECMD_FAILED,
        );
    }
    lv.active = true;
    return 0;
  }
  if (lv.role === 'linear') {
    if (m.device(dmName(vg.name, lv.name)) === undefined) {
      const errno = createDevice(m, dmName(vg.name, lv.name), linearTable(ctx, vg, lv));
      if (errno !== 0) throw new CommandFailed(`  Failed to activate ${vg.name}/${lv.name}.`, ECMD_FAILED);
    }
    lv.active = true;
  }
  return 0;
}

/** LVM checks the pool's metadata with thin_check before it activates a pool that has been used. */
function checkPoolMetadata(
  ctx: LvmContext,
  vg: VolumeGroup,
  lv: LogicalVolume,
  meta: LogicalVolume,
  io: CommandIo,
): void {
  const m = ctx.machine;
  const metaDev = m.device(dmName(vg.name, meta.name))!;
  const head = m.readSectors(metaDev, 0, 8);
  if (!head.ok || !head.value.some((t) => t !== 0)) return;
  let check: { status: number; text: string } | null;
  try {
    check = runPoolThinCheck(ctx, `/dev/mapper/${dmName(vg.name, meta.name)}`);
  } catch (e) {
    deactivateSubvolumes(ctx, vg, lv);
    throw e;
  }
  if (check !== null && check.status !== 0) {
    io.err(check.text);
    deactivateSubvolumes(ctx, vg, lv);
    // A second try in the same command (a thin volume of the pool) runs the check again, but LVM
    // says nothing more than the check printed (fixtures/lvm/86).
    const failed = (ctx.lvm.failedChecks ??= []);
    if (failed.includes(`${vg.name}/${lv.name}`)) throw new CommandFailed('', ECMD_FAILED);
    failed.push(`${vg.name}/${lv.name}`);
    throw new CommandFailed(
      `  Check of pool ${vg.name}/${lv.name} failed (status:${check.status}). Manual repair required!`,
      ECMD_FAILED,
    );
  }
}

/**
 * libdevmapper compares the kernel's transaction id of a pool it has just loaded with the one in
 * LVM's metadata (when LVM has set one) and takes the pool down when they differ (fixtures/lvm/87:
 * another program moved the kernel's).
 */
function checkActivatedTransactionId(ctx: LvmContext, vg: VolumeGroup, pool: LogicalVolume, dev: DmDevice): void {
  if (pool.transactionId === 0) return;
  const kernelTid = Number(ctx.machine.targetStatus(dev, true).trim().split(/\s+/)[0]);
  // One behind is what a pool shows when LVM's last messages did not reach it: libdevmapper
  // would send them again, so it goes on (it has none queued once a command is over: the pool
  // keeps the kernel's id, fixtures/lvm/90).
  if (!Number.isFinite(kernelTid) || kernelTid === pool.transactionId || kernelTid === pool.transactionId - 1) return;
  const shown = `${dev.name} (${devNumber(dev)})`;
  removeDevice(ctx.machine, dev);
  deactivateSubvolumes(ctx, vg, pool);
  throw new CommandFailed(
    `  Thin pool ${shown} transaction_id is ${kernelTid}, while expected ${pool.transactionId}.`,
    ECMD_FAILED,
  );
}

export function deactivateSubvolumes(ctx: LvmContext, vg: VolumeGroup, pool: LogicalVolume): void {
  for (const name of [pool.dataLv, pool.metadataLv]) {
    if (name === null) continue;
    const dev = ctx.machine.device(dmName(vg.name, name));
    if (dev !== undefined && removeDevice(ctx.machine, dev).ok) findLv(vg, name)!.active = false;
  }
}

export function deactivateLv(ctx: LvmContext, vg: VolumeGroup, lv: LogicalVolume): void {
  // A pool under active thin volumes stays as it is: nothing is taken down halfway.
  if (lv.role === 'thin-pool' && vg.lvs.some((l) => l.role === 'thin' && l.pool === lv.name && isActive(ctx, vg, l))) {
    throw new CommandFailed(`  Logical volume ${vg.name}/${lv.name} in use.`, ECMD_FAILED);
  }
  const names =
    lv.role === 'thin-pool' ? [dmName(vg.name, lv.name), poolDmName(vg.name, lv)] : [dmName(vg.name, lv.name)];
  for (const name of [...new Set(names)]) {
    const dev = ctx.machine.device(name);
    if (dev === undefined) continue;
    if (dev.openCount > 0) throw new CommandFailed(`  Logical volume ${vg.name}/${lv.name} in use.`, ECMD_FAILED);
    removeDevice(ctx.machine, dev);
  }
  lv.active = false;
  if (lv.role === 'thin-pool') deactivateSubvolumes(ctx, vg, lv);
}

// ------------------------------------------------------------------ pvcreate, vgcreate, vgextend, vgchange

function initPv(ctx: LvmContext, device: string, io: CommandIo, force: boolean): void {
  const dev = ctx.machine.resolve(device);
  if (dev === null) throw new CommandFailed(`  No device found for ${device}.`, ECMD_FAILED);
  const existing = findPv(ctx.lvm, device);
  if (existing?.vg != null && !force) {
    throw new CommandFailed(
      `  Can't initialize physical volume "${device}" of volume group "${existing.vg}" without -ff\n  ${device}: physical volume not initialized.`,
      ECMD_FAILED,
    );
  }
  if (existing?.vg != null)
    throw new CommandFailed(`  Can't open ${device} exclusively.  Mounted filesystem?`, ECMD_FAILED);
  if (dev.openCount > 0)
    throw new CommandFailed(`  Can't open ${device} exclusively.  Mounted filesystem?`, ECMD_FAILED);
  if (existing === undefined)
    ctx.lvm.pvs.push({ device, sizeSectors: ctx.machine.sizeSectors(dev), vg: null, peCount: 0 });
  io.out(`  Physical volume "${device}" successfully created.\n`);
}

function pvcreate(ctx: LvmContext, args: readonly string[], io: CommandIo): number {
  const p = parseArgs(ctx, 'pvcreate', args);
  if (p.positional.length === 0)
    throw new CommandFailed(
      "  Please enter a physical volume path.\n  Run `pvcreate --help' for more information.",
      EINVALID_CMD_LINE,
    );
  for (const d of p.positional)
    if (ctx.machine.resolve(d) === null) throw new CommandFailed(`  No device found for ${d}.`, ECMD_FAILED);
  for (const d of p.positional) initPv(ctx, d, io, p.options.has('--force'));
  return 0;
}

function addPvsToVg(ctx: LvmContext, vg: VolumeGroup, devices: readonly string[], io: CommandIo): void {
  for (const d of devices) {
    if (ctx.machine.resolve(d) === null) throw new CommandFailed(`  No device found for ${d}.`, ECMD_FAILED);
    const pv = findPv(ctx.lvm, d);
    if (pv?.vg != null)
      throw new CommandFailed(
        `  Physical volume '${d}' is already in volume group '${pv.vg}'\n  Unable to add physical volume '${d}' to volume group '${pv.vg}'\n  ${d}: physical volume not initialized.`,
        ECMD_FAILED,
      );
  }
  for (const d of devices) {
    if (findPv(ctx.lvm, d) === undefined) initPv(ctx, d, io, false);
    const pv = findPv(ctx.lvm, d)!;
    pv.vg = vg.name;
    pv.peCount = Math.max(0, Math.floor((pv.sizeSectors - PE_START_SECTORS) / vg.extentSectors));
    vg.pvs.push(d);
  }
}

function vgcreate(ctx: LvmContext, args: readonly string[], io: CommandIo): number {
  const p = parseArgs(ctx, 'vgcreate', args);
  const [name, ...devices] = p.positional;
  if (name === undefined)
    throw new CommandFailed(
      "  Please provide volume group name and physical volumes\n  Run `vgcreate --help' for more information.",
      EINVALID_CMD_LINE,
    );
  if (devices.length === 0)
    throw new CommandFailed(
      "  Please enter physical volume name(s)\n  Run `vgcreate --help' for more information.",
      EINVALID_CMD_LINE,
    );
  if (findVg(ctx.lvm, name) !== undefined)
    throw new CommandFailed(`  A volume group called ${name} already exists.`, ECMD_FAILED);
  if (!/^[A-Za-z0-9+_.][A-Za-z0-9+_.-]*$/.test(name))
    throw new CommandFailed(
      `  New volume group name "${name}" is invalid.\n  Run \`vgcreate --help' for more information.`,
      EINVALID_CMD_LINE,
    );
  const vg: VolumeGroup = { name, extentSectors: EXTENT_SECTORS, seqno: 0, pvs: [], lvs: [] };
  addPvsToVg(ctx, vg, devices, io);
  ctx.lvm.vgs.push(vg);
  commitVg(vg);
  io.out(`  Volume group "${name}" successfully created\n`);
  return 0;
}

function vgextend(ctx: LvmContext, args: readonly string[], io: CommandIo): number {
  const p = parseArgs(ctx, 'vgextend', args);
  const [name, ...devices] = p.positional;
  if (name === undefined || devices.length === 0)
    throw new CommandFailed(
      "  Please enter volume group name and physical volume(s)\n  Run `vgextend --help' for more information.",
      EINVALID_CMD_LINE,
    );
  const vg = requireVg(ctx, name);
  addPvsToVg(ctx, vg, devices, io);
  commitVg(vg);
  io.out(`  Volume group "${name}" successfully extended\n`);
  return 0;
}

/** The volumes `lvs` shows without -a: not a pool's hidden parts. */
export function isVisible(lv: LogicalVolume): boolean {
  return lv.role === 'linear' || lv.role === 'thin-pool' || lv.role === 'thin';
}

export function isActive(ctx: LvmContext, vg: VolumeGroup, lv: LogicalVolume): boolean {
  const name = lv.role === 'thin-pool' ? poolDmName(vg.name, lv) : dmName(vg.name, lv.name);
  return ctx.machine.device(name) !== undefined;
}

function vgchange(ctx: LvmContext, args: readonly string[], io: CommandIo): number {
  const p = parseArgs(ctx, 'vgchange', args);
  const activate = yesNo(opt(p, '--activate'), '--activate');
  const names = p.positional.length > 0 ? p.positional : ctx.lvm.vgs.map((v) => v.name);
  let status = 0;
  for (const n of names) {
    const vg = requireVg(ctx, n);
    if (activate === undefined) continue;
    const visible = vg.lvs.filter(isVisible);
    // On the way up in the group's order (a pool comes before its thin volumes, and a thin volume
    // before a linear volume created after it takes the next minor: fixtures/lvm/86); on the way
    // down thin volumes before their pools.
    const rank = (lv: LogicalVolume): number => (lv.role === 'thin' ? 1 : 0);
    const ordered = activate ? visible : [...visible].sort((a, b) => rank(b) - rank(a));
    for (const lv of ordered) {
      // LVM goes on with the other volumes when one fails to activate, and exits 5 at the end.
      try {
        if (activate) activateLv(ctx, vg, lv, io);
        else deactivateLv(ctx, vg, lv);
      } catch (e) {
        if (!activate || !(e instanceof CommandFailed)) throw e;
        status = e.text === '' ? e.status : failureStatus(e, io);
      }
    }
    const active = visible.filter((l) => isActive(ctx, vg, l)).length;
    io.out(`  ${active} logical volume(s) in volume group "${vg.name}" now active\n`);
  }
  return status;
}

/**
 * LVM's yes/no prompt on standard error, answered by the next line of standard input; at the end
 * of the input LVM takes the default (no) and shows it: `... [y/n]: [n]` (fixtures/lvm/82).
 */
export function confirm(io: CommandIo, answers: string[], prompt: string): boolean {
  io.err(`${prompt} [y/n]: `);
  const line = answers.shift();
  if (line === undefined) {
    io.err('[n]\n');
    return false;
  }
  return /^\s*y/i.test(line);
}

export function stdinLines(io: CommandIo): string[] {
  const text = latin1Text(io.stdin);
  return text === '' ? [] : text.replace(/\n$/, '').split('\n');
}

/** vgremove [-y|-f] VG...: removes the group's volumes (asking first, as lvremove does) and the group; its disks stay PVs. */
function vgremove(ctx: LvmContext, args: readonly string[], io: CommandIo): number {
  const p = parseArgs(ctx, 'vgremove', args);
  if (p.positional.length === 0)
    throw new CommandFailed(
      "  Please enter one or more volume group paths\n  Run `vgremove --help' for more information.",
      EINVALID_CMD_LINE,
    );
  const yes = p.options.has('--yes') || p.options.has('--force');
  const answers = stdinLines(io);
  for (const n of p.positional) {
    const vg = requireVg(ctx, n);
    const visible = vg.lvs.filter(isVisible);
    if (
      visible.length > 0 &&
      !yes &&
      !confirm(
        io,
        answers,
        `Do you really want to remove volume group "${vg.name}" containing ${visible.length} logical volumes?`,
      )
    ) {
      throw new CommandFailed(`  Volume group "${vg.name}" not removed`, ECMD_FAILED);
    }
    // In the group's order; thin volumes go with their pool (fixtures/lvm/85).
    for (const lv of visible) {
      if (findLv(vg, lv.name) !== undefined && lv.role !== 'thin') removeAsked(ctx, vg, lv, yes, answers, io);
    }
    for (const d of vg.pvs) {
      const pv = findPv(ctx.lvm, d)!;
      pv.vg = null;
      pv.peCount = 0;
    }
    ctx.lvm.vgs = ctx.lvm.vgs.filter((v) => v !== vg);
    io.out(`  Volume group "${vg.name}" successfully removed\n`);
  }
  return 0;
}

// ------------------------------------------------------------------ lvcreate

/** `-l N`, `-l N%VG`, `-l N%FREE`, `-l N%PVS`, or `-L SIZE`, as extents (rounded up for a size). */
function requestedExtents(
  ctx: LvmContext,
  vg: VolumeGroup,
  p: ParsedArgs,
  command: string,
  current = 0,
): number | null {
  const extentsText = opt(p, '--extents');
  const sizeText = opt(p, '--size');
  if (extentsText !== undefined) {
    const m = /^([+-]?)([0-9]+)(?:%(VG|FREE|PVS|ORIGIN))?$/i.exec(extentsText);
    if (m === null)
      throw new CommandFailed(
        `  Invalid argument for --extents: ${extentsText}\n  Error during parsing of command line.`,
        EINVALID_CMD_LINE,
      );
    const n = Number(m[2]);
    let extents = n;
    if (m[3] !== undefined) {
      const base = /^FREE$/i.test(m[3]) ? vgFreeExtents(ctx.lvm, vg) : vgExtentCount(ctx.lvm, vg);
      // percent_of_extents: lvcreate rounds down, lvextend rounds up (unless the sign is minus).
      const roundUp = command === 'lvextend' && m[1] !== '-';
      extents = Math.floor((base * n + (roundUp ? 99 : 0)) / 100);
    }
    if (m[1] === '+') return current + extents;
    if (m[1] === '-') return current - extents;
    return extents;
  }
  if (sizeText !== undefined) {
    const size = parseLvmSize(sizeText);
    if (size === null)
      throw new CommandFailed(
        `  Invalid argument for --size: ${sizeText}\n  Error during parsing of command line.`,
        EINVALID_CMD_LINE,
      );
    const extents = Math.ceil(size.sectors / vg.extentSectors);
    if (size.sectors % vg.extentSectors !== 0 && command !== 'lvextend') {
      // LVM says so before it creates the volume.
    }
    if (size.sign === '+') return current + extents;
    if (size.sign === '-') return current - extents;
    return extents;
  }
  return null;
}

/** LVM's note when a size is not a whole number of extents (no full stop: fixtures/lvm/85). */
function roundingNote(p: ParsedArgs, vg: VolumeGroup, extents: number, io: CommandIo, option = '--size'): void {
  const sizeText = opt(p, option);
  const size = sizeText === undefined ? null : parseLvmSize(sizeText);
  if (size !== null && size.sectors % vg.extentSectors !== 0) {
    io.out(`  Rounding up size to full physical extent ${lvmSize(extents * vg.extentSectors, 'message')}\n`);
  }
}

function chunkOption(p: ParsedArgs): number | null {
  const text = opt(p, '--chunksize');
  if (text === undefined) return null;
  const m = /^([0-9]+)([kKmM]?)$/.exec(text);
  if (m === null)
    throw new CommandFailed(
      `  Invalid argument for --chunksize: ${text}\n  Error during parsing of command line.`,
      EINVALID_CMD_LINE,
    );
  const kib = Number(m[1]) * (/m/i.test(m[2] ?? '') ? 1024 : 1);
  const sectors = kib * 2;
  if (sectors < 128 || sectors > 2097152) {
    throw new CommandFailed(
      `  Thin pool chunk size ${lvmSize(sectors, 'message')} is not in the range 64.00 KiB to 1.00 GiB.`,
      EINVALID_CMD_LINE,
    );
  }
  if (sectors % 128 !== 0)
    throw new CommandFailed(
      `  Thin pool chunk size ${lvmSize(sectors, 'message')} must be a multiple of 64.00 KiB.`,
      EINVALID_CMD_LINE,
    );
  return sectors;
}

function lvcreate(ctx: LvmContext, args: readonly string[], io: CommandIo): number {
  const p = parseArgs(ctx, 'lvcreate', args);
  if (opt(p, '--virtualsize') !== undefined && (p.options.has('--size') || p.options.has('--extents')))
    return createPoolAndThinVolume(ctx, p, io);
  return lvcreateParsed(ctx, p, io, true);
}

/**
 * `lvcreate -L SIZE -V VSIZE -T VG/POOL [-n NAME]`: a thin pool and its first thin volume in one
 * command. LVM prints the pool's lines but not its `created` line, then the thin volume's
 * (fixtures/lvm/102).
 */
function createPoolAndThinVolume(ctx: LvmContext, p: ParsedArgs, io: CommandIo): number {
  const poolOptions = new Map(p.options);
  poolOptions.delete('--virtualsize');
  poolOptions.delete('--name');
  poolOptions.set('--thin', ['']);
  const status = lvcreateParsed(ctx, { options: poolOptions, positional: p.positional }, io, false);
  if (status !== 0) return status;
  const thinOptions = new Map(p.options);
  thinOptions.delete('--size');
  thinOptions.delete('--extents');
  return createThinVolume(ctx, { options: thinOptions, positional: p.positional }, io);
}

function lvcreateParsed(ctx: LvmContext, p: ParsedArgs, io: CommandIo, announcePool: boolean): number {
  const type = opt(p, '--type');
  const thinpoolName = opt(p, '--thinpool');
  const wantsPool =
    thinpoolName !== undefined ||
    type === 'thin-pool' ||
    (p.options.has('--thin') && opt(p, '--virtualsize') === undefined);
  if (opt(p, '--virtualsize') !== undefined) return createThinVolume(ctx, p, io);
  if (type !== undefined && type !== 'thin-pool' && type !== 'linear')
    throw new CommandFailed(
      `  thinlab: lvcreate --type ${type} is not modelled in the lab (linear and thin-pool are).`,
      ECMD_FAILED,
    );
  // The VG: a positional `VG`, or `VG/LV`, or the VG part of --thinpool VG/POOL.
  let vgName: string | undefined;
  let lvName = opt(p, '--name');
  for (const pos of p.positional) {
    const path = splitLvPath(pos);
    if (path !== null) {
      vgName = path.vg;
      lvName ??= path.lv;
    } else vgName = pos;
  }
  let poolName = thinpoolName;
  if (poolName?.includes('/')) {
    const path = splitLvPath(poolName)!;
    vgName ??= path.vg;
    poolName = path.lv;
  }
  if (wantsPool) lvName = poolName ?? lvName;
  if (vgName === undefined)
    throw new CommandFailed(
      "  Please provide a volume group name\n  Run `lvcreate --help' for more information.",
      EINVALID_CMD_LINE,
    );
  const vg = requireVg(ctx, vgName);
  const extents = requestedExtents(ctx, vg, p, 'lvcreate');
  if (extents === null)
    throw new CommandFailed(
      "  Please specify either size or extents but not both.\n  Run `lvcreate --help' for more information.",
      EINVALID_CMD_LINE,
    );
  if (extents <= 0)
    throw new CommandFailed('  Calculated size of logical volume is 0 extents. Needs to be larger.', ECMD_FAILED);
  lvName ??= nextLvolName(vg);
  if (!validLvName(lvName))
    throw new CommandFailed(
      `  Logical volume name "${lvName}" is invalid.\n  Run \`lvcreate --help' for more information.`,
      EINVALID_CMD_LINE,
    );
  if (findLv(vg, lvName) !== undefined)
    throw new CommandFailed(`  Logical Volume "${lvName}" already exists in volume group "${vg.name}"`, ECMD_FAILED);
  const free = vgFreeExtents(ctx.lvm, vg);
  if (!wantsPool) {
    if (extents > free)
      throw new CommandFailed(
        `  Volume group "${vg.name}" has insufficient free space (${free} extents): ${extents} required.`,
        ECMD_FAILED,
      );
    roundingNote(p, vg, extents, io);
    const segments = allocateExtents(ctx.lvm, vg, extents)!;
    const lv = newLv(lvName, 'linear', segments);
    vg.lvs.push(lv);
    // lvm2 checks every new volume against the group's thin pools (pool_check_overprovisioning in
    // lv_create): a linear one takes free space the pools could have grown into (fixtures/lvm/97).
    checkOverprovisioning(ctx, vg, null, io);
    commitVg(vg);
    activateLv(ctx, vg, lv, io);
    io.out(`  Logical volume "${lvName}" created.\n`);
    return 0;
  }
  return createThinPool(ctx, vg, lvName, extents, p, io, announcePool);
}

/**
 * `lvcreate -V SIZE -T VG/POOL [-n NAME]`: a thin volume. LVM first checks that the pool is its own:
 * a pool whose kernel transaction id differs from the one in LVM's metadata (0 for a pool LVM never
 * put a thin volume in) has been used by someone else, Docker for one, and LVM refuses
 * (`check_new_thin_pool`). Then it sends the pool `create_thin ID` and `set_transaction_id`, moves
 * the pool under its `-tpool` layer if this is its first thin volume, and activates `vg-NAME`.
 */
function createThinVolume(ctx: LvmContext, p: ParsedArgs, io: CommandIo): number {
  let poolText = opt(p, '--thinpool') ?? p.positional.find((x) => x.includes('/'));
  if (poolText === undefined)
    throw new CommandFailed(
      "  Please specify either size or extents but not both.\n  Run `lvcreate --help' for more information.",
      EINVALID_CMD_LINE,
    );
  if (!poolText.includes('/')) poolText = `${p.positional.find((x) => !x.includes('/')) ?? ''}/${poolText}`;
  const { vg, lv: pool } = requireLv(ctx, poolText);
  if (pool.role !== 'thin-pool')
    throw new CommandFailed(`  Logical volume ${vg.name}/${pool.name} is not a thin pool.`, ECMD_FAILED);
  const sizeText = opt(p, '--virtualsize')!;
  const size = parseLvmSize(sizeText);
  if (size === null || size.sign !== '')
    throw new CommandFailed(
      `  Invalid argument for --virtualsize: ${sizeText}\n  Error during parsing of command line.`,
      EINVALID_CMD_LINE,
    );
  const extents = Math.ceil(size.sectors / vg.extentSectors);
  if (extents <= 0) throw new CommandFailed('  Virtual size must be larger than 0.', EINVALID_CMD_LINE);
  const name = opt(p, '--name') ?? nextLvolName(vg);
  if (!validLvName(name))
    throw new CommandFailed(
      `  Logical volume name "${name}" is invalid.\n  Run \`lvcreate --help' for more information.`,
      EINVALID_CMD_LINE,
    );
  if (findLv(vg, name) !== undefined)
    throw new CommandFailed(`  Logical Volume "${name}" already exists in volume group "${vg.name}"`, ECMD_FAILED);
  activateLv(ctx, vg, pool, QUIET_IO);
  const poolDev = ctx.machine.device(poolDmName(vg.name, pool))!;
  const kernelTid = Number(ctx.machine.targetStatus(poolDev, true).trim().split(/\s+/)[0]);
  // lvm2 checks a pool it never used (transaction id 0) in check_new_thin_pool, and a used one
  // through its status, whose mismatch leaves it no room for a new volume (fixtures/lvm/87).
  if (kernelTid !== pool.transactionId && pool.transactionId > 0) {
    io.err(
      `  WARNING: Thin pool ${vg.name}/${pool.name} has unexpected transaction id ${kernelTid}, expecting ${pool.transactionId}.\n`,
    );
    throw new CommandFailed(
      `  Cannot create new thin volume, free space in thin pool ${vg.name}/${pool.name} reached threshold.`,
      ECMD_FAILED,
    );
  }
  if (kernelTid !== pool.transactionId) {
    throw new CommandFailed(
      `  Cannot use thin pool ${vg.name}/${pool.name} with transaction id ${kernelTid} for thin volumes. Expected transaction id ${pool.transactionId}.`,
      ECMD_FAILED,
    );
  }
  roundingNote(p, vg, extents, io, '--virtualsize');
  const thinId =
    1 + vg.lvs.filter((l) => l.role === 'thin' && l.pool === pool.name).reduce((n, l) => Math.max(n, l.thinId), 0);
  if (pool.transactionId === 0) {
    // The first thin volume: LVM reloads the pool under its -tpool layer, with `vg-pool` a linear
    // over it, before it sends the messages: the kernel has reopened the pool's metadata by then
    // (its allocations start again from block 0: fixtures/kernel-probes/172). The layer's name
    // follows the transaction id the messages are about to set.
    const old = ctx.machine.device(dmName(vg.name, pool.name));
    if (old !== undefined) removeDevice(ctx.machine, old);
    pool.transactionId = 1;
    activateLv(ctx, vg, pool, QUIET_IO, false);
    pool.transactionId = 0;
  }
  sendPoolMessages(ctx, vg, pool, [['create_thin', String(thinId)]]);
  const thin = newLv(name, 'thin', []);
  thin.pool = pool.name;
  thin.thinId = thinId;
  thin.virtualSectors = extents * vg.extentSectors;
  thin.zeroNewBlocks = pool.zeroNewBlocks;
  vg.lvs.push(thin);
  // lvm2 commits the new volume with the pool's message queued, then again once the pool took it
  // (fixtures/lvm/100: every lvcreate -V moves the sequence number by two).
  commitVg(vg);
  commitVg(vg);
  activateLv(ctx, vg, thin, io);
  checkOverprovisioning(ctx, vg, thin, io);
  io.out(`  Logical volume "${name}" created.\n`);
  return 0;
}

/** Sends thin-pool messages and moves the pool's transaction id on by one, as LVM does for each change. */
function sendPoolMessages(
  ctx: LvmContext,
  vg: VolumeGroup,
  pool: LogicalVolume,
  messages: ReadonlyArray<readonly string[]>,
): void {
  // The thin-pool target itself, under its -tpool layer once LVM has put one there.
  const dev = ctx.machine.device(dmName(vg.name, pool.name, 'tpool')) ?? ctx.machine.device(poolDmName(vg.name, pool))!;
  for (const argv of [
    ...messages,
    ['set_transaction_id', String(pool.transactionId), String(pool.transactionId + 1)],
  ]) {
    if (ctx.machine.message(dev, argv) !== 0)
      throw new CommandFailed(`  Failed to process thin pool message "${argv.join(' ')}".`, ECMD_FAILED);
  }
  pool.transactionId++;
}

/**
 * lvm2's `thin_pool_check_overprovisioning`: when the thin volumes of the pool (or of all pools)
 * add up to more than the pools, LVM warns, naming what the sum also exceeds: the whole group, its
 * free space, or (with some room left but no autoextend configured) the pools. `lv` is the volume
 * the command changed; anything but a pool or a thin volume (a pool's metadata, lvconvert --repair)
 * makes LVM speak of "thin pools" in the plural (fixtures/lvm/81, 84).
 */
export function checkOverprovisioning(ctx: LvmContext, vg: VolumeGroup, lv: LogicalVolume | null, io: CommandIo): void {
  const poolLv = lv === null ? null : lv.role === 'thin' ? findLv(vg, lv.pool!)! : lv.role === 'thin-pool' ? lv : null;
  const thinSum = (pool: LogicalVolume): number =>
    vg.lvs.filter((l) => l.role === 'thin' && l.pool === pool.name).reduce((n, l) => n + l.virtualSectors, 0);
  let poolSum = 0;
  let thinTotal = 0;
  if (poolLv !== null) {
    poolSum = lvSizeSectors(vg, poolLv);
    thinTotal = thinSum(poolLv);
    if (thinTotal <= poolSum) return;
  }
  let maxThreshold = 0;
  let minPercent = 100;
  let morePools = false;
  for (const pool of vg.lvs.filter((l) => l.role === 'thin-pool')) {
    const policy = readProfile(ctx.fs, pool.profile);
    maxThreshold = Math.max(maxThreshold, policy.threshold);
    minPercent = Math.min(minPercent, policy.percent);
    if (pool === poolLv) continue;
    morePools = true;
    poolSum += lvSizeSectors(vg, pool);
    thinTotal += thinSum(pool);
  }
  if (thinTotal <= poolSum) return;
  const vgSize = vgExtentCount(ctx.lvm, vg) * vg.extentSectors;
  const vgFree = vgFreeExtents(ctx.lvm, vg) * vg.extentSectors;
  let what: string;
  let size: number;
  if (vgSize < thinTotal) [what, size] = [' and the size of whole volume group', vgSize];
  else if (vgFree < thinTotal)
    [what, size] = [vgFree === 0 ? '' : ' and the amount of free space in volume group', vgFree];
  else if (maxThreshold > 99 || minPercent === 0) [what, size] = ['', poolSum];
  else return;
  const pools = morePools || poolLv === null ? 's' : ` ${vg.name}/${poolLv.name}`;
  const shown = size > 0 ? lvmSize(size, 'message') : 'no free space in volume group';
  io.err(
    `  WARNING: Sum of all thin volume sizes (${lvmSize(thinTotal, 'message')}) exceeds the size of thin pool${pools}${what} (${shown}).\n`,
  );
  if (maxThreshold > 99 || minPercent === 0)
    io.out('  WARNING: You have not turned on protection against thin pools running out of space.\n');
  if (maxThreshold > 99)
    io.out(
      '  WARNING: Set activation/thin_pool_autoextend_threshold below 100 to trigger automatic extension of thin pools before they get full.\n',
    );
  if (minPercent === 0)
    io.out(
      '  WARNING: Set activation/thin_pool_autoextend_percent above 0 to specify by how much to extend thin pools reaching the threshold.\n',
    );
}

function createThinPool(
  ctx: LvmContext,
  vg: VolumeGroup,
  name: string,
  dataExtents: number,
  p: ParsedArgs,
  io: CommandIo,
  announce = true,
): number {
  if (!thinTargetsPresent(ctx, targetCheck(ctx), io))
    throw new CommandFailed(
      "  thin-pool: Required device-mapper target(s) not detected in your kernel.\n  Run `lvcreate --help' for more information.",
      EINVALID_CMD_LINE,
    );
  const chunk = chunkOption(p);
  const metaText = opt(p, '--poolmetadatasize');
  let estimate = estimatePoolMetadata(dataExtents * vg.extentSectors, chunk, vg.extentSectors);
  if (metaText !== undefined) {
    const size = parseLvmSize(metaText);
    if (size === null)
      throw new CommandFailed(
        `  Invalid argument for --poolmetadatasize: ${metaText}\n  Error during parsing of command line.`,
        EINVALID_CMD_LINE,
      );
    estimate = {
      chunkSectors: estimate.chunkSectors,
      metadataSectors: Math.ceil(size.sectors / vg.extentSectors) * vg.extentSectors,
    };
  }
  const metaExtents = estimate.metadataSectors / vg.extentSectors;
  const profileName = opt(p, '--metadataprofile');
  if (profileName !== undefined && ctx.fs.get(profilePath(profileName)) === undefined)
    throw new CommandFailed(`  Failed to load configuration profile ${profileName}.`, ECMD_FAILED);
  // The pool's data, its metadata, and a spare metadata volume of the same size for repairs.
  const spareExtents = vg.lvs.some((l) => l.role === 'pool-spare') ? 0 : metaExtents;
  const needed = dataExtents + metaExtents + spareExtents;
  const free = vgFreeExtents(ctx.lvm, vg);
  if (needed > free)
    throw new CommandFailed(
      `  Volume group "${vg.name}" has insufficient free space (${free} extents): ${needed} required.`,
      ECMD_FAILED,
    );
  roundingNote(p, vg, dataExtents, io);
  io.out(
    `  Thin pool volume with chunk size ${lvmSize(estimate.chunkSectors, 'message')} can address at most ${lvmSize(maxPoolDataSectors(estimate.chunkSectors), 'message')} of data.\n`,
  );
  // LVM allocates the spare first, then the data, then the metadata (fixtures/lvm/81's tables).
  const spareName = nextLvolName(vg, '_pmspare');
  if (spareExtents > 0) vg.lvs.push(newLv(spareName, 'pool-spare', allocateExtents(ctx.lvm, vg, spareExtents)!));
  const data = newLv(`${name}_tdata`, 'pool-data', allocateExtents(ctx.lvm, vg, dataExtents)!);
  vg.lvs.push(data);
  // A disk without the pool's data (fixtures/lvm/98: data on the first disk, metadata on the
  // second) and without another pool's metadata is preferred (docs/lvm.md).
  const meta = newLv(`${name}_tmeta`, 'pool-metadata', allocateMetadata(ctx, vg, metaExtents, data));
  vg.lvs.push(meta);
  const pool = newLv(name, 'thin-pool', []);
  pool.chunkSectors = estimate.chunkSectors;
  pool.zeroNewBlocks = yesNo(opt(p, '--zero'), '--zero') ?? true;
  pool.errorWhenFull = yesNo(opt(p, '--errorwhenfull'), '--errorwhenfull') ?? false;
  pool.dataLv = data.name;
  pool.metadataLv = meta.name;
  pool.profile = profileName ?? null;
  vg.lvs.push(pool);
  wipeMetadata(ctx, vg, meta);
  try {
    activateLv(ctx, vg, pool, io);
  } catch (e) {
    // LVM reverts a volume it could not activate.
    const added = new Set([pool.name, data.name, meta.name, ...(spareExtents > 0 ? [spareName] : [])]);
    vg.lvs = vg.lvs.filter((l) => !added.has(l.name));
    throw e;
  }
  // lvm2 makes a missing spare as a volume of its own (one commit), then commits the pool with its
  // metadata wiped, and again once it is active (fixtures/lvm/100).
  if (spareExtents > 0) commitVg(vg);
  commitVg(vg);
  commitVg(vg);
  if (announce) io.out(`  Logical volume "${name}" created.\n`);
  return 0;
}

/**
 * Extents for a pool's metadata: on a disk that holds neither the pool's data nor another pool's
 * metadata when there is one, else on one without another pool's metadata, else anywhere.
 */
function allocateMetadata(ctx: LvmContext, vg: VolumeGroup, extents: number, data: LogicalVolume): LvmSegment[] {
  const otherMeta = new Set(
    vg.lvs.filter((l) => l.role === 'pool-metadata').flatMap((l) => l.segments.map((s) => s.pv)),
  );
  const dataDisks = new Set(data.segments.map((s) => s.pv));
  for (const avoid of [(d: string) => otherMeta.has(d) || dataDisks.has(d), (d: string) => otherMeta.has(d)]) {
    for (const device of vg.pvs) {
      if (avoid(device)) continue;
      const fit = freeRuns(ctx.lvm, vg, device).find((r) => r.extents >= extents);
      if (fit !== undefined) return [{ pv: device, startExtent: fit.start, extents }];
    }
  }
  return allocateExtents(ctx.lvm, vg, extents)!;
}

/** LVM zeroes the start of a new pool's metadata volume, so the kernel formats fresh metadata. */
export function wipeMetadata(ctx: LvmContext, vg: VolumeGroup, meta: LogicalVolume): void {
  const s = meta.segments[0]!;
  const dev = ctx.machine.resolve(s.pv);
  if (dev === null) return;
  ctx.machine.writeSectors(dev, PE_START_SECTORS + s.startExtent * vg.extentSectors, new Uint32Array(8));
}

// ------------------------------------------------------------------ lvconvert

function lvconvert(ctx: LvmContext, args: readonly string[], io: CommandIo): number {
  const p = parseArgs(ctx, 'lvconvert', args);
  if (p.options.has('--repair')) return repairPool(ctx, p, io);
  const type = opt(p, '--type');
  let dataText = opt(p, '--thinpool');
  if (dataText === undefined && type === 'thin-pool') dataText = p.positional[0];
  const metaText = opt(p, '--poolmetadata');
  if (dataText === undefined)
    throw new CommandFailed(
      '  thinlab: lvconvert: the lab models --thinpool/--type thin-pool with --poolmetadata, and --repair.',
      EINVALID_CMD_LINE,
    );
  const { vg, lv: data } = requireLv(ctx, dataText.includes('/') ? dataText : `${p.positional[0] ?? ''}/${dataText}`);
  if (metaText === undefined)
    throw new CommandFailed(
      '  thinlab: lvconvert: a pool without --poolmetadata is not modelled in the lab.',
      EINVALID_CMD_LINE,
    );
  const metaPath = metaText.includes('/') ? metaText : `${vg.name}/${metaText}`;
  const { lv: meta } = requireLv(ctx, metaPath);
  if (data.role !== 'linear' || meta.role !== 'linear')
    throw new CommandFailed(`  Operation not permitted on LV ${vg.name}/${data.name} type ${data.role}.`, ECMD_FAILED);
  const chunk = chunkOption(p);
  const estimate = estimatePoolMetadata(lvExtents(data) * vg.extentSectors, chunk, vg.extentSectors);
  const zero = yesNo(opt(p, '--zero'), '--zero') ?? true;
  if (!p.options.has('--yes')) {
    throw new CommandFailed(
      `  thinlab: lvconvert would ask "Do you really want to convert ${vg.name}/${data.name} and ${vg.name}/${meta.name}? [y/n]": the lab has no terminal, give -y.`,
      ECMD_FAILED,
    );
  }
  for (const lv of [data, meta]) {
    const dev = ctx.machine.device(dmName(vg.name, lv.name));
    if (dev !== undefined && dev.openCount > 0)
      throw new CommandFailed(`  Logical volume ${vg.name}/${lv.name} in use.`, ECMD_FAILED);
  }
  io.out(
    `  Thin pool volume with chunk size ${lvmSize(estimate.chunkSectors, 'message')} can address at most ${lvmSize(maxPoolDataSectors(estimate.chunkSectors), 'message')} of data.\n`,
  );
  io.err(
    `  WARNING: Converting ${vg.name}/${data.name} and ${vg.name}/${meta.name} to thin pool's data and metadata volumes with metadata wiping.\n  THIS WILL DESTROY CONTENT OF LOGICAL VOLUME (filesystem etc.)\n`,
  );
  for (const lv of [data, meta]) deactivateLv(ctx, vg, lv);
  const spareNeeded = !vg.lvs.some((l) => l.role === 'pool-spare');
  const poolName = data.name;
  data.name = `${poolName}_tdata`;
  data.role = 'pool-data';
  meta.name = `${poolName}_tmeta`;
  meta.role = 'pool-metadata';
  if (spareNeeded) {
    const spare = allocateExtents(ctx.lvm, vg, lvExtents(meta));
    if (spare === null) io.err('  WARNING: Not enough free space for spare metadata volume (skipping).\n');
    else {
      vg.lvs.push(newLv(nextLvolName(vg, '_pmspare'), 'pool-spare', spare));
      commitVg(vg);
    }
  }
  const pool = newLv(poolName, 'thin-pool', []);
  pool.chunkSectors = estimate.chunkSectors;
  pool.zeroNewBlocks = zero;
  pool.dataLv = data.name;
  pool.metadataLv = meta.name;
  vg.lvs.push(pool);
  wipeMetadata(ctx, vg, meta);
  commitVg(vg);
  activateLv(ctx, vg, pool, io);
  io.out(
    `  Converted ${vg.name}/${poolName} and ${vg.name}/${meta.name.replace(/_tmeta$/, '') === poolName ? metaText.split('/').pop()! : meta.name} to thin pool.\n`,
  );
  return 0;
}

/** lvm2's answer to `lvconvert --repair` without a volume (fixtures/lvm/90). */
function noMatchingRepairSyntax(ctx: LvmContext): string {
  const end = lvmStack(ctx).syntaxLineEnd;
  return `  No command with matching syntax recognised.  Run 'lvconvert --help' for more information.
  Nearest similar command has syntax:
  lvconvert --repair LV
  Replace failed PVs in a raid or mirror LV.${end}
  Repair a thin pool.${end}
  Repair a cache pool.

`;
}

/**
 * lvconvert --repair VG/POOL: the pool must be inactive; thin_repair writes repaired metadata
 * from the pool's metadata to the spare volume, the spare becomes the pool's metadata, and the
 * old metadata stays as a visible volume `POOL_meta0` for investigation.
 */
function repairPool(ctx: LvmContext, p: ParsedArgs, io: CommandIo): number {
  const target = p.positional[0];
  if (target === undefined) throw new CommandFailed(noMatchingRepairSyntax(ctx), EINVALID_CMD_LINE);
  const { vg, lv: pool } = requireLv(ctx, target);
  if (pool.role !== 'thin-pool')
    throw new CommandFailed(
      `  ${lvmStack(ctx).lvTypeRefusalPrefix}Command on LV ${vg.name}/${pool.name} does not accept LV type ${pool.role}.\n  Command not permitted on LV ${vg.name}/${pool.name}.`,
      ECMD_FAILED,
    );
  if (isActive(ctx, vg, pool))
    throw new CommandFailed(`  ${lvmStack(ctx).activePoolRepairText(vg.name, pool.name)}`, ECMD_FAILED);
  const spare = vg.lvs.find((l) => l.role === 'pool-spare');
  if (spare === undefined)
    throw new CommandFailed(
      `  Repair of thin metadata volume of thin pool ${vg.name}/${pool.name} failed (status:1). Manual repair required!`,
      ECMD_FAILED,
    );
  const meta = findLv(vg, pool.metadataLv!)!;
  const metaDm = dmName(vg.name, meta.name);
  const spareDm = dmName(vg.name, spare.name);
  if (
    createDevice(ctx.machine, metaDm, linearTable(ctx, vg, meta)) !== 0 ||
    createDevice(ctx.machine, spareDm, linearTable(ctx, vg, spare)) !== 0
  ) {
    throw new CommandFailed(`  Failed to activate ${vg.name}/${pool.name}.`, ECMD_FAILED);
  }
  const repair = execThinTool(ctx, 'thin_repair', thinRepairExecutable(ctx.fs), [
    '-i',
    `/dev/mapper/${metaDm}`,
    '-o',
    `/dev/mapper/${spareDm}`,
  ]);
  const status = repair.status;
  for (const name of [metaDm, spareDm]) {
    const dev = ctx.machine.device(name);
    if (dev !== undefined) removeDevice(ctx.machine, dev);
  }
  if (status !== 0) {
    io.err(repair.text);
    throw new CommandFailed(
      `  Repair of thin metadata volume of thin pool ${vg.name}/${pool.name} failed (status:${status}). Manual repair required!`,
      ECMD_FAILED,
    );
  }
  // A new spare first (it takes the next lvolN name while the old spare still holds its own:
  // `lvol1_pmspare`, fixtures/lvm/84), then the swap: the spare becomes the metadata, the old
  // metadata a visible POOL_meta0.
  const newSpare = allocateExtents(ctx.lvm, vg, lvExtents(spare));
  if (newSpare !== null) {
    vg.lvs.push(newLv(nextLvolName(vg, '_pmspare'), 'pool-spare', newSpare));
    commitVg(vg);
  } else io.err('  WARNING: Not enough free space for spare metadata volume (skipping).\n');
  let n = 0;
  while (findLv(vg, `${pool.name}_meta${n}`) !== undefined) n++;
  const backupName = `${pool.name}_meta${n}`;
  meta.name = backupName;
  // lvm2 links the backup into the group's list anew, after the volumes there: vgchange then
  // activates it after the pool's thins (fixtures/lvm/90: thin1 takes minor 4, the backup after).
  vg.lvs.splice(vg.lvs.indexOf(meta), 1);
  vg.lvs.push(meta);
  meta.role = 'linear';
  meta.readOnly = lvmStack(ctx).repairBackupReadOnly;
  spare.name = `${pool.name}_tmeta`;
  spare.role = 'pool-metadata';
  pool.metadataLv = spare.name;
  commitVg(vg);
  checkOverprovisioning(ctx, vg, null, io);
  io.err(
    `  WARNING: LV ${vg.name}/${backupName} holds a backup of the unrepaired metadata. Use lvremove when no longer required.\n`,
  );
  // Not seen on the oracle (one disk there); lvm2 words it so for a group of several disks.
  if (vg.pvs.length > 1)
    io.err(
      `  WARNING: New metadata LV ${vg.name}/${spare.name} might use different PVs.  Move it with pvmove if required.\n`,
    );
  return 0;
}

// ------------------------------------------------------------------ lvextend

function lvextend(ctx: LvmContext, name: string, args: readonly string[], io: CommandIo): number {
  const p = parseArgs(ctx, name, args);
  const target = p.positional[0];
  if (target === undefined)
    throw new CommandFailed(
      "  Please specify a logical volume path.\n  Run `lvextend --help' for more information.",
      EINVALID_CMD_LINE,
    );
  const { vg, lv } = requireLv(ctx, target, 'lvextend');
  if (p.options.has('--usepolicies')) return extendByPolicy(ctx, vg, lv, io) ? 0 : ECMD_FAILED;
  const metaText = opt(p, '--poolmetadatasize');
  let changed = false;
  if (metaText !== undefined) {
    if (lv.role !== 'thin-pool')
      throw new CommandFailed(`  --poolmetadatasize can be used only with thin pools.`, EINVALID_CMD_LINE);
    const size = parseLvmSize(metaText);
    if (size === null)
      throw new CommandFailed(
        `  Invalid argument for --poolmetadatasize: ${metaText}\n  Error during parsing of command line.`,
        EINVALID_CMD_LINE,
      );
    const meta = findLv(vg, lv.metadataLv!)!;
    const current = lvExtents(meta);
    const extents = Math.ceil(size.sectors / vg.extentSectors);
    const wanted = size.sign === '+' ? current + extents : extents;
    resizeSubvolume(ctx, vg, lv, meta, wanted, io, name);
    changed = true;
  }
  const dataLv = lv.role === 'thin-pool' ? findLv(vg, lv.dataLv!)! : lv;
  const wanted = requestedExtents(ctx, vg, p, 'lvextend', lvExtents(dataLv));
  if (wanted !== null) {
    resizeSubvolume(ctx, vg, lv, dataLv, wanted, io, name);
    changed = true;
  }
  if (!changed)
    throw new CommandFailed(
      "  Please specify either size or extents but not both.\n  Run `lvextend --help' for more information.",
      EINVALID_CMD_LINE,
    );
  return 0;
}

function resizeSubvolume(
  ctx: LvmContext,
  vg: VolumeGroup,
  top: LogicalVolume,
  lv: LogicalVolume,
  wanted: number,
  io: CommandIo,
  command = 'lvextend',
): void {
  const current = lvExtents(lv);
  const shown = `${vg.name}/${lv.name}`;
  if (wanted < current) {
    // lvextend refuses any smaller size; lvresize gets as far as the pool's own refusal.
    if (top.role === 'thin-pool' && command === 'lvresize')
      throw new CommandFailed(`  Thin pool volumes ${vg.name}/${lv.name} cannot be reduced in size yet.`, ECMD_FAILED);
    throw new CommandFailed(
      `  New size given (${wanted} extents) not larger than existing size (${current} extents)`,
      ECMD_FAILED,
    );
  }
  if (wanted === current)
    throw new CommandFailed(`  New size (${wanted} extents) matches existing size (${current} extents).`, ECMD_FAILED);
  const free = vgFreeExtents(ctx.lvm, vg);
  if (wanted - current > free)
    throw new CommandFailed(
      `  Insufficient free space: ${wanted - current} extents needed, but only ${free} available`,
      ECMD_FAILED,
    );
  growLv(ctx.lvm, vg, lv, wanted - current);
  io.out(
    `  Size of logical volume ${shown} changed from ${lvmSize(current * vg.extentSectors, 'message')} (${current} extents) to ${lvmSize(wanted * vg.extentSectors, 'message')} (${wanted} extents).\n`,
  );
  if (lv.role === 'pool-metadata') growSpare(ctx, vg, wanted);
  commitVg(vg);
  reloadForResize(ctx, vg, top, lv);
  // LVM checks over-provisioning with the volume it resized: the pool for its data, and for the
  // metadata `_tmeta` in 2.03.16, the pool in 2.03.31.
  const resized = lv.role === 'pool-metadata' && !lvmStack(ctx).metadataResizeNamesPool ? lv : top;
  if (top.role === 'thin-pool') checkOverprovisioning(ctx, vg, resized, io);
  io.out(`  Logical volume ${vg.name}/${resized.name} successfully resized.\n`);
}

/** LVM keeps the spare as big as the biggest pool metadata, so that a repair always has room (fixtures/lvm/81). */
function growSpare(ctx: LvmContext, vg: VolumeGroup, metadataExtents: number): void {
  const spare = vg.lvs.find((l) => l.role === 'pool-spare');
  if (spare === undefined || lvExtents(spare) >= metadataExtents) return;
  growLv(ctx.lvm, vg, spare, Math.min(metadataExtents - lvExtents(spare), vgFreeExtents(ctx.lvm, vg)));
}

/** Reloads the grown volume and, for a pool, the pool above it (suspend, load, resume: the pool sees the new size). */
function reloadForResize(ctx: LvmContext, vg: VolumeGroup, top: LogicalVolume, lv: LogicalVolume): void {
  const m = ctx.machine;
  if (m.device(dmName(vg.name, lv.name)) === undefined) return;
  const errno = dmReload(m, dmName(vg.name, lv.name), linearTable(ctx, vg, lv));
  if (errno !== 0) throw new CommandFailed(`  Failed to resume ${vg.name}/${lv.name}.`, ECMD_FAILED);
  const poolName = top.role === 'thin-pool' ? poolDmName(vg.name, top) : null;
  if (poolName !== null && m.device(poolName) !== undefined) {
    const e2 = dmReload(m, poolName, poolTable(ctx, vg, top));
    if (e2 !== 0) throw new CommandFailed(`  Failed to resume ${vg.name}/${top.name}.`, ECMD_FAILED);
    // The linear `vg-pool` over the -tpool layer follows the pool's size.
    const tpool = m.device(poolName)!;
    if (poolName !== dmName(vg.name, top.name) && m.device(dmName(vg.name, top.name)) !== undefined) {
      dmReload(m, dmName(vg.name, top.name), `0 ${lvSizeSectors(vg, top)} linear ${devNumber(tpool)} 0`);
    }
  }
}

/**
 * `lvextend --use-policies`: what dmeventd runs when a pool crosses its threshold. Grows data (and
 * metadata) by `thin_pool_autoextend_percent` while usage is at or above the threshold.
 */
export function extendByPolicy(ctx: LvmContext, vg: VolumeGroup, pool: LogicalVolume, io: CommandIo): boolean {
  if (pool.role !== 'thin-pool') return true;
  const policy = readProfile(ctx.fs, pool.profile);
  if (policy.threshold >= 100 || policy.percent === 0) return true;
  const usage = poolUsage(ctx, vg, pool);
  if (usage === null) return true;
  // Data and metadata each grow by the profile's percent when at or above the threshold.
  let ok = true;
  for (const [percent, sub] of [
    [usage.dataPercent, pool.dataLv],
    [usage.metadataPercent, pool.metadataLv],
  ] as const) {
    if (percent < policy.threshold) continue;
    const lv = findLv(vg, sub!)!;
    const current = lvExtents(lv);
    try {
      resizeSubvolume(ctx, vg, pool, lv, current + Math.max(1, Math.ceil((current * policy.percent) / 100)), io);
    } catch (e) {
      if (!(e instanceof CommandFailed)) throw e;
      io.err(`${e.text}\n`);
      ok = false;
    }
  }
  return ok;
}

// ------------------------------------------------------------------ lvchange, lvremove

function lvchange(ctx: LvmContext, args: readonly string[], io: CommandIo): number {
  const p = parseArgs(ctx, 'lvchange', args);
  const targets = p.positional;
  if (targets.length === 0)
    throw new CommandFailed(
      "  Please give logical volume path(s)\n  Run `lvchange --help' for more information.",
      EINVALID_CMD_LINE,
    );
  const activate = yesNo(opt(p, '--activate'), '--activate');
  const profile = opt(p, '--metadataprofile');
  for (const t of targets) {
    const { vg, lv } = requireLv(ctx, t);
    if (profile !== undefined) {
      if (ctx.fs.get(profilePath(profile)) === undefined)
        throw new CommandFailed(`  Failed to load configuration profile ${profile}.`, ECMD_FAILED);
      lv.profile = profile;
      commitVg(vg);
      io.out(`  Logical volume ${vg.name}/${lv.name} changed.\n`);
    }
    if (activate === true) activateLv(ctx, vg, lv, io);
    if (activate === false) deactivateLv(ctx, vg, lv);
  }
  return 0;
}

function lvremove(ctx: LvmContext, args: readonly string[], io: CommandIo): number {
  const p = parseArgs(ctx, 'lvremove', args);
  if (p.positional.length === 0)
    throw new CommandFailed(
      "  Please enter one or more logical volume paths\n  Run `lvremove --help' for more information.",
      EINVALID_CMD_LINE,
    );
  const yes = p.options.has('--yes') || p.options.has('--force');
  const answers = stdinLines(io);
  const before = new Map(ctx.lvm.vgs.map((vg) => [vg, [...vg.lvs]]));
  try {
    for (const t of p.positional) {
      const { vg, lv } = requireLv(ctx, t);
      removeAsked(ctx, vg, lv, yes, answers, io);
    }
  } finally {
    for (const [vg, lvs] of before) commitRemovals(vg, lvs);
  }
  return 0;
}

/**
 * lvremove's commits (fixtures/lvm/100, 102): a thin volume removed from a pool that stays takes
 * two (the group with the pool's `delete` message queued, then without it), and the other
 * removals go with them; a command that removed no such thin volume commits once for all it
 * removed (two pools, a pool with its thin volumes, or a linear volume: one each time).
 */
function commitRemovals(vg: VolumeGroup, before: readonly LogicalVolume[]): void {
  const removed = before.filter((lv) => !vg.lvs.includes(lv));
  if (removed.length === 0) return;
  const thins = removed.filter((lv) => lv.role === 'thin' && findLv(vg, lv.pool!) !== undefined).length;
  for (let i = 0; i < Math.max(1, 2 * thins); i++) commitVg(vg);
}

/**
 * lvremove's questions, then the removal: a pool with thin volumes asks once for all of them, and
 * each active volume asks for itself, the thin volumes before their pool (fixtures/lvm/82, 85).
 */
function removeAsked(
  ctx: LvmContext,
  vg: VolumeGroup,
  lv: LogicalVolume,
  yes: boolean,
  answers: string[],
  io: CommandIo,
): void {
  const dependents = lv.role === 'thin-pool' ? vg.lvs.filter((l) => l.role === 'thin' && l.pool === lv.name) : [];
  if (
    dependents.length > 0 &&
    !yes &&
    !confirm(
      io,
      answers,
      `Removing pool ${vg.name}/${lv.name} will remove ${dependents.length} dependent volume(s). Proceed?`,
    )
  ) {
    throw new CommandFailed(`  Logical volume ${vg.name}/${lv.name} not removed.`, ECMD_FAILED);
  }
  for (const victim of [...dependents, lv]) {
    if (
      !yes &&
      isActive(ctx, vg, victim) &&
      !confirm(io, answers, `Do you really want to remove active logical volume ${vg.name}/${victim.name}?`)
    ) {
      throw new CommandFailed(`  Logical volume ${vg.name}/${victim.name} not removed.`, ECMD_FAILED);
    }
    removeLv(ctx, vg, victim, io);
  }
}

/** Removes one volume: a thin volume from its pool (`delete ID`), a pool with its hidden volumes, the spare with the last pool. */
function removeLv(ctx: LvmContext, vg: VolumeGroup, lv: LogicalVolume, io: CommandIo): void {
  if (lv.role === 'thin-pool') {
    for (const thin of vg.lvs.filter((l) => l.role === 'thin' && l.pool === lv.name)) removeLv(ctx, vg, thin, io);
  }
  deactivateLv(ctx, vg, lv);
  if (lv.role === 'thin') {
    const pool = findLv(vg, lv.pool!)!;
    activateLv(ctx, vg, pool, QUIET_IO);
    sendPoolMessages(ctx, vg, pool, [['delete', String(lv.thinId)]]);
  }
  const names = new Set([lv.name, lv.dataLv, lv.metadataLv].filter((n): n is string => n !== null));
  vg.lvs = vg.lvs.filter((l) => !names.has(l.name));
  if (!vg.lvs.some((l) => l.role === 'thin-pool')) vg.lvs = vg.lvs.filter((l) => l.role !== 'pool-spare');
  io.out(`  Logical volume "${lv.name}" successfully removed.\n`);
}

// ------------------------------------------------------------------ reports

export interface PoolUsage {
  readonly dataUsed: number;
  readonly dataTotal: number;
  readonly metaUsed: number;
  readonly metaTotal: number;
  readonly dataPercent: number;
  readonly metadataPercent: number;
  readonly mode: string;
}

/** The pool's status line as LVM reads it (dm_get_status_thin_pool); null when it is not active. */
export function poolStatusOf(ctx: ShellContext, vg: VolumeGroup, pool: LogicalVolume): PoolStatus | null {
  const dev = ctx.machine.device(poolDmName(vg.name, pool));
  if (dev === undefined || dev.live?.type !== 'thin-pool') return null;
  const status = parsePoolStatus(ctx.machine.targetStatus(dev, true));
  assert(status !== null, 'a live thin-pool prints a pool status line');
  return status;
}

/** The pool's usage from its status line; null when it is not active or reports no counts (`Fail`). */
export function poolUsage(ctx: ShellContext, vg: VolumeGroup, pool: LogicalVolume): PoolUsage | null {
  return usageOf(poolStatusOf(ctx, vg, pool));
}

/** The counts of a pool status line; null when there is none or it reports none (`Fail`). */
function usageOf(status: PoolStatus | null): PoolUsage | null {
  if (status === null || status.kind !== 'fields') return null;
  const s = status;
  return {
    dataUsed: s.dataUsedBlocks,
    dataTotal: s.dataTotalBlocks,
    metaUsed: s.metadataUsedBlocks,
    metaTotal: s.metadataTotalBlocks,
    dataPercent: (s.dataUsedBlocks * 100) / s.dataTotalBlocks,
    metadataPercent: (s.metadataUsedBlocks * 100) / s.metadataTotalBlocks,
    mode: s.modeWord,
  };
}

/** LVM's percentages: two decimals, never 100.00 unless full and never 0.00 unless empty. */
export function percentText(used: number, total: number): string {
  if (total === 0) return '0.00';
  const value = (used * 100) / total;
  let s = value.toFixed(2);
  if (s === '100.00' && used < total) s = '99.99';
  if (s === '0.00' && used > 0) s = '0.01';
  return s;
}

/**
 * What LVM reads of a volume's device for a report row (its lv_seg_status): nothing when the volume
 * is not active, `unknown` when the live target is not of the volume's segment type (a linear
 * volume reloaded as `error`: dev_manager.c warns and the Attr shows X), else the status line.
 */
type SegmentStatus =
  | { readonly kind: 'none' }
  | { readonly kind: 'unknown'; readonly target: string; readonly expected: string }
  | { readonly kind: 'pool'; readonly status: PoolStatus }
  | { readonly kind: 'thin'; readonly failed: boolean }
  | { readonly kind: 'linear' };

function lvDevice(ctx: LvmContext, vg: VolumeGroup, lv: LogicalVolume): DmDevice | undefined {
  return ctx.machine.device(lv.role === 'thin-pool' ? poolDmName(vg.name, lv) : dmName(vg.name, lv.name));
}

/**
 * A report's reader of segment statuses: each volume's status line is read and parsed once per
 * report, however many of its columns (Attr, Health, Data%, Meta%, the warning) need it. A report
 * is one moment of the machine, so the first reading holds for the whole report.
 */
type SegmentStatusOf = (vg: VolumeGroup, lv: LogicalVolume) => SegmentStatus;

function segmentStatusReader(ctx: LvmContext): SegmentStatusOf {
  const seen = new Map<LogicalVolume, SegmentStatus>();
  return (vg, lv) => {
    let s = seen.get(lv);
    if (s === undefined) {
      s = segmentStatus(ctx, vg, lv);
      seen.set(lv, s);
    }
    return s;
  };
}

function segmentStatus(ctx: LvmContext, vg: VolumeGroup, lv: LogicalVolume): SegmentStatus {
  const dev = lvDevice(ctx, vg, lv);
  if (dev === undefined || dev.live === null) return { kind: 'none' };
  const target = dev.live.type;
  // LVM calls its linear segments `striped`, whose status accepts the kernel's `linear`.
  const expected = lv.role === 'thin-pool' ? 'thin-pool' : lv.role === 'thin' ? 'thin' : 'striped';
  if (expected === 'striped' ? target !== 'linear' : target !== expected) return { kind: 'unknown', target, expected };
  if (lv.role === 'thin-pool') return { kind: 'pool', status: poolStatusOf(ctx, vg, lv)! };
  if (lv.role === 'thin') return { kind: 'thin', failed: ctx.machine.targetStatus(dev, true).trim() === 'Fail' };
  return { kind: 'linear' };
}

/** The report fields that read the volume's device status, and so warn about a wrong target type. */
const STATUS_FIELDS: ReadonlySet<string> = new Set([
  'lv_attr',
  'attr',
  'data_percent',
  'metadata_percent',
  'lv_health_status',
]);

/** dev_manager.c's warning, once per report row that reads the status of a mismatched volume. */
function warnUnknownSegments(
  statusOf: SegmentStatusOf,
  rows: ReadonlyArray<{ vg: VolumeGroup; lv: LogicalVolume }>,
  columns: readonly string[],
  io: CommandIo,
): void {
  if (!columns.some((c) => STATUS_FIELDS.has(c))) return;
  for (const { vg, lv } of rows) {
    const s = statusOf(vg, lv);
    if (s.kind === 'unknown')
      io.err(
        `  WARNING: Detected ${s.target} segment type does not match expected type ${s.expected} for ${vg.name}/${lv.name}.\n`,
      );
  }
}

/** lv_attr's ninth letter (lv.c): F failed, D out of data space, M read-only metadata, X unknown. */
function healthLetter(s: SegmentStatus): string {
  if (s.kind === 'unknown') return 'X';
  if (s.kind === 'thin') return s.failed ? 'F' : '-';
  if (s.kind !== 'pool') return '-';
  if (s.status.kind === 'Fail') return 'F';
  if (s.status.kind === 'Error') return 'X';
  return s.status.modeWord === 'out_of_data_space' ? 'D' : s.status.modeWord === 'ro' ? 'M' : '-';
}

/** The Health column (report.c _lvhealthstatus_disp): thin pools only; thin volumes print nothing. */
function healthText(lv: LogicalVolume, s: SegmentStatus): string {
  if (lv.role !== 'thin-pool') return '';
  if (s.kind !== 'pool' || s.status.kind === 'Error') return '';
  if (s.status.kind === 'Fail') return 'failed';
  return s.status.modeWord === 'out_of_data_space'
    ? 'out_of_data'
    : s.status.modeWord === 'ro'
      ? 'metadata_read_only'
      : '';
}

function lvAttr(ctx: LvmContext, vg: VolumeGroup, lv: LogicalVolume, status: SegmentStatus): string {
  const dev = lvDevice(ctx, vg, lv);
  const unknown = status.kind === 'unknown';
  const active = unknown ? 'X' : dev !== undefined ? (dev.suspended ? 's' : 'a') : '-';
  const open = unknown ? 'X' : dev !== undefined && dev.openCount > 0 ? 'o' : '-';
  const zero = lv.zeroNewBlocks ? 'z' : '-';
  const health = healthLetter(status);
  switch (lv.role) {
    case 'thin-pool':
      return `twi-${active}${open}t${zero}${health}-`;
    case 'thin':
      return `Vwi-${active}${open}t${zero}${health}-`;
    case 'pool-data':
      return `T${componentPermission(ctx, vg, lv)}i-${active}${open}--${health}-`;
    case 'pool-metadata':
      return `e${componentPermission(ctx, vg, lv)}i-${active}${open}--${health}-`;
    case 'pool-spare':
      return `ewi-${active}${open}--${health}-`;
    default:
      return `-${lv.readOnly === true ? 'r' : 'w'}i-${active}${open}--${health}-`;
  }
}

/** `R` (read-only activation) for a pool's hidden volume active on its own, else `w` (fixtures/lvm/86). */
function componentPermission(ctx: LvmContext, vg: VolumeGroup, lv: LogicalVolume): string {
  const pool = vg.lvs.find((l) => l.role === 'thin-pool' && (l.metadataLv === lv.name || l.dataLv === lv.name));
  const alone = pool !== undefined && !isActive(ctx, vg, pool) && lv.component === true;
  return alone ? 'R' : 'w';
}

/** A thin volume's Data%: its mapped sectors (the thin target's status) of its size. */
function thinPercent(ctx: LvmContext, vg: VolumeGroup, lv: LogicalVolume): string {
  const dev = ctx.machine.device(dmName(vg.name, lv.name));
  if (dev === undefined || dev.live?.type !== 'thin') return '';
  const mapped = Number(ctx.machine.targetStatus(dev, true).trim().split(/\s+/)[0]);
  return Number.isFinite(mapped) ? percentText(mapped, lv.virtualSectors) : '';
}

/**
 * One volume as `lvs` prints it (Attr, LSize, Pool, Data%, Meta%), for the lab summary of
 * `thinlab at` and `diff`, so they show what `lvs` would and never compute it another way.
 */
export function lvReport(
  ctx: LvmContext,
  vg: VolumeGroup,
  lv: LogicalVolume,
): {
  attr: string;
  size: string;
  pool: string;
  dataPercent: string;
  metaPercent: string;
  active: boolean;
  visible: boolean;
} {
  const f = lvFields(ctx);
  const v = (name: string): string => f[name]!.value(vg, lv).trim();
  return {
    attr: v('lv_attr'),
    size: v('lv_size'),
    pool: v('pool_lv'),
    dataPercent: v('data_percent'),
    metaPercent: v('metadata_percent'),
    active: isActive(ctx, vg, lv),
    visible: isVisible(lv),
  };
}

interface Field {
  readonly header: string;
  readonly right: boolean;
  readonly minWidth?: number;
  readonly value: (vg: VolumeGroup, lv: LogicalVolume) => string;
}

/** The Data% and Meta% columns, from the row's one reading of its segment status. */
function percentFields(
  ctx: LvmContext,
  statusOf: SegmentStatusOf,
): { dataPercent: Field['value']; metaPercent: Field['value'] } {
  // A pool whose live target is not a thin-pool has no counts (its status is `unknown`).
  const poolUsageOfRow = (vg: VolumeGroup, lv: LogicalVolume): PoolUsage | null => {
    const s = statusOf(vg, lv);
    return s.kind === 'pool' ? usageOf(s.status) : null;
  };
  return {
    dataPercent: (vg, lv) => {
      if (lv.role === 'thin') return thinPercent(ctx, vg, lv);
      if (lv.role !== 'thin-pool') return '';
      const u = poolUsageOfRow(vg, lv);
      return u === null ? '' : percentText(u.dataUsed, u.dataTotal);
    },
    metaPercent: (vg, lv) => {
      if (lv.role !== 'thin-pool') return '';
      const u = poolUsageOfRow(vg, lv);
      return u === null ? '' : percentText(u.metaUsed, u.metaTotal);
    },
  };
}

function lvFields(
  ctx: LvmContext,
  statusOf: SegmentStatusOf = segmentStatusReader(ctx),
  size: (sectors: number) => string = (sectors) => lvmSize(sectors, 'column'),
): Record<string, Field> {
  const displayName = (lv: LogicalVolume): string =>
    lv.role === 'pool-data' || lv.role === 'pool-metadata' || lv.role === 'pool-spare' ? `[${lv.name}]` : lv.name;
  const { dataPercent, metaPercent } = percentFields(ctx, statusOf);
  const fields: Record<string, Field> = {
    lv_name: { header: 'LV', right: false, value: (_vg, lv) => displayName(lv) },
    vg_name: { header: 'VG', right: false, value: (vg) => vg.name },
    lv_attr: { header: 'Attr', right: false, value: (vg, lv) => lvAttr(ctx, vg, lv, statusOf(vg, lv)) },
    lv_size: { header: 'LSize', right: true, value: (vg, lv) => size(lvSizeSectors(vg, lv)) },
    pool_lv: { header: 'Pool', right: false, value: (_vg, lv) => lv.pool ?? '' },
    origin: { header: 'Origin', right: false, value: () => '' },
    data_percent: { header: 'Data%', right: false, minWidth: 6, value: dataPercent },
    metadata_percent: { header: 'Meta%', right: false, minWidth: 6, value: metaPercent },
    lv_health_status: {
      header: 'Health',
      right: false,
      minWidth: 15,
      value: (vg, lv) => healthText(lv, statusOf(vg, lv)),
    },
    move_pv: { header: 'Move', right: false, value: () => '' },
    mirror_log: { header: 'Log', right: false, value: () => '' },
    copy_percent: { header: 'Cpy%Sync', right: false, minWidth: 6, value: () => '' },
    convert_lv: { header: 'Convert', right: false, value: () => '' },
    // dmeventd watches active pools when lvm.conf's activation/monitoring is on (LVM's default; the
    // oracle runs with it off, fixtures/lvm/80, and on in 83, where thin volumes show nothing).
    seg_monitor: {
      header: 'Monitor',
      right: false,
      value: (vg, lv) =>
        lv.role !== 'thin-pool' || !isActive(ctx, vg, lv)
          ? ''
          : monitoringEnabled(ctx.fs)
            ? 'monitored'
            : lvmStack(ctx).monitoringDisabledText,
    },
    chunk_size: {
      header: 'Chunk',
      right: true,
      value: (_vg, lv) => size(lv.role === 'thin-pool' ? lv.chunkSectors : 0),
    },
    lv_profile: { header: 'LProfile', right: false, value: (_vg, lv) => lv.profile ?? '' },
    lv_metadata_size: {
      header: 'MSize',
      right: true,
      value: (vg, lv) =>
        lv.role === 'thin-pool' ? size(lvExtents(findLv(vg, lv.metadataLv!)!) * vg.extentSectors) : '',
    },
    data_lv: { header: 'Data', right: false, value: (_vg, lv) => (lv.dataLv === null ? '' : `[${lv.dataLv}]`) },
    metadata_lv: {
      header: 'Meta',
      right: false,
      value: (_vg, lv) => (lv.metadataLv === null ? '' : `[${lv.metadataLv}]`),
    },
    transaction_id: {
      header: 'TransId',
      right: true,
      value: (_vg, lv) => (lv.role === 'thin-pool' ? String(lv.transactionId) : ''),
    },
    devices: {
      header: 'Devices',
      right: false,
      value: (_vg, lv) =>
        lv.role === 'thin-pool' ? `${lv.dataLv}(0)` : lv.segments.map((s) => `${s.pv}(${s.startExtent})`).join(','),
    },
    lv_dm_path: { header: 'DMPath', right: false, value: (vg, lv) => `/dev/mapper/${dmName(vg.name, lv.name)}` },
    // A hidden volume has no /dev/VG/LV link, so no path.
    lv_path: { header: 'Path', right: false, value: (vg, lv) => (isVisible(lv) ? `/dev/${vg.name}/${lv.name}` : '') },
  };
  for (const [a, f] of Object.entries(LV_FIELD_ALIASES)) fields[a] ??= fields[f]!;
  return fields;
}

/** The short names lvs takes for its fields (`-o name,size`); a JSON report keys them by the field's own name. */
const LV_FIELD_ALIASES: Readonly<Record<string, string>> = {
  name: 'lv_name',
  attr: 'lv_attr',
  size: 'lv_size',
  pool: 'pool_lv',
};

const LVS_DEFAULT = [
  'lv_name',
  'vg_name',
  'lv_attr',
  'lv_size',
  'pool_lv',
  'origin',
  'data_percent',
  'metadata_percent',
  'move_pv',
  'mirror_log',
  'copy_percent',
  'convert_lv',
];

function columnsFrom(p: ParsedArgs, defaults: readonly string[], known: Record<string, unknown>): string[] {
  let columns = [...defaults];
  for (const o of p.options.get('--options') ?? []) {
    const plus = o.startsWith('+');
    const names = (plus ? o.slice(1) : o).split(',').filter((s) => s !== '');
    for (const n of names)
      if (known[n] === undefined) throw new CommandFailed(`  Unrecognised field: ${n}`, ECMD_FAILED);
    columns = plus ? [...columns, ...names] : names;
  }
  return columns;
}

function lvs(ctx: LvmContext, args: readonly string[], io: CommandIo): number {
  const p = parseArgs(ctx, 'lvs', args);
  const style = reportStyle('lvs', p, lvmStack(ctx));
  const statusOf = segmentStatusReader(ctx);
  const fields = lvFields(ctx, statusOf, style.size);
  const columns = columnsFrom(p, LVS_DEFAULT, fields);
  const all = p.options.has('--all');
  const selected: Array<{ vg: VolumeGroup; lv: LogicalVolume }> = [];
  if (p.positional.length === 0) {
    for (const vg of ctx.lvm.vgs) for (const lv of vg.lvs) selected.push({ vg, lv });
  } else {
    for (const pos of p.positional) {
      if (pos.includes('/')) selected.push(requireLv(ctx, pos));
      else {
        const vg = requireVg(ctx, pos);
        for (const lv of vg.lvs) selected.push({ vg, lv });
      }
    }
  }
  const shown = selected.filter(({ lv }) => all || isVisible(lv));
  // LVM sorts by group and volume name; the brackets of hidden volumes do not count.
  shown.sort((a, b) => (a.vg.name !== b.vg.name ? (a.vg.name < b.vg.name ? -1 : 1) : a.lv.name < b.lv.name ? -1 : 1));
  warnUnknownSegments(statusOf, shown, columns, io);
  const rows = shown.map(({ vg, lv }) => columns.map((c) => fields[c]!.value(vg, lv)));
  const reportColumns = columns.map((c) => ({ id: LV_FIELD_ALIASES[c] ?? c, ...fields[c]! }));
  printReport(ctx, 'lv', reportColumns, rows, style, io);
  return 0;
}

/**
 * Nothing to report prints nothing, with or without groups (fixtures/lvm/82, 85); a JSON report
 * is printed even empty.
 */
function printReport(
  ctx: LvmContext,
  kind: string,
  columns: readonly ReportColumn[],
  rows: readonly string[][],
  style: ReportStyle,
  io: CommandIo,
): void {
  if (rows.length > 0 || style.json) io.out(renderReport(kind, columns, rows, style, lvmStack(ctx)));
}

/** vgs's fields: header, alignment and value; LVM takes each without its `vg_` prefix too (`-o seqno`). */
function vgFields(
  ctx: LvmContext,
  size: (sectors: number) => string,
): Record<string, { header: string; right: boolean; value: (vg: VolumeGroup) => string }> {
  const fields: Record<string, { header: string; right: boolean; value: (vg: VolumeGroup) => string }> = {
    vg_name: { header: 'VG', right: false, value: (vg) => vg.name },
    pv_count: { header: '#PV', right: true, value: (vg) => String(vg.pvs.length) },
    lv_count: { header: '#LV', right: true, value: (vg) => String(vg.lvs.filter(isVisible).length) },
    snap_count: { header: '#SN', right: true, value: () => '0' },
    vg_attr: { header: 'Attr', right: false, value: () => 'wz--n-' },
    vg_size: { header: 'VSize', right: true, value: (vg) => size(vgExtentCount(ctx.lvm, vg) * vg.extentSectors) },
    vg_free: { header: 'VFree', right: true, value: (vg) => size(vgFreeExtents(ctx.lvm, vg) * vg.extentSectors) },
    vg_seqno: { header: 'Seq', right: true, value: (vg) => String(vg.seqno) },
  };
  for (const f of Object.keys(fields)) if (f.startsWith('vg_')) fields[f.slice(3)] ??= fields[f]!;
  return fields;
}

const VGS_DEFAULT = ['vg_name', 'pv_count', 'lv_count', 'snap_count', 'vg_attr', 'vg_size', 'vg_free'];

function vgs(ctx: LvmContext, args: readonly string[], io: CommandIo): number {
  const p = parseArgs(ctx, 'vgs', args);
  const style = reportStyle('vgs', p, lvmStack(ctx));
  const fields = vgFields(ctx, style.size);
  const columns = columnsFrom(p, VGS_DEFAULT, fields);
  const names = p.positional.length > 0 ? p.positional : ctx.lvm.vgs.map((v) => v.name).sort();
  const rows = names.map((n) => {
    const vg = requireVg(ctx, n);
    return columns.map((c) => fields[c]!.value(vg));
  });
  const reportColumns = columns.map((c) => ({
    id: c.startsWith('vg_') || VGS_DEFAULT.includes(c) ? c : `vg_${c}`,
    header: fields[c]!.header,
    right: fields[c]!.right,
  }));
  printReport(ctx, 'vg', reportColumns, rows, style, io);
  return 0;
}

const PVS_COLUMNS: readonly ReportColumn[] = [
  { id: 'pv_name', header: 'PV', right: false, minWidth: 10 },
  { id: 'vg_name', header: 'VG', right: false },
  { id: 'pv_fmt', header: 'Fmt', right: false },
  { id: 'pv_attr', header: 'Attr', right: false },
  { id: 'pv_size', header: 'PSize', right: true },
  { id: 'pv_free', header: 'PFree', right: true },
];

function pvs(ctx: LvmContext, args: readonly string[], io: CommandIo): number {
  const p = parseArgs(ctx, 'pvs', args);
  const style = reportStyle('pvs', p, lvmStack(ctx));
  const list =
    p.positional.length > 0
      ? p.positional.map((d) => {
          const pv = findPv(ctx.lvm, d);
          if (pv === undefined) throw new CommandFailed(`  Failed to find physical volume "${d}".`, ECMD_FAILED);
          return pv;
        })
      : [...ctx.lvm.pvs].sort((a, b) => (a.device < b.device ? -1 : 1));
  const rows = list.map((pv) => {
    const vg = pv.vg === null ? undefined : findVg(ctx.lvm, pv.vg);
    if (vg === undefined) return [pv.device, '', 'lvm2', '---', style.size(pv.sizeSectors), style.size(pv.sizeSectors)];
    const free = ctxFree(ctx, vg, pv.device);
    return [
      pv.device,
      vg.name,
      'lvm2',
      'a--',
      style.size(pv.peCount * vg.extentSectors),
      style.size(free * vg.extentSectors),
    ];
  });
  if (rows.length === 0 && !style.json) {
    io.err('  No physical volume label read from /dev/ram0\n');
    return 0;
  }
  printReport(ctx, 'pv', PVS_COLUMNS, rows, style, io);
  return 0;
}

function ctxFree(ctx: LvmContext, vg: VolumeGroup, device: string): number {
  const pv = findPv(ctx.lvm, device)!;
  let used = 0;
  for (const lv of vg.lvs) for (const s of lv.segments) if (s.pv === device) used += s.extents;
  return pv.peCount - used;
}

/** Thin pools LVM knows, with their group, for the monitor and for Docker's direct-lvm. */
export function thinPools(lvm: LvmState): Array<{ vg: VolumeGroup; pool: LogicalVolume }> {
  const out: Array<{ vg: VolumeGroup; pool: LogicalVolume }> = [];
  for (const vg of lvm.vgs) for (const lv of vg.lvs) if (lv.role === 'thin-pool') out.push({ vg, pool: lv });
  return out;
}
