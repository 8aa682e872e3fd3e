/**
 * The text tools that stream: cat, head, tail, wc, tr, od and yes (and the digests of
 * src/lab/checksums.ts) read their input a chunk at
 * a time (standard input through CommandIo.read, a file or a device a MiB at a time) and write as
 * they go, so that `seq 1 1000000000 | head -c 10` ends at once, `dd if=/dev/mapper/big | md5sum`
 * and `head -c 16 /dev/mapper/big` never hold the device, and memory stays bounded whatever the
 * input's size. Their output is what the whole-input versions in text-tools.ts print.
 */
import { strerror } from '../model/errno.js';
import { LAB_WOULD_BLOCK } from '../model/machine.js';
import { SECTOR_BYTES } from '../model/sectors.js';
import { concatBytes } from '../shared/bytes.js';
import type { CommandIo } from '../shell/io.js';
import type { Steps } from '../shell/wait.js';
import type { ShellContext } from './context.js';
import { type OdOptions, odFields } from './text-tools.js';
import { type TrPlan, trTranslate } from './tr.js';
import { type Chunks, stdinChunks } from './stdin-chunks.js';
import { lookupPath, readPath, suspendedRead } from './vfs.js';

/** How much of a file or a device a streaming tool reads at a time. */
export const READ_CHUNK_BYTES = 1024 * 1024;

/**
 * The most a text tool reads of one file or device. The VM reads a sparse file's holes at a few
 * GB/s, so `md5sum` of a 3 TB sparse file runs for many minutes there; the lab, which reads far
 * slower, refuses past this size by name instead of running for hours.
 */
export const MAX_TOOL_READ_BYTES = 4 * 1024 * 1024 * 1024;

/** What a text tool says of an input larger than it reads. */
export function tooLargeToRead(sizeBytes: number, path: string): string {
  if (!Number.isFinite(sizeBytes)) return `thinlab: not modelled: reading ${path} to its end (it has none)`;
  return `thinlab: not modelled: reading ${sizeBytes} bytes in one command (the lab reads at most ${MAX_TOOL_READ_BYTES / 1024 ** 3} GiB of a file or device)`;
}

/**
 * A file, a device or a kernel file as chunks, read a MiB at a time; a string: it cannot be
 * opened. A tool that reads to the end is refused at once when the input is larger than
 * MAX_TOOL_READ_BYTES; `head` (`toEnd` false) only if it reads that far.
 */
export function pathChunks(ctx: ShellContext, path: string, toEnd = true, lastBytes?: number): Chunks | string {
  const chunks = openChunks(ctx, path, lastBytes);
  if (typeof chunks === 'string') return chunks;
  const reads = lastBytes === undefined ? chunks.sizeBytes : Math.min(lastBytes, chunks.sizeBytes);
  if (toEnd && reads > MAX_TOOL_READ_BYTES) return tooLargeToRead(chunks.sizeBytes, path);
  let read = 0;
  return function* () {
    if (read >= MAX_TOOL_READ_BYTES) return tooLargeToRead(chunks.sizeBytes, path);
    const c = yield* chunks.next();
    if (c !== null && typeof c !== 'string') read += c.length;
    return c;
  };
}

/** Opens a path for reading in chunks; with `lastBytes`, only its last bytes are read (tail -c seeks). */
function openChunks(ctx: ShellContext, path: string, lastBytes?: number): { sizeBytes: number; next: Chunks } | string {
  const target = lookupPath(ctx, path);
  let at = 0;
  const startAt = (sizeBytes: number): number => (lastBytes === undefined ? 0 : Math.max(0, sizeBytes - lastBytes));
  if (target.kind === 'zero') {
    // Endless: `cat /dev/zero | head -c 10` ends when head does, as on the VM.
    const zeros = new Uint8Array(READ_CHUNK_BYTES);
    // biome-ignore lint/correctness/useYield: zeros are there at once.
    const next = function* (): Steps<Uint8Array | null | string> {
      return zeros;
    };
    return { sizeBytes: Number.POSITIVE_INFINITY, next };
  }
  if (target.kind === 'urandom') {
    // Endless too, and seeded (src/model/urandom.ts): `head -c 16 /dev/urandom` ends when head
    // does. A read takes a chunk from the stream whatever the reader keeps of it, so the bytes a
    // later read sees depend only on the commands that ran, never on timing.
    // biome-ignore lint/correctness/useYield: the stream's bytes are there at once.
    const next = function* (): Steps<Uint8Array | null | string> {
      return ctx.machine.readUrandom(READ_CHUNK_BYTES);
    };
    return { sizeBytes: Number.POSITIVE_INFINITY, next };
  }
  if (target.kind === 'block') {
    const dev = target.dev;
    const sectors = ctx.machine.sizeSectors(dev);
    const from = startAt(sectors * SECTOR_BYTES);
    at = Math.floor(from / SECTOR_BYTES);
    let skip = from % SECTOR_BYTES;
    const perChunk = READ_CHUNK_BYTES / SECTOR_BYTES;
    const next = function* (): Steps<Uint8Array | null | string> {
      if (at >= sectors) return null;
      const count = Math.min(perChunk, sectors - at);
      let r = ctx.machine.readSectors(dev, at, count);
      // A suspended device (or a thin behind a commit that waits for one) holds the read until
      // the resume, as dd's read waits (fixtures/kernel/190).
      while (!r.ok && r.errno === LAB_WOULD_BLOCK) {
        const awaited = ctx.machine.awaitedResume(dev);
        if (!(yield { kind: 'resume', dev: awaited })) return suspendedRead(awaited);
        r = ctx.machine.readSectors(dev, at, count);
      }
      if (!r.ok) return strerror(r.errno);
      at += count;
      const bytes = ctx.machine.dictionary.bytesOf(r.value).subarray(skip, count * SECTOR_BYTES);
      skip = 0;
      return bytes;
    };
    return { sizeBytes: sectors * SECTOR_BYTES, next };
  }
  if (target.kind === 'file') {
    const file = target.file;
    at = startAt(file.sizeBytes);
    // biome-ignore lint/correctness/useYield: file reads finish at once in the lab.
    const next = function* (): Steps<Uint8Array | null | string> {
      if (at >= file.sizeBytes) return null;
      const bytes = file.readBytes(at, READ_CHUNK_BYTES);
      at += bytes.length;
      return bytes;
    };
    return { sizeBytes: file.sizeBytes, next };
  }
  const whole = readPath(ctx, path);
  if (typeof whole === 'string') return whole;
  // biome-ignore lint/correctness/useYield: a small made-up text or a pattern file, read at once.
  const next = function* (): Steps<Uint8Array | null | string> {
    if (at > 0 || whole.length === 0) return null;
    at = whole.length;
    return whole;
  };
  return { sizeBytes: whole.length, next };
}

/** The inputs a tool names ('-' or none: standard input), each opened or with its error text. */
export function* eachInput(
  ctx: ShellContext,
  io: CommandIo,
  files: readonly string[],
  tool: string,
  use: (name: string, chunks: Chunks) => Steps<boolean>,
  open: (name: string) => Chunks | string = (name) => pathChunks(ctx, name),
): Steps<number> {
  let errors = '';
  for (const name of files.length === 0 ? ['-'] : files) {
    const chunks = name === '-' ? stdinChunks(io) : open(name);
    if (typeof chunks === 'string') {
      errors += `${tool}: ${name}: ${chunks}\n`;
      continue;
    }
    if (!(yield* use(name, chunks))) break;
  }
  // The whole-input tools print their errors after their output; so do these.
  if (errors !== '') io.err(errors);
  return errors === '' ? 0 : 1;
}

/** Reads chunks until `take` says it has enough (false) or the input ends; a read error's text. */
export function* consume(chunks: Chunks, take: (bytes: Uint8Array) => boolean): Steps<string | null> {
  for (;;) {
    const c = yield* chunks();
    if (c === null) return null;
    if (typeof c === 'string') return c;
    if (!take(c)) return null;
  }
}

/** `cat [FILE...]` (its options already parsed, see src/lab/commands/text.ts): copies each input to standard output as it reads it. */
export function* catStream(ctx: ShellContext, args: readonly string[], io: CommandIo): Steps<number> {
  let status = 0;
  for (const name of args.length === 0 ? ['-'] : args) {
    // cat passes bytes on as it reads them: a pipe's reader or the terminal bounds it, and the
    // read limit only once it is reached.
    const chunks = name === '-' ? stdinChunks(io) : pathChunks(ctx, name, false);
    if (typeof chunks === 'string') {
      io.err(`cat: can't open '${name}': ${chunks}\n`);
      status = 1;
      continue;
    }
    let stopped = false;
    const error = yield* consume(chunks, (c) => {
      stopped = io.out(c) === false;
      return !stopped;
    });
    if (error !== null) {
      io.err(`cat: read error: ${error}\n`);
      status = 1;
    }
    if (stopped) return 1;
  }
  return status;
}

/** `head` and `tail`'s count: N lines or bytes, or from the Nth on (`+N`); a string is the error. */
export interface CountOptions {
  readonly n: number;
  readonly fromStart: boolean;
  readonly bytes: boolean;
  readonly files: string[];
}

/** `head -n N` / `head -c N`: stops reading (so a pipe's writer stops) once it has printed them. */
export function* headStream(ctx: ShellContext, o: CountOptions, io: CommandIo): Steps<number> {
  return yield* eachInput(
    ctx,
    io,
    o.files,
    'head',
    function* (_name, chunks) {
      let left = o.n;
      if (left === 0) return true;
      const error = yield* consume(chunks, (c) => {
        let end = 0;
        if (o.bytes) end = Math.min(c.length, left);
        else {
          for (; left > 0; left--) {
            const nl = c.indexOf(10, end);
            if (nl < 0) break;
            end = nl + 1;
          }
          if (left > 0) end = c.length;
        }
        if (o.bytes) left -= end;
        if (end > 0 && io.out(c.subarray(0, end)) === false) return false;
        return left > 0;
      });
      if (error !== null) io.err(`head: ${error}\n`);
      return true;
    },
    (name) => pathChunks(ctx, name, false),
  );
}

/**
 * `tail -n N` / `tail -c N` / `+N`: keeps only what may still be printed (the last N bytes, or the
 * chunks that hold the last N lines), so a 128 MiB device or an endless pipe costs a chunk or two.
 */
export function* tailStream(ctx: ShellContext, o: CountOptions, io: CommandIo): Steps<number> {
  const use = function* (_name: string, chunks: Chunks): Steps<boolean> {
    const keep = new TailKeeper(o);
    const error = yield* consume(chunks, (c) => {
      const pass = keep.add(c);
      return pass === null || io.out(pass) !== false;
    });
    if (error !== null) io.err(`tail: ${error}\n`);
    const rest = keep.end();
    if (rest.length > 0) io.out(rest);
    return true;
  };
  // `tail -c N FILE` seeks to the last N bytes, as busybox does on a file or a device.
  const open = (name: string): Chunks | string =>
    pathChunks(ctx, name, true, o.bytes && !o.fromStart ? o.n : undefined);
  return yield* eachInput(ctx, io, o.files, 'tail', use, open);
}

/** What tail keeps of its input while reading it. */
class TailKeeper {
  private kept: Uint8Array[] = [];
  private keptBytes = 0;
  /** For `+N`: bytes or lines still to skip before copying. */
  private skip: number;

  constructor(private readonly o: CountOptions) {
    this.skip = o.fromStart ? Math.max(0, o.n - 1) : 0;
  }

  /** Takes a chunk; returns what can be printed at once (`+N` passes the rest through). */
  add(c: Uint8Array): Uint8Array | null {
    if (this.o.fromStart) return this.passFrom(c);
    this.kept.push(c);
    this.keptBytes += c.length;
    this.trim();
    return null;
  }

  private passFrom(c: Uint8Array): Uint8Array | null {
    let from = 0;
    if (this.o.bytes) {
      from = Math.min(this.skip, c.length);
      this.skip -= from;
    } else {
      while (this.skip > 0 && from < c.length) {
        const nl = c.indexOf(10, from);
        if (nl < 0) return null;
        from = nl + 1;
        this.skip--;
      }
      if (this.skip > 0) return null;
    }
    return from < c.length ? c.subarray(from) : null;
  }

  /** Drops whole chunks that the last N bytes or lines no longer reach. */
  private trim(): void {
    while (this.kept.length > 1) {
      const first = this.kept[0]!;
      const restBytes = this.keptBytes - first.length;
      const enough = this.o.bytes ? restBytes >= this.o.n : this.linesIn(1) > this.o.n;
      if (!enough) return;
      this.kept.shift();
      this.keptBytes = restBytes;
    }
  }

  /** Newlines in the kept chunks from index `from` on. */
  private linesIn(from: number): number {
    let n = 0;
    for (let i = from; i < this.kept.length; i++) {
      const c = this.kept[i]!;
      for (let at = c.indexOf(10); at >= 0 && n <= this.o.n; at = c.indexOf(10, at + 1)) n++;
      if (n > this.o.n) return n;
    }
    return n;
  }

  /** The end of the input: what tail prints of what it kept. */
  end(): Uint8Array {
    if (this.o.fromStart) return new Uint8Array(0);
    const all = concatBytes(this.kept);
    if (this.o.bytes) return all.subarray(Math.max(0, all.length - this.o.n));
    return all.subarray(startOfLastLines(all, this.o.n));
  }
}

/** The offset where the last `n` lines start (a final newline ends the last line, it starts none). */
export function startOfLastLines(bytes: Uint8Array, n: number): number {
  if (n === 0) return bytes.length;
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === 10) end--;
  for (let i = 0; i < n; i++) {
    const nl = bytes.lastIndexOf(10, end - 1);
    if (nl < 0 || end === 0) return 0;
    if (i === n - 1) return nl + 1;
    end = nl;
  }
  return 0;
}

/** Bytes that end a word for wc (JavaScript's `\s` over latin1 text). */
const WC_SPACE = new Uint8Array(256);
// 0xa0 too: latin1Text makes it U+00A0, which `\s` matches.
for (const c of [9, 10, 11, 12, 13, 32, 0xa0]) WC_SPACE[c] = 1;

/** What `wc` counts (each flag given: -c -m -l -w -L; none: lines, words, bytes) and its files. */
export interface WcOptions {
  readonly flags: string;
  readonly files: string[];
}

/** A line's width as wc -L counts it: a tab moves to the next multiple of 8. */
function displayWidth(width: number, b: number): number {
  return b === 9 ? (width | 7) + 1 : width + 1;
}

/**
 * busybox wc [-cmlwL] [FILE...], counting as it reads: lines, words, characters, bytes, longest
 * line, in that order; one count alone unpadded, several each `%9u` (BusyBox v1.35.0, the VM's).
 * In the C locale a character is a byte.
 */
export function* wcStream(ctx: ShellContext, o: WcOptions, io: CommandIo): Steps<number> {
  const { flags, files } = o;
  return yield* eachInput(ctx, io, files, 'wc', function* (name, chunks) {
    let lines = 0;
    let words = 0;
    let bytes = 0;
    let inWord = false;
    let width = 0;
    let longest = 0;
    const countWords = flags === '' || flags.includes('w');
    const countWidth = flags.includes('L');
    const error = yield* consume(chunks, (c) => {
      bytes += c.length;
      if (!countWords && !countWidth) {
        for (let at = c.indexOf(10); at >= 0; at = c.indexOf(10, at + 1)) lines++;
        return true;
      }
      for (let i = 0; i < c.length; i++) {
        const b = c[i]!;
        if (b === 10) {
          lines++;
          if (width > longest) longest = width;
          width = 0;
        } else if (countWidth) width = displayWidth(width, b);
        const space = WC_SPACE[b] === 1;
        if (!space && !inWord) words++;
        inWord = !space;
      }
      return true;
    });
    if (error !== null) {
      io.err(`wc: ${name}: ${error}\n`);
      return true;
    }
    if (width > longest) longest = width;
    const fields: number[] = [];
    if (flags === '' || flags.includes('l')) fields.push(lines);
    if (flags === '' || flags.includes('w')) fields.push(words);
    if (flags.includes('m')) fields.push(bytes);
    if (flags === '' || flags.includes('c')) fields.push(bytes);
    if (countWidth) fields.push(longest);
    const pad = fields.length === 1 ? 0 : 9;
    io.out(`${fields.map((f) => String(f).padStart(pad)).join(' ') + (name === '-' ? '' : ` ${name}`)}\n`);
    return true;
  });
}

/** `yes [STRING]`: the line again and again, until the output takes no more (a pipe's reader ended). */
// biome-ignore lint/correctness/useYield: yes never waits; it is a generator to share the streaming shape.
export function* yesStream(_ctx: ShellContext, args: readonly string[], io: CommandIo): Steps<number> {
  const line = `${args.length === 0 ? 'y' : args.join(' ')}\n`;
  const chunk = line.repeat(Math.max(1, Math.floor(8192 / line.length)));
  while (io.out(chunk) !== false) {
    // Writes until the reader has gone (yes dies of SIGPIPE) or the terminal keeps no more.
  }
  return 1;
}

/** `tr` over its standard input, a chunk at a time (`-s` remembers the last byte across chunks). */
export function* trStream(plan: TrPlan, io: CommandIo): Steps<number> {
  const state = { last: -1 };
  const error = yield* consume(stdinChunks(io), (c) => {
    const out = trTranslate(plan, c, state);
    return out.length === 0 || io.out(out) !== false;
  });
  if (error !== null) io.err(`tr: ${error}\n`);
  return 0;
}

/**
 * `od`: 16 bytes a line (`-w`), one line per format (`-t`), a line equal to the one before folded to
 * `*` (not with `-v`). All inputs are one stream (busybox od concatenates its files). Rows are
 * compared as bytes before they are formatted, so a 128 MiB device of zeros costs one pass over its
 * bytes and two lines of output.
 */
export function* odStream(ctx: ShellContext, o: OdOptions, io: CommandIo): Steps<number> {
  if (o.warning !== '') io.err(o.warning);
  const f = new OdFormatter(o);
  let errors = '';
  // -j skips bytes of the whole stream, -N stops reading it once that many are formatted.
  let skip = o.skipBytes;
  let left = o.limitBytes;
  const bounded = Number.isFinite(left);
  let opened = false;
  for (const name of o.files.length === 0 ? ['-'] : o.files) {
    if (left <= 0) break;
    const chunks = name === '-' ? stdinChunks(io) : pathChunks(ctx, name, !bounded);
    if (typeof chunks !== 'string') opened = true;
    const error =
      typeof chunks === 'string'
        ? chunks
        : yield* consume(chunks, (c) => {
            if (skip > 0) {
              const n = Math.min(skip, c.length);
              skip -= n;
              c = c.subarray(n);
            }
            if (c.length > left) c = c.subarray(0, left);
            left -= c.length;
            const text = c.length === 0 ? '' : f.add(c);
            if (text !== '' && io.out(text) === false) return false;
            return left > 0;
          });
    if (error !== null) errors += `od: ${name}: ${error}\n`;
  }
  if (opened && skip > 0) {
    // busybox skips before it prints anything, and dies when the inputs end first.
    io.err(`${errors}od: can't skip past end of combined input\n`);
    return 1;
  }
  // busybox od gives up before its first line when no input opened at all (its main returns
  // when open_next_file leaves no stream), so not even the final address is printed.
  if (opened) io.out(f.end());
  // As the whole-input tools, od prints its errors after its output.
  if (errors !== '') io.err(errors);
  return errors === '' ? 0 : 1;
}

/** The blanks before every format's line but the first with `-A n` (see OdFormatter.line). */
const OD_NONE_INDENT = 'u'.charCodeAt(0) - '0'.charCodeAt(0);

class OdFormatter {
  private readonly rowBytes: number;
  /** Bytes of a row not complete yet. */
  private readonly partial: Uint8Array;
  private partialBytes = 0;
  private readonly previous: Uint8Array;
  private hasPrevious = false;
  private starred = false;
  private offset: number;

  constructor(private readonly o: OdOptions) {
    this.rowBytes = o.rowBytes;
    this.partial = new Uint8Array(o.rowBytes);
    this.previous = new Uint8Array(o.rowBytes);
    // Addresses count from the start of the input, the skipped bytes (-j) included.
    this.offset = o.skipBytes;
  }

  /** Takes a chunk; returns the lines it completes. */
  add(c: Uint8Array): string {
    const size = this.rowBytes;
    let out = '';
    let at = 0;
    if (this.partialBytes > 0) {
      const n = Math.min(size - this.partialBytes, c.length);
      this.partial.set(c.subarray(0, n), this.partialBytes);
      this.partialBytes += n;
      at = n;
      if (this.partialBytes < size) return '';
      out += this.row(this.partial);
      this.partialBytes = 0;
    }
    for (; at + size <= c.length; at += size) out += this.row(c.subarray(at, at + size));
    this.partial.set(c.subarray(at));
    this.partialBytes = c.length - at;
    return out;
  }

  /**
   * The last, short row and the final address. The short row is filled with zero bytes to a
   * multiple of the largest type, and every format prints that many bytes' worth, as busybox does.
   */
  end(): string {
    let out = '';
    if (this.partialBytes > 0) {
      const largest = Math.max(...this.o.formats.map((f) => f.sizeBytes));
      const padded = new Uint8Array(Math.ceil(this.partialBytes / largest) * largest);
      padded.set(this.partial.subarray(0, this.partialBytes));
      out = this.line(padded);
    }
    this.offset += this.partialBytes;
    if (this.o.radix !== 'n') out += `${this.address(this.offset)}\n`;
    return out;
  }

  private row(bytes: Uint8Array): string {
    const same = !this.o.verbose && this.hasPrevious && bytes.every((b, i) => b === this.previous[i]);
    let out = '';
    if (!same) {
      out = this.line(bytes);
      this.previous.set(bytes);
      this.hasPrevious = true;
      this.starred = false;
    } else if (!this.starred) {
      out = '*\n';
      this.starred = true;
    }
    this.offset += this.rowBytes;
    return out;
  }

  /**
   * A row in each format: the first line after the address, the others after as many blanks. With
   * `-A n` busybox 1.35 takes that count from one entry past its 3-entry table of address widths
   * (od_bloaty.c, `doxn_address_pad_len_char[3]`): the byte there is the next table's `'u'`, so the
   * other formats' lines start with 'u' - '0' = 69 blanks (measured on the host's busybox 1.35.0).
   */
  private line(row: Uint8Array): string {
    const address = this.o.radix === 'n' ? '' : this.address(this.offset);
    const indent = ' '.repeat(this.o.radix === 'n' ? OD_NONE_INDENT : address.length);
    return this.o.formats.map((format, k) => `${k === 0 ? address : indent}${odFields(row, format)}\n`).join('');
  }

  private address(n: number): string {
    if (this.o.radix === 'd') return String(n).padStart(7, '0');
    if (this.o.radix === 'x') return n.toString(16).padStart(6, '0');
    return n.toString(8).padStart(7, '0');
  }
}
