/**
 * `dmsetup` (lvm2 2.03.16, as in the oracle VM): create, reload, message, status, table, suspend,
 * resume, remove, remove_all, rename, mknodes, ls (and ls --tree), info (and info -c), deps,
 * splitname, udevcookies, targets, version. Its messages are libdevmapper's:
 * `device-mapper: <ioctl> ioctl on <name> <maj:min> failed: <strerror>` then `Command failed.`
 *
 * /dev/mapper nodes: dmsetup (built with udev sync) sets DM_UDEV_DISABLE_LIBRARY_FALLBACK on
 * create, remove and rename unless --verifyudev is given (its `_udev_only`), so libdevmapper
 * leaves the node to udev; the VM runs no udev, so no node is made, renamed or removed, even with
 * --noudevsync. DM_DISABLE_UDEV in the environment clears that flag, and --verifyudev leaves it
 * off: then libdevmapper makes, renames and removes the node itself. `dmsetup mknodes` makes and
 * prunes them whatever the flags (lvm2 libdm/libdm-common.c, libdm-iface.c, dmsetup.c;
 * fixtures/kernel/135, 136).
 */
import { Errno, strerror } from '../model/errno.js';
import { DM_MAJOR, type DmDevice, devNumber, type Machine } from '../model/machine.js';
import type { StackId } from '../model/stack.js';
import { latin1Text } from '../shared/bytes.js';
import type { CommandIo } from '../shell/io.js';
import type { Steps } from '../shell/wait.js';
import type { ShellContext } from './context.js';
import { type LockedDevice, type LockUse, thinTablePools, underMetadataLock } from './dmsetup-lock.js';
import { type Flags, parseDmsetupArgs } from './dmsetup-args.js';
import { neverHadTable, printReport, type ReportObject, targetCount } from './dmsetup-report.js';
import { badOption, deviceNaming, namedDevice, treeOptionsError, treeText } from './dmsetup-tree.js';
import { DMSETUP_USAGE } from './dmsetup-usage.js';
import { newHostState } from './host/host-state.js';
import { withStdioBuffer } from './stdio-buffer.js';
import { stdinChunks } from './stdin-chunks.js';
import { targetsText } from './host/kernel-modules.js';

/** libdevmapper's version and date as `dmsetup version` prints them, per stack (Debian's lvm2 package). */
export const LIBDM_VERSION: Readonly<Record<StackId, string>> = {
  debian12: '1.02.185 (2022-05-18)',
  debian13: '1.02.205 (2025-02-27)',
};

function ioctlFailed(io: CommandIo, ioctl: string, name: string, devNo: string, errno: number): number {
  io.err(`device-mapper: ${ioctl} ioctl on ${name} ${devNo} failed: ${strerror(errno)}\nCommand failed.\n`);
  return 1;
}

/** dmsetup's commands the lab does not run: refused by name, never dmsetup's `Unknown command.` */
const UNMODELLED_COMMANDS: ReadonlySet<string> = new Set([
  'wipe_table',
  'measure',
  'stats',
  'wait',
  'mangle',
  'udevcreatecookie',
  'udevreleasecookie',
  'udevflags',
  'udevcomplete',
  'target-version',
  'setgeometry',
]);

/**
 * The commands whose output `-v` changes in a way the lab does not model: each prints the device's
 * info after it acts (dmsetup.c's _create_one_device, _load and _simple with display set).
 */
const VERBOSE_AFTER_ACTING: ReadonlySet<string> = new Set(['create', 'load', 'reload', 'suspend', 'resume', 'clear']);

/** Why the lab does not run this line, or null. */
function unmodelled(command: string, flags: Flags): string | null {
  if (UNMODELLED_COMMANDS.has(command)) return `dmsetup ${command}`;
  if (flags.verbose > 1) return "dmsetup -vv (libdevmapper's debug lines)";
  if (flags.verbose === 1 && VERBOSE_AFTER_ACTING.has(command))
    return `dmsetup -v ${command} (the info it prints after acting)`;
  if (command === 'help') return flags.columns ? 'dmsetup help -c (the report fields)' : null;
  const reports = (command === 'info' && flags.columns) || command === 'splitname';
  if (!reports && (flags.columns || flags.sort !== null || flags.separator !== null))
    return `dmsetup ${command} with -c, --sort or --separator (the lab's reports are info -c and splitname)`;
  if (flags.tree && command !== 'ls') return `dmsetup ${command} --tree (the lab draws ls --tree)`;
  // -o means the report's fields to info -c and splitname, the tree's options to ls --tree, and
  // how devices are named to ls and deps; to any other command the lab does not say.
  if (
    flags.fields !== null &&
    !reports &&
    command !== 'ls' &&
    command !== 'deps' &&
    optionsRefusal(command, flags) === null
  )
    return `dmsetup ${command} -o (the lab reads -o for info -c, splitname, ls and deps)`;
  return null;
}

/**
 * The line read as dmsetup reads it, with what it runs: the command, its flags and its words; or
 * the exit status once it has failed, been refused, or printed its usage.
 */
function commandLine(
  m: Machine,
  argv: readonly string[],
  io: CommandIo,
): { command: string; flags: Flags; args: string[] } | number {
  const parsed = parseDmsetupArgs(argv, m.stack);
  if ('error' in parsed || 'refused' in parsed) {
    io.err('error' in parsed ? parsed.error : parsed.refused);
    return 1;
  }
  const { flags, words: args } = parsed;
  if ((flags.major === null) !== (flags.minor === null)) {
    io.err("Please specify both major number and minor number.\nCouldn't process command line.\n");
    return 1;
  }
  // -h and --version run their commands whatever the line names, and exit 0 (dmsetup.c's main).
  const command = flags.help ? 'help' : flags.version ? 'version' : args.shift();
  const refusal = command === undefined ? null : unmodelled(command, flags);
  if (refusal !== null) {
    io.err(`thinlab: not modelled: ${refusal}\nCommand failed.\n`);
    return 1;
  }
  if (command === undefined || command === 'help') {
    io.err(DMSETUP_USAGE[m.stack]);
    return command === undefined ? 1 : 0;
  }
  const range = ARGUMENT_RANGES[command];
  if (range !== undefined && (args.length < range[0] || args.length > range[1])) {
    io.err(`Incorrect number of arguments.\n${DMSETUP_USAGE[m.stack]}`);
    return 1;
  }
  const optionsError = optionsRefusal(command, flags);
  if (optionsError !== null) {
    io.err(`${optionsError}\nCouldn't process command line.\n`);
    return 1;
  }
  const chosen = chosenDevice(m, command, flags, args, io);
  if (typeof chosen === 'number') return chosen;
  if (chosen !== null) args.splice(0, args.length, chosen);
  return { command, flags, args };
}

/** The word counts dmsetup's command table allows, for the commands whose count the lab checks here. */
const ARGUMENT_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  ls: [0, 0],
  splitname: [1, 2],
  remove_all: [0, 0],
  udevcookies: [0, 0],
  udevcomplete_all: [0, 1],
};

/**
 * dmsetup's _process_options: -o to ls --tree is the tree's options, to info -c and splitname the
 * report's fields (read later); to any other command how devices are named: each word a prefix of
 * devno, blkdevname or devname, the last one winning.
 */
function optionsRefusal(command: string, flags: Flags): string | null {
  if (flags.fields === null || flags.columns || command === 'splitname') return null;
  if (flags.tree) return treeOptionsError(flags.fields);
  return deviceNaming(flags.fields) === null ? `Option not recognised: ${badOption(flags.fields)}.` : null;
}

/** The device -u or -j/-m names for a command given no name, if any; else the status after dmsetup's complaint. */
function chosenDevice(
  m: Machine,
  command: string,
  flags: Flags,
  args: readonly string[],
  io: CommandIo,
): string | number | null {
  if (command === 'create') return null;
  if (flags.uuid !== null) return deviceOfUuid(m, command, flags.uuid, args, io);
  if (flags.major === null || flags.minor === null) return null;
  if (!UUID_LOOKUPS.has(command)) {
    io.err(
      `thinlab: not modelled: dmsetup ${command} -j -m (the lab finds a device by number for ${[...UUID_LOOKUPS].join(', ')})\nCommand failed.\n`,
    );
    return 1;
  }
  // A name given wins over -j/-m (dmsetup.c's _set_task_device).
  if (args.length > 0) return null;
  return deviceOfNumber(m, command, flags.major, flags.minor, io);
}

/** dmsetup, its standard output buffered as glibc does (src/lab/stdio-buffer.ts). */
export function dmsetup(ctx: ShellContext, argv: readonly string[], io: CommandIo): number | Steps<number> {
  return withStdioBuffer(io, ctx.machine.stack, (buffered) => runDmsetup(ctx, argv, buffered));
}

function runDmsetup(ctx: ShellContext, argv: readonly string[], io: CommandIo): number | Steps<number> {
  const m = ctx.machine;
  const line = commandLine(m, argv, io);
  if (typeof line === 'number') return line;
  const { command, flags, args } = line;
  switch (command) {
    case 'create':
      return create(ctx, args, flags, io);
    case 'reload':
    case 'load':
      return reload(ctx, args, flags, io);
    case 'message':
      return lockedMessage(m, args, io);
    case 'status':
    case 'table':
      if (flags.inactive && command === 'status') {
        // The inactive table's status would run its target's status hook outside a live table.
        io.err('dmsetup: status --inactive is not modelled in the lab (table --inactive is)\nCommand failed.\n');
        return 1;
      }
      return command === 'table' ? statusOrTable(m, command, args, flags, io) : lockedStatus(m, args, flags, io);
    case 'suspend':
      return lockedSuspend(m, args, flags, io);
    case 'resume':
      return forEachNamed(m, args, io, 'resume', (dev) => {
        const r = m.resume(dev);
        return r.ok ? 0 : ioctlFailed(io, 'resume', ...ioctlTarget(dev, flags), r.errno);
      });
    case 'remove':
      // The pool's last table commits as it closes the metadata; a thin's closes its device under the lock.
      return underMetadataLock(m, lockedDevices(m, args, poolCommitsThinTakes), 'remove', io, () =>
        remove(m, args, flags, libraryMakesNodes(flags, io), io),
      );
    case 'rename':
      return rename(m, args, flags, libraryMakesNodes(flags, io), io);
    case 'mknodes':
      // DM_DEVICE_MKNODES, once per name given (or once for all): add and prune, udev or not.
      if (args.length === 0) m.mknodes();
      for (const name of args) m.mknodes(name);
      return 0;
    case 'ls':
      return ls(m, flags, io);
    case 'info':
      return flags.columns ? infoColumns(m, args, flags, io) : info(m, args, io);
    case 'remove_all':
      return removeAll(m, flags, io);
    case 'udevcookies':
      // The semaphores of libdevmapper's udev cookies: the lab's dmsetup never waits for udev, so none.
      io.out('Cookie       Semid      Value      Last semop time           Last change time\n');
      return 0;
    case 'udevcomplete_all':
      return udevCompleteAll(args, flags, io);
    case 'splitname':
      return printReport(
        m,
        [{ kind: 'name', name: args[0]!, subsystem: args[1] ?? 'LVM' }],
        reportRequest(flags, true),
        io,
      );
    case 'deps':
      return deps(m, args, flags, io);
    case 'clear':
      return forEachNamed(m, args, io, 'clear', (dev) => {
        m.clearInactive(dev);
        return 0;
      });
    case 'targets':
      // Only the target types of loaded modules (src/lab/host/kernel-modules.ts).
      io.out(targetsText(ctx.host ?? newHostState(), m.kernel.targetVersions));
      return 0;
    case 'version':
      io.out(`Library version:   ${LIBDM_VERSION[m.stack]}\nDriver version:    ${m.kernel.dmIoctlVersion}\n`);
      return 0;
    default:
      io.err(`Unknown command.\n${DMSETUP_USAGE[m.stack]}`);
      return 1;
  }
}

const isPool = (dev: DmDevice): boolean => dev.live?.type === 'thin-pool';
/** A remove: an open device fails with EBUSY before its table is touched; else a pool commits, a thin takes the lock. */
const poolCommitsThinTakes = (dev: DmDevice): LockUse | null =>
  dev.openCount > 0 ? null : isPool(dev) ? 'commits' : 'takes';

/** `dmsetup message`: every message that succeeds commits; reserve_metadata_snap commits before it reserves. */
function lockedMessage(m: Machine, args: string[], io: CommandIo): number | Steps<number> {
  const reserves = args[2]?.trim().startsWith('reserve_metadata_snap') === true;
  const locked = lockedDevices(m, args.slice(0, 1), (dev) => (!isPool(dev) ? null : reserves ? 'commits' : 'takes'));
  return underMetadataLock(m, locked, 'message', io, () => message(m, args, io));
}

/** `dmsetup status`: a pool's commits first, unless --noflush or the pool is suspended; a thin's takes the lock. */
function lockedStatus(m: Machine, args: string[], flags: Flags, io: CommandIo): number | Steps<number> {
  const names = args.length === 0 ? m.deviceList().map((d) => d.name) : args;
  const locked = lockedDevices(m, names, (dev) =>
    isPool(dev) && !flags.noFlush && !dev.suspended ? 'commits' : 'takes',
  );
  return underMetadataLock(m, locked, 'status', io, () => statusOrTable(m, 'status', args, flags, io), {
    readsAfterCommit: true,
  });
}

/** `dmsetup suspend`: a pool commits at postsuspend. */
function lockedSuspend(m: Machine, args: string[], flags: Flags, io: CommandIo): number | Steps<number> {
  const locked = lockedDevices(m, args, (dev) => (isPool(dev) && !dev.suspended ? 'commits' : null));
  return underMetadataLock(m, locked, 'suspend', io, () =>
    forEachNamed(m, args, io, 'suspend', (dev) => {
      m.suspend(dev, { noFlush: flags.noFlush });
      return 0;
    }),
  );
}

/** The named devices of a pool or a thin, each with what the command does with its pool's lock. */
function lockedDevices(m: Machine, names: readonly string[], use: (dev: DmDevice) => LockUse | null): LockedDevice[] {
  const locked: LockedDevice[] = [];
  for (const name of names) {
    const dev = m.device(name);
    const how = dev === undefined ? null : use(dev);
    if (dev !== undefined && how !== null) locked.push([dev, how]);
  }
  return locked;
}

function tableText(flags: Flags, io: CommandIo): string | null {
  if (flags.table !== null) return flags.table;
  const text = latin1Text(io.stdin).trim();
  return text === '' ? null : text;
}

/**
 * Whether libdevmapper makes, renames and removes the /dev/mapper node itself: dmsetup leaves it
 * to udev (which the VM does not run) unless --verifyudev, or DM_DISABLE_UDEV is set (any value).
 */
function libraryMakesNodes(flags: Flags, io: CommandIo): boolean {
  return flags.verifyUdev || io.env?.has('DM_DISABLE_UDEV') === true;
}

function create(ctx: ShellContext, args: string[], flags: Flags, io: CommandIo): number | Steps<number> {
  const m = ctx.machine;
  const name = args[0];
  if (name === undefined) {
    io.err('Please specify device.\nCommand failed.\n');
    return 1;
  }
  const uuid = flags.uuid ?? '';
  if (!uuidAccepted(uuid, io)) return 1;
  const created = m.create(name, uuid);
  if (!created.ok) return ioctlFailed(io, 'create', name, uuid, created.errno);
  const dev = created.value;
  // DM_DEV_CREATE is done: a thin table's load may now wait for its pool's metadata lock.
  const table = flags.noTable ? null : tableText(flags, io);
  return underMetadataLock(m, table === null ? [] : thinTablePools(m, table), 'create', io, () => {
    const status = loadAndResume(m, dev, flags, io);
    if (status === 0 && libraryMakesNodes(flags, io)) m.addMapperNode(name, dev.minor);
    return status;
  });
}

/**
 * `m.load`, saying on standard error any refusal of a table the lab does not model: the refusal
 * is in the kernel log as a target's ctr error, and is also said here, so that it is never
 * mistaken for the kernel's own EINVAL or EBUSY. Every dmsetup path that loads a table uses it.
 */
function loadTable(m: Machine, dev: DmDevice, table: string, flags: Flags, io: CommandIo): ReturnType<Machine['load']> {
  const loggedBefore = m.kernelLog.length;
  const loaded = m.load(dev, table, { readOnly: flags.readOnly });
  if (!loaded.ok)
    for (const { text } of m.kernelLog.slice(loggedBefore)) {
      const at = text.indexOf('thinlab: not modelled:');
      if (at >= 0) io.err(`${text.slice(at).replace(/ \(-E[A-Z]+\)$/, '')}\n`);
    }
  return loaded;
}

function loadAndResume(m: Machine, dev: DmDevice, flags: Flags, io: CommandIo): number {
  const name = dev.name;
  if (flags.noTable) return 0;
  const table = tableText(flags, io);
  if (table === null) return 0;
  const lines = table.split('\n').filter((l) => l.trim() !== '');
  const loaded = loadTable(m, dev, lines.join('\n'), flags, io);
  if (!loaded.ok) {
    m.discardFailedCreate(dev);
    return ioctlFailed(io, 'reload', name, `(${DM_MAJOR}:${dev.minor})`, loaded.errno);
  }
  const resumed = m.resume(dev);
  if (!resumed.ok) {
    m.clearInactive(dev);
    m.remove(dev);
    return ioctlFailed(io, 'resume', name, '', resumed.errno);
  }
  return 0;
}

function reload(ctx: ShellContext, args: string[], flags: Flags, io: CommandIo): number | Steps<number> {
  const m = ctx.machine;
  const name = args[0];
  if (name === undefined) {
    io.err('Please specify device.\nCommand failed.\n');
    return 1;
  }
  const dev = m.device(name);
  const table = tableText(flags, io);
  if (dev === undefined) return ioctlFailed(io, 'reload', name, '', Errno.ENXIO);
  if (table === null) {
    io.err('dmsetup: reload needs a table (--table or standard input)\nCommand failed.\n');
    return 1;
  }
  return underMetadataLock(m, thinTablePools(m, table), 'reload', io, () => {
    const loaded = loadTable(m, dev, table, flags, io);
    return loaded.ok ? 0 : ioctlFailed(io, 'reload', name, '', loaded.errno);
  });
}

function message(m: Machine, args: string[], io: CommandIo): number {
  const [name, sector, ...words] = args;
  if (name === undefined || sector === undefined || words.length === 0) {
    io.err('Usage: message <device> <sector> <message>\nCommand failed.\n');
    return 1;
  }
  const dev = m.device(name);
  if (dev === undefined) return ioctlFailed(io, 'message', name, '', Errno.ENXIO);
  if (!/^[0-9]+$/.test(sector)) {
    io.err(`Invalid sector '${sector}'.\nCommand failed.\n`);
    return 1;
  }
  const argv = words
    .join(' ')
    .split(/\s+/)
    .filter((w) => w !== '');
  const r = m.message(dev, argv, Number(sector));
  return r === 0 ? 0 : ioctlFailed(io, 'message', name, '', r);
}

function lineOf(m: Machine, dev: DmDevice, kind: 'status' | 'table', flags: Flags): string | null {
  const t = flags.inactive ? dev.inactive : dev.live;
  if (t === null) return null;
  if (t.type === 'linear' && t.segments !== undefined) {
    // An LVM volume with several segments: one line per linear target (status lines are empty).
    return t.segments
      .map(
        (seg) =>
          `${seg.startSectors} ${seg.lengthSectors} linear ${kind === 'status' ? '' : `${devNumber(seg.dev)} ${seg.offsetSectors}`}`,
      )
      .join('\n');
  }
  const params = kind === 'status' ? m.targetStatus(dev, flags.noFlush) : m.targetTable(t);
  return `0 ${t.lengthSectors} ${t.type} ${params}`;
}

/**
 * `dmsetup status|table [DEVICE...]`: every device (each line prefixed by its name) or those named
 * (prefixed when more than one). With `-v` each device's info comes first and no line is
 * prefixed; several devices are then parted by an empty line (dmsetup.c's _status).
 */
function statusOrTable(m: Machine, kind: 'status' | 'table', args: string[], flags: Flags, io: CommandIo): number {
  const all = args.length === 0;
  if (all && m.deviceList().length === 0) {
    io.out('No devices found\n');
    return 0;
  }
  const several = all || args.length > 1;
  let status = 0;
  for (const name of all ? m.deviceList().map((d) => d.name) : args) {
    const dev = m.device(name);
    if (dev === undefined) {
      if (kind === 'status') io.err('Device does not exist.\nCommand failed.\n');
      else io.err(`device-mapper: table ioctl on ${name}  failed: ${strerror(Errno.ENXIO)}\nCommand failed.\n`);
      status = 1;
      continue;
    }
    if (flags.target !== null && dev.live?.type !== flags.target) continue;
    const line = lineOf(m, dev, kind, flags);
    if (flags.verbose > 0) {
      if (writeInfo(m, dev, io)) io.out(`${line ?? ''}\n${several ? '\n' : ''}`);
      else status = 1;
      continue;
    }
    if (line === null) {
      // No target to print: dmsetup still ends the device's line.
      io.out(several ? `${dev.name}: \n` : '\n');
      continue;
    }
    io.out(
      line
        .split('\n')
        .map((l) => (several ? `${name}: ${l}\n` : `${l}\n`))
        .join(''),
    );
  }
  return status;
}

function forEachNamed(
  m: Machine,
  args: string[],
  io: CommandIo,
  ioctl: string,
  act: (dev: DmDevice) => number,
): number {
  if (args.length === 0) {
    io.err('Please specify device.\nCommand failed.\n');
    return 1;
  }
  let status = 0;
  for (const name of args) {
    const dev = m.device(name);
    if (dev === undefined) {
      status = ioctlFailed(io, ioctl, name, '', Errno.ENXIO);
      continue;
    }
    if (act(dev) !== 0) status = 1;
  }
  return status;
}

/**
 * `dmsetup remove [--force] [--deferred]`. With --force (and not --deferred), dmsetup first
 * replaces an open device's table with `error` of the same size (its _error_device), so that its
 * openers fail their I/O and let go of what the old table held; the remove itself may still fail
 * with EBUSY (fixtures/kernel/120-opens-remove).
 */
function remove(m: Machine, args: string[], flags: Flags, makesNodes: boolean, io: CommandIo): number {
  return forEachNamed(m, args, io, 'remove', (dev) => {
    if (flags.force && !flags.deferred && dev.openCount > 0 && dev.live !== null) errorDevice(m, dev, flags);
    const r = m.remove(dev, { deferred: flags.deferred });
    if (!r.ok) return ioctlFailed(io, 'remove', ...ioctlTarget(dev, flags), r.errno);
    if (makesNodes) m.removeMapperNode(dev.name);
    return 0;
  });
}

/**
 * `dmsetup rename DEVICE NEW` and `dmsetup rename DEVICE --setuuid UUID` (DM_DEV_RENAME): the
 * errors are the kernel's (EBUSY for a name or UUID taken, its own name included; ENXIO for no such
 * device; EINVAL for a second UUID), each with its log line; a name with `/` is libdevmapper's
 * refusal. A UUID rename never touches /dev/mapper.
 */
function rename(m: Machine, args: string[], flags: Flags, makesNodes: boolean, io: CommandIo): number {
  if (args.length < 1 || args.length > 2) {
    io.err(`Incorrect number of arguments.\n${DMSETUP_USAGE[m.stack]}`);
    return 1;
  }
  if (args.length === 1) {
    io.err('No device specified.\nCommand failed.\n');
    return 1;
  }
  const [name, target] = args as [string, string];
  if (!flags.setUuid && target.includes('/')) {
    io.err(`Name "${target}" invalid. It contains "/".\nCommand failed.\n`);
    return 1;
  }
  const r = m.renameDevice(name, target, flags.setUuid);
  if (!r.ok) return ioctlFailed(io, 'rename', name, '', r.errno);
  if (makesNodes && !flags.setUuid) m.renameMapperNode(name, target);
  return 0;
}

/** dmsetup's _error_device: load an `error` table of the device's size (read-only with -r) and resume it. */
function errorDevice(m: Machine, dev: DmDevice, flags: Flags): void {
  const loaded = m.load(dev, `0 ${m.sizeSectors(dev)} error`, { readOnly: flags.readOnly });
  if (loaded.ok) m.resume(dev);
}

/**
 * `dmsetup ls`: each device's name and number, or with `-o` its name or sysfs name (the number
 * where it has none); with `--target TYPE` only the devices with a target of that type, whose
 * number dmsetup then prints as `(major, minor)` whatever -o says (its _display_dev, reached
 * through _status); with `--tree` the tree of what each device uses (src/lab/dmsetup-tree.ts).
 */
function ls(m: Machine, flags: Flags, io: CommandIo): number {
  const devices = m.deviceList();
  if (devices.length === 0) {
    io.out('No devices found\n');
    return 0;
  }
  if (flags.tree) {
    const tree = treeText(m, flags.fields);
    if ('refused' in tree) {
      io.err(`thinlab: not modelled: ${tree.refused}\nCommand failed.\n`);
      return 1;
    }
    io.out(tree.text);
    return 0;
  }
  const naming = flags.fields === null ? 'devno' : deviceNaming(flags.fields)!;
  for (const dev of devices) {
    if (flags.target === null) io.out(`${dev.name}\t(${namedDevice(dev, naming, ':')})\n`);
    else if (dev.live?.type === flags.target) io.out(`${dev.name}\t(${DM_MAJOR}, ${dev.minor})\n`);
  }
  return 0;
}

/**
 * `dmsetup deps [DEVICE...]`: `N dependencies\t: (maj, min)...` (with -o, each by its name or sysfs
 * name), prefixed by the name when listing all; with `-v` the device's info comes first instead,
 * and an empty line parts several devices.
 */
function deps(m: Machine, args: string[], flags: Flags, io: CommandIo): number {
  const naming = flags.fields === null ? 'devno' : deviceNaming(flags.fields)!;
  const line = (dev: DmDevice): string => {
    const held = m.dependencies(dev);
    return `${held.length} dependencies\t:${held.map((d) => ` (${namedDevice(d, naming, ', ')})`).join('')}\n`;
  };
  const verbose = (dev: DmDevice, several: boolean): number => {
    if (!writeInfo(m, dev, io)) return 1;
    io.out(`${line(dev)}${several ? '\n' : ''}`);
    return 0;
  };
  if (args.length === 0) {
    const devices = m.deviceList();
    if (devices.length === 0) io.out('No devices found\n');
    let status = 0;
    for (const dev of devices)
      if (flags.verbose === 0) io.out(`${dev.name}: ${line(dev)}`);
      else status = Math.max(status, verbose(dev, true));
    return status;
  }
  return forEachNamed(m, args, io, 'deps', (dev) => {
    if (flags.verbose > 0) return verbose(dev, args.length > 1);
    io.out(line(dev));
    return 0;
  });
}

function info(m: Machine, args: string[], io: CommandIo): number {
  const names = args.length > 0 ? args : m.deviceList().map((d) => d.name);
  if (names.length === 0) {
    io.out('No devices found\n');
    return 0;
  }
  let status = 0;
  for (const name of names) {
    const dev = m.device(name);
    if (dev === undefined) {
      io.err('Device does not exist.\nCommand failed.\n');
      status = 1;
      continue;
    }
    if (!writeInfo(m, dev, io)) status = 1;
  }
  return status;
}

/**
 * Writes a device's info as `dmsetup info` prints it (dmsetup.c's _display_info_long), with its
 * empty line after; false, after a refusal, when the lab does not know what it prints. libdevmapper
 * reads the read-ahead from sysfs, which a device that never had a table lacks (its gendisk is
 * added at the first load), and then from its node: without one it says so on standard error and
 * prints no `Read Ahead` line. The kernel counts 0 targets there (fixtures/kernel/207).
 */
function writeInfo(m: Machine, dev: DmDevice, io: CommandIo): boolean {
  const noTable = dev.live === null && dev.inactive === null;
  if (noTable && m.mapperNode(dev.name) !== undefined) {
    io.err('thinlab: not modelled: dmsetup info of a device that never had a table, with its /dev/mapper node made\n');
    return false;
  }
  const tables = dev.live && dev.inactive ? 'LIVE & INACTIVE' : dev.live ? 'LIVE' : dev.inactive ? 'INACTIVE' : 'None';
  io.out(
    `Name:              ${dev.name}\n` +
      `State:             ${dev.suspended ? 'SUSPENDED' : 'ACTIVE'}${dev.readOnly ? ' (READ-ONLY)' : ''}${dev.deferredRemove ? ' (DEFERRED REMOVE)' : ''}\n`,
  );
  if (noTable) io.err(`/dev/mapper/${dev.name}: open failed: ${strerror(Errno.ENOENT)}\n`);
  else io.out('Read Ahead:        256\n');
  io.out(
    `Tables present:    ${tables}\n` +
      `Open count:        ${dev.openCount}\n` +
      `Event number:      ${dev.eventNr}\n` +
      `Major, minor:      ${DM_MAJOR}, ${dev.minor}\n` +
      `Number of targets: ${targetCount(dev)}\n` +
      (dev.uuid !== undefined ? `UUID: ${dev.uuid}\n` : '') +
      '\n',
  );
  return true;
}

/** The commands that find their device by `-u UUID` in the lab (each takes one device). */
const UUID_LOOKUPS: ReadonlySet<string> = new Set([
  'info',
  'table',
  'status',
  'remove',
  'suspend',
  'resume',
  'deps',
  'clear',
]);

/**
 * The name of the device `-u UUID` names, for a command that acts on one device; else the
 * command's status after dmsetup's complaint: info and status say the device does not exist, the
 * others fail their ioctl on the UUID (ENXIO). The lab refuses by name what it does not model.
 */
function deviceOfUuid(
  m: Machine,
  command: string,
  uuid: string,
  args: readonly string[],
  io: CommandIo,
): string | number {
  if (!UUID_LOOKUPS.has(command) || args.length > 0) {
    io.err(
      `thinlab: not modelled: dmsetup ${command} -u${args.length > 0 ? ' with a device name too' : ''} (the lab finds a device by UUID for ${[...UUID_LOOKUPS].join(', ')}, with no name)\nCommand failed.\n`,
    );
    return 1;
  }
  const dev = m.deviceByUuid(uuid);
  if (dev !== undefined) return dev.name;
  if (command === 'info' || command === 'status') {
    io.err('Device does not exist.\nCommand failed.\n');
    return 1;
  }
  return ioctlFailed(io, command, '', uuid, Errno.ENXIO);
}

/**
 * The name of the device `-j MAJOR -m MINOR` names (each read with atoi), for a command that acts on
 * one device. libdevmapper refuses a major of 0 or less before any ioctl; info and status of a
 * number no device has say it does not exist; the lab refuses what else it has not recorded.
 */
function deviceOfNumber(
  m: Machine,
  command: string,
  majorText: string,
  minorText: string,
  io: CommandIo,
): string | number {
  const major = atoi(majorText);
  if (major <= 0) {
    io.err("Missing major number for persistent device.\nCouldn't create ioctl argument.\nCommand failed.\n");
    return 1;
  }
  const dev = major === DM_MAJOR ? m.deviceList().find((d) => d.minor === atoi(minorText)) : undefined;
  if (dev !== undefined) return dev.name;
  if (command === 'info' || command === 'status') {
    io.err('Device does not exist.\nCommand failed.\n');
    return 1;
  }
  io.err(`thinlab: not modelled: dmsetup ${command} -j ${majorText} -m ${minorText} of no device\nCommand failed.\n`);
  return 1;
}

/** C's atoi: the leading decimal digits (after blanks and a sign), 0 when there are none. */
function atoi(text: string): number {
  const match = /^\s*([+-]?\d+)/.exec(text);
  return match === null ? 0 : Number.parseInt(match[1]!, 10);
}

/** How libdevmapper names the device of a failed ioctl: by the name, or by the UUID it was given. */
function ioctlTarget(dev: DmDevice, flags: Flags): [string, string] {
  return flags.uuid === null ? [dev.name, ''] : ['', flags.uuid];
}

/** The longest UUID libdevmapper takes: DM_UUID_LEN (129) less its terminating NUL. */
const UUID_MAX_CHARS = 128;

/**
 * dm_task_set_uuid's checks (mangling mode auto): a UUID longer than its buffer fails in dmsetup
 * itself, before any ioctl (fixtures/kernel/180). Characters outside libdevmapper's whitelist would
 * be mangled to `\xNN`, which the lab does not model, so it refuses them by name.
 */
function uuidAccepted(uuid: string, io: CommandIo): boolean {
  if (uuid.length > UUID_MAX_CHARS) {
    io.err(
      `Mangled form of the UUID too long for "${uuid}".\nFailed to mangle device uuid "${uuid}".\nCommand failed.\n`,
    );
    return false;
  }
  if (!/^[0-9A-Za-z#+\-.:=@_]*$/.test(uuid)) {
    io.err(
      `thinlab: not modelled: a UUID with characters libdevmapper mangles to \\xNN ("${uuid}")\nCommand failed.\n`,
    );
    return false;
  }
  return true;
}

/** The report the flags ask for. */
function reportRequest(flags: Flags, splitname: boolean) {
  return {
    fields: flags.fields,
    sort: flags.sort,
    noHeadings: flags.noHeadings,
    separator: flags.separator,
    splitname,
  };
}

/**
 * `dmsetup info -c`: the devices named (each that does not exist said so), or all, as a report
 * (src/lab/dmsetup-report.ts). A device that never had a table but has a node is refused, as
 * writeInfo refuses it: libdevmapper would read its read-ahead through the node.
 */
function infoColumns(m: Machine, args: string[], flags: Flags, io: CommandIo): number {
  const devices = args.length > 0 ? args.map((n) => m.device(n) ?? null) : m.deviceList();
  if (devices.some((d) => d !== null && neverHadTable(d) && m.mapperNode(d.name) !== undefined)) {
    io.err(
      'thinlab: not modelled: dmsetup info -c of a device that never had a table, with its /dev/mapper node made\nCommand failed.\n',
    );
    return 1;
  }
  if (devices.length === 0) {
    io.out('No devices found\n');
    return 0;
  }
  const objects: (ReportObject | null)[] = devices.map((dev) => (dev === null ? null : { kind: 'device', dev }));
  return printReport(m, objects, reportRequest(flags, false), io);
}

/**
 * `dmsetup remove_all`: DM_REMOVE_ALL removes every device nothing holds open, again and again
 * while that makes progress, and logs how many it left (all of them open); then dm_mknodes prunes
 * /dev/mapper. Nothing printed, status 0 (fixtures/kernel/214). The lab refuses by name a loaded
 * table (the lab has not seen what the kernel does with it) or a pool whose metadata lock waits;
 * `--deferred`, which marks every device left for removal at its last close (the lab does not
 * follow a chain of such removals); and `-f`, which loads error tables into the devices left
 * open and removes again: that hung the Linux 6.1 VM with a device open
 * (fixtures/kernel-probes/210).
 */
function removeAll(m: Machine, flags: Flags, io: CommandIo): number {
  const devices = m.deviceList();
  const refusal = flags.force
    ? 'dmsetup remove_all -f (its error tables hung the real VM with a device open)'
    : flags.deferred
      ? 'dmsetup remove_all --deferred (deferred removes of the devices left open)'
      : devices.some((d) => d.inactive !== null || m.metadataLockWait(d, true) !== null)
        ? 'dmsetup remove_all with a loaded table or a held metadata lock'
        : null;
  if (refusal !== null) {
    io.err(`thinlab: not modelled: ${refusal}\nCommand failed.\n`);
    return 1;
  }
  for (let dev = devices.find((d) => d.openCount === 0); dev !== undefined; ) {
    const removed = m.remove(dev);
    if (!removed.ok) throw new Error(`remove_all: ${dev.name} could not be removed`);
    dev = m.deviceList().find((d) => d.openCount === 0);
  }
  const left = m.deviceList().length;
  if (left > 0) m.log(`ioctl: remove_all left ${left} open device(s)`);
  m.mknodes();
  return 0;
}

/** DM_COOKIE_MAGIC (0xd4d), the prefix of the keys of libdevmapper's udev semaphores, as dmsetup prints it. */
const COOKIE_KEYS = '3405 (0xd4d)';

/**
 * `dmsetup udevcomplete_all [AGE_IN_MINUTES]`: destroys libdevmapper's udev semaphores (older than
 * the age), after a warning on standard error and a prompt on standard output unless `-y`. The lab's
 * dmsetup never makes one (udevcreatecookie is refused by name, and it never waits for udev), so
 * there are none to destroy: `0 ... destroyed. 0 skipped.` (fixtures/kernel/214).
 */
function udevCompleteAll(args: string[], flags: Flags, io: CommandIo): number | Steps<number> {
  let age = 0;
  if (args.length === 1) {
    const read = scanUnsigned(args[0]!);
    if (read === null) {
      io.err('Failed to read age_in_minutes parameter.\nCommand failed.\n');
      return 1;
    }
    age = read;
  }
  const destroyed = (): number => {
    io.out(`0 semaphores with keys prefixed by ${COOKIE_KEYS} destroyed. 0 skipped.\n`);
    return 0;
  };
  if (flags.yes) return destroyed();
  // printf's `%.0d` prints nothing for 0, and the unsigned age as a signed int.
  const older = age === 0 ? '' : `older than ${age | 0} minutes `;
  io.err(`WARNING: This operation will destroy all semaphores ${older}with keys that have a prefix ${COOKIE_KEYS}.\n`);
  return (function* (): Steps<number> {
    if ((yield* yesNoPrompt('Do you really want to continue? [y/n]: ', io)) === 'y') return destroyed();
    io.out(`Semaphores with keys prefixed by ${COOKIE_KEYS} NOT destroyed.\n`);
    return 0;
  })();
}

/**
 * dmsetup's _yes_no_prompt: the prompt (again after each line without an answer), then characters
 * until a line ends with a y or n read since (the last one read counts); end of input answers n.
 * A newline is printed when the answer did not end a line.
 */
function* yesNoPrompt(prompt: string, io: CommandIo): Steps<'y' | 'n'> {
  const next = stdinChunks(io);
  let chunk: Uint8Array = new Uint8Array(0);
  let at = 0;
  let answer: 'y' | 'n' | null = null;
  let c = '';
  do {
    if (c === '\n' || c === '') io.out(prompt);
    while (at >= chunk.length) {
      const read = yield* next();
      if (read === null || typeof read === 'string') break;
      chunk = read;
      at = 0;
    }
    if (at >= chunk.length) {
      answer = 'n';
      c = 'EOF';
      break;
    }
    c = String.fromCharCode(chunk[at++]!).toLowerCase();
    if (c === 'y' || c === 'n') answer = c;
  } while (answer === null || c !== '\n');
  if (c !== '\n') io.out('\n');
  return answer;
}

/**
 * sscanf's `%u`: blanks, a sign and decimal digits (a minus negates, modulo 2^32; past the range
 * strtoul's ULONG_MAX, truncated); null where no digit comes first.
 */
function scanUnsigned(text: string): number | null {
  const match = /^\s*([+-]?)(\d+)/.exec(text);
  if (match === null) return null;
  const limit = (1n << 64n) - 1n;
  let value = BigInt(match[2]!);
  if (value > limit) value = limit;
  if (match[1] === '-') value = (1n << 64n) - value;
  return Number(value & 0xffffffffn);
}
