/**
 * busybox 1.35's tac, rev, fold and base64 (coreutils/tac.c, util-linux/rev.c, coreutils/fold.c,
 * coreutils/uudecode.c's base64) in the VM's C locale: bytes, not characters. rev, fold and base64
 * stream their input; tac holds every line until its input ends, as busybox's list does, counted
 * against the VM's memory. Checked against the host's busybox 1.35.0 case by case
 * (src/lab/small-text-tools.test.ts).
 */
import { latin1Bytes, latin1Text } from '../shared/bytes.js';
import type { CommandIo } from '../shell/io.js';
import { OutOfMemory } from '../shell/memory.js';
import type { Steps } from '../shell/wait.js';
import { busyboxBanner } from './busybox-banner.js';
import { BUSYBOX_USAGE, busyboxArgs } from './busybox-options.js';
import type { Lab } from './lab.js';
import { commandMemoryBytes } from './line-filters.js';
import { type Chunks, stdinChunks } from './stdin-chunks.js';
import { consume, pathChunks } from './text-streams.js';
import { fileKind } from './vfs.js';

/** Opens FILE ('-': standard input) as fopen_or_warn_stdin does; a string is its warning. */
function open(lab: Lab, name: string, tool: string, io: CommandIo): Chunks | string {
  if (name === '-') return stdinChunks(io);
  const chunks = pathChunks(lab, name);
  return typeof chunks === 'string' ? `${tool}: ${name}: ${chunks}\n` : chunks;
}

/** A writer that gathers output and passes it on in pieces; false once the reader has gone. */
function batched(io: CommandIo): { add(text: string): boolean; flush(): boolean } {
  let out = '';
  return {
    add(text) {
      out += text;
      if (out.length < 8192) return true;
      return this.flush();
    },
    flush() {
      const ok = out === '' || io.out(latin1Bytes(out)) !== false;
      out = '';
      return ok;
    },
  };
}

/** What each tool says of a directory given as FILE (rev says nothing). */
const DIRECTORY_READ_ERRORS: Readonly<Record<string, string>> = {
  tac: 'NAME: Is a directory',
  fold: 'NAME: Input/output error',
  base64: 'read error: Is a directory',
};

/** Runs `each` over every byte of every input as it comes; the inputs' warnings, in order. */
function* eachInputText(
  lab: Lab,
  tool: string,
  names: readonly string[],
  io: CommandIo,
  each: (text: string) => boolean,
  end: () => boolean,
): Steps<number> {
  let status = 0;
  for (const name of names.length === 0 ? ['-'] : names) {
    // A directory opens, and its first read fails (EISDIR): rev takes it for the end, fold's
    // ferror has lost the errno by the time it reports.
    if (name !== '-' && fileKind(lab, name) === 'dir') {
      const error = DIRECTORY_READ_ERRORS[tool];
      if (error !== undefined) {
        io.err(`${tool}: ${error.replace('NAME', name)}\n`);
        status = 1;
      }
      continue;
    }
    const chunks = open(lab, name, tool, io);
    if (typeof chunks === 'string') {
      io.err(chunks);
      status = 1;
      continue;
    }
    let taken = true;
    const error = yield* consume(chunks, (c) => {
      taken = each(latin1Text(c));
      return taken;
    });
    if (!taken || !end()) return 1;
    if (error !== null) {
      io.err(`${tool}: ${error.replace('NAME', name)}\n`);
      status = 1;
    }
  }
  return status;
}

/** Parses an applet that takes no options but `--`: its files, or the usage error. */
function noOptions(lab: Lab, tool: 'tac' | 'rev', args: readonly string[], io: CommandIo): string[] | null {
  const parsed = busyboxArgs(lab.machine.stack, tool, args, '', '');
  if ('error' in parsed) {
    io.err(parsed.error);
    return null;
  }
  return parsed.operands;
}

/**
 * `tac [FILE]...`: every line of every file, last first. busybox reads the files from the last to
 * the first (its warnings come in that order, before any output) and keeps every line.
 */
export function* tac(lab: Lab, args: readonly string[], io: CommandIo): Steps<number> {
  const names = noOptions(lab, 'tac', args, io);
  if (names === null) return 1;
  const files = names.length === 0 ? ['-'] : names;
  const lines: string[][] = [];
  let heldBytes = 0;
  const limit = commandMemoryBytes(lab);
  let status = 0;
  for (const name of [...files].reverse()) {
    let partial = '';
    const fileLines: string[] = [];
    const s = yield* eachInputText(
      lab,
      'tac',
      [name],
      io,
      (text) => {
        heldBytes += text.length;
        if (heldBytes > limit) throw new OutOfMemory("tac's lines", heldBytes, limit);
        const parts = (partial + text).split(/(?<=\n)/);
        partial = parts[parts.length - 1]!.endsWith('\n') ? '' : parts.pop()!;
        fileLines.push(...parts);
        return true;
      },
      () => true,
    );
    if (partial !== '') fileLines.push(partial);
    lines.unshift(fileLines);
    status |= s;
  }
  const out = batched(io);
  for (const fileLines of lines.reverse()) {
    for (let i = fileLines.length - 1; i >= 0; i--) if (!out.add(fileLines[i]!)) return 1;
  }
  return out.flush() ? status : 1;
}

/**
 * rev's strrev over one line: the bytes before its first NUL (strlen), reversed, its newline kept;
 * fputs prints no further than the NUL, so a line with one loses its newline.
 */
function reverseLine(line: string, newline: boolean): string {
  const nul = line.indexOf('\0');
  const text = nul >= 0 ? line.slice(0, nul) : line;
  return [...text].reverse().join('') + (newline && nul < 0 ? '\n' : '');
}

/** `rev [FILE]...`: each line reversed, a line at a time. A directory reads as empty, without a warning. */
export function* rev(lab: Lab, args: readonly string[], io: CommandIo): Steps<number> {
  const names = noOptions(lab, 'rev', args, io);
  if (names === null) return 1;
  const out = batched(io);
  let partial = '';
  const status = yield* eachInputText(
    lab,
    'rev',
    names,
    io,
    (text) => {
      const parts = (partial + text).split('\n');
      partial = parts.pop()!;
      if (partial.length > commandMemoryBytes(lab)) throw new OutOfMemory("rev's line", partial.length, partial.length);
      return parts.every((line) => out.add(reverseLine(line, true)));
    },
    () => {
      const last = partial;
      partial = '';
      return (last === '' || out.add(reverseLine(last, false))) && out.flush();
    },
  );
  return out.flush() ? status : 1;
}

/** fold's column after a byte (adjust_column): backspace, carriage return and tab move it their way. */
function foldColumn(column: number, c: string, bytes: boolean): number {
  if (bytes) return column + 1;
  if (c === '\b') return column > 0 ? column - 1 : 0;
  if (c === '\r') return 0;
  if (c === '\t') return column + 8 - (column % 8);
  return column + 1;
}

/** One fold run's state over its input: the line being built and its column. */
class Folder {
  private line = '';
  private column = 0;

  constructor(
    private readonly width: number,
    private readonly bytes: boolean,
    private readonly spaces: boolean,
  ) {}

  /** The output for `text`, the line being built held back. */
  push(text: string): string {
    let out = '';
    for (const c of text) {
      if (c === '\n') {
        out += `${this.line}\n`;
        this.line = '';
        this.column = 0;
        continue;
      }
      out += this.place(c);
    }
    return out;
  }

  /** Places one byte, breaking the line before it when it would pass the width (the `rescan` loop). */
  private place(c: string): string {
    let out = '';
    for (;;) {
      this.column = foldColumn(this.column, c, this.bytes);
      if (this.column <= this.width) break;
      if (this.spaces) {
        const blank = Math.max(this.line.lastIndexOf(' '), this.line.lastIndexOf('\t'));
        if (blank >= 0) {
          out += `${this.line.slice(0, blank + 1)}\n`;
          this.line = this.line.slice(blank + 1);
          this.column = [...this.line].reduce((col, ch) => foldColumn(col, ch, this.bytes), 0);
          continue;
        }
      }
      if (this.line === '') break;
      out += `${this.line}\n`;
      this.line = '';
      this.column = 0;
    }
    this.line += c;
    return out;
  }

  end(): string {
    const rest = this.line;
    this.line = '';
    this.column = 0;
    return rest;
  }
}

/** busybox's fold width: -w N from 1 to 10000 (xatoul_range), and -N as -wN. */
function foldWidth(
  stack: Lab['machine']['stack'],
  args: readonly string[],
): { width: number; args: string[] } | string {
  const words = args.map((a) => (/^-[0-9]/.test(a) ? `-w${a.slice(1)}` : a));
  const cut = words.indexOf('--');
  const fixed = cut < 0 ? words : [...words.slice(0, cut), ...args.slice(cut)];
  const parsed = busyboxArgs(stack, 'fold', fixed, 'bsw', '', { valued: 'w' });
  if ('error' in parsed) return parsed.error;
  const w = parsed.values.get('w');
  if (w === undefined) return { width: 80, args: fixed };
  if (!/^[0-9]+$/.test(w)) return `fold: invalid number '${w}'\n`;
  const n = Number(w);
  if (n < 1 || n > 10000) return `fold: number ${w} is not in 1..10000 range\n`;
  return { width: n, args: fixed };
}

/** `fold [-bs] [-w WIDTH] [FILE]...`: lines broken at WIDTH columns (bytes with -b), at a blank with -s. */
export function* fold(lab: Lab, args: readonly string[], io: CommandIo): Steps<number> {
  const w = foldWidth(lab.machine.stack, args);
  if (typeof w === 'string') {
    io.err(w);
    return 1;
  }
  const parsed = busyboxArgs(lab.machine.stack, 'fold', w.args, 'bsw', '', { valued: 'w' });
  if ('error' in parsed) return 1;
  const folder = new Folder(w.width, parsed.flags.has('b'), parsed.flags.has('s'));
  const out = batched(io);
  return yield* eachInputText(
    lab,
    'fold',
    parsed.operands,
    io,
    (text) => out.add(folder.push(text)),
    () => out.add(folder.end()) && out.flush(),
  );
}

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Encodes whole groups of three bytes and keeps the rest for the next chunk. */
class Base64Encoder {
  private pending = '';
  private column = 0;

  constructor(private readonly wrap: number) {}

  push(text: string, last: boolean): string {
    const all = this.pending + text;
    const whole = last ? all.length : all.length - (all.length % 3);
    this.pending = all.slice(whole);
    let encoded = '';
    for (let i = 0; i < whole; i += 3) {
      const a = all.charCodeAt(i);
      const b = i + 1 < whole ? all.charCodeAt(i + 1) : -1;
      const c = i + 2 < whole ? all.charCodeAt(i + 2) : -1;
      const n = (a << 16) | (Math.max(b, 0) << 8) | Math.max(c, 0);
      encoded += BASE64_ALPHABET[n >> 18]! + BASE64_ALPHABET[(n >> 12) & 63]!;
      encoded += b < 0 ? '=' : BASE64_ALPHABET[(n >> 6) & 63]!;
      encoded += c < 0 ? '=' : BASE64_ALPHABET[n & 63]!;
    }
    return this.wrapped(encoded, last);
  }

  private wrapped(encoded: string, last: boolean): string {
    let out = '';
    if (this.wrap === 0) out = encoded;
    else
      for (const ch of encoded) {
        out += ch;
        if (++this.column === this.wrap) {
          out += '\n';
          this.column = 0;
        }
      }
    // The last line ends with a newline unless it is empty (an empty input prints nothing);
    // with -w 0 there are no lines, and no newline at all.
    if (last && this.wrap > 0 && this.column > 0) out += '\n';
    return out;
  }
}

/** A base64 byte's value (decode_base64's "if forest"), or -1 for a byte it skips. */
function base64Value(code: number): number {
  if (code >= 48 && code <= 57) return code - 48 + 52;
  if (code >= 65 && code <= 90) return code - 65;
  if (code >= 97 && code <= 122) return code - 97 + 26;
  if (code === 43) return 62;
  return code === 47 ? 63 : -1;
}

/** Flags decode_base64 keeps in its accumulator for a `=` (and, shifted, for a first of two). */
const PAD_FLAG = 0x1000000;

/**
 * busybox's decode_base64 over one buffer: bytes outside the alphabet are skipped, `=` counts
 * only as the end of a block (`xxx=` or `xx==`) and ends the decoding there; the tail is where a
 * block was left unfinished (src - i: that many bytes back, whatever was skipped among them).
 */
function decodeBase64(text: string): { out: string; tail: string } {
  let out = '';
  let ch = 0;
  let i = 0;
  let at = 0;
  while (at < text.length) {
    const code = text.charCodeAt(at++);
    let t = base64Value(code);
    if (t < 0 && code === 61 && (i === 3 || (i === 2 && text[at] === '='))) t = PAD_FLAG;
    if (t < 0) continue;
    ch = ((ch << 6) | t) >>> 0;
    i = (i + 1) & 3;
    if (i !== 0) continue;
    let block = String.fromCharCode((ch >>> 16) & 0xff, (ch >>> 8) & 0xff, ch & 0xff);
    if ((ch & PAD_FLAG) !== 0) {
      block = block.slice(0, (ch & (PAD_FLAG << 6)) !== 0 ? 1 : 2);
      out += block;
      break;
    }
    out += block;
    ch = 0;
  }
  return { out, tail: text.slice(at - i) };
}

/**
 * busybox's read_base64: a buffer of up to 80 bytes, cut early by any byte up to a blank (which
 * is dropped), decoded, and what a block left unfinished kept for the next; at the end of the
 * input, anything left is `truncated input`.
 */
class Base64Decoder {
  private buf = '';

  push(text: string): string {
    let out = '';
    for (const c of text) {
      if (c <= ' ') out += this.decode();
      else {
        this.buf += c;
        if (this.buf.length === 80) out += this.decode();
      }
    }
    return out;
  }

  private decode(): string {
    const { out, tail } = decodeBase64(this.buf);
    this.buf = tail;
    return out;
  }

  /** The input's end: the last output, and whether a block was left unfinished. */
  end(): { out: string; truncated: boolean } {
    if (this.buf === '') return { out: '', truncated: false };
    const out = this.decode();
    return { out, truncated: this.buf !== '' };
  }
}

/** `base64 [-d] [-w COL] [FILE]`: encoded in lines of COL (76; 0: one line), or decoded with -d. */
export function* base64(lab: Lab, args: readonly string[], io: CommandIo): Steps<number> {
  const stack = lab.machine.stack;
  const parsed = busyboxArgs(stack, 'base64', args, 'dw', '', { valued: 'w', numeric: 'w' });
  if ('error' in parsed) {
    io.err(parsed.error);
    return 1;
  }
  if (parsed.operands.length > 1) {
    io.err(`${busyboxBanner(stack)}${BUSYBOX_USAGE.base64}`);
    return 1;
  }
  const out = batched(io);
  const encoder = new Base64Encoder(Number(parsed.values.get('w') ?? 76));
  const decoder = new Base64Decoder();
  const decode = parsed.flags.has('d');
  let truncated = false;
  const finish = (): string => {
    if (!decode) return encoder.push('', true);
    const last = decoder.end();
    truncated = last.truncated;
    return last.out;
  };
  const status = yield* eachInputText(
    lab,
    'base64',
    parsed.operands,
    io,
    (text) => out.add(decode ? decoder.push(text) : encoder.push(text, false)),
    () => out.add(finish()) && out.flush(),
  );
  if (status === 0 && truncated) {
    io.err('base64: truncated input\n');
    return 1;
  }
  return status;
}
