/**
 * The lab shell: runs a script against a fresh lab machine shaped like the oracle VM, and prints
 * what busybox sh and the real commands print there, stdout and stderr interleaved in order. The
 * shell language itself is parse.ts and interp.ts; this file is the machine around it: the
 * commands (dmsetup, dd, blkdiscard, the text tools), the files, and the simulated clock.
 */
import { Errno, strerror } from '../model/errno.js';
import { Machine, type BlockDev } from '../model/machine.js';
import type { ModelMutation } from '../model/mutations.js';
import { SECTOR_BYTES } from '../model/sectors.js';
import { lookupPath, type CommandIo, type ShellContext } from '../lab/context.js';
import { ddSteps } from '../lab/dd.js';
import { dmsetup } from '../lab/dmsetup.js';
import { LabFileSystem, NO_SPACE_TIMEOUT_PATH, PATTERN_BYTES } from '../lab/fs.js';
import type { FileProbe } from './builtins.js';
import { initialState, Interpreter, type Host, type RootState } from './interp.js';
import type { Sink } from './io.js';
import { KNOWN_ELSEWHERE } from '../lab/known-commands.js';
import { losetupCommand, truncateCommand } from '../lab/loop-commands.js';
import { Parser, type TopLevelResult } from './parse.js';
import { cut, grep, head, latin1Bytes, md5sum, od, sed, sort, tail, tr, wc, type ReadFile, type ToolResult } from '../lab/text-tools.js';
import type { Steps } from './wait.js';
import { runThinTool, THIN_TOOL_NAMES } from '../tools/index.js';
import { faultCommand } from '../faults/fault-command.js';
import { lvmCommand } from '../lvm/lvm-commands.js';
import { newLvmState, type LvmState } from '../lvm/lvm-state.js';
import { runMonitor } from '../lvm/monitor.js';
import { dockerCommand } from '../docker/docker-commands.js';
import { newDockerState, type DockerState } from '../docker/docker-state.js';
import { forgetDaemonMemory, runDeletionWorker } from '../docker/deviceset.js';
import { wipeDockerRoot } from '../docker/daemon.js';
import { explain } from '../docker/provenance.js';
import { containerdCommand } from '../containerd/containerd-commands.js';
import { newCtrdState, type CtrdState } from '../containerd/snapshotter.js';

export const DEFAULT_RAMDISK_KB = 65536;

/** Lines the oracle VM's kernel has logged about device-mapper before any script runs. */
const BOOT_LOG: ReadonlyArray<readonly [number, string]> = [
  [1_203, 'device-mapper: core: CONFIG_IMA_DISABLE_HTABLE is disabled. Duplicate IMA measurements will not be recorded in the IMA log.'],
  [1_204, 'device-mapper: uevent: version 1.0.3'],
  [1_205, 'device-mapper: ioctl: 4.47.0-ioctl (2022-07-28) initialised: dm-devel@redhat.com'],
];
/** Simulated time when the script starts (the VM has booted). */
const SCRIPT_START_MS = 5_000;

/** Directories of the oracle VM, for `test -d` and friends. */
const DIRECTORIES = new Set(['/', '/bin', '/sbin', '/dev', '/dev/mapper', '/run', '/tmp', '/patterns', '/files', '/proc', '/sys', '/sys/block', '/sys/module', '/sys/module/dm_thin_pool', '/sys/module/dm_thin_pool/parameters', '/lib', '/lib/modules', '/etc', '/etc/docker', '/etc/lvm', '/etc/lvm/profile', '/etc/containerd', '/var', '/var/lib', '/var/lib/docker']);

export const SUPPORTED_COMMANDS = [
  'dmsetup', 'dd', 'blkdiscard', 'sync', 'sleep', 'dmesg', 'cat', 'md5sum', 'od', 'head', 'tail',
  'grep', 'sed', 'wc', 'tr', 'cut', 'sort', 'seq', 'rm', 'crash', 'fault', 'losetup', 'truncate',
  'pvcreate', 'vgcreate', 'vgextend', 'vgchange', 'lvcreate', 'lvconvert', 'lvextend', 'lvresize', 'lvchange', 'lvremove', 'lvs', 'vgs', 'pvs', 'journalctl',
  'docker', 'dockerd', 'systemctl', 'docker-fault', 'thinlab', 'ctr', 'nerdctl', 'containerd-devices', 'containerd-fault',
] as const;

/** The script's name inside the oracle VM (`sh /scenario.sh`): `$0` and the prefix of sh's errors. */
export const SCRIPT_NAME = '/scenario.sh';
/** `$$`: a fixed pid, so that the same script prints the same every time. */
const SHELL_PID = 100;

export interface ShellOptions {
  readonly ramdiskKb?: number;
  /** Files to place under /files before the script runs (name -> bytes), as the oracle does. */
  readonly files?: ReadonlyMap<string, Uint8Array>;
  /** Deliberate model bugs for the mutation suite (src/model/mutations.ts); none in normal use. */
  readonly mutations?: readonly ModelMutation[];
}

/** One top-level command of a script once it has run. */
export interface ScriptStep {
  readonly firstLine: number;
  readonly source: string;
  readonly output: string;
}

/**
 * The interpreter of a shell, kept beside it rather than in it: it holds generators and closures
 * (background jobs), which a snapshot of the lab cannot store. A shell restored from a snapshot
 * (taken only when `quiescent`) gets a fresh interpreter over its restored state.
 */
const interpreters = new WeakMap<LabShell, Interpreter>();

export class LabShell implements Host {
  readonly machine: Machine;
  readonly fs: LabFileSystem;
  /** Variables, functions, `$?` and the record of background jobs (plain data). */
  readonly state: RootState = initialState();
  /** The status `exit` (or a fatal error) ended the script with; null while it runs. */
  exitStatus: number | null = null;
  /** The script line the next piece given to runLine starts on. */
  nextLine = 1;
  /** LVM's volumes and the monitor's log (src/lvm). */
  readonly lvm: LvmState = newLvmState();
  /** Docker's files and daemon (src/docker). */
  readonly docker: DockerState = newDockerState();
  /** containerd and its devmapper snapshotter (src/containerd). */
  readonly containerd: CtrdState = newCtrdState();
  private output: string[] = [];
  private readonly ctx: ShellContext;

  constructor(options: ShellOptions = {}) {
    this.machine = new Machine({ ramdiskKb: options.ramdiskKb ?? DEFAULT_RAMDISK_KB, ...(options.mutations === undefined ? {} : { mutations: options.mutations }) });
    this.fs = new LabFileSystem(this.machine.dictionary);
    for (const [ms, text] of BOOT_LOG) this.machine.kernelLog.push({ timeMs: ms, text });
    this.machine.advance(SCRIPT_START_MS);
    this.ctx = { machine: this.machine, fs: this.fs };
    for (const [name, bytes] of options.files ?? []) this.fs.provide(`/files/${name}`, bytes);
  }

  private get interpreter(): Interpreter {
    let interp = interpreters.get(this);
    if (interp === undefined) {
      interp = new Interpreter(this, this.state, { scriptName: SCRIPT_NAME, pid: SHELL_PID });
      interpreters.set(this, interp);
    }
    return interp;
  }

  /** `$?` of the last command, as text. */
  get lastStatus(): string {
    return String(this.state.status);
  }

  /** No background job is running or parked: the whole lab state is plain data. */
  get quiescent(): boolean {
    const interp = interpreters.get(this);
    return interp === undefined || interp.scheduler.unfinished().length === 0;
  }

  /**
   * Runs a script one top-level command at a time (a line, or all the lines of a compound command),
   * yielding what each printed. Like busybox sh, a syntax error ends the script after everything
   * before it has run, and so does `exit`.
   */
  *steps(script: string): Generator<ScriptStep, void, void> {
    const parser = new Parser(script, this.nextLine);
    let last = 0;
    while (this.exitStatus === null) {
      const top = parser.next();
      if (top === null) break;
      last = top.firstLine;
      const output = this.runParsed(top, true);
      yield { firstLine: top.firstLine, source: top.source, output };
    }
    this.nextLine += countLines(script);
    // The script has ended (at its end or by `exit`): the EXIT trap runs now.
    if (this.state.traps.has('EXIT')) {
      this.output = [];
      this.exitStatus = this.interpreter.runExitTrap(this.exitStatus ?? this.state.status);
      yield { firstLine: last, source: 'trap EXIT', output: this.output.join('') };
    }
  }

  /** Runs a whole script and returns everything it printed. */
  runScript(script: string): string {
    let out = '';
    for (const step of this.steps(script)) out += step.output;
    return out;
  }

  /**
   * Cuts a script into the pieces `runLine` runs one by one (one event each when recorded): every
   * top-level command with all its lines, and every comment line on its own. Blank lines stay at the
   * end of the piece before them, so that the pieces hold every line of the script and the shell's
   * line numbers (in its error messages) come out as for the whole script.
   */
  splitCommands(script: string): string[] {
    const pieces: Array<{ start: number; end: number }> = [];
    const parser = new Parser(script);
    let covered = 0;
    const gap = (upTo: number): void => {
      // Lines between commands: comments become pieces of their own.
      const text = script.slice(covered, upTo);
      let at = covered;
      for (const line of text.split('\n')) {
        if (line.trim().startsWith('#')) pieces.push({ start: at, end: at + line.length });
        at += line.length + 1;
      }
    };
    for (let top = parser.next(); top !== null; top = parser.next()) {
      gap(top.start);
      pieces.push({ start: top.start, end: top.end });
      covered = top.end;
    }
    gap(script.length);
    if (pieces.length === 0) return [];
    // Every piece runs to the start of the next one, so blank lines and newlines are all kept.
    return pieces.map((p, i) => {
      const from = i === 0 ? 0 : p.start;
      const to = i + 1 < pieces.length ? pieces[i + 1]!.start - 1 : script.length;
      return script.slice(from, Math.max(from, to)).replace(/\n$/, (m) => (i + 1 < pieces.length ? m : ''));
    });
  }

  /**
   * Runs one piece of a script (see splitCommands) and returns what it printed. Line numbers in
   * messages continue from the pieces run before. Unlike a whole script, a syntax error or a
   * failed expansion only loses this piece (as in an interactive shell); after `exit`, nothing runs.
   */
  runLine(line: string): string {
    const parser = new Parser(line, this.nextLine);
    let out = '';
    for (let top = parser.next(); top !== null && this.exitStatus === null; top = parser.next()) out += this.runParsed(top, false);
    // A piece is whole lines without the newline that ends its last one.
    this.nextLine += countLines(line) + (line.endsWith('\n') ? 1 : 0);
    return out;
  }

  private runParsed(top: TopLevelResult, scriptMode: boolean): string {
    this.output = [];
    const interp = this.interpreter;
    // Jobs released while nothing ran (the clock advanced from outside) go first.
    interp.scheduler.runReady();
    if ('error' in top) {
      interp.syntaxError(top.error);
      if (scriptMode) this.exitStatus = 2;
    } else {
      const ended = interp.runTopLevel(top.list);
      if (ended !== null && (scriptMode || ended.explicit)) this.exitStatus = scriptMode ? ended.status : interp.runExitTrap(ended.status);
    }
    return this.output.join('');
  }

  // ------------------------------------------------------------------ Host

  terminal(text: string): void {
    this.output.push(text);
  }

  /** A getter, not a field: the shell's own properties must stay plain data (see interpreters). */
  get files(): FileProbe {
    return {
      kind: (path) => this.fileKind(path),
      sizeBytes: (path) => {
        const data = this.readPath(path);
        return typeof data === 'string' ? 0 : data.length;
      },
    };
  }

  private fileKind(path: string): 'file' | 'dir' | 'block' | 'char' | null {
    const p = path.length > 1 ? path.replace(/\/+$/, '') : path;
    if (DIRECTORIES.has(p)) return 'dir';
    const sysDev = /^\/sys\/block\/([a-z]+-?[0-9]+)(\/queue)?$/.exec(p);
    if (sysDev !== null) return this.machine.resolve(`/dev/${sysDev[1]!}`) === null ? null : 'dir';
    const target = lookupPath(this.ctx, p);
    switch (target.kind) {
      case 'block':
        return 'block';
      case 'zero':
      case 'null':
        return 'char';
      case 'missing':
        return null;
      default:
        return 'file';
    }
  }

  command(name: string, args: readonly string[], io: CommandIo): Steps<number> | null {
    const shell = this;
    if (name === 'dd' || name === 'sleep') {
      const steps = name === 'dd' ? this.waitingForIoDelay(ddSteps(this.ctx, args, io)) : this.sleep(args, io);
      return (function* (): Steps<number> {
        const status = yield* steps;
        shell.backgroundDaemons();
        return status;
      })();
    }
    const status = this.dispatch(name, [...args], io);
    if (status === null) return null;
    this.backgroundDaemons();
    if (this.machine.ioDelayOwedMs > 0) return this.waitingForIoDelay((function* (): Steps<number> { return status; })());
    return (function* (): Steps<number> {
      return status;
    })();
  }

  /** A command whose I/O went through a delay (dm-delay, a slow commit) ends that much later. */
  private *waitingForIoDelay(steps: Steps<number>): Steps<number> {
    const status = yield* steps;
    const owed = this.machine.ioDelayOwedMs;
    this.machine.ioDelayOwedMs = 0;
    if (owed > 0) yield { kind: 'sleep', untilMs: this.machine.nowMs + owed };
    return status;
  }

  /**
   * What runs beside the script when a command ends: dmeventd watching the LVM thin pools
   * (src/lvm/monitor.ts) and dockerd's deferred-deletion worker (src/docker/deviceset.ts).
   */
  private backgroundDaemons(): void {
    runMonitor({ ...this.ctx, lvm: this.lvm });
    runDeletionWorker({ machine: this.machine, docker: this.docker });
  }

  openOutput(path: string, append: boolean): Sink | string {
    if (path === '/dev/null') return { kind: 'null' };
    if (path === NO_SPACE_TIMEOUT_PATH) return { kind: 'param', text: '' };
    if (path.startsWith('/dev/')) return `writing to a device with a redirection is not supported in the lab (use dd of=${path})`;
    const f = this.fs.openForWrite(path, !append);
    if (typeof f === 'string') return f.includes('Read-only') ? 'Read-only file system' : 'nonexistent directory';
    return { kind: 'file', file: f };
  }

  readInput(path: string): Uint8Array | string {
    const data = this.readPath(path);
    if (data === 'No such file or directory') return 'no such file';
    return data;
  }

  closeParam(text: string): string | null {
    const value = text.trim();
    if (!/^[0-9]+$/.test(value)) return strerror(Errno.EINVAL);
    this.machine.noSpaceTimeoutSecs = Number(value);
    return null;
  }

  // ------------------------------------------------------------------ files

  /** Whole contents of a path, for cat, md5sum FILE and `<` redirections. */
  private readPath(path: string): Uint8Array | string {
    const target = lookupPath(this.ctx, path);
    switch (target.kind) {
      case 'missing':
        return DIRECTORIES.has(path) ? 'Is a directory' : 'No such file or directory';
      case 'param':
        return latin1Bytes(`${this.machine.noSpaceTimeoutSecs}\n`);
      case 'text':
        return latin1Bytes(target.text);
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

  // ------------------------------------------------------------------ commands

  /** Runs a lab command that never waits; null when the lab has no command by that name. */
  private dispatch(name: string, args: string[], io: CommandIo): number | null {
    const readFile: ReadFile = (p) => this.readPath(p);
    const stdin = (): Uint8Array => io.stdin;
    const tool = (r: ToolResult): number => {
      if (r.stdout.length > 0) io.out(r.stdout);
      if (r.stderr !== '') io.err(r.stderr);
      return r.status;
    };
    switch (name) {
      case 'dmsetup':
        return dmsetup(this.ctx, args, io);
      case 'blkdiscard':
        return this.blkdiscard(args, io);
      case 'sync':
        return 0;
      case 'dmesg':
        return this.dmesg(args, io);
      case 'cat':
        return this.cat(args, io);
      case 'seq':
        return this.seq(args, io);
      case 'rm':
        for (const p of args.filter((a) => !a.startsWith('-'))) this.fs.remove(p);
        // Docker's files live in the lab's Docker state: wiping /var/lib/docker wipes them.
        if (args.some((a) => /^\/var\/lib\/docker(\/|\/\*)?$/.test(a))) return wipeDockerRoot(this.docker, io, this.fs);
        return 0;
      case 'losetup':
        return losetupCommand(this.ctx, args, io);
      case 'truncate':
        return truncateCommand(this.ctx, args, io);
      case 'crash':
        this.machine.crash();
        // The daemon dies with the machine: a start after the power loss runs its recovery.
        forgetDaemonMemory(this.docker);
        return 0;
      case 'fault':
        return faultCommand(this.ctx, args, io);
      case 'journalctl':
        return this.journalctl(args, io);
      case 'thinlab': {
        // `thinlab why NAME` inside a script: the same explanation as the CLI's, at this point.
        if (args[0] !== 'why' || args[1] === undefined) {
          io.err('thinlab: inside the lab shell only `thinlab why IMAGE|CONTAINER` runs\n');
          return 2;
        }
        const r = explain(this.machine, this.docker, args[1]);
        if (r.ok) io.out(r.text);
        else io.err(`${r.text}\n`);
        return r.ok ? 0 : 1;
      }
      case 'md5sum':
        return tool(md5sum(args, stdin, readFile));
      case 'od':
        return tool(od(args, stdin, readFile));
      case 'head':
        return tool(head(args, stdin, readFile));
      case 'tail':
        return tool(tail(args, stdin, readFile));
      case 'grep':
        return tool(grep(args, stdin, readFile));
      case 'sed':
        return tool(sed(args, stdin, readFile));
      case 'wc':
        return tool(wc(args, stdin, readFile));
      case 'tr':
        return tool(tr(args, stdin));
      case 'cut':
        return tool(cut(args, stdin, readFile));
      case 'sort':
        return tool(sort(args, stdin, readFile));
      default: {
        const lvm = lvmCommand({ ...this.ctx, lvm: this.lvm }, name, args, io);
        if (lvm !== null) return lvm;
        const ctrd = containerdCommand({ ...this.ctx, ctrd: this.containerd }, name, args, io);
        if (ctrd !== null) return ctrd;
        const lvmCtx = { ...this.ctx, lvm: this.lvm };
        const docker = dockerCommand({ ...this.ctx, docker: this.docker, lvmCtx, whileWaiting: () => runMonitor(lvmCtx) }, name, args, io);
        if (docker !== null) return docker;
        // thin-provisioning-tools 0.9.0 (src/tools/): thin_check, thin_dump, thin_restore, ...
        if (THIN_TOOL_NAMES.includes(name)) return runThinTool(name, this.ctx, args, io);
        if (!KNOWN_ELSEWHERE.has(name) && !name.includes('/')) return null;
        io.err(`sh: ${name}: not supported in the thinlab shell (supported: ${SUPPORTED_COMMANDS.join(', ')}, and the shell's builtins)\n`);
        return 127;
      }
    }
  }

  /** journalctl -u UNIT: what the background daemons logged (dmeventd: `dm-event`). */
  private journalctl(args: string[], io: CommandIo): number {
    const unit = args[args.indexOf('-u') + 1];
    if (!args.includes('-u') || unit === undefined) {
      io.err('journalctl: the lab keeps only daemon logs: journalctl -u dm-event\n');
      return 1;
    }
    const lines = unit.startsWith('dm-event') || unit.startsWith('lvm2-monitor') ? this.lvm.monitorLog : unit.startsWith('docker') ? this.docker.log : unit.startsWith('containerd') ? this.containerd.log : null;
    if (lines === null) {
      io.out('-- No entries --\n');
      return 0;
    }
    io.out(lines.length === 0 ? '-- No entries --\n' : lines.map((l) => `${l}\n`).join(''));
    return 0;
  }

  /** busybox seq [FIRST [INCREMENT]] LAST, integers only. */
  private seq(args: string[], io: CommandIo): number {
    const nums = args.map(Number);
    if (args.length < 1 || args.length > 3 || nums.some((n) => !Number.isInteger(n))) {
      io.err(args.length < 1 || args.length > 3 ? 'Usage: seq [-w] [-s SEP] [FIRST [INC]] LAST\n' : `seq: invalid number '${args[nums.findIndex((n) => !Number.isInteger(n))]}'\n`);
      return 1;
    }
    const last = nums[nums.length - 1]!;
    const first = args.length >= 2 ? nums[0]! : 1;
    const step = args.length === 3 ? nums[1]! : 1;
    let out = '';
    if (step !== 0) for (let v = first; step > 0 ? v <= last : v >= last; v += step) out += `${v}\n`;
    io.out(out);
    return 0;
  }

  /** sleep SECONDS: waits on the simulated clock (a background job is parked meanwhile). */
  private *sleep(args: readonly string[], io: CommandIo): Steps<number> {
    const seconds = Number(args[0]);
    if (args.length !== 1 || !Number.isFinite(seconds) || seconds < 0) {
      io.err(`sleep: invalid number '${args[0] ?? ''}'\n`);
      return 1;
    }
    yield { kind: 'sleep', untilMs: this.machine.nowMs + Math.round(seconds * 1000) };
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

/** Lines a piece of script takes: the next piece starts on the line after its last. */
function countLines(text: string): number {
  let n = 1;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return text.endsWith('\n') ? n - 1 : n;
}
