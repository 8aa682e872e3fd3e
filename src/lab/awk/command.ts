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
import { readPath } from '../vfs.js';
import { readStdin } from '../xargs.js';
import { AwkError } from './errors.js';
import { AwkParser } from './parse.js';
import { AwkRun } from './run.js';
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

/** The records of a text: lines, the last one without its newline too. */
function* linesOf(text: string): Iterable<string> {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  yield* lines;
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
  try {
    run = new AwkRun(new AwkParser(parsed.program).program(), (t) => io.out(t));
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
  const texts: string[] = [];
  if (files.length === 0) texts.push(yield* readStdin(io));
  for (const f of files) {
    const data = f === '-' ? yield* readStdin(io) : readPath(lab, f);
    if (typeof data === 'string' && f !== '-') {
      io.err(`awk: ${f}: ${data}\n`);
      return 1;
    }
    texts.push(typeof data === 'string' ? data : new TextDecoder('latin1').decode(data));
  }
  try {
    return run.run(function* () {
      for (const t of texts) yield* linesOf(t);
    });
  } catch (e) {
    if (!(e instanceof AwkError)) throw e;
    io.err(`awk: cmd. line:1: ${e.message}\n`);
    return 1;
  }
}
