/**
 * busybox 1.35 `ls` over the lab's nodes (src/lab/nodes.ts), printing what the VM prints:
 * columns 80 wide when the script's output is the console, one name a line otherwise; `-l` with
 * numeric owners (the VM has no /etc/passwd), device numbers as `MAJ, MIN`, human sizes with `-h`,
 * 1 KiB blocks with `-s`; names in byte order. Options that need what the lab does not keep (inode
 * numbers, per-file times, recursion, the version sort) are refused by name.
 */
import type { StackId } from '../model/stack.js';
import type { CommandIo } from '../shell/io.js';
import { busyboxArgs } from './busybox-options.js';
import { notModelled } from './command-errors.js';
import type { Lab } from './lab.js';
import { linkTargetPath, listDirectory, modeString, type NodeInfo, nodeInfo, wallClockSecs } from './nodes.js';
import { stdoutIsTty } from './stdio-buffer.js';
import { formatCtime } from './wall-clock.js';

/**
 * Whether `-s` with `-h` prints the blocks as a human size (`  12.0K`, 7 wide): busybox 1.36 made
 * it so; 1.35 printed 1 KiB blocks whatever -h said (fixtures/kernel/123-ls on both stacks).
 */
const HUMAN_BLOCKS: Readonly<Record<StackId, boolean>> = { debian12: false, debian13: true };

/** The flag `ls` adds for HUMAN_BLOCKS: a word, so it cannot be taken for an option letter. */
const HUMAN_BLOCKS_FLAG = 'human-blocks';

/** The console's width in the VM (busybox's default when it cannot ask the terminal). */
const TERMINAL_COLUMNS = 80;

/** ls options the lab models, and the ones busybox has that it refuses by name. */
const MODELLED = '1aAdlhsnrSFpCxL';
const UNMODELLED = 'iRtcuXvHwe';

/** A name to show; its node is looked up only when the options need it (`ls /` needs none). */
interface Entry {
  readonly name: string;
  readonly path: string;
  readonly info: () => NodeInfo;
}

type Flags = ReadonlySet<string>;

/** busybox's make_human_readable_str: `4.0M` with a fraction, or whole units without one. */
export function humanSize(bytes: number, fraction = true): string {
  if (bytes === 0) return '0';
  const units = ['', 'K', 'M', 'G', 'T', 'P', 'E'];
  let value = bytes;
  let frac = 0;
  let u = 0;
  while (value >= 1024) {
    frac = Math.floor(((value % 1024) * 10 + 512) / 1024);
    value = Math.floor(value / 1024);
    u++;
  }
  if (frac >= 10) {
    value++;
    frac = 0;
  }
  if (u === 0) return String(value);
  if (!fraction) return `${frac >= 5 ? value + 1 : value}${units[u]!}`;
  return `${value}.${frac}${units[u]!}`;
}

function indicator(e: Entry, flags: Flags): string {
  if (!flags.has('F') && !flags.has('p')) return '';
  const type = e.info().type;
  if (flags.has('F')) return type === 'd' ? '/' : type === 'l' ? '@' : e.info().perm & 0o111 ? '*' : '';
  return type === 'd' ? '/' : '';
}

function blocksColumn(e: Entry, flags: Flags): string {
  if (!flags.has('s')) return '';
  if (flags.has(HUMAN_BLOCKS_FLAG)) return `${humanSize(e.info().blocks * 512).padStart(7)} `;
  return `${String(Math.ceil(e.info().blocks / 2)).padStart(6)} `;
}

/** One `ls -l` line, as busybox's display_single prints it. */
function longLine(lab: Lab, e: Entry, flags: Flags): string {
  const i = e.info();
  const size =
    i.rdev !== undefined
      ? `${String(i.rdev[0]).padStart(4)},${String(i.rdev[1]).padStart(4)}`
      : flags.has('h')
        ? humanSize(i.sizeBytes).padStart(7)
        : String(i.sizeBytes).padStart(9);
  const owner = (id: number): string => String(id).padEnd(8);
  const link = i.type === 'l' && i.target !== undefined ? ` -> ${i.target}` : '';
  const head = `${blocksColumn(e, flags)}${modeString(i)} ${String(i.links).padStart(4)} ${owner(i.uid)} ${owner(i.gid)} ${size}`;
  return `${head} ${lsTime(lab)} ${e.name}${indicator(e, flags)}${link}\n`;
}

/** The time column: every node carries the lab's boot time (nodes.ts), within six months of now. */
function lsTime(lab: Lab): string {
  const bootSecs = wallClockSecs(lab) - Math.floor(lab.machine.nowMs / 1000);
  return formatCtime(bootSecs).slice(4, 16);
}

function sortEntries(entries: Entry[], flags: Flags): Entry[] {
  const byName = (a: Entry, b: Entry): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const bySize = (a: Entry, b: Entry): number => b.info().sizeBytes - a.info().sizeBytes || byName(a, b);
  const sorted = [...entries].sort(flags.has('S') ? bySize : byName);
  return flags.has('r') ? sorted.reverse() : sorted;
}

/**
 * Names in columns, down then across (`-x`: across then down), as busybox's display_files lays
 * them out: the column width is the longest name (without its -F/-p indicator: calc_name_len counts
 * the name alone; fixtures/lvm/103's `/dev/vg0/     /dev/vg0/lv0@`) plus 2, plus 5 with -s; an
 * entry starts at the next tab stop or right after the previous one when that is longer.
 */
function columns(entries: readonly Entry[], flags: Flags): string {
  const name = (e: Entry): string => `${e.name}${indicator(e, flags)}`;
  const width = Math.max(...entries.map((e) => e.name.length)) + 2 + (flags.has('s') ? 5 : 0);
  const ncols = Math.max(1, Math.floor(TERMINAL_COLUMNS / width));
  const nrows = Math.ceil(entries.length / ncols);
  let out = '';
  for (let row = 0; row < nrows; row++) {
    let line = '';
    let nextTab = 0;
    for (let col = 0; col < ncols; col++) {
      const k = flags.has('x') ? row * ncols + col : col * nrows + row;
      if (k >= entries.length) continue;
      if (line.length > 0) line = line.padEnd(nextTab);
      nextTab = line.length + width;
      line += `${blocksColumn(entries[k]!, flags)}${name(entries[k]!)}`;
    }
    out += `${line}\n`;
  }
  return out;
}

function display(lab: Lab, entries: Entry[], flags: Flags, tty: boolean): string {
  if (entries.length === 0) return '';
  const sorted = sortEntries(entries, flags);
  if (flags.has('l')) return sorted.map((e) => longLine(lab, e, flags)).join('');
  const oneColumn = flags.has('1') || (!tty && !flags.has('C') && !flags.has('x'));
  if (oneColumn) return sorted.map((e) => `${blocksColumn(e, flags)}${e.name}${indicator(e, flags)}\n`).join('');
  return columns(sorted, flags);
}

function info(lab: Lab, path: string, follow: boolean): NodeInfo | null {
  const found = nodeInfo(lab, path);
  if (found === 'not modelled') throw notModelled(`ls of ${path} (the lab does not keep what is there)`);
  if (found?.type === 'l' && follow) return info(lab, linkTargetPath(path, found.target ?? ''), false);
  return found;
}

/** The entries of a directory operand, with `.` and `..` under -a. */
function directoryEntries(lab: Lab, dir: string, flags: Flags): Entry[] {
  const names = listDirectory(lab, dir);
  if (!Array.isArray(names)) throw notModelled(`ls of ${dir} (the lab does not keep what is in it)`);
  const shown = names.filter((n) => !n.startsWith('.') || flags.has('a') || flags.has('A'));
  const base = dir.endsWith('/') ? dir : `${dir}/`;
  const entry = (name: string, path: string): Entry => ({ name, path, info: () => info(lab, path, false)! });
  const entries = shown.map((name) => entry(name, base + name));
  if (flags.has('a')) entries.push(entry('.', dir), entry('..', dir.replace(/\/+[^/]*\/*$/, '') || '/'));
  return entries;
}

function total(entries: readonly Entry[], flags: Flags): string {
  if (!flags.has('l') && !flags.has('s')) return '';
  const kib = entries.reduce((sum, e) => sum + Math.ceil(e.info().blocks / 2), 0);
  return flags.has('h') ? `total ${humanSize(kib * 1024, false).padEnd(7)}\n` : `total ${kib}\n`;
}

export function ls(lab: Lab, args: readonly string[], io: CommandIo): number {
  const parsed = busyboxArgs(lab.machine.stack, 'ls', args, MODELLED, UNMODELLED, {
    valued: 'w',
    longOptions: ['full-time', 'group-directories-first', 'color'],
  });
  if ('error' in parsed) {
    io.err(parsed.error);
    return 1;
  }
  // -n is -l with numeric owners (which are all the VM prints anyway).
  const flags = new Set(parsed.flags);
  if (flags.has('n')) flags.add('l');
  if (flags.has('h') && HUMAN_BLOCKS[lab.machine.stack]) flags.add(HUMAN_BLOCKS_FLAG);
  const tty = stdoutIsTty(io, lab.machine.stack);
  const operands = parsed.operands.length > 0 ? parsed.operands : ['.'];
  const files: Entry[] = [];
  const dirs: Entry[] = [];
  let status = 0;
  for (const path of operands) {
    // A link named on the command line is followed unless -l, -d or -F look at the link itself.
    const follow = flags.has('L') || !(flags.has('l') || flags.has('d') || flags.has('F'));
    const found = info(lab, path, follow);
    if (found === null) {
      io.err(`ls: ${path}: No such file or directory\n`);
      status = 1;
    } else if (found.type === 'd' && !flags.has('d')) dirs.push({ name: path, path, info: () => found });
    else files.push({ name: path, path, info: () => found });
  }
  let out = display(lab, files, flags, tty);
  const headed = operands.length > 1;
  for (const dir of sortEntries(dirs, flags)) {
    const entries = directoryEntries(lab, dir.path === '.' ? '/' : dir.path, flags);
    if (out !== '') out += '\n';
    if (headed) out += `${dir.name}:\n`;
    out += total(entries, flags) + display(lab, entries, flags, tty);
  }
  io.out(out);
  return status;
}
