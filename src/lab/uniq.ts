/**
 * busybox 1.35's uniq (coreutils/uniq.c): `uniq [-cduiz] [-f,s,w N] [FILE [OUTFILE]]`, a line at a
 * time, holding only the line its group started with, so `yes | uniq | head` costs a line however
 * long it runs. Checked against the host's busybox 1.35.0 case by case (src/lab/uniq.test.ts).
 */
import { latin1Bytes } from '../shared/bytes.js';
import type { StackId } from '../model/stack.js';
import type { CommandIo, WritableFile } from '../shell/io.js';
import type { Steps } from '../shell/wait.js';
import { busyboxBanner } from './busybox-banner.js';
import { BUSYBOX_USAGE, busyboxArgs } from './busybox-options.js';
import { openCommandOutput } from './command-output.js';
import type { ShellContext } from './context.js';
import { commandMemoryBytes, eachLine, LineSplitter } from './line-filters.js';
import { type Chunks, stdinChunks } from './stdin-chunks.js';
import { pathChunks } from './text-streams.js';
import { fileKind } from './vfs.js';

export interface UniqOptions {
  readonly count: boolean;
  readonly duplicatesOnly: boolean;
  readonly uniqueOnly: boolean;
  readonly ignoreCase: boolean;
  readonly nulEnd: boolean;
  readonly skipFields: number;
  readonly skipChars: number;
  readonly compareChars: number;
  /** FILE, OUTFILE and anything after them (busybox reads the input before it says a third is too many). */
  readonly operands: readonly string[];
}

/** uniq's options as getopt32 reads them (`cduf:+s:+w:+iz`); a string is busybox's error text. */
export function uniqOptions(stack: StackId, args: readonly string[]): UniqOptions | string {
  const parsed = busyboxArgs(stack, 'uniq', args, 'cduizfsw', '', { valued: 'fsw', numeric: 'fsw' });
  if ('error' in parsed) return parsed.error;
  const { flags, values, operands } = parsed;
  const n = (f: string, absent: number) => (values.has(f) ? Number(values.get(f)) : absent);
  return {
    count: flags.has('c'),
    duplicatesOnly: flags.has('d'),
    uniqueOnly: flags.has('u'),
    ignoreCase: flags.has('i'),
    nulEnd: flags.has('z'),
    skipFields: n('f', 0),
    skipChars: n('s', 0),
    compareChars: n('w', 2147483647),
    operands,
  };
}

/** isspace in the C locale: what skip_whitespace and skip_non_whitespace test. */
function isSpace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13);
}

/** The part of a line uniq compares: past `-f` fields (blanks, then non-blanks) and `-s` characters. */
function compared(line: string, o: UniqOptions): string {
  let at = 0;
  for (let i = o.skipFields; i > 0; i--) {
    while (at < line.length && isSpace(line.charCodeAt(at))) at++;
    while (at < line.length && !isSpace(line.charCodeAt(at))) at++;
  }
  at = Math.min(line.length, at + o.skipChars);
  const key = line.slice(at, at + o.compareChars);
  // strncasecmp in the C locale folds A-Z only.
  return o.ignoreCase ? key.replace(/[A-Z]/g, (c) => c.toLowerCase()) : key;
}

/** Where uniq writes: its standard output, or OUTFILE. */
interface UniqSink {
  /** False once no more is taken (a pipe's reader has gone: SIGPIPE). */
  write(text: string): boolean;
  readonly file: WritableFile | null;
}

function uniqSink(io: CommandIo, file: WritableFile | null): UniqSink {
  if (file === null) return { write: (text) => io.out(text) !== false, file };
  // A full file takes no more, but uniq goes on reading: printf's failure shows only at its fflush.
  return { write: (text) => file.append(latin1Bytes(text)) || true, file };
}

/** Opens FILE (`-` or none: standard input) and OUTFILE in busybox's order; a string is the error to die with. */
function openOperands(ctx: ShellContext, o: UniqOptions, io: CommandIo): { input: Chunks; sink: UniqSink } | string {
  const [input = '-', output = '-', extra] = o.operands;
  let chunks: Chunks | string = stdinChunks(io);
  if (input !== '-') {
    // busybox opens a directory and fails at its first read (die_if_ferror).
    chunks = fileKind(ctx, input) === 'dir' ? `${input}: I/O error` : pathChunks(ctx, input);
    if (typeof chunks === 'string' && !chunks.startsWith(`${input}: `)) return `can't open '${input}': ${chunks}`;
    if (typeof chunks === 'string') return chunks;
  }
  if (extra !== undefined) return `\n${busyboxBanner(ctx.machine.stack)}${BUSYBOX_USAGE.uniq}`;
  if (output === '-') return { input: chunks, sink: uniqSink(io, null) };
  const file = openCommandOutput(ctx, output, false, 'uniq');
  if (typeof file === 'string') return `can't open '${output}': ${file}`;
  return { input: chunks, sink: uniqSink(io, file) };
}

/** What uniq does with its input: a NUL ends a line as a newline does (bb_get_chunk_from_file stops at either). */
function nulsAsNewlines(chunks: Chunks): Chunks {
  return function* () {
    const c = yield* chunks();
    if (c === null || typeof c === 'string' || !c.includes(0)) return c;
    return c.map((b) => (b === 0 ? 10 : b));
  };
}

/** busybox uniq over its input: each group's first line once, as the options say. */
export function* uniqStream(ctx: ShellContext, o: UniqOptions, io: CommandIo): Steps<number> {
  const opened = openOperands(ctx, o, io);
  if (typeof opened === 'string') {
    io.err(opened.startsWith('\n') ? opened.slice(1) : `uniq: ${opened}\n`);
    return 1;
  }
  const { input, sink } = opened;
  const eol = o.nulEnd ? '\0' : '\n';
  let first: string | null = null;
  let firstKey = '';
  let duplicates = 0;
  let out = '';
  let taken = true;
  const group = (): void => {
    if (first === null || (duplicates > 0 ? o.uniqueOnly : o.duplicatesOnly)) return;
    out += `${o.count ? `${String(duplicates + 1).padStart(7)} ` : ''}${first}${eol}`;
  };
  const split = new LineSplitter("uniq's line", () => commandMemoryBytes(ctx));
  const error = yield* eachLine(nulsAsNewlines(input), split, (line) => {
    const key = compared(line, o);
    if (first !== null && key === firstKey) {
      duplicates++;
      return true;
    }
    group();
    first = line;
    firstKey = key;
    duplicates = 0;
    if (out.length < 8192) return true;
    taken = sink.write(out);
    out = '';
    return taken;
  });
  if (!taken) return 1;
  group();
  if (out !== '' && !sink.write(out)) return 1;
  // A read error (a directory given as FILE) is said after the output, as die_if_ferror does.
  if (error !== null) {
    io.err(`uniq: ${o.operands[0] ?? '-'}: I/O error\n`);
    return 1;
  }
  // fflush_stdout_and_exit sets the exit status before it dies, so a failed write still exits 0.
  if (sink.file?.failure != null) io.err(`uniq: standard output: ${sink.file.failure}\n`);
  return 0;
}
