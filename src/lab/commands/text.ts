/**
 * The text filters (src/lab/text-tools.ts) with busybox's output formats, and cat and seq. Each
 * reads its files through the lab's VFS. Registered by name in src/lab/commands.ts.
 */
import type { CommandIo } from '../../shell/io.js';
import type { Lab } from '../lab.js';
import type { CommandHandler } from '../registry.js';
import { cut, grep, head, md5sum, od, type ReadFile, sed, sort, type ToolResult, tail, wc } from '../text-tools.js';
import { tr } from '../tr.js';
import { busyboxArgs } from '../busybox-options.js';
import { notModelled } from '../command-errors.js';
import { readPath } from '../vfs.js';

type TextFilter = (args: string[], stdin: () => Uint8Array, readFile: ReadFile) => ToolResult;

/** A text filter as a command: its argv, standard input and files in, its output written out. */
function filter(run: TextFilter): CommandHandler {
  return (lab, args, io) => {
    const r = run(
      [...args],
      () => io.stdin,
      (p) => readPath(lab, p),
    );
    if (r.stdout.length > 0) io.out(r.stdout);
    if (r.stderr !== '') io.err(r.stderr);
    return r.status;
  };
}

export const TEXT_COMMANDS = {
  cat,
  md5sum: filter(md5sum),
  od: filter(od),
  head: filter(head),
  tail: filter(tail),
  grep: filter(grep),
  sed: filter(sed),
  wc: filter(wc),
  tr: filter(tr),
  cut: filter(cut),
  sort: filter(sort),
  seq,
} satisfies Record<string, CommandHandler>;

function cat(lab: Lab, argv: readonly string[], io: CommandIo): number {
  // -u is POSIX's unbuffered output, which busybox accepts and ignores.
  const parsed = busyboxArgs('cat', argv, 'u', 'nbvteA');
  if ('error' in parsed) {
    io.err(parsed.error);
    return 1;
  }
  const args = parsed.operands;
  if (args.length === 0) {
    io.out(io.stdin);
    return 0;
  }
  let status = 0;
  for (const p of args) {
    const data = p === '-' ? io.stdin : readPath(lab, p);
    if (typeof data === 'string') {
      io.err(`cat: can't open '${p}': ${data}\n`);
      status = 1;
    } else io.out(data);
  }
  return status;
}

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
