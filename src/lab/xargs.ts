/**
 * busybox 1.35 `xargs`: items from standard input (blank-separated with quotes and backslashes,
 * NUL-separated with -0, one line each with -I), given to a lab command in groups (-n) or with a
 * string replaced (-I). echo, printf and test run as the VM's busybox applets would; `sh` is the
 * shell's, which a command of the lab cannot start, so it is refused by name like -p, -E, -s, -P,
 * -x and -a. Statuses are busybox's: 123 when a command failed, 124 when one exited 255 (xargs
 * stops), 127 when there is no such command.
 */
import { echoBuiltin, printfBuiltin, testBuiltin } from '../shell/builtins.js';
import { latin1Text } from '../shared/bytes.js';
import type { CommandIo } from '../shell/io.js';
import type { Steps } from '../shell/wait.js';
import { busyboxArgs } from './busybox-options.js';
import { failureStatus, notModelled } from './command-errors.js';
import type { Lab } from './lab.js';
import { isLink } from './nodes.js';
import { type CommandRegistry, runCommand } from './registry.js';
import { fileKind, readPath } from './vfs.js';

/** busybox's ISSPACE: blank, tab, newline, vertical tab, form feed and carriage return. */
const isXargsSpace = (c: string): boolean => c === ' ' || (c >= '\t' && c <= '\r');

/**
 * busybox's reading of items as the input comes: blank-separated with quotes and backslashes,
 * NUL-separated with -0, or whole lines with -I (leading blanks dropped, empty lines skipped, as
 * busybox 1.35 does: fixtures/kernel/125). `push` takes text and returns the items it completed;
 * `partialChars` is the length of the item being read, which busybox bounds by its buffer.
 *
 * A blank-separated item exists only once it holds a character, as in busybox's process_stdin
 * (`p != s`): an empty quoted word (`''`, `""`) is no item at all, and a quote opened at the end
 * of the input with nothing in it is no error. The quote state lives as long as the input, across
 * command lines: busybox 1.35 keeps it in its globals since 1.32 (commit 1ff7002b1, bug 11441),
 * so a quoted item cut by a full command line goes on quoted in the next one.
 */
export class ItemReader {
  private current = '';
  private quote: '"' | "'" | null = null;
  private escaped = false;

  constructor(private readonly mode: 'blank' | 'nul' | 'line') {}

  get partialChars(): number {
    return this.current.length;
  }

  push(text: string): string[] {
    const items: string[] = [];
    for (let i = 0; i < text.length; i++) {
      const item = this.take(text[i]!);
      if (item !== null) items.push(item);
    }
    return items;
  }

  /** The input's end: the last item, or the error of an unmatched quote around some text. */
  end(): { item: string | null } | { error: string } {
    if (this.current === '') return { item: null };
    if (this.quote !== null) return { error: `xargs: unmatched ${this.quote === '"' ? 'double' : 'single'} quote\n` };
    return { item: this.close() };
  }

  private close(): string | null {
    const item = this.current;
    this.current = '';
    if (this.mode === 'line') {
      const line = item.replace(/^[ \t\v\f\r]+/, '');
      return line === '' ? null : line;
    }
    return this.mode === 'nul' || item !== '' ? item : null;
  }

  private take(c: string): string | null {
    if (this.mode === 'nul') return c === '\0' ? this.close() : this.add(c);
    if (this.mode === 'line') return c === '\n' ? this.close() : this.add(c);
    if (this.escaped) {
      this.escaped = false;
      return this.add(c);
    }
    if (this.quote !== null) {
      if (c === this.quote) this.quote = null;
      else this.current += c;
      return null;
    }
    if (c === '"' || c === "'") this.quote = c;
    else if (c === '\\') this.escaped = true;
    else if (isXargsSpace(c)) return this.close();
    else return this.add(c);
    return null;
  }

  private add(c: string): null {
    this.current += c;
    return null;
  }
}

/**
 * Runs one command line as busybox runs a program (xargs's, env's): echo, printf, test, true and
 * false as the VM's applets, the rest through the registry, with `io` as the program's own. Its
 * exit status, or null when there is no such command. `sh` is refused by name: a lab command
 * cannot start the shell.
 */
export function* runProgram(
  lab: Lab,
  registry: CommandRegistry,
  argv: readonly string[],
  io: CommandIo,
  runner: string,
): Steps<number | null> {
  const [name, ...args] = argv as [string, ...string[]];
  const sizeBytes = (p: string): number => {
    const data = readPath(lab, p);
    return typeof data === 'string' ? 0 : data.length;
  };
  const builtins: Record<string, () => ReturnType<typeof echoBuiltin>> = {
    echo: () => echoBuiltin(args),
    true: () => ({ writes: [], status: 0 }),
    false: () => ({ writes: [], status: 1 }),
    printf: () => printfBuiltin(args),
    test: () =>
      testBuiltin('test', args, {
        kind: (p) => fileKind(lab, p),
        isLink: (p) => isLink(lab, p),
        sizeBytes,
        entries: () => null,
      }),
  };
  const builtin = builtins[name];
  if (builtin !== undefined) {
    const r = builtin();
    for (const [fd, text] of r.writes) (fd === 1 ? io.out : io.err)(text);
    return r.status;
  }
  if (name === 'sh' || name === 'ash') throw notModelled(`${runner} running sh (a lab command cannot start the shell)`);
  const steps = runCommand(registry, lab, name, args, io);
  if (steps === null) return null;
  return yield* steps;
}

/** busybox's check of -n's number. */
function badCount(text: string | undefined): string | null {
  if (text === undefined) return null;
  if (!/^[0-9]+$/.test(text)) return `xargs: invalid number '${text}'\n`;
  const n = Number(text);
  return n < 1 || n > 2147483647 ? `xargs: number ${text} is not in 1..2147483647 range\n` : null;
}

/**
 * The bytes of one command line busybox builds: ARG_MAX capped at 32 KiB, less the 2,048 POSIX
 * leaves for the environment; the command's own words (each with its NUL) come off it too.
 * fixtures/lvm/92: `seq 1 20000 | xargs echo` runs echo 4 times, the first with 30,713 bytes.
 */
export const XARGS_LINE_BYTES = 32 * 1024 - 2048;

/** How one xargs run groups its items into command lines, and where it is. */
interface Batching {
  readonly prog: readonly string[];
  readonly replace: string | undefined;
  readonly maxArgs: number;
  readonly maxChars: number;
  readonly trace: boolean;
  batch: string[];
  usedBytes: number;
  ran: boolean;
  status: number;
  /** The status xargs ends with now (busybox stops on 124-127, a closed output stops it too), or null. */
  stop: number | null;
}

/** Runs the pending command line, as busybox does once its line is full or its input ends. */
function* runBatch(lab: Lab, registry: CommandRegistry, b: Batching, io: CommandIo): Steps<void> {
  const replace = b.replace;
  const line = replace === undefined ? [...b.prog, ...b.batch] : b.prog.map((a) => a.split(replace).join(b.batch[0]!));
  b.batch = [];
  b.usedBytes = 0;
  b.ran = true;
  if (b.trace) io.err(`${line.join(' ')}\n`);
  // A write its reader no longer takes ends xargs, as SIGPIPE does (the shell then gives it 141).
  let closed = false;
  const child: CommandIo = {
    stdin: new Uint8Array(0),
    err: (t) => io.err(t),
    ...(io.stdoutIsTerminal === undefined ? {} : { stdoutIsTerminal: io.stdoutIsTerminal }),
    // The program gets xargs's environment (`xargs env`, `xargs which`).
    ...(io.environment === undefined ? {} : { environment: io.environment }),
    out: (d) => {
      const ok = io.out(d);
      if (ok === false) closed = true;
      return ok;
    },
  };
  let s: number | null;
  try {
    s = yield* runProgram(lab, registry, line, child, 'xargs');
  } catch (e) {
    // A generator's throw happens after the registry's guard returned: report it here.
    b.stop = failureStatus(e, io);
    return;
  }
  if (s === null) {
    io.err(`xargs: ${line[0]!}: No such file or directory\n`);
    b.stop = 127;
  } else if (s === 255) {
    io.err(`xargs: ${line[0]!}: exited with status 255; aborting\n`);
    b.stop = 124;
  } else if (s !== 0) b.status = 123;
  if (closed) b.stop ??= b.status;
}

/** Adds a whole item: the pending line runs first when the item does not fit in it. */
function* addItem(lab: Lab, registry: CommandRegistry, b: Batching, io: CommandIo, item: string): Steps<void> {
  if (b.batch.length > 0 && b.usedBytes + item.length + 1 > b.maxChars) yield* runBatch(lab, registry, b, io);
  if (b.stop !== null) return;
  if (item.length + 1 > b.maxChars) {
    io.err('xargs: argument line too long\n');
    b.stop = 1;
    return;
  }
  b.batch.push(item);
  b.usedBytes += item.length + 1;
  if (b.batch.length >= b.maxArgs) yield* runBatch(lab, registry, b, io);
}

/** busybox's buffer fills inside an item: the line so far runs, and an item that fills it alone is too long. */
function* partialItem(lab: Lab, registry: CommandRegistry, b: Batching, io: CommandIo, chars: number): Steps<void> {
  if (b.batch.length > 0 && b.usedBytes + chars >= b.maxChars) yield* runBatch(lab, registry, b, io);
  if (b.stop === null && chars >= b.maxChars) {
    io.err('xargs: argument line too long\n');
    b.stop = 1;
  }
}

interface ParsedXargs {
  readonly flags: ReadonlySet<string>;
  readonly values: ReadonlyMap<string, string>;
  readonly operands: readonly string[];
}

/** The command line an xargs run starts from, with its limits, or the error that stops it. */
function batching(parsed: ParsedXargs): Batching | string {
  const count = badCount(parsed.values.get('n'));
  if (count !== null) return count;
  const prog = parsed.operands.length > 0 ? parsed.operands : ['echo'];
  const maxChars = XARGS_LINE_BYTES - prog.reduce((n, a) => n + a.length + 1, 0);
  if (maxChars <= 0) return "xargs: can't fit single argument within argument list size limit\n";
  const replace = parsed.values.get('I');
  const n = parsed.values.get('n');
  return {
    prog,
    replace,
    maxArgs: replace !== undefined ? 1 : n !== undefined ? Number(n) : Number.POSITIVE_INFINITY,
    maxChars,
    trace: parsed.flags.has('t'),
    batch: [],
    usedBytes: 0,
    ran: false,
    status: 0,
    stop: null,
  };
}

/**
 * busybox 1.35 `xargs`, as its input comes: each command line runs once it is full (-n items, one
 * line with -I, or XARGS_LINE_BYTES) or the input ends, so `yes | xargs -n1 echo | head -n 2`
 * ends at once and xargs never holds more than one command line (fixtures/lvm/92). Its status is
 * 123 once a command line has failed, even when later ones succeed (the VM's busybox 1.35 and 1.37).
 */
export function* xargs(lab: Lab, args: readonly string[], io: CommandIo, registry: CommandRegistry): Steps<number> {
  const parsed = busyboxArgs(lab.machine.stack, 'xargs', args, '0nIrt', 'apEesPx', {
    valued: 'nIaEsP',
    optionalValued: 'e',
    stopAtOperand: true,
  });
  if ('error' in parsed) {
    io.err(parsed.error);
    return 1;
  }
  const b = batching(parsed);
  if (typeof b === 'string') {
    io.err(b);
    return 1;
  }
  const reader = new ItemReader(parsed.flags.has('0') ? 'nul' : b.replace !== undefined ? 'line' : 'blank');
  // Where standard input is no stream (a command run outside a shell) it comes whole, as one chunk.
  let whole: Uint8Array | null = io.read === undefined ? io.stdin : null;
  for (;;) {
    let chunk: Uint8Array | null = whole;
    whole = null;
    if (io.read !== undefined) chunk = yield* io.read();
    if (chunk === null) break;
    for (const item of reader.push(latin1Text(chunk))) {
      yield* addItem(lab, registry, b, io, item);
      if (b.stop !== null) return b.stop;
    }
    yield* partialItem(lab, registry, b, io, reader.partialChars);
    if (b.stop !== null) return b.stop;
  }
  const last = reader.end();
  if ('error' in last) {
    io.err(last.error);
    return 1;
  }
  if (last.item !== null) yield* addItem(lab, registry, b, io, last.item);
  if (b.stop !== null) return b.stop;
  // With no items at all busybox runs the command once, bare (not with -r, nor with -I).
  if (b.batch.length > 0 || (!b.ran && !parsed.flags.has('r') && b.replace === undefined))
    yield* runBatch(lab, registry, b, io);
  return b.stop ?? b.status;
}
