/**
 * The line filters that stream: busybox grep, sed and sort read their input a line at a time, as
 * busybox's getline does (bb_get_chunk_from_file), so that `yes | grep y | head -n 3` ends at once
 * with grep and yes killed by SIGPIPE (fixtures/kernel/147-stream-filters). A line is held whole
 * until its newline, counted against the VM's memory; sort keeps every line, each costing what
 * busybox's malloc'd line and its pointer cost, so `yes | sort` is killed where the VM's OOM
 * killer killed it (`Killed`, status 137).
 */
import { latin1Text } from '../shared/bytes.js';
import type { CommandIo } from '../shell/io.js';
import { LONGEST_STRING_CHARS, OutOfMemory } from '../shell/memory.js';
import type { Steps } from '../shell/wait.js';
import type { ShellContext } from './context.js';
import { memoryFreeBytes } from './fs-memory.js';
import { type Chunks, stdinChunks } from './stdin-chunks.js';
import { consume, eachInput, pathChunks } from './text-streams.js';
import {
  type CutOptions,
  cutLine,
  type GrepOptions,
  type SedOptions,
  type SortOptions,
  sedLine,
  sortLines,
} from './text-tools.js';

/**
 * What the VM keeps back when the OOM killer picks its victim: `yes | sort` was killed with
 * 853,176 kB of anonymous memory (fixtures/kernel-probes/151-stream-filters-probe) where the VM has
 * 901,068 kB free after boot (src/lab/fs.ts): the kernel's watermarks, page tables and the other
 * processes take the rest.
 */
export const OOM_RESERVE_BYTES = (901068 - 853176) * 1024;

/** Lines shorter than this are never checked against the memory left: a pipe holds more. */
const CHECKED_LINE_BYTES = 1024 * 1024;

/** The memory a command may take before the OOM killer kills it: what the files and disks leave, less the reserve. */
export function commandMemoryBytes(ctx: ShellContext): number {
  return Math.max(0, memoryFreeBytes(ctx.fs, ctx.machine) - OOM_RESERVE_BYTES);
}

/**
 * Splits chunks into lines (text without the newline). A line is held until its newline; one
 * longer than the memory left kills its reader, as the VM's OOM killer would kill the process
 * whose buffer grew.
 */
export class LineSplitter {
  private partial: Uint8Array[] = [];
  private partialBytes = 0;
  private limitBytes: number | null = null;

  constructor(
    private readonly what: string,
    private readonly memoryLeft: () => number,
  ) {}

  /** Passes each complete line of the chunk to `line`; false from it stops (and is returned). */
  push(c: Uint8Array, line: (text: string) => boolean): boolean {
    let from = 0;
    const first = c.indexOf(10);
    if (first < 0) {
      this.hold(c);
      return true;
    }
    if (this.partialBytes > 0) {
      this.hold(c.subarray(0, first));
      if (!line(this.takePartial())) return false;
      from = first + 1;
    }
    const last = c.lastIndexOf(10);
    if (last >= from) {
      for (const text of latin1Text(c.subarray(from, last)).split('\n')) if (!line(text)) return false;
      from = last + 1;
    }
    if (from < c.length) this.hold(c.subarray(from));
    return true;
  }

  /** The last line, when the input did not end with a newline. */
  end(): string | null {
    return this.partialBytes > 0 ? this.takePartial() : null;
  }

  private takePartial(): string {
    const parts = this.partial;
    this.partial = [];
    this.partialBytes = 0;
    return parts.map(latin1Text).join('');
  }

  private hold(bytes: Uint8Array): void {
    this.partial.push(bytes);
    this.partialBytes += bytes.length;
    if (this.partialBytes < CHECKED_LINE_BYTES) return;
    // A line longer than the longest string the lab can make is past its memory too.
    this.limitBytes ??= Math.min(this.memoryLeft(), LONGEST_STRING_CHARS);
    if (this.partialBytes > this.limitBytes) {
      const left = this.limitBytes;
      this.partial = [];
      this.partialBytes = 0;
      throw new OutOfMemory(this.what, left, left);
    }
  }
}

/** Runs `line` over each line of an input; a read error's text, or null. */
export function* eachLine(
  chunks: Chunks,
  split: LineSplitter,
  line: (text: string, newline: boolean) => boolean,
): Steps<string | null> {
  let stopped = false;
  const error = yield* consume(chunks, (c) => {
    stopped = !split.push(c, (text) => line(text, true));
    return !stopped;
  });
  const last = split.end();
  if (!stopped && last !== null) line(last, false);
  return error;
}

/**
 * `cut`: each line as it is completed (a line is kept whole until its newline, as busybox's
 * getline keeps it), so a device costs its longest line, not its size.
 */
export function* cutStream(ctx: ShellContext, o: CutOptions, io: CommandIo): Steps<number> {
  return yield* eachInput(ctx, io, o.files, 'cut', function* (_name, chunks) {
    const split = new LineSplitter("cut's line", () => commandMemoryBytes(ctx));
    const error = yield* eachLine(chunks, split, (line) => io.out(`${cutLine(line, o)}\n`) !== false);
    if (error !== null) io.err(`cut: ${error}\n`);
    return true;
  });
}

/** busybox grep: each matching line as it is read; `-q` stops at the first match (status 0). */
export function* grepStream(ctx: ShellContext, o: GrepOptions, io: CommandIo): Steps<number> {
  let matches = 0;
  let found = false;
  const many = o.files.length > 1;
  const status = yield* eachInput(ctx, io, o.files, 'grep', function* (name, chunks) {
    let n = 0;
    let lineNo = 0;
    let out = '';
    const split = new LineSplitter("grep's line", () => commandMemoryBytes(ctx));
    const error = yield* eachLine(chunks, split, (line) => {
      lineNo++;
      if (o.re.test(line) === o.invert) return true;
      n++;
      if (o.quiet) return false;
      if (o.count) return true;
      const prefix = (many ? `${name}:` : '') + (o.lineNumbers ? `${lineNo}:` : '');
      if (o.onlyMatching && !o.invert) for (const m of line.matchAll(o.global)) out += `${prefix}${m[0]}\n`;
      else out += `${prefix}${line}\n`;
      // Output goes out a pipe's worth at a time, so a reader that has gone stops grep soon.
      if (out.length < 8192) return true;
      const taken = io.out(out) !== false;
      out = '';
      return taken;
    });
    if (out !== '' && io.out(out) === false) return false;
    if (error !== null) io.err(`grep: ${name}: ${error}\n`);
    matches += n;
    if (o.quiet && n > 0) {
      found = true;
      return false;
    }
    if (o.count) io.out(`${many ? `${name}:` : ''}${n}\n`);
    return true;
  });
  if (found) return 0;
  return status !== 0 ? 2 : matches > 0 ? 0 : 1;
}

/** busybox sed: each line through the script as it is read; `q` stops reading. */
export function* sedStream(ctx: ShellContext, o: SedOptions, io: CommandIo): Steps<number> {
  let lineNo = 0;
  let quit = false;
  // A last line without a newline is printed without one, unless more input follows.
  let owedNewline = false;
  const status = yield* eachInput(ctx, io, o.files, 'sed', function* (_name, chunks) {
    let out = '';
    const split = new LineSplitter("sed's line", () => commandMemoryBytes(ctx));
    const error = yield* eachLine(chunks, split, (text, newline) => {
      lineNo++;
      const r = sedLine(o, text, lineNo);
      if (owedNewline) out += '\n';
      owedNewline = false;
      out += r.printed;
      if (r.line !== null) {
        out += newline ? `${r.line}\n` : r.line;
        owedNewline = !newline;
      }
      quit = r.quit;
      if (out.length < 8192 && !quit) return true;
      const taken = io.out(out) !== false;
      out = '';
      return taken && !quit;
    });
    if (out !== '' && io.out(out) === false) return false;
    if (error !== null) io.err(`sed: ${error}\n`);
    return !quit;
  });
  return status;
}

/**
 * The memory busybox sort takes for one line of `lengthBytes` (its newline included): the line is
 * read by bb_get_chunk_from_file and realloc'd to its length and a NUL, in a glibc malloc chunk
 * (16-byte aligned, 8 bytes of header, 32 at least), and sort keeps a pointer to it. Measured with
 * the host's busybox 1.35.0 sort over a million lines of each length (2, 8, 24, 25, 40, 100 bytes):
 * its RSS grew by exactly this per line (`yes | head -n 1000000 | /usr/bin/time -f %M busybox sort`).
 */
export function sortLineBytes(lengthBytes: number): number {
  return Math.max(32, (lengthBytes + 1 + 8 + 15) & ~15) + 12;
}

/**
 * What busybox sort holds while it reads: every line (kept as the bytes read, the lines split only
 * at the end) and the memory busybox would have allocated for them. Past the memory left the OOM
 * killer kills sort, as it did on the VM (`Killed`, status 137).
 */
class SortInput {
  private readonly pieces: Uint8Array[] = [];
  private costBytes = 0;
  /** Bytes of the line being read, before its newline. */
  private lineBytes = 0;
  private limitBytes: number | null = null;

  constructor(private readonly memoryLeft: () => number) {}

  add(c: Uint8Array): void {
    this.pieces.push(c.slice());
    let from = 0;
    for (let nl = c.indexOf(10); nl >= 0; nl = c.indexOf(10, from)) {
      this.costBytes += sortLineBytes(this.lineBytes + nl - from + 1);
      this.lineBytes = 0;
      from = nl + 1;
    }
    this.lineBytes += c.length - from;
    if (this.costBytes + this.lineBytes < CHECKED_LINE_BYTES) return;
    this.limitBytes ??= this.memoryLeft();
    if (this.costBytes + this.lineBytes > this.limitBytes) {
      this.pieces.length = 0;
      throw new OutOfMemory("sort's lines", this.costBytes, this.limitBytes, true);
    }
  }

  /** The end of one input: a last line without a newline is a line of its own. */
  endOfInput(): void {
    if (this.lineBytes === 0) return;
    this.costBytes += sortLineBytes(this.lineBytes);
    this.lineBytes = 0;
    this.pieces.push(new Uint8Array([10]));
  }

  /** Every line read, as text. */
  lines(): string[] {
    const lines: string[] = [];
    const split = new LineSplitter("sort's line", () => Number.POSITIVE_INFINITY);
    for (const piece of this.pieces) split.push(piece, (text) => lines.push(text) > 0);
    this.pieces.length = 0;
    return lines;
  }
}

/** How much sorted text goes out in one write. */
const SORT_WRITE_CHARS = 64 * 1024;

/** busybox sort: reads every input to its end (killed if its lines take the memory left), then prints them sorted. */
export function* sortStream(ctx: ShellContext, o: SortOptions, io: CommandIo): Steps<number> {
  const input = new SortInput(() => commandMemoryBytes(ctx));
  let errors = '';
  for (const name of o.files.length === 0 ? ['-'] : o.files) {
    const chunks = name === '-' ? stdinChunks(io) : pathChunks(ctx, name);
    const error =
      typeof chunks === 'string'
        ? chunks
        : yield* consume(chunks, (c) => {
            input.add(c);
            return true;
          });
    input.endOfInput();
    if (error !== null) errors += `sort: ${name}: ${error}\n`;
  }
  let out = '';
  for (const line of sortLines(input.lines(), o.flags)) {
    out += `${line}\n`;
    if (out.length < SORT_WRITE_CHARS) continue;
    const taken = io.out(out) !== false;
    out = '';
    if (!taken) break;
  }
  if (out !== '') io.out(out);
  // As before sort streamed, its errors come after its output.
  if (errors !== '') io.err(errors);
  return errors === '' ? 0 : 2;
}
