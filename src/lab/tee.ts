/**
 * busybox 1.35's tee (coreutils/tee.c, block I/O): standard input to standard output and to each
 * FILE (`-` is standard output again), a chunk at a time as it reads it. Checked against the
 * host's busybox 1.35.0 (src/lab/path-applets.test.ts).
 */
import type { CommandIo, WritableFile } from '../shell/io.js';
import type { Steps } from '../shell/wait.js';
import { busyboxArgs } from './busybox-options.js';
import { openCommandOutput } from './command-output.js';
import type { ShellContext } from './context.js';
import { concatBytes } from '../shared/bytes.js';
import { type Chunks, stdinChunks } from './stdin-chunks.js';
import { consume } from './text-streams.js';

/** tee's buffer (bb_common_bufsiz1: glibc's BUFSIZ and one), the most one of its reads takes. */
const TEE_BUFFER_BYTES = 8193;

/**
 * Standard input as tee's read(2) calls see it: from a pipe, what the pipe holds (however many
 * writes put it there) up to the buffer, waiting only when it holds nothing; from a file, a
 * buffer's worth. So `printf 'a\nb\n' | tee -` prints `a b a b` as on the VM, not `a a b b`
 * (seed 17 case 1578 of the shell-diff campaign).
 */
function reads(io: CommandIo, bufferBytes: number): Chunks {
  const next = stdinChunks(io);
  let held: Uint8Array = new Uint8Array(0);
  let ended = false;
  return function* () {
    const parts: Uint8Array[] = [];
    let got = 0;
    while (got < bufferBytes) {
      if (held.length === 0) {
        if (ended || (got > 0 && io.stdinIsPipe === true && (io.bufferedBytes?.() ?? 0) === 0)) break;
        const c = yield* next();
        if (c === null || typeof c === 'string') {
          ended = true;
          if (typeof c === 'string' && got === 0) return c;
          break;
        }
        held = c;
      }
      const n = Math.min(bufferBytes - got, held.length);
      parts.push(held.subarray(0, n));
      held = held.subarray(n);
      got += n;
    }
    return got === 0 ? null : concatBytes(parts);
  };
}

/** `tee [-ai] [FILE]...`: -a appends; -i (ignore SIGINT) changes nothing in the lab, where no signal comes. */
export function* teeStream(ctx: ShellContext, args: readonly string[], io: CommandIo): Steps<number> {
  const parsed = busyboxArgs(ctx.machine.stack, 'tee', args, 'ia', '');
  if ('error' in parsed) {
    io.err(parsed.error);
    return 1;
  }
  let status = 0;
  /** Each output after standard output, in order: a file, or null for `-` (standard output again). */
  const outputs: Array<{ name: string; file: WritableFile | null }> = [];
  for (const name of parsed.operands) {
    if (name === '-') {
      outputs.push({ name, file: null });
      continue;
    }
    const file = openCommandOutput(ctx, name, parsed.flags.has('a'), 'tee');
    // fopen_or_warn (`tee: NAME: ERROR`): the file is left out and tee goes on, to exit 1.
    if (typeof file === 'string') {
      io.err(`tee: ${name}: ${file}\n`);
      status = 1;
    } else outputs.push({ name, file });
  }
  let killed = false;
  yield* consume(reads(io, TEE_BUFFER_BYTES), (c) => {
    // Standard output first: a reader that has gone kills tee (SIGPIPE) before the files get the chunk.
    if (io.out(c) === false) {
      killed = true;
      return false;
    }
    for (const o of outputs) {
      if (o.file === null ? io.out(c) === false : !o.file.append(c)) {
        if (o.file === null) {
          killed = true;
          return false;
        }
      }
    }
    return true;
  });
  if (killed) return 1;
  // die_if_ferror on each file in turn: the first that failed a write ends tee with its name.
  const failed = outputs.find((o) => o.file?.failure != null);
  if (failed !== undefined) {
    io.err(`tee: ${failed.name}: I/O error\n`);
    return 1;
  }
  return status;
}
