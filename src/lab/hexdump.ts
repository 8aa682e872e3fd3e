/**
 * busybox 1.35's hexdump (`-C`, or its default two-byte words; `-n`, `-s`, `-v`) and xxd (`-l`,
 * `-s`, `-o`, `-c`, `-g`, `-p`) over the lab's files and devices. The input streams a chunk at a
 * time (src/lab/text-streams.ts), so `hexdump -C /dev/mapper/pool_tmeta` never holds the device,
 * and a run of equal rows folds to `*` as it is read. Layouts and texts are the host's busybox
 * 1.35.0 (the VM's build), case by case in src/lab/hexdump.test.ts, and the VM's (fixtures/kernel/211).
 */
import type { CommandIo } from '../shell/io.js';
import type { Steps } from '../shell/wait.js';
import { busyboxBanner } from './busybox-banner.js';
import { BUSYBOX_USAGE, busyboxArgs } from './busybox-options.js';
import { notModelled } from './command-errors.js';
import type { ShellContext } from './context.js';
import { stdinChunks } from './stdin-chunks.js';
import { consume, pathChunks } from './text-streams.js';
import { odCount } from './text-tools.js';

/** How a dump lays out its rows. */
interface DumpLayout {
  readonly rowBytes: number;
  /** One row of `length` bytes (the last may be short) at `address`. */
  line(row: Uint8Array, length: number, address: number): string;
  /** Whether a row equal to the one before prints as `*` (hexdump without -v). */
  readonly fold: boolean;
  /** The line after the last row: the offset where the input ended (hexdump), or none (xxd). */
  end(address: number): string;
}

const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');
const printable = (b: number): string => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.');

function asciiOf(row: Uint8Array, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += printable(row[i]!);
  return s;
}

/**
 * Units of a row, each followed by a blank, and blanks where the row has no bytes; the last
 * unit's blank is left out, as hexdump's format engine leaves out an iteration's trailing text.
 */
function units(count: number, present: (i: number) => string | null, width: number): string {
  let s = '';
  for (let i = 0; i < count; i++) s += `${present(i) ?? ' '.repeat(width)} `;
  return s.slice(0, -1);
}

/** `hexdump -C`: offset, 16 bytes in two groups of 8, and the bytes as text between bars. */
const CANONICAL: DumpLayout = {
  rowBytes: 16,
  fold: true,
  line(row, length, address) {
    const group = (from: number): string => units(8, (i) => (from + i < length ? hex(row[from + i]!, 2) : null), 2);
    return `${hex(address, 8)}  ${group(0)}  ${group(8)}  |${asciiOf(row, length)}|\n`;
  },
  end: (address) => `${hex(address, 8)}\n`,
};

/** hexdump's default: offset and eight two-byte words, each read little-endian. */
const WORDS: DumpLayout = {
  rowBytes: 16,
  fold: true,
  line(row, length, address) {
    const word = (i: number): string | null =>
      2 * i < length ? hex(row[2 * i]! | ((2 * i + 1 < length ? row[2 * i + 1]! : 0) << 8), 4) : null;
    return `${hex(address, 7)} ${units(8, word, 4)}\n`;
  },
  end: (address) => `${hex(address, 7)}\n`,
};

/** xxd's rows: offset, `cols` bytes in groups of `group`, and the bytes as text. */
function xxdLayout(cols: number, group: number, addressAdd: number): DumpLayout {
  return {
    rowBytes: cols,
    fold: false,
    line(row, length, address) {
      let s = `${hex(address + addressAdd, 8)}: `;
      for (let i = 0; i < cols; i++) {
        s += i < length ? hex(row[i]!, 2) : '  ';
        if ((i + 1) % group === 0 || i === cols - 1) s += ' ';
      }
      return `${s} ${asciiOf(row, length)}\n`;
    },
    end: () => '',
  };
}

/** xxd -p: the bytes in hex alone, `cols` to a line. */
function plainLayout(cols: number): DumpLayout {
  return {
    rowBytes: cols,
    fold: false,
    line(row, length) {
      let s = '';
      for (let i = 0; i < length; i++) s += hex(row[i]!, 2);
      return `${s}\n`;
    },
    end: () => '',
  };
}

/** The rows of a dump, made as its bytes come. */
class Dumper {
  private readonly row: Uint8Array;
  private filled = 0;
  private readonly previous: Uint8Array;
  private hasPrevious = false;
  private starred = false;

  constructor(
    private readonly layout: DumpLayout,
    private address: number,
  ) {
    this.row = new Uint8Array(layout.rowBytes);
    this.previous = new Uint8Array(layout.rowBytes);
  }

  add(c: Uint8Array): string {
    let out = '';
    for (let at = 0; at < c.length; ) {
      const n = Math.min(this.layout.rowBytes - this.filled, c.length - at);
      this.row.set(c.subarray(at, at + n), this.filled);
      this.filled += n;
      at += n;
      if (this.filled === this.layout.rowBytes) out += this.fullRow();
    }
    return out;
  }

  private fullRow(): string {
    const size = this.layout.rowBytes;
    const same = this.layout.fold && this.hasPrevious && this.row.every((b, i) => b === this.previous[i]);
    let out = '';
    if (!same) {
      out = this.layout.line(this.row, size, this.address);
      this.previous.set(this.row);
      this.hasPrevious = true;
      this.starred = false;
    } else if (!this.starred) {
      out = '*\n';
      this.starred = true;
    }
    this.address += size;
    this.filled = 0;
    return out;
  }

  /**
   * The short last row and the end line. A short row that starts as the row before it does is
   * still printed, after a `*` (busybox's get() stars it before it returns the zero-padded row).
   */
  end(): string {
    let out = '';
    const n = this.filled;
    const same =
      this.layout.fold && this.hasPrevious && this.row.subarray(0, n).every((b, i) => b === this.previous[i]);
    if (n > 0 && same && !this.starred) out = '*\n';
    if (n > 0) out += this.layout.line(this.row, n, this.address);
    return out + this.layout.end(this.address + this.filled);
  }
}

interface DumpInput {
  readonly files: readonly string[];
  readonly skipBytes: number;
  readonly limitBytes: number;
}

/**
 * Dumps the inputs as one stream (busybox's hexdump reads its files one after another), skipping
 * and stopping where told. An input that does not open is said when the dump reaches it, the
 * status then 1; one that fails to read is said, and the status stays. Nothing at all is printed when the inputs hold no bytes or nothing is to be shown.
 */
function* dump(ctx: ShellContext, io: CommandIo, tool: string, layout: DumpLayout, input: DumpInput): Steps<number> {
  let skip = input.skipBytes;
  let left = input.limitBytes;
  let seen = 0;
  let status = 0;
  let dumper: Dumper | null = null;
  for (const name of input.files.length === 0 ? ['-'] : input.files) {
    if (left <= 0) break;
    const chunks = name === '-' ? stdinChunks(io) : pathChunks(ctx, name, false);
    if (typeof chunks === 'string') {
      io.err(`${tool}: ${name}: ${chunks}\n`);
      status = 1;
      continue;
    }
    const error = yield* consume(chunks, (c) => {
      seen += c.length;
      const n = Math.min(skip, c.length);
      skip -= n;
      let rest = c.subarray(n);
      if (rest.length > left) rest = rest.subarray(0, left);
      left -= rest.length;
      if (rest.length === 0) return left > 0;
      dumper ??= new Dumper(layout, input.skipBytes);
      const text = dumper.add(rest);
      if (text !== '' && io.out(text) === false) return false;
      return left > 0;
    });
    // A read error is said and the dump goes on with the next input; busybox's status stays 0
    // (only a file that does not open sets it: fixtures/kernel/212).
    if (error !== null) io.err(`${tool}: ${name}: ${error}\n`);
  }
  // A skip past the end of the inputs still ends at their size (hexdump seeks there).
  if (dumper === null && seen > 0 && input.limitBytes > 0) dumper = new Dumper(layout, seen);
  if (dumper !== null) io.out((dumper as Dumper).end());
  return status;
}

/** `hexdump [-Cv] [-n LENGTH] [-s OFFSET] [FILE]...`; the other formats (-bcdox, -e, -f) are refused by name. */
export function hexdump(ctx: ShellContext, args: readonly string[], io: CommandIo): number | Steps<number> {
  const parsed = busyboxArgs(ctx.machine.stack, 'hexdump', args, 'Cvns', 'bcdoxef', { valued: 'efns' });
  if ('error' in parsed) {
    io.err(parsed.error);
    return 1;
  }
  const length = parsed.values.get('n');
  const offset = parsed.values.get('s');
  // -n is read as a decimal count, -s with a base and busybox's b/k/m suffixes.
  const limit = length === undefined ? Number.POSITIVE_INFINITY : /^[0-9]+$/.test(length) ? Number(length) : null;
  const skip = offset === undefined ? 0 : odCount(offset);
  if (limit === null || skip === null) {
    io.err(`hexdump: invalid number '${limit === null ? length : offset}'\n`);
    return 1;
  }
  const layout = parsed.flags.has('C') ? CANONICAL : WORDS;
  const fold = !parsed.flags.has('v');
  return dump(ctx, io, 'hexdump', { ...layout, fold }, { files: parsed.operands, skipBytes: skip, limitBytes: limit });
}

/** A number as xxd reads it: a base (0x, leading 0) and no suffix. */
function xxdNumber(text: string): number | null {
  const m = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (m === null) return null;
  return /^0[xX]/.test(text)
    ? Number.parseInt(text.slice(2), 16)
    : text.startsWith('0')
      ? Number.parseInt(text, 8)
      : Number(text);
}

/** `xxd [-p] [-g N] [-c N] [-l LENGTH] [-s OFFSET] [-o OFFSET] [FILE]`; -r and -i are refused by name. */
export function xxd(ctx: ShellContext, args: readonly string[], io: CommandIo): number | Steps<number> {
  const parsed = busyboxArgs(ctx.machine.stack, 'xxd', args, 'pgclso', 'ri', { valued: 'gclso' });
  if ('error' in parsed) {
    io.err(parsed.error);
    return 1;
  }
  if (parsed.operands.length > 1) {
    io.err(`${busyboxBanner(ctx.machine.stack)}${BUSYBOX_USAGE.xxd}`);
    return 1;
  }
  const n: Record<string, number> = {};
  for (const [letter, text] of parsed.values) {
    const v = xxdNumber(text);
    if (v === null) {
      io.err(`xxd: invalid number '${text}'\n`);
      return 1;
    }
    n[letter] = v;
  }
  const plain = parsed.flags.has('p');
  const cols = n.c === undefined || n.c === 0 ? (plain ? 30 : 16) : n.c;
  if (cols > 256) throw notModelled(`xxd -c ${cols} (the lab lays out at most 256 bytes a line)`);
  const group = n.g === undefined ? 2 : n.g === 0 ? cols : n.g;
  const layout = plain ? plainLayout(cols) : xxdLayout(cols, group, n.o ?? 0);
  const input = { files: parsed.operands, skipBytes: n.s ?? 0, limitBytes: n.l ?? Number.POSITIVE_INFINITY };
  return dump(ctx, io, 'xxd', layout, input);
}
