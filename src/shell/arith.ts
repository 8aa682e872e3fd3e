/**
 * Shell arithmetic, `$((...))`, as busybox ash evaluates it: 64-bit signed integers (BigInt here,
 * wrapped to 64 bits, so large sector counts stay exact), C operators and precedence, variables by
 * name (unset or empty is 0), assignments, and the errors ash reports.
 */
import { isStackOverflow } from '../shared/stack-overflow.js';

export class ArithError extends Error {}

export interface ArithEnv {
  get(name: string): string | undefined;
  set(name: string, value: string): void;
}

type Tok = { k: 'num'; v: bigint } | { k: 'name'; v: string } | { k: 'op'; v: string } | { k: 'end' };

const OPS = [
  '<<=',
  '>>=',
  '**',
  '<<',
  '>>',
  '<=',
  '>=',
  '==',
  '!=',
  '&&',
  '||',
  '++',
  '--',
  '+=',
  '-=',
  '*=',
  '/=',
  '%=',
  '&=',
  '^=',
  '|=',
  '+',
  '-',
  '*',
  '/',
  '%',
  '<',
  '>',
  '&',
  '^',
  '|',
  '!',
  '~',
  '?',
  ':',
  '=',
  '(',
  ')',
  ',',
];

const wrap = (v: bigint): bigint => BigInt.asIntN(64, v);

function tokenize(text: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n') {
      i++;
      continue;
    }
    const num = /^(0[xX][0-9a-fA-F]+|[0-9][0-9A-Za-z_]*)/.exec(text.slice(i));
    if (num !== null) {
      out.push({ k: 'num', v: parseNumber(num[1]!) });
      i += num[1]!.length;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i));
    if (name !== null) {
      out.push({ k: 'name', v: name[0] });
      i += name[0].length;
      continue;
    }
    const op = OPS.find((o) => text.startsWith(o, i));
    if (op === undefined) throw new ArithError('arithmetic syntax error');
    out.push({ k: 'op', v: op });
    i += op.length;
  }
  out.push({ k: 'end' });
  return out;
}

/** The largest constant strtoull reads; a larger one overflows, and busybox's ash then takes 0. */
const MAX_CONSTANT = (1n << 64n) - 1n;

function parseNumber(text: string): bigint {
  let value: bigint;
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) value = BigInt(text);
  else if (/^0[0-7]+$/.test(text)) value = BigInt(`0o${text.slice(1)}`);
  else if (/^[0-9]+$/.test(text)) value = BigInt(text);
  else throw new ArithError('arithmetic syntax error');
  // `$((99999999999999999999))` prints 0 in busybox sh 1.35; 18446744073709551615 is -1.
  return value > MAX_CONSTANT ? 0n : wrap(value);
}

/**
 * `a ** b` on 64-bit integers, wrapped as C's repeated multiplication wraps, by squaring: the exact
 * power of a large exponent (`2 ** 99999999999`) would be a number of gigabytes. busybox prints 0 for it.
 */
export function powerWrapped(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  let b = BigInt.asUintN(64, base);
  let e = exponent;
  while (e > 0n) {
    if ((e & 1n) === 1n) result = BigInt.asUintN(64, result * b);
    b = BigInt.asUintN(64, b * b);
    e >>= 1n;
  }
  return wrap(result);
}

/** A variable's value as a number: its text is itself an arithmetic expression (usually digits). */
function variableValue(env: ArithEnv, name: string, depth: number): bigint {
  const text = (env.get(name) ?? '').trim();
  if (text === '') return 0n;
  if (/^-?[0-9]+$/.test(text)) return text.startsWith('-') ? wrap(-parseNumber(text.slice(1))) : parseNumber(text);
  if (depth > 32) throw new ArithError('expression recursion loop detected');
  return evaluate(text, env, depth + 1);
}

const BINARY: ReadonlyArray<readonly string[]> = [
  ['||'],
  ['&&'],
  ['|'],
  ['^'],
  ['&'],
  ['==', '!='],
  ['<', '<=', '>', '>='],
  ['<<', '>>'],
  ['+', '-'],
  ['*', '/', '%'],
];

/** Each binary operator's level in BINARY (0 binds least). */
const PRECEDENCE: ReadonlyMap<string, number> = new Map(BINARY.flatMap((ops, level) => ops.map((op) => [op, level])));

const ASSIGN = new Set(['=', '+=', '-=', '*=', '/=', '%=', '<<=', '>>=', '&=', '^=', '|=']);

/**
 * Evaluates an expression; ArithError carries ash's message. busybox evaluates with an operator
 * stack and takes any nesting; this recursive descent runs out of JavaScript stack at some
 * thousand nested parentheses, which is reported as an error of the expression, never a crash.
 */
export function evaluate(text: string, env: ArithEnv, depth = 0): bigint {
  try {
    return evaluateExpression(text, env, depth);
  } catch (e) {
    if (isStackOverflow(e)) throw new ArithError('expression nested too deeply for the lab (about 1000 levels)');
    throw e;
  }
}

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: a precedence-climbing parser of ash's arithmetic, one level per operator group, sharing the cursor.
function evaluateExpression(text: string, env: ArithEnv, depth: number): bigint {
  const toks = tokenize(text);
  let p = 0;
  // Skipping evaluation (the untaken side of && || ?:) still parses, but has no side effects.
  let skip = 0;
  const peek = (): Tok => toks[p]!;
  const isOp = (v: string): boolean => {
    const t = peek();
    return t.k === 'op' && t.v === v;
  };
  const expectOp = (v: string): void => {
    if (!isOp(v)) throw new ArithError('arithmetic syntax error');
    p++;
  };

  const apply = (op: string, a: bigint, b: bigint): bigint => {
    switch (op) {
      case '+':
        return wrap(a + b);
      case '-':
        return wrap(a - b);
      case '*':
        return wrap(a * b);
      case '/':
      case '%':
        if (b === 0n) {
          if (skip > 0) return 0n;
          throw new ArithError('divide by zero');
        }
        return wrap(op === '/' ? a / b : a % b);
      case '**':
        if (b < 0n) throw new ArithError('exponent less than 0');
        return powerWrapped(a, b);
      case '<<':
        return wrap(a << (b & 63n));
      case '>>':
        return wrap(a >> (b & 63n));
      case '<':
        return a < b ? 1n : 0n;
      case '<=':
        return a <= b ? 1n : 0n;
      case '>':
        return a > b ? 1n : 0n;
      case '>=':
        return a >= b ? 1n : 0n;
      case '==':
        return a === b ? 1n : 0n;
      case '!=':
        return a !== b ? 1n : 0n;
      case '&':
        return a & b;
      case '^':
        return a ^ b;
      case '|':
        return a | b;
      default:
        throw new ArithError('arithmetic syntax error');
    }
  };

  const assign = (name: string, v: bigint): bigint => {
    if (skip === 0) env.set(name, String(v));
    return v;
  };

  const primary = (): bigint => {
    const t = peek();
    if (t.k === 'num') {
      p++;
      return t.v;
    }
    if (t.k === 'name') {
      p++;
      const n = peek();
      if (n.k === 'op' && ASSIGN.has(n.v)) {
        p++;
        const rhs = ternary();
        if (n.v === '=') return assign(t.v, rhs);
        return assign(t.v, apply(n.v.slice(0, -1), variableValue(env, t.v, depth), rhs));
      }
      if (n.k === 'op' && (n.v === '++' || n.v === '--')) {
        p++;
        const old = variableValue(env, t.v, depth);
        assign(t.v, wrap(n.v === '++' ? old + 1n : old - 1n));
        return old;
      }
      return skip > 0 ? 0n : variableValue(env, t.v, depth);
    }
    if (t.k === 'op' && t.v === '(') {
      p++;
      const v = comma();
      expectOp(')');
      return v;
    }
    throw new ArithError('arithmetic syntax error');
  };

  const unary = (): bigint => {
    const t = peek();
    if (t.k === 'op') {
      if (t.v === '++' || t.v === '--') {
        p++;
        const n = peek();
        if (n.k !== 'name') throw new ArithError('arithmetic syntax error');
        p++;
        const v = wrap(variableValue(env, n.v, depth) + (t.v === '++' ? 1n : -1n));
        return assign(n.v, v);
      }
      if (t.v === '-' || t.v === '+' || t.v === '!' || t.v === '~') {
        p++;
        const v = unary();
        if (t.v === '-') return wrap(-v);
        if (t.v === '+') return v;
        if (t.v === '!') return v === 0n ? 1n : 0n;
        return ~v;
      }
    }
    return power();
  };

  const power = (): bigint => {
    const base = primary();
    if (isOp('**')) {
      p++;
      return apply('**', base, unary());
    }
    return base;
  };

  // Precedence climbing: one frame per operand, not one per precedence level, so that nested
  // parentheses cost little stack.
  const binary = (minLevel: number): bigint => {
    let left = unary();
    for (;;) {
      const t = peek();
      const level = t.k === 'op' ? PRECEDENCE.get(t.v) : undefined;
      if (level === undefined || level < minLevel) return left;
      const op = (t as { v: string }).v;
      p++;
      if (op === '&&' || op === '||') {
        const shortCircuit = op === '&&' ? left === 0n : left !== 0n;
        if (shortCircuit) skip++;
        const right = binary(level + 1);
        if (shortCircuit) skip--;
        left = shortCircuit ? (op === '||' ? 1n : 0n) : right !== 0n ? 1n : 0n;
        continue;
      }
      left = apply(op, left, binary(level + 1));
    }
  };

  const ternary = (): bigint => {
    const cond = binary(0);
    if (!isOp('?')) return cond;
    p++;
    if (cond === 0n) skip++;
    const a = ternary();
    if (cond === 0n) skip--;
    expectOp(':');
    if (cond !== 0n) skip++;
    const b = ternary();
    if (cond !== 0n) skip--;
    return cond !== 0n ? a : b;
  };

  const comma = (): bigint => {
    let v = ternary();
    while (isOp(',')) {
      p++;
      v = ternary();
    }
    return v;
  };

  if (peek().k === 'end') return 0n;
  const v = comma();
  if (peek().k !== 'end') throw new ArithError('arithmetic syntax error');
  return v;
}
