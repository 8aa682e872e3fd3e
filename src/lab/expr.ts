/**
 * busybox 1.35's expr (coreutils/expr.c): each token one argument, evaluated as busybox's
 * recursive descent does (`|`, `&`, comparisons, `+ -`, `* / %`, `:`, the keywords, operands and
 * parentheses), with 64-bit integers that wrap as the VM's do and strtoll's reading of a number
 * (leading blanks, a sign, saturating at the limits). Exit status 0, 1 when the value is null or
 * 0, 2 on an error. Checked against the host's busybox 1.35.0 case by case (src/lab/expr.test.ts).
 */
import type { CommandIo } from '../shell/io.js';
import { notModelled } from './command-errors.js';
import { posixToJs } from './text-tools.js';

/** A value: an integer (int64) or a string of bytes (latin1). */
type Value = { readonly kind: 'int'; readonly n: bigint } | { readonly kind: 'str'; readonly s: string };

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

/** The error busybox dies with (bb_error_msg_and_die, xfunc_error_retval 2). */
class ExprError extends Error {}

const intValue = (n: bigint): Value => ({ kind: 'int', n: BigInt.asIntN(64, n) });
const strValue = (s: string): Value => ({ kind: 'str', s });

/** printf("%lld") or the string itself. */
const text = (v: Value): string => (v.kind === 'int' ? v.n.toString() : v.s);

/** busybox's null(): the integer 0, the empty string, or the string "0" (not "00", not "-0"). */
const isNull = (v: Value): boolean => (v.kind === 'int' ? v.n === 0n : v.s === '' || v.s === '0');

/**
 * strtoll(s, &e, 10) with the whole string used: leading isspace, an optional sign, digits to the
 * end; a value past the limits saturates (ERANGE, which expr does not check). Null: not a number.
 */
function toInt(v: Value): bigint | null {
  if (v.kind === 'int') return v.n;
  const m = /^[ \t\n\v\f\r]*([+-]?[0-9]+)$/.exec(v.s);
  if (m === null) return null;
  const n = BigInt(m[1]!);
  return n > INT64_MAX ? INT64_MAX : n < INT64_MIN ? INT64_MIN : n;
}

/** toarith(): the value as an integer when it reads as one, else unchanged. */
function asArith(v: Value): Value {
  const n = toInt(v);
  return n === null ? v : intValue(n);
}

function arithmetic(l: Value, r: Value, op: string): Value {
  const a = toInt(l);
  const b = toInt(r);
  if (a === null || b === null) throw new ExprError('non-numeric argument');
  if (op === '+') return intValue(a + b);
  if (op === '-') return intValue(a - b);
  if (op === '*') return intValue(a * b);
  if (b === 0n) throw new ExprError('division by zero');
  // x86's idiv traps on the one quotient that does not fit: the VM's expr dies of SIGFPE.
  if (a === INT64_MIN && b === -1n)
    throw notModelled(`expr ${a} ${op} -1 (the VM's expr dies of SIGFPE, which the lab does not run)`);
  // BigInt's division and remainder truncate toward zero, as C's do.
  return intValue(op === '/' ? a / b : a % b);
}

/** cmp_common: integers compared as numbers when both read as integers, else strcmp of the strings. */
function compare(l: Value, r: Value, op: string): Value {
  const a = asArith(l);
  const b = asArith(r);
  let x: bigint;
  let y = 0n;
  if (a.kind === 'int' && b.kind === 'int') {
    x = a.n;
    y = b.n;
  } else {
    const s = text(a);
    const t = text(b);
    x = s === t ? 0n : s < t ? -1n : 1n;
  }
  const result = { '<': x < y, '<=': x <= y, '=': x === y, '==': x === y, '!=': x !== y, '>=': x >= y, '>': x > y }[op];
  return intValue(result === true ? 1n : 0n);
}

/**
 * glibc's regcomp errors for the patterns the lab can tell are bad; any other pattern the lab
 * cannot compile is refused by name rather than given an error the VM might not print.
 */
function regexError(pattern: string): string {
  if (/(^|[^\\])(\\\\)*\\$/.test(pattern)) return 'Trailing backslash';
  let depth = 0;
  let unmatched = false;
  for (const m of pattern.matchAll(/\\[()]/g)) {
    depth += m[0] === '\\(' ? 1 : -1;
    unmatched ||= depth < 0;
  }
  // glibc's basic syntax says the same of a `\)` without its `\(` (REG_EPAREN for both).
  if (unmatched || depth > 0) return 'Unmatched ( or \\(';
  throw notModelled(`expr's regular expression '${pattern}' (one the lab cannot compile)`);
}

/**
 * docolon: the pattern anchored at the string's start (regexec's leftmost match must start at 0);
 * the first group's text when the pattern has groups, else the length matched; null or 0 when it
 * does not match.
 */
function colon(sv: Value, pv: Value, io: CommandIo): Value {
  const s = text(sv);
  const p = text(pv);
  if (p.startsWith('^'))
    io.err(
      `expr: warning: '${p}': using '^' as the first character\nof a basic regular expression is not portable; it is ignored\n`,
    );
  // A POSIX alternation takes the longest match; JavaScript's the first: not the same length.
  if (/(^|[^\\])(\\\\)*\\\|/.test(p)) throw notModelled(`expr's \\| in '${p}' (POSIX's longest alternative)`);
  const js = posixToJs(p, false);
  if (js === null) throw new ExprError(`bad regex '${p}': ${regexError(p)}`);
  // Without REG_NEWLINE, '.' matches a newline too.
  const re = new RegExp(js, 'ys');
  const groups = new RegExp(`${js}|`, 's').exec('')!.length - 1;
  const m = re.exec(s);
  if (m === null) return groups > 0 ? strValue('') : intValue(0n);
  if (groups > 0 && m[1] !== undefined) return strValue(m[1]);
  return intValue(BigInt(m[0].length));
}

const KEYWORDS = ['quote', 'length', 'match', 'index', 'substr'];

/** The parser over expr's arguments: each eval level of expr.c a method. */
class Parser {
  private at = 0;

  constructor(
    private readonly args: readonly string[],
    private readonly io: CommandIo,
  ) {}

  get rest(): boolean {
    return this.at < this.args.length;
  }

  private next(token: string): boolean {
    return this.args[this.at] === token;
  }

  private nextOf(tokens: readonly string[]): string | null {
    const t = this.args[this.at];
    return t !== undefined && tokens.includes(t) ? t : null;
  }

  /** `|`: the left when it is not null, else the right. */
  eval(): Value {
    let l = this.eval1();
    while (this.next('|')) {
      this.at++;
      const r = this.eval1();
      if (isNull(l)) l = r;
    }
    return l;
  }

  /** `&`: the left when neither is null, else 0. */
  private eval1(): Value {
    let l = this.eval2();
    while (this.next('&')) {
      this.at++;
      const r = this.eval2();
      if (isNull(l) || isNull(r)) l = intValue(0n);
    }
    return l;
  }

  private eval2(): Value {
    let l = this.eval3();
    for (
      let op = this.nextOf(['<', '<=', '=', '==', '!=', '>=', '>']);
      op !== null;
      op = this.nextOf(['<', '<=', '=', '==', '!=', '>=', '>'])
    ) {
      this.at++;
      l = compare(l, this.eval3(), op);
    }
    return l;
  }

  private eval3(): Value {
    let l = this.eval4();
    for (let op = this.nextOf(['+', '-']); op !== null; op = this.nextOf(['+', '-'])) {
      this.at++;
      l = arithmetic(l, this.eval4(), op);
    }
    return l;
  }

  private eval4(): Value {
    let l = this.eval5();
    for (let op = this.nextOf(['*', '/', '%']); op !== null; op = this.nextOf(['*', '/', '%'])) {
      this.at++;
      l = arithmetic(l, this.eval5(), op);
    }
    return l;
  }

  private eval5(): Value {
    let l = this.eval6();
    while (this.next(':')) {
      this.at++;
      l = colon(l, this.eval6(), this.io);
    }
    return l;
  }

  /** The keywords: quote, length, match, index, substr. */
  private eval6(): Value {
    const key = this.nextOf(KEYWORDS);
    if (key === null) return this.eval7();
    this.at++;
    if (key === 'quote') {
      if (!this.rest) throw new ExprError('syntax error');
      return strValue(this.args[this.at++]!);
    }
    if (key === 'length') return intValue(BigInt(text(this.eval6()).length));
    const l = text(this.eval6());
    if (key === 'match') return colon(strValue(l), this.eval6(), this.io);
    if (key === 'index') {
      const chars = text(this.eval6());
      // strcspn + 1, and 0 when no character of CHARS is there.
      for (let i = 0; i < l.length; i++) if (chars.includes(l[i]!)) return intValue(BigInt(i + 1));
      return intValue(0n);
    }
    const from = toInt(this.eval6());
    const length = toInt(this.eval6());
    if (from === null || length === null || from > BigInt(l.length) || from <= 0n || length <= 0n) return strValue('');
    const start = Number(from) - 1;
    return strValue(l.slice(start, start + Number(length > BigInt(l.length) ? BigInt(l.length) : length)));
  }

  /** An operand, or `( EXPRESSION )`. */
  private eval7(): Value {
    if (!this.rest) throw new ExprError('syntax error');
    if (this.next('(')) {
      this.at++;
      const v = this.eval();
      if (!this.next(')')) throw new ExprError('syntax error');
      this.at++;
      return v;
    }
    if (this.next(')')) throw new ExprError('syntax error');
    return strValue(this.args[this.at++]!);
  }
}

/** `expr EXPRESSION`: the value printed, status 1 when it is null or 0, 2 on an error. */
export function expr(args: readonly string[], io: CommandIo): number {
  try {
    if (args.length === 0) throw new ExprError('too few arguments');
    const parser = new Parser(args, io);
    const v = parser.eval();
    if (parser.rest) throw new ExprError('syntax error');
    io.out(`${text(v)}\n`);
    return isNull(v) ? 1 : 0;
  } catch (e) {
    if (!(e instanceof ExprError)) throw e;
    io.err(`expr: ${e.message}\n`);
    return 2;
  }
}
