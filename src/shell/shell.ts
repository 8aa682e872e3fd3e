/**
 * The lab shell: runs a script, line by line, against a fresh lab machine shaped like the oracle
 * VM, and prints what the real commands print, stdout and stderr interleaved in order.
 */
import { Errno, strerror } from '../model/errno.js';
import { Machine, type BlockDev } from '../model/machine.js';
import { SECTOR_BYTES } from '../model/sectors.js';
import { lookupPath, type CommandIo, type ShellContext } from './context.js';
import { dd } from './dd.js';
import { dmsetup } from './dmsetup.js';
import { LabFileSystem, NO_SPACE_TIMEOUT_PATH, PATTERN_BYTES, type LabFile } from './fs.js';
import { parseLine, type Redirection, type SimpleCommand } from './parse.js';
import { cut, grep, head, latin1Bytes, latin1Text, md5sum, od, sed, tail, tr, wc, type ReadFile, type ToolResult } from './text-tools.js';

export const DEFAULT_RAMDISK_KB = 65536;

/** Lines the oracle VM's kernel has logged about device-mapper before any script runs. */
const BOOT_LOG: ReadonlyArray<readonly [number, string]> = [
  [1_203, 'device-mapper: core: CONFIG_IMA_DISABLE_HTABLE is disabled. Duplicate IMA measurements will not be recorded in the IMA log.'],
  [1_204, 'device-mapper: uevent: version 1.0.3'],
  [1_205, 'device-mapper: ioctl: 4.47.0-ioctl (2022-07-28) initialised: dm-devel@redhat.com'],
];
/** Simulated time when the script starts (the VM has booted). */
const SCRIPT_START_MS = 5_000;

export const SUPPORTED_COMMANDS = [
  'dmsetup', 'dd', 'blkdiscard', 'sync', 'sleep', 'dmesg', 'echo', 'cat', 'md5sum', 'od', 'head', 'tail',
  'grep', 'sed', 'wc', 'tr', 'cut', 'true', 'false', 'rm', 'crash',
] as const;

export interface ShellOptions {
  readonly ramdiskKb?: number;
}

type Sink = { kind: 'terminal' } | { kind: 'null' } | { kind: 'pipe'; chunks: Uint8Array[] } | { kind: 'file'; file: LabFile } | { kind: 'param'; text: string };

export class LabShell {
  readonly machine: Machine;
  readonly fs: LabFileSystem;
  private readonly vars = new Map<string, string>([['?', '0']]);
  private output: string[] = [];
  private readonly ctx: ShellContext;

  constructor(options: ShellOptions = {}) {
    this.machine = new Machine({ ramdiskKb: options.ramdiskKb ?? DEFAULT_RAMDISK_KB });
    this.fs = new LabFileSystem(this.machine.dictionary);
    for (const [ms, text] of BOOT_LOG) this.machine.kernelLog.push({ timeMs: ms, text });
    this.machine.advance(SCRIPT_START_MS);
    this.ctx = { machine: this.machine, fs: this.fs };
  }

  /** Runs a whole script and returns everything it printed. */
  runScript(script: string): string {
    this.output = [];
    const lines = script.replace(/\\\n/g, '').split('\n');
    for (const line of lines) this.runLine(line);
    return this.output.join('');
  }

  /** Runs one line; returns what it printed. */
  runLine(line: string): string {
    const start = this.output.length;
    const parsed = parseLine(line, (name) => this.vars.get(name) ?? '');
    if (!parsed.ok) {
      this.terminal(`sh: ${parsed.error}\n`);
      this.vars.set('?', '2');
      return this.output.slice(start).join('');
    }
    let last = Number(this.vars.get('?'));
    for (const item of parsed.items) {
      if (item.joiner === '&&' && last !== 0) continue;
      if (item.joiner === '||' && last === 0) continue;
      // Expand again now: `$?` must see the status of the item that just ran.
      const fresh = parseLine(item.source, (name) => this.vars.get(name) ?? '');
      const pipeline = fresh.ok && fresh.items.length === 1 ? fresh.items[0]!.pipeline : item.pipeline;
      last = this.runPipeline(pipeline.commands);
      if (pipeline.negate) last = last === 0 ? 1 : 0;
      this.vars.set('?', String(last));
    }
    return this.output.slice(start).join('');
  }

  private terminal(text: string): void {
    this.output.push(text);
  }

  private runPipeline(commands: readonly SimpleCommand[]): number {
    let input: Uint8Array = new Uint8Array(0);
    let status = 0;
    for (let i = 0; i < commands.length; i++) {
      const isLast = i === commands.length - 1;
      const pipe: Sink = { kind: 'pipe', chunks: [] };
      status = this.runCommand(commands[i]!, input, isLast ? { kind: 'terminal' } : pipe);
      if (!isLast) input = concat(pipe.kind === 'pipe' ? pipe.chunks : []);
    }
    return status;
  }

  private runCommand(cmd: SimpleCommand, stdin: Uint8Array, stdoutSink: Sink): number {
    if (cmd.words.length === 0) {
      for (const [k, v] of cmd.assignments) this.vars.set(k, v);
      const opened = this.openRedirections(cmd.redirections, stdoutSink);
      return typeof opened === 'string' ? this.fail(opened) : 0;
    }
    const fds = this.openRedirections(cmd.redirections, stdoutSink);
    if (typeof fds === 'string') return this.fail(fds);
    let input = stdin;
    if (fds.stdin !== null) input = fds.stdin;
    const write = (sink: Sink, data: Uint8Array | string): void => {
      const bytes = typeof data === 'string' ? latin1Bytes(data) : data;
      switch (sink.kind) {
        case 'terminal':
          this.terminal(latin1Text(bytes));
          break;
        case 'pipe':
          sink.chunks.push(bytes);
          break;
        case 'file':
          sink.file.writeBytes(sink.file.sizeBytes, bytes);
          break;
        case 'param':
          sink.text += latin1Text(bytes);
          break;
        default:
          break;
      }
    };
    const io: CommandIo = {
      stdin: input,
      out: (data) => write(fds.out, data),
      err: (text) => write(fds.err, text),
    };
    const status = this.dispatch(cmd.words[0]!, cmd.words.slice(1), io);
    for (const sink of [fds.out, fds.err]) {
      if (sink.kind === 'param') {
        const text = sink.text.trim();
        if (/^[0-9]+$/.test(text)) this.machine.noSpaceTimeoutSecs = Number(text);
        else {
          this.terminal(`sh: write error: ${strerror(Errno.EINVAL)}\n`);
          return 1;
        }
      }
    }
    return status;
  }

  private fail(message: string): number {
    this.terminal(`sh: ${message}\n`);
    return 1;
  }

  private openRedirections(
    redirections: readonly Redirection[],
    stdoutSink: Sink,
  ): { out: Sink; err: Sink; stdin: Uint8Array | null } | string {
    let out: Sink = stdoutSink;
    let err: Sink = { kind: 'terminal' };
    let stdin: Uint8Array | null = null;
    for (const r of redirections) {
      if (r.kind === 'dup') {
        if (r.fd === 2 && r.toFd === 1) err = out;
        else if (r.fd === 1 && r.toFd === 2) out = err;
        continue;
      }
      if (r.kind === 'input') {
        const data = this.readPath(r.path);
        if (typeof data === 'string') return `can't open '${r.path}': ${data}`;
        stdin = data;
        continue;
      }
      let sink: Sink;
      if (r.path === '/dev/null') sink = { kind: 'null' };
      else if (r.path === NO_SPACE_TIMEOUT_PATH) sink = { kind: 'param', text: '' };
      else if (r.path.startsWith('/dev/')) {
        return `can't write to '${r.path}' with a redirection in the lab (use dd of=${r.path})`;
      } else {
        const f = this.fs.openForWrite(r.path, !r.append);
        if (typeof f === 'string') return f;
        sink = { kind: 'file', file: f };
      }
      if (r.fd === 1) out = sink;
      else err = sink;
    }
    return { out, err, stdin };
  }

  /** Whole contents of a path, for cat, md5sum FILE and `<` redirections. */
  private readPath(path: string): Uint8Array | string {
    const target = lookupPath(this.ctx, path);
    switch (target.kind) {
      case 'missing':
        return 'No such file or directory';
      case 'param':
        return latin1Bytes(`${this.machine.noSpaceTimeoutSecs}\n`);
      case 'null':
        return new Uint8Array(0);
      case 'zero':
        return 'reading /dev/zero never ends; use dd with count=';
      case 'pattern':
        return new Uint8Array(PATTERN_BYTES).fill(target.token);
      case 'file':
        return target.file.readBytes(0, target.file.sizeBytes);
      case 'block':
        return this.readWholeDevice(target.dev);
      default:
        return 'No such file or directory';
    }
  }

  private readWholeDevice(dev: BlockDev): Uint8Array | string {
    const sectors = this.machine.sizeSectors(dev);
    const r = this.machine.readSectors(dev, 0, sectors);
    if (!r.ok) return strerror(r.errno);
    const bytes = this.machine.dictionary.bytesOf(r.value);
    return bytes.subarray(0, sectors * SECTOR_BYTES);
  }

  private dispatch(name: string, args: string[], io: CommandIo): number {
    const readFile: ReadFile = (p) => this.readPath(p);
    const tool = (r: ToolResult): number => {
      if (r.stdout.length > 0) io.out(r.stdout);
      if (r.stderr !== '') io.err(r.stderr);
      return r.status;
    };
    switch (name) {
      case 'dmsetup':
        return dmsetup(this.ctx, args, io);
      case 'dd':
        return dd(this.ctx, args, io);
      case 'blkdiscard':
        return this.blkdiscard(args, io);
      case 'sync':
      case 'true':
        return 0;
      case 'false':
        return 1;
      case 'sleep':
        return this.sleep(args, io);
      case 'dmesg':
        return this.dmesg(args, io);
      case 'echo':
        return this.echo(args, io);
      case 'cat':
        return this.cat(args, io);
      case 'rm':
        for (const p of args.filter((a) => !a.startsWith('-'))) this.fs.remove(p);
        return 0;
      case 'crash':
        this.machine.crash();
        return 0;
      case 'md5sum':
        return tool(md5sum(args, io.stdin, readFile));
      case 'od':
        return tool(od(args, io.stdin, readFile));
      case 'head':
        return tool(head(args, io.stdin, readFile));
      case 'tail':
        return tool(tail(args, io.stdin, readFile));
      case 'grep':
        return tool(grep(args, io.stdin, readFile));
      case 'sed':
        return tool(sed(args, io.stdin, readFile));
      case 'wc':
        return tool(wc(args, io.stdin, readFile));
      case 'tr':
        return tool(tr(args, io.stdin));
      case 'cut':
        return tool(cut(args, io.stdin, readFile));
      default:
        io.err(`sh: ${name}: not supported in the thinlab shell (supported: ${SUPPORTED_COMMANDS.join(', ')})\n`);
        return 127;
    }
  }

  private sleep(args: string[], io: CommandIo): number {
    const seconds = Number(args[0]);
    if (args.length !== 1 || !Number.isFinite(seconds) || seconds < 0) {
      io.err(`sleep: invalid number '${args[0] ?? ''}'\n`);
      return 1;
    }
    this.machine.advance(Math.round(seconds * 1000));
    return 0;
  }

  private echo(args: string[], io: CommandIo): number {
    let newline = true;
    let escapes = false;
    let k = 0;
    for (; k < args.length && /^-[neE]+$/.test(args[k]!); k++) {
      if (args[k]!.includes('n')) newline = false;
      if (args[k]!.includes('e')) escapes = true;
    }
    let text = args.slice(k).join(' ');
    if (escapes) text = text.replace(/\\n/g, '\n').replace(/\\t/g, '\t').replace(/\\\\/g, '\\');
    io.out(newline ? `${text}\n` : text);
    return 0;
  }

  private cat(args: string[], io: CommandIo): number {
    if (args.length === 0) {
      io.out(io.stdin);
      return 0;
    }
    let status = 0;
    for (const p of args) {
      const data = p === '-' ? io.stdin : this.readPath(p);
      if (typeof data === 'string') {
        io.err(`cat: can't open '${p}': ${data}\n`);
        status = 1;
      } else io.out(data);
    }
    return status;
  }

  private dmesg(args: string[], io: CommandIo): number {
    const clear = args.includes('-c') || args.includes('-C');
    const print = !args.includes('-C');
    const unknown = args.find((a) => !['-c', '-C'].includes(a));
    if (unknown !== undefined) {
      io.err(`dmesg: unrecognized option '${unknown}' (the lab supports -c and -C)\n`);
      return 1;
    }
    if (print) {
      let text = '';
      for (const { timeMs, text: line } of this.machine.kernelLog) {
        const s = Math.floor(timeMs / 1000);
        const us = (timeMs % 1000) * 1000;
        text += `[${String(s).padStart(5, ' ')}.${String(us).padStart(6, '0')}] ${line}\n`;
      }
      io.out(text);
    }
    if (clear) this.machine.kernelLog.length = 0;
    return 0;
  }

  /** busybox blkdiscard [-o OFFSET] [-l LENGTH] DEVICE: opens the device exclusively first. */
  private blkdiscard(args: string[], io: CommandIo): number {
    let offset = 0;
    let length: number | null = null;
    let path: string | null = null;
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a === '-o' || a === '-l') {
        const v = args[++i];
        const n = v !== undefined && /^[0-9]+$/.test(v) ? Number(v) : null;
        if (n === null) {
          io.err(`blkdiscard: invalid number '${v ?? ''}'\n`);
          return 1;
        }
        if (a === '-o') offset = n;
        else length = n;
      } else if (a === '-s') {
        io.err('blkdiscard: -s (secure discard) is not supported in the lab\n');
        return 1;
      } else if (a.startsWith('-')) {
        io.err(`blkdiscard: unrecognized option '${a}'\n`);
        return 1;
      } else path = a;
    }
    if (path === null) {
      io.err('Usage: blkdiscard [-o OFS] [-l LEN] [-s] DEVICE\n');
      return 1;
    }
    const dev = this.machine.resolve(path);
    if (dev === null) {
      io.err(`blkdiscard: can't open '${path}': No such file or directory\n`);
      return 1;
    }
    const held = dev.openCount > 0 || (dev.kind === 'ram' && this.ramHeld(dev));
    if (held) {
      io.err(`blkdiscard: can't open '${path}': ${strerror(Errno.EBUSY)}\n`);
      return 1;
    }
    const size = this.machine.sizeSectors(dev) * SECTOR_BYTES;
    const len = length ?? size - offset;
    if (offset % SECTOR_BYTES !== 0 || len % SECTOR_BYTES !== 0 || offset + len > size) {
      io.err(`blkdiscard: ${path}: BLKDISCARD failed: ${strerror(Errno.EINVAL)}\n`);
      return 1;
    }
    if (!this.machine.supportsDiscard(dev)) {
      io.err(`blkdiscard: ${path}: BLKDISCARD failed: ${strerror(Errno.EOPNOTSUPP)}\n`);
      return 1;
    }
    const r = this.machine.discardSectors(dev, offset / SECTOR_BYTES, len / SECTOR_BYTES);
    if (r !== 0) {
      io.err(`blkdiscard: ${path}: BLKDISCARD failed: ${strerror(r)}\n`);
      return 1;
    }
    return 0;
  }

  private ramHeld(dev: BlockDev): boolean {
    return dev.openCount > 0;
  }
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
