/**
 * busybox `dd`, the way the oracle VM's scripts use it: if= of= bs= ibs= obs= count= skip= seek=
 * conv=fsync|notrunc iflag=direct oflag=direct status=none|noxfer. Data moves as sector tokens
 * whenever it is sector aligned, so copying a pattern file to a thin device never builds the bytes.
 */
import { Errno, strerror } from '../model/errno.js';
import { type BlockDev, LAB_WOULD_BLOCK, type MetadataContent } from '../model/machine.js';
import { SECTOR_BYTES, type SectorDictionary } from '../model/sectors.js';
import { concatBytes, latin1Bytes } from '../shared/bytes.js';
import { type CommandIo, PIPE_CAPACITY_BYTES } from '../shell/io.js';
import type { Steps } from '../shell/wait.js';
import type { ShellContext } from './context.js';
import { LabFile, VM_MOUNT_SIZES } from './fs.js';
import { type Chunks, stdinChunks } from './stdin-chunks.js';
import { lookupPath, metadataAt, openFileForWrite, type PathTarget, staleMapperNode } from './vfs.js';

/** dd's buffer: whole sectors as tokens, or raw bytes. */
type Buf =
  | { readonly tokens: Uint32Array; readonly bytes?: undefined }
  | { readonly bytes: Uint8Array; readonly tokens?: undefined };

/** The page cache's unit for block device writes. */
const PAGE_BYTES = 4096;

const bufLength = (b: Buf): number => (b.tokens !== undefined ? b.tokens.length * SECTOR_BYTES : b.bytes.length);

const SUFFIXES: ReadonlyArray<readonly [string, number]> = [
  ['c', 1],
  ['w', 2],
  ['b', 512],
  ['kB', 1000],
  ['kD', 1000],
  ['k', 1024],
  ['K', 1024],
  ['MB', 1000000],
  ['MD', 1000000],
  ['M', 1048576],
  ['GB', 1000000000],
  ['GD', 1000000000],
  ['G', 1073741824],
];

/** busybox xatoull_sfx: a decimal number with an optional size suffix. */
export function parseDdNumber(text: string): number | null {
  const m = /^([0-9]+)([A-Za-z]*)$/.exec(text);
  if (m === null) return null;
  let mult = 1;
  if (m[2] !== '') {
    const s = SUFFIXES.find(([k]) => k === m[2]);
    if (s === undefined) return null;
    mult = s[1];
  }
  const v = Number(m[1]) * mult;
  return Number.isSafeInteger(v) ? v : null;
}

interface DdOptions {
  input: string | null;
  output: string | null;
  ibs: number;
  obs: number;
  count: number | null;
  skip: number;
  seek: number;
  fsync: boolean;
  notrunc: boolean;
  syncPad: boolean;
  directIn: boolean;
  directOut: boolean;
  statusNone: boolean;
  statusNoXfer: boolean;
}

function parseOptions(argv: readonly string[]): DdOptions | string {
  const o: DdOptions = {
    input: null,
    output: null,
    ibs: 512,
    obs: 512,
    count: null,
    skip: 0,
    seek: 0,
    fsync: false,
    notrunc: false,
    syncPad: false,
    directIn: false,
    directOut: false,
    statusNone: false,
    statusNoXfer: false,
  };
  for (const arg of argv) {
    const eq = arg.indexOf('=');
    if (eq < 0) return `dd: unknown operand ${arg}`;
    const key = arg.slice(0, eq);
    const value = arg.slice(eq + 1);
    const num = (): number | string => {
      const v = parseDdNumber(value);
      return v === null ? `dd: invalid number '${value}'` : v;
    };
    switch (key) {
      case 'if':
        o.input = value;
        break;
      case 'of':
        o.output = value;
        break;
      case 'bs':
      case 'ibs':
      case 'obs': {
        const v = num();
        if (typeof v === 'string') return v;
        if (v === 0) return `dd: number 0 is not in 1..9223372036854775807 range`;
        if (key !== 'obs') o.ibs = v;
        if (key !== 'ibs') o.obs = v;
        break;
      }
      case 'count':
      case 'skip':
      case 'seek': {
        const v = num();
        if (typeof v === 'string') return v;
        o[key] = v;
        break;
      }
      case 'conv':
        for (const c of value.split(',')) {
          if (c === 'fsync' || c === 'fdatasync') o.fsync = true;
          else if (c === 'notrunc') o.notrunc = true;
          else if (c === 'sync') o.syncPad = true;
          else if (c === 'noerror' || c === 'swab') return `dd: conv=${c} is not supported in the lab`;
          else return `dd: invalid conversion '${c}'`;
        }
        break;
      case 'iflag':
      case 'oflag':
        for (const f of value.split(',')) {
          if (f === 'direct') {
            if (key === 'iflag') o.directIn = true;
            else o.directOut = true;
          } else if (f === 'sync' || f === 'dsync' || f === 'fullblock') {
            // Synchronous writes behave like direct ones for a thin device: no FUA in the lab.
          } else return `dd: invalid ${key === 'iflag' ? 'input' : 'output'} flag '${f}'`;
        }
        break;
      case 'status':
        if (value === 'none') o.statusNone = true;
        else if (value === 'noxfer') o.statusNoXfer = true;
        else if (value !== 'progress') return `dd: invalid status '${value}'`;
        break;
      default:
        return `dd: unknown operand ${arg}`;
    }
  }
  return o;
}

/**
 * How dd stops. busybox prints the record counts after a write error, but dies at once, without
 * them, after a read error or a failed fsync (`bb_simple_perror_msg_and_die`).
 */
class DdFailure {
  constructor(
    readonly message: string,
    readonly printCounts = true,
  ) {}
}

/**
 * dd run to completion on its own: a queued write is waited for by running the machine's clock
 * (there is nothing else to run). The lab shell uses ddSteps instead, so that a background dd can
 * be parked while the script goes on.
 */
export function dd(ctx: ShellContext, argv: readonly string[], io: CommandIo): number {
  const steps = ddSteps(ctx, argv, io);
  let r = steps.next(true);
  while (!r.done) {
    const wait = r.value;
    // Nothing else runs here: a suspended device stays suspended, so only a queued bio can end.
    const ok = wait.kind === 'io' ? ctx.machine.runUntil(Number.POSITIVE_INFINITY, () => wait.ticket.done) : false;
    r = steps.next(ok);
  }
  return r.value;
}

/** busybox dd; yields where the kernel would block the process on a bio. */
/** The largest block buffer the lab's dd allocates: the VM's 1 GiB of memory could not hold more. */
const DD_BUFFER_LIMIT_BYTES = 1024 * 1024 * 1024;

/**
 * busybox dd allocates its block buffer before it opens anything: on the 1 GiB VM
 * `bs=100000000000` fails there, `dd: out of memory`, status 1 (fixtures/kernel-probes/90-shell-limits).
 */
function bufferAllocated<T extends { ibs: number; obs: number }>(options: T | string): T | string {
  if (typeof options === 'string') return options;
  return Math.max(options.ibs, options.obs) > DD_BUFFER_LIMIT_BYTES ? 'dd: out of memory' : options;
}

/**
 * Why dd cannot open its input or output, or null: a stale /dev/mapper node (its device gone)
 * fails with ENXIO; a missing input with ENOENT; writing where /dev/mapper has no node would make
 * a regular file in devtmpfs, which the lab refuses by name.
 */
function openProblem(
  ctx: ShellContext,
  source: PathTarget | { kind: 'stdin' },
  inPath: string,
  dest: PathTarget | { kind: 'stdout' },
  outPath: string,
): string | null {
  for (const [target, path] of [
    [source, inPath],
    [dest, outPath],
  ] as const) {
    if (target.kind === 'missing' && staleMapperNode(ctx, path) !== null)
      return `dd: can't open '${path}': No such device or address\n`;
  }
  if (source.kind === 'missing' || source.kind === 'param')
    return `dd: can't open '${inPath}': No such file or directory\n`;
  if (dest.kind !== 'missing' || !/^\/dev\/mapper\/./.test(outPath)) return null;
  // devtmpfs is writable: the real dd would make a regular file there, which a later
  // `dmsetup mknodes` refuses to replace ("A non-block device file ... is already present").
  return `thinlab: not modelled: dd of=${outPath} with no such node (it would create a regular file in /dev/mapper; dmsetup makes no node without udev: run \`dmsetup mknodes\` first)\n`;
}

/**
 * The most dd copies from a device without end to one that keeps nothing: the 4 GiB a text tool
 * reads of one device (text-streams.ts MAX_TOOL_READ_BYTES, not imported: dd must not load the
 * text tools, test/startup-modules.test.ts).
 */
const ENDLESS_COPY_LIMIT_BYTES = 4 * 1024 ** 3;

/** Inputs that never end, and outputs that take anything and keep nothing. */
const ENDLESS_INPUTS: ReadonlySet<string> = new Set(['zero', 'urandom']);
const BOTTOMLESS_OUTPUTS: ReadonlySet<string> = new Set(['null', 'zero', 'urandom']);

/**
 * A copy from /dev/zero or /dev/urandom to /dev/null (or zero, urandom) ends only at its count:
 * nothing fills, no reader goes away and no pipe charges the step budget. Past what a text tool
 * reads of one device (ENDLESS_COPY_LIMIT_BYTES) it is refused by name, as they are: the VM would copy
 * `bs=4k count=3055464578907` for years, and the lab ran it without end (issue 17's shell
 * campaign, seed 17 line 65317).
 */
function endlessCopy(
  o: { count: number | null; ibs: number },
  source: { kind: string },
  dest: { kind: string },
  inPath: string,
  outPath: string,
): string | null {
  if (!ENDLESS_INPUTS.has(source.kind) || !BOTTOMLESS_OUTPUTS.has(dest.kind)) return null;
  const bytes = o.count === null ? Number.POSITIVE_INFINITY : o.count * o.ibs;
  if (bytes <= ENDLESS_COPY_LIMIT_BYTES) return null;
  const what = o.count === null ? 'without a count' : `${bytes} bytes`;
  return `thinlab: not modelled: dd copying ${what} from ${inPath} to ${outPath} (the lab copies at most ${ENDLESS_COPY_LIMIT_BYTES / 1024 ** 3} GiB from a device without end in one command)\n`;
}

export function* ddSteps(ctx: ShellContext, argv: readonly string[], io: CommandIo): Steps<number> {
  const parsed = bufferAllocated(parseOptions(argv));
  if (typeof parsed === 'string') {
    io.err(`${parsed}\n`);
    return 1;
  }
  const o = parsed;
  const inPath = o.input ?? '-';
  const outPath = o.output ?? '-';
  const source: PathTarget | { kind: 'stdin' } = o.input === null ? { kind: 'stdin' } : lookupPath(ctx, o.input);
  let dest: PathTarget | { kind: 'stdout' } = o.output === null ? { kind: 'stdout' } : lookupPath(ctx, o.output);
  const problem = openProblem(ctx, source, inPath, dest, outPath) ?? endlessCopy(o, source, dest, inPath, outPath);
  if (problem !== null) {
    io.err(problem);
    return 1;
  }
  if (dest.kind === 'missing') {
    const created = openFileForWrite(ctx, outPath, !o.notrunc && o.seek === 0);
    // busybox's dd opens with xopen3, whose words are `can't open` whatever the flags.
    if (typeof created === 'number') {
      io.err(`dd: can't open '${outPath}': ${strerror(created)}\n`);
      return 1;
    }
    dest = { kind: 'file', file: created };
  } else if (dest.kind === 'file' && !o.notrunc && o.seek === 0) {
    dest.file.truncate();
  } else if (dest.kind === 'pattern' || dest.kind === 'param' || dest.kind === 'text') {
    io.err(`dd: can't open '${outPath}': Read-only file system\n`);
    return 1;
  }

  let inFull = 0;
  let inPart = 0;
  let outFull = 0;
  let outPart = 0;
  let inPos = o.skip * o.ibs;
  let outPos = o.seek * o.obs;
  // Standard input is read only when it is dd's input, a block at a time (a pipe's writer and dd take turns).
  const stdin = source.kind === 'stdin' ? new StdinBlocks(io) : null;
  let carryMetadata: MetadataContent | undefined;
  if (inPos === 0 && outPos === 0) carryMetadata = metadataAt(ctx, source as PathTarget);

  const finish = (failure: string | null): number => {
    if (failure !== null) io.err(`${failure}\n`);
    if (!o.statusNone) {
      io.err(`${inFull}+${inPart} records in\n${outFull}+${outPart} records out\n`);
    }
    return failure === null ? 0 : 1;
  };

  try {
    for (let n = 0; o.count === null || n < o.count; n++) {
      const chunk = yield* nextRecord(ctx, io, stdin, source, inPos, o, inPath);
      if (chunk === null) return 1;
      const len = bufLength(chunk);
      if (len === 0) break;
      inPos += len;
      if (len === o.ibs) inFull++;
      else inPart++;
      // With bs= the block is written as read; obs splits it otherwise.
      let offset = 0;
      while (offset < len) {
        const piece = Math.min(o.obs, len - offset);
        const part = slice(chunk, offset, piece, ctx.machine.dictionary);
        // busybox's O_DIRECT write needs a page-aligned buffer: with smaller blocks it falls back
        // to buffered I/O (seen on the oracle), where errors surface only at the next fsync.
        const direct = o.directOut && o.obs % PAGE_BYTES === 0;
        const written = yield* writeChunk(ctx, dest, io, outPos, part, direct, outPath, carryMetadata);
        carryMetadata = undefined;
        outPos += written;
        if (written === o.obs) outFull++;
        else outPart++;
        offset += piece;
      }
    }
    if (o.fsync && dest.kind === 'block') {
      const errno = yield* fsyncBlock(ctx, dest.dev);
      if (errno !== 0) {
        // busybox dies on a failed fsync without printing the record counts.
        io.err(`dd: ${outPath}: ${strerror(errno)}\n`);
        return 1;
      }
    }
  } catch (e) {
    if (e instanceof OutputClosed) return 1;
    if (e instanceof DdFailure) {
      if (e.printCounts) return finish(e.message);
      io.err(`${e.message}\n`);
      return 1;
    }
    throw e;
  }
  return finish(null);
}

/**
 * dd's next input record, or null once the shell's step budget is spent: a record is a step
 * (`dd if=/dev/zero of=/dev/ram0 bs=1` is 67 million records and writes no output the budget
 * would count; issue 17's shell campaign, seed 17 lines 82066 and 86368). The shell reports it.
 */
function* nextRecord(
  ctx: ShellContext,
  io: CommandIo,
  stdin: StdinBlocks | null,
  source: PathTarget | { kind: 'stdin' },
  inPos: number,
  o: { readonly ibs: number; readonly directIn: boolean },
  inPath: string,
): Steps<Buf | null> {
  if (io.chargeSteps?.(1) === false) return null;
  return stdin !== null
    ? yield* stdin.read(inPos, o.ibs)
    : yield* readChunk(ctx, source, inPos, o.ibs, o.directIn, inPath);
}

/** fsync on a block device: the flush, then any writeback error not yet reported (once). */
function* fsyncBlock(ctx: ShellContext, dev: BlockDev): Steps<number> {
  const ticket = ctx.machine.flush(dev);
  if (!ticket.done) yield { kind: 'io', ticket };
  const pending = dev.writebackErrno;
  dev.writebackErrno = 0;
  if (pending !== 0) return pending;
  return ticket.errno;
}

function slice(b: Buf, offset: number, length: number, dictionary: SectorDictionary): Buf {
  if (b.tokens !== undefined && offset % SECTOR_BYTES === 0 && length % SECTOR_BYTES === 0) {
    return { tokens: b.tokens.subarray(offset / SECTOR_BYTES, (offset + length) / SECTOR_BYTES) };
  }
  return { bytes: toBytes(b, dictionary).subarray(offset, offset + length) };
}

/** The bytes of a buffer; tokens are turned into bytes with the machine's sector dictionary. */
function toBytes(b: Buf, dictionary: SectorDictionary): Uint8Array {
  if (b.bytes !== undefined) return b.bytes;
  return dictionary.bytesOf(b.tokens);
}

function* readChunk(
  ctx: ShellContext,
  source: PathTarget | { kind: 'stdin' },
  pos: number,
  size: number,
  direct: boolean,
  path: string,
): Steps<Buf> {
  switch (source.kind) {
    case 'zero':
      return size % SECTOR_BYTES === 0
        ? { tokens: new Uint32Array(size / SECTOR_BYTES) }
        : { bytes: new Uint8Array(size) };
    case 'urandom':
      return { bytes: ctx.machine.readUrandom(size) };
    case 'null':
      return { bytes: new Uint8Array(0) };
    case 'pattern': {
      const n = Math.max(0, Math.min(size, source.sizeBytes - pos));
      if (n % SECTOR_BYTES === 0) return { tokens: new Uint32Array(n / SECTOR_BYTES).fill(source.token) };
      return { bytes: new Uint8Array(n).fill(source.token) };
    }
    case 'file': {
      const n = Math.max(0, Math.min(size, source.file.sizeBytes - pos));
      if (pos % SECTOR_BYTES === 0 && n % SECTOR_BYTES === 0) {
        const tokens = source.file.readTokens(pos / SECTOR_BYTES, n / SECTOR_BYTES);
        if (tokens !== null) return { tokens };
      }
      return { bytes: source.file.readBytes(pos, n) };
    }
    case 'block':
      return yield* readBlock(ctx, source.dev, pos, size, direct, path);
    case 'text': {
      const bytes = latin1Bytes(source.text);
      return { bytes: bytes.subarray(Math.min(pos, bytes.length), Math.min(pos + size, bytes.length)) };
    }
    default:
      throw new DdFailure(`dd: can't open '${path}': No such file or directory`);
  }
}

function* readBlock(
  ctx: ShellContext,
  dev: BlockDev,
  pos: number,
  size: number,
  direct: boolean,
  path: string,
): Steps<Buf> {
  const m = ctx.machine;
  const devBytes = m.sizeSectors(dev) * SECTOR_BYTES;
  const n = Math.max(0, Math.min(size, devBytes - pos));
  if (n === 0) return { bytes: new Uint8Array(0) };
  if (direct && (pos % SECTOR_BYTES !== 0 || n % SECTOR_BYTES !== 0)) {
    throw new DdFailure(`dd: ${path}: ${strerror(Errno.EINVAL)}`, false);
  }
  const first = Math.floor(pos / SECTOR_BYTES);
  const last = Math.ceil((pos + n) / SECTOR_BYTES);
  let r = m.readSectors(dev, first, last - first);
  // A read from a suspended device waits for its resume, as the write does.
  while (!r.ok && r.errno === LAB_WOULD_BLOCK) {
    const resumed = yield { kind: 'resume', dev: m.awaitedResume(dev) };
    if (!resumed) break;
    r = m.readSectors(dev, first, last - first);
  }
  if (!r.ok) throw readFailure(path, r.errno);
  if (pos % SECTOR_BYTES === 0 && n % SECTOR_BYTES === 0) return { tokens: r.value };
  const bytes = m.dictionary.bytesOf(r.value);
  const skip = pos - first * SECTOR_BYTES;
  return { bytes: bytes.subarray(skip, skip + n) };
}

function readFailure(path: string, errno: number): DdFailure {
  if (errno === LAB_WOULD_BLOCK)
    return new DdFailure(
      `dd: ${path}: the device is suspended; on a real machine the read would wait for a resume (thinlab stops it here)`,
      false,
    );
  return new DdFailure(`dd: ${path}: ${strerror(errno)}`, false);
}

/**
 * dd's standard input, read as busybox dd reads it: a read from a pipe returns what the pipe holds,
 * at most its 64 KiB capacity (a partial record, `0+1 records in`, as on the VM), and a read from
 * a file or a here-document a whole block. The bytes before `pos` (skip=) are read and dropped.
 */
class StdinBlocks {
  private held: Uint8Array = new Uint8Array(0);
  private readBytes = 0;
  private ended = false;
  private readonly next: Chunks;

  constructor(private readonly io: CommandIo) {
    this.next = stdinChunks(io);
  }

  *read(pos: number, size: number): Steps<Buf> {
    while (this.readBytes < pos) {
      if (!(yield* this.fill())) return { bytes: new Uint8Array(0) };
      const n = Math.min(pos - this.readBytes, this.held.length);
      this.take(n);
    }
    const limit = this.io.stdinIsPipe === true ? Math.min(size, PIPE_CAPACITY_BYTES) : size;
    const parts: Uint8Array[] = [];
    let got = 0;
    while (got < limit && (yield* this.fill())) {
      const part = this.take(Math.min(limit - got, this.held.length));
      parts.push(part);
      got += part.length;
      // From a pipe, one read takes what is there, however many writes put it there, and never waits for more.
      if (this.io.stdinIsPipe === true && this.held.length === 0 && (this.io.bufferedBytes?.() ?? 0) === 0) break;
    }
    return { bytes: concatBytes(parts) };
  }

  /** Whether bytes are held (after waiting for a chunk if none are); false at the end of the input. */
  private *fill(): Steps<boolean> {
    while (this.held.length === 0 && !this.ended) {
      const c = yield* this.next();
      if (c === null || typeof c === 'string') this.ended = true;
      else this.held = c;
    }
    return this.held.length > 0;
  }

  private take(n: number): Uint8Array {
    const part = this.held.subarray(0, n);
    this.held = this.held.subarray(n);
    this.readBytes += n;
    return part;
  }
}

/** Standard output took no more: dd stops without its record counts, as SIGPIPE stops it. */
class OutputClosed {}

/** Writes one output block; returns the bytes written (short at the end of a device). */
function* writeChunk(
  ctx: ShellContext,
  dest: PathTarget | { kind: 'stdout' },
  io: CommandIo,
  pos: number,
  data: Buf,
  direct: boolean,
  path: string,
  metadata: MetadataContent | undefined,
): Steps<number> {
  const len = bufLength(data);
  switch (dest.kind) {
    case 'stdout':
      // The output takes no more (a pipe's reader has ended): busybox dd dies of SIGPIPE there,
      // printing nothing more.
      if (io.out(toBytes(data, ctx.machine.dictionary)) === false) throw new OutputClosed();
      return len;
    case 'null':
      return len;
    case 'zero':
    case 'urandom':
      // The kernel takes writes to /dev/urandom as entropy; they change nothing a script sees.
      return len;
    case 'file': {
      const fits = ctx.fs.room(dest.file, pos, len, VM_MOUNT_SIZES[ctx.machine.stack]);
      if (fits < len) {
        // The file's tmpfs is full: what fits is written, and busybox dd fails on the block
        // (fixtures/kernel-probes/90-shell-limits: the block is not counted as written).
        if (fits > 0) dest.file.writeBytes(pos, toBytes(data, ctx.machine.dictionary).subarray(0, fits));
        throw new DdFailure(`dd: writing '${path}': ${strerror(Errno.ENOSPC)}`);
      }
      if (data.tokens !== undefined && pos % SECTOR_BYTES === 0) dest.file.writeTokens(pos / SECTOR_BYTES, data.tokens);
      else dest.file.writeBytes(pos, toBytes(data, ctx.machine.dictionary));
      if (metadata !== undefined && pos === 0) dest.file.metadata = metadata;
      return len;
    }
    case 'block':
      return yield* writeBlock(ctx, dest.dev, pos, data, direct, path, metadata);
    default:
      throw new DdFailure(`dd: can't open '${path}': Read-only file system`);
  }
}

function* writeBlock(
  ctx: ShellContext,
  dev: BlockDev,
  pos: number,
  data: Buf,
  direct: boolean,
  path: string,
  metadata: MetadataContent | undefined,
): Steps<number> {
  const m = ctx.machine;
  const devBytes = m.sizeSectors(dev) * SECTOR_BYTES;
  const len = bufLength(data);
  // blkdev_write_iter refuses a write to a read-only disk before it looks at the position
  // (fixtures/kernel/213: EPERM at the device's end too).
  if (m.isReadOnly(dev)) throw new DdFailure(`dd: error writing '${path}': ${strerror(Errno.EPERM)}`);
  if (pos >= devBytes) throw new DdFailure(`dd: error writing '${path}': ${strerror(Errno.ENOSPC)}`);
  const n = Math.min(len, devBytes - pos);
  // The kernel observed through the oracle writes sub-page pieces as whole 4 KiB pages, reading the
  // rest of the page first (busybox falls back from O_DIRECT, the page cache does the rest): a
  // 512-byte write into an unprovisioned thin block writes 4 KiB, zeros around the data.
  const pageAligned = pos % PAGE_BYTES === 0 && n % PAGE_BYTES === 0;
  let first: number;
  let tokens: Uint32Array;
  if (pageAligned) {
    first = pos / SECTOR_BYTES;
    tokens =
      data.tokens !== undefined && n === len
        ? data.tokens
        : m.dictionary.tokensOf(toBytes(data, m.dictionary).subarray(0, n));
  } else {
    const pageStart = Math.floor(pos / PAGE_BYTES) * PAGE_BYTES;
    const pageEnd = Math.min(Math.ceil((pos + n) / PAGE_BYTES) * PAGE_BYTES, devBytes);
    first = pageStart / SECTOR_BYTES;
    let r = m.readSectors(dev, first, (pageEnd - pageStart) / SECTOR_BYTES);
    // The page is read before it is changed, and that read waits for a resume as any read does.
    while (!r.ok && r.errno === LAB_WOULD_BLOCK) {
      if (!(yield { kind: 'resume', dev: m.awaitedResume(dev) })) break;
      r = m.readSectors(dev, first, (pageEnd - pageStart) / SECTOR_BYTES);
    }
    if (!r.ok)
      throw new DdFailure(
        `dd: error writing '${path}': ${strerror(r.errno === LAB_WOULD_BLOCK ? Errno.EIO : r.errno)}`,
      );
    const bytes = m.dictionary.bytesOf(r.value);
    bytes.set(toBytes(data, m.dictionary).subarray(0, n), pos - pageStart);
    tokens = m.dictionary.tokensOf(bytes);
  }
  if (dev.kind === 'ram') {
    const fault = m.writeFault(dev, first, tokens.length);
    if (fault !== 0) throw new DdFailure(`dd: error writing '${path}': ${strerror(fault)}`);
    m.writeStorage(dev.storage, first, tokens, metadata);
    return n;
  }
  let ticket = m.writeSectors(dev, first, tokens);
  // A suspended device holds the write until it is resumed: wait for that, then submit again.
  while (ticket.done && ticket.errno === LAB_WOULD_BLOCK) {
    const resumed = yield { kind: 'resume', dev: m.awaitedResume(dev) };
    if (!resumed) break;
    ticket = m.writeSectors(dev, first, tokens);
  }
  if (!ticket.done) {
    // The process sleeps on the bio; the caller decides how (see wait.ts).
    const released = yield { kind: 'io', ticket };
    if (!released) {
      throw new DdFailure(
        `dd: error writing '${path}': the pool queued this write and nothing will release it ` +
          `(no_space_timeout is 0); a real dd would hang here, thinlab stops waiting`,
      );
    }
  }
  if (!direct && ticket.errno !== 0 && ticket.errno !== LAB_WOULD_BLOCK) {
    // Buffered: the page cache took the data; the failed writeback is recorded on the device
    // (as EIO, the buffer-head error) and reported by the next fsync instead of by this write.
    dev.writebackErrno = Errno.EIO;
    return n;
  }
  if (ticket.errno === LAB_WOULD_BLOCK) {
    // The awaited device is the metadata device when a commit the write waits behind is held.
    const awaited = m.awaitedResume(dev);
    const which = awaited === dev || awaited.kind !== 'dm' ? 'the device' : `device ${awaited.name}`;
    throw new DdFailure(
      `dd: error writing '${path}': ${which} is suspended; on a real machine the write would wait for a resume (thinlab stops it here)`,
    );
  }
  if (ticket.errno !== 0) throw new DdFailure(`dd: error writing '${path}': ${strerror(ticket.errno)}`);
  if (metadata !== undefined && first === 0) m.carryMetadataTo(dev, metadata);
  return n;
}

export { LabFile };
