/**
 * busybox 1.35's `losetup` and `truncate`, as the oracle VM has them (fixtures/kernel/85, 86): loop
 * devices over lab files, and sparse files made by truncating to a size. busybox's losetup has no
 * `--show` (`losetup -f FILE` attaches silently; `losetup -f` alone prints the next free device),
 * and it reports a device that already has a file with the file's name alone.
 */
import { Errno, strerror } from '../model/errno.js';
import type { LoopDevice } from '../model/machine.js';
import type { CommandIo } from '../shell/io.js';
import { busyboxBanner } from './busybox-banner.js';
import type { ShellContext } from './context.js';
import { openFileForWrite } from './vfs.js';

/** losetup's usage text, after busybox's banner (src/lab/busybox-banner.ts). */
const LOSETUP_USAGE =
  'Usage: losetup [-rP] [-o OFS] {-f|LOOPDEV} FILE: associate loop devices\n' +
  '\tlosetup -c LOOPDEV: reread file size\n' +
  '\tlosetup -d LOOPDEV: disassociate\n' +
  '\tlosetup -a: show status\n' +
  '\tlosetup -f: show next free loop device\n\n' +
  '\t-o OFS\tStart OFS bytes into FILE\n' +
  '\t-P\tScan for partitions\n' +
  '\t-r\tRead-only\n' +
  '\t-f\tShow/use next free loop device\n';

const TRUNCATE_USAGE =
  'Usage: truncate [-c] -s SIZE FILE...\n\nTruncate FILEs to SIZE\n\n\t-c\tDo not create files\n\t-s SIZE\n';

/** busybox's kmg_i_suffixes: binary K/M/G (with or without iB), decimal KB/MB/GB; no T. */
const SIZE_SUFFIXES: ReadonlyArray<readonly [string, number]> = [
  ['KiB', 1024],
  ['kiB', 1024],
  ['K', 1024],
  ['k', 1024],
  ['MiB', 1024 ** 2],
  ['miB', 1024 ** 2],
  ['M', 1024 ** 2],
  ['m', 1024 ** 2],
  ['GiB', 1024 ** 3],
  ['giB', 1024 ** 3],
  ['G', 1024 ** 3],
  ['g', 1024 ** 3],
  ['KB', 1000],
  ['kB', 1000],
  ['MB', 1000 ** 2],
  ['mB', 1000 ** 2],
  ['GB', 1000 ** 3],
  ['gB', 1000 ** 3],
];

/** busybox's xatoull_sfx with kmg_i_suffixes; null for what it calls an invalid number. */
export function parseBusyboxSize(text: string): number | null {
  const m = /^([0-9]+)([A-Za-z]*)$/.exec(text);
  if (m === null) return null;
  const unit = m[2] === '' ? 1 : SIZE_SUFFIXES.find(([s]) => s === m[2])?.[1];
  if (unit === undefined) return null;
  const value = Number(m[1]) * unit;
  return Number.isSafeInteger(value) ? value : null;
}

/** getopt's complaint about an option it does not know, then the usage. */
function badOption(tool: string, arg: string, usage: string, io: CommandIo): number {
  io.err(
    arg.startsWith('--')
      ? `${tool}: unrecognized option '${arg}'\n`
      : `${tool}: invalid option -- '${arg.slice(1, 2)}'\n`,
  );
  io.err(usage);
  return 1;
}

export function truncateCommand(ctx: ShellContext, args: readonly string[], io: CommandIo): number {
  let size: string | null = null;
  let noCreate = false;
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-c') noCreate = true;
    else if (a === '-s') size = args[++i] ?? null;
    else if (a.startsWith('-s')) size = a.slice(2);
    else if (a.startsWith('-') && a !== '-')
      return badOption('truncate', a, busyboxBanner(ctx.machine.stack) + TRUNCATE_USAGE, io);
    else files.push(a);
  }
  if (size === null || files.length === 0) {
    io.err(busyboxBanner(ctx.machine.stack) + TRUNCATE_USAGE);
    return 1;
  }
  const bytes = parseBusyboxSize(size);
  if (bytes === null) {
    io.err(`truncate: invalid number '${size}'\n`);
    return 1;
  }
  let status = 0;
  for (const path of files) {
    if (noCreate && ctx.fs.get(path) === undefined) continue;
    const f = openFileForWrite(ctx, path, false);
    if (typeof f === 'number') {
      io.err(`truncate: ${path}: open: ${strerror(f)}\n`);
      status = 1;
      continue;
    }
    f.resize(bytes);
  }
  return status;
}

/** The next loop device without a file; LOOP_CTL_GET_FREE adds one when all are in use. */
function freeLoop(ctx: ShellContext): LoopDevice {
  return ctx.machine.loops.find((l) => l.storage === null) ?? ctx.machine.addLoopDevice();
}

function loopAt(ctx: ShellContext, path: string): LoopDevice | null {
  const dev = ctx.machine.resolve(path);
  return dev?.kind === 'loop' ? dev : null;
}

function statusLine(loop: LoopDevice): string {
  return `/dev/${loop.kernelName}: 0 ${loop.backingFile}\n`;
}

function attach(ctx: ShellContext, loop: LoopDevice, path: string, io: CommandIo): number {
  const file = ctx.fs.get(path);
  if (file === undefined) {
    io.err(`losetup: ${path}: ${strerror(Errno.ENOENT)}\n`);
    return 1;
  }
  if (ctx.machine.attachLoop(loop, file.storage, path, file.sizeBytes) !== 0) {
    // busybox reports a busy device with the file's name and no reason.
    io.err(`losetup: ${path}\n`);
    return 1;
  }
  return 0;
}

export function losetupCommand(ctx: ShellContext, args: readonly string[], io: CommandIo): number {
  let all = false;
  let find = false;
  let detach = false;
  const rest: string[] = [];
  for (const a of args) {
    if (a === '-a') all = true;
    else if (a === '-f') find = true;
    else if (a === '-d') detach = true;
    else if (/^-[rPoc]$/.test(a)) {
      // Options busybox has that the lab does not model: said plainly rather than half done.
      io.err(`losetup: ${a} is not supported in the lab (supported: -a, -f, -d, LOOPDEV [FILE])\n`);
      return 1;
    } else if (a.startsWith('-') && a.length > 1) {
      if (/^-[adf]+$/.test(a)) {
        all ||= a.includes('a');
        find ||= a.includes('f');
        detach ||= a.includes('d');
      } else {
        return badOption(
          'losetup',
          a.startsWith('--') ? a : `-${[...a.slice(1)].find((c) => !'adf'.includes(c))!}`,
          busyboxBanner(ctx.machine.stack) + LOSETUP_USAGE,
          io,
        );
      }
    } else rest.push(a);
  }
  const usage = (): number => {
    io.err(busyboxBanner(ctx.machine.stack) + LOSETUP_USAGE);
    return 1;
  };
  if (all) {
    if (rest.length > 0 || find || detach) return usage();
    for (const l of ctx.machine.loops) if (l.storage !== null) io.out(statusLine(l));
    return 0;
  }
  if (detach) {
    if (rest.length !== 1 || find) return usage();
    const loop = loopAt(ctx, rest[0]!);
    if (loop === null) {
      io.err(`losetup: ${rest[0]}: ${strerror(Errno.ENOENT)}\n`);
      return 1;
    }
    const errno = ctx.machine.detachLoop(loop);
    if (errno !== 0) {
      io.err(`losetup: ${rest[0]}: ${strerror(errno)}\n`);
      return 1;
    }
    return 0;
  }
  if (find) {
    if (rest.length > 1) return usage();
    const loop = freeLoop(ctx);
    if (rest.length === 0) {
      io.out(`/dev/${loop.kernelName}\n`);
      return 0;
    }
    return attach(ctx, loop, rest[0]!, io);
  }
  if (rest.length === 0 || rest.length > 2) return usage();
  const loop = loopAt(ctx, rest[0]!);
  if (loop === null) {
    io.err(`losetup: ${rest[0]}: ${strerror(Errno.ENOENT)}\n`);
    return 1;
  }
  if (rest.length === 2) return attach(ctx, loop, rest[1]!, io);
  if (loop.storage === null) {
    io.err(`losetup: ${rest[0]}: ${strerror(Errno.ENXIO)}\n`);
    return 1;
  }
  io.out(statusLine(loop));
  return 0;
}
