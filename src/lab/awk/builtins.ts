/**
 * awk's builtin functions as busybox awk has them: length, substr, index, split, sub, gsub, match,
 * sprintf, toupper, tolower and the arithmetic ones. (system, getline, rand and the rest are
 * refused by the parser.)
 */
import { AwkError } from './errors.js';
import type { Expr } from './parse.js';
import { StrNum, sprintf, toNum, toStr, type Value } from './values.js';

/** What the builtins need of the running program (src/lab/awk/run.ts AwkRun). */
export interface AwkRun {
  value(e: Expr): Value;
  assign(target: Expr, v: Value): Value;
  setVar(name: string, v: Value): void;
  regexOf(e: Expr): RegExp;
  split(text: string, fs: string): string[];
  fs(): string;
  arrayOf(name: string): Map<string, Value>;
  isArray(name: string): boolean;
  record0(): string;
}

/**
 * substr(s, m[, n]) as busybox awk computes it: the start truncated and clamped to the string
 * (so substr("hello", -1, 3) is "hel"), the length truncated and never negative.
 */
function substr(s: string, m: number, n: number | null): string {
  const start = Math.min(Math.max(Math.trunc(m) - 1, 0), s.length);
  const count = n === null ? s.length - start : Math.max(Math.trunc(n), 0);
  return s.slice(start, start + count);
}

/** sub/gsub's replacement for one match: `&` is the match, `\&` a literal `&`. */
function replacement(repl: string, matched: string): string {
  return repl.replace(/\\\\|\\&|&/g, (t) => (t === '&' ? matched : t === '\\&' ? '&' : '\\'));
}

function substitute(run: AwkRun, args: readonly Expr[], global: boolean): Value {
  if (args.length < 2) throw new AwkError('sub/gsub need a regex and a replacement');
  const re = run.regexOf(args[0]!);
  const repl = toStr(run.value(args[1]!));
  const target: Expr = args[2] ?? { k: 'field', index: { k: 'num', v: 0 } };
  const text = toStr(run.value(target));
  let count = 0;
  const all = new RegExp(re.source, 'g');
  const result = text.replace(all, (m) => {
    if (!global && count > 0) return m;
    count++;
    return replacement(repl, m);
  });
  if (count > 0) run.assign(target, result);
  return count;
}

function split(run: AwkRun, args: readonly Expr[]): Value {
  const arrayArg = args[1];
  if (arrayArg === undefined || arrayArg.k !== 'var') throw new AwkError('split needs an array');
  const text = toStr(run.value(args[0]!));
  const sep = args[2] === undefined ? run.fs() : args[2].k === 're' ? args[2].v : toStr(run.value(args[2]));
  const pieces = run.split(text, sep);
  const arr = run.arrayOf(arrayArg.name);
  arr.clear();
  pieces.forEach((p, i) => arr.set(String(i + 1), new StrNum(p)));
  return pieces.length;
}

function match(run: AwkRun, args: readonly Expr[]): Value {
  const text = toStr(run.value(args[0]!));
  const m = run.regexOf(args[1]!).exec(text);
  run.setVar('RSTART', m === null ? 0 : m.index + 1);
  run.setVar('RLENGTH', m === null ? -1 : m[0].length);
  return m === null ? 0 : m.index + 1;
}

function length(run: AwkRun, args: readonly Expr[]): Value {
  const a = args[0];
  if (a === undefined) return run.record0().length;
  if (a.k === 'var' && run.isArray(a.name)) return run.arrayOf(a.name).size;
  return toStr(run.value(a)).length;
}

/**
 * The functions busybox computes with the C math library: the VM's build leaves it out
 * (FEATURE_AWK_LIBM off), so each stops the program with `Math support is not compiled in`.
 */
const LIBM_FUNCTIONS = new Set(['sqrt', 'exp', 'log', 'sin', 'cos', 'atan2']);

export function callBuiltin(run: AwkRun, name: string, args: readonly Expr[]): Value {
  const str = (i: number): string => toStr(run.value(args[i]!));
  switch (name) {
    case 'length':
      return length(run, args);
    case 'substr':
      return substr(str(0), toNum(run.value(args[1]!)), args[2] === undefined ? null : toNum(run.value(args[2])));
    case 'index':
      return str(0).indexOf(str(1)) + 1;
    case 'split':
      return split(run, args);
    case 'sub':
    case 'gsub':
      return substitute(run, args, name === 'gsub');
    case 'match':
      return match(run, args);
    case 'sprintf':
      return sprintf(
        str(0),
        args.slice(1).map((a) => run.value(a)),
      );
    case 'toupper':
      return str(0).toUpperCase();
    case 'tolower':
      return str(0).toLowerCase();
    case 'int':
      return Math.trunc(toNum(run.value(args[0]!)));
    default:
      if (LIBM_FUNCTIONS.has(name)) throw new AwkError('Math support is not compiled in');
      throw new AwkError(`unknown function ${name}`);
  }
}
