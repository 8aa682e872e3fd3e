/**
 * LVM's display commands, lvdisplay, vgdisplay and pvdisplay (lib/display/display.c), as the
 * field's reports paste them: a block of `Name  value` lines per volume, or one colon-separated
 * line each with `-c` (fixtures/lvm/98). Ids are the lab's deterministic stand-ins for LVM's
 * random ones (the same as vgcfgbackup writes), the creation time is the lab's wall clock when the
 * command that made the volume ran, and the host is the VM's, which has none: `(none)`.
 *
 * vgdisplay's `Metadata Sequence No` is the group's commit count, which the LVM commands keep
 * (lvm-state.ts commitVg). What the lab does not model is refused by name.
 */
import { CommandFailed, notModelled } from '../lab/command-errors.js';
import { wallClockSecs } from '../lab/nodes.js';
import type { ShellContext } from '../lab/context.js';
import { type DmDevice, devNumber } from '../model/machine.js';
import type { CommandIo } from '../shell/io.js';
import {
  ECMD_FAILED,
  EINVALID_CMD_LINE,
  isVisible,
  LVM_HANDLERS,
  type LvmContext,
  opt,
  type ParsedArgs,
  parseArgs,
  percentText,
  poolDmName,
  poolUsage,
  splitLvPath,
} from './lvm-commands.js';
import { lvmStack } from './lvm-stack.js';
import {
  dmName,
  findLv,
  findPv,
  findVg,
  freeRuns,
  type LogicalVolume,
  type LvmState,
  lvSizeSectors,
  PE_START_SECTORS,
  type PhysicalVolume,
  type VolumeGroup,
  vgExtentCount,
  vgFreeExtents,
} from './lvm-state.js';
import { lvmSize } from './units.js';
import { monitoringEnabled } from './profile.js';
import { labId } from './vgcfg.js';

/** The VM's node name (src/lab/host/uname.ts): LVM prints it as the creation host. */
const CREATION_HOST = '(none)';

/** LVM's DM_READ_AHEAD_AUTO, printed with `%d` in the colon form. */
const READ_AHEAD_AUTO = -1;

/** The kernel's default read-ahead of a dm device, in sectors (`- currently set to`). */
const DEVICE_READ_AHEAD_SECTORS = 256;

/** Gives every volume a command made its creation time (the lab's wall clock), once. */
export function stampCreationTimes(ctx: ShellContext, lvm: LvmState): void {
  const now = wallClockSecs(ctx);
  for (const vg of lvm.vgs) for (const lv of vg.lvs) lv.createdSecs ??= now;
}

/** `2026-12-07 23:44:36 +0000`, as LVM's `lv_time_dup` prints it in UTC. */
function timeText(secs: number): string {
  const d = new Date(secs * 1000);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

/** The volume's own dm device: for a pool the one LVM names after it (`vg-pool`, over `-tpool`). */
function ownDevice(ctx: LvmContext, vg: VolumeGroup, lv: LogicalVolume): DmDevice | undefined {
  return ctx.machine.device(dmName(vg.name, lv.name));
}

/** A size on a display line (display_size's long form) in `--units` LETTER. */
type DisplaySize = (sectors: number) => string;

/**
 * display_size's long form for `--units`: the default `h` as in LVM's messages, binary units with
 * two decimals and their long name (`122880.00 KiB`), bytes as `33554432 B `, sectors as `8192 Se`
 * (fixtures/lvm/98). The other units are refused by name.
 */
function displaySizeIn(command: string, p: ParsedArgs): DisplaySize {
  const units = opt(p, '--units');
  if (units === undefined || units === 'h') return (sectors) => lvmSize(sectors, 'message');
  const binary = 'kmgtpe'.indexOf(units);
  if (binary >= 0) {
    const name = `${units.toUpperCase()}iB`;
    return (sectors) => `${((sectors * 512) / 1024 ** (binary + 1)).toFixed(2)} ${name}`;
  }
  if (units === 'b') return (sectors) => `${sectors * 512} B `;
  if (units === 's') return (sectors) => `${sectors} Se`;
  throw notModelled(`${command} --units ${units}`);
}

/** A pool with thin volumes is active under its `-tpool` layer and shows as a read-only device. */
function activatedReadOnly(ctx: LvmContext, vg: VolumeGroup, lv: LogicalVolume): boolean {
  return lv.role === 'thin-pool' && poolDmName(vg.name, lv) !== dmName(vg.name, lv.name) && isActiveLv(ctx, vg, lv);
}

function isActiveLv(ctx: LvmContext, vg: VolumeGroup, lv: LogicalVolume): boolean {
  return ownDevice(ctx, vg, lv) !== undefined;
}

function extentsOf(vg: VolumeGroup, lv: LogicalVolume): number {
  return Math.ceil(lvSizeSectors(vg, lv) / vg.extentSectors);
}

function segmentCount(lv: LogicalVolume): number {
  return lv.role === 'thin' || lv.role === 'thin-pool' ? 1 : lv.segments.length;
}

/** LVM's percentage of a display line: as lvs prints Data%, with `%`. */
function percent(used: number, total: number): string {
  return `${percentText(used, total)}%`;
}

function thinMappedSectors(ctx: LvmContext, dev: DmDevice): number | null {
  if (dev.live?.type !== 'thin') return null;
  const mapped = Number(ctx.machine.targetStatus(dev, true).trim().split(/\s+/)[0]);
  return Number.isFinite(mapped) ? mapped : null;
}

/** The usage lines of an active pool or thin volume. */
function usageLines(ctx: LvmContext, vg: VolumeGroup, lv: LogicalVolume, dev: DmDevice): string[] {
  if (lv.role === 'thin-pool') {
    const u = poolUsage(ctx, vg, lv);
    if (u === null) return [];
    return [
      `  Allocated pool data    ${percent(u.dataUsed, u.dataTotal)}`,
      `  Allocated metadata     ${percent(u.metaUsed, u.metaTotal)}`,
    ];
  }
  if (lv.role === 'thin') {
    const mapped = thinMappedSectors(ctx, dev);
    return mapped === null ? [] : [`  Mapped size            ${percent(mapped, lv.virtualSectors)}`];
  }
  return [];
}

/** lvdisplay_full: one volume's block. */
function lvBlock(ctx: LvmContext, vg: VolumeGroup, lv: LogicalVolume, size: DisplaySize): string[] {
  const dev = ownDevice(ctx, vg, lv);
  const names = isVisible(lv)
    ? [
        ...(lv.role === 'thin-pool' ? [] : [`  LV Path                /dev/${vg.name}/${lv.name}`]),
        `  LV Name                ${lv.name}`,
      ]
    : [`  Internal LV Name       ${lv.name}`];
  const roles =
    lv.role === 'thin-pool'
      ? [`  LV Pool metadata       ${lv.metadataLv!}`, `  LV Pool data           ${lv.dataLv!}`]
      : lv.role === 'thin'
        ? [`  LV Pool name           ${lv.pool!}`]
        : [];
  const access = `read/write${activatedReadOnly(ctx, vg, lv) ? ' (activated read only)' : ''}`;
  const active = dev === undefined ? [] : [`  # open                 ${dev.openCount}`];
  return [
    '  --- Logical volume ---',
    ...names,
    `  VG Name                ${vg.name}`,
    `  LV UUID                ${labId(`${vg.name}/${lv.name}`)}`,
    `  LV Write Access        ${lv.readOnly === true ? 'read only' : access}`,
    `  LV Creation host, time ${CREATION_HOST}, ${timeText(lv.createdSecs ?? wallClockSecs(ctx))}`,
    ...roles,
    `  LV Status              ${dev === undefined ? 'NOT available' : 'available'}`,
    ...active,
    `  LV Size                ${size(lvSizeSectors(vg, lv))}`,
    ...(dev === undefined ? [] : usageLines(ctx, vg, lv, dev)),
    `  Current LE             ${extentsOf(vg, lv)}`,
    `  Segments               ${segmentCount(lv)}`,
    '  Allocation             inherit',
    '  Read ahead sectors     auto',
    ...(dev === undefined
      ? []
      : [`  - currently set to     ${DEVICE_READ_AHEAD_SECTORS}`, `  Block device           ${devNumber(dev)}`]),
    '   ',
  ];
}

/** lvdisplay -m: the volume's segments (display_segments). */
function lvSegmentLines(ctx: LvmContext, vg: VolumeGroup, lv: LogicalVolume): string[] {
  const extents = extentsOf(vg, lv);
  if (lv.role === 'thin-pool') {
    if (monitoringEnabled(ctx.fs)) throw notModelled('lvdisplay -m of a pool with monitoring enabled');
    const monitoring = lvmStack(ctx).version === '2.03.16' ? '' : 'not enabled';
    const thins = vg.lvs.filter((l) => l.role === 'thin' && l.pool === lv.name).length;
    return [
      `  Logical extents 0 to ${extents - 1}:`,
      '    Type\t\tthin-pool',
      `    Monitoring\t\t${monitoring}`,
      `    Chunk size\t\t${lvmSize(lv.chunkSectors, 'message')}`,
      '    Discards\t\tpassdown',
      `    Thin count\t\t${thins}`,
      `    Transaction ID\t${lv.transactionId}`,
      `    Zero new blocks\t${lv.zeroNewBlocks ? 'yes' : 'no'}`,
      '   ',
    ];
  }
  if (lv.role === 'thin')
    return [`  Virtual extents 0 to ${extents - 1}:`, '    Type\t\tthin', `    Device ID\t\t${lv.thinId}`, '   '];
  let at = 0;
  return lv.segments.flatMap((seg) => {
    const lines = [
      `  Logical extents ${at} to ${at + seg.extents - 1}:`,
      '    Type\t\tlinear',
      `    Physical volume\t${seg.pv}`,
      `    Physical extents\t${seg.startExtent} to ${seg.startExtent + seg.extents - 1}`,
      '   ',
    ];
    at += seg.extents;
    return lines;
  });
}

/** lvdisplay_colons. */
function lvColons(ctx: LvmContext, vg: VolumeGroup, lv: LogicalVolume): string {
  const dev = ownDevice(ctx, vg, lv);
  const access = (lv.readOnly === true ? 1 : 3) | (activatedReadOnly(ctx, vg, lv) ? 4 : 0);
  const [major, minor] = dev === undefined ? ['-1', '-1'] : devNumber(dev).split(':');
  return [
    `  /dev/${vg.name}/${lv.name}`,
    vg.name,
    access,
    dev === undefined ? 0 : 1,
    -1,
    dev === undefined ? 0 : dev.openCount,
    lvSizeSectors(vg, lv),
    extentsOf(vg, lv),
    -1,
    0,
    READ_AHEAD_AUTO,
    major,
    minor,
  ].join(':');
}

/**
 * The volumes lvdisplay shows, in LVM's order: the visible ones, then with `-a` the pools' hidden
 * ones (fixtures/lvm/98).
 */
function shownLvs(vg: VolumeGroup, all: boolean): LogicalVolume[] {
  const visible = vg.lvs.filter(isVisible);
  if (!all) return visible;
  const hidden = vg.lvs.filter((lv) => !isVisible(lv));
  const order = (lv: LogicalVolume): number => (lv.role === 'pool-spare' ? 0 : lv.role === 'pool-metadata' ? 1 : 2);
  return [...visible, ...hidden.sort((a, b) => order(a) - order(b))];
}

/** An option the real LVM refuses in this combination: 2.03.16's and 2.03.31's words differ. */
function incompatible(ctx: ShellContext, command: string, option: string, old16: string): CommandFailed {
  const text =
    lvmStack(ctx).version === '2.03.16'
      ? `  ${old16}\n  Run \`${command} --help' for more information.`
      : `  Command does not accept option: ${option}.`;
  return new CommandFailed(text, EINVALID_CMD_LINE);
}

/**
 * `-C`: the display command is its report (lvdisplay -C is lvs, fixtures/lvm/98), run with the
 * rest of the line. A `-C` clustered with other letters is refused by name.
 */
function asReport(
  ctx: LvmContext,
  command: string,
  report: 'lvs' | 'vgs' | 'pvs',
  args: readonly string[],
  io: CommandIo,
): number {
  if (args.some((a) => /^-[^-]*C/.test(a) && a !== '-C'))
    throw notModelled(`${command} -C clustered with other options`);
  return LVM_HANDLERS[report](
    ctx,
    args.filter((a) => a !== '-C' && a !== '--columns'),
    io,
  );
}

/** What the display commands refuse by name. */
function refuseUnmodelledForms(command: string, p: ParsedArgs, forms: readonly string[]): void {
  for (const long of forms) if (opt(p, long) !== undefined) throw notModelled(`${command} ${long}`);
}

/**
 * pvdisplay -s (pvdisplay_short): a disk in a group as `Device "DEV" has a capacity of FREE`, its
 * free extents (fixtures/lvm/98); what it prints for one in no group was not recorded.
 */
function pvdisplayShort(ctx: LvmContext, names: readonly string[], size: DisplaySize, io: CommandIo): number {
  const pvs = names.length === 0 ? ctx.lvm.pvs : names.map((n) => findPv(ctx.lvm, n));
  const vgOf = (pv: PhysicalVolume | undefined): VolumeGroup | undefined =>
    pv?.vg === null || pv === undefined ? undefined : findVg(ctx.lvm, pv.vg);
  if (pvs.some((pv) => vgOf(pv) === undefined)) throw notModelled('pvdisplay -s of a device in no volume group');
  for (const pv of pvs as PhysicalVolume[]) {
    const free = (pv.peCount - pvAllocatedExtents(ctx, pv)) * vgOf(pv)!.extentSectors;
    io.out(`  Device "${pv.device}" has a capacity of ${size(free)}\n`);
  }
  return 0;
}

function lvdisplayOptions(ctx: ShellContext, p: ParsedArgs): void {
  const has = (o: string): boolean => p.options.has(o);
  const columns = has('--columns');
  if (!columns && has('--options')) throw incompatible(ctx, 'lvdisplay', '--options', 'Incompatible options selected.');
  if (!columns && has('--noheadings'))
    throw incompatible(ctx, 'lvdisplay', '--noheadings', 'Incompatible options selected.');
  if (has('--colon') && columns) throw incompatible(ctx, 'lvdisplay', '--colon', 'Incompatible options selected');
  if (has('--colon') && has('--maps'))
    throw incompatible(ctx, 'lvdisplay', '--colon', 'Options -c and -m are incompatible.');
  if (p.options.has('--columns')) refuseUnmodelledForms('lvdisplay -C', p, ['--maps']);
}

/** The volumes an lvdisplay argument names: a group, or one volume (`VG/LV`, `/dev/VG/LV`). */
function lvsNamed(ctx: LvmContext, name: string, all: boolean): Array<{ vg: VolumeGroup; lv: LogicalVolume }> {
  const path = name.includes('/') ? splitLvPath(name) : null;
  const vgName = path === null ? name : path.vg;
  const vg = findVg(ctx.lvm, vgName);
  if (vg === undefined)
    throw new CommandFailed(
      `  Volume group "${vgName}" not found\n  Cannot process volume group ${vgName}`,
      ECMD_FAILED,
    );
  if (path === null) return shownLvs(vg, all).map((lv) => ({ vg, lv }));
  const lv = findLv(vg, path.lv);
  if (lv === undefined) throw new CommandFailed(`  Failed to find logical volume "${vg.name}/${path.lv}"`, ECMD_FAILED);
  return [{ vg, lv }];
}

/**
 * Runs `show` for each name (all groups without one); a name that fails is reported after the
 * others were shown, as LVM's process_each does, and the command then exits 5.
 */
function eachNamed<T>(
  names: readonly string[],
  find: (name: string) => T[],
  all: () => T[],
  show: (item: T) => void,
  io: CommandIo,
): number {
  if (names.length === 0) {
    for (const item of all()) show(item);
    return 0;
  }
  const errors: string[] = [];
  for (const name of names) {
    try {
      for (const item of find(name)) show(item);
    } catch (e) {
      if (!(e instanceof CommandFailed)) throw e;
      errors.push(e.message);
    }
  }
  for (const text of errors) io.err(`${text}\n`);
  return errors.length === 0 ? 0 : ECMD_FAILED;
}

export function lvdisplay(ctx: LvmContext, args: readonly string[], io: CommandIo): number {
  const p = parseArgs(ctx, 'lvdisplay', args);
  lvdisplayOptions(ctx, p);
  if (p.options.has('--columns')) return asReport(ctx, 'lvdisplay', 'lvs', args, io);
  const all = p.options.has('--all');
  const colon = p.options.has('--colon');
  const maps = p.options.has('--maps');
  const size = displaySizeIn('lvdisplay', p);
  const show = ({ vg, lv }: { vg: VolumeGroup; lv: LogicalVolume }): void => {
    if (colon) {
      io.out(`${lvColons(ctx, vg, lv)}\n`);
      return;
    }
    const segments = maps ? ['  --- Segments ---', ...lvSegmentLines(ctx, vg, lv), '   '] : [];
    io.out(`${[...lvBlock(ctx, vg, lv, size), ...segments].join('\n')}\n`);
  };
  return eachNamed(
    p.positional,
    (name) => lvsNamed(ctx, name, all),
    () => ctx.lvm.vgs.flatMap((vg) => shownLvs(vg, all).map((lv) => ({ vg, lv }))),
    show,
    io,
  );
}

// ------------------------------------------------------------------ vgdisplay

function vgAllocatedExtents(ctx: LvmContext, vg: VolumeGroup): number {
  return vgExtentCount(ctx.lvm, vg) - vgFreeExtents(ctx.lvm, vg);
}

function openLvs(ctx: LvmContext, vg: VolumeGroup): number {
  return vg.lvs.filter((lv) => isVisible(lv) && (ownDevice(ctx, vg, lv)?.openCount ?? 0) > 0).length;
}

/** vgdisplay_colons. */
function vgColons(ctx: LvmContext, vg: VolumeGroup): string {
  const total = vgExtentCount(ctx.lvm, vg);
  const kb = vg.extentSectors / 2;
  const visible = vg.lvs.filter(isVisible).length;
  return `  ${vg.name}:r/w:772:-1:0:${visible}:${openLvs(ctx, vg)}:-1:0:${vg.pvs.length}:${vg.pvs.length}:${total * kb}:${kb}:${total}:${vgAllocatedExtents(ctx, vg)}:${vgFreeExtents(ctx.lvm, vg)}:${labId(vg.name)}`;
}

/** vgdisplay_short. */
function vgShort(ctx: LvmContext, vg: VolumeGroup, sizeOf: DisplaySize): string {
  const size = (extents: number): string => sizeOf(extents * vg.extentSectors);
  const total = vgExtentCount(ctx.lvm, vg);
  return `  "${vg.name}" ${size(total).padEnd(9)} [${size(vgAllocatedExtents(ctx, vg)).padEnd(9)} used / ${size(vgFreeExtents(ctx.lvm, vg))} free]`;
}

/** vgdisplay_full: the group's block (lib/display/display.c). */
function vgBlock(ctx: LvmContext, vg: VolumeGroup, sizeOf: DisplaySize): string[] {
  const size = (extents: number): string => sizeOf(extents * vg.extentSectors);
  const total = vgExtentCount(ctx.lvm, vg);
  const alloc = vgAllocatedExtents(ctx, vg);
  return [
    '  --- Volume group ---',
    `  VG Name               ${vg.name}`,
    '  System ID             ',
    '  Format                lvm2',
    // Every PV the lab makes has LVM's one metadata area.
    `  Metadata Areas        ${vg.pvs.length}`,
    `  Metadata Sequence No  ${vg.seqno}`,
    '  VG Access             read/write',
    '  VG Status             resizable',
    '  MAX LV                0',
    `  Cur LV                ${vg.lvs.filter(isVisible).length}`,
    `  Open LV               ${openLvs(ctx, vg)}`,
    '  Max PV                0',
    `  Cur PV                ${vg.pvs.length}`,
    `  Act PV                ${vg.pvs.length}`,
    `  VG Size               ${size(total)}`,
    `  PE Size               ${sizeOf(vg.extentSectors)}`,
    `  Total PE              ${total}`,
    `  Alloc PE / Size       ${alloc} / ${size(alloc)}`,
    `  Free  PE / Size       ${total - alloc} / ${size(total - alloc)}`,
    `  VG UUID               ${labId(vg.name)}`,
    '   ',
  ];
}

/**
 * vgdisplay -v: the group's block, then lvdisplay_full of each visible volume and pvdisplay_short
 * of each disk under `--- Physical volumes ---` (fixtures/lvm/98).
 */
function vgVerbose(ctx: LvmContext, vg: VolumeGroup, size: DisplaySize): string[] {
  const pvs = vg.pvs.map((d) => findPv(ctx.lvm, d)!);
  return [
    ...vgBlock(ctx, vg, size),
    ...vg.lvs.filter(isVisible).flatMap((lv) => lvBlock(ctx, vg, lv, size)),
    '  --- Physical volumes ---',
    ...pvs.flatMap((pv) => [
      `  PV Name               ${pv.device}     `,
      `  PV UUID               ${labId(pv.device)}`,
      '  PV Status             allocatable',
      `  Total PE / Free PE    ${pv.peCount} / ${pv.peCount - pvAllocatedExtents(ctx, pv)}`,
      '   ',
    ]),
  ];
}

export function vgdisplay(ctx: LvmContext, args: readonly string[], io: CommandIo): number {
  const p = parseArgs(ctx, 'vgdisplay', args);
  const colon = p.options.has('--colon');
  const short = p.options.has('--short');
  if (colon && short) throw incompatible(ctx, 'vgdisplay', '--colon', 'Option -c is not allowed with option -s');
  if (p.options.has('--columns')) {
    refuseUnmodelledForms('vgdisplay -C', p, ['--colon', '--short']);
    return asReport(ctx, 'vgdisplay', 'vgs', args, io);
  }
  const verbose = p.options.has('--verbose');
  // More than one -v makes LVM log its steps on standard error, which the lab does not model.
  if ((p.options.get('--verbose')?.length ?? 0) > 1) throw notModelled('vgdisplay -vv');
  if (verbose && (colon || short)) throw notModelled(`vgdisplay -v with ${colon ? '-c' : '-s'}`);
  const find = (name: string): VolumeGroup[] => {
    const vg = findVg(ctx.lvm, name);
    if (vg === undefined)
      throw new CommandFailed(`  Volume group "${name}" not found\n  Cannot process volume group ${name}`, ECMD_FAILED);
    return [vg];
  };
  const size = displaySizeIn('vgdisplay', p);
  const show = (vg: VolumeGroup): void => {
    const lines = colon
      ? [vgColons(ctx, vg)]
      : short
        ? [vgShort(ctx, vg, size)]
        : verbose
          ? vgVerbose(ctx, vg, size)
          : vgBlock(ctx, vg, size);
    io.out(`${lines.join('\n')}\n`);
  };
  return eachNamed(p.positional, find, () => [...ctx.lvm.vgs], show, io);
}

// ------------------------------------------------------------------ pvdisplay

function pvAllocatedExtents(ctx: LvmContext, pv: PhysicalVolume): number {
  const vg = pv.vg === null ? undefined : findVg(ctx.lvm, pv.vg);
  if (vg === undefined) return 0;
  let n = 0;
  for (const lv of vg.lvs) for (const s of lv.segments) if (s.pv === pv.device) n += s.extents;
  return n;
}

/** pvdisplay_full. */
function pvBlock(ctx: LvmContext, pv: PhysicalVolume, size: DisplaySize): string[] {
  const vg = pv.vg === null ? undefined : findVg(ctx.lvm, pv.vg);
  const extentSectors = vg?.extentSectors ?? 0;
  const peCount = vg === undefined ? 0 : pv.peCount;
  const alloc = pvAllocatedExtents(ctx, pv);
  const data = peCount * extentSectors;
  const pvSize = Math.max(pv.sizeSectors, data + PE_START_SECTORS);
  const unusable = pv.sizeSectors > data + PE_START_SECTORS ? pv.sizeSectors - data : pvSize - pv.sizeSectors;
  const free = peCount - alloc;
  const head =
    vg === undefined ? [`  "${pv.device}" is a new physical volume of "${lvmSize(pv.sizeSectors, 'message')}"`] : [];
  return [
    ...head,
    `  --- ${vg === undefined ? 'NEW ' : ''}Physical volume ---`,
    `  PV Name               ${pv.device}`,
    `  VG Name               ${vg?.name ?? ''}`,
    `  PV Size               ${size(pvSize)}${data > 0 ? ` / not usable ${size(unusable)}` : ''}`,
    peCount > 0 ? `  Allocatable           yes ${free === 0 ? '(but full)' : ''}` : '  Allocatable           NO',
    `  PE Size               ${size(extentSectors)}`,
    `  Total PE              ${peCount}`,
    `  Free PE               ${free}`,
    `  Allocated PE          ${alloc}`,
    `  PV UUID               ${labId(pv.device)}`,
    '   ',
  ];
}

/** pvdisplay -m: the disk's extents, used and free, in order (display_pv_segments). */
function pvSegmentLines(ctx: LvmContext, pv: PhysicalVolume): string[] {
  const vg = pv.vg === null ? undefined : findVg(ctx.lvm, pv.vg);
  if (vg === undefined) return [];
  const used: Array<{ start: number; extents: number; lv: string; lvStart: number }> = [];
  for (const lv of vg.lvs) {
    let at = 0;
    for (const seg of lv.segments) {
      if (seg.pv === pv.device) used.push({ start: seg.startExtent, extents: seg.extents, lv: lv.name, lvStart: at });
      at += seg.extents;
    }
  }
  const runs = [
    ...used,
    ...freeRuns(ctx.lvm, vg, pv.device).map((r) => ({ start: r.start, extents: r.extents, lv: '', lvStart: 0 })),
  ].sort((a, b) => a.start - b.start);
  return [
    '  --- Physical Segments ---',
    ...runs.flatMap((r) => [
      `  Physical extent ${r.start} to ${r.start + r.extents - 1}:`,
      ...(r.lv === ''
        ? ['    FREE']
        : [
            `    Logical volume\t/dev/${vg.name}/${r.lv}`,
            `    Logical extents\t${r.lvStart} to ${r.lvStart + r.extents - 1}`,
          ]),
    ]),
    '   ',
  ];
}

/** pvdisplay_colons. */
function pvColons(ctx: LvmContext, pv: PhysicalVolume): string {
  const vg = pv.vg === null ? undefined : findVg(ctx.lvm, pv.vg);
  const alloc = pvAllocatedExtents(ctx, pv);
  const peCount = vg === undefined ? 0 : pv.peCount;
  // pv->status: ALLOCATABLE_PV (8) once in a group; the field after it is status & ALLOCATABLE_PV.
  const status = vg === undefined ? 0 : 8;
  return `  ${pv.device}:${vg?.name ?? ''}:${pv.sizeSectors}:-1:${status}:${status}:-1:${(vg?.extentSectors ?? 0) / 2}:${peCount}:${peCount - alloc}:${alloc}:${labId(pv.device)}`;
}

export function pvdisplay(ctx: LvmContext, args: readonly string[], io: CommandIo): number {
  const p = parseArgs(ctx, 'pvdisplay', args);
  const colon = p.options.has('--colon');
  if (p.options.has('--all')) throw incompatible(ctx, 'pvdisplay', '--all', 'Incompatible options selected');
  if (colon && p.options.has('--maps'))
    throw incompatible(ctx, 'pvdisplay', '--colon', 'Option -c not allowed with option -m');
  if (p.options.has('--columns')) {
    refuseUnmodelledForms('pvdisplay -C', p, ['--colon', '--short', '--maps']);
    return asReport(ctx, 'pvdisplay', 'pvs', args, io);
  }
  if (p.options.has('--short')) return pvdisplayShort(ctx, p.positional, displaySizeIn('pvdisplay', p), io);
  const find = (name: string): PhysicalVolume[] => {
    const pv = findPv(ctx.lvm, name);
    if (pv !== undefined) return [pv];
    const dev = ctx.machine.resolve(name);
    if (dev === null) throw new CommandFailed(`  Cannot use ${name}: device not found`, ECMD_FAILED);
    if (dev.kind === 'loop' && dev.storage === null)
      throw new CommandFailed(`  Cannot use ${name}: device is too small (pv_min_size)`, ECMD_FAILED);
    throw notModelled(`pvdisplay of a device that is not a physical volume (${name})`);
  };
  const maps = p.options.has('--maps');
  const size = displaySizeIn('pvdisplay', p);
  const show = (pv: PhysicalVolume): void => {
    if (colon) io.out(`${pvColons(ctx, pv)}\n`);
    else io.out(`${[...pvBlock(ctx, pv, size), ...(maps ? pvSegmentLines(ctx, pv) : [])].join('\n')}\n`);
  };
  return eachNamed(p.positional, find, () => [...ctx.lvm.pvs], show, io);
}
