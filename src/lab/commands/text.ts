/**
 * The text tools (the streaming ones of src/lab/text-streams.ts, the filters of text-tools.ts) with
 * busybox's output formats, and seq and yes. Each reads its files through the lab's VFS. Registered by name in src/lab/commands.ts.
 */
import type { CommandIo } from '../../shell/io.js';
import type { Lab } from '../lab.js';
import type { Steps } from '../../shell/wait.js';
import { busyboxBanner } from '../busybox-banner.js';
import { busyboxArgs } from '../busybox-options.js';
import { notModelled } from '../command-errors.js';
import type { CommandHandler } from '../registry.js';
import {
  type CountOptions,
  catStream,
  headStream,
  odStream,
  tailStream,
  trStream,
  wcStream,
  yesStream,
} from '../text-streams.js';
import {
  countOption,
  cutOptions,
  grepOptions,
  odOptions,
  sedOptions,
  sortOptions,
  type ToolResult,
} from '../text-tools.js';
import { digestCommand } from '../checksums.js';
import { cutStream, grepStream, sedStream, sortStream } from '../line-filters.js';
import { trPlan } from '../tr.js';
import { uniqOptions, uniqStream } from '../uniq.js';
import { basename, dirname, nproc } from '../path-applets.js';
import { teeStream } from '../tee.js';
import { expr } from '../expr.js';
import { base64, fold, rev, tac } from '../small-text-tools.js';

/**
 * A line filter (grep, sed, sort) as a command: its command line parsed first (a ToolResult is
 * busybox's error for it), then its input streamed a line at a time (src/lab/line-filters.ts).
 */
function lineFilter<O extends object>(
  parse: (args: readonly string[]) => O | ToolResult,
  run: (lab: Lab, o: O, io: CommandIo) => Steps<number>,
): CommandHandler {
  return (lab, args, io) => {
    const o = parse(args);
    if ('status' in o && 'stderr' in o) {
      if (o.stdout.length > 0) io.out(o.stdout);
      if (o.stderr !== '') io.err(o.stderr);
      return o.status;
    }
    return run(lab, o as O, io);
  };
}

/** `head` or `tail` as a streaming command: its count checked first (busybox's error, status 1). */
function counted(
  tool: 'head' | 'tail',
  run: (lab: Lab, o: CountOptions, io: CommandIo) => Steps<number>,
): CommandHandler {
  return (lab, args, io) => {
    const o = countOption([...args], tool);
    if (typeof o === 'string') {
      io.err(`${o}\n`);
      return 1;
    }
    return run(lab, o, io);
  };
}

function od(lab: Lab, args: readonly string[], io: CommandIo): number | Steps<number> {
  const o = odOptions(args, lab.machine.stack);
  if (typeof o === 'string') {
    io.err(o);
    return 1;
  }
  return odStream(lab, o, io);
}

function cut(lab: Lab, args: readonly string[], io: CommandIo): number | Steps<number> {
  const o = cutOptions(args);
  if (typeof o === 'string') {
    io.err(o);
    return 1;
  }
  return cutStream(lab, o, io);
}

function tr(lab: Lab, args: readonly string[], io: CommandIo): number | Steps<number> {
  const plan = trPlan(args, lab.machine.stack);
  if (typeof plan === 'string') {
    io.err(plan);
    return 1;
  }
  return trStream(plan, io);
}

/** busybox uniq [-cduiz] [-f,s,w N] [FILE [OUTFILE]] (src/lab/uniq.ts). */
function uniq(lab: Lab, args: readonly string[], io: CommandIo): number | Steps<number> {
  const o = uniqOptions(lab.machine.stack, args);
  if (typeof o === 'string') {
    io.err(o);
    return 1;
  }
  return uniqStream(lab, o, io);
}

/** busybox cat [-u] [FILE]...: -u (POSIX's unbuffered output) is accepted and ignored; -nbvteA are refused by name. */
function cat(lab: Lab, argv: readonly string[], io: CommandIo): number | Steps<number> {
  const parsed = busyboxArgs(lab.machine.stack, 'cat', argv, 'u', 'nbvteA');
  if ('error' in parsed) {
    io.err(parsed.error);
    return 1;
  }
  return catStream(lab, parsed.operands, io);
}

const WC_USAGE = `Usage: wc [-cmlwL] [FILE]...\n\nCount lines, words, and bytes for FILEs (or stdin)\n\n\t-c\tCount bytes\n\t-m\tCount characters\n\t-l\tCount newlines\n\t-w\tCount words\n\t-L\tPrint longest line length\n`;

/** busybox wc [-cmlwL] [FILE]...: an option it does not have is its `invalid option` with the usage. */
function wc(lab: Lab, args: readonly string[], io: CommandIo): number | Steps<number> {
  const flags = args
    .filter((a) => a.startsWith('-') && a !== '-')
    .join('')
    .replace(/-/g, '');
  const unknown = [...flags].find((f) => !'cmlwL'.includes(f));
  if (unknown !== undefined) {
    io.err(`wc: invalid option -- '${unknown}'\n${busyboxBanner(lab.machine.stack)}${WC_USAGE}`);
    return 1;
  }
  return wcStream(lab, { flags, files: args.filter((a) => !a.startsWith('-') || a === '-') }, io);
}

export const TEXT_COMMANDS = {
  cat,
  md5sum: digestCommand('md5sum'),
  od,
  head: counted('head', headStream),
  tail: counted('tail', tailStream),
  grep: lineFilter(grepOptions, grepStream),
  sed: lineFilter(sedOptions, sedStream),
  wc,
  tr: tr,
  cut,
  sort: lineFilter(sortOptions, sortStream),
  uniq,
  tee: teeStream,
  basename: (lab, args, io) => basename(lab.machine.stack, args, io),
  dirname: (lab, args, io) => dirname(lab.machine.stack, args, io),
  nproc: (lab, args, io) => nproc(lab.machine.stack, args, io),
  seq: seq,
  yes: yesStream,
  expr: (_lab, args, io) => expr(args, io),
  tac,
  rev,
  fold,
  base64,
} satisfies Record<string, CommandHandler>;

/** busybox seq [FIRST [INCREMENT]] LAST, integers only. */
function seq(_lab: Lab, args: readonly string[], io: CommandIo): number {
  const option = args.find((a) => a === '-w' || a === '-s' || a.startsWith('-s'));
  if (option !== undefined) throw notModelled(`seq ${option} (the lab runs seq [FIRST [INCREMENT]] LAST)`);
  const nums = args.map(Number);
  if (args.length < 1 || args.length > 3 || nums.some((n) => !Number.isInteger(n))) {
    io.err(
      args.length < 1 || args.length > 3
        ? 'Usage: seq [-w] [-s SEP] [FIRST [INC]] LAST\n'
        : `seq: invalid number '${args[nums.findIndex((n) => !Number.isInteger(n))]}'\n`,
    );
    return 1;
  }
  const last = nums[nums.length - 1]!;
  const first = args.length >= 2 ? nums[0]! : 1;
  const step = args.length === 3 ? nums[1]! : 1;
  return writeSequence(first, step, last, io);
}

/** Output is written in chunks of this size, so that `seq 1 1000000000` never builds one string. */
const SEQ_CHUNK_CHARS = 64 * 1024;

/** Writes the numbers, a chunk at a time; stops (status 1) when the output takes no more (a full pipe). */
function writeSequence(first: number, step: number, last: number, io: CommandIo): number {
  if (step === 0) return 0;
  let out = '';
  for (let v = first; step > 0 ? v <= last : v >= last; v += step) {
    out += `${v}\n`;
    if (out.length >= SEQ_CHUNK_CHARS) {
      if (io.out(out) === false) return 1;
      out = '';
    }
  }
  return io.out(out) === false ? 1 : 0;
}
