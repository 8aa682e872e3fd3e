/**
 * busybox 1.35's env and which (coreutils/env.c, debianutils/which.c) over the lab: env prints the
 * environment the shell gave it (ash's exported variables, in ash's order) or runs a program the
 * lab runs; which finds a command's file in the VM's /bin (busybox's applets) and /sbin (dmsetup,
 * the thin tools, LVM's names) along PATH. Checked against the host's busybox 1.35.0 and the VMs
 * (fixtures/kernel-probes/213, src/lab/env-which.test.ts).
 */
import { latin1Bytes } from '../shared/bytes.js';
import { THIN_TOOLS_090, THIN_TOOLS_1X_ONLY } from '../shared/thin-tool-names.js';
import type { StackId } from '../model/stack.js';
import type { CommandIo } from '../shell/io.js';
import type { Steps } from '../shell/wait.js';
import { busyboxBanner } from './busybox-banner.js';
import { BUSYBOX_USAGE, busyboxArgs } from './busybox-options.js';
import { notModelled } from './command-errors.js';
import { packagedProgram } from './host/programs.js';
import { VM_COMMANDS } from './known-commands.js';
import type { Lab } from './lab.js';
import type { CommandRegistry } from './registry.js';
import { runProgram } from './xargs.js';

/** LVM's command names, links to lvm in the VM's /sbin (debian12's LVM preamble makes the same links). */
const LVM_NAMES = [...VM_COMMANDS].filter((n) => /^(lv|vg|pv)[a-z]+$/.test(n) || n === 'lvm');

/** The names in the VM's /sbin besides LVM's: the oracle puts dmsetup and the thin tools' links there. */
const SBIN_NAMES: Readonly<Record<StackId, readonly string[]>> = {
  // Debian 12's package links the eight tools the oracle names; thin_metadata_size is not among them.
  debian12: ['dmsetup', 'pdata_tools', ...THIN_TOOLS_090.filter((t) => t !== 'thin_metadata_size')],
  // Debian 13's: every link its package has, and dmeventd.
  debian13: ['dmsetup', 'pdata_tools', 'dmeventd', ...THIN_TOOLS_090, ...THIN_TOOLS_1X_ONLY],
};

/** Debian 13's busybox 1.37 has these applets, which 1.35 has not, and lacks ipneigh (its --list). */
const BUSYBOX_137_ADDED = ['getfattr', 'install', 'nbd-client', 'udhcpc6'];

/** The VM's busybox applets: its /bin. */
function binNames(stack: StackId): Set<string> {
  const sbin = new Set([...SBIN_NAMES.debian13, ...LVM_NAMES]);
  const names = new Set([...VM_COMMANDS].filter((n) => !sbin.has(n)));
  if (stack === 'debian13') {
    names.delete('ipneigh');
    for (const n of BUSYBOX_137_ADDED) names.add(n);
  }
  return names;
}

/**
 * The executables of a directory of the VM, or null for a directory the lab does not list. /tmp
 * and /run hold only the lab's files, which no command makes executable. On debian13 the oracle
 * copies four programs to /usr/sbin and links /sbin's names to them.
 */
function executablesIn(lab: Lab, dir: string): ReadonlySet<string> | null {
  const stack = lab.machine.stack;
  if (dir === '/bin') return binNames(stack);
  if (dir === '/sbin') {
    const names = [...SBIN_NAMES[stack], ...LVM_NAMES];
    // A thin tool's file can be removed (`rm /sbin/thin_check`): then it is not there.
    return new Set(names.filter((n) => packagedProgram(lab.fs, n)?.present !== false));
  }
  if (dir === '/usr/sbin') return new Set(stack === 'debian13' ? ['dmsetup', 'lvm', 'dmeventd', 'pdata_tools'] : []);
  if (dir === '/tmp' || dir === '/run') return new Set();
  // The root holds the oracle's /init (its script, /scenario.sh, is not executable).
  if (dir === '/') return new Set(['init']);
  return null;
}

/** Whether `path` (one with a slash) names an executable file of the VM. */
function isExecutable(lab: Lab, path: string): boolean {
  const absolute = path.startsWith('/') ? path : `/${path}`;
  const parts = absolute.split('/').filter((p) => p !== '' && p !== '.');
  const name = parts.pop();
  if (name === undefined || parts.includes('..')) return false;
  const dir = `/${parts.join('/')}`;
  const names = executablesIn(lab, dir);
  if (names === null) throw notModelled(`which ${path} (the lab does not list ${dir})`);
  return names.has(name);
}

/** The default PATH of busybox's applets when there is none (bb_default_root_path). */
const DEFAULT_ROOT_PATH = '/sbin:/usr/sbin:/bin:/usr/bin';

/** The value of NAME in an environment of `NAME=value` strings. */
function environmentValue(environment: readonly string[], name: string): string | undefined {
  return environment.find((e) => e.startsWith(`${name}=`))?.slice(name.length + 1);
}

/** Each place PATH finds an executable `name`, in PATH's order (find_executable); the first only unless `all`. */
function findExecutables(lab: Lab, name: string, path: string, all: boolean): string[] {
  const found: string[] = [];
  for (const entry of path.split(':')) {
    // An empty entry is the current directory, which is / in the lab.
    const dir = entry === '' || entry === '.' ? '/' : entry.replace(/(?<=.)\/+$/, '');
    const names = executablesIn(lab, dir);
    if (names === null) {
      if (!commandsOfLab(lab).has(name)) continue;
      throw notModelled(`which ${name} with ${entry} in PATH (the lab does not list ${entry})`);
    }
    if (names.has(name)) found.push(`${entry === '' ? '.' : entry}/${name}`);
    if (found.length > 0 && !all) break;
  }
  return found;
}

/** The commands the VM has: any name that is not one cannot be in a directory the lab does not list. */
function commandsOfLab(lab: Lab): ReadonlySet<string> {
  return new Set([...binNames(lab.machine.stack), ...SBIN_NAMES.debian13, ...LVM_NAMES]);
}

/** `which [-a] COMMAND...`: the file each COMMAND runs; status 1 when one is not found. */
export function which(lab: Lab, args: readonly string[], io: CommandIo, registry: CommandRegistry): number {
  const stack = lab.machine.stack;
  const parsed = busyboxArgs(stack, 'which', args, 'a', '');
  if ('error' in parsed) {
    io.err(parsed.error);
    return 1;
  }
  if (parsed.operands.length === 0) {
    io.err(`${busyboxBanner(stack)}${BUSYBOX_USAGE.which}`);
    return 1;
  }
  const path = environmentValue(io.environment ?? [], 'PATH') ?? DEFAULT_ROOT_PATH;
  let out = '';
  let status = 0;
  for (const name of parsed.operands) {
    // A command only the lab has (thinlab, fault, docker ...) is no file of the VM to show.
    if (registry.has(name) && !commandsOfLab(lab).has(name))
      throw notModelled(`which ${name} (a command of the lab, with no file on the VM)`);
    const found = name.includes('/')
      ? isExecutable(lab, name)
        ? [name]
        : []
      : findExecutables(lab, name, path, parsed.flags.has('a'));
    for (const f of found) out += `${f}\n`;
    if (found.length === 0) status = 1;
  }
  io.out(out);
  return status;
}

/** env's command line: what it does to the environment, and the program to run (empty: print). */
interface EnvPlan {
  readonly clear: boolean;
  readonly unset: readonly string[];
  readonly nulEnd: boolean;
  readonly program: readonly string[];
}

/** getopt32long("+iu:*0"): options until the first operand, `-` alone as -i, then NAME=VALUE words. */
function envPlan(stack: StackId, args: readonly string[]): EnvPlan | string {
  const usage = `${busyboxBanner(stack)}${BUSYBOX_USAGE.env}`;
  const unset: string[] = [];
  let clear = false;
  let nulEnd = false;
  let k = 0;
  for (; k < args.length; k++) {
    const a = args[k]!;
    if (a === '--') {
      k++;
      break;
    }
    if (!a.startsWith('-') || a === '-') break;
    if (a.startsWith('--')) {
      const [given, value] = a.slice(2).split(/=(.*)/s) as [string, string | undefined];
      const long = ['ignore-environment', 'unset', 'null'].filter((o) => o.startsWith(given));
      if (long.length !== 1) return `env: unrecognized option '${a}'\n${usage}`;
      if (long[0] === 'unset') {
        const name = value ?? args[++k];
        if (name === undefined) return `env: option '--unset' requires an argument\n${usage}`;
        unset.push(name);
      } else if (long[0] === 'ignore-environment') clear = true;
      else nulEnd = true;
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const f = a[j]!;
      if (f === 'i') clear = true;
      else if (f === '0') nulEnd = true;
      else if (f === 'u') {
        const name = j + 1 < a.length ? a.slice(j + 1) : args[++k];
        if (name === undefined) return `env: option requires an argument -- 'u'\n${usage}`;
        unset.push(name);
        break;
      } else return `env: invalid option -- '${f}'\n${usage}`;
    }
  }
  if (args[k] === '-') {
    clear = true;
    k++;
  }
  return { clear, unset, nulEnd, program: args.slice(k) };
}

/**
 * `env [-i0] [-u NAME]... [-] [NAME=VALUE]... [PROG ARGS]`: the environment printed (each entry
 * ended by a newline, or a NUL with -0), or PROG run with it; 127 when there is no PROG.
 */
export function* env(lab: Lab, args: readonly string[], io: CommandIo, registry: CommandRegistry): Steps<number> {
  const plan = envPlan(lab.machine.stack, args);
  if (typeof plan === 'string') {
    io.err(plan);
    return 1;
  }
  let environment = plan.clear ? [] : [...(io.environment ?? [])];
  // unsetenv of a name with `=` fails (EINVAL), which env does not check.
  for (const name of plan.unset)
    environment = environment.filter((e) => !e.startsWith(`${name}=`) || name.includes('='));
  let k = 0;
  for (; k < plan.program.length && plan.program[k]!.includes('='); k++) {
    const word = plan.program[k]!;
    // putenv: a name already there keeps its place, a new one goes at the end.
    const at = environment.findIndex((e) => e.startsWith(word.slice(0, word.indexOf('=') + 1)));
    if (at >= 0) environment[at] = word;
    else environment.push(word);
  }
  const program = plan.program.slice(k);
  if (program.length === 0) {
    io.out(latin1Bytes(environment.map((e) => `${e}${plan.nulEnd ? '\0' : '\n'}`).join('')));
    return 0;
  }
  const assigned = new Map(
    environment.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)] as [string, string]),
  );
  // The program's io is env's own (its getters kept, not read), with the new environment.
  const kept = Object.entries(Object.getOwnPropertyDescriptors(io)).filter(([k]) => k !== 'env' && k !== 'environment');
  const child = Object.defineProperties(
    { env: assigned, environment },
    Object.fromEntries(kept),
  ) as unknown as CommandIo;
  const status = yield* runProgram(lab, registry, program, child, 'env');
  if (status !== null) return status;
  io.err(`env: can't execute '${program[0]!}': No such file or directory\n`);
  return 127;
}
