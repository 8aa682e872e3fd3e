/**
 * Where a command's bytes go and come from. Standard input is an InputStream: the bytes of a file
 * or a here-document (complete from the start), or the read end of a Pipe that a pipeline's
 * earlier command is still writing (src/shell/pipeline.ts runs the commands of a pipeline as
 * coroutines over such pipes). An output is a sink that takes bytes as they come.
 */
import { latin1Bytes, latin1Text } from '../shared/bytes.js';
import type { Steps, Wait } from './wait.js';

/** Standard input shared by the commands that read it in turn (`while read l; do ...; done < f`). */
export class InputStream {
  /** Unread bytes, oldest first; the first chunk is read from `offset` on. */
  protected chunks: Uint8Array[] = [];
  protected offset = 0;
  protected bufferedBytes = 0;
  /** No more bytes will come (a file's end, or a pipe whose writer has finished). */
  protected ended = true;
  /**
   * Set by a pipeline on its pipes: runs the writer a step, for a reader that wants the whole
   * input at once (a command that takes its standard input as one array). False when the writer
   * cannot run now.
   */
  pull: (() => boolean) | null = null;

  constructor(data?: Uint8Array) {
    if (data !== undefined && data.length > 0) this.push(data);
  }

  static empty(): InputStream {
    return new InputStream();
  }

  protected push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.bufferedBytes += bytes.length;
  }

  /** Whether the input has ended: every byte it will ever have is buffered. */
  get complete(): boolean {
    return this.ended;
  }

  /** Bytes buffered and not read yet. */
  get sizeBytes(): number {
    return this.bufferedBytes;
  }

  /**
   * Everything not read yet, to the end of the input (a command that reads to the end). A pipe
   * whose writer has not finished is run until it has, through `pull`.
   */
  readAll(): Uint8Array {
    this.runWriterToEnd();
    const rest = this.chunks.length === 1 && this.offset === 0 ? this.chunks[0]! : this.gather(this.bufferedBytes);
    this.chunks = [];
    this.offset = 0;
    this.bufferedBytes = 0;
    return rest;
  }

  /** Runs a pipe's writer until it has closed the pipe or cannot run now. */
  runWriterToEnd(): void {
    while (!this.ended && this.pull?.() === true) {
      // The writer ran a step.
    }
  }

  /** Whether readChunk can answer now: bytes are buffered, or the input has ended. */
  chunkReady(): boolean {
    return this.bufferedBytes > 0 || this.ended;
  }

  /** The oldest buffered bytes, or null at the end of the input (call when chunkReady). */
  readChunk(): Uint8Array | null {
    if (this.bufferedBytes === 0) return null;
    const first = this.chunks.shift()!;
    const bytes = first.subarray(this.offset);
    this.offset = 0;
    this.bufferedBytes -= bytes.length;
    return bytes;
  }

  /** Whether readLine can answer now: a whole line is buffered, or the input has ended. */
  lineReady(): boolean {
    if (this.ended) return true;
    for (let i = 0; i < this.chunks.length; i++) {
      if (this.chunks[i]!.indexOf(10, i === 0 ? this.offset : 0) >= 0) return true;
    }
    return false;
  }

  /** One line without its newline, or null at the end; `ended` tells whether a newline ended it. */
  readLine(): { text: string; ended: boolean } | null {
    if (this.bufferedBytes === 0) return null;
    let length = 0;
    for (let i = 0; i < this.chunks.length; i++) {
      const from = i === 0 ? this.offset : 0;
      const nl = this.chunks[i]!.indexOf(10, from);
      if (nl >= 0) {
        const text = latin1Text(this.gather(length + nl - from));
        this.skip(1);
        return { text, ended: true };
      }
      length += this.chunks[i]!.length - from;
    }
    return { text: latin1Text(this.gather(length)), ended: false };
  }

  /** A wait until a chunk (or a line) can be read: for a pipe's reader that found it empty. */
  dataWait(unit: 'chunk' | 'line'): Wait {
    return {
      kind: 'pipe',
      stream: this,
      drainable: true,
      ready: unit === 'line' ? () => this.lineReady() : () => this.chunkReady(),
    };
  }

  /** Takes `length` bytes off the front as one array. */
  private gather(length: number): Uint8Array {
    const out = new Uint8Array(length);
    let at = 0;
    while (at < length) {
      const first = this.chunks[0]!;
      const n = Math.min(length - at, first.length - this.offset);
      out.set(first.subarray(this.offset, this.offset + n), at);
      at += n;
      this.skip(n);
    }
    return out;
  }

  private skip(n: number): void {
    this.offset += n;
    this.bufferedBytes -= n;
    if (this.offset === this.chunks[0]!.length) {
      this.chunks.shift();
      this.offset = 0;
    }
  }
}

/**
 * A pipe between two commands of a pipeline. A real pipe holds 64 KiB and blocks its writer; the
 * lab's writers are plain functions that cannot block, so when a pipe holds PIPE_CAPACITY_BYTES
 * the pipe lets its reader run (`drain`, set by the pipeline) until the reader has taken what it
 * can. A reader that takes its input whole cannot run before the writer has finished, so the pipe
 * then keeps up to PIPE_BUFFER_LIMIT_BYTES. When the reader has finished, writes fail (the writer
 * would get SIGPIPE).
 */
export class Pipe extends InputStream {
  /** The reader has finished: what is written is lost, and the writer should stop. */
  readerGone = false;
  /** A write went past PIPE_BUFFER_LIMIT_BYTES and was cut. */
  overflowed = false;
  /** Set by the pipeline: lets the reader run while it takes data. */
  drain: (() => void) | null = null;
  /**
   * Set by the shell: the VM's memory left for what the pipe holds (one budget with files, RAM
   * disks and values, src/shell/memory.ts). Asked once, when the pipe first holds more than a
   * streaming reader ever leaves in it.
   */
  memoryLeft: (() => number) | null = null;
  /** What the pipe may hold, once asked. */
  private limitBytes: number | null = null;
  /** The reader said it was killed for the memory the pipe took (so the shell says nothing more). */
  reported = false;

  constructor() {
    super();
    this.ended = false;
  }

  /** False when the data was not all taken: the reader has gone, or the pipe is full for good. */
  write(data: Uint8Array): boolean {
    if (this.readerGone) return false;
    const room = this.limit(data.length) - this.bufferedBytes;
    const bytes = data.length > room ? data.subarray(0, room) : data;
    if (bytes.length > 0) this.push(bytes);
    if (bytes.length < data.length) {
      this.overflowed = true;
      return false;
    }
    if (this.bufferedBytes >= PIPE_CAPACITY_BYTES) this.drain?.();
    return !this.readerGone;
  }

  private limit(adding: number): number {
    if (this.bufferedBytes + adding <= STREAMING_PIPE_MAX_BYTES) return PIPE_BUFFER_LIMIT_BYTES;
    this.limitBytes ??= memoryBound(this.memoryLeft);
    return this.limitBytes;
  }

  /** The writer has finished: the reader gets the end of its input once it has read the rest. */
  closeWrite(): void {
    this.ended = true;
  }

  /** The reader has finished: the buffered bytes are dropped and later writes fail. */
  closeRead(): void {
    this.readerGone = true;
    this.chunks = [];
    this.offset = 0;
    this.bufferedBytes = 0;
  }
}

/**
 * /dev/zero given by a `<` redirection: zeros a chunk at a time, without end, for a command that
 * streams its input (`tr a b < /dev/zero | head -c 10` ends when head does, as busybox's does).
 * The shell refuses it by name to a command or builtin that would take it whole or by the line.
 */
export class EndlessZeros extends InputStream {
  private readonly zeros = new Uint8Array(ENDLESS_CHUNK_BYTES);

  constructor() {
    super();
    this.ended = false;
  }

  override chunkReady(): boolean {
    return true;
  }

  override readChunk(): Uint8Array {
    return this.zeros;
  }
}

/** How many zeros EndlessZeros gives a read: what a pipe holds. */
const ENDLESS_CHUNK_BYTES = 65536;

/**
 * What a command gets from the shell: its standard input, and writers for standard output and
 * standard error (which the shell interleaves in order, as a terminal would). The shell owns this
 * port; the lab's commands implement against it.
 */
export interface CommandIo {
  /** The whole standard input (a pipe's writer is run to its end first). */
  readonly stdin: Uint8Array;
  /**
   * Standard input a chunk at a time, null at its end: a command that streams (head, md5sum, wc)
   * reads this way, so that a pipe's writer and its reader take turns and neither holds all of it.
   * Absent where the input is not a stream (a command run outside a shell).
   */
  readonly read?: () => Steps<Uint8Array | null>;
  /**
   * Writes to standard output. False when no more will be taken (a pipe's buffer is full, see
   * PIPE_BUFFER_LIMIT_BYTES): a command that writes much (seq, cat, dd) stops there. Anything else: written.
   */
  out(bytes: Uint8Array | string): unknown;
  err(text: string): void;
  /**
   * The variables assigned before the command's name (`DM_DISABLE_UDEV=1 dmsetup ...`), which the
   * lab passes as the command's environment. The shell does not track `export`, so a variable
   * exported earlier is not here. Absent outside a shell.
   */
  readonly env?: ReadonlyMap<string, string>;
  /** The command's whole environment, `NAME=value` in ash's order (what `env` prints). Absent outside a shell. */
  readonly environment?: readonly string[];
  /** Bytes standard input holds now (`read` returns them without waiting); absent: unknown. */
  readonly bufferedBytes?: () => number;
  /** Whether standard input is a pipe (a read takes at most what it holds, as dd's does); absent: it is not. */
  readonly stdinIsPipe?: boolean;
  /** Whether standard output is the shell's terminal (ls prints columns there); absent: it is not. */
  readonly stdoutIsTerminal?: boolean;
  /**
   * Charges work that writes no output against the shell's step budget, a step per unit (dd's
   * records to a device or file): false once the budget is spent, and the command stops there.
   * Absent outside a shell.
   */
  readonly chargeSteps?: (steps: number) => boolean;
}

/** A regular file a redirection appends to. */
export interface WritableFile {
  /** Appends what fits; false when not all of it did (`failure` then says why). */
  append(bytes: Uint8Array): boolean;
  /** Why a write failed (`No space left on device`), once one has. */
  readonly failure: string | null;
}

export type Sink =
  | { readonly kind: 'terminal' }
  | { readonly kind: 'null' }
  /** A command substitution: what its commands write, kept for the value. */
  | {
      readonly kind: 'buffer';
      readonly chunks: Uint8Array[];
      sizeBytes: number;
      overflowed: boolean;
      /** The memory left for the value, as for a Pipe; asked once the value is large. */
      readonly memoryLeft: (() => number) | null;
      limitBytes: number | null;
    }
  /** The write end of a pipe between two commands of a pipeline. */
  | { readonly kind: 'pipe'; readonly pipe: Pipe }
  | { readonly kind: 'file'; readonly file: WritableFile }
  /** A module parameter: the text is applied when the redirection closes. */
  | { readonly kind: 'param'; text: string };

export const NULL_SINK: Sink = { kind: 'null' };
export const TERMINAL: Sink = { kind: 'terminal' };

/**
 * The most a pipe or a command substitution keeps. A pipe whose reader streams never holds more
 * than about PIPE_CAPACITY_BYTES; one whose reader takes its input whole (sort, sed, a command
 * that is not a stream) keeps all its writer wrote until the writer has finished, and a command
 * substitution keeps all of its value. Past this bound the writer is told to stop (CommandIo.out
 * returns false), the rest is dropped and the shell says so. 1 GiB is the oracle VM's whole memory.
 */
export const PIPE_BUFFER_LIMIT_BYTES = 1024 * 1024 * 1024;

/** A real pipe's capacity (Linux, 16 pages): past it the reader runs before the writer goes on. */
export const PIPE_CAPACITY_BYTES = 64 * 1024;

/**
 * The most a pipe holds while its reader streams: its capacity and one write of a command that
 * writes a MiB at a time. Below it a pipe is never cut, whatever the memory left, as a real pipe's
 * 64 KiB are never refused; above it the memory budget applies.
 */
export const STREAMING_PIPE_MAX_BYTES = 2 * 1024 * 1024;

/** What a pipe or a substitution may hold: the memory left, within the lab's own bound. */
function memoryBound(memoryLeft: (() => number) | null): number {
  const left = memoryLeft?.() ?? PIPE_BUFFER_LIMIT_BYTES;
  return Math.max(STREAMING_PIPE_MAX_BYTES, Math.min(PIPE_BUFFER_LIMIT_BYTES, left));
}

/** A command substitution's buffer; `memoryLeft` as for a Pipe. */
export function bufferSink(memoryLeft: (() => number) | null = null): Sink & { kind: 'buffer' } {
  return { kind: 'buffer', chunks: [], sizeBytes: 0, overflowed: false, memoryLeft, limitBytes: null };
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
      const limit =
        sink.sizeBytes + data.length <= STREAMING_PIPE_MAX_BYTES
          ? PIPE_BUFFER_LIMIT_BYTES
          : (sink.limitBytes ??= memoryBound(sink.memoryLeft));
      const room = limit - sink.sizeBytes;
      const bytes = typeof data === 'string' ? latin1Bytes(data.slice(0, Math.max(0, room))) : data.subarray(0, room);
      sink.chunks.push(bytes);
      sink.sizeBytes += bytes.length;
      if (bytes.length < data.length) {
        sink.overflowed = true;
        return false;
      }
      break;
    }
    case 'pipe':
      return sink.pipe.write(typeof data === 'string' ? latin1Bytes(data) : data);
    case 'file':
      return sink.file.append(typeof data === 'string' ? latin1Bytes(data) : data);
    case 'param':
      sink.text += typeof data === 'string' ? data : latin1Text(data);
      break;
    default:
      break;
  }
  return true;
}
