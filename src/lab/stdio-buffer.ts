/**
 * A C program's standard output as glibc buffers it: line by line on a terminal, in BUFSIZ blocks
 * anywhere else (a pipe, a file). Its standard error is never buffered, so where standard output
 * is not a terminal a program's error lines come before the output it printed ahead of them
 * (dmsetup's info of a device without a node on debian13, whose oracle pipes the script's output
 * through cat: fixtures/kernel/207-dmsetup-options).
 */
import type { StackId } from '../model/stack.js';
import { concatBytes, latin1Bytes } from '../shared/bytes.js';
import type { CommandIo } from '../shell/io.js';
import type { Steps } from '../shell/wait.js';

/**
 * Whether a script's own output is a terminal on the oracle: debian12's VM runs it on the serial
 * console, debian13's pipes it through `cat` (shared/oracle/kernel-dm-thin).
 */
const SCRIPT_OUTPUT_IS_TTY: Readonly<Record<StackId, boolean>> = { debian12: true, debian13: false };

/** Whether a command's standard output is a terminal in the VM: the shell's terminal, on a stack whose script output is one. */
export function stdoutIsTty(io: CommandIo, stack: StackId): boolean {
  return io.stdoutIsTerminal === true && SCRIPT_OUTPUT_IS_TTY[stack];
}

/** glibc's buffer for a stream that is not a terminal (BUFSIZ). */
export const STDIO_BUFFER_BYTES = 4096;

/**
 * Runs `run` with standard output buffered as glibc buffers it (nothing changes on a terminal):
 * whole blocks are written as they fill, the rest when the command ends.
 */
export function withStdioBuffer(
  io: CommandIo,
  stack: StackId,
  run: (io: CommandIo) => number | Steps<number>,
): number | Steps<number> {
  if (stdoutIsTty(io, stack)) return run(io);
  let held: Uint8Array = new Uint8Array(0);
  const buffered: CommandIo = Object.create(io, {
    out: {
      value: (bytes: Uint8Array | string): boolean => {
        held = concatBytes([held, typeof bytes === 'string' ? latin1Bytes(bytes) : bytes]);
        const whole = held.length - (held.length % STDIO_BUFFER_BYTES);
        if (whole > 0) {
          io.out(held.subarray(0, whole));
          held = held.slice(whole);
        }
        return true;
      },
    },
  });
  const flush = (): void => {
    if (held.length > 0) io.out(held);
    held = new Uint8Array(0);
  };
  const r = run(buffered);
  if (typeof r === 'number') {
    flush();
    return r;
  }
  return (function* () {
    const status = yield* r;
    flush();
    return status;
  })();
}
