/**
 * The lab shell's interpreter: runs the syntax tree of parse.ts the way busybox ash (1.35, the
 * oracle VM's shell) does, with its error texts. Every step is a generator (see wait.ts) so that a
 * background job can be parked where its dd blocks and resumed later; in the foreground a wait
 * runs the simulated clock instead.
 *
 * What ash does and the lab copies: a failed expansion (`$((1/0))`, `${x:?}`) or an error in a
 * special builtin ends the shell it happens in (the script, or the subshell); a syntax error ends
 * the script; `break`/`continue` outside a loop are ignored; a `return` outside a function ends the
 * script; pipeline stages, `( )`, `$( )` and background jobs run in a copy of the shell's state.
 */
import type { Machine } from '../model/machine.js';
import { latin1Text } from '../shared/bytes.js';
import { ArithError, evaluate } from './arith.js';
import type {
  AndOr,
  Command,
  FunctionDefinition,
  List,
  Pipeline,
  Redirection,
  SimpleCommand,
  Word,
  WordPart,
} from './ast.js';
import { type BuiltinResult, echoBuiltin, type FileProbe, printfBuiltin, testBuiltin } from './builtins.js';
import { globPattern, removePattern, replacePattern } from './glob-match.js';
import {
  DEFAULT_IFS,
  joinSegments,
  matchesPattern,
  patternSource,
  type Segment,
  splitFieldSegments,
} from './expand.js';
import {
  CHECKED_VALUE_BYTES,
  KILLED_STATUS,
  KILLED_TEXT,
  LONGEST_STRING_CHARS,
  commandKilledText,
  mainShellKilledText,
  OutOfMemory,
  valuesBytes,
} from './memory.js';
import type { CommandIo } from './io.js';
import {
  bufferSink,
  concatBytes,
  EndlessZeros,
  InputStream,
  PIPE_BUFFER_LIMIT_BYTES,
  Pipe,
  type Sink,
  type Streams,
  writeSink,
} from './io.js';
import { type JobRecord, Scheduler } from './jobs.js';
import { Parser, type ShellSyntaxError } from './parse.js';
import { pipelineNesting, runStages } from './pipeline.js';
import { expandPathname } from './glob.js';
import { call, DepthExceeded, type Run, trampoline } from './trampoline.js';
import type { Steps, Wait } from './wait.js';

/** A redirection's sink that has something to say when it closes: a module parameter, a file. */
type ClosingSink = Sink & { kind: 'param' | 'file' };

/** What the interpreter needs from the lab around it. */
export interface Host {
  readonly machine: Machine;
  readonly files: FileProbe;
  /**
   * The shell's own output (its terminal): stdout and stderr interleaved, as the oracle prints.
   * False when the host keeps no more of it (see ShellSession), so that a writer stops.
   */
  terminal(text: string): boolean | undefined;
  /** Runs a command that is not a shell builtin; null when the lab knows no command by that name. */
  command(name: string, args: readonly string[], io: CommandIo): Steps<number> | null;
  /** Opens a file for `>` or `>>`: a sink, or the reason it cannot (ash's wording). */
  openOutput(path: string, append: boolean): Sink | string;
  /** Reads a file for `<`: its bytes, or the reason it cannot (ash's wording). */
  readInput(path: string): Uint8Array | string;
  /**
   * Whether `path` is a device with no end that a `<` gives as a stream (/dev/zero): a command
   * that streams its input reads it a chunk at a time. Absent: none is.
   */
  endlessInput?(path: string): boolean;
  /** Applies text written to a module parameter when its redirection closes; an error text if refused. */
  closeParam(text: string): string | null;
  /**
   * Whether a command reads its standard input as a stream (CommandIo.read) or not at all. One
   * that does not is given its input whole: in a pipeline it starts once its writer can be run to
   * the end. Absent: no command streams.
   */
  streamsInput?(name: string): boolean;
  /**
   * Opens a block device for a redirection, as the kernel counts opens (dmsetup info's Open
   * count, EBUSY on remove): the close to call when the command ends; null when `path` is no device.
   */
  holdOpen(path: string): (() => void) | null;
  /**
   * The VM's memory its files and RAM disks leave free, for the shell's values and pipes (one
   * budget, src/shell/memory.ts). Absent: only the lab's fixed bounds apply.
   */
  memoryFreeBytes?(): number;
}

/** What a command's redirections opened: module parameters to apply and devices to close at its end. */
interface Opened {
  readonly io: Streams;
  /** Module parameters to apply and files whose write may have failed (`No space left on device`). */
  readonly params: ClosingSink[];
  readonly holds: Array<() => void>;
}

/** How a top-level command ended the script: its status; `limit` when a limit of the lab stopped it. */
export interface TopLevelEnd {
  readonly status: number;
  /** Raised by `exit` (or a limit): it ends even an interactive run. */
  readonly explicit: boolean;
  readonly limit?: boolean;
}

/** Ends the shell the signal is raised in, with this status. */
export class ExitSignal {
  constructor(
    readonly status: number,
    /** Raised by `exit` itself, not by an error that ends a non-interactive shell. */
    readonly explicit = false,
  ) {}
}

class LoopSignal {
  constructor(
    public levels: number,
    readonly continues: boolean,
  ) {}
}

class ReturnSignal {
  constructor(readonly status: number) {}
}

/**
 * A shell's state: copied for subshells, shared by everything that runs in the same shell. Plain
 * data (Maps, arrays and syntax trees), so that a snapshot of the lab can hold it.
 */
export interface ShellState {
  readonly vars: Map<string, string>;
  readonly functions: Map<string, FunctionDefinition>;
  positional: string[];
  /** `$?`. */
  status: number;
  errexit: boolean;
  xtrace: boolean;
  /** `set -f`: no pathname expansion. Absent in checkpoints from before globbing: off. */
  noglob?: boolean;
  /** `$!`. */
  lastBackgroundPid: number | null;
  /** Trap actions by condition; only EXIT ever fires in the lab (no signals reach it). */
  readonly traps: Map<string, string>;
  /** Names made `readonly`. */
  readonly readonly: Set<string>;
  /**
   * Names exported to the commands the shell runs (`export`, and the VM's environment at the
   * start). Absent in checkpoints from before `env`: nothing exported.
   */
  exported?: Set<string>;
}

/** The top-level shell's state, which also keeps the record of its background jobs. */
export type RootState = ShellState & JobRecord;

/**
 * The variables the VM's script starts with, exported, as its `env` prints them
 * (fixtures/kernel-probes/213): the kernel gives init HOME and TERM and the unknown
 * `ramdisk_kb=` of its command line, the oracle's init exports PATH, and ash sets SHLVL and PWD.
 */
export function vmEnvironment(ramdiskKb: number): Array<[string, string]> {
  return [
    ['HOME', '/'],
    ['TERM', 'linux'],
    ['ramdisk_kb', String(ramdiskKb)],
    ['SHLVL', '2'],
    ['PWD', '/'],
  ];
}

export function initialState(environment: ReadonlyArray<[string, string]> = []): RootState {
  return {
    vars: new Map([['IFS', DEFAULT_IFS], ['PATH', '/bin:/sbin'], ...environment]),
    exported: new Set(['PATH', ...environment.map(([name]) => name)]),
    functions: new Map(),
    positional: [],
    status: 0,
    errexit: false,
    xtrace: false,
    lastBackgroundPid: null,
    traps: new Map(),
    readonly: new Set(),
    nextJobId: 1,
    finishedJobs: new Map(),
  };
}

function cloneState(s: ShellState): ShellState {
  return {
    vars: new Map(s.vars),
    functions: new Map(s.functions),
    positional: [...s.positional],
    status: s.status,
    errexit: s.errexit,
    xtrace: s.xtrace,
    noglob: s.noglob,
    lastBackgroundPid: s.lastBackgroundPid,
    // A subshell starts with no traps set (POSIX 2.12).
    traps: new Map(),
    readonly: new Set(s.readonly),
    exported: new Set(s.exported),
  };
}

interface FunctionScope {
  /** Variables made local, with the value to restore on return (undefined: was unset). */
  readonly saved: Map<string, string | undefined>;
}

/** Where a command runs: its shell, its streams, and the constructs around it. */
interface Frame {
  readonly env: ShellState;
  /** Replaced only by `exec` with redirections and no command. */
  readonly io: Streams;
  readonly fn: FunctionScope | null;
  readonly loops: number;
  /** In an `if`/`while` condition or before `&&`/`||`: `set -e` does not apply. */
  readonly condition: boolean;
  /** How errors name the shell: the script and its line numbers, or `sh` alone for `sh -c`. */
  readonly naming: Naming;
}

interface Naming {
  readonly name: string;
  readonly lines: boolean;
}

const SPECIAL_BUILTINS = new Set([
  ':',
  '.',
  'break',
  'continue',
  'eval',
  'exec',
  'exit',
  'export',
  'readonly',
  'return',
  'set',
  'shift',
  'unset',
  'local',
  'trap',
  'source',
]);
const TRAP_CONDITIONS = new Set([
  'EXIT',
  '0',
  'HUP',
  'INT',
  'QUIT',
  'TERM',
  'USR1',
  'USR2',
  'PIPE',
  'ALRM',
  'CHLD',
  'ERR',
  '1',
  '2',
  '3',
  '13',
  '14',
  '15',
]);
const REGULAR_BUILTINS = new Set([
  'sh',
  'echo',
  'printf',
  'test',
  '[',
  '[[',
  'true',
  'false',
  'read',
  'wait',
  'pwd',
  'cd',
  'let',
  'type',
  'command',
  'jobs',
  'kill',
  'ulimit',
  'umask',
  'times',
  'getopts',
  'hash',
  'alias',
  'unalias',
  'fg',
  'bg',
]);
const NOT_IN_LAB = new Set([
  '.',
  'source',
  'type',
  'command',
  'jobs',
  'kill',
  'ulimit',
  'umask',
  'times',
  'getopts',
  'hash',
  'alias',
  'unalias',
  'fg',
  'bg',
]);

export interface InterpreterOptions {
  /** `$0` and the prefix of ash's error messages (`/scenario.sh: line 3: ...`). */
  readonly scriptName: string;
  /** `$$`: fixed, so that scripts print the same every run. */
  readonly pid: number;
  /** Commands one top-level command may run (loops, functions and all) before the lab stops it. */
  readonly maxSteps?: number;
}

/** The default step budget of a top-level command: generous, yet a runaway loop ends in seconds. */
export const DEFAULT_MAX_STEPS = 10_000_000;
/**
 * What a lab command's output costs against the step budget: a step per this many bytes. A
 * command that writes without end into a pipe (`seq 1 1000000000 | wc -l`, ten gigabytes) is one
 * command, and would run for minutes inside one step; charged by its output, it ends at the
 * budget as an endless loop does (the default budget is about 5 GB of output).
 */
export const OUTPUT_BYTES_PER_STEP = 512;
/** The exit status of a script the step budget stopped (as `timeout` reports a command it killed). */
export const BUDGET_EXIT_STATUS = 124;
/**
 * How deep the interpreter's own stack may grow: nested commands, function calls, subshells and
 * substitutions (a recursive function takes about three levels a call). busybox sh 1.35 on the
 * oracle VM (8 MiB stack) runs about 7,500 nested calls of a one-line recursive function before it
 * dies of a segmentation fault; the lab allows more, then stops with a message instead.
 */
export const MAX_NESTING_LEVELS = 40_000;
/** The status a shell the nesting limit stopped ends with: what a shell killed by SIGSEGV reports. */
export const NESTING_EXIT_STATUS = 139;
/**
 * How many pipelines may run inside each other (`f() { echo | f; }`): each level runs its commands
 * from inside the one around it, on the native stack. busybox forks a process per command and
 * runs out of memory or processes; the lab stops with its nesting message.
 */
export const MAX_PIPELINE_NESTING = 150;
/** The status of a command killed by SIGPIPE (128 + 13): it wrote to a pipe whose reader had ended. */
export const SIGPIPE_STATUS = 141;

/** Raised when a top-level command has run its budget of commands; only the top level catches it. */
export class BudgetExhausted {
  constructor(readonly maxSteps: number) {}
}

export class Interpreter {
  readonly scheduler: Scheduler;
  private readonly main: Frame;
  /** The line of the command running now, for error messages and $LINENO. */
  private lineno = 0;
  /** The status of the last command substitution of the command being expanded. */
  private substitutionStatus: number | null = null;
  /** Commands run since the current top-level command started, against the step budget. */
  private stepsUsed = 0;

  constructor(
    private readonly host: Host,
    readonly state: RootState,
    private readonly options: InterpreterOptions,
  ) {
    this.scheduler = new Scheduler(host.machine, options.pid, state);
    const terminal: Sink = { kind: 'terminal' };
    this.main = {
      env: state,
      io: { stdin: InputStream.empty(), out: terminal, err: terminal },
      fn: null,
      loops: 0,
      condition: false,
      naming: { name: options.scriptName, lines: true },
    };
  }

  // ------------------------------------------------------------------ entry points

  /**
   * Runs one top-level command in the foreground, to completion (waits run the clock). Returns
   * the exit status when the script has ended (`exit`, a fatal error), or null to go on.
   */
  runTopLevel(list: List): TopLevelEnd | null {
    this.stepsUsed = 0;
    try {
      this.drive(this.runList(list, this.main));
      this.scheduler.runReady();
      return null;
    } catch (e) {
      if (e instanceof ExitSignal) return { status: e.status, explicit: e.explicit };
      // ash ends a script at a `return` outside any function.
      if (e instanceof ReturnSignal) return { status: e.status, explicit: true };
      if (e instanceof LoopSignal) return null;
      return this.limitReached(e);
    }
  }

  /** A limit of the lab stopped the command: one line saying which, and the script ends. */
  private limitReached(e: unknown): TopLevelEnd {
    if (e instanceof BudgetExhausted) {
      this.host.terminal(
        `thinlab: step budget of ${e.maxSteps} exhausted: a top-level command ran that many commands, ` +
          `a step per ${OUTPUT_BYTES_PER_STEP} bytes a command wrote (an endless loop?); the script stops here ` +
          `(--max-steps sets the budget)\n`,
      );
      this.state.status = BUDGET_EXIT_STATUS;
      return { status: BUDGET_EXIT_STATUS, explicit: true, limit: true };
    }
    if (e instanceof DepthExceeded) {
      this.host.terminal(
        `thinlab: line ${this.lineno}: shell nesting deeper than ${MAX_NESTING_LEVELS} levels; busybox sh ` +
          `would have crashed (Segmentation fault) well before, the lab stops the script here\n`,
      );
      this.state.status = NESTING_EXIT_STATUS;
      return { status: NESTING_EXIT_STATUS, explicit: false, limit: true };
    }
    if (e instanceof OutOfMemory || isAllocationFailure(e)) {
      // A value too large for the VM's memory, or for JavaScript (a string, an array, a BigInt):
      // the VM's OOM killer would have killed a process, the lab ends the script.
      const oom =
        e instanceof OutOfMemory
          ? e
          : new OutOfMemory('a value larger than the lab holds', LONGEST_STRING_CHARS, this.memoryLeft(this.main));
      this.host.terminal(mainShellKilledText(oom));
      this.state.status = KILLED_STATUS;
      return { status: KILLED_STATUS, explicit: false, limit: true };
    }
    throw e;
  }

  /** Reports a syntax error the way ash does (it then ends the script). */
  syntaxError(error: ShellSyntaxError): void {
    this.lineno = error.line;
    this.state.status = 2;
    this.message(this.main, error.text);
  }

  /** Runs the interpreter in the foreground: every wait is served by running the clock and ready jobs. */
  drive<T>(run: Run<T>): T {
    const steps = trampoline(run, MAX_NESTING_LEVELS);
    let r = steps.next(true);
    while (!r.done) {
      const wait = r.value;
      r = steps.next(this.keepingPlace(() => this.scheduler.waitFor(wait)));
    }
    return r.value;
  }

  /** Runs jobs (which move this.lineno around) without losing the place of the command waiting. */
  private keepingPlace<T>(run: () => T): T {
    const line = this.lineno;
    const substitution = this.substitutionStatus;
    try {
      return run();
    } finally {
      this.lineno = line;
      this.substitutionStatus = substitution;
    }
  }

  /** Lets parked jobs whose wait has ended run, between two commands of the script. */
  private runReadyJobs(): void {
    this.keepingPlace(() => this.scheduler.runReady());
  }

  // ------------------------------------------------------------------ messages

  /**
   * Writes to a sink; false when a full pipe dropped (some of) it. A write of the shell itself (a
   * builtin, an error message) to a pipe whose reader has ended kills the shell doing it, as
   * SIGPIPE does: the pipeline's command ends with status 141.
   */
  private write(sink: Sink, data: Uint8Array | string): boolean {
    const ok = writeSink(sink, data, (t) => this.host.terminal(t));
    if (!ok && sink.kind === 'pipe' && (sink.pipe.readerGone || sink.pipe.overflowed)) {
      throw new ExitSignal(SIGPIPE_STATUS);
    }
    return ok;
  }

  private get maxSteps(): number {
    return this.options.maxSteps ?? DEFAULT_MAX_STEPS;
  }

  /** Charges steps against the budget; false once the budget is spent. */
  private charge(steps: number): boolean {
    this.stepsUsed += steps;
    return this.stepsUsed <= this.maxSteps;
  }

  /** Charges a lab command's output against the step budget; false once the budget is spent. */
  private chargeOutput(bytes: number): boolean {
    return this.charge(bytes / OUTPUT_BYTES_PER_STEP);
  }

  /** Says, once, that a pipe or a substitution kept only the first PIPE_BUFFER_LIMIT_BYTES. */
  private reportOverflow(f: Frame, buffer: { readonly overflowed: boolean }, what: string): void {
    if (!buffer.overflowed) return;
    const why =
      what === 'a pipe'
        ? 'its reader takes its input whole, so the lab keeps what the writer writes until the writer ends'
        : 'the lab keeps the whole value of a substitution';
    this.write(
      f.io.err,
      `thinlab: ${what} took more than ${PIPE_BUFFER_LIMIT_BYTES / 1024 / 1024} MiB: ${why}, and keeps at most ` +
        `that much; the writer was stopped and the rest dropped\n`,
    );
  }

  /** ash's error line: `<script>: line N: text`. */
  private message(f: Frame, text: string): void {
    const line = f.naming.lines ? `line ${this.lineno}: ` : '';
    this.write(f.io.err, `${f.naming.name}: ${line}${text}\n`);
  }

  /** ash's error line for a builtin: `<script>: name: line N: text`. */
  private builtinMessage(f: Frame, name: string, text: string): void {
    const line = f.naming.lines ? `line ${this.lineno}: ` : '';
    this.write(f.io.err, `${f.naming.name}: ${name}: ${line}${text}\n`);
  }

  /** An error that ends the shell it happens in (a non-interactive ash raises it to the top). */
  private fatal(f: Frame, text: string, status = 2): never {
    this.message(f, text);
    throw new ExitSignal(status);
  }

  // ------------------------------------------------------------------ lists and pipelines

  private *runList(list: List, f: Frame): Run<number> {
    let status = f.env.status;
    for (const item of list) {
      if (item.background) {
        this.spawn(item.andOr, f, item.line);
        status = 0;
        f.env.status = 0;
        continue;
      }
      status = yield* this.runAndOr(item.andOr, f);
    }
    return status;
  }

  private spawn(andOr: AndOr, f: Frame, line: number): void {
    const env = cloneState(f.env);
    // Without job control, a background job's standard input is /dev/null (POSIX 2.9.3).
    const jf: Frame = {
      ...f,
      env,
      io: { stdin: InputStream.empty(), out: f.io.out, err: f.io.err },
      loops: 0,
      condition: false,
    };
    const self = this;
    function* job(): Run<number> {
      try {
        return yield* self.runAndOr(andOr, jf);
      } catch (e) {
        return self.subshellStatus(e);
      }
    }
    const j = this.scheduler.spawn(`job at line ${line}`, trampoline(job(), MAX_NESTING_LEVELS));
    f.env.lastBackgroundPid = j.pid;
  }

  /** The status a subshell ends with when a signal leaves it. */
  private subshellStatus(e: unknown): number {
    if (e instanceof ExitSignal || e instanceof ReturnSignal) return e.status;
    if (e instanceof LoopSignal) return 0;
    if (e instanceof OutOfMemory || isAllocationFailure(e)) {
      // The OOM killer killed the subshell that grew; the shell waiting for it says so.
      this.host.terminal(KILLED_TEXT);
      return KILLED_STATUS;
    }
    throw e;
  }

  /** The memory left for a value the shell of `f` builds: the VM's free memory less its values. */
  private memoryLeft(f: Frame): number {
    const free = this.host.memoryFreeBytes?.() ?? Number.POSITIVE_INFINITY;
    return Math.max(0, free - valuesBytes(f.env));
  }

  /** A value of `bytes` the shell of `f` makes: past the memory left, that shell is killed. */
  private checkValue(f: Frame, what: string, bytes: number): void {
    if (bytes < CHECKED_VALUE_BYTES) return;
    // ash builds the value on its stack and then copies it into the variable: twice its size.
    const needed = 2 * bytes;
    const left = this.memoryLeft(f);
    if (needed > left || bytes > LONGEST_STRING_CHARS) throw new OutOfMemory(what, needed, left);
  }

  private *runAndOr(andOr: AndOr, f: Frame): Run<number> {
    const cond: Frame = f.condition ? f : { ...f, condition: true };
    let status = yield* this.runPipeline(andOr.first, andOr.rest.length > 0 ? cond : f);
    for (let i = 0; i < andOr.rest.length; i++) {
      const { op, pipeline } = andOr.rest[i]!;
      if ((op === '&&') !== (status === 0)) continue;
      status = yield* this.runPipeline(pipeline, i === andOr.rest.length - 1 ? f : cond);
    }
    return status;
  }

  private *runPipeline(p: Pipeline, f: Frame): Run<number> {
    let status = 0;
    if (p.commands.length === 1) {
      status = yield* this.runCommand(p.commands[0]!, p.negate ? { ...f, condition: true } : f);
    } else {
      status = yield* this.runStages(p, f);
    }
    if (p.negate) status = status === 0 ? 1 : 0;
    f.env.status = status;
    if (status !== 0 && f.env.errexit && !f.condition && !p.negate) throw new ExitSignal(status);
    return status;
  }

  /**
   * A pipeline of several commands: each runs in a subshell (as in ash) as a coroutine of its own
   * (pipeline.ts), over pipes that hold a pipe's capacity while their readers stream.
   */
  private *runStages(p: Pipeline, f: Frame): Run<number> {
    if (pipelineNesting() >= MAX_PIPELINE_NESTING) throw new DepthExceeded(pipelineNesting());
    const n = p.commands.length;
    const pipes = Array.from({ length: n - 1 }, () => new Pipe());
    for (const pipe of pipes) pipe.memoryLeft = () => this.memoryLeft(f);
    const steps = p.commands.map((cmd, i) => {
      const sub: Frame = {
        ...f,
        env: cloneState(f.env),
        io: {
          stdin: i === 0 ? f.io.stdin : pipes[i - 1]!,
          out: i === n - 1 ? f.io.out : { kind: 'pipe', pipe: pipes[i]! },
          err: f.io.err,
        },
      };
      return trampoline(this.stage(cmd, sub), MAX_NESTING_LEVELS);
    });
    const line = this.lineno;
    const serve = (wait: Wait): boolean => this.keepingPlace(() => this.scheduler.waitFor(wait));
    const statuses = yield* runStages(steps, pipes, serve);
    this.lineno = line;
    for (const pipe of pipes) if (!pipe.reported) this.reportOverflow(f, pipe, 'a pipe');
    return statuses[n - 1]!;
  }

  /** One command of a pipeline, in its subshell: whatever ends the subshell gives its status. */
  private *stage(cmd: Command, sub: Frame): Run<number> {
    try {
      return yield* this.runCommand(cmd, sub);
    } catch (e) {
      return this.subshellStatus(e);
    }
  }

  // ------------------------------------------------------------------ commands

  /**
   * Runs one command through the trampoline (every recursion of the interpreter passes here, so
   * the native stack stays shallow), counting it against the step budget.
   */
  private *runCommand(cmd: Command, f: Frame): Run<number> {
    if (!this.charge(1)) throw new BudgetExhausted(this.maxSteps);
    return yield* call(this.commandBody(cmd, f));
  }

  private *commandBody(cmd: Command, f: Frame): Run<number> {
    this.lineno = cmd.line;
    switch (cmd.type) {
      case 'simple':
        return yield* this.runSimple(cmd, f);
      case 'function':
        f.env.functions.set(cmd.name, cmd);
        return 0;
      default: {
        const r = yield* this.openRedirections(cmd.redirections, f);
        if (typeof r === 'string') {
          this.message(f, r);
          return 1;
        }
        const g: Frame = { ...f, io: r.io };
        try {
          return yield* this.runCompound(cmd, g);
        } finally {
          this.closeRedirections(r, g, null);
        }
      }
    }
  }

  private *runCompound(cmd: Exclude<Command, SimpleCommand | FunctionDefinition>, f: Frame): Run<number> {
    const cond: Frame = { ...f, condition: true };
    switch (cmd.type) {
      case 'group':
        return yield* this.runList(cmd.body, f);
      case 'subshell': {
        const sub: Frame = { ...f, env: cloneState(f.env) };
        try {
          const status = yield* this.runList(cmd.body, sub);
          return status;
        } catch (e) {
          const status = this.subshellStatus(e);
          f.env.status = status;
          return status;
        }
      }
      case 'if': {
        for (const clause of cmd.clauses) {
          const c = yield* this.runList(clause.condition, cond);
          if (c === 0) return yield* this.runList(clause.body, f);
        }
        if (cmd.elseBody !== null) return yield* this.runList(cmd.elseBody, f);
        f.env.status = 0;
        return 0;
      }
      case 'while':
      case 'until': {
        let status = 0;
        const body: Frame = { ...f, loops: f.loops + 1 };
        for (;;) {
          const c = yield* this.runList(cmd.condition, { ...cond, loops: f.loops + 1 });
          if ((c === 0) === (cmd.type === 'until')) break;
          const r = yield* this.loopBody(cmd.body, body);
          status = r.status;
          if (r.stop) break;
        }
        f.env.status = status;
        return status;
      }
      case 'for': {
        const items = cmd.words === null ? [...f.env.positional] : yield* this.expandFields(cmd.words, f);
        let status = 0;
        const body: Frame = { ...f, loops: f.loops + 1 };
        for (const item of items) {
          this.setVar(f, cmd.name, item);
          const r = yield* this.loopBody(cmd.body, body);
          status = r.status;
          if (r.stop) break;
        }
        f.env.status = status;
        return status;
      }
      case 'case': {
        const subject = joinSegments(yield* this.expandSegments(cmd.subject.parts, f));
        for (const item of cmd.items) {
          for (const pattern of item.patterns) {
            const source = patternSource(yield* this.expandSegments(pattern.parts, f));
            if (matchesPattern(subject, source)) {
              if (item.body.length === 0) {
                f.env.status = 0;
                return 0;
              }
              return yield* this.runList(item.body, f);
            }
          }
        }
        f.env.status = 0;
        return 0;
      }
      default:
        return 0;
    }
  }

  /** One pass of a loop body; `stop` when a `break` ends the loop. */
  private *loopBody(body: List, f: Frame): Run<{ status: number; stop: boolean }> {
    try {
      return { status: yield* this.runList(body, f), stop: false };
    } catch (e) {
      if (!(e instanceof LoopSignal)) throw e;
      if (e.levels > 1) {
        e.levels--;
        throw e;
      }
      return { status: 0, stop: !e.continues };
    }
  }

  private *runSimple(cmd: SimpleCommand, f: Frame): Run<number> {
    this.substitutionStatus = null;
    const fields = yield* this.expandFields(cmd.words, f);
    const assignments: Array<[string, string]> = [];
    for (const a of cmd.assignments)
      assignments.push([a.name, joinSegments(yield* this.expandSegments(a.value.parts, f))]);
    this.lineno = cmd.line;
    if (f.env.xtrace) {
      const words = [...assignments.map(([k, v]) => `${k}=${xtraceQuote(v)}`), ...fields.map(xtraceQuote)];
      this.write(f.io.err, `+ ${words.join(' ')}\n`);
    }
    if (fields.length === 0) {
      const r = yield* this.openRedirections(cmd.redirections, f);
      if (typeof r === 'string') {
        this.message(f, r);
        f.env.status = 1;
        return 1;
      }
      for (const [k, v] of assignments) this.setVar(f, k, v);
      const status = this.closeRedirections(r, f, null) ?? this.substitutionStatus ?? 0;
      this.runReadyJobs();
      return status;
    }

    const name = fields[0]!;
    const args = fields.slice(1);
    const special = SPECIAL_BUILTINS.has(name);
    const r = yield* this.openRedirections(cmd.redirections, f);
    if (typeof r === 'string') {
      this.message(f, r);
      // A special builtin whose redirection fails ends the shell (POSIX 2.8.1).
      if (special) throw new ExitSignal(1);
      return 1;
    }
    if (name === 'exec' && args.length === 0) {
      // `exec >file 2>&1`: the redirections stay for the rest of this shell.
      (f as { io: Streams }).io = r.io;
      // The devices it opened stay open for the rest of this shell, as exec's do.
      this.closeRedirections({ ...r, holds: [] }, f, name);
      return 0;
    }
    const g: Frame = { ...f, io: r.io };
    let status: number;
    try {
      status = yield* this.invoke(name, args, assignments, g, special);
    } finally {
      const closed = this.closeRedirections(r, g, name);
      if (closed !== null) status = closed;
    }
    this.runReadyJobs();
    return status;
  }

  private *invoke(
    name: string,
    args: string[],
    assignments: ReadonlyArray<[string, string]>,
    f: Frame,
    special: boolean,
  ): Run<number> {
    if (special) {
      // Assignments before a special builtin stay (POSIX 2.14).
      for (const [k, v] of assignments) this.setVar(f, k, v);
      return yield* this.specialBuiltin(name, args, f);
    }
    const fn = f.env.functions.get(name);
    if (fn !== undefined || REGULAR_BUILTINS.has(name)) {
      // Assignments before a function or builtin last as long as it runs.
      const saved = assignments.map(([k]) => [k, f.env.vars.get(k)] as const);
      for (const [k, v] of assignments) this.setVar(f, k, v);
      try {
        return fn !== undefined ? yield* this.callFunction(fn, args, f) : yield* this.builtin(name, args, f);
      } finally {
        for (const [k, v] of saved) {
          if (v === undefined) f.env.vars.delete(k);
          else f.env.vars.set(k, v);
        }
      }
    }
    return yield* this.runLabCommand(name, args, f, assignments);
  }

  /**
   * A command of the lab (not a builtin). Its standard input is read whole when it reads it, or a
   * chunk at a time (CommandIo.read) by a command that streams. In a pipeline, a command that does
   * not stream first lets the pipeline take it off any writer's stack (a handoff wait), so that it
   * can run its writer to the end when it reads.
   */
  private *runLabCommand(
    name: string,
    args: string[],
    f: Frame,
    assignments: ReadonlyArray<[string, string]> = [],
  ): Run<number> {
    const input = f.io.stdin;
    const streams = this.host.streamsInput?.(name) ?? false;
    if (input instanceof EndlessZeros && !streams) {
      // It would read /dev/zero whole, as the VM's would until its memory ran out.
      this.write(
        f.io.err,
        `thinlab: not modelled: ${name} taking /dev/zero whole as its standard input (it has no end)\n`,
      );
      return 1;
    }
    if (!input.complete && !streams) yield { kind: 'pipe', stream: input, drainable: false, ready: () => true };
    let stdin: Uint8Array | null = null;
    let brokenPipe = false;
    let overBudget = false;
    const out = f.io.out;
    const chargeRead = (bytes: number): boolean => this.chargeOutput(bytes);
    const io: CommandIo = {
      env: new Map(assignments),
      // Only env and xargs read it: built when asked, not for every command the shell runs.
      get environment(): readonly string[] {
        return environmentOf(f.env, assignments);
      },
      get stdin(): Uint8Array {
        if (stdin === null && input instanceof Pipe) {
          input.runWriterToEnd();
          if (input.overflowed) {
            // The reader holds its whole input in its own memory: it is the process that grew.
            const held = input.sizeBytes;
            input.reported = true;
            input.closeRead();
            throw new OutOfMemory(`${name}'s whole input`, held, held);
          }
        }
        stdin ??= input.readAll();
        if (!input.complete) {
          // Host.streamsInput said the command would not read its input whole; it did, while
          // its writer could not run: it would get part of its input. A bug of the host.
          throw new Error(`lab shell: ${name} read its standard input whole but is declared as streaming it`);
        }
        return stdin;
      },
      read: function* () {
        while (!input.chunkReady()) if (!(yield input.dataWait('chunk'))) return null;
        const chunk = input.readChunk();
        // An endless input read into no output (`wc -c < /dev/zero`) costs steps as output does,
        // so that the step budget ends it; past the budget it reads as ended.
        if (input instanceof EndlessZeros && chunk !== null && !chargeRead(chunk.length)) {
          overBudget = true;
          return null;
        }
        return chunk;
      },
      out: (data) => {
        // Past the budget the writer is stopped as a full pipe stops it; the budget's message
        // comes once it has returned (a command may catch what its writes throw).
        if (!this.chargeOutput(data.length)) {
          overBudget = true;
          return false;
        }
        const ok = writeSink(out, data, (t) => this.host.terminal(t));
        // A reader gone, or killed for what the pipe held: the writer gets SIGPIPE.
        if (!ok && out.kind === 'pipe' && (out.pipe.readerGone || out.pipe.overflowed)) brokenPipe = true;
        return ok;
      },
      err: (text) => {
        writeSink(f.io.err, text, (t) => this.host.terminal(t));
      },
      bufferedBytes: () => input.sizeBytes,
      stdinIsPipe: input instanceof Pipe,
      stdoutIsTerminal: out.kind === 'terminal',
      chargeSteps: (steps) => {
        if (this.charge(steps)) return true;
        overBudget = true;
        return false;
      },
    };
    let status: number;
    try {
      const steps = this.host.command(name, args, io);
      if (steps === null) {
        this.message(f, `${name}: not found`);
        return 127;
      }
      status = yield* steps;
    } catch (e) {
      if (!(e instanceof OutOfMemory)) throw e;
      // Killed by the OOM killer: ash prints `Killed` where the VM showed it, else the lab names the limit.
      if (e.seenOnVm) this.host.terminal(KILLED_TEXT);
      else this.write(f.io.err, commandKilledText(e));
      return KILLED_STATUS;
    }
    if (overBudget) throw new BudgetExhausted(this.maxSteps);
    // A command that wrote to a pipe whose reader had ended was killed by SIGPIPE there.
    return brokenPipe ? SIGPIPE_STATUS : status;
  }

  private *callFunction(fn: FunctionDefinition, args: string[], f: Frame): Run<number> {
    const savedPositional = f.env.positional;
    f.env.positional = args;
    const scope: FunctionScope = { saved: new Map() };
    try {
      return yield* this.runCommand(fn.body, { ...f, fn: scope, loops: 0 });
    } catch (e) {
      if (e instanceof ReturnSignal) {
        f.env.status = e.status;
        return e.status;
      }
      throw e;
    } finally {
      f.env.positional = savedPositional;
      for (const [k, v] of scope.saved) {
        if (v === undefined) f.env.vars.delete(k);
        else f.env.vars.set(k, v);
      }
    }
  }

  // ------------------------------------------------------------------ redirections

  private *openRedirections(redirections: readonly Redirection[], f: Frame): Run<Opened | string> {
    let { stdin, out, err } = f.io;
    let more = f.io.more;
    const params: ClosingSink[] = [];
    const holds: Array<() => void> = [];
    const setFd = (fd: number, sink: Sink): void => {
      if (fd === 1) out = sink;
      else if (fd === 2) err = sink;
      else if (fd > 2) more = new Map([...(more ?? []), [fd, sink]]);
    };
    for (const r of redirections) {
      if (r.op === '<<' || r.op === '<<-') {
        const text = joinSegments(yield* this.expandSegments(r.target.parts, f));
        stdin = new InputStream(Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff));
        continue;
      }
      const target = joinSegments(yield* this.expandSegments(r.target.parts, f));
      if (r.op === '>&' || r.op === '<&') {
        if (target === '-') return `${r.fd}: closing descriptors is not supported in the lab`;
        if (target === '0' || r.op === '<&') {
          if (r.fd === 0 && target === '0') continue;
          return `${target}: duplicating standard input is not supported in the lab`;
        }
        const from =
          target === '1' ? out : target === '2' ? err : /^[0-9]+$/.test(target) ? more?.get(Number(target)) : undefined;
        if (from === undefined) return `${target}: Bad file descriptor`;
        setFd(r.fd, from);
        continue;
      }
      if (r.op === '<' || r.op === '<>') {
        if (r.op === '<' && this.host.endlessInput?.(target) === true) {
          if (r.fd === 0) stdin = new EndlessZeros();
          continue;
        }
        const data = this.host.readInput(target);
        if (typeof data === 'string') {
          for (const release of holds) release();
          return `can't open ${target}: ${data}`;
        }
        const hold = this.host.holdOpen(target);
        if (hold !== null) holds.push(hold);
        if (r.fd === 0) stdin = new InputStream(data);
        continue;
      }
      const sink = this.host.openOutput(target, r.op === '>>');
      if (typeof sink === 'string') {
        for (const release of holds) release();
        return `can't create ${target}: ${sink}`;
      }
      if (sink.kind === 'param' || sink.kind === 'file') params.push(sink);
      if (r.op === '&>') {
        out = sink;
        err = sink;
      } else setFd(r.fd, sink);
    }
    return { io: more === undefined ? { stdin, out, err } : { stdin, out, err, more }, params, holds };
  }

  /**
   * Closes the devices the redirections opened, applies the module parameters written through
   * them, and reports a file write that failed (`No space left on device`); a status when a
   * parameter or a write failed.
   */
  private closeRedirections(opened: Opened, f: Frame, command: string | null): number | null {
    for (const release of opened.holds) release();
    let status: number | null = null;
    for (const p of opened.params) {
      const error = p.kind === 'param' ? this.host.closeParam(p.text) : p.file.failure;
      if (error !== null) {
        // busybox's echo reports the failed write as the shell (`sh: write error: ...`); its
        // printf says nothing and only fails (fixtures/kernel/104-no-space-timeout).
        if (command === 'echo') this.write(f.io.err, `sh: write error: ${error}\n`);
        else if (command !== 'printf') this.write(f.io.err, `${command ?? 'sh'}: write error: ${error}\n`);
        status = 1;
      }
    }
    return status;
  }

  // ------------------------------------------------------------------ expansion

  private *expandFields(words: readonly Word[], f: Frame): Run<string[]> {
    const out: string[] = [];
    const ifs = f.env.vars.get('IFS') ?? DEFAULT_IFS;
    for (const w of words) {
      const fields = splitFieldSegments(yield* this.expandSegments(w.parts, f), ifs);
      for (const field of fields)
        out.push(...(f.env.noglob === true ? [joinSegments(field)] : expandPathname(field, this.host.files)));
    }
    return out;
  }

  private *expandSegments(parts: readonly WordPart[], f: Frame): Run<Segment[]> {
    const out: Segment[] = [];
    for (const p of parts) {
      switch (p.kind) {
        case 'lit':
          out.push({ kind: 'text', text: p.text, quoted: p.quoted, split: false });
          break;
        case 'param':
          out.push(...(yield* this.expandParam(p, f)));
          break;
        case 'cmdsub': {
          const text = yield* this.commandSubstitution(p.body, f);
          out.push({ kind: 'text', text, quoted: p.quoted, split: !p.quoted });
          break;
        }
        case 'arith': {
          const expr = joinSegments(yield* this.expandSegments(p.expr.parts, f));
          const value = this.arithmetic(expr, f);
          out.push({ kind: 'text', text: value.toString(), quoted: p.quoted, split: !p.quoted });
          break;
        }
        default:
          break;
      }
    }
    return out;
  }

  /** Sets a variable; a readonly one ends the shell, as in ash (`R: is read only`). */
  private setVar(f: Frame, name: string, value: string, builtin?: string): void {
    // The VM's memory is one budget: `x=$x$x` in a loop ends as the OOM killer ends it.
    this.checkValue(f, `the value of ${name}`, value.length);
    if (f.env.readonly.has(name)) {
      if (builtin === undefined) this.message(f, `${name}: is read only`);
      else this.builtinMessage(f, builtin, `${name}: is read only`);
      throw new ExitSignal(2);
    }
    f.env.vars.set(name, value);
  }

  /** Evaluates `$((expr))`; an error ends the shell, as in ash. */
  private arithmetic(expr: string, f: Frame): bigint {
    try {
      return evaluate(expr, { get: (n) => this.lookup(n, f), set: (n, v) => this.setVar(f, n, v) });
    } catch (e) {
      if (e instanceof ArithError) this.fatal(f, e.message);
      throw e;
    }
  }

  /** A variable or special parameter; undefined when unset. */
  private lookup(name: string, f: Frame): string | undefined {
    const env = f.env;
    switch (name) {
      case '?':
        return String(env.status);
      case '#':
        return String(env.positional.length);
      case '@':
      case '*':
        return env.positional.join(' ');
      case '$':
        return String(this.options.pid);
      case '!':
        return env.lastBackgroundPid === null ? undefined : String(env.lastBackgroundPid);
      case '-':
        return (env.errexit ? 'e' : '') + (env.noglob === true ? 'f' : '') + (env.xtrace ? 'x' : '');
      case '0':
        return this.options.scriptName;
      case 'LINENO':
        return String(this.lineno);
      default:
        if (/^[0-9]+$/.test(name)) return env.positional[Number(name) - 1];
        return env.vars.get(name);
    }
  }

  private *expandParam(p: Extract<WordPart, { kind: 'param' }>, f: Frame): Run<Segment[]> {
    const text = (t: string): Segment[] => [{ kind: 'text', text: t, quoted: p.quoted, split: !p.quoted }];
    if ((p.name === '@' || p.name === '*') && p.op === null) {
      const params = f.env.positional;
      if (!p.quoted) return text(params.join(' '));
      if (p.name === '*') return text(params.join((f.env.vars.get('IFS') ?? DEFAULT_IFS).slice(0, 1)));
      const out: Segment[] = [];
      params.forEach((v, i) => {
        if (i > 0) out.push({ kind: 'break' });
        out.push({ kind: 'text', text: v, quoted: true, split: false });
      });
      return out;
    }
    const value = this.lookup(p.name, f);
    const arg = function* (self: Interpreter): Run<string> {
      return p.arg === null ? '' : joinSegments(yield* self.expandSegments(p.arg.parts, f));
    };
    switch (p.op) {
      case null:
        return text(value ?? '');
      case 'len':
        return text(String((value ?? '').length));
      case '-':
      case ':-':
        return text(value === undefined || (p.op === ':-' && value === '') ? yield* arg(this) : value);
      case '=':
      case ':=': {
        if (value === undefined || (p.op === ':=' && value === '')) {
          const v = yield* arg(this);
          if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(p.name)) this.fatal(f, `${p.name}: bad variable name`);
          this.setVar(f, p.name, v);
          return text(v);
        }
        return text(value);
      }
      case '+':
      case ':+':
        return text(value === undefined || (p.op === ':+' && value === '') ? '' : yield* arg(this));
      case '?':
      case ':?': {
        if (value === undefined || (p.op === ':?' && value === '')) {
          const msg = yield* arg(this);
          this.fatal(
            f,
            `${p.name}: ${msg !== '' ? msg : value === undefined ? 'parameter not set' : 'parameter null'}`,
          );
        }
        return text(value);
      }
      case '#':
      case '##':
      case '%':
      case '%%': {
        const pattern = globPattern(p.arg === null ? [] : yield* this.expandSegments(p.arg.parts, f));
        return text(removePattern(value ?? '', pattern, p.op));
      }
      case '/':
      case '//':
      case '/#':
      case '/%': {
        const pattern = globPattern(p.arg === null ? [] : yield* this.expandSegments(p.arg.parts, f));
        const replacement = p.arg2 == null ? '' : joinSegments(yield* this.expandSegments(p.arg2.parts, f));
        return text(replacePattern(value ?? '', pattern, replacement, p.op));
      }
      case 'substr': {
        const v = value ?? '';
        const number = function* (self: Interpreter, w: Word): Run<number> {
          const expr = joinSegments(yield* self.expandSegments(w.parts, f));
          return Number(self.arithmetic(expr, f));
        };
        let offset = p.arg === null ? 0 : yield* number(this, p.arg);
        if (offset < 0) offset = Math.max(0, v.length + offset);
        let length = p.arg2 == null ? v.length : yield* number(this, p.arg2);
        if (length < 0) length = Math.max(0, v.length - offset + length);
        return text(v.slice(offset, offset + length));
      }
      default:
        return text(value ?? '');
    }
  }

  /** `$(...)`: the body runs in a subshell; its output, less trailing newlines, is the value. */
  private *commandSubstitution(body: List, f: Frame): Run<string> {
    const buffer = bufferSink(() => this.memoryLeft(f));
    const sub: Frame = {
      ...f,
      env: cloneState(f.env),
      io: { stdin: f.io.stdin, out: buffer, err: f.io.err },
      loops: 0,
      condition: false,
    };
    const line = this.lineno;
    let status: number;
    try {
      status = yield* this.runList(body, sub);
    } catch (e) {
      status = this.subshellStatus(e);
    }
    this.lineno = line;
    this.substitutionStatus = status;
    // ash reads the output into its own memory: the shell doing the substitution is what grew.
    if (buffer.overflowed) throw new OutOfMemory('a command substitution', buffer.sizeBytes, buffer.sizeBytes);
    return latin1Text(concatBytes(buffer.chunks)).replace(/\n+$/, '');
  }

  // ------------------------------------------------------------------ builtins

  private emit(f: Frame, r: BuiltinResult): number {
    for (const [fd, text] of r.writes) this.write(fd === 1 ? f.io.out : f.io.err, text);
    return r.status;
  }

  // biome-ignore lint/complexity/noExcessiveLinesPerFunction: one case per special builtin of ash, each a few lines; the switch is the list.
  private *specialBuiltin(name: string, args: string[], f: Frame): Run<number> {
    switch (name) {
      case ':':
        return 0;
      case 'break':
      case 'continue': {
        const n = args.length === 0 ? 1 : this.number(f, name, args[0]!);
        if (n <= 0) {
          this.builtinMessage(f, name, `Illegal number: ${args[0]}`);
          throw new ExitSignal(2);
        }
        // ash ignores break and continue outside a loop.
        if (f.loops === 0) return 0;
        throw new LoopSignal(Math.min(n, f.loops), name === 'continue');
      }
      case 'exit': {
        const status = args.length === 0 ? f.env.status : this.number(f, name, args[0]!);
        throw new ExitSignal(status & 0xff, true);
      }
      case 'return': {
        const status = args.length === 0 ? f.env.status : this.number(f, name, args[0]!);
        throw new ReturnSignal(status & 0xff);
      }
      case 'shift': {
        const n = args.length === 0 ? 1 : this.number(f, name, args[0]!);
        if (n > f.env.positional.length) return 1;
        f.env.positional = f.env.positional.slice(n);
        return 0;
      }
      case 'export':
      case 'readonly':
        for (const a of args) {
          if (a.startsWith('-')) continue;
          const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/s.exec(a);
          if (m === null) {
            this.builtinMessage(f, name, `${a}: bad variable name`);
            throw new ExitSignal(2);
          }
          if (m[2] !== undefined) this.setVar(f, m[1]!, m[2], name);
          if (name === 'readonly') f.env.readonly.add(m[1]!);
          else if (args.includes('-n')) f.env.exported?.delete(m[1]!);
          else (f.env.exported ??= new Set()).add(m[1]!);
        }
        return 0;
      case 'unset':
        for (const a of args) {
          if (a === '-v' || a === '-f') continue;
          if (args.includes('-f')) f.env.functions.delete(a);
          else if (f.env.readonly.has(a)) {
            this.builtinMessage(f, name, `${a}: is read only`);
            throw new ExitSignal(2);
          } else {
            f.env.vars.delete(a);
            f.env.exported?.delete(a);
          }
        }
        return 0;
      case 'local':
        if (f.fn === null) {
          this.builtinMessage(f, name, 'not in a function');
          throw new ExitSignal(2);
        }
        for (const a of args) {
          const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/s.exec(a);
          if (m === null) {
            this.builtinMessage(f, name, `${a}: bad variable name`);
            throw new ExitSignal(2);
          }
          if (!f.fn.saved.has(m[1]!)) f.fn.saved.set(m[1]!, f.env.vars.get(m[1]!));
          if (m[2] !== undefined) this.setVar(f, m[1]!, m[2], name);
        }
        return 0;
      case 'set':
        return this.set(args, f);
      case 'eval': {
        const text = args.join(' ');
        const parser = new Parser(text, this.lineno);
        let status = 0;
        for (let r = parser.next(); r !== null; r = parser.next()) {
          if ('error' in r) {
            this.message(f, r.error.text);
            throw new ExitSignal(2);
          }
          status = yield* this.runList(r.list, f);
        }
        return status;
      }
      case 'trap':
        return this.trap(args, f);
      case 'exec':
        if (args.length === 0) return 0;
        this.builtinMessage(f, name, 'running a command with exec is not supported in the lab shell');
        return 2;
      default:
        this.labUnsupported(f, name);
        return 2;
    }
  }

  /** `trap ACTION CONDITION...`; `trap` alone lists them. */
  private trap(args: string[], f: Frame): number {
    const traps = f.env.traps;
    if (args.length === 0) {
      for (const [cond, action] of traps) this.write(f.io.out, `trap -- '${action.replace(/'/g, "'\\''")}' ${cond}\n`);
      return 0;
    }
    const reset = args.length === 1 || args[0] === '-';
    const conditions = reset && args.length === 1 ? args : args.slice(1);
    for (const c of conditions) {
      const cond = c.replace(/^SIG/, '');
      if (!TRAP_CONDITIONS.has(cond)) {
        this.builtinMessage(f, 'trap', `${c}: invalid signal specification`);
        return 1;
      }
      const key = cond === '0' ? 'EXIT' : cond;
      if (reset) traps.delete(key);
      else traps.set(key, args[0]!);
    }
    return 0;
  }

  /** Runs the EXIT trap once, when the script ends; returns the status the script ends with. */
  runExitTrap(status: number): number {
    const action = this.state.traps.get('EXIT');
    if (action === undefined) return status;
    this.state.traps.delete('EXIT');
    this.state.status = status;
    this.stepsUsed = 0;
    const parser = new Parser(action, this.lineno);
    try {
      for (let r = parser.next(); r !== null; r = parser.next()) {
        if ('error' in r) {
          this.message(this.main, r.error.text);
          return 2;
        }
        this.drive(this.runList(r.list, this.main));
      }
    } catch (e) {
      if (e instanceof ExitSignal || e instanceof ReturnSignal) return e.status;
      if (!(e instanceof LoopSignal)) return this.limitReached(e).status;
    }
    return status;
  }

  private labUnsupported(f: Frame, name: string): void {
    this.write(f.io.err, `sh: ${name}: not supported in the thinlab shell\n`);
  }

  /** A builtin's numeric argument; ash ends the shell on a bad one. */
  private number(f: Frame, name: string, text: string): number {
    if (!/^[0-9]+$/.test(text)) {
      this.builtinMessage(f, name, `Illegal number: ${text}`);
      throw new ExitSignal(2);
    }
    return Number(text);
  }

  private set(args: string[], f: Frame): number {
    let k = 0;
    for (; k < args.length; k++) {
      const a = args[k]!;
      if (a === '--') {
        k++;
        f.env.positional = args.slice(k);
        return 0;
      }
      if (!/^[-+][a-zA-Z]+$/.test(a)) break;
      const on = a[0] === '-';
      for (const flag of a.slice(1)) {
        if (flag === 'e') f.env.errexit = on;
        else if (flag === 'x') f.env.xtrace = on;
        else if (flag === 'f') f.env.noglob = on;
        else if (flag === 'u' || flag === 'C' || flag === 'v') {
          // Accepted: -u (the lab's scripts never read unset variables on purpose).
        } else {
          this.builtinMessage(f, 'set', `set -${flag} is not supported in the lab shell`);
          return 2;
        }
      }
    }
    if (args.length === 0) {
      const names = [...f.env.vars.keys()].sort();
      for (const n of names) this.write(f.io.out, `${n}='${f.env.vars.get(n)!.replace(/'/g, "'\\''")}'\n`);
      return 0;
    }
    if (k < args.length) f.env.positional = args.slice(k);
    return 0;
  }

  private *builtin(name: string, args: string[], f: Frame): Run<number> {
    switch (name) {
      case 'true':
        return 0;
      case 'false':
        return 1;
      case 'echo':
        return this.emit(f, echoBuiltin(args));
      case 'printf':
        try {
          return this.emit(f, printfBuiltin(args));
        } catch (e) {
          // A width or precision of a gigabyte (`%1000000000s`): more than the lab holds in one
          // string. The command fails with ash's words instead of ending the shell.
          if (!isAllocationFailure(e)) throw e;
          this.write(f.io.err, 'sh: printf: out of memory\n');
          return 1;
        }
      case 'test':
      case '[':
        return this.emit(f, testBuiltin(name, args, this.host.files));
      case '[[': {
        if (args[args.length - 1] !== ']]') {
          this.write(f.io.err, 'sh: missing ]]\n');
          return 2;
        }
        return this.emit(f, testBuiltin('test', args.slice(0, -1), this.host.files));
      }
      case 'read':
        return yield* this.read(args, f);
      case 'wait':
        return yield* this.wait(args, f);
      case 'sh':
        return yield* this.sh(args, f);
      case 'pwd':
        this.write(f.io.out, '/\n');
        return 0;
      case 'cd':
        if (args.length === 0 || args[0] === '/') {
          // ash's cd exports OLDPWD (and PWD), which `env` then prints.
          this.setVar(f, 'OLDPWD', '/');
          this.setVar(f, 'PWD', '/');
          for (const name of ['OLDPWD', 'PWD']) (f.env.exported ??= new Set()).add(name);
          return 0;
        }
        this.builtinMessage(f, 'cd', `can't cd to ${args[0]}: the lab shell stays in /`);
        return 2;
      case 'let': {
        let v = 0n;
        for (const a of args) v = this.arithmetic(a, f);
        return v === 0n ? 1 : 0;
      }
      default:
        if (NOT_IN_LAB.has(name)) {
          this.labUnsupported(f, name);
          return 2;
        }
        return 0;
    }
  }

  /** `sh -c 'COMMANDS' [NAME [ARG...]]`: a new shell; its errors say `sh:` without line numbers. */
  private *sh(args: string[], f: Frame): Run<number> {
    if (args[0] !== '-c' || args.length < 2) {
      this.write(
        f.io.err,
        "sh: the lab runs `sh -c COMMANDS` only (scripts are the lab's input, not files inside it)\n",
      );
      return 2;
    }
    const naming: Naming = { name: args[2] ?? 'sh', lines: false };
    const state = cloneState(f.env);
    state.positional = args.slice(3);
    state.functions.clear();
    const g: Frame = { ...f, env: state, fn: null, loops: 0, condition: false, naming };
    const parser = new Parser(args[1]!);
    const line = this.lineno;
    let status = 0;
    try {
      for (let r = parser.next(); r !== null; r = parser.next()) {
        if ('error' in r) {
          this.message(g, r.error.text);
          status = 2;
          break;
        }
        status = yield* this.runList(r.list, g);
      }
    } catch (e) {
      status = this.subshellStatus(e);
    }
    this.lineno = line;
    return status;
  }

  /** `read [-r] NAME...`: one line of standard input split on IFS; the last name takes the rest. */
  private *read(args: string[], f: Frame): Run<number> {
    let raw = false;
    const names: string[] = [];
    for (const a of args) {
      if (a === '-r') raw = true;
      else if (a.startsWith('-')) {
        this.builtinMessage(f, 'read', `option ${a} is not supported in the lab shell`);
        return 2;
      } else names.push(a);
    }
    if (names.length === 0) names.push('REPLY');
    let line = '';
    let gotLine = false;
    if (f.io.stdin instanceof EndlessZeros) {
      // busybox's read takes a byte at a time until a newline that /dev/zero never gives.
      this.builtinMessage(f, 'read', 'reading a line from /dev/zero is not modelled (it has no newline and no end)');
      return 2;
    }
    for (;;) {
      const input = f.io.stdin;
      // A pipe's writer may not have written the line yet: the pipeline runs it meanwhile.
      while (!input.lineReady()) if (!(yield input.dataWait('line'))) break;
      const l = input.readLine();
      if (l === null) break;
      if (!raw && l.ended && l.text.endsWith('\\')) {
        line += l.text.slice(0, -1);
        continue;
      }
      line += l.text;
      gotLine = l.ended;
      break;
    }
    if (!raw) line = line.replace(/\\(.)/g, '$1');
    const ifs = f.env.vars.get('IFS') ?? DEFAULT_IFS;
    const white = [...ifs].filter((c) => ' \t\n'.includes(c));
    let rest = line;
    const trimStart = (s: string): string => {
      let i = 0;
      while (i < s.length && white.includes(s[i]!)) i++;
      return s.slice(i);
    };
    rest = trimStart(rest);
    for (let i = 0; i < names.length; i++) {
      if (i === names.length - 1) {
        let end = rest.length;
        while (end > 0 && white.includes(rest[end - 1]!)) end--;
        this.setVar(f, names[i]!, rest.slice(0, end), 'read');
        break;
      }
      let j = 0;
      while (j < rest.length && !ifs.includes(rest[j]!)) j++;
      this.setVar(f, names[i]!, rest.slice(0, j), 'read');
      rest = rest.slice(j);
      if (rest !== '' && !white.includes(rest[0]!)) rest = rest.slice(1);
      rest = trimStart(rest);
    }
    return gotLine ? 0 : 1;
  }

  /** `wait [PID...]`: runs the clock until the jobs have finished; the last one's status. */
  private *wait(args: string[], f: Frame): Run<number> {
    const pids = args.length === 0 ? this.scheduler.unfinished().map((j) => j.pid) : [];
    for (const a of args) {
      const job = /^%[0-9]+$/.exec(a) ? this.scheduler.unfinished().find((j) => `%${j.id}` === a) : undefined;
      const pid = job?.pid ?? Number(a);
      if (!Number.isSafeInteger(pid) || this.scheduler.statusOf(pid) === undefined) return 127;
      pids.push(pid);
    }
    if (pids.length === 0) return 0;
    const ended = yield { kind: 'jobs', pids };
    if (!ended) {
      for (const j of this.scheduler.unfinished().filter((x) => pids.includes(x.pid))) {
        this.write(
          f.io.err,
          `thinlab: wait: background job [${j.id}] (pid ${j.pid}) can never finish: it is blocked on I/O that nothing in the lab will ever complete ` +
            `(a write the pool queued while out of data space, with no_space_timeout ${this.host.machine.noSpaceTimeoutSecs}); ` +
            `a real shell would wait forever, thinlab stops waiting\n`,
        );
      }
      return 127;
    }
    return args.length === 0 ? 0 : (this.scheduler.statusOf(pids[pids.length - 1]!) ?? 0);
  }
}

/** V8's errors for an allocation beyond its limits (never a stack overflow, which is a nesting limit). */
function isAllocationFailure(e: unknown): boolean {
  return (
    e instanceof RangeError &&
    /Invalid string length|Invalid typed array length|Invalid array length|Array buffer allocation failed|Maximum BigInt size/.test(
      e.message,
    )
  );
}

const KEYWORDS = new Set([
  '!',
  'case',
  'do',
  'done',
  'elif',
  'else',
  'esac',
  'fi',
  'for',
  'function',
  'if',
  'in',
  'then',
  'until',
  'while',
  '{',
  '}',
]);

/** How `set -x` shows a word: ash's maybe_single_quote (quote unless every byte is plain, or a keyword). */
function xtraceQuote(word: string): string {
  const plain = [...word].every((c) => {
    const code = c.charCodeAt(0);
    return !(code < 0x2b || (code >= 0x3b && code <= 0x3f) || c === '`' || c === '[' || c === '\\' || code > 0x7a);
  });
  if (plain && !KEYWORDS.has(word)) return word;
  return `'${word.replace(/'/g, `'"'"'`)}'`;
}

/**
 * ash's bucket of a variable in its table of 39 (hashvar): ash lists the exported variables
 * bucket by bucket, each bucket's in the order they were made, and that is the order of a
 * command's environment (`env` prints it so).
 */
function ashBucket(name: string): number {
  let hash = (name.charCodeAt(0) & 0xff) << 4;
  for (let i = 0; i < name.length; i++) hash += name.charCodeAt(i) & 0xff;
  return hash % 39;
}

/**
 * The environment a command gets, `NAME=value` in ash's order: the exported variables that are
 * set, with the assignments before the command's name (exported for it alone; a new one comes
 * after the variables that exist, as ash adds it at its bucket's end).
 */
export function environmentOf(env: ShellState, assignments: ReadonlyArray<[string, string]>): string[] {
  const values = new Map(env.vars);
  for (const [k, v] of assignments) values.set(k, v);
  const names = new Set(assignments.map(([k]) => k));
  const entries = [...values].filter(([k]) => env.exported?.has(k) === true || names.has(k));
  const ordered = entries.map(([k, v], at) => ({ text: `${k}=${v}`, bucket: ashBucket(k), at }));
  ordered.sort((a, b) => a.bucket - b.bucket || a.at - b.at);
  return ordered.map((e) => e.text);
}
