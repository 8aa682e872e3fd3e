/**
 * Standard input as chunks, apart from the text tools that use it (text-streams.ts): dd reads its
 * input this way too, and `thinlab at` on a history of dd commands should not load every text tool
 * (and node:crypto for md5sum) to replay them (docs/performance.md).
 */
import type { CommandIo } from '../shell/io.js';
import type { Steps } from '../shell/wait.js';

/** The next chunk of an input, null at its end; a string is a read error (the errno's text). */
export type Chunks = () => Steps<Uint8Array | null | string>;

/** Standard input as chunks: streamed where the shell streams it, else the whole of it at once. */
export function stdinChunks(io: CommandIo): Chunks {
  if (io.read !== undefined) return io.read;
  let done = false;
  // biome-ignore lint/correctness/useYield: the whole input is there at once; no wait is needed.
  return function* () {
    if (done) return null;
    done = true;
    return io.stdin;
  };
}
