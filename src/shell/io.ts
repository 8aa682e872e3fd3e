/**
 * Where a command's bytes go and come from. The lab runs every command to completion before the
 * next one (a pipeline's stages run in turn, each one's output buffered for the next), so a stream
 * is a byte array with a read position, and an output is a sink that takes bytes as they come.
 */
import { latin1Bytes, latin1Text } from '../shared/bytes.js';

/** Standard input shared by the commands that read it in turn (`while read l; do ...; done < f`). */
export class InputStream {
  private pos = 0;

  constructor(private readonly data: Uint8Array) {}

  static empty(): InputStream {
    return new InputStream(new Uint8Array(0));
  }

  /** Everything not read yet (a command that reads to the end of its input). */
  readAll(): Uint8Array {
    const rest = this.data.subarray(this.pos);
    this.pos = this.data.length;
    return rest;
  }

  /** One line without its newline, or null at the end; `ended` tells whether a newline ended it. */
  readLine(): { text: string; ended: boolean } | null {
    if (this.pos >= this.data.length) return null;
    let end = this.data.indexOf(10, this.pos);
    const ended = end >= 0;
    if (!ended) end = this.data.length;
    const text = latin1Text(this.data.subarray(this.pos, end));
    this.pos = ended ? end + 1 : end;
    return { text, ended };
  }
}

/**
 * What a command gets from the shell: its standard input, and writers for standard output and
 * standard error (which the shell interleaves in order, as a terminal would). The shell owns this
 * port; the lab's commands implement against it.
 */
export interface CommandIo {
  readonly stdin: Uint8Array;
  /**
   * Writes to standard output. False when no more will be taken (a pipe's buffer is full, see
   * PIPE_BUFFER_LIMIT_BYTES): a command that writes much (seq, cat, dd) stops there. Anything else: written.
   */
  out(bytes: Uint8Array | string): unknown;
  err(text: string): void;
}

/** A regular file a redirection appends to: the shell needs only its size and a write. */
export interface WritableFile {
  readonly sizeBytes: number;
  writeBytes(offset: number, bytes: Uint8Array): void;
}

export type Sink =
  | { readonly kind: 'terminal' }
  | { readonly kind: 'null' }
  /** A pipe or a command substitution: what one command writes, kept for the next. */
  | { readonly kind: 'buffer'; readonly chunks: Uint8Array[]; sizeBytes: number; overflowed: boolean }
  | { readonly kind: 'file'; readonly file: WritableFile }
  /** A module parameter: the text is applied when the redirection closes. */
  | { readonly kind: 'param'; text: string };

export const NULL_SINK: Sink = { kind: 'null' };
export const TERMINAL: Sink = { kind: 'terminal' };

/**
 * The most a pipe or a command substitution keeps. The lab runs a pipeline's commands one after
 * another, so a pipe holds all that its writer wrote (a real pipe holds 64 KiB and blocks the
 * writer); past this bound the writer is told to stop (CommandIo.out returns false), the rest is
 * dropped and the shell says so. 1 GiB is the oracle VM's whole memory: `dd if=/dev/mapper/X |
 * md5sum` of any device the lab makes (512 MiB RAM disks in the Docker demo) still fits.
 */
export const PIPE_BUFFER_LIMIT_BYTES = 1024 * 1024 * 1024;

export function bufferSink(): Sink & { kind: 'buffer' } {
  return { kind: 'buffer', chunks: [], sizeBytes: 0, overflowed: false };
}

/** A command's three standard streams. */
export interface Streams {
  readonly stdin: InputStream;
  readonly out: Sink;
  readonly err: Sink;
  /** Output descriptors above 2 (`3>file`), for `>&3`. */
  readonly more?: ReadonlyMap<number, Sink>;
}

export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * Writes to a sink; `terminal` is the shell's own output, collected in order. Returns false when a
 * buffer is full and dropped (some of) the data.
 */
export function writeSink(sink: Sink, data: Uint8Array | string, terminal: (text: string) => unknown): boolean {
  switch (sink.kind) {
    case 'terminal':
      // The terminal is bounded too (ShellSession.terminal): false when it is full.
      return terminal(typeof data === 'string' ? data : latin1Text(data)) !== false;
    case 'buffer': {
      const room = PIPE_BUFFER_LIMIT_BYTES - sink.sizeBytes;
      const bytes = typeof data === 'string' ? latin1Bytes(data.slice(0, Math.max(0, room))) : data.subarray(0, room);
      sink.chunks.push(bytes);
      sink.sizeBytes += bytes.length;
      if (bytes.length < data.length) {
        sink.overflowed = true;
        return false;
      }
      break;
    }
    case 'file': {
      const bytes = typeof data === 'string' ? latin1Bytes(data) : data;
      sink.file.writeBytes(sink.file.sizeBytes, bytes);
      break;
    }
    case 'param':
      sink.text += typeof data === 'string' ? data : latin1Text(data);
      break;
    default:
      break;
  }
  return true;
}
