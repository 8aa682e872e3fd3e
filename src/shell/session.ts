/**
 * A shell session: runs a script, or one piece of it at a time, against a host (the lab, through
 * the Host interface of interp.ts), and returns what busybox sh and the commands print there,
 * stdout and stderr interleaved in order. The shell language itself is parse.ts and interp.ts;
 * this file cuts scripts into top-level commands and keeps the line count, `exit` and the EXIT trap.
 */

import type { Machine } from '../model/machine.js';
import type { FileProbe } from './builtins.js';
import { DEFAULT_MAX_STEPS, type Host, Interpreter, initialState, type RootState } from './interp.js';
import type { CommandIo, Sink } from './io.js';
import { Parser, type TopLevelResult } from './parse.js';
import type { Steps } from './wait.js';

/** The script's name inside the oracle VM (`sh /scenario.sh`): `$0` and the prefix of sh's errors. */
export const SCRIPT_NAME = '/scenario.sh';
/** `$$`: a fixed pid, so that the same script prints the same every time. */
const SHELL_PID = 100;

/**
 * What a session keeps between commands, as plain data (Maps, arrays and syntax trees), so that
 * the lab's checkpoints hold it: the lab owns it, and a session restored from a checkpoint goes
 * on with the same variables, functions and line numbers.
 */
export interface SessionState {
  /** Variables, functions, `$?` and the record of background jobs. */
  readonly shell: RootState;
  /** The status `exit` (or a fatal error) ended the script with; null while it runs. */
  exitStatus: number | null;
  /** The script line the next piece given to runLine starts on. */
  nextLine: number;
  /**
   * The step budget of each top-level command (interp.ts): part of the state so that a lab
   * restored from a checkpoint keeps the budget it was made with. Older checkpoints have none.
   */
  readonly maxSteps?: number;
}

export function newSessionState(
  maxSteps = DEFAULT_MAX_STEPS,
  environment: ReadonlyArray<[string, string]> = [],
): SessionState {
  return { shell: initialState(environment), exitStatus: null, nextLine: 1, maxSteps };
}

/** How runLine runs a piece: as a line typed at a prompt, or as part of a script file (see runLine). */
export type PieceMode = 'line' | 'script' | 'script-end';

/** Everything the shell needs from its host except its terminal, which the session captures. */
export type ShellPort = Omit<Host, 'terminal'>;

/** One top-level command of a script once it has run. */
export interface ScriptStep {
  readonly firstLine: number;
  readonly source: string;
  readonly output: string;
}

/**
 * The most one top-level command's output the session keeps (it is returned as one string, and
 * recorded as one event). Past it, the writer is told to stop and the output ends with a line
 * saying so: `seq 1 1000000000` with no pipe would otherwise fill the memory.
 */
export const OUTPUT_LIMIT_CHARS = 64 * 1024 * 1024;

export class ShellSession implements Host {
  private output: string[] = [];
  private outputChars = 0;
  private outputOverflowed = false;
  /**
   * The interpreter holds generators and closures (background jobs), which a checkpoint cannot
   * store, so it lives here and not in the session state. A session over a restored state (taken
   * only when `quiescent`) gets a fresh interpreter.
   */
  private interp: Interpreter | null = null;

  constructor(
    private readonly port: ShellPort,
    readonly session: SessionState,
  ) {}

  /** Variables, functions, `$?` and the record of background jobs. */
  get state(): RootState {
    return this.session.shell;
  }

  /** The status `exit` (or a fatal error) ended the script with; null while it runs. */
  get exitStatus(): number | null {
    return this.session.exitStatus;
  }

  /** The script line the next piece given to runLine starts on. */
  get nextLine(): number {
    return this.session.nextLine;
  }

  private get interpreter(): Interpreter {
    this.interp ??= new Interpreter(this, this.state, {
      scriptName: SCRIPT_NAME,
      pid: SHELL_PID,
      maxSteps: this.session.maxSteps ?? DEFAULT_MAX_STEPS,
    });
    return this.interp;
  }

  /** `$?` of the last command, as text. */
  get lastStatus(): string {
    return String(this.state.status);
  }

  /** No background job is running or parked: the whole lab state is plain data. */
  get quiescent(): boolean {
    return this.interp === null || this.interp.scheduler.unfinished().length === 0;
  }

  /**
   * Runs a script one top-level command at a time (a line, or all the lines of a compound command),
   * yielding what each printed. Like busybox sh, a syntax error ends the script after everything
   * before it has run, and so does `exit`.
   */
  *steps(script: string): Generator<ScriptStep, void, void> {
    const parser = new Parser(script, this.session.nextLine);
    let last = 0;
    while (this.session.exitStatus === null) {
      const top = parser.next();
      if (top === null) break;
      last = top.firstLine;
      const output = this.runParsed(top, true);
      yield { firstLine: top.firstLine, source: top.source, output };
    }
    this.session.nextLine += countLines(script);
    // The script has ended (at its end or by `exit`): the EXIT trap runs now.
    if (this.state.traps.has('EXIT')) {
      this.takeOutput();
      this.session.exitStatus = this.interpreter.runExitTrap(this.session.exitStatus ?? this.state.status);
      yield { firstLine: last, source: 'trap EXIT', output: this.takeOutput() };
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
   * messages continue from the pieces run before; after `exit`, nothing runs.
   *
   * - `line` (the default): the piece runs like a line typed at an interactive shell, as ash runs
   *   one read from a terminal: a syntax error or a failed expansion loses this piece only.
   * - `script`: the piece is part of a script file (`sh FILE`, `thinlab sh FILE`): a syntax error or
   *   a failed expansion ends the script, as in `runScript`, and the EXIT trap fires then.
   * - `script-end`: the last piece of a script file: as `script`, and the script ends after it, so
   *   its EXIT trap fires even when nothing called `exit`.
   */
  runLine(line: string, mode: PieceMode = 'line'): string {
    const scriptMode = mode !== 'line';
    const parser = new Parser(line, this.session.nextLine);
    let out = '';
    for (let top = parser.next(); top !== null && this.session.exitStatus === null; top = parser.next())
      out += this.runParsed(top, scriptMode);
    // A piece is whole lines without the newline that ends its last one.
    this.session.nextLine += countLines(line) + (line.endsWith('\n') ? 1 : 0);
    if (scriptMode && (this.session.exitStatus !== null || mode === 'script-end')) out += this.endScript();
    return out;
  }

  /**
   * The script has ended, by `exit`, a fatal error or its last line: its EXIT trap runs (once: ash
   * clears it first). At its last line the script's status is kept as `$?` and the session stays
   * open, so that a recording continued later (`thinlab sh --continue`) goes on in the same shell.
   */
  private endScript(): string {
    if (!this.state.traps.has('EXIT')) return '';
    this.takeOutput();
    const status = this.interpreter.runExitTrap(this.session.exitStatus ?? this.state.status);
    if (this.session.exitStatus !== null) this.session.exitStatus = status;
    else this.state.status = status;
    return this.takeOutput();
  }

  private runParsed(top: TopLevelResult, scriptMode: boolean): string {
    this.takeOutput();
    const interp = this.interpreter;
    // Jobs released while nothing ran (the clock advanced from outside) go first.
    interp.scheduler.runReady();
    if ('error' in top) {
      interp.syntaxError(top.error);
      if (scriptMode) this.session.exitStatus = 2;
    } else {
      const ended = interp.runTopLevel(top.list);
      if (ended?.limit === true) {
        // A limit of the lab (the step budget, the nesting depth) stopped the command. The step
        // budget ends the script, as `timeout` would; a crash of the nesting limit only loses this
        // command when the lines are run one by one (a recording goes on with the next line).
        if (scriptMode || ended.explicit) this.session.exitStatus = ended.status;
      } else if (ended !== null && (scriptMode || ended.explicit))
        this.session.exitStatus = scriptMode ? ended.status : interp.runExitTrap(ended.status);
    }
    return this.takeOutput();
  }

  // ------------------------------------------------------------------ Host, through the port

  get machine(): Machine {
    return this.port.machine;
  }

  get files(): FileProbe {
    return this.port.files;
  }

  terminal(text: string): boolean {
    const room = OUTPUT_LIMIT_CHARS - this.outputChars;
    const kept = text.length <= room ? text : text.slice(0, Math.max(0, room));
    this.output.push(kept);
    this.outputChars += kept.length;
    if (kept.length < text.length) this.outputOverflowed = true;
    return kept.length === text.length;
  }

  /** What the command printed, with the line that says where the lab stopped keeping it. */
  private takeOutput(): string {
    const overflowed = this.outputOverflowed;
    const text = this.output.join('');
    this.output = [];
    this.outputChars = 0;
    this.outputOverflowed = false;
    if (!overflowed) return text;
    return `${text}\nthinlab: the command printed more than ${OUTPUT_LIMIT_CHARS / 1024 / 1024} MiB; the lab kept the first ${OUTPUT_LIMIT_CHARS / 1024 / 1024} MiB and stopped the writer\n`;
  }

  command(name: string, args: readonly string[], io: CommandIo): Steps<number> | null {
    return this.port.command(name, args, io);
  }

  streamsInput(name: string): boolean {
    return this.port.streamsInput?.(name) ?? false;
  }

  openOutput(path: string, append: boolean): Sink | string {
    return this.port.openOutput(path, append);
  }

  readInput(path: string): Uint8Array | string {
    return this.port.readInput(path);
  }

  endlessInput(path: string): boolean {
    return this.port.endlessInput?.(path) ?? false;
  }

  holdOpen(path: string): (() => void) | null {
    return this.port.holdOpen(path);
  }

  memoryFreeBytes(): number {
    return this.port.memoryFreeBytes?.() ?? Number.POSITIVE_INFINITY;
  }

  closeParam(text: string): string | null {
    return this.port.closeParam(text);
  }
}

/** Lines a piece of script takes: the next piece starts on the line after its last. */
function countLines(text: string): number {
  let n = 1;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return text.endsWith('\n') ? n - 1 : n;
}
