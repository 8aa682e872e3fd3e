/**
 * busybox 1.35's basename and dirname (coreutils/basename.c, dirname.c: glibc's POSIX dirname)
 * and nproc (coreutils/nproc.c) on the VM's one CPU. Checked against the host's busybox 1.35.0
 * (src/lab/path-applets.test.ts).
 */
import type { StackId } from '../model/stack.js';
import type { CommandIo } from '../shell/io.js';
import { busyboxBanner } from './busybox-banner.js';
import { BUSYBOX_USAGE, busyboxArgs, xatoiPositive } from './busybox-options.js';
import { getoptLong } from './getopt-long.js';

/** bb_show_usage: the banner and the applet's usage on standard error, status 1. */
function usage(stack: StackId, tool: string, io: CommandIo): number {
  io.err(`${busyboxBanner(stack)}${BUSYBOX_USAGE[tool]}`);
  return 1;
}

/** bb_get_last_path_component_strip: the last component, trailing slashes dropped ('/' stays '/'). */
function lastComponent(path: string): string {
  const stripped = path.replace(/(?<=.)\/+$/, '');
  const slash = stripped.lastIndexOf('/');
  if (slash < 0 || (slash === 0 && stripped.length === 1)) return stripped;
  return stripped.slice(slash + 1);
}

/** `basename FILE [SUFFIX] | -a FILE... | -s SUFFIX FILE...` (getopt32 `^+as:`, one operand at least). */
export function basename(stack: StackId, args: readonly string[], io: CommandIo): number {
  const parsed = busyboxArgs(stack, 'basename', args, 'as', '', { valued: 's', stopAtOperand: true });
  if ('error' in parsed) {
    io.err(parsed.error);
    return 1;
  }
  const { operands, flags, values } = parsed;
  const all = flags.size > 0;
  if (operands.length === 0 || (!all && operands.length > 2)) return usage(stack, 'basename', io);
  const suffix = all ? values.get('s') : operands[1];
  let out = '';
  for (const file of all ? operands : operands.slice(0, 1)) {
    const name = lastComponent(file);
    const cut = suffix !== undefined && name.length > suffix.length && name.endsWith(suffix);
    out += `${cut ? name.slice(0, name.length - suffix.length) : name}\n`;
  }
  io.out(out);
  return 0;
}

/** glibc's dirname(3): the path less its last component; `//` alone stays `//`; no slash is `.`. */
export function posixDirname(path: string): string {
  let last = path.lastIndexOf('/');
  if (last > 0 && last === path.length - 1) {
    // Trailing slashes: the component before them is the last one.
    let run = last;
    while (run > 0 && path[run - 1] === '/') run--;
    if (run > 0) last = path.lastIndexOf('/', run - 1);
  }
  if (last < 0) return '.';
  let run = last;
  while (run > 0 && path[run - 1] === '/') run--;
  if (run > 0) return path.slice(0, run);
  return last === 1 ? '//' : '/';
}

/** `dirname FILENAME`: no options at all (single_argv skips one `--`). */
export function dirname(stack: StackId, args: readonly string[], io: CommandIo): number {
  const words = args[0] === '--' ? args.slice(1) : args;
  if (words.length !== 1) return usage(stack, 'dirname', io);
  io.out(`${posixDirname(words[0]!)}\n`);
  return 0;
}

/**
 * The oracle VM's CPUs: qemu's default of one (no `-smp`); `nproc`, `nproc --all` and `nproc
 * --ignore=1` printed 1 there (debian12 probe, session 12).
 */
const VM_CPUS = 1;

/** `nproc [--all] [--ignore=N]`: the CPUs less N, at least 1. */
export function nproc(stack: StackId, args: readonly string[], io: CommandIo): number {
  const read = getoptLong(
    args,
    [
      { long: '--ignore', takesValue: true },
      { long: '--all', takesValue: false },
    ],
    [],
  );
  if ('error' in read) {
    io.err(`nproc: ${read.error}\n${busyboxBanner(stack)}${BUSYBOX_USAGE.nproc}`);
    return 1;
  }
  let ignore = 0;
  for (const m of read.met) {
    if (m.long !== '--ignore') continue;
    // getopt32's `+`: each --ignore is converted as it is met.
    const n = xatoiPositive(m.value);
    if (typeof n === 'string') {
      io.err(`nproc: ${n}\n`);
      return 1;
    }
    ignore = n;
  }
  io.out(`${Math.max(1, VM_CPUS - ignore)}\n`);
  return 0;
}
