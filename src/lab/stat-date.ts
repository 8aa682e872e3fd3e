/**
 * busybox 1.35 `stat -c FMT` and `date` on the lab's nodes and clock. stat's default and terse
 * formats print inode numbers, which the lab does not keep (the VM's devtmpfs numbers its nodes in
 * the order it makes them), so they are refused by name, and so are `%i` and `stat -f`; `date`
 * reads the lab's wall clock (boot at nodes.ts BOOT_EPOCH_SECS plus the simulated time since) and
 * never sets it.
 */
import type { CommandIo } from '../shell/io.js';
import { busyboxArgs } from './busybox-options.js';
import { notModelled } from './command-errors.js';
import type { Lab } from './lab.js';
import { linkTargetPath, modeString, type NodeInfo, nodeInfo, wallClockSecs } from './nodes.js';
import { strftime, utcSecs, ymd } from './wall-clock.js';

const FILE_TYPES: Readonly<Record<NodeInfo['type'], string>> = {
  '-': 'regular file',
  d: 'directory',
  b: 'block special file',
  c: 'character special file',
  l: 'symbolic link',
};

/** The S_IFMT bits of each type, for `%f`. */
const TYPE_BITS: Readonly<Record<NodeInfo['type'], number>> = {
  '-': 0o100000,
  d: 0o040000,
  b: 0o060000,
  c: 0o020000,
  l: 0o120000,
};

/** The boot time every node carries, as stat prints a time: nanoseconds and the zone. */
function statTime(lab: Lab): string {
  return `${strftime('%Y-%m-%d %H:%M:%S', bootSecs(lab))}.000000000 +0000`;
}

function bootSecs(lab: Lab): number {
  return wallClockSecs(lab) - Math.floor(lab.machine.nowMs / 1000);
}

/** One `%X` of stat's format for a node; busybox prints an unknown letter as itself. */
function statField(lab: Lab, c: string, path: string, i: NodeInfo): string {
  const fileType = i.type === '-' && i.sizeBytes === 0 ? 'regular empty file' : FILE_TYPES[i.type];
  const fields: Record<string, () => string> = {
    a: () => i.perm.toString(8),
    A: () => modeString(i),
    b: () => String(i.blocks),
    B: () => '512',
    d: () => String(i.fsDev),
    D: () => i.fsDev.toString(16),
    f: () => (TYPE_BITS[i.type] | i.perm).toString(16),
    F: () => fileType,
    g: () => String(i.gid),
    G: () => 'UNKNOWN',
    h: () => String(i.links),
    n: () => path,
    N: () => (i.type === 'l' ? `'${path}' -> '${i.target ?? ''}'` : path),
    o: () => '4096',
    s: () => String(i.sizeBytes),
    t: () => (i.rdev?.[0] ?? 0).toString(16),
    T: () => (i.rdev?.[1] ?? 0).toString(16),
    u: () => String(i.uid),
    U: () => 'UNKNOWN',
    x: () => statTime(lab),
    y: () => statTime(lab),
    z: () => statTime(lab),
    X: () => String(bootSecs(lab)),
    Y: () => String(bootSecs(lab)),
    Z: () => String(bootSecs(lab)),
    '%': () => '%',
  };
  if (c === 'i') throw notModelled('stat %i (inode numbers)');
  return fields[c]?.() ?? c;
}

function statFormat(lab: Lab, format: string, path: string, info: NodeInfo): string {
  return format.replace(/%(.?)/g, (_m, c: string) => (c === '' ? '%' : statField(lab, c, path, info)));
}

/** stat -c FMT [-L] FILE...: one line per file; a missing one is `can't stat`, status 1. */
export function stat(lab: Lab, args: readonly string[], io: CommandIo): number {
  const parsed = busyboxArgs(lab.machine.stack, 'stat', args, 'cL', 'ftl', { valued: 'c' });
  if ('error' in parsed) {
    io.err(parsed.error);
    return 1;
  }
  const format = parsed.values.get('c');
  if (format === undefined)
    throw notModelled('stat without -c (its default format prints inode numbers, which the lab does not keep)');
  if (parsed.operands.length === 0) {
    io.err(`stat: ${'option requires an argument'}\n`);
    return 1;
  }
  let status = 0;
  for (const path of parsed.operands) {
    let info = nodeInfo(lab, path);
    if (info !== null && info !== 'not modelled' && info.type === 'l' && parsed.flags.has('L'))
      info = nodeInfo(lab, linkTargetPath(path, info.target ?? ''));
    if (info === 'not modelled') throw notModelled(`stat of ${path} (the lab does not keep what is there)`);
    if (info === null) {
      io.err(`stat: can't stat '${path}': No such file or directory\n`);
      status = 1;
      continue;
    }
    io.out(`${statFormat(lab, format, path, info)}\n`);
  }
  return status;
}

/** Seconds since 1970 of the fields, or null when one is out of its range (busybox: `invalid date`). */
function validTime(y: number, mo: number, d: number, h: number, mi: number, s: number): number | null {
  const inRange = mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 && mi <= 59 && s <= 60;
  return inRange ? utcSecs(y, mo, d, h, mi, s) : null;
}

/** The TIME forms busybox date -d takes (its usage's list); null when the text is none of them. */
export function parseDateTime(text: string, nowSecs: number): number | null {
  const at = /^@(-?[0-9]+)$/.exec(text);
  if (at !== null) return Number(at[1]);
  const [y, mo, d] = ymd(nowSecs);
  const clock = /^([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?$/.exec(text);
  if (clock !== null) return validTime(y, mo, d, Number(clock[1]), Number(clock[2]), Number(clock[3] ?? 0));
  const iso = /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:[ T]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?)?$/.exec(text);
  if (iso !== null) {
    const [, yy, mm, dd, hh, mi, ss] = iso.map((v) => Number(v ?? 0));
    return validTime(yy!, mm!, dd!, hh!, mi!, ss!);
  }
  const dotted = /^(?:([0-9]{4})\.)?([0-9]{2})\.([0-9]{2})-([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?$/.exec(text);
  if (dotted !== null) {
    const [, yy, mm, dd, hh, mi, ss] = dotted.map((v) => (v === undefined ? undefined : Number(v)));
    return validTime(yy ?? y, mm!, dd!, hh!, mi!, ss ?? 0);
  }
  return null;
}

/** The format of `-R`, `-I[SPEC]` or `+FMT`; busybox's default otherwise. */
function dateFormat(
  flags: ReadonlySet<string>,
  values: ReadonlyMap<string, string>,
  operand: string | undefined,
): string {
  if (operand?.startsWith('+') === true) return operand.slice(1);
  if (flags.has('R')) return '%a, %d %b %Y %H:%M:%S %z';
  if (flags.has('I')) {
    const iso: Record<string, string> = {
      date: '%Y-%m-%d',
      hours: '%Y-%m-%dT%H+00:00',
      minutes: '%Y-%m-%dT%H:%M+00:00',
      seconds: '%Y-%m-%dT%H:%M:%S+00:00',
    };
    const spec = values.get('I') ?? 'date';
    const format = iso[spec];
    if (format === undefined) throw notModelled(`date -I${spec}`);
    return format;
  }
  return '%a %b %e %H:%M:%S %Z %Y';
}

/**
 * date [-u] [-R] [-I[SPEC]] [-d TIME] [-r FILE] [+FMT]: the lab's clock in UTC (the VM's zone).
 * Setting the clock (`-s`, a TIME operand) and `-D` are refused by name.
 */
export function date(lab: Lab, args: readonly string[], io: CommandIo): number {
  // -I takes its SPEC only attached (`-Iseconds`), so it is split off before the common parser.
  const iso = args.find((a) => /^-I/.test(a));
  const rest = args.filter((a) => a !== iso);
  const parsed = busyboxArgs(lab.machine.stack, 'date', rest, 'uRdr', 'sD', {
    valued: 'drsD',
    longOptions: ['rfc-822', 'rfc-2822', 'set', 'utc', 'date', 'reference'],
  });
  if ('error' in parsed) {
    io.err(parsed.error);
    return 1;
  }
  const flags = new Set(parsed.flags);
  const values = new Map(parsed.values);
  if (iso !== undefined) {
    flags.add('I');
    if (iso.length > 2) values.set('I', iso.slice(2));
  }
  const operand = parsed.operands[0];
  if (parsed.operands.length > 1 || (operand !== undefined && !operand.startsWith('+')))
    throw notModelled('setting the clock with date');
  let secs = wallClockSecs(lab);
  const when = values.get('d');
  if (when !== undefined) {
    const parsedTime = parseDateTime(when, secs);
    if (parsedTime === null) {
      io.err(`date: invalid date '${when}'\n`);
      return 1;
    }
    secs = parsedTime;
  }
  const file = values.get('r');
  if (file !== undefined) {
    const info = nodeInfo(lab, file);
    if (info === 'not modelled') throw notModelled(`date -r ${file}`);
    if (info === null) {
      io.err(`date: can't stat '${file}': No such file or directory\n`);
      return 1;
    }
    secs = bootSecs(lab);
  }
  io.out(`${strftime(dateFormat(flags, values, operand), secs)}\n`);
  return 0;
}
