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
import { LONGEST_STRING_CHARS, OutOfMemory } from '../shell/memory.js';
import type { Steps } from '../shell/wait.js';
import { busyboxArgs } from './busybox-options.js';
import { failureStatus, notModelled } from './command-errors.js';
import type { Lab } from './lab.js';
import { commandMemoryBytes } from './line-filters.js';
import { type CommandRegistry, runCommand } from './registry.js';
import { fileKind, readPath } from './vfs.js';

/** Blank-separated items with busybox's quoting; a string is the error for an unmatched quote. */
export function splitItems(text: string): string[] | string {
  const items: string[] = [];
  let current = '';
  let has = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote !== null) {
      if (c === quote) quote = null;
      else current += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      has = true;
    } else if (c === '\\' && i + 1 < text.length) {
      current += text[++i];
      has = true;
    } else if (c === ' ' || c === '\t' || c === '\n') {
      if (has) items.push(current);
      current = '';
      has = false;
    } else {
      current += c;
      has = true;
    }
  }
  if (quote !== null) return `xargs: unmatched ${quote === '"' ? 'double' : 'single'} quote\n`;
  if (has) items.push(current);
  return items;
}

/** The items of the input: NUL-separated (-0), whole lines (-I, leading blanks dropped) or blank-separated. */
function itemsOf(text: string, flags: ReadonlySet<string>): string[] | string {
  if (flags.has('0')) return text.split('\0').filter((s, i, all) => s !== '' || i < all.length - 1);
  if (flags.has('I'))
    return text
      .split('\n')
      .map((l) => l.replace(/^[ \t]+/, ''))
      .filter((l) => l !== '');
  return splitItems(text);
}

/**
 * Standard input whole, as latin1 text: streamed a chunk at a time when the shell streams it. The
 * lab's xargs runs its command once, after the whole input (busybox runs it each time its command
 * line is full), so an endless input is held until the memory left is taken: the OOM killer's
 * turn, never a JavaScript string too long.
 */
export function* readStdin(io: CommandIo, memoryLeft: () => number): Steps<string> {
  if (io.read === undefined) return latin1Text(io.stdin);
  const chunks: Uint8Array[] = [];
  let held = 0;
  let limit: number | null = null;
  for (;;) {
    const chunk = yield* io.read();
    if (chunk === null) return chunks.map(latin1Text).join('');
    chunks.push(chunk.slice());
    held += chunk.length;
    if (held < 1024 * 1024) continue;
    limit ??= Math.min(memoryLeft(), LONGEST_STRING_CHARS);
    if (held > limit) throw new OutOfMemory("xargs's input", held, limit);
  }
}

/** Runs one command line; its exit status, or null when there is no such command. */
function* runOne(lab: Lab, registry: CommandRegistry, argv: readonly string[], io: CommandIo): Steps<number | null> {
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
    test: () => testBuiltin('test', args, { kind: (p) => fileKind(lab, p), sizeBytes, entries: () => null }),
  };
  const builtin = builtins[name];
  if (builtin !== undefined) {
    const r = builtin();
    for (const [fd, text] of r.writes) (fd === 1 ? io.out : io.err)(text);
    return r.status;
  }
  if (name === 'sh' || name === 'ash') throw notModelled('xargs running sh (a lab command cannot start the shell)');
  const child: CommandIo = {
    stdin: new Uint8Array(0),
    out: (b) => io.out(b),
    err: (t) => io.err(t),
    stdoutIsTerminal: io.stdoutIsTerminal,
  };
  const steps = runCommand(registry, lab, name, args, child);
  if (steps === null) return null;
  return yield* steps;
}

/** The command lines to run: groups of -n items, or one per item with -I's string replaced. */
function commandLines(
  prog: readonly string[],
  items: readonly string[],
  flags: ReadonlySet<string>,
  values: ReadonlyMap<string, string>,
): string[][] {
  const replace = values.get('I');
  if (replace !== undefined) return items.map((item) => prog.map((a) => a.split(replace).join(item)));
  const n = values.has('n') ? Number(values.get('n')) : Number.POSITIVE_INFINITY;
  if (items.length === 0) return flags.has('r') ? [] : [[...prog]];
  const lines: string[][] = [];
  for (let i = 0; i < items.length; i += n) lines.push([...prog, ...items.slice(i, i + n)]);
  return lines;
}

/** busybox's check of -n's number. */
function badCount(text: string | undefined): string | null {
  if (text === undefined) return null;
  if (!/^[0-9]+$/.test(text)) return `xargs: invalid number '${text}'\n`;
  const n = Number(text);
  return n < 1 || n > 2147483647 ? `xargs: number ${text} is not in 1..2147483647 range\n` : null;
}

export function* xargs(lab: Lab, args: readonly string[], io: CommandIo, registry: CommandRegistry): Steps<number> {
  const parsed = busyboxArgs(lab.machine.stack, 'xargs', args, '0nIrt', 'apEesPx', {
    valued: 'nI',
    stopAtOperand: true,
  });
  if ('error' in parsed) {
    io.err(parsed.error);
    return 1;
  }
  const count = badCount(parsed.values.get('n'));
  if (count !== null) {
    io.err(count);
    return 1;
  }
  const items = itemsOf(yield* readStdin(io, () => commandMemoryBytes(lab)), parsed.flags);
  if (typeof items === 'string') {
    io.err(items);
    return 1;
  }
  const prog = parsed.operands.length > 0 ? parsed.operands : ['echo'];
  let status = 0;
  for (const line of commandLines(prog, items, parsed.flags, parsed.values)) {
    if (parsed.flags.has('t')) io.err(`${line.join(' ')}\n`);
    let s: number | null;
    try {
      s = yield* runOne(lab, registry, line, io);
    } catch (e) {
      // A generator's throw happens after the registry's guard returned: report it here.
      return failureStatus(e, io);
    }
    if (s === null) {
      io.err(`xargs: ${line[0]!}: No such file or directory\n`);
      return 127;
    }
    if (s === 255) {
      io.err(`xargs: ${line[0]!}: exited with status 255; aborting\n`);
      return 124;
    }
    if (s !== 0) status = 123;
  }
  return status;
}
