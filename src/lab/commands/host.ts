/**
 * The host around the pool (src/lab/host): kernel modules (busybox lsmod, insmod, rmmod as the
 * oracle VM prints them, fixtures/kernel/91; kmod's modprobe as a Debian host has it), busybox
 * blockdev, `reboot` and `boot` (after a `crash`), and `apt-get install` for the packages whose
 * files the lab holds. Registered by name in src/lab/commands.ts.
 */
import { Errno, strerror } from '../../model/errno.js';
import type { CommandIo } from '../../shell/io.js';
import { CommandFailed, notModelled } from '../command-errors.js';
import { bootHost, reboot } from '../host/boot.js';
import { allMounts, DF_HEADER, dfLine, mountOf } from '../host/df.js';
import {
  type KernelModule,
  kernelModule,
  loadModule,
  lsmodText,
  modprobeLoad as loadWithModprobe,
  moduleAtPath,
  unloadModule,
  useCount,
} from '../host/kernel-modules.js';
import {
  LSBLK_COLUMNS,
  LSBLK_DEFAULT_COLUMNS,
  LSBLK_UNMODELLED_COLUMNS,
  lsblkRows,
  lsblkTable,
} from '../host/lsblk.js';
import { installPackageFiles, packagesOf } from '../host/programs.js';
import { unameText } from '../host/uname.js';
import { BUSYBOX_USAGE, busyboxArgs } from '../busybox-options.js';
import { installVersioned, VERSIONED_PACKAGES } from '../host/versioned-packages.js';
import type { Lab } from '../lab.js';
import { busyboxBanner } from '../busybox-banner.js';
import type { CommandHandler } from '../registry.js';
import { fileKind, lookupPath, missingReason } from '../vfs.js';

export const HOST_COMMANDS = {
  lsmod: (lab, _args, io) => {
    io.out(lsmodText(lab.machine, lab.host));
    return 0;
  },
  insmod,
  rmmod,
  modprobe,
  blockdev,
  reboot: (lab, args) => {
    if (args.length > 0) throw notModelled(`reboot ${args.join(' ')} (the lab's reboot takes no options)`);
    reboot(lab);
    return 0;
  },
  boot: (lab, _args, io) => {
    if (!lab.host.crashed) {
      io.err('thinlab: boot: the host is running; `crash` loses power first, or `reboot` shuts down and boots\n');
      return 1;
    }
    bootHost(lab);
    return 0;
  },
  'apt-get': aptGet,
  df,
  lsblk,
  uname,
} satisfies Record<string, CommandHandler>;

/** busybox uname [-amnrspvio]: the running kernel (src/lab/host/uname.ts); an operand gets the usage. */
function uname(lab: Lab, args: readonly string[], io: CommandIo): number {
  const parsed = busyboxArgs(lab.machine.stack, 'uname', args, 'amnrspvio', '');
  if ('error' in parsed) {
    io.err(parsed.error);
    return 1;
  }
  if (parsed.operands.length > 0) {
    io.err(`${busyboxBanner(lab.machine.stack)}${BUSYBOX_USAGE.uname}`);
    return 1;
  }
  io.out(unameText(lab.machine.kernel, parsed.flags));
  return 0;
}

/** busybox df [-k] [PATH...]: the VM's tmpfs mounts (src/lab/host/df.ts, fixtures/kernel/92). */
function df(lab: Lab, args: readonly string[], io: CommandIo): number {
  const option = args.find((a) => a.startsWith('-') && a !== '-k');
  if (option !== undefined) throw notModelled(`df ${option}`);
  const paths = args.filter((a) => a !== '-k');
  io.out(DF_HEADER);
  if (paths.length === 0) {
    for (const m of allMounts(lab.machine.stack)) io.out(dfLine(lab.fs, m));
    return 0;
  }
  let status = 0;
  for (const path of paths) {
    const mount = mountOf(path, lab.machine.stack);
    if (fileKind(lab, path) === null) {
      io.err(`df: ${path}: can't find mount point\n`);
      status = 1;
    } else if (mount === null) throw notModelled(`df of ${path} (the lab knows the VM's /dev and /tmp mounts)`);
    else io.out(dfLine(lab.fs, mount));
  }
  return status;
}

const INSMOD_USAGE = `Usage: insmod FILE [SYMBOL=VALUE]...\n\nLoad kernel module\n`;
const RMMOD_USAGE = `Usage: rmmod [-wfa] [MODULE]...\n\nUnload kernel modules\n\n\t-w\tWait until the module is no longer used\n\t-f\tForce unload\n\t-a\tRemove all unused modules (recursively)\n`;

/** busybox insmod FILE: the file must be there; the kernel refuses a loaded module (17) or a missing dependency. */
function insmod(lab: Lab, args: readonly string[], io: CommandIo): number {
  const [path, ...params] = args;
  if (path === undefined) {
    io.err(busyboxBanner(lab.machine.stack) + INSMOD_USAGE);
    return 1;
  }
  if (params.length > 0) throw notModelled(`module parameters (${params.join(' ')})`);
  if (lab.fs.get(path) === undefined) {
    io.err(`insmod: can't insert '${path}': ${strerror(Errno.ENOENT)}\n`);
    // busybox returns the negative errno of the failed open: 254.
    return 256 - Errno.ENOENT;
  }
  const module = moduleAtPath(path);
  if (module === undefined) {
    io.err(`insmod: can't insert '${path}': invalid module format\n`);
    return Errno.ENOEXEC;
  }
  const errno = loadModule(lab.machine, lab.host, module);
  if (errno === 0) return 0;
  io.err(
    `insmod: can't insert '${path}': ${errno === Errno.ENOENT ? 'unknown symbol in module, or unknown parameter' : strerror(errno)}\n`,
  );
  return errno;
}

/** busybox rmmod MODULE...: a module in use stays (EAGAIN), one not loaded is ENOENT. */
function rmmod(lab: Lab, args: readonly string[], io: CommandIo): number {
  const option = args.find((a) => a.startsWith('-'));
  if (option !== undefined) throw notModelled(`rmmod ${option}`);
  if (args.length === 0) {
    io.err(busyboxBanner(lab.machine.stack) + RMMOD_USAGE);
    return 1;
  }
  let status = 0;
  for (const arg of args) {
    const name = arg.replace(/^.*\//, '').replace(/\.ko$/, '').replace(/-/g, '_');
    const module = kernelModule(name);
    const errno = module === undefined ? Errno.ENOENT : unloadModule(lab.machine, lab.host, module);
    if (errno !== 0) {
      io.err(`rmmod: can't unload module '${name}': ${strerror(errno)}\n`);
      status = 1;
    }
  }
  return status;
}

/**
 * kmod's modprobe, as a Debian host has it (the oracle VM's busybox modprobe cannot work there: it
 * has no /lib/modules/RELEASE): `modprobe NAME` loads the module after its dependencies,
 * `modprobe -r NAME` unloads it and the dependencies nothing else uses. An explicit modprobe
 * ignores blacklists, as kmod does. The lab finds the module files where the VM keeps them.
 */
function modprobe(lab: Lab, args: readonly string[], io: CommandIo): number {
  const remove = args.includes('-r') || args.includes('--remove');
  const unknown = args.find((a) => a.startsWith('-') && !['-r', '--remove', '-q', '--quiet'].includes(a));
  if (unknown !== undefined) throw notModelled(`modprobe ${unknown}`);
  const quiet = args.includes('-q') || args.includes('--quiet');
  const names = args.filter((a) => !a.startsWith('-'));
  if (names.length === 0) {
    io.err('modprobe: ERROR: missing module name.\n');
    return 1;
  }
  for (const name of names) {
    const module = kernelModule(name);
    const status = remove ? modprobeRemove(lab, name, module, io) : modprobeLoad(lab, name, quiet, io);
    if (status !== 0) return status;
  }
  return 0;
}

function modprobeLoad(lab: Lab, name: string, quiet: boolean, io: CommandIo): number {
  const r = loadWithModprobe(lab.machine, lab.host, (path) => lab.fs.get(path) !== undefined, name);
  if (!quiet) io.err(r.message);
  return r.status;
}

function modprobeRemove(lab: Lab, name: string, module: KernelModule | undefined, io: CommandIo): number {
  if (module === undefined || !lab.host.modules.includes(module.name)) {
    io.err(`modprobe: FATAL: Module ${name} is not in kernel.\n`);
    return 1;
  }
  if (unloadModule(lab.machine, lab.host, module) !== 0) {
    io.err(`modprobe: FATAL: Module ${module.name} is in use.\n`);
    return 1;
  }
  // kmod then removes the dependencies that nothing uses any more.
  for (const dep of module.deps) {
    const d = kernelModule(dep)!;
    if (lab.host.modules.includes(dep) && useCount(lab.machine, lab.host, d) === 0) modprobeRemove(lab, dep, d, io);
  }
  return 0;
}

const BLOCKDEV_USAGE = `Usage: blockdev OPTION BLOCKDEV\n\n\t--setro\t\tSet ro\n\t--setrw\t\tSet rw\n\t--getro\t\tGet ro\n\t--getss\t\tGet sector size\n\t--getbsz\tGet block size\n\t--setbsz BYTES\tSet block size\n\t--getsz\t\tGet device size in 512-byte sectors\n\t--getsize64\tGet device size in bytes\n\t--getra\t\tGet readahead in 512-byte sectors\n\t--setra SECTORS\tSet readahead\n\t--flushbufs\tFlush buffers\n\t--rereadpt\tReread partition table\n`;

/** busybox blockdev's options the lab answers, and those the VM has that it refuses by name. */
const BLOCKDEV_GETTERS = ['--getsize64', '--getsz', '--getss', '--getbsz', '--getro'];
const BLOCKDEV_OTHERS = ['--setro', '--setrw', '--setbsz', '--getra', '--setra', '--flushbufs', '--rereadpt'];

/** busybox blockdev OPTION DEVICE: one option, one device (fixtures/kernel/91). */
function blockdev(lab: Lab, args: readonly string[], io: CommandIo): number {
  const [option, path] = args;
  if (
    args.length !== 2 ||
    option === undefined ||
    path === undefined ||
    !BLOCKDEV_GETTERS.concat(BLOCKDEV_OTHERS).includes(option)
  ) {
    io.err(busyboxBanner(lab.machine.stack) + BLOCKDEV_USAGE);
    return 1;
  }
  if (BLOCKDEV_OTHERS.includes(option)) throw notModelled(`blockdev ${option}`);
  const target = lookupPath(lab, path);
  if (target.kind === 'missing') {
    io.err(`blockdev: can't open '${path}': ${missingReason(lab, path)}\n`);
    return 1;
  }
  if (target.kind !== 'block') {
    io.err(`blockdev: ${path}: ${strerror(Errno.ENOTTY)}\n`);
    return 1;
  }
  const sectors = lab.machine.sizeSectors(target.dev);
  const values: Record<string, number> = {
    '--getsize64': sectors * 512,
    '--getsz': sectors,
    '--getss': 512,
    '--getbsz': 4096,
    '--getro': lab.machine.isReadOnly(target.dev) ? 1 : 0,
  };
  io.out(`${values[option]}\n`);
  return 0;
}

/**
 * apt-get install [-y] [--reinstall] PACKAGE[=VERSION]...: puts a package's files back, or installs
 * another build of containerd or Docker (src/lab/host/versioned-packages.ts); the lab's packages only.
 */
function aptGet(lab: Lab, args: readonly string[], io: CommandIo): number {
  const [verb, ...rest] = args;
  if (verb !== 'install') throw notModelled(`apt-get ${verb ?? ''} (the lab runs apt-get install PACKAGE)`);
  const option = rest.find((a) => a.startsWith('-') && !['-y', '--yes', '--reinstall', '-q'].includes(a));
  if (option !== undefined) throw notModelled(`apt-get install ${option}`);
  const names = rest.filter((a) => !a.startsWith('-'));
  const packages = packagesOf(lab.machine.stack);
  io.out('Reading package lists...\nBuilding dependency tree...\nReading state information...\n');
  const missing = names.find((n) => !packages.has(n.split('=')[0]!) && !VERSIONED_PACKAGES.has(n.split('=')[0]!));
  if (missing !== undefined) {
    io.err(`E: Unable to locate package ${missing.split('=')[0]}\n`);
    return 100;
  }
  const pinned = names.find((n) => packages.has(n.split('=')[0]!) && n.includes('='));
  if (pinned !== undefined) {
    const [name, version] = pinned.split('=');
    io.err(
      `E: Version '${version}' for '${name}' was not found\nthinlab: not modelled: ${name} ${version} (the lab's ${name} is ${packages.get(name!)!.version})\n`,
    );
    return 100;
  }
  for (const name of names) {
    const versioned = installVersioned(lab, name, io);
    if (versioned !== null && 'error' in versioned) return versioned.error;
    if (versioned === null) installPackageFiles(lab.fs, lab.machine.stack, name);
    const version = versioned?.version ?? packages.get(name)!.version;
    io.out(`Setting up ${name.split('=')[0]} (${version}) ...\n`);
  }
  return 0;
}

/** lsblk's options the lab does not model (util-linux 2.38.1's --help): refused by name. */
const LSBLK_UNMODELLED_OPTIONS = 'dDeEfiIJlmMnOpPrsSTtxz';

/** The columns of `-o LIST` (`+LIST` adds to the default ones), or lsblk's error for an unknown one. */
function lsblkColumns(list: string): string[] {
  const names = list.replace(/^\+/, '').split(',');
  const columns = list.startsWith('+') ? [...LSBLK_DEFAULT_COLUMNS] : [];
  for (const raw of names) {
    const name = raw.toUpperCase();
    if (LSBLK_UNMODELLED_COLUMNS.includes(name))
      throw notModelled(`lsblk column ${name} (the lab fills ${Object.keys(LSBLK_COLUMNS).join(',')})`);
    if (LSBLK_COLUMNS[name] === undefined) throw new CommandFailed(`lsblk: unknown column: ${raw}`, 1);
    columns.push(name);
  }
  return columns;
}

/** util-linux lsblk [-a] [-b] [-o LIST] [DEVICE...] (src/lab/host/lsblk.ts). */
function lsblk(lab: Lab, args: readonly string[], io: CommandIo): number {
  let all = false;
  let bytes = false;
  let columns = LSBLK_DEFAULT_COLUMNS;
  const paths: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-a' || a === '--all') all = true;
    else if (a === '-b' || a === '--bytes') bytes = true;
    else if (a === '-o' || a === '--output') columns = lsblkColumns(args[++i] ?? '');
    else if (a.startsWith('--output=')) columns = lsblkColumns(a.slice('--output='.length));
    else if (a.startsWith('-o')) columns = lsblkColumns(a.slice(2));
    else if (/^-[ab]+$/.test(a)) {
      all ||= a.includes('a');
      bytes ||= a.includes('b');
    } else if (a.startsWith('--')) throw notModelled(`lsblk ${a} (the lab runs lsblk with -a, -b, -o)`);
    else if (a.startsWith('-') && a.length > 1) {
      const flag = [...a.slice(1)].find((f) => !'ab'.includes(f))!;
      if (LSBLK_UNMODELLED_OPTIONS.includes(flag))
        throw notModelled(`lsblk -${flag} (the lab runs lsblk with -a, -b, -o)`);
      throw new CommandFailed(`lsblk: invalid option -- '${flag}'\nTry 'lsblk --help' for more information.`, 1);
    } else paths.push(a);
  }
  const roots = [];
  let missing = 0;
  for (const path of paths) {
    const dev = lab.machine.resolve(path);
    if (dev === null) {
      io.err(`lsblk: ${path}: not a block device\n`);
      missing++;
    } else roots.push(dev);
  }
  const rows = lsblkRows(lab, paths.length === 0 ? null : roots, all);
  if (rows.length > 0) io.out(lsblkTable(lab, rows, columns, bytes));
  // util-linux: 32 when none of the devices named was found, 64 when some were not.
  return missing === 0 ? 0 : missing === paths.length ? 32 : 64;
}
