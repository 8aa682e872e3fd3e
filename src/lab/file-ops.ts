/**
 * busybox 1.35's mkdir, rmdir, touch, mv and cp over the lab's file system: files and the
 * directories `mkdir` makes live under /tmp (a tmpfs) and /run (the rootfs), as on the VM; the
 * VM's own directories and its devices are read, never changed, except a device cp writes to.
 * Texts and exit statuses are the host's busybox 1.35.0 (the VM's build) and the oracle's
 * (fixtures/kernel/211). What the lab does not keep (modes, times, links) is refused by name.
 */
import type { CommandIo } from '../shell/io.js';
import type { Steps } from '../shell/wait.js';
import { busyboxBanner } from './busybox-banner.js';
import { BUSYBOX_USAGE, busyboxArgs } from './busybox-options.js';
import { notModelled } from './command-errors.js';
import type { ShellContext } from './context.js';
import { ddSteps } from './dd.js';
import { mountOf, VM_MOUNT_SIZES } from './fs.js';
import { usrMerged } from './host/programs.js';
import { normalize } from './nodes.js';
import { fileKind, lookupPath } from './vfs.js';

/** The VM's mount points: / (the rootfs), devtmpfs, procfs, sysfs and the tmpfs /tmp. */
const VM_MOUNT_POINTS: ReadonlySet<string> = new Set(['/', '/dev', '/proc', '/sys', '/tmp']);

/** Where the lab keeps what these commands make: the VM's scratch places. */
const SCRATCH = /^\/(tmp|run)\/./;

type Kind = ReturnType<typeof fileKind>;

const kindOf = (ctx: ShellContext, path: string): Kind => fileKind(ctx, normalize(path));

function parentOf(p: string): string {
  return p.slice(0, p.lastIndexOf('/')) || '/';
}

function baseName(text: string): string {
  const t = text.replace(/\/+$/, '');
  return t.slice(t.lastIndexOf('/') + 1);
}

/** `dir/name` as busybox's concat_path_file joins them (one slash between). */
function joinPath(dir: string, name: string): string {
  return `${dir.replace(/\/+$/, '')}/${name}`;
}

function usage(ctx: ShellContext, tool: string, io: CommandIo): number {
  io.err(`${busyboxBanner(ctx.machine.stack)}${BUSYBOX_USAGE[tool]}`);
  return 1;
}

/** What is in a directory the lab keeps: its files and made directories, by full path. */
function contents(ctx: ShellContext, dir: string): string[] {
  return [...ctx.fs.list(`${dir}/`), ...ctx.fs.madeDirectories(dir).filter((d) => d !== dir)];
}

/** `mkdir [-p] [-v] DIRECTORY...` (-m is refused: the lab keeps no modes). */
export function mkdir(ctx: ShellContext, args: readonly string[], io: CommandIo): number {
  const parsed = busyboxArgs(ctx.machine.stack, 'mkdir', args, 'pv', 'm', { valued: 'm' });
  if ('error' in parsed) {
    io.err(parsed.error);
    return 1;
  }
  if (parsed.operands.length === 0) return usage(ctx, 'mkdir', io);
  const parents = parsed.flags.has('p');
  let status = 0;
  for (const arg of parsed.operands) {
    // -p makes each missing directory of the path, as busybox's make_directory cuts it at each slash.
    const steps = parents ? prefixes(arg) : [arg];
    for (const [i, step] of steps.entries()) {
      const failure = makeOne(ctx, step, parents, i === steps.length - 1);
      if (failure === 'made' && parsed.flags.has('v')) io.out(`created directory: '${step}'\n`);
      if (failure === 'made' || failure === null) continue;
      io.err(`mkdir: can't create directory '${step}': ${failure}\n`);
      status = 1;
      break;
    }
  }
  return status;
}

/** The path up to each of its slashes (the slash kept, as busybox prints them), then the whole. */
function prefixes(arg: string): string[] {
  const out: string[] = [];
  for (let i = 1; i < arg.length; i++) {
    if (arg[i] === '/' && arg[i - 1] !== '/') out.push(arg.slice(0, i + 1));
  }
  if (out.at(-1) !== arg) out.push(arg);
  return out;
}

/** One mkdir(2): 'made', null when -p finds it there already, else the errno's text. */
function makeOne(ctx: ShellContext, text: string, parents: boolean, last: boolean): string | null {
  const p = normalize(text);
  const kind = kindOf(ctx, p);
  if (kind === 'dir') return parents ? null : 'File exists';
  // A path ending in a slash names a directory: the kernel says ENOTDIR for anything else there.
  if (kind !== null) return text.endsWith('/') ? 'Not a directory' : 'File exists';
  const parent = kindOf(ctx, parentOf(p));
  if (parent === null) return 'No such file or directory';
  if (parent !== 'dir') return 'Not a directory';
  // procfs makes no directories: mkdir there fails as on a missing parent (fixtures/kernel/211).
  if (p.startsWith('/proc/')) return 'No such file or directory';
  if (!SCRATCH.test(p)) {
    throw notModelled(
      `mkdir ${text}${last ? '' : ' (a parent of the directory)'} (the lab makes directories under /tmp and /run)`,
    );
  }
  ctx.fs.makeDirectory(p);
  return 'made';
}

/** `rmdir [-p] DIRECTORY...`: only an empty directory goes; the VM's own are never empty here. */
export function rmdir(ctx: ShellContext, args: readonly string[], io: CommandIo): number {
  const parsed = busyboxArgs(ctx.machine.stack, 'rmdir', args, 'p', '');
  if ('error' in parsed) {
    io.err(parsed.error);
    return 1;
  }
  if (parsed.operands.length === 0) return usage(ctx, 'rmdir', io);
  let status = 0;
  for (const arg of parsed.operands) {
    let text = arg;
    for (;;) {
      const failure = removeOne(ctx, text);
      if (failure !== null) {
        io.err(`rmdir: '${text}': ${failure}\n`);
        status = 1;
        break;
      }
      // -p goes on with the parent, as the path names it.
      const up = text.replace(/\/+$/, '');
      if (!parsed.flags.has('p') || up.lastIndexOf('/') <= 0) break;
      text = up.slice(0, up.lastIndexOf('/'));
    }
  }
  return status;
}

function removeOne(ctx: ShellContext, text: string): string | null {
  const p = normalize(text);
  const kind = kindOf(ctx, p);
  if (kind === null) return 'No such file or directory';
  if (kind !== 'dir') return 'Not a directory';
  if (ctx.fs.madeDirectory(p) && contents(ctx, p).length === 0) {
    ctx.fs.removeDirectory(p);
    return null;
  }
  // The kernel refuses a mount point before it looks inside (vfs_rmdir): /tmp says EBUSY on the
  // VM however full it is (fixtures/kernel/211). The VM's other directories hold what it put there.
  return VM_MOUNT_POINTS.has(p) ? 'Device or resource busy' : 'Directory not empty';
}

/** `touch [-c] FILE...`: makes a missing file; the lab keeps no times, so an existing one stays as it is. */
export function touch(ctx: ShellContext, args: readonly string[], io: CommandIo): number {
  const parsed = busyboxArgs(ctx.machine.stack, 'touch', args, 'c', 'hamdtr', { valued: 'dtr' });
  if ('error' in parsed) {
    io.err(parsed.error);
    return 1;
  }
  if (parsed.operands.length === 0) return usage(ctx, 'touch', io);
  let status = 0;
  for (const arg of parsed.operands) {
    const p = normalize(arg);
    if (kindOf(ctx, p) !== null || parsed.flags.has('c')) continue;
    const parent = kindOf(ctx, parentOf(p));
    const reason =
      parent === null
        ? 'No such file or directory'
        : parent !== 'dir'
          ? 'Not a directory'
          : SCRATCH.test(p)
            ? null
            : createOutside(p);
    if (reason === null) {
      ctx.fs.openForWrite(p, false);
      continue;
    }
    io.err(`touch: ${arg}: ${reason}\n`);
    status = 1;
  }
  return status;
}

/** Why a file cannot be made outside the scratch places; the lab refuses what the VM would allow. */
function createOutside(p: string): string {
  const made = /^\/(etc|var)\//.test(p) ? null : p.startsWith('/proc/') ? 'No such file or directory' : undefined;
  if (made === undefined) throw notModelled(`making ${p} (the lab makes files under /tmp and /run)`);
  if (made === null) throw notModelled(`making ${p} (the lab's daemons own their files)`);
  return made;
}

/** The path an operand goes to: DEST itself, or DEST/NAME when DEST is a directory or there are several. */
function targetOf(ctx: ShellContext, source: string, dest: string, several: boolean): string {
  return several || kindOf(ctx, dest) === 'dir' ? joinPath(dest, baseName(source)) : dest;
}

/** `mv [-f] SOURCE... DEST` (-i, -n, -T and -t refused by name). */
export function mv(ctx: ShellContext, args: readonly string[], io: CommandIo): number {
  const parsed = busyboxArgs(ctx.machine.stack, 'mv', args, 'f', 'inTt', { valued: 't' });
  if ('error' in parsed) {
    io.err(parsed.error);
    return 1;
  }
  const ops = parsed.operands;
  if (ops.length < 2) return usage(ctx, 'mv', io);
  const dest = ops.at(-1)!;
  let status = 0;
  for (const source of ops.slice(0, -1)) {
    const target = targetOf(ctx, source, dest, ops.length > 2);
    const failure = moveOne(ctx, source, target);
    if (failure === null) continue;
    io.err(`mv: can't rename '${source}': ${failure}\n`);
    status = 1;
  }
  return status;
}

function moveOne(ctx: ShellContext, source: string, target: string): string | null {
  const from = normalize(source);
  const to = normalize(target);
  const kind = kindOf(ctx, from);
  if (kind === null) return 'No such file or directory';
  if (from === to) return null;
  if (kind === 'dir' && to.startsWith(`${from}/`)) return 'Invalid argument';
  const there = kindOf(ctx, to);
  if (kindOf(ctx, parentOf(to)) !== 'dir') return 'No such file or directory';
  if (kind === 'dir' && there !== null && there !== 'dir') return 'Not a directory';
  if (there === 'dir' && kind !== 'dir') return 'Is a directory';
  if (there === 'dir' && contents(ctx, to).length > 0) return 'Directory not empty';
  if (!SCRATCH.test(from) || !SCRATCH.test(to) || (kind !== 'file' && kind !== 'dir')) {
    throw notModelled(`mv ${source} ${target} (the lab moves files and directories under /tmp and /run)`);
  }
  moveTree(ctx, from, to, kind === 'dir');
  return null;
}

/** Renames a file, or a directory with every file and made directory under it. */
function moveTree(ctx: ShellContext, from: string, to: string, dir: boolean): void {
  const sizes = VM_MOUNT_SIZES[ctx.machine.stack];
  if (mountOf(from, sizes).name !== mountOf(to, sizes).name) {
    // Across mounts busybox copies and removes; the copy must fit where it goes.
    const bytes = [from, ...ctx.fs.list(`${from}/`)].reduce((n, p) => n + (ctx.fs.get(p)?.allocatedBytes ?? 0), 0);
    if (bytes > ctx.fs.freeBytesOn(to, sizes)) {
      throw notModelled(
        `mv of ${bytes} bytes to ${to}, more than its file system has free (the copy would stop there)`,
      );
    }
  }
  if (!dir) {
    ctx.fs.rename(usrMerged(from), to);
    return;
  }
  for (const f of ctx.fs.list(`${from}/`)) ctx.fs.rename(f, to + f.slice(from.length));
  const made = ctx.fs.madeDirectories(from);
  ctx.fs.removeDirectory(from);
  for (const d of made) ctx.fs.makeDirectory(to + d.slice(from.length));
  if (made.length === 0) ctx.fs.makeDirectory(to);
}

/** `cp [-rRapf] SOURCE... DEST`: -p/-a keep what the lab does not keep per file (modes, times), -f what it never refuses. */
export function* cp(ctx: ShellContext, args: readonly string[], io: CommandIo): Steps<number> {
  const parsed = busyboxArgs(ctx.machine.stack, 'cp', args, 'rRapf', 'dPLHinlsTtu', { valued: 't' });
  if ('error' in parsed) {
    io.err(parsed.error);
    return 1;
  }
  const ops = parsed.operands;
  if (ops.length < 2) return usage(ctx, 'cp', io);
  const recursive = ['r', 'R', 'a'].some((f) => parsed.flags.has(f));
  const dest = ops.at(-1)!;
  let status = 0;
  for (const source of ops.slice(0, -1)) {
    const target = targetOf(ctx, source, dest, ops.length > 2);
    const ok = yield* copyOne(ctx, io, source, target, { recursive, nodes: parsed.flags.has('a') });
    if (!ok) status = 1;
  }
  return status;
}

interface CopyFlags {
  readonly recursive: boolean;
  /** -a (-d): a device node is copied as a node, not read. */
  readonly nodes: boolean;
  /** The directory a recursive copy makes at its top, once it has made it. */
  readonly root?: string;
}

function* copyOne(ctx: ShellContext, io: CommandIo, source: string, target: string, flags: CopyFlags): Steps<boolean> {
  const from = normalize(source);
  const to = normalize(target);
  const kind = kindOf(ctx, from);
  const fail = (text: string): boolean => {
    io.err(`cp: ${text}\n`);
    return false;
  };
  if (kind === null) return fail(`can't stat '${source}': No such file or directory`);
  const toParent = kindOf(ctx, parentOf(to));
  if (toParent !== null && toParent !== 'dir') return fail(`can't stat '${target}': Not a directory`);
  const there = kindOf(ctx, to);
  if (there !== null && from === to) return fail(`'${source}' and '${target}' are the same file`);
  if (kind === 'dir') {
    if (!flags.recursive) return fail(`omitting directory '${source}'`);
    return yield* copyDirectory(ctx, io, source, target, flags);
  }
  if (flags.nodes && (kind === 'block' || kind === 'char')) {
    throw notModelled(`cp -a of the device node ${source} (the lab makes no device nodes)`);
  }
  if (toParent === null) return fail(`can't create '${target}': No such file or directory`);
  if (there === 'dir' || target.endsWith('/')) return fail(`can't create '${target}': Is a directory`);
  const endless = lookupPath(ctx, from).kind;
  if (endless === 'zero' || endless === 'urandom') {
    throw notModelled(`cp ${source} (reading it never ends: the copy would fill ${to}'s file system)`);
  }
  if (there === null && !SCRATCH.test(to)) {
    const reason = /^\/(proc|sys)\//.test(to) ? 'No such file or directory' : null;
    if (reason === null) throw notModelled(`cp to ${target} (the lab makes files under /tmp and /run)`);
    return fail(`can't create '${target}': ${reason}`);
  }
  if (there === 'char' || (there === 'file' && !SCRATCH.test(to))) {
    throw notModelled(`cp onto ${target} (the lab writes files under /tmp and /run, and block devices)`);
  }
  return yield* copyData(ctx, io, from, to);
}

/** The bytes of a file or a device copied by the lab's dd, which streams them and writes a device as dd does. */
function* copyData(ctx: ShellContext, io: CommandIo, from: string, to: string): Steps<boolean> {
  let errors = '';
  const quiet: CommandIo = {
    ...io,
    stdin: new Uint8Array(0),
    read: undefined,
    err: (t) => (errors += t),
    out: () => true,
  };
  const status = yield* ddSteps(ctx, [`if=${from}`, `of=${to}`, 'bs=1048576', 'status=none'], quiet);
  if (status === 0) return true;
  // busybox's bb_copyfd says `read error` or `write error` with the errno's text (fixtures/kernel/212);
  // dd names the input in a read error (`dd: PATH: TEXT`) and says `writing` in a write error.
  for (const line of errors.split('\n').filter((l) => l !== '')) {
    const write = /^dd: (?:error )?writing '[^']*': (.*)$/.exec(line);
    const read = line.startsWith(`dd: ${from}: `) ? line.slice(`dd: ${from}: `.length) : null;
    if (write !== null && !write[1]!.includes('thinlab')) io.err(`cp: write error: ${write[1]}\n`);
    else if (read !== null && !read.includes('thinlab')) io.err(`cp: read error: ${read}\n`);
    else io.err(`${line.replace(/^dd: /, 'cp: ')}\n`);
  }
  return false;
}

function* copyDirectory(
  ctx: ShellContext,
  io: CommandIo,
  source: string,
  target: string,
  flags: CopyFlags,
): Steps<boolean> {
  const from = normalize(source);
  const to = normalize(target);
  // A copy into the directory itself: busybox makes the target first, and meets it as a source.
  if (from === flags.root) {
    io.err(`cp: recursion detected, omitting directory '${source}'\n`);
    return false;
  }
  if (!SCRATCH.test(from)) throw notModelled(`cp -r of ${source} (the lab copies directories under /tmp and /run)`);
  const there = kindOf(ctx, to);
  if (there !== null && there !== 'dir') {
    io.err(`cp: target '${target}' is not a directory\n`);
    return false;
  }
  if (there === null) {
    const made = makeOne(ctx, to, false, true);
    if (made !== 'made') {
      io.err(`cp: can't create directory '${target}': ${made}\n`);
      return false;
    }
  }
  let ok = true;
  const names = [...new Set(contents(ctx, from).map((p) => p.slice(from.length + 1).split('/')[0]!))].sort();
  for (const name of names) {
    const inner = { ...flags, root: flags.root ?? to };
    ok = (yield* copyOne(ctx, io, joinPath(source, name), joinPath(target, name), inner)) && ok;
  }
  return ok;
}
