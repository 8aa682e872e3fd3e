/**
 * busybox 1.35's `cmp [-l|-s] [-n NUM] FILE1 [FILE2 [SKIP1 [SKIP2]]]` over the lab's files and
 * devices: both inputs stream side by side a chunk at a time, so comparing a metadata device with
 * its copy never holds either. Texts and statuses are the host's busybox 1.35.0 (src/lab/cmp.test.ts)
 * and the VM's (fixtures/kernel/211): 0 the same, 1 a difference or an early end, 2 trouble.
 */
import type { CommandIo } from '../shell/io.js';
import type { Steps } from '../shell/wait.js';
import { busyboxBanner } from './busybox-banner.js';
import { BUSYBOX_USAGE, busyboxArgs } from './busybox-options.js';
import type { ShellContext } from './context.js';
import { type Chunks, stdinChunks } from './stdin-chunks.js';
import { pathChunks } from './text-streams.js';

/** An input read in spans of its chunks, so two inputs can be compared a run of bytes at a time. */
class SpanReader {
  private chunk: Uint8Array = new Uint8Array(0);
  private at = 0;
  /** The read error's text, once one happened. */
  error: string | null = null;

  constructor(private readonly chunks: Chunks) {}

  /** The bytes not yet taken of the current chunk (the next chunk once it is used up); empty at the end. */
  *span(): Steps<Uint8Array> {
    while (this.at >= this.chunk.length) {
      if (this.error !== null) return new Uint8Array(0);
      const c = yield* this.chunks();
      if (c === null) return new Uint8Array(0);
      if (typeof c === 'string') {
        this.error = c;
        return new Uint8Array(0);
      }
      this.chunk = c;
      this.at = 0;
    }
    return this.chunk.subarray(this.at);
  }

  take(n: number): void {
    this.at += n;
  }

  /** Skips `n` bytes (cmp's SKIP operands). */
  *skip(n: number): Steps<void> {
    for (let left = n; left > 0; ) {
      const s = yield* this.span();
      if (s.length === 0) return;
      const k = Math.min(left, s.length);
      this.take(k);
      left -= k;
    }
  }
}

const STATUS_TROUBLE = 2;

function usage(ctx: ShellContext, io: CommandIo): number {
  io.err(`${busyboxBanner(ctx.machine.stack)}${BUSYBOX_USAGE.cmp}`);
  return 1;
}

export function* cmp(ctx: ShellContext, args: readonly string[], io: CommandIo): Steps<number> {
  const parsed = busyboxArgs(ctx.machine.stack, 'cmp', args, 'lsn', '', { valued: 'n' });
  if ('error' in parsed) {
    io.err(parsed.error);
    return 1;
  }
  const ops = parsed.operands;
  const list = parsed.flags.has('l');
  const silent = parsed.flags.has('s');
  // -l and -s exclude each other; at most two files and two skips.
  if (ops.length < 1 || ops.length > 4 || (list && silent)) return usage(ctx, io);
  const numbers = [...ops.slice(2), ...(parsed.values.has('n') ? [parsed.values.get('n')!] : [])];
  const bad = numbers.find((t) => !/^[0-9]+$/.test(t));
  if (bad !== undefined) {
    io.err(`cmp: invalid number '${bad}'\n`);
    return 1;
  }
  const names = [ops[0]!, ops[1] ?? '-'];
  const readers: SpanReader[] = [];
  for (const name of names) {
    const chunks = name === '-' ? stdinChunks(io) : pathChunks(ctx, name, false);
    if (typeof chunks === 'string') {
      if (!silent) io.err(`cmp: ${name}: ${chunks}\n`);
      return STATUS_TROUBLE;
    }
    readers.push(new SpanReader(chunks));
  }
  const skips = [Number(ops[2] ?? 0), Number(ops[3] ?? 0)];
  for (const [k, r] of readers.entries()) yield* r.skip(skips[k]!);
  const limit = parsed.values.has('n') ? Number(parsed.values.get('n')) : Number.POSITIVE_INFINITY;
  return yield* compare(io, readers as [SpanReader, SpanReader], names, { list, silent, limit });
}

interface CompareOptions {
  readonly list: boolean;
  readonly silent: boolean;
  readonly limit: number;
}

function* compare(
  io: CommandIo,
  [a, b]: [SpanReader, SpanReader],
  names: readonly string[],
  o: CompareOptions,
): Steps<number> {
  let line = 1;
  let offset = 0;
  let differs = false;
  let listed = '';
  const flush = (): void => {
    if (listed !== '') io.out(listed);
    listed = '';
  };
  while (offset < o.limit) {
    const x = yield* a.span();
    const y = yield* b.span();
    for (const [r, name] of [
      [a, names[0]],
      [b, names[1]],
    ] as const) {
      if (r.error !== null) {
        flush();
        // busybox's die_if_ferror names no errno: `NAME: I/O error` (fixtures/kernel/212); a
        // lab refusal keeps its own words.
        io.err(`cmp: ${name}: ${r.error.startsWith('thinlab: ') ? r.error : 'I/O error'}\n`);
        return STATUS_TROUBLE;
      }
    }
    if (x.length === 0 || y.length === 0) {
      if (x.length === 0 && y.length === 0) break;
      flush();
      // busybox names the input that ended first.
      if (!o.silent) io.err(`cmp: EOF on ${names[x.length === 0 ? 0 : 1]}\n`);
      return 1;
    }
    const n = Math.min(x.length, y.length, o.limit - offset);
    for (let i = 0; i < n; i++) {
      if (x[i] !== y[i]) {
        differs = true;
        if (o.silent) return 1;
        if (!o.list) {
          io.out(`${names[0]} ${names[1]} differ: char ${offset + i + 1}, line ${line}\n`);
          return 1;
        }
        listed += `${offset + i + 1} ${x[i]!.toString(8).padStart(3)} ${y[i]!.toString(8).padStart(3)}\n`;
      }
      if (x[i] === 10) line++;
    }
    a.take(n);
    b.take(n);
    offset += n;
    if (listed.length >= 65536) flush();
  }
  flush();
  return differs ? 1 : 0;
}
