/**
 * busybox awk as the lab runs it: `awk [-F SEP] [-v VAR=VALUE]... 'PROGRAM' [FILE | VAR=VALUE]...`.
 * The program is parsed whole before any input is read, so a construct the lab does not model
 * (getline, user functions, output redirections, `-f FILE`) is refused by name before anything
 * is printed. Errors are busybox's: `awk: cmd. line:1: Unexpected token`, status 1.
 */
import type { CommandIo } from '../../shell/io.js';
import type { Steps } from '../../shell/wait.js';
import { failureStatus, notModelled } from '../command-errors.js';
import type { Lab } from '../lab.js';
import { commandMemoryBytes, eachLine, LineSplitter } from '../line-filters.js';
import { type Chunks, stdinChunks } from '../stdin-chunks.js';
import { pathChunks } from '../text-streams.js';
import { AwkError } from './errors.js';
import { AwkParser } from './parse.js';
import { AwkRun, StopSignal } from './run.js';
import { StrNum } from './values.js';

interface AwkArgs {
  readonly program: string;
  readonly fs: string | null;
  readonly assignments: ReadonlyArray<readonly [string, string]>;
  readonly operands: readonly string[];
}

/** An assignment operand or -v value: `NAME=VALUE`, with awk's escapes in the value. */
function assignmentOf(text: string): [string, string] | null {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)=([\s\S]*)$/.exec(text);
  if (m === null) return null;
  return [m[1]!, m[2]!.replace(/\\n/g, '\n').replace(/\\t/g, '\t').replace(/\\\\/g, '\\')];
}

function parseArgs(args: readonly string[]): AwkArgs | string {
  let fs: string | null = null;
  const assignments: Array<[string, string]> = [];
  let k = 0;
  for (; k < args.length && args[k]!.startsWith('-') && args[k] !== '-'; k++) {
    const a = args[k]!;
    if (a === '--') {
      k++;
      break;
    }
    const flag = a[1]!;
    if (flag === 'f' || flag === 'e') throw notModelled(`awk -${flag}`);
    if (flag !== 'F' && flag !== 'v') return `awk: invalid option -- '${flag}'\n`;
    const value = a.length > 2 ? a.slice(2) : args[++k];
    if (value === undefined) return `awk: option requires an argument -- '${flag}'\n`;
    if (flag === 'F') fs = value === 't' ? '\t' : value;
    else {
      const assignment = assignmentOf(value);
      if (assignment === null) return `awk: cmd. line:1: Unexpected token\n`;
      assignments.push(assignment);
    }
  }
  const program = args[k];
  if (program === undefined) return 'awk: cmd. line:1: Unexpected token\n';
  return { program, fs, assignments, operands: args.slice(k + 1) };
}

export function* awk(lab: Lab, args: readonly string[], io: CommandIo): Steps<number> {
  let parsed: AwkArgs | string;
  try {
    parsed = parseArgs(args);
  } catch (e) {
    return failureStatus(e, io);
  }
  if (typeof parsed === 'string') {
    io.err(parsed);
    return 1;
  }
  let run: AwkRun;
  // The output took no more (its reader has gone): awk stops reading.
  const closed = { value: false };
  try {
    run = new AwkRun(
      new AwkParser(parsed.program).program(),
      (t) => {
        if (io.out(t) === false) closed.value = true;
      },
      // A loop stops once its output's reader has gone or the step budget is spent: without it
      // `for (i = 0; i < 1e9; i++) printf ...` ran on past `| head` and past the budget.
      () => !closed.value && io.chargeSteps?.(1) !== false,
    );
  } catch (e) {
    // A generator's throw happens after the registry's guard returned: report it here.
    if (!(e instanceof AwkError)) return failureStatus(e, io);
    io.err(`awk: cmd. line:1: ${e.message}\n`);
    return 1;
  }
  if (parsed.fs !== null) run.setVar('FS', parsed.fs);
  // Assignment operands take effect before any input is read (awk applies each one just before
  // the file after it: the same where they come first, which is how scripts use them).
  const operandAssignments = parsed.operands.map(assignmentOf).filter((a) => a !== null);
  for (const [name, value] of [...parsed.assignments, ...operandAssignments]) run.setVar(name, new StrNum(value));
  const files = parsed.operands.filter((o) => assignmentOf(o) === null);
  // Every file is opened before BEGIN runs: one that cannot be is an error with nothing printed.
  const inputs: Chunks[] = [];
  for (const f of files.length === 0 ? ['-'] : files) {
    const chunks = f === '-' ? stdinChunks(io) : pathChunks(lab, f);
    if (typeof chunks === 'string') {
      io.err(`awk: ${f}: ${chunks}\n`);
      return 1;
    }
    inputs.push(chunks);
  }
  try {
    // Records are read a line at a time, as busybox awk reads them: `yes | awk '{ print; exit }'`
    // ends at its exit, and a reader that has gone stops awk (SIGPIPE).
    if (run.begin()) {
      for (const chunks of inputs) {
        const split = new LineSplitter("awk's line", () => commandMemoryBytes(lab));
        let more = true;
        const error = yield* eachLine(chunks, split, (line) => (more = run.feed(line) && !closed.value));
        if (error !== null) io.err(`awk: ${error}\n`);
        if (!more) break;
      }
    }
    return run.finish();
  } catch (e) {
    // SIGPIPE (141) when the reader went; past the budget the shell stops the script itself.
    if (e instanceof StopSignal) return closed.value ? 141 : 1;
    if (!(e instanceof AwkError)) throw e;
    io.err(`awk: cmd. line:1: ${e.message}\n`);
    return 1;
  }
}
